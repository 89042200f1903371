"""DBGMCU (RM0433 60.5.8): the device identification code that firmware reads to learn the
silicon revision (rev V allows 480 MHz at VOS0), and the debug freeze/low-power registers.

Freeze bits (platform ``freeze``: block -> "REGISTER.bit"): while a debugger holds the core
halted, the simulated clock does not move, so every block is frozen unless told otherwise.
:meth:`Dbgmcu.halted` is what the gdb stub calls when the core resumes after a halt of
``seconds``: on silicon the blocks whose freeze bit is 0 (the reset state) kept counting, so
each of them that can (``debug_halted(seconds)``: TIMx, LPTIMx, IWDG, WWDG) catches up with
that time now; the frozen ones do not. The core's own SysTick and DWT stop with the core
(ARMv7-M C1.6)."""

from __future__ import annotations

from .base import RO, Field, Peripheral, Register

DEV_ID_H743 = 0x450
REV_ID = {"Y": 0x1003, "V": 0x2003}    # RM0433 60.5.8 DBGMCU_IDCODE REV_ID


class Dbgmcu(Peripheral):
    registers = (
        Register("IDCODE", 0x00, (Field("DEV_ID", 0, 12, RO), Field("REV_ID", 16, 16, RO))),
        Register("CR", 0x04, (Field("DBGSLEEP_D1", 0), Field("DBGSTOP_D1", 1),
                              Field("DBGSTBY_D1", 2), Field("D3DBGCKEN", 22),
                              Field("D1DBGCKEN", 21), Field("TRGOEN", 28))),
        Register("APB3FZ1", 0x34),
        Register("APB1LFZ1", 0x3C),
        Register("APB1HFZ1", 0x44),
        Register("APB2FZ1", 0x4C),
        Register("APB4FZ1", 0x54),
    )

    def frozen(self, block: str) -> bool:
        """The freeze bit of ``block`` is set (or the platform declares none for it)."""
        where = (self.params.get("freeze") or {}).get(block)
        if where is None:
            return True
        reg, _, bit = str(where).partition(".")
        return bool(self.reg(reg) >> int(bit) & 1)

    def halted(self, seconds: float, blocks: dict) -> list[str]:
        """The core was halted for ``seconds``: blocks not frozen run that time; returns
        their names."""
        ran = []
        for name, p in blocks.items():
            catch_up = getattr(p, "debug_halted", None)
            if catch_up is not None and seconds > 0 and not self.frozen(name):
                catch_up(seconds)
                ran.append(name)
        return ran

    def on_read_IDCODE(self, value: int) -> int:
        rev = str(self.params.get("revision") or
                  (self.params.get("chip") or {}).get("revision", "V"))
        return (REV_ID.get(rev, REV_ID["V"]) << 16) | DEV_ID_H743


MODEL = Dbgmcu
