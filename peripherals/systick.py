"""SysTick, the Cortex-M7 system timer (ARMv7-M ARM B3.3; PM0253 4.5).

The counter is not stepped: its value is a function of ``ctx.now()`` from an anchor (cycle,
value) taken at the last configuration change, so reading CVR costs nothing and is exact to the
cycle. One event is scheduled per wrap (the 1 -> 0 transition), which sets COUNTFLAG and, with
TICKINT, pends exception 15. Clock: the processor clock with CLKSOURCE = 1, the external
reference (processor clock / 8 on the STM32H7, RM0433 8.5.6 / Figure 51) with CLKSOURCE = 0;
both are whole numbers of core cycles, so core frequency changes need no special handling.
"""

from __future__ import annotations

from .base import RO, Field, Peripheral, Register

SYSTICK_EXCEPTION = 15
EXTERNAL_DIVIDER = 8      # RM0433 8.5.6: SysTick external clock = CPU clock / 8


class SysTick(Peripheral):
    """24-bit down counter with reload, COUNTFLAG and the SysTick exception."""

    registers = (
        # B3.3.3 SYST_CSR, reset 0x0000 0000 (a reference clock exists, so CLKSOURCE resets 0).
        Register("CSR", 0x0, (Field("ENABLE", 0), Field("TICKINT", 1), Field("CLKSOURCE", 2),
                              Field("COUNTFLAG", 16, access=RO))),
        # B3.3.4 SYST_RVR, reset UNKNOWN (modelled as 0).
        Register("RVR", 0x4, (Field("RELOAD", 0, 24),)),
        # B3.3.5 SYST_CVR, reset UNKNOWN (modelled as 0); any write clears it and COUNTFLAG.
        Register("CVR", 0x8, (Field("CURRENT", 0, 24),)),
        # B3.3.6 SYST_CALIB: NOREF = 0 (reference provided), SKEW = 1, TENMS = 0 (calibration
        # not given). PM0253 calls the value product-dependent; this value is assumed.
        Register("CALIB", 0xC, (Field("TENMS", 0, 24, RO), Field("SKEW", 30, access=RO, reset=1),
                                Field("NOREF", 31, access=RO))),
    )
    bus_clock = "cpu"

    def __init__(self, name: str, base: int, size: int, ctx, **params: object) -> None:
        self._event: int | None = None
        super().__init__(name, base, size, ctx, **params)

    def reset(self) -> None:
        if getattr(self, "_event", None) is not None:
            self.ctx.cancel(self._event)
        self._event = None
        self._running = False
        self._anchor = 0          # core cycle of a tick boundary
        self._anchor_value = 0    # counter value at that boundary
        self._div = EXTERNAL_DIVIDER
        self._reload = 0
        self._next_zero: int | None = None
        super().reset()

    # --- the counter as a function of time -----------------------------------------------------
    def value_at(self, cycle: int) -> int:
        """Counter value at core cycle ``cycle`` (>= the last anchor)."""
        if not self._running:
            return self.reg("CVR") & 0xFFFFFF
        t = (cycle - self._anchor) // self._div
        v = self._anchor_value
        if t == 0:
            return v
        if self._reload == 0:
            return max(v - t, 0)
        if v > 0 and t <= v:
            return v - t
        period = self._reload + 1
        k = (t - v) % period          # ticks since the last 0
        return 0 if k == 0 else period - k

    def _first_zero_tick(self) -> int | None:
        if self._anchor_value > 0:
            return self._anchor_value
        return self._reload + 1 if self._reload else None

    def _reanchor(self, cycle: int) -> None:
        """Restart the closed form at the last tick boundary before ``cycle``."""
        value = self.value_at(cycle)
        if self._running:
            self._anchor += (cycle - self._anchor) // self._div * self._div
        else:
            self._anchor = cycle
        self._anchor_value = value

    def _plan(self) -> None:
        """Find the next wrap; schedule an event for it only when it raises the exception
        (TICKINT). Without TICKINT nothing happens at a wrap that a read cannot work out
        (COUNTFLAG is caught up on the next CSR read), so a core that sleeps with SysTick
        counting but its interrupt off (HAL_SuspendTick) has nothing to wake it: the run ends
        idle instead of stepping from wrap to wrap."""
        if self._event is not None:
            self.ctx.cancel(self._event)
            self._event = None
        self._next_zero = None
        if not self._running:
            return
        z = self._first_zero_tick()
        if z is None:
            return
        self._next_zero = self._anchor + z * self._div
        if self.get_field("CSR", "TICKINT"):
            self._event = self.ctx.schedule(self._next_zero, self._on_event)

    def _catch_up(self) -> None:
        """Account for every wrap up to now (COUNTFLAG, exception) and plan the next one."""
        now = self.ctx.now()
        if self._next_zero is None or self._next_zero > now:
            return
        self.set_field("CSR", "COUNTFLAG", 1)
        if self.get_field("CSR", "TICKINT"):
            self.ctx.pend_exception(SYSTICK_EXCEPTION)
        # Re-anchor at the wrap itself (value 0), then skip any further wraps already passed.
        self._anchor, self._anchor_value = self._next_zero, 0
        period = (self._reload + 1) * self._div if self._reload else 0
        if period and now >= self._anchor + period:
            skipped = (now - self._anchor) // period
            self._anchor += skipped * period
        self._plan()

    def _on_event(self, _cycle: int) -> None:
        self._event = None
        self._catch_up()

    # --- register behaviour --------------------------------------------------------------------
    def on_read_CSR(self, value: int) -> int:
        self._catch_up()
        value = self.reg("CSR")
        self.set_field("CSR", "COUNTFLAG", 0)          # B3.3.3: COUNTFLAG clears on read
        return value

    def on_read_CVR(self, value: int) -> int:
        self._catch_up()
        return self.value_at(self.ctx.now())

    def on_write_CSR(self, old: int, new: int) -> None:
        self._catch_up()
        now = self.ctx.now()
        running, div = bool(new & 1), 1 if new & 4 else EXTERNAL_DIVIDER
        if running == self._running and div == self._div:
            if (old ^ new) & 2:
                self._plan()                           # TICKINT only: the count is unaffected
            return
        if self._running:
            self.set_reg("CVR", self.value_at(now))    # freeze (or restart with a new clock)
        self._running, self._div = running, div
        self._anchor = now
        self._anchor_value = self.reg("CVR") & 0xFFFFFF
        self._plan()

    def on_write_RVR(self, old: int, new: int) -> None:
        self._catch_up()
        self._reanchor(self.ctx.now())
        self._reload = new & 0xFFFFFF                  # used from the next reload on
        self._plan()

    def on_write_CVR(self, old: int, new: int) -> None:
        self._catch_up()
        self.set_reg("CVR", 0)
        self.set_field("CSR", "COUNTFLAG", 0)
        self._anchor, self._anchor_value = self.ctx.now(), 0
        self._plan()


MODEL = SysTick
