"""STM32F746 blocks that reuse the H743's models as platform data (GPIO: test_periph_gpio.py),
or have an F7 model of their own (EXTI), built from simulator/platforms/stm32f746.toml and wired
as it says. Expected values come from the F7 reference manual RM0385 (register reset values,
bit positions, the clock rules), written here, not read from the models."""

from __future__ import annotations

from peripherals import model_class
from peripherals.base import FakeContext, Peripheral
from simulator.platform import load_platform

CPU_HZ = 16e6                  # RM0385 5.2.2: the F7 runs from HSI, 16 MHz, after reset

# RM0385 Table 40 (vector table): the NVIC lines these tests watch
EXTI9_5_IRQ, RTC_WKUP_IRQ, TIM6_DAC_IRQ = 23, 3, 54


def build(*names: str) -> tuple[FakeContext, dict[str, Peripheral]]:
    """The named F746 blocks as the platform file declares them, wired as it says."""
    ctx = FakeContext(clocks={"cpu": CPU_HZ})
    platform = load_platform("stm32f746")
    for w in platform.peripherals:
        if w.name in names:
            params = {**w.params, "irqs": w.irqs, "chip": dict(platform.chip)}
            ctx.peripherals[w.name] = model_class(w.model)(w.name, w.base, w.size, ctx, **params)
    assert set(ctx.peripherals) == set(names)
    ctx.wire(platform.wiring)
    return ctx, ctx.peripherals


# --- EXTI (RM0385 10.3) -----------------------------------------------------------------------
IMR, EMR, RTSR, FTSR, SWIER, PR = range(0, 0x18, 4)          # RM0385 10.3.7 register map


def test_exti_reset_values_and_software_trigger() -> None:
    ctx, p = build("EXTI")
    exti = p["EXTI"]
    assert exti.base == 0x40013C00                           # RM0385 2.2.2 Table 1
    for offset in (IMR, EMR, RTSR, FTSR, SWIER, PR):
        assert exti.read(offset, 4) == 0                     # RM0385 10.3.1-10.3.6: reset 0
    # RM0385 10.3.5: a software interrupt on a line masked in IMR sets no pending bit
    exti.write(SWIER, 4, 1 << 7)
    assert exti.read(PR, 4) == 0 and not ctx.irqs.get(EXTI9_5_IRQ)
    exti.write(SWIER, 4, 0)
    exti.write(IMR, 4, 1 << 7)
    exti.write(SWIER, 4, 1 << 7)                             # unmasked: pending, interrupt
    assert exti.read(PR, 4) == 1 << 7
    assert ctx.irqs[EXTI9_5_IRQ]                             # lines 5-9 share vector 23
    exti.write(PR, 4, 1 << 7)                                # rc_w1: cleared by writing 1
    assert exti.read(PR, 4) == 0 and exti.read(SWIER, 4) == 0
    assert not ctx.irqs[EXTI9_5_IRQ]
    exti.write(PR, 4, 1 << 24)                               # lines 0..23 only (RM0385 10.2.5)
    exti.write(IMR, 4, 0xFFFFFFFF)
    assert exti.read(IMR, 4) == 0x00FFFFFF


# --- RTC through EXTI line 22 (RM0385 sections 29, 10.2.5) -------------------------------------
RTC_CR, RTC_ISR, RTC_PRER, RTC_WUTR, RTC_WPR = 0x08, 0x0C, 0x10, 0x14, 0x24
WUTE, WUTIE, WUTF = 1 << 10, 1 << 14, 1 << 10
RCC_BDCR, RCC_CSR, PWR_CR1 = 0x70, 0x74, 0x00                # RM0385 5.3.20, 5.3.21, 4.4.1


