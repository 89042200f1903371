"""A latency probe: from a DMA interrupt to the core sleeping again (one audio block done)."""

from __future__ import annotations

from .base import Attachment


class DmaBlockLatency(Attachment):
    """Cycles from the entry of a DMA stream interrupt (taken from thread mode or while
    asleep, not tail-chained) to the next WFI/WFE: the time to process one block."""

    def __init__(self) -> None:
        self.latencies: list[int] = []
        self._start: int | None = None
        self._exceptions: set[int] = set()

    def attach(self, machine) -> None:
        self._exceptions = {16 + n for w in machine.platform.peripherals if w.model == "dma"
                            for n in w.irqs.values()}
        machine.exception_entered.connect(self._entered)
        machine.going_to_sleep.connect(self._slept)
        self._now = machine.now

    def _entered(self, number: int, started: int | None) -> None:
        if started is not None and number in self._exceptions and self._start is None:
            self._start = started

    def _slept(self) -> None:
        if self._start is not None:
            self.latencies.append(self._now() - self._start)
            self._start = None
