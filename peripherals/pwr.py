"""PWR: power control of the STM32H743 (RM0433 Rev 8, section 6), LDO-supplied part.

Models the supply configuration lock (CR3.SCUEN), the voltage-scaling handshake that firmware
polls (D3CR.VOS -> VOSRDY, CSR1.ACTVOS/ACTVOSRDY) and the effective scale :attr:`PWR.vos`,
including VOS0 = scale 1 plus SYSCFG_PWRCR.ODEN on revision V (RM0433 6.8.4, 6.6.2).
Transitions complete after a fixed settling time (values below, assumed: the datasheet gives
no figure for them). The model is the platform's power controller (peripherals/ports.py
PowerControl): it publishes ``vos`` and the ``vos_changed`` signal, and hears SYSCFG_PWRCR.ODEN
on its ``oden`` input (wired in the platform file).
"""

from __future__ import annotations

from .base import RO, WO, Field, Peripheral, Register

SUPPLY_SETTLE_S = 10e-6   # CR3 write -> ACTVOSRDY (assumed)
VOS_SETTLE_S = 20e-6      # D3CR.VOS or ODEN change -> VOSRDY (assumed)

# D3CR.VOS encoding (RM0433 6.8.6): 00 reserved (scale 3), 01 scale 3, 10 scale 2, 11 scale 1.
_VOS_SCALE = {0: 3, 1: 3, 2: 2, 3: 1}


