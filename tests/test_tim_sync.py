"""Timer synchronisation and the encoder interface, at register level (what HAL_TIM_SlaveConfig
Synchro / HAL_TIMEx_MasterConfigSynchronization / HAL_TIM_Encoder_Init write).

RM0433 facts written here: TIM3's ITR1 is TIM2's TRGO ("TIMx internal trigger connection"
table); CR2.MMS 001 = enable, 010 = update; SMCR.SMS 0100 reset, 0101 gated, 0110 trigger,
0111 external clock mode 1, 0011 encoder mode 3 (x4: both edges of TI1 and TI2); SMCR.TS 001 =
ITR1; TIF = SR bit 6. Counts are timer arithmetic written out in each test.
"""

from __future__ import annotations

from peripherals.base import FakeContext
from peripherals.tim import Timer
from simulator.platform import load_platform

CPU, TIMCLK = 400_000_000, 200_000_000
CPT = CPU // TIMCLK
CR1, CR2, SMCR, DIER, SR, EGR, CCMR1, CCER, CNT, PSC, ARR = (
    0x00, 0x04, 0x08, 0x0C, 0x10, 0x14, 0x18, 0x20, 0x24, 0x28, 0x2C)
MMS_ENABLE, MMS_UPDATE = 1 << 4, 2 << 4
TS_ITR1 = 1 << 4
SMS_ENCODER3, SMS_RESET, SMS_GATED, SMS_TRIGGER, SMS_EXTCLK = 3, 4, 5, 6, 7
TIF = 1 << 6


def itr_of(name: str) -> list[str]:
    return next(w.params["itr"] for w in load_platform().peripherals if w.name == name)


def make() -> tuple[FakeContext, Timer, Timer]:
    assert itr_of("TIM3")[1] == "TIM2"            # RM0433: TIM3 ITR1 = TIM2 TRGO
    ctx = FakeContext(clocks={"cpu": CPU, "timx_ker": TIMCLK})
    tim2 = Timer("TIM2", 0x40000000, 0x400, ctx, kind="general", counter_bits=32,
                 irqs={"TIM2": 28}, itr=itr_of("TIM2"))
    tim3 = Timer("TIM3", 0x40000400, 0x400, ctx, kind="general", irqs={"TIM3": 29},
                 itr=itr_of("TIM3"))
    ctx.peripherals.update(TIM2=tim2, TIM3=tim3)
    ctx.wire()                                    # resolves each timer's itr table
    return ctx, tim2, tim3


def test_trigger_mode_starts_the_slave_with_the_master() -> None:
    ctx, tim2, tim3 = make()
    tim2.write(CR2, 4, MMS_ENABLE)
    tim3.write(SMCR, 4, TS_ITR1 | SMS_TRIGGER)
    ctx.advance(1000)
    assert tim3.read(CNT, 4) == 0 and not tim3.read(CR1, 4) & 1
    tim2.write(CR1, 4, 1)                          # master enabled: TRGO rises
    assert tim3.read(CR1, 4) & 1 and tim3.read(SR, 4) & TIF
    ctx.advance(500 * CPT)
    assert tim3.read(CNT, 4) == 500


def test_gated_mode_counts_only_while_the_master_runs() -> None:
    ctx, tim2, tim3 = make()
    tim2.write(CR2, 4, MMS_ENABLE)
    tim3.write(SMCR, 4, TS_ITR1 | SMS_GATED)
    tim3.write(CR1, 4, 1)
    ctx.advance(300 * CPT)                         # gate low: no count
    tim2.write(CR1, 4, 1)
    ctx.advance(1000 * CPT)
    tim2.write(CR1, 4, 0)
    ctx.advance(5000 * CPT)
    tim2.write(CR1, 4, 1)
    ctx.advance(500 * CPT)
    assert tim3.read(CNT, 4) == 1500