def test_rtc_reset_values_and_wakeup_timer_on_exti_line_22() -> None:
    ctx, p = build("RCC", "PWR", "EXTI", "RTC")
    rcc, pwr, exti, rtc = p["RCC"], p["PWR"], p["EXTI"], p["RTC"]
    assert rtc.base == 0x40002800                            # RM0385 2.2.2 Table 1
    # RM0385 29.6.2 DR 0x0000 2101, 29.6.4 ISR 0x0000 0007, 29.6.5 PRER 0x007F 00FF,
    # 29.6.6 WUTR 0x0000 FFFF
    assert rtc.read(0x04, 4) == 0x2101
    assert rtc.read(RTC_ISR, 4) == 0x7
    assert rtc.read(RTC_PRER, 4) == 0x007F00FF
    assert rtc.read(RTC_WUTR, 4) == 0xFFFF
    rtc.write(RTC_WUTR, 4, 9)
    assert rtc.read(RTC_WUTR, 4) == 0xFFFF                   # backup domain locked (DBP = 0)
    rcc.write(RCC_CSR, 4, 1)                                 # LSION
    ctx.advance(int(1e-3 * CPU_HZ))
    pwr.write(PWR_CR1, 4, pwr.read(PWR_CR1, 4) | 1 << 8)     # DBP
    rcc.write(RCC_BDCR, 4, 2 << 8 | 1 << 15)                 # RTCSEL = LSI, RTCEN
    rtc.write(RTC_WPR, 4, 0xCA)
    rtc.write(RTC_WPR, 4, 0x53)                              # RM0385 29.3.8 key sequence
    rtc.write(RTC_WUTR, 4, 9)
    assert rtc.read(RTC_WUTR, 4) == 9
    exti.write(RTSR, 4, 1 << 22)
    exti.write(IMR, 4, 1 << 22)
    t0 = ctx.cycle
    rtc.write(RTC_CR, 4, WUTIE | WUTE)                       # WUCKSEL = 0: RTCCLK / 16
    # 10 periods of LSI / 16: LSI 32 kHz (RM0385 5.2.5) -> 5 ms
    due = t0 + round(10 * 16 / 32e3 * CPU_HZ)
    ctx.advance(due - ctx.cycle - 2)
    assert not rtc.read(RTC_ISR, 4) & WUTF and not ctx.irqs.get(RTC_WKUP_IRQ)
    ctx.advance(4)
    assert rtc.read(RTC_ISR, 4) & WUTF
    assert exti.read(PR, 4) == 1 << 22                       # EXTI line 22 = RTC wakeup
    assert ctx.irqs[RTC_WKUP_IRQ]                            # vector 3, RTC_WKUP
    assert exti.cpu_wakeup()                                 # and it ends Stop


# --- timers (RM0385 sections 23, 24) ------------------------------------------------------------
TIM_CR1, TIM_DIER, TIM_SR, TIM_EGR, TIM_PSC, TIM_ARR = 0x00, 0x0C, 0x10, 0x14, 0x28, 0x2C
RCC_CFGR, RCC_APB1ENR = 0x08, 0x40                           # RM0385 5.3.3, 5.3.13


def test_timer_reset_values() -> None:
    _, p = build("TIM2", "TIM3", "TIM6")
    assert p["TIM2"].read(TIM_ARR, 4) == 0xFFFFFFFF          # RM0385 23.4.12: 32-bit TIM2
    assert p["TIM3"].read(TIM_ARR, 4) == 0xFFFF              # RM0385 23.4.12
    assert p["TIM6"].read(TIM_ARR, 4) == 0xFFFF              # RM0385 24.4.8
    for t in ("TIM2", "TIM3", "TIM6"):
        assert p[t].read(TIM_CR1, 4) == 0 and p[t].read(TIM_PSC, 4) == 0


def test_apb1_timer_clock_is_twice_pclk1_when_divided() -> None:
    """RM0385 5.2: with the APB1 prescaler not 1 (TIMPRE = 0) the APB1 timers are clocked at
    twice PCLK1. From HSI (16 MHz) with PPRE1 = /2: PCLK1 8 MHz, TIM6 at 16 MHz, so PSC 15 and
    ARR 999 give an update every 16 x 1000 / 16 MHz = 1 ms (2 ms if it counted PCLK1)."""
    ctx, p = build("RCC", "TIM6")
    rcc, tim = p["RCC"], p["TIM6"]
    rcc.write(RCC_CFGR, 4, 0b100 << 10)                      # PPRE1 = /2
    rcc.write(RCC_APB1ENR, 4, 1 << 4)                        # TIM6EN
    assert rcc.clock_hz("pclk1") == 8e6
    tim.write(TIM_PSC, 4, 15)
    tim.write(TIM_ARR, 4, 999)
    tim.write(TIM_EGR, 4, 1)                                 # UG: load PSC
    tim.write(TIM_SR, 4, 0)
    tim.write(TIM_DIER, 4, 1)                                # UIE
    t0 = ctx.cycle
    tim.write(TIM_CR1, 4, 1)                                 # CEN
    period = round(1e-3 * CPU_HZ)                            # 1 ms in core cycles
    ctx.advance(t0 + period - ctx.cycle - 2)
    assert not tim.read(TIM_SR, 4) & 1 and not ctx.irqs.get(TIM6_DAC_IRQ)
    ctx.advance(4)
    assert tim.read(TIM_SR, 4) & 1                           # UIF
    assert ctx.irqs[TIM6_DAC_IRQ]                            # vector 54, TIM6_DAC


