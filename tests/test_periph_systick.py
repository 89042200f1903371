"""SysTick through the bus API: CVR values from time, wraps, COUNTFLAG, clock source."""

from __future__ import annotations

from peripherals.base import FakeContext
from peripherals.systick import SysTick

CSR, RVR, CVR, CALIB = 0x0, 0x4, 0x8, 0xC
ENABLE, TICKINT, CLKSOURCE, COUNTFLAG = 1, 2, 4, 1 << 16


def make() -> tuple[FakeContext, SysTick]:
    ctx = FakeContext()
    return ctx, SysTick("SYSTICK", 0xE000E010, 0x10, ctx)


def test_reset_values() -> None:
    _, st = make()
    assert [st.read(o, 4) for o in (CSR, RVR, CVR)] == [0, 0, 0]
    assert st.read(CALIB, 4) == 0x40000000


def test_processor_clock_counts_and_wraps() -> None:
    ctx, st = make()
    st.write(RVR, 4, 999)
    st.write(CVR, 4, 123)                            # any write clears
    assert st.read(CVR, 4) == 0
    ctx.advance(10)
    st.write(CSR, 4, ENABLE | TICKINT | CLKSOURCE)   # at cycle 10
    assert st.read(CVR, 4) == 0
    ctx.advance(1)
    assert st.read(CVR, 4) == 999                    # reload on the first tick
    ctx.advance(500)
    assert st.read(CVR, 4) == 499
    ctx.advance(498)
    assert st.read(CVR, 4) == 1 and ctx.pended == []
    ctx.advance(1)                                   # 1 -> 0: wrap at cycle 1010
    assert st.read(CVR, 4) == 0 and ctx.pended == [15]
    assert st.read(CSR, 4) & COUNTFLAG
    assert not st.read(CSR, 4) & COUNTFLAG           # cleared by the read
    ctx.advance(1)
    assert st.read(CVR, 4) == 999
    ctx.advance(999 + 1000 * 2)                      # three more wraps: 2010, 3010, 4010
    assert ctx.pended == [15] * 4


def test_external_clock_is_cpu_over_8() -> None:
    ctx, st = make()
    st.write(RVR, 4, 99)
    st.write(CSR, 4, ENABLE | TICKINT)
    ctx.advance(7)
    assert st.read(CVR, 4) == 0
    ctx.advance(1)
    assert st.read(CVR, 4) == 99
    ctx.advance(8 * 99 - 1)
    assert ctx.pended == []
    ctx.advance(1)
    assert ctx.pended == [15]                        # wrap after 100 ticks = 800 cycles


def test_no_tickint_sets_countflag_only() -> None:
    ctx, st = make()
    st.write(RVR, 4, 9)
    st.write(CSR, 4, ENABLE | CLKSOURCE)
    ctx.advance(10)
    assert ctx.pended == [] and st.read(CSR, 4) & COUNTFLAG


def test_cvr_write_restarts_and_rvr_applies_at_reload() -> None:
    ctx, st = make()
    st.write(RVR, 4, 999)
    st.write(CSR, 4, ENABLE | TICKINT | CLKSOURCE)
    ctx.advance(300)
    st.write(CVR, 4, 0)                              # restart: reload on the next tick
    ctx.advance(1)
    assert st.read(CVR, 4) == 999
    st.write(RVR, 4, 49)                             # used from the next reload
    ctx.advance(999)
    assert st.read(CVR, 4) == 0 and ctx.pended == [15]
    ctx.advance(1)
    assert st.read(CVR, 4) == 49
    ctx.advance(49)
    assert ctx.pended == [15, 15]


def test_disable_freezes_and_enable_resumes() -> None:
    ctx, st = make()
    st.write(RVR, 4, 999)
    st.write(CSR, 4, ENABLE | CLKSOURCE)
    ctx.advance(101)
    st.write(CSR, 4, CLKSOURCE)
    ctx.advance(5000)
    assert st.read(CVR, 4) == 899 and ctx.pended == []    # reload at tick 1, then 100 ticks
    st.write(CSR, 4, ENABLE | TICKINT | CLKSOURCE)
    ctx.advance(898)
    assert ctx.pended == []
    ctx.advance(1)
    assert ctx.pended == [15]


def test_tickint_toggle_keeps_phase_of_external_clock() -> None:
    ctx, st = make()
    st.write(RVR, 4, 9)
    st.write(CSR, 4, ENABLE)
    ctx.advance(12)                                  # mid-tick
    st.write(CSR, 4, ENABLE | TICKINT)
    ctx.advance(80 - 12 - 1)
    assert ctx.pended == []
    ctx.advance(1)
    assert ctx.pended == [15]                        # wrap at 80 = 10 ticks x 8 cycles
