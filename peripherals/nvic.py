"""NVIC registers (ARMv7-M ARM B3.4.3): a register view onto the exception engine's state.

The machine sets ``engine`` (a simulator.exceptions.ExceptionEngine) after construction; the
engine owns enable/pending/active state and priorities so the core and the registers agree.
"""

from __future__ import annotations

from .base import Peripheral

ISER, ICER, ISPR, ICPR, IABR, IPR = 0x000, 0x080, 0x100, 0x180, 0x200, 0x300


class Nvic(Peripheral):
    registers = ()

    engine = None  # set by the machine

    def _bits(self, word: int, which: str) -> int:
        e = self.engine
        value = 0
        for bit in range(32):
            irq = word * 32 + bit
            if irq >= e.n_irqs:
                break
            if which == "enable" and irq in e.enabled_irq:
                value |= 1 << bit
            elif which == "pending" and (16 + irq) in e.pending:
                value |= 1 << bit
            elif which == "active" and (16 + irq) in e.active:
                value |= 1 << bit
        return value

    def read(self, offset: int, size: int) -> int:
        e = self.engine
        if IPR <= offset < IPR + e.n_irqs:
            raw = 0
            for i in range(size):
                if offset + i - IPR < e.n_irqs:
                    raw |= e.irq_priority[offset + i - IPR] << (8 * i)
            return raw
        word = (offset & 0x7F) >> 2
        shift = (offset & 3) * 8
        kind = {ISER: "enable", ICER: "enable", ISPR: "pending", ICPR: "pending",
                IABR: "active"}.get(offset & ~0x7F)
        if kind is None:
            self.ctx.log(f"NVIC: read of unimplemented offset {offset:#x}")
            return 0
        return (self._bits(word, kind) >> shift) & ((1 << (8 * size)) - 1)

    def write(self, offset: int, size: int, value: int) -> None:
        e = self.engine
        if IPR <= offset < IPR + e.n_irqs:
            for i in range(size):
                n = offset + i - IPR
                if n < e.n_irqs:
                    e.irq_priority[n] = ((value >> (8 * i)) & 0xFF) & e.priority_mask
            return
        block = offset & ~0x7F
        word = (offset & 0x7F) >> 2
        value = value << ((offset & 3) * 8)
        for bit in range(32):
            if not value >> bit & 1:
                continue
            irq = word * 32 + bit
            if irq >= e.n_irqs:
                break
            if block == ISER:
                e.enabled_irq.add(irq)
            elif block == ICER:
                e.enabled_irq.discard(irq)
            elif block == ISPR:
                e.set_pending(16 + irq)
            elif block == ICPR:
                if not e.irq_level.get(irq):
                    e.clear_pending(16 + irq)
            else:
                self.ctx.log(f"NVIC: write to read-only offset {offset:#x}")


class Stir(Peripheral):
    """Software trigger interrupt register at 0xE000EF00 (write INTID to pend it)."""

    registers = ()
    engine = None

    def read(self, offset: int, size: int) -> int:
        return 0

    def write(self, offset: int, size: int, value: int) -> None:
        irq = value & 0x1FF
        if irq < self.engine.n_irqs:
            self.engine.set_pending(16 + irq)


MODEL = Nvic
