"""PWR of the STM32F74x/75x (RM0385 Rev 8, section 4): voltage scaling, over-drive, and the
low-power mode that deep sleep enters.

The F7 is the platform's power controller (peripherals/ports.py PowerControl) and the F7 clock
tree's regulator (peripherals/rcc_f7.py Regulator). CR1.VOS selects the scale (01 scale 3,
10 scale 2, 11 scale 1; reset scale 1, RM0385 4.4.1); over-drive is entered with CR1.ODEN
(-> CSR1.ODRDY) then CR1.ODSWEN (-> CSR1.ODSWRDY), the sequence of RM0385 4.1.4 "Entering
Over-drive mode". Each handshake completes after a settling time that is assumed (the F746
datasheet DS10916 was not available offline). WFI with SLEEPDEEP enters Standby when CR1.PDDS
is set, else Stop (RM0385 4.3.5, 4.3.6).
"""

from __future__ import annotations

from .base import RO, Field, Peripheral, Register

SETTLE_S = 20e-6          # ODEN -> ODRDY, ODSWEN -> ODSWRDY, VOS -> VOSRDY (assumed)
_VOS_SCALE = {0: 3, 1: 3, 2: 2, 3: 1}   # CR1.VOS: 00 reserved (scale 3), 01 3, 10 2, 11 1


class PWR_F7(Peripheral):
    """Voltage scale, over-drive handshake, low-power mode selection, backup access."""

    registers = (
        # 4.4.1 PWR_CR1, reset 0x0000 C000 (VOS = 11: scale 1).
        Register("CR1", 0x00, (
            # PVD (PVDE, PLS), under-drive (LPUDS, MRUDS, UDEN), ADCDC1: declared, not modelled
            Field("LPDS", 0), Field("PDDS", 1), Field("CSBF", 3),
            Field("PVDE", 4, modelled=False), Field("PLS", 5, 3, modelled=False),
            Field("DBP", 8), Field("FPDS", 9), Field("LPUDS", 10, modelled=False),
            Field("MRUDS", 11, modelled=False), Field("ADCDC1", 13, modelled=False),
            Field("VOS", 14, 2, reset=3), Field("ODEN", 16), Field("ODSWEN", 17),
            Field("UDEN", 18, 2, modelled=False),
        )),
        # 4.4.2 PWR_CSR1, reset 0.
        Register("CSR1", 0x04, (
            Field("WUIF", 0, access=RO), Field("SBF", 1, access=RO), Field("PVDO", 2, access=RO),
            Field("BRR", 3, access=RO), Field("EIWUP", 8), Field("BRE", 9),
            Field("VOSRDY", 14, access=RO), Field("ODRDY", 16, access=RO),
            Field("ODSWRDY", 17, access=RO), Field("UDRDY", 18, 2, access=RO),
        )),
        # 4.4.3 PWR_CR2 / 4.4.4 PWR_CSR2 (wake-up pins), stored.
        Register("CR2", 0x08), Register("CSR2", 0x0C),
    )
    bus_clock = "pclk1"   # APB1
    outputs = ("vos_changed",)

    def __init__(self, name: str, base: int, size: int, ctx, **params: object) -> None:
        self._vos = 1
        self._overdrive = False
        super().__init__(name, base, size, ctx, **params)

    def reset(self) -> None:
        self.cancel_pending()
        self._vos = 1
        self._overdrive = False
        super().reset()

    # --- PowerControl / Regulator ---------------------------------------------------------
    @property
    def vos(self) -> int:
        """The voltage scale (1..3) in force."""
        return self._vos

    @property
    def overdrive(self) -> bool:
        """Over-drive switched in (CSR1.ODSWRDY)."""
        return self._overdrive

    def stop_mode(self) -> str:
        return "standby" if self.get_field("CR1", "PDDS") else "stop"

    def entered_stop(self) -> None:
        """Nothing to flag: the F7 has no STOPF (RM0385 4.4.2)."""

    def left_standby(self) -> None:
        self.set_field("CSR1", "SBF", 1)

    def keeps_backup_sram(self) -> bool:
        """CSR1.BRE: the backup regulator keeps backup SRAM in Standby (RM0385 4.4.2)."""
        return bool(self.get_field("CSR1", "BRE"))

    def backup_writable(self) -> bool:
        return bool(self.get_field("CR1", "DBP"))

    def power_state(self) -> dict[str, object]:
        """Flash powered down in Stop (CR1.FPDS) and Standby selection (CR1.PDDS); the F7 has
        no Stop voltage scale (svos)."""
        return {"flash_low_power": bool(self.get_field("CR1", "FPDS")),
                "pdds": 0b111 if self.get_field("CR1", "PDDS") else 0}

    def system_reset(self) -> None:
        """CSR1.SBF survives the reset that ends Standby (cleared by CR1.CSBF)."""
        sbf = self.get_field("CSR1", "SBF")
        self.reset()
        self.set_field("CSR1", "SBF", sbf)

    # --- register behaviour -------------------------------------------------------------------
    def on_write_CR1(self, old: int, new: int) -> None:
        cr1 = self._by_name["CR1"]
        if new & cr1.field("CSBF").mask:
            self.set_field("CSR1", "SBF", 0)
            self.set_field("CR1", "CSBF", 0)
        if (old ^ new) & cr1.field("VOS").mask:
            if self.get_field("CR1", "VOS") == 0:
                self.ctx.log("warning: PWR: CR1.VOS=00 is reserved (RM0385 4.4.1); scale 3")
            self.set_field("CSR1", "VOSRDY", 0)
            self.after(SETTLE_S, "vos", self._vos_ready)
        oden, odswen = self.get_field("CR1", "ODEN"), self.get_field("CR1", "ODSWEN")
        if oden and not self.get_field("CSR1", "ODRDY"):
            self.after(SETTLE_S, "od", lambda: self.set_field("CSR1", "ODRDY", 1))
        if odswen and not oden:
            self.ctx.log("warning: PWR: ODSWEN set without ODEN: over-drive is entered by "
                         "ODEN, ODRDY, then ODSWEN (RM0385 4.1.4)")
        if odswen and oden and not self.get_field("CSR1", "ODSWRDY"):
            self.after(SETTLE_S, "odsw", self._od_switched)
        if not oden or not odswen:
            if not oden:
                self.cancel_pending("od")
                self.set_field("CSR1", "ODRDY", 0)
            self.cancel_pending("odsw")
            self.set_field("CSR1", "ODSWRDY", 0)
            self._set(self._vos, False)

    def _vos_ready(self) -> None:
        self.set_field("CSR1", "VOSRDY", 1)
        self._set(_VOS_SCALE[self.get_field("CR1", "VOS")], self._overdrive)

    def _od_switched(self) -> None:
        if not self.get_field("CSR1", "ODRDY"):
            self.ctx.log("warning: PWR: ODSWEN before ODRDY: over-drive not switched in")
            return
        self.set_field("CSR1", "ODSWRDY", 1)
        self._set(self._vos, True)

    def _set(self, vos: int, overdrive: bool) -> None:
        if (vos, overdrive) == (self._vos, self._overdrive):
            return
        self._vos, self._overdrive = vos, overdrive
        if self.clocks is not None:
            self.clocks.check_operating_point()
        self.vos_changed.emit()


MODEL = PWR_F7
