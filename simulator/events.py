"""The event queue: everything that happens at a point in simulated time, ordered by cycle."""

from __future__ import annotations

import heapq
import itertools
from dataclasses import dataclass, field
from typing import Callable


@dataclass(order=True)
class Event:
    cycle: int
    seq: int
    callback: Callable[[int], None] = field(compare=False)
    cancelled: bool = field(default=False, compare=False)


class EventQueue:
    """A min-heap of events by (cycle, insertion order). Cancelled events are dropped lazily."""

    def __init__(self) -> None:
        self._heap: list[Event] = []
        self._seq = itertools.count()
        self._live: dict[int, Event] = {}

    def schedule(self, cycle: int, callback: Callable[[int], None]) -> int:
        ev = Event(int(cycle), next(self._seq), callback)
        heapq.heappush(self._heap, ev)
        self._live[ev.seq] = ev
        return ev.seq

    def cancel(self, handle: int) -> None:
        ev = self._live.pop(handle, None)
        if ev is not None:
            ev.cancelled = True

    def next_cycle(self) -> int | None:
        while self._heap and self._heap[0].cancelled:
            heapq.heappop(self._heap)
        return self._heap[0].cycle if self._heap else None

    def pop_due(self, now: int) -> list[Event]:
        """Remove and return the events due at or before ``now``, in order."""
        due = []
        while self._heap and (self._heap[0].cancelled or self._heap[0].cycle <= now):
            ev = heapq.heappop(self._heap)
            if not ev.cancelled:
                self._live.pop(ev.seq, None)
                due.append(ev)
        return due

    def __len__(self) -> int:
        return len(self._live)


class TimeQueue:
    """Events of the clocks that keep running while the core domain is stopped (LSE, LSI:
    RTC, LPTIM), keyed by simulated *seconds*, not core cycles.

    The core-cycle :class:`EventQueue` holds everything clocked from the core domain (SysTick,
    DMA, SAI, USART, PLL and regulator delays): in Stop and Standby no core cycle passes, so
    those events neither fire nor move, and resume where they were, shifted by the time spent
    stopped. While the core runs, the machine maps each of these events onto the core cycle at
    which it falls (the mapping depends on the core clock of the moment, so it is recomputed at
    every event rather than stored). Handles are negative so that one ``cancel`` serves both
    queues."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int]] = []
        self._seq = itertools.count(1)
        self._live: dict[int, tuple[float, Callable[[float], None]]] = {}

    def schedule(self, seconds: float, callback: Callable[[float], None]) -> int:
        seq = next(self._seq)
        heapq.heappush(self._heap, (float(seconds), seq))
        self._live[seq] = (float(seconds), callback)
        return -seq

    def cancel(self, handle: int) -> None:
        self._live.pop(-handle, None)

    def next_time(self) -> float | None:
        while self._heap and self._heap[0][1] not in self._live:
            heapq.heappop(self._heap)
        return self._heap[0][0] if self._heap else None

    def pop_due(self, seconds: float) -> list[tuple[float, Callable[[float], None]]]:
        """Remove and return (time, callback) of the events due at or before ``seconds``."""
        due = []
        while self._heap and (self._heap[0][1] not in self._live or self._heap[0][0] <= seconds):
            _, seq = heapq.heappop(self._heap)
            ev = self._live.pop(seq, None)
            if ev is not None:
                due.append(ev)
        return due

    def __len__(self) -> int:
        return len(self._live)
