"""TIM1-17: counter arithmetic, preloads, counting modes, interrupts, PWM and input capture.

Expected figures are RM0433 Rev 8 facts and timer arithmetic written here: the update period
is (PSC+1)(ARR+1) timer clocks in up/down counting, 2(PSC+1)ARR with two update events per
period in centre-aligned mode, and the HAL timebase (TIM6, 1 MHz counter, ARR 999) is 1 ms.
"""

from __future__ import annotations

from peripherals.base import FakeContext
from peripherals.tim import Timer

CPU = 400_000_000
TIMCLK = 200_000_000          # APB1 at 100 MHz with a prescaler of 2: timer clock 2 x pclk1
CYCLES_PER_TIMCLK = CPU // TIMCLK

# offsets (RM0433 40.4: TIM2-5 register map)
CR1, DIER, SR, EGR, CCMR1, CCER, CNT, PSC, ARR, RCR, CCR1, BDTR = (
    0x00, 0x0C, 0x10, 0x14, 0x18, 0x20, 0x24, 0x28, 0x2C, 0x30, 0x34, 0x44)


def make(name="TIM6", kind="basic", bits=16, irqs=None, **extra) -> tuple[FakeContext, Timer]:
    ctx = FakeContext(clocks={"cpu": CPU, "timx_ker": TIMCLK, "timy_ker": TIMCLK})
    irqs = irqs if irqs is not None else {"TIM6_DAC": 54}
    t = Timer(name, 0x40001000, 0x400, ctx, kind=kind, counter_bits=bits, irqs=irqs, **extra)
    return ctx, t


def hal_timebase(t: Timer, psc: int = 199, arr: int = 999) -> None:
    """What HAL_InitTick does with TIM6 (HAL_TIM_Base_Init + HAL_TIM_Base_Start_IT)."""
    t.write(ARR, 4, arr)
    t.write(PSC, 4, psc)
    t.write(EGR, 4, 1)              # UG: load PSC now
    t.write(SR, 4, ~1 & 0xFFFF)     # clear UIF set by UG
    t.write(DIER, 4, 1)             # UIE
    t.write(CR1, 4, 1)              # CEN


def test_reset_values_rm0433() -> None:
    _, t6 = make()
    assert t6.read(ARR, 4) == 0xFFFF            # RM0433 42.4.8 TIMx_ARR reset 0x0000 FFFF
    assert t6.read(PSC, 4) == 0 and t6.read(CNT, 4) == 0 and t6.read(CR1, 4) == 0
    _, t2 = make("TIM2", "general", 32, {"TIM2": 28})
    assert t2.read(ARR, 4) == 0xFFFFFFFF        # RM0433 40.4.12: TIM2/TIM5 ARR 0xFFFF FFFF


def test_hal_timebase_ticks_every_millisecond() -> None:
    ctx, t = make()
    hal_timebase(t)
    period = CPU // 1000                         # 1 MHz counter, 1000 counts: 1 ms
    ctx.advance(period - 1)
    assert not ctx.irqs.get(54)
    ctx.advance(1)
    assert ctx.irqs[54] and t.read(SR, 4) & 1
    t.write(SR, 4, ~1 & 0xFFFF)                  # the handler clears UIF (rc_w0)
    assert not ctx.irqs[54]
    ticks = 1
    for _ in range(9):
        ctx.advance(period)
        assert ctx.irqs[54]
        t.write(SR, 4, ~1 & 0xFFFF)
        ticks += 1
    assert ticks == 10 and ctx.cycle == 10 * period


def test_cnt_is_exact_between_events() -> None:
    ctx, t = make()
    hal_timebase(t)
    ctx.advance(123_456)
    assert t.read(CNT, 4) == 123_456 // (200 * CYCLES_PER_TIMCLK)   # 200 timer clocks per count


def test_uif_without_interrupt_needs_no_event() -> None:
    ctx, t = make()
    t.write(ARR, 4, 99)
    t.write(CR1, 4, 1)                           # PSC 0: one count per timer clock
    assert not ctx._events                       # nothing to do until someone looks
    ctx.advance(100 * CYCLES_PER_TIMCLK - 1)
    assert t.read(SR, 4) & 1 == 0
    ctx.advance(1)
    assert t.read(SR, 4) & 1 == 1


