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