# --- DMA (RM0385 section 8): request selection by SxCR.CHSEL, no DMAMUX --------------------------
TIM3_BASE, BUF = 0x40000400, 0x20010000                      # RM0385 Table 1; SRAM1
S7 = 0x10 + 0x18 * 7                                  # RM0385 8.5.11: stream x at 0x10 + 0x18 x
S7CR, S7NDTR, S7PAR, S7M0AR = S7, S7 + 4, S7 + 8, S7 + 0xC
M2P, MINC, PSIZE32, MSIZE32, TCIE, EN = 1 << 6, 1 << 10, 2 << 11, 2 << 13, 1 << 4, 1
CHSEL = 25                                                   # RM0385 8.5.5: SxCR[27:25]
TCIF7 = 1 << 27                                              # RM0385 8.5.2: HISR bit 27
DMA1_STREAM7_IRQ = 47                                        # RM0385 Table 40
RCC_AHB1ENR = 0x30                                           # RM0385 5.3.10


def test_dma_reset_values_and_chsel() -> None:
    _, p = build("DMA1")
    dma = p["DMA1"]
    assert dma.base == 0x40026000                            # RM0385 2.2.2 Table 1
    for x in range(8):
        base = 0x10 + 0x18 * x
        assert dma.read(base, 4) == 0                        # 8.5.5 SxCR reset 0
        assert dma.read(base + 0x14, 4) == 0x21              # 8.5.10 SxFCR reset 0x0000 0021
    dma.write(S7CR, 4, 5 << CHSEL)
    assert dma.read(S7CR, 4) == 5 << CHSEL                   # CHSEL is stored, read back


def _tim3_pwm_ch3(tim, ccr3: int) -> None:
    """TIM3 channel 3 in PWM mode 1 with CCR3 preload, period 1000 counts, the preload loaded by
    an update event (ST's TIM_PWMOutput / TIM_DMA examples, register level)."""
    tim.write(TIM_ARR, 4, 999)
    tim.write(0x1C, 4, 0x68)                                 # CCMR2: OC3M PWM1, OC3PE
    tim.write(0x20, 4, 1 << 8)                               # CCER: CC3E
    tim.write(0x3C, 4, ccr3)                                 # CCR3
    tim.write(TIM_EGR, 4, 1)                                 # UG


def _tim3_cc3_dma(channel: int):
    """ST's NUCLEO-F746ZG TIM_DMA example, register level: TIM3 channel 3 in PWM mode 1 with
    CCR3 preload; DMA1 stream 7 writes CCR3 from a buffer on each CC3 request (CC3DE), memory
    to peripheral, 32-bit, normal mode. From HSI with APB1 undivided the timer counts at
    16 MHz, one core cycle per count."""
    ctx, p = build("RCC", "TIM3", "DMA1")
    rcc, tim, dma = p["RCC"], p["TIM3"], p["DMA1"]
    rcc.write(RCC_AHB1ENR, 4, 1 << 21)                       # DMA1EN
    rcc.write(RCC_APB1ENR, 4, 1 << 1)                        # TIM3EN
    for i, v in enumerate((100, 200, 300, 400)):
        ctx.mem_write(BUF + 4 * i, v.to_bytes(4, "little"))
    _tim3_pwm_ch3(tim, ccr3=50)
    tim.write(TIM_SR, 4, 0)
    dma.write(S7PAR, 4, TIM3_BASE + 0x3C)
    dma.write(S7M0AR, 4, BUF)
    dma.write(S7NDTR, 4, 4)
    cr = channel << CHSEL | M2P | MINC | PSIZE32 | MSIZE32 | TCIE
    dma.write(S7CR, 4, cr)
    dma.write(S7CR, 4, cr | EN)
    tim.write(TIM_DIER, 4, 1 << 11)                          # CC3DE
    tim.write(TIM_CR1, 4, 1)
    return ctx, tim, dma


