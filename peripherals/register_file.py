"""A block whose registers are plain storage: written values read back, nothing else happens.

For blocks whose settings have no effect the simulator could show, declared from the chip's
register file (the SVD): the AXI interconnect's GPV window (RM0433 2.2.3: QoS and
arbitration settings; ST's SystemInit writes AXI_TARG7_FN_MOD at 0x51008108 on silicon rev Y,
errata ES0392 2.2.9, and must not fault). Read-only registers keep their reset value; a
write-only register reads 0. Accesses to offsets the SVD does not declare are logged.
"""

from __future__ import annotations

from .base import RO, RW, WO, Peripheral, Register

_ACCESS = {"r": RO, "w": WO, "rw": RW}


class RegisterFile(Peripheral):
    def __init__(self, name: str, base: int, size: int, ctx, **params: object) -> None:
        declared = params.get("declared", ()) or ()
        # per instance: the registers come from the platform (SVD), not from the class
        self.registers = tuple(Register(d.name, d.offset, access=_ACCESS.get(d.access, RW),
                                        reset=d.reset) for d in declared)
        super().__init__(name, base, size, ctx, **params)


MODEL = RegisterFile
