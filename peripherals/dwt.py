"""DWT, the data watchpoint and trace unit of the Cortex-M7 (ARMv7-M ARM C1.8).

CYCCNT counts core cycles while DWT_CTRL.CYCCNTENA and DCB DEMCR.TRCENA are both set; like
SysTick it is computed from ``ctx.now()`` and an anchor, never stepped. The other profiling
counters (CPICNT, EXCCNT, SLEEPCNT, LSUCNT, FOLDCNT) are declared and writable but do not count,
comparators are declared but never match, and PCSR reads 0xFFFFFFFF (no PC sample).
Without a DCB in the machine, TRCENA is taken as set.
The Cortex-M7 DWT has a CoreSight software lock: until 0xC5ACCE55 is written to LAR, writes to
the other registers are ignored (Cortex-M7 TRM 3.4; LSR.SLK reads 1 while locked).
"""

from __future__ import annotations

from .base import RO, WO, Field, Peripheral, Register

UNLOCK_KEY = 0xC5ACCE55
_LAR, _LSR = 0xFB0, 0xFB4


class DWT(Peripheral):
    """Cycle counter, profiling counters, comparators and ID registers."""

    registers = (
        # C1.8.7 DWT_CTRL, Cortex-M7 reset 0x4000 0000: NUMCOMP = 4, all features present.
        Register("CTRL", 0x000, (
            Field("CYCCNTENA", 0), Field("POSTPRESET", 1, 4), Field("POSTINIT", 5, 4),
            Field("CYCTAP", 9), Field("SYNCTAP", 10, 2), Field("PCSAMPLENA", 12),
            Field("EXCTRCENA", 16), Field("CPIEVTENA", 17), Field("EXCEVTENA", 18),
            Field("SLEEPEVTENA", 19), Field("LSUEVTENA", 20), Field("FOLDEVTENA", 21),
            Field("CYCEVTENA", 22), Field("NOPRFCNT", 24, access=RO),
            Field("NOCYCCNT", 25, access=RO), Field("NOEXTTRIG", 26, access=RO),
            Field("NOTRCPKT", 27, access=RO), Field("NUMCOMP", 28, 4, RO, reset=4),
        )),
        # C1.8.8 DWT_CYCCNT, reset UNKNOWN (modelled as 0).
        Register("CYCCNT", 0x004),
        # C1.8.9 .. C1.8.13 8-bit profiling counters (not counting here), reset UNKNOWN -> 0.
        Register("CPICNT", 0x008, (Field("CPICNT", 0, 8),)),
        Register("EXCCNT", 0x00C, (Field("EXCCNT", 0, 8),)),
        Register("SLEEPCNT", 0x010, (Field("SLEEPCNT", 0, 8),)),
        Register("LSUCNT", 0x014, (Field("LSUCNT", 0, 8),)),
        Register("FOLDCNT", 0x018, (Field("FOLDCNT", 0, 8),)),
        # C1.8.14 DWT_PCSR: reads 0xFFFFFFFF when no PC sample is available.
        Register("PCSR", 0x01C, access=RO, reset=0xFFFFFFFF),
        # C1.8.15 .. C1.8.17 comparators 0..3: COMPn, MASKn, FUNCTIONn, reset 0.
        *(reg for n in range(4) for reg in (
            Register(f"COMP{n}", 0x020 + 16 * n),
            Register(f"MASK{n}", 0x024 + 16 * n, (Field("MASK", 0, 5),)),
            Register(f"FUNCTION{n}", 0x028 + 16 * n, (
                Field("FUNCTION", 0, 4), Field("EMITRANGE", 5), Field("CYCMATCH", 7),
                Field("DATAVMATCH", 8), Field("LNK1ENA", 9, access=RO),
                Field("DATAVSIZE", 10, 2), Field("DATAVADDR0", 12, 4), Field("DATAVADDR1", 16, 4),
                Field("MATCHED", 24, access=RO),
            )),
        )),
        # CoreSight lock access / lock status (Cortex-M7 TRM 3.4): LSR = SLI | SLK at reset.
        Register("LAR", _LAR, access=WO, reset=0),
        Register("LSR", _LSR, (Field("SLI", 0, access=RO, reset=1),
                               Field("SLK", 1, access=RO, reset=1),
                               Field("nTT", 2, access=RO))),
        # Peripheral / component ID registers (Cortex-M7 TRM, DWT identification values):
        # PIDR4 0x04, PIDR0 0x02, PIDR1 0xB0, PIDR2 0x3B (revision field assumed),
        # CIDR 0xB105E00D.
        Register("PIDR4", 0xFD0, access=RO, reset=0x04),
        Register("PIDR5", 0xFD4, access=RO, reset=0x00),
        Register("PIDR6", 0xFD8, access=RO, reset=0x00),
        Register("PIDR7", 0xFDC, access=RO, reset=0x00),
        Register("PIDR0", 0xFE0, access=RO, reset=0x02),
        Register("PIDR1", 0xFE4, access=RO, reset=0xB0),
        Register("PIDR2", 0xFE8, access=RO, reset=0x3B),
        Register("PIDR3", 0xFEC, access=RO, reset=0x00),
        Register("CIDR0", 0xFF0, access=RO, reset=0x0D),
        Register("CIDR1", 0xFF4, access=RO, reset=0xE0),
        Register("CIDR2", 0xFF8, access=RO, reset=0x05),
        Register("CIDR3", 0xFFC, access=RO, reset=0xB1),
    )
    bus_clock = "cpu"

    def __init__(self, name: str, base: int, size: int, ctx, **params: object) -> None:
        self._dcb = None
        self._counting = False
        self._anchor = 0
        self._base_count = 0
        super().__init__(name, base, size, ctx, **params)

    def reset(self) -> None:
        self._counting = False
        self._anchor = 0
        self._base_count = 0
        super().reset()

    # --- cycle counter -------------------------------------------------------------------------
    @property
    def locked(self) -> bool:
        return bool(self.get_field("LSR", "SLK"))

    def cyccnt(self) -> int:
        """CYCCNT at the current cycle."""
        elapsed = self.ctx.now() - self._anchor if self._counting else 0
        return (self._base_count + elapsed) & 0xFFFFFFFF

    def _trcena(self) -> bool:
        dcb = self._attach()
        return True if dcb is None else bool(dcb.trcena)

    def _attach(self):
        """Find the DCB and subscribe to DEMCR changes (once). Until the DWT is first touched,
        CYCCNTENA is 0, so TRCENA changes before then cannot matter."""
        if self._dcb is None:
            dcb = self.debug
            if dcb is not None:
                dcb.demcr_changed.connect(self._resync)
                self._dcb = dcb
        return self._dcb

    def _resync(self) -> None:
        """Freeze the count at now and restart it if it should run."""
        self._base_count = self.cyccnt()
        self._anchor = self.ctx.now()
        self._counting = bool(self.get_field("CTRL", "CYCCNTENA")) and self._trcena()

    # --- bus side ------------------------------------------------------------------------------
    def read(self, offset: int, size: int) -> int:
        self._attach()
        return super().read(offset, size)

    def write(self, offset: int, size: int, value: int) -> None:
        self._attach()
        if offset & ~3 != _LAR and self.locked:
            self.ctx.log(f"{self.name}: write {value:#x} to +{offset:#x} ignored: DWT is locked "
                         f"(write {UNLOCK_KEY:#x} to LAR first)")
            return
        super().write(offset, size, value)

    def on_read_CYCCNT(self, value: int) -> int:
        return self.cyccnt()

    def on_write_CYCCNT(self, old: int, new: int) -> None:
        self._base_count = new & 0xFFFFFFFF
        self._anchor = self.ctx.now()

    def on_write_CTRL(self, old: int, new: int) -> None:
        self._resync()

    def on_write_LAR(self, old: int, new: int) -> None:
        self.set_field("LSR", "SLK", 0 if new == UNLOCK_KEY else 1)
        self.set_reg("LAR", 0)


MODEL = DWT