def test_dma1_stream7_channel5_serves_tim3_cc3() -> None:
    ctx, tim, dma = _tim3_cc3_dma(channel=5)                 # RM0385 Table 26: TIM3_CH3
    ctx.advance(60)                                          # past the CC3 match at 50
    assert tim.read(0x3C, 4) == 100 and dma.read(S7NDTR, 4) == 3
    ctx.advance(4 * 1000)                                    # four more periods
    assert dma.read(S7NDTR, 4) == 0
    assert dma.read(0x04, 4) & TCIF7 and ctx.irqs[DMA1_STREAM7_IRQ]
    assert not dma.read(S7CR, 4) & EN                        # normal mode: stream stopped


def test_dma_channel_without_the_request_moves_nothing() -> None:
    ctx, tim, dma = _tim3_cc3_dma(channel=4)                 # not TIM3_CH3's channel
    ctx.advance(2 * 1000)
    assert tim.read(0x3C, 4) == 50 and dma.read(S7NDTR, 4) == 4
    assert any("stream 7 channel 4" in m for m in ctx.messages)


def test_tim3_pwm_drives_pb0_in_alternate_function_2() -> None:
    """PWM mode 1 (RM0385 23.3.10): OC3REF is high while CNT < CCR3. PB0 in alternate function
    2 carries TIM3_CH3 on the F746 (ST's NUCLEO-F746ZG TIM_PWMOutput example), so its input
    data register reads that level; from HSI with APB1 undivided, one count per core cycle."""
    ctx, p = build("RCC", "GPIOB", "TIM3")
    rcc, gpiob, tim = p["RCC"], p["GPIOB"], p["TIM3"]
    rcc.write(RCC_AHB1ENR, 4, 1 << 1)                        # GPIOBEN
    rcc.write(RCC_APB1ENR, 4, 1 << 1)                        # TIM3EN
    gpiob.write(0x00, 4, (gpiob.read(0x00, 4) & ~3) | 2)     # MODER0 = 10: alternate function
    gpiob.write(0x20, 4, 2)                                  # AFRL0 = AF2
    _tim3_pwm_ch3(tim, ccr3=250)
    tim.write(TIM_CR1, 4, 1)
    ctx.advance(100)
    assert gpiob.read(0x10, 4) & 1                           # IDR0: CNT 100 < 250, high
    ctx.advance(200)
    assert not gpiob.read(0x10, 4) & 1                       # CNT 300 >= 250, low


def test_only_dma2_does_memory_to_memory() -> None:
    """ST's NUCLEO-F746ZG DMA_FLASHToRAM example: "only DMA2 streams are capable of Memory to
    Memory transfers". The same stream set-up (DIR=10, 4 words SRAM1 -> SRAM1) copies on DMA2
    (TCIF0, LISR bit 5) and moves nothing on DMA1, which says why."""
    ctx, p = build("RCC", "DMA1", "DMA2")
    p["RCC"].write(RCC_AHB1ENR, 4, 1 << 21 | 1 << 22)       # DMA1EN, DMA2EN
    src, dst = BUF, BUF + 0x100
    for i in range(4):
        ctx.mem_write(src + 4 * i, (0x11111111 * (i + 1)).to_bytes(4, "little"))
    for name in ("DMA1", "DMA2"):
        dma = p[name]
        dma.write(0x18, 4, src)                              # S0PAR: the source
        dma.write(0x1C, 4, dst if name == "DMA2" else dst + 0x40)   # S0M0AR
        dma.write(0x14, 4, 4)                                # S0NDTR
        dma.write(0x10, 4, 2 << 6 | 1 << 9 | MINC | PSIZE32 | MSIZE32 | EN)   # DIR=10, PINC
    assert ctx.mem_read(dst, 16) == ctx.mem_read(src, 16)   # DMA2 copied
    assert p["DMA2"].read(0x00, 4) & 1 << 5                  # TCIF0
    assert ctx.mem_read(dst + 0x40, 16) == bytes(16)         # DMA1 did not
    assert not p["DMA1"].read(0x00, 4) & 1 << 5
    assert any("DMA1" in m and "memory-to-memory" in m for m in ctx.messages)
