"""Simulated time: core cycles, seconds, and the two event queues.

Cycles are the native counter's (``NativeCounter.cycles``). Seconds are the sum over clock
settings of cycles / core frequency: every core clock change rebases (``set_core_hz``), and
in Stop/Standby seconds advance with no core cycle (``jump_to``). Core-clocked events
(SysTick, DMA, SAI, USART, PLL and regulator delays) are keyed by cycle and frozen while the
core domain is off; low-power-domain events (RTC on LSE/LSI) are keyed by seconds and mapped
onto the core cycle at which they fall while the core runs (docs/architecture.md, Time).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .events import EventQueue, TimeQueue


class Timebase:
    """The clock of one machine: what time it is, and what happens when."""

    def __init__(self, counter) -> None:
        self.counter = counter                  # simulator.native.NativeCounter
        self.events = EventQueue()              # core-domain clocks: frozen in Stop / Standby
        self.lp_events = TimeQueue()            # LSE/LSI clocks (RTC): run in Stop / Standby
        self.core_hz = 0.0                      # set once the RCC model exists
        self.core_domain_on = True              # False in Stop / Standby
        self.sleep_cycles = 0                   # cycles the core slept (WFI/WFE)
        self._base_s = 0.0
        self._base_cycles = 0

    # --- what time it is ------------------------------------------------------------------
    def now(self) -> int:
        return self.counter.cycles

    def seconds(self) -> float:
        return self._base_s + (self.now() - self._base_cycles) / self.core_hz

    def cycle_at(self, seconds: float) -> int:
        """The core cycle at which simulated time ``seconds`` falls, at the current clock."""
        ahead = (seconds - self.seconds()) * self.core_hz
        return self.now() + max(0, int(np.ceil(ahead - 1e-3)))

    # --- what happens when ----------------------------------------------------------------
    def schedule(self, cycle: int, callback: Callable[[int], None]) -> int:
        handle = self.events.schedule(cycle, callback)
        self.counter.lower_deadline(cycle)              # the native hook stops there
        return handle

    def schedule_seconds(self, seconds: float, callback: Callable[[float], None]) -> int:
        """An event of a clock that runs in Stop/Standby (see events.TimeQueue)."""
        handle = self.lp_events.schedule(seconds, callback)
        if self.core_domain_on:
            self.counter.stop_soon()     # the run loop maps it onto a core cycle
        return handle

    def cancel(self, handle: int) -> None:
        """Cancel an event of either queue (TimeQueue handles are negative)."""
        if handle < 0:
            self.lp_events.cancel(handle)
        else:
            self.events.cancel(handle)

    def next_event_cycle(self) -> int | None:
        """The next event of either queue, as a core cycle."""
        nxt = self.events.next_cycle()
        t = self.lp_events.next_time()
        if t is not None:
            c = self.cycle_at(t)
            nxt = c if nxt is None else min(nxt, c)
        return nxt

    def run_due(self) -> None:
        """Fire the core events due by now, then the low-power-domain events due by now."""
        for ev in self.events.pop_due(self.now()):
            ev.callback(ev.cycle)
        horizon = self.seconds() + 2e-3 / self.core_hz
        for t, callback in self.lp_events.pop_due(horizon):
            callback(t)

    # --- how time passes ------------------------------------------------------------------
    def set_core_hz(self, hz: float) -> None:
        """The core clock changed now: seconds so far are kept, later cycles count at ``hz``."""
        if hz != self.core_hz:
            self._base_s = self.seconds()
            self._base_cycles = self.now()
            self.core_hz = hz

    def jump_to(self, seconds: float) -> None:
        """Stop/Standby: time passes with no core cycle."""
        now_s = self.seconds()
        if seconds > now_s:
            self._base_s += seconds - now_s

    def sleep_until(self, cycle: int) -> None:
        """The core sleeps (WFI/WFE) until ``cycle``: cycles pass, no instruction runs."""
        now = self.now()
        if cycle > now:
            self.sleep_cycles += cycle - now
            self.counter.add_sleep(cycle - now)

    def advance(self, cycles: int) -> None:
        """Cycles spent outside instructions (exception entry, wake-up latency)."""
        self.counter.cycles = self.counter.cycles + cycles
