"""Interrupt lines driven by more than one block (RM0433 Table 145: TIM8_BRK_TIM12,
TIM8_UP_TIM13, TIM8_TRG_COM_TIM14 carry TIM8's and TIM12-14's requests): the NVIC sees the OR
of the levels its sources drive."""

from __future__ import annotations


class IrqLines:
    """Wired-OR of named sources per NVIC line. A source is a block name; callers that do not
    name one share the anonymous source ``""``."""

    def __init__(self) -> None:
        self._high: dict[int, set[str]] = {}

    def drive(self, irq: int, source: str, level: bool) -> bool:
        """``source`` drives line ``irq`` to ``level``; returns the line's level (the OR)."""
        high = self._high.setdefault(irq, set())
        if level:
            high.add(source)
        else:
            high.discard(source)
        return bool(high)
