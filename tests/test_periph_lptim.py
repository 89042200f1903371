"""LPTIM: reset values, period arithmetic at the LSE, compare match, prescaler, single shot.
Figures: RM0433 44.7 (ARR resets to 1) and counter arithmetic: with ARR = 32767 at 32,768 Hz
the ARR match comes once per second (the first after 32,767 counts from 0)."""

from __future__ import annotations

from peripherals.base import FakeContext
from peripherals.lptim import LPTIM

CPU = 64_000_000
LSE = 32_768
ISR, ICR, IER, CFGR, CR, CMP, ARR, CNT = 0x00, 0x04, 0x08, 0x0C, 0x10, 0x14, 0x18, 0x1C


def make() -> tuple[FakeContext, LPTIM]:
    ctx = FakeContext(clocks={"cpu": CPU, "lse": LSE})
    return ctx, LPTIM("LPTIM1", 0x40002400, 0x400, ctx, kernel_clock="lse", irqs={"LPTIM1": 93})


def start(t: LPTIM, arr: int, ier: int = 2, cfgr: int = 0) -> None:
    """What HAL_LPTIM_Counter_Start_IT does: configure, enable, ARR (wait ARROK), start."""
    t.write(CFGR, 4, cfgr)
    t.write(IER, 4, ier)
    t.write(CR, 4, 1)
    t.write(ARR, 4, arr)
    assert t.read(ISR, 4) & 0x10                 # ARROK
    t.write(ICR, 4, 0x10)
    t.write(CR, 4, 1 | 4)                        # CNTSTRT


def cycles(seconds: float) -> int:
    return round(seconds * CPU)


def test_reset_values() -> None:
    _, t = make()
    assert t.read(ARR, 4) == 1                   # RM0433 44.7.7 LPTIM_ARR reset 0x0000 0001
    assert t.read(CNT, 4) == 0 and t.read(CR, 4) == 0 and t.read(ISR, 4) == 0


def test_arr_match_once_per_second_at_lse() -> None:
    ctx, t = make()
    start(t, 32_767)
    ctx.advance(cycles(32_766 / LSE))
    assert not ctx.irqs.get(93)
    ctx.advance(cycles(1.01 / LSE))
    assert ctx.irqs[93] and t.read(ISR, 4) & 2  # ARRM at CNT = ARR
    t.write(ICR, 4, 2)
    assert not ctx.irqs[93]
    ctx.advance(cycles(32_767 / LSE))
    assert not ctx.irqs[93]
    ctx.advance(cycles(1.01 / LSE))
    assert ctx.irqs[93]                          # then every 32,768 counts: 1 s


def test_counter_and_prescaler() -> None:
    ctx, t = make()
    start(t, 0xFFFF, ier=0, cfgr=3 << 9)         # PRESC = 011: /8
    ctx.advance(cycles(800 / LSE))
    assert t.read(CNT, 4) == 100


def test_compare_match_flag_without_interrupt() -> None:
    ctx, t = make()
    t.write(CR, 4, 1)
    t.write(CMP, 4, 100)
    assert t.read(ISR, 4) & 0x8                  # CMPOK
    start(t, 1000, ier=0)
    ctx.advance(cycles(99.5 / LSE))
    assert not t.read(ISR, 4) & 1
    ctx.advance(cycles(1 / LSE))
    assert t.read(ISR, 4) & 1                    # CMPM


def test_single_shot_stops_at_arr() -> None:
    ctx, t = make()
    t.write(IER, 4, 2)
    t.write(CR, 4, 1)
    t.write(ARR, 4, 99)
    t.write(CR, 4, 1 | 2)                        # SNGSTRT
    ctx.advance(cycles(100 / LSE))
    assert ctx.irqs[93]
    t.write(ICR, 4, 2)
    ctx.advance(cycles(1000 / LSE))
    assert not ctx.irqs[93] and t.read(CNT, 4) == 0