def test_arr_preload_applies_at_next_update() -> None:
    ctx, t = make()
    t.write(CR1, 4, 0x80)                        # ARPE
    t.write(ARR, 4, 999)
    t.write(EGR, 4, 1)
    t.write(SR, 4, 0)                            # UG set UIF (URS = 0)
    t.write(DIER, 4, 1)
    t.write(CR1, 4, 0x81)
    ctx.advance(500 * CYCLES_PER_TIMCLK)
    t.write(ARR, 4, 199)                          # preloaded: this period still has 1000
    ctx.advance(499 * CYCLES_PER_TIMCLK)
    assert not ctx.irqs.get(54)
    ctx.advance(CYCLES_PER_TIMCLK)
    assert ctx.irqs[54]
    t.write(SR, 4, 0)
    ctx.advance(199 * CYCLES_PER_TIMCLK)
    assert not ctx.irqs[54]
    ctx.advance(CYCLES_PER_TIMCLK)
    assert ctx.irqs[54]                          # then 200 counts


def test_arr_without_preload_is_immediate() -> None:
    ctx, t = make()
    t.write(ARR, 4, 999)
    t.write(DIER, 4, 1)
    t.write(CR1, 4, 1)
    ctx.advance(100 * CYCLES_PER_TIMCLK)
    t.write(ARR, 4, 149)
    ctx.advance(49 * CYCLES_PER_TIMCLK)
    assert not ctx.irqs.get(54)
    ctx.advance(CYCLES_PER_TIMCLK)
    assert ctx.irqs[54]


def test_down_counting() -> None:
    ctx, t = make("TIM3", "general", irqs={"TIM3": 29})
    t.write(ARR, 4, 99)
    t.write(EGR, 4, 1)                           # UG in down mode loads ARR... after DIR set
    t.write(CR1, 4, 0x10)                        # DIR
    t.write(EGR, 4, 1)
    t.write(SR, 4, 0)
    t.write(CR1, 4, 0x11)
    ctx.advance(30 * CYCLES_PER_TIMCLK)
    assert t.read(CNT, 4) == 99 - 30
    ctx.advance(70 * CYCLES_PER_TIMCLK)
    assert t.read(SR, 4) & 1 and t.read(CNT, 4) == 99   # underflow 0 -> ARR


def test_centre_aligned_two_updates_per_period() -> None:
    ctx, t = make("TIM3", "general", irqs={"TIM3": 29})
    t.write(ARR, 4, 100)
    t.write(CR1, 4, 0x20)                        # CMS = 01
    t.write(DIER, 4, 1)
    t.write(CR1, 4, 0x21)
    ctx.advance(100 * CYCLES_PER_TIMCLK)          # counted up to ARR: overflow
    assert ctx.irqs[29]
    t.write(SR, 4, 0)
    ctx.advance(50 * CYCLES_PER_TIMCLK)
    assert t.read(CNT, 4) == 50 and t.read(CR1, 4) & 0x10   # counting down, DIR reads 1
    ctx.advance(50 * CYCLES_PER_TIMCLK)           # down to 0: underflow
    assert ctx.irqs[29]


def test_repetition_counter_and_one_pulse() -> None:
    ctx, t = make("TIM1", "advanced", irqs={"TIM1_UP": 25, "TIM1_CC": 27})
    t.write(ARR, 4, 9)
    t.write(RCR, 4, 2)                           # an update event every 3 overflows
    t.write(EGR, 4, 1)
    t.write(SR, 4, 0)
    t.write(DIER, 4, 1)
    t.write(CR1, 4, 1)
    ctx.advance(20 * CYCLES_PER_TIMCLK)
    assert not ctx.irqs.get(25)
    ctx.advance(10 * CYCLES_PER_TIMCLK)
    assert ctx.irqs[25] and not ctx.irqs.get(27)
    # one-pulse: the counter stops at the next update event
    ctx2, t2 = make()
    t2.write(ARR, 4, 9)
    t2.write(CR1, 4, 0x9)                        # OPM | CEN
    ctx2.advance(10 * CYCLES_PER_TIMCLK)
    assert t2.read(CR1, 4) & 1 == 0 and t2.read(SR, 4) & 1
    ctx2.advance(1000)
    assert t2.read(CNT, 4) == 0


def test_pwm_mode1_output_level_and_polarity() -> None:
    ctx, t = make("TIM3", "general", irqs={"TIM3": 29})
    t.write(ARR, 4, 99)
    t.write(CCR1, 4, 25)
    t.write(CCMR1, 4, 0x68)                      # OC1M = 110 (PWM1), OC1PE
    t.write(CCER, 4, 1)                          # CC1E
    t.write(EGR, 4, 1)
    t.write(CR1, 4, 0x81)
    ctx.advance(10 * CYCLES_PER_TIMCLK)
    assert t.output_level(1) == 1                # CNT 10 < CCR1 25: active
    ctx.advance(20 * CYCLES_PER_TIMCLK)
    assert t.output_level(1) == 0                # CNT 30 >= 25: inactive
    assert t.read(SR, 4) & 2                     # CC1IF set by the match
    t.write(CCER, 4, 3)                          # CC1P: active low
    assert t.output_level(1) == 1
    t.write(CCER, 4, 0)
    assert t.output_level(1) is None             # output disabled


