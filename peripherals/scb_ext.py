"""ICTR and ACTLR at 0xE000E000 (ARMv7-M ARM B3.2.2, Cortex-M7 TRM 3.3.1)."""

from __future__ import annotations

from .base import RO, Peripheral, Register


class ScbExt(Peripheral):
    registers = (
        # ICTR.INTLINESNUM: (number of interrupt lines / 32) - 1 rounded up: 150 lines -> 4
        Register("ICTR", 0x04, access=RO, reset=4),
        Register("ACTLR", 0x08, reset=0),
    )


MODEL = ScbExt
