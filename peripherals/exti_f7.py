"""EXTI of the STM32F746 (RM0385 Rev 8, section 10.3).

The H743 EXTI's edge logic (exti.py) on 24 configurable lines: 0-15 GPIO, 16 PVD, 17 RTC
alarm, 18 OTG FS wake-up, 19 Ethernet wake-up, 20 OTG HS wake-up, 21 RTC tamper/time stamp,
22 RTC wake-up timer, 23 LPTIM1 (RM0385 10.2.5, "External interrupt/event line mapping"). Its
own register map IMR, EMR, RTSR, FTSR, SWIER, PR (10.3.7, all reset 0); no direct inputs. A
software trigger (SWIER 0 -> 1) sets the pending bit of a line whose interrupt is unmasked in
IMR and gives an event on a line unmasked in EMR (RM0385 10.3.5); Stop ends on a pending
unmasked line.
"""

from __future__ import annotations

from .base import W1C, Field, Register
from .exti import _ExtiCore

N_CONFIGURABLE_F7 = 24   # RM0385 10.2.5: lines 0..23


class EXTI_F7(_ExtiCore):
    """The F746's EXTI (RM0385 section 10.3): lines 0..23, one register set."""

    registers = (
        # RM0385 10.3.7 EXTI register map: IMR, EMR, RTSR, FTSR, SWIER, PR, all reset 0.
        Register("IMR", 0x00, (Field("MR", 0, N_CONFIGURABLE_F7),)),
        Register("EMR", 0x04, (Field("MR", 0, N_CONFIGURABLE_F7),)),
        Register("RTSR", 0x08, (Field("TR", 0, N_CONFIGURABLE_F7),)),
        Register("FTSR", 0x0C, (Field("TR", 0, N_CONFIGURABLE_F7),)),
        Register("SWIER", 0x10, (Field("SWIER", 0, N_CONFIGURABLE_F7),)),
        Register("PR", 0x14, (Field("PR", 0, N_CONFIGURABLE_F7, W1C),)),
    )
    N_CONFIGURABLE = N_CONFIGURABLE_F7
    RTSR, FTSR, SWIER, IMR, EMR, PR = "RTSR", "FTSR", "SWIER", "IMR", "EMR", "PR"

    def on_write_SWIER(self, old: int, new: int) -> None:
        # RM0385 10.3.5: writing 1 to a bit at 0 sets the pending bit of a line whose interrupt
        # is enabled in IMR (an interrupt request) and gives an event on a line enabled in EMR.
        fired = new & ~old
        pend = fired & self.reg("IMR")
        if pend:
            self._trigger(pend)
        if fired & self.reg("EMR") & ~pend:
            for listener in list(self.on_event):
                listener()

    def on_write_PR(self, old: int, new: int) -> None:
        self._pr_written(old, new)

    def on_write_IMR(self, old: int, new: int) -> None:
        self._imr_written(old, new)


MODEL = EXTI_F7