def test_external_clock_mode_counts_master_updates() -> None:
    """TIM2 updates every 100 timer clocks (ARR 99); TIM3 in external clock mode 1 on ITR1
    counts them: after 10 periods CNT = 10; with ARR 3 it wraps to 10 mod 4 = 2 with two
    update events (UIF)."""
    ctx, tim2, tim3 = make()
    tim2.write(CR2, 4, MMS_UPDATE)
    tim2.write(ARR, 4, 99)
    tim3.write(SMCR, 4, TS_ITR1 | SMS_EXTCLK)
    tim3.write(CR1, 4, 1)
    tim2.write(CR1, 4, 1)
    ctx.advance(10 * 100 * CPT)
    assert tim3.read(CNT, 4) == 10
    tim3.write(CNT, 4, 0)
    tim3.write(ARR, 4, 3)
    ctx.advance(10 * 100 * CPT)
    assert tim3.read(CNT, 4) == 2 and tim3.read(SR, 4) & 1


def test_reset_mode_restarts_the_slave_at_each_master_update() -> None:
    ctx, tim2, tim3 = make()
    tim2.write(CR2, 4, MMS_UPDATE)
    tim2.write(ARR, 4, 999)                        # master period 1000 timer clocks
    tim3.write(SMCR, 4, TS_ITR1 | SMS_RESET)
    tim3.write(CR1, 4, 1)
    tim2.write(CR1, 4, 1)
    ctx.advance(2500 * CPT)                        # two master updates, at 1000 and 2000
    assert tim3.read(CNT, 4) == 500


def test_encoder_x4_counts_quadrature_edges() -> None:
    """Encoder mode 3: 4 counts per quadrature cycle, up when TI1 leads TI2, down when it
    lags; below 0 the counter wraps to ARR (0xFFFF)."""
    ctx = FakeContext(clocks={"cpu": CPU, "timx_ker": TIMCLK})
    t = Timer("TIM4", 0x40000800, 0x400, ctx, kind="general", irqs={"TIM4": 30})
    t.write(CCMR1, 4, 1 | 1 << 8)                  # CC1S = 01 (TI1), CC2S = 01 (TI2)
    t.write(SMCR, 4, SMS_ENCODER3)
    t.write(CR1, 4, 1)
    forward = [(1, 0), (1, 1), (0, 1), (0, 0)]     # (TI1, TI2): TI1 leads
    state = [0, 0]

    def step(levels: tuple[int, int]) -> None:
        for ch in (1, 2):
            if levels[ch - 1] != state[ch - 1]:
                state[ch - 1] = levels[ch - 1]
                t.input_edge(ch, bool(levels[ch - 1]))

    for _ in range(10):
        for lv in forward:
            step(lv)
    assert t.read(CNT, 4) == 40 and not t.read(CR1, 4) & 16      # DIR = up
    for _ in range(3):
        for lv in reversed([(0, 0)] + forward[:3]):
            step(lv)
    assert t.read(CNT, 4) == 28 and t.read(CR1, 4) & 16          # DIR = down
    for _ in range(8):
        for lv in reversed([(0, 0)] + forward[:3]):
            step(lv)
    assert t.read(CNT, 4) == 0xFFFF - 3                           # 28 - 32 wraps at ARR


def test_encoder_driven_by_a_turning_shaft() -> None:
    """What HAL_TIM_Encoder_Init(TIM_ENCODERMODE_TI12) + HAL_TIM_Encoder_Start configure,
    driven by a 1 kHz quadrature signal for 10 ms: 4 counts per cycle, 10 cycles = 40
    counts forward, then 5 ms backward: 40 - 20 = 20."""
    ctx = FakeContext(clocks={"cpu": CPU, "timx_ker": TIMCLK})
    t = Timer("TIM4", 0x40000800, 0x400, ctx, kind="general", irqs={"TIM4": 30})
    t.write(SMCR, 4, SMS_ENCODER3)
    t.write(CCMR1, 4, 1 | 1 << 8)
    t.write(CCER, 4, 1 | 1 << 4)                   # CC1E, CC2E (HAL_TIM_Encoder_Start)
    t.write(CR1, 4, 1)
    ms = CPU // 1000
    t.drive_quadrature(1000.0, until_cycle=10 * ms - 1)
    ctx.advance(10 * ms)
    assert t.read(CNT, 4) == 10 * 4 and not t.read(CR1, 4) & 16
    t.drive_quadrature(1000.0, until_cycle=15 * ms - 1, forward=False)
    ctx.advance(5 * ms)
    assert t.read(CNT, 4) == 20 and t.read(CR1, 4) & 16
