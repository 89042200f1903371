"""DCB, the debug control block of the Cortex-M7 (ARMv7-M ARM C1.6: DHCSR, DCRSR, DCRDR, DEMCR).

There is no debugger in the simulation: DHCSR only accepts writes carrying the DBGKEY and the
halting-debug bits stay off; DEMCR is fully writable and its TRCENA bit gates the DWT cycle
counter (its ``demcr_changed`` signal tells the DWT when it changes; models reach the DCB
through their ``debug`` port, peripherals/ports.py DebugControl).
"""

from __future__ import annotations


from .base import RO, WO, Field, Peripheral, Register

DBGKEY = 0xA05F   # C1.6.2: DHCSR writes are ignored unless bits 31:16 hold this key


class DCB(Peripheral):
    """Debug halting control and exception/monitor control."""

    registers = (
        # C1.6.2 DHCSR. After a reset S_RESET_ST reads 1 (cleared by the read); the rest 0.
        Register("DHCSR", 0x0, (
            Field("C_DEBUGEN", 0, access=RO), Field("C_HALT", 1), Field("C_STEP", 2),
            Field("C_MASKINTS", 3), Field("C_SNAPSTALL", 5),
            Field("S_REGRDY", 16, access=RO), Field("S_HALT", 17, access=RO),
            Field("S_SLEEP", 18, access=RO), Field("S_LOCKUP", 19, access=RO),
            Field("S_RETIRE_ST", 24, access=RO), Field("S_RESET_ST", 25, access=RO, reset=1),
        )),
        # C1.6.3 DCRSR, write-only.
        Register("DCRSR", 0x4, (Field("REGSEL", 0, 7, WO), Field("REGWnR", 16, access=WO))),
        # C1.6.4 DCRDR, reset UNKNOWN (modelled as 0).
        Register("DCRDR", 0x8),
        # C1.6.5 DEMCR, reset 0 (power-on reset).
        Register("DEMCR", 0xC, (
            Field("VC_CORERESET", 0), Field("VC_MMERR", 4), Field("VC_NOCPERR", 5),
            Field("VC_CHKERR", 6), Field("VC_STATERR", 7), Field("VC_BUSERR", 8),
            Field("VC_INTERR", 9), Field("VC_HARDERR", 10), Field("MON_EN", 16),
            Field("MON_PEND", 17), Field("MON_STEP", 18), Field("MON_REQ", 19),
            Field("TRCENA", 24),
        )),
    )
    bus_clock = "cpu"
    outputs = ("demcr_changed",)

    @property
    def trcena(self) -> bool:
        return bool(self.get_field("DEMCR", "TRCENA"))

    def write(self, offset: int, size: int, value: int) -> None:
        if offset & ~3 == 0x0:
            if size != 4 or (value >> 16) != DBGKEY:
                self.ctx.log(f"{self.name}: DHCSR write {value:#x} without DBGKEY ignored")
                return
            value &= 0xFFFF
        super().write(offset, size, value)

    def on_read_DHCSR(self, value: int) -> int:
        self.set_field("DHCSR", "S_RESET_ST", 0)
        return value

    def on_write_DCRSR(self, old: int, new: int) -> None:
        self.ctx.log(f"{self.name}: DCRSR register transfer outside Debug state ignored")

    def on_write_DEMCR(self, old: int, new: int) -> None:
        if (old ^ new) & (1 << 24):
            self.demcr_changed.emit()


MODEL = DCB
