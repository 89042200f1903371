"""FPU context control and L1 cache maintenance (0xE000EF30..0xE000EF7F).

Cortex-M7 TRM 3.3 / 4.1 and ARMv7-M ARM B3.2.19-B3.2.25. Writes to the maintenance
operations are forwarded to listeners (the cache model); FPCCR drives lazy stacking. A machine
whose only listener is its own D-cache model serves DCIMVAC natively (Machine.
_native_cache_maintenance): those writes reach neither this class nor ``operations``.
"""

from __future__ import annotations

from typing import Callable

from .base import RO, WO, Field, Peripheral, Register

MAINTENANCE = {
    0x20: "ICIALLU", 0x28: "ICIMVAU", 0x2C: "DCIMVAC", 0x30: "DCISW", 0x34: "DCCMVAU",
    0x38: "DCCMVAC", 0x3C: "DCCSW", 0x40: "DCCIMVAC", 0x44: "DCCISW", 0x48: "BPIALL",
}


class FpuCache(Peripheral):
    registers = (
        # FPCCR reset: ASPEN | LSPEN (ARMv7-M ARM B3.2.20)
        Register("FPCCR", 0x04, (Field("LSPACT", 0), Field("USER", 1), Field("THREAD", 3),
                                 Field("HFRDY", 4), Field("MMRDY", 5), Field("BFRDY", 6),
                                 Field("MONRDY", 8), Field("LSPEN", 30, reset=1),
                                 Field("ASPEN", 31, reset=1))),
        Register("FPCAR", 0x08),
        Register("FPDSCR", 0x0C),
        Register("MVFR0", 0x10, access=RO, reset=0x10110221),   # FPv5 SP+DP (Cortex-M7 TRM 6.2)
        Register("MVFR1", 0x14, access=RO, reset=0x12000011),
        Register("MVFR2", 0x18, access=RO, reset=0x00000040),
        *(Register(name, off, access=WO) for off, name in MAINTENANCE.items()),
    )

    def __init__(self, *args, **kwargs) -> None:
        self.listeners: list[Callable[[str, int], None]] = []
        # called with (FPCCR, FPDSCR) after a write to either: a new FP context's defaults
        self.default_listeners: list[Callable[[int, int], None]] = []
        self.operations: dict[str, int] = {}
        super().__init__(*args, **kwargs)

    def on_write_FPCCR(self, old: int, new: int) -> None:
        self._defaults_written()

    def on_write_FPDSCR(self, old: int, new: int) -> None:
        self._defaults_written()

    def _defaults_written(self) -> None:
        for cb in self.default_listeners:
            cb(self.reg("FPCCR"), self.reg("FPDSCR"))

    def operation_address(self, name: str) -> int:
        """Bus address of a maintenance operation's register (``MAINTENANCE``)."""
        return self.base + next(off for off, op in MAINTENANCE.items() if op == name)

    def write(self, offset: int, size: int, value: int) -> None:
        name = MAINTENANCE.get(offset & ~3)
        if name is not None:
            self.operations[name] = self.operations.get(name, 0) + 1
            for cb in self.listeners:
                cb(name, value)
            return
        super().write(offset, size, value)


MODEL = FpuCache