class PWR(Peripheral):
    """Supply configuration and voltage scaling with ready delays."""

    registers = (
        # 6.8.1 PWR_CR1, reset 0xF000 C000 (SVOS = 11: SVOS3; bits 31:28 reserved, read 1).
        Register("CR1", 0x00, (
            # PVD/AVD voltage detectors (PVDE, PLS, AVDEN, ALS): declared, not modelled
            Field("LPDS", 0), Field("PVDE", 4, modelled=False), Field("PLS", 5, 3, modelled=False),
            Field("DBP", 8), Field("FLPS", 9), Field("SVOS", 14, 2, reset=3),
            Field("AVDEN", 16, modelled=False), Field("ALS", 17, 2, modelled=False),
            Field("RES31_28", 28, 4, RO, reset=0xF),
        )),
        # 6.8.2 PWR_CSR1, reset 0x0000 4000 (ACTVOS = 01: scale 3).
        Register("CSR1", 0x04, (
            Field("PVDO", 4, access=RO), Field("ACTVOSRDY", 13, access=RO),
            Field("ACTVOS", 14, 2, RO, reset=1), Field("AVDO", 16, access=RO),
        )),
        # 6.8.3 PWR_CR2, reset 0.
        Register("CR2", 0x08, (
            Field("BREN", 0), Field("MONEN", 4), Field("BRRDY", 16, access=RO),
            Field("VBATL", 20, access=RO), Field("VBATH", 21, access=RO),
            Field("TEMPL", 22, access=RO), Field("TEMPH", 23, access=RO),
        )),
        # 6.8.4 PWR_CR3, reset 0x0000 0006 (LDOEN, SCUEN) on the LDO-supplied H743.
        Register("CR3", 0x0C, (
            Field("BYPASS", 0), Field("LDOEN", 1, reset=1), Field("SCUEN", 2, reset=1),
            Field("VBE", 8), Field("VBRS", 9), Field("USB33DEN", 24), Field("USBREGEN", 25),
            Field("USB33RDY", 26, access=RO),
        )),
        # 6.8.5 PWR_CPUCR, reset 0. CSSF (write 1) clears STOPF/SBF/SBF_D1/SBF_D2.
        Register("CPUCR", 0x10, (
            Field("PDDS_D1", 0), Field("PDDS_D2", 1), Field("PDDS_D3", 2),
            Field("STOPF", 5, access=RO), Field("SBF", 6, access=RO),
            Field("SBF_D1", 7, access=RO), Field("SBF_D2", 8, access=RO),
            Field("CSSF", 9, access=WO), Field("RUN_D3", 11),
        )),
        # 6.8.6 PWR_D3CR, reset 0x0000 4000 (VOS = 01: scale 3; VOSRDY set by hardware once
        # the supply configuration is done).
        Register("D3CR", 0x18, (Field("VOSRDY", 13, access=RO), Field("VOS", 14, 2, reset=1))),
        # 6.8.7 PWR_WKUPCR (write 1 to clear WKUPF), reset 0.
        Register("WKUPCR", 0x20, (Field("WKUPC", 0, 6, WO),)),
        # 6.8.8 PWR_WKUPFR, reset 0.
        Register("WKUPFR", 0x24, tuple(Field(f"WKUPF{i + 1}", i, access=RO) for i in range(6))),
        # 6.8.9 PWR_WKUPEPR, reset 0.
        Register("WKUPEPR", 0x28, (Field("WKUPEN", 0, 6), Field("WKUPP", 8, 6),
                                   Field("WKUPPUPD", 16, 12))),
    )
    bus_clock = "hclk"   # AHB4
    outputs = ("vos_changed",)
    inputs = ("oden",)

    def __init__(self, name: str, base: int, size: int, ctx, **params: object) -> None:
        chip = params.get("chip") or {}
        self.revision = str(params.get("revision", chip.get("revision", "V")))
        self._vos = 3
        self._oden_level = False
        super().__init__(name, base, size, ctx, **params)

    def reset(self) -> None:
        self.cancel_pending()
        self._vos = 3
        self._oden_level = False        # SYSCFG_PWRCR resets with it (ODEN = 0)
        super().reset()

    def system_reset(self) -> None:
        """PWR_CPUCR.SBF/SBF_D1/SBF_D2 are cleared only by a power-on reset or CSSF; STOPF by
        any reset (RM0433 6.8.5). PWR_CR2 (backup regulator) is in the backup domain."""
        keep = self.reg("CPUCR") & (0b111 << 6)
        cr2 = self.reg("CR2")
        self.reset()
        self.set_reg("CPUCR", self.reg("CPUCR") | keep)
        self.set_reg("CR2", cr2)

    def entered_stop(self) -> None:
        """The system went into Stop: CPUCR.STOPF (RM0433 6.8.5)."""
        self.set_field("CPUCR", "STOPF", 1)

    def left_standby(self) -> None:
        """After the reset that ends Standby: CPUCR.SBF, SBF_D1, SBF_D2 (RM0433 6.8.5)."""
        for f in ("SBF", "SBF_D1", "SBF_D2"):
            self.set_field("CPUCR", f, 1)

    def stop_mode(self) -> str | None:
        """What SLEEPDEEP + WFI enters now on the single-core H743, from PWR_CPUCR (RM0433
        6.8.5 PDDS_Dn; section 6 low-power modes): the system reaches Standby only when D1,
        D2 and D3 may all enter DStandby (PDDS_D1, PDDS_D2, PDDS_D3 set), else Stop."""
        return "standby" if self.reg("CPUCR") & 0b111 == 0b111 else "stop"

    def keeps_backup_sram(self) -> bool:
        """PWR_CR2.BREN: the backup regulator keeps backup SRAM through Standby (6.8.3)."""
        return bool(self.get_field("CR2", "BREN"))

    def backup_writable(self) -> bool:
        """PWR_CR1.DBP: writes to the backup domain are enabled (RM0433 6.8.1)."""
        return bool(self.get_field("CR1", "DBP"))

    def power_state(self) -> dict[str, object]:
        """Stop voltage scale (CR1.SVOS 3/2/1 = SVOS3/4/5), flash low-power in Stop (FLPS),
        the domains' power-down bits (CPUCR.PDDS_D1..D3): RM0433 6.8.1, 6.8.5."""
        return {"svos": {3: 3, 2: 4, 1: 5}.get(self.get_field("CR1", "SVOS"), 3),
                "flash_low_power": bool(self.get_field("CR1", "FLPS")),
                "pdds": self.reg("CPUCR") & 0b111}

    @property
    def vos(self) -> int:
        """Effective voltage scale 0..3 (0 = VOS0: scale 1 with ODEN on rev V), as reached by
        the regulator: it changes when VOSRDY comes back, not at the write."""
        return self._vos

    # --- register behaviour --------------------------------------------------------------------
    def on_write_CR3(self, old: int, new: int) -> None:
        cr3 = self._by_name["CR3"]
        supply = cr3.field("BYPASS").mask | cr3.field("LDOEN").mask
        if not old & cr3.field("SCUEN").mask:
            if (old ^ new) & supply:
                self.ctx.log("warning: PWR: CR3 supply configuration is locked after its first "
                             "write (SCUEN=0, RM0433 6.8.4); write ignored")
            self.set_reg("CR3", (new & ~supply) | (old & supply))
            return
        # First write after reset: the supply configuration takes effect and locks.
        self.set_field("CR3", "SCUEN", 0)
        if not self.get_field("CR3", "LDOEN") and not self.get_field("CR3", "BYPASS"):
            self.ctx.log("warning: PWR: LDO disabled without BYPASS: VCORE has no supply "
                         "(RM0433 6.4, Table 31)")
        if self.get_field("CR3", "LDOEN") and self.get_field("CR3", "BYPASS"):
            self.ctx.log("warning: PWR: LDOEN and BYPASS both set is not a valid supply "
                         "configuration (RM0433 Table 31)")
        self.set_field("CSR1", "ACTVOSRDY", 0)
        self.after(SUPPLY_SETTLE_S, "supply", self._supply_ready)

    def on_write_D3CR(self, old: int, new: int) -> None:
        if (old ^ new) & self._by_name["D3CR"].field("VOS").mask:
            if self.get_field("D3CR", "VOS") == 0:
                self.ctx.log("warning: PWR: D3CR.VOS=00 is reserved (RM0433 6.8.6); scale 3")
            self._start_transition()

    def on_write_CPUCR(self, old: int, new: int) -> None:
        if new & self._by_name["CPUCR"].field("CSSF").mask:
            for f in ("STOPF", "SBF", "SBF_D1", "SBF_D2", "CSSF"):
                self.set_field("CPUCR", f, 0)

    def on_write_WKUPCR(self, old: int, new: int) -> None:
        self.set_reg("WKUPFR", self.reg("WKUPFR") & ~new)
        self.set_reg("WKUPCR", 0)

    def input_oden(self, _index: int | None, level: bool) -> None:
        """SYSCFG_PWRCR.ODEN changed (the ``SYSCFG.oden -> PWR.oden`` wire): the regulator
        moves to or from VOS0."""
        self._oden_level = bool(level)
        if self.revision != "V":
            self.ctx.log("warning: PWR: ODEN has no effect on revision Y (no VOS0)")
            return
        if self._oden() and self.get_field("D3CR", "VOS") != 3:
            self.ctx.log("warning: PWR: ODEN set while D3CR.VOS is not scale 1: VOS0 is entered "
                         "only from VOS1 (RM0433 6.6.2)")
        self._start_transition()

    # --- helpers -------------------------------------------------------------------------------
    def _oden(self) -> bool:
        return self._oden_level

    def _target_vos(self) -> int:
        scale = _VOS_SCALE[self.get_field("D3CR", "VOS")]
        if scale == 1 and self.revision == "V" and self._oden():
            return 0
        return scale

    def _start_transition(self) -> None:
        self.set_field("D3CR", "VOSRDY", 0)
        self.set_field("CSR1", "ACTVOSRDY", 0)
        self.after(VOS_SETTLE_S, "vos", self._vos_ready)

    def _supply_ready(self) -> None:
        self.set_field("CSR1", "ACTVOSRDY", 1)
        if "vos" not in self._pending:
            self.set_field("D3CR", "VOSRDY", 1)

    def _vos_ready(self) -> None:
        self.set_field("D3CR", "VOSRDY", 1)
        self.set_field("CSR1", "ACTVOS", self.get_field("D3CR", "VOS"))
        if "supply" not in self._pending:
            self.set_field("CSR1", "ACTVOSRDY", 1)
        before, self._vos = self._vos, self._target_vos()
        if before != self._vos:
            if self.clocks is not None:
                self.clocks.check_operating_point()
            self.vos_changed.emit()


MODEL = PWR
