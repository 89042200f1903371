"""WWDG, the window watchdog (RM0433 section 46; register layout from ST's SVD).

A 7-bit down-counter T[6:0] decremented every 4096 * 2**WDGTB cycles of its APB clock. Once
activated (CR.WDGA = 1, cleared only by a reset) it resets the chip when the counter goes from
0x40 to 0x3F (T6 clears), and when the firmware writes CR while the counter is still above the
window W[6:0] (a refresh too early). With CFR.EWI the early wake-up interrupt fires at 0x40
(SR.EWIF). WDGTB is bits 12:11 as in the SVD. The counter is a function of time: events only at
0x40 (EWI) and at the reset.

Clock: WWDG1 sits on APB3 in the D1 domain (RM0433 Figure 2), ``params['clock']`` names it
(default pclk3). Its time runs in core cycles (it stops with the D1 clocks in Stop mode).
"""

from __future__ import annotations

from .base import Field, Peripheral, Register

PRESCALER = 4096                  # RM0433 46.3: the counter clock is PCLK / 4096 / 2**WDGTB
EWI_VALUE = 0x40


class WWDG(Peripheral):
    registers = (
        Register("CR", 0x00, (Field("T", 0, 7, reset=0x7F), Field("WDGA", 7))),
        Register("CFR", 0x04, (Field("W", 0, 7, reset=0x7F), Field("EWI", 9),
                               Field("WDGTB", 11, 2))),
        # EWIF: set by hardware, cleared by writing 0 (rc_w0); writing 1 has no effect
        Register("SR", 0x08, (Field("EWIF", 0),)),
    )
    bus_clock = "pclk3"

    def __init__(self, name: str, base: int, size: int, ctx, **params: object) -> None:
        self._events: list[int] = []
        super().__init__(name, base, size, ctx, **params)
        self.clock = str(params.get("clock", "pclk3"))
        irqs = dict(params.get("irqs", {}))              # type: ignore[arg-type]
        self.irq = irqs.get("WWDG")
        self.reset_flag = str(params.get("reset_flag", f"{name}RSTF"))

    def reset(self) -> None:
        for h in getattr(self, "_events", []):
            self.ctx.cancel(h)
        self._events = []
        self._anchor = 0              # core cycle of the last counter write
        self._anchor_t = 0x7F
        self._period = 0              # core cycles per counter decrement (when active)
        super().reset()

    @property
    def active(self) -> bool:
        return bool(self.get_field("CR", "WDGA"))

    def _cycles_per_tick(self) -> int:
        core = self.ctx.clock_hz("cpu")
        pclk = self.ctx.clock_hz(self.clock) or core
        return max(1, round(PRESCALER * (1 << self.get_field("CFR", "WDGTB")) * core / pclk))

    def counter(self) -> int:
        """T[6:0] now."""
        if not self.active or not self._period:
            return self.get_field("CR", "T")
        ticks = (self.ctx.now() - self._anchor) // self._period
        return max(self._anchor_t - ticks, 0) & 0x7F

    def _restart(self, t: int) -> None:
        for h in self._events:
            self.ctx.cancel(h)
        self._events = []
        self._anchor, self._anchor_t = self.ctx.now(), t & 0x7F
        self._period = self._cycles_per_tick()
        if t < EWI_VALUE:                                 # T6 = 0 written: reset at once
            self._reset_chip(f"{self.name}: the counter was written with T6 = 0")
            return
        # reset when T goes 0x40 -> 0x3F: after (t - 0x3F) ticks
        self._events.append(self.ctx.schedule(self._anchor + (t - 0x3F) * self._period,
                                              self._expire))
        if self.get_field("CFR", "EWI") and t > EWI_VALUE:
            self._events.append(self.ctx.schedule(self._anchor + (t - EWI_VALUE) * self._period,
                                                  self._early_warning))

    def debug_halted(self, seconds: float) -> None:
        """The core was halted ``seconds`` by a debugger and DBGMCU_APB3FZ1.DBG_WWDG1 is 0: the
        counter kept going down (peripherals/dbgmcu.py); its reset or early warning comes now
        if the halt passed it."""
        if not self.active or not self._period or not self._events:
            return
        now = self.ctx.now()
        ewi_pending = self.get_field("CFR", "EWI") and self._anchor_t > EWI_VALUE and \
            self._anchor + (self._anchor_t - EWI_VALUE) * self._period > now
        for h in self._events:
            self.ctx.cancel(h)
        self._events = []
        self._anchor -= round(seconds * self.ctx.clock_hz("cpu"))
        t = self._anchor_t
        self._events.append(self.ctx.schedule(
            max(self._anchor + (t - 0x3F) * self._period, now), self._expire))
        if ewi_pending:
            self._events.append(self.ctx.schedule(
                max(self._anchor + (t - EWI_VALUE) * self._period, now), self._early_warning))

    def _early_warning(self, _cycle: int) -> None:
        self.set_field("SR", "EWIF", 1)
        if self.irq is not None:
            self.ctx.set_irq(self.irq, True)

    def _expire(self, _cycle: int) -> None:
        self._reset_chip(f"{self.name} watchdog timeout (counter reached 0x3F without a "
                         "refresh)")

    def _reset_chip(self, why: str) -> None:
        for h in self._events:
            self.ctx.cancel(h)
        self._events = []
        self.ctx.request_reset(why, self.reset_flag)

    def on_read_CR(self, value: int) -> int:
        return (value & 0x80) | self.counter()

    def on_write_CR(self, old: int, new: int) -> None:
        was_active = bool(old & 0x80)
        if was_active:
            new |= 0x80                                   # WDGA is cleared only by a reset
            self.set_reg("CR", new)
            window = self.get_field("CFR", "W")
            if self.counter() > window:
                self._reset_chip(f"{self.name} refreshed outside its window "
                                 f"(counter {self.counter():#x} > W {window:#x})")
                return
        if new & 0x80:
            self._restart(new & 0x7F)

    def on_write_SR(self, old: int, new: int) -> None:
        # rc_w0: writing 0 clears EWIF, writing 1 leaves it
        self.set_reg("SR", old & new)
        if not new & 1 and self.irq is not None:
            self.ctx.set_irq(self.irq, False)

    def on_write_CFR(self, old: int, new: int) -> None:
        if self.active:
            self._restart(self.counter())                 # a new time base from now on


MODEL = WWDG

