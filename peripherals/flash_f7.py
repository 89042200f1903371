"""Embedded flash interface of the STM32F74x/75x (RM0385 Rev 8, section 3): read latency,
ART accelerator and prefetch enables, and the unlock sequence.

FLASH_ACR.LATENCY is the number of wait states in HCLK cycles; the platform's flash
interface port (peripherals/ports.py FlashInterface) publishes it and checks it against
RM0385 Table 5 ("Number of wait states according to CPU clock (HCLK) frequency", 2.7-3.6 V).
"""

from __future__ import annotations

from . import operating
from .base import RO, W1C, WO, Field, Peripheral, Register

KEY1, KEY2 = 0x45670123, 0xCDEF89AB          # RM0385 3.7.2 FLASH_KEYR


class FLASH_F7(operating.WaitStateCheck, Peripheral):
    """ACR (latency, ART, prefetch), KEYR/CR lock, SR flags."""

    registers = (
        # 3.7.1 FLASH_ACR, reset 0.
        Register("ACR", 0x00, (Field("LATENCY", 0, 4), Field("PRFTEN", 8), Field("ARTEN", 9),
                               Field("ARTRST", 11))),
        # 3.7.2 FLASH_KEYR / 3.7.3 FLASH_OPTKEYR: write-only.
        Register("KEYR", 0x04, access=WO, reset=0),
        Register("OPTKEYR", 0x08, access=WO, reset=0),
        # 3.7.4 FLASH_SR: EOP, OPERR, WRPERR, PGAERR, PGPERR, ERSERR (rc_w1), BSY.
        Register("SR", 0x0C, (Field("EOP", 0, access=W1C), Field("OPERR", 1, access=W1C),
                              Field("WRPERR", 4, access=W1C), Field("PGAERR", 5, access=W1C),
                              Field("PGPERR", 6, access=W1C), Field("ERSERR", 7, access=W1C),
                              Field("BSY", 16, access=RO))),
        # 3.7.5 FLASH_CR, reset 0x8000 0000 (LOCK).
        Register("CR", 0x10, (Field("PG", 0), Field("SER", 1), Field("MER", 2),
                              Field("SNB", 3, 4), Field("PSIZE", 8, 2), Field("STRT", 16),
                              Field("EOPIE", 24), Field("ERRIE", 25), Field("LOCK", 31,
                                                                          reset=1))),
        # 3.7.6/3.7.7 option control registers: factory values (ST's SVD reset values).
        Register("OPTCR", 0x14, reset=0x0FFFAAED), Register("OPTCR1", 0x18, reset=0x0FFF0000),
    )
    bus_clock = "hclk"   # AHB1

    def __init__(self, name: str, base: int, size: int, ctx, **params: object) -> None:
        self._key_step = 0
        self.operating = operating.from_params(params, "stm32f746")
        super().__init__(name, base, size, ctx, **params)

    def reset(self) -> None:
        self._key_step = 0
        super().reset()

    @property
    def latency(self) -> int:
        """Read wait states (FLASH_ACR.LATENCY), in HCLK cycles."""
        return self.get_field("ACR", "LATENCY")

    def on_write_ACR(self, old: int, new: int) -> None:
        if self.clocks is not None:
            self.clocks.check_operating_point()

    def on_write_KEYR(self, old: int, new: int) -> None:
        """KEY1 then KEY2 clears CR.LOCK; a wrong key locks until reset (RM0385 3.7.2)."""
        if self._key_step == 0 and new == KEY1:
            self._key_step = 1
        elif self._key_step == 1 and new == KEY2:
            self._key_step = 0
            self.set_field("CR", "LOCK", 0)
        else:
            self._key_step = 2
            self.ctx.log("warning: FLASH: wrong KEYR sequence: CR locked until reset")
        self.set_reg("KEYR", 0)

    def write(self, offset: int, size: int, value: int) -> None:
        if offset & ~3 == 0x10 and self.get_field("CR", "LOCK"):
            if value >> 31 & 1 and not value & 0x7FFFFFFF:
                return                       # writing LOCK while locked: nothing to do
            self.ctx.log(f"warning: FLASH: CR write {value:#x} ignored while locked")
            return
        super().write(offset, size, value)


MODEL = FLASH_F7