def test_input_capture_measures_a_signal_period() -> None:
    ctx, t = make("TIM2", "general", 32, {"TIM2": 28})
    t.write(PSC, 4, 199)                         # 1 MHz counter
    t.write(EGR, 4, 1)
    t.write(SR, 4, 0)
    t.write(CCMR1, 4, 0x01)                      # CC1S = 01: IC1 on TI1
    t.write(CCER, 4, 0x01)                       # CC1E, rising edge
    t.write(DIER, 4, 0x02)                       # CC1IE
    t.write(CR1, 4, 1)
    t.drive_square_wave(1, 1000.0, until_cycle=CPU // 100, start_cycle=1000)  # 1 kHz, 10 ms
    ctx.advance(CPU // 1000 // 2)
    assert ctx.irqs[28]
    first = t.read(CCR1, 4)
    t.write(SR, 4, 0)
    ctx.advance(CPU // 1000)
    second = t.read(CCR1, 4)
    assert second - first == 1000                # 1 ms at 1 MHz
    ctx.advance(CPU // 1000)                     # a capture while CC1IF is still set
    assert t.read(SR, 4) & (1 << 9)              # CC1OF (overcapture)


def test_prescaler_change_waits_for_update() -> None:
    ctx, t = make()
    t.write(ARR, 4, 9)
    t.write(DIER, 4, 1)
    t.write(CR1, 4, 1)
    t.write(PSC, 4, 1)                           # not active before the update event
    ctx.advance(10 * CYCLES_PER_TIMCLK)
    assert ctx.irqs[54]
    t.write(SR, 4, 0)
    ctx.advance(19 * CYCLES_PER_TIMCLK)
    assert not ctx.irqs[54]
    ctx.advance(CYCLES_PER_TIMCLK)
    assert ctx.irqs[54]                          # then 2 timer clocks per count: 20 clocks


def test_pwm_level_readable_on_the_pin() -> None:
    # NUCLEO LD1 is PB0; PB0 AF2 = TIM3_CH3 (DS12110 Table 9): build both from the platform
    from .test_periph_rcc import build

    ctx = build("GPIOB", "TIM3", cpu=CPU, timx_ker=TIMCLK)
    gpio, tim = ctx.peripherals["GPIOB"], ctx.peripherals["TIM3"]
    gpio.write(0x00, 4, (gpio.read(0x00, 4) & ~3) | 2)      # MODER0 = 10: alternate function
    gpio.write(0x20, 4, 2)                                   # AFRL: AFSEL0 = 2
    tim.write(ARR, 4, 99)
    tim.write(0x3C, 4, 25)                                   # CCR3
    tim.write(0x1C, 4, 0x68)                                 # CCMR2: OC3M = PWM1, OC3PE
    tim.write(CCER, 4, 1 << 8)                               # CC3E
    tim.write(EGR, 4, 1)
    tim.write(CR1, 4, 0x81)
    ctx.advance(10 * CYCLES_PER_TIMCLK)
    assert gpio.read(0x10, 4) & 1 == 1                       # IDR0: high while CNT < 25
    ctx.advance(20 * CYCLES_PER_TIMCLK)
    assert gpio.read(0x10, 4) & 1 == 0
    ctx.advance(70 * CYCLES_PER_TIMCLK)                      # next period: high again
    assert gpio.read(0x10, 4) & 1 == 1


def test_tim8_and_tim13_share_line_44() -> None:
    """RM0433 Table 145: NVIC line 44 is TIM8_UP_TIM13, the OR of TIM8's update interrupt and
    TIM13's global interrupt. Clearing TIM8's UIF must not drop TIM13's pending request."""
    ctx = FakeContext(clocks={"cpu": CPU, "timx_ker": TIMCLK, "timy_ker": TIMCLK})
    t8 = Timer("TIM8", 0x40010400, 0x400, ctx, kind="advanced",
               irqs={"TIM8_BRK_TIM12": 43, "TIM8_UP_TIM13": 44, "TIM8_TRG_COM_TIM14": 45,
                     "TIM8_CC": 46})
    t13 = Timer("TIM13", 0x40001C00, 0x400, ctx, kind="general", channels=1,
                irqs={"TIM13": 44})
    for t in (t8, t13):
        t.write(DIER, 4, 1)                       # UIE
    t13.write(EGR, 4, 1)                          # UG: TIM13 UIF -> line 44
    t8.write(EGR, 4, 1)                           # UG: TIM8 UIF -> line 44
    assert ctx.irqs[44]
    t8.write(SR, 4, 0)                            # TIM8's handler clears its UIF
    assert ctx.irqs[44]                           # TIM13 still requests
    t13.write(SR, 4, 0)
    assert not ctx.irqs[44]
