"""Timer DMA requests served through DMAMUX1 and a DMA1 stream (no CPU).

RM0433 facts written here: DMAMUX1 request ids TIM3_CH1 = 23 and TIM3_UP = 27 (Table 121),
TIM3_CCR1 at offset 0x34 of TIM3 (0x4000 0400), DMA_SxCR DIR = 01 memory-to-peripheral, one
item moved per request (15.3.6), HTIF at half and TCIF at the end of NDTR, EN cleared at the end
of a normal-mode transfer. The preloaded CCR1 (OC1PE) takes a DMA-written value at the next
update event (40.3.x), so the duty cycles below lag the buffer by the arithmetic worked out in
each test.
"""

from __future__ import annotations

from peripherals.base import FakeContext
from peripherals.dma import DMA
from peripherals.dmamux import DMAMUX
from peripherals.tim import Timer

from .test_periph_sai_dma import dma_unreachable, mux_requests

CPU, TIMCLK = 400_000_000, 200_000_000
CPT = CPU // TIMCLK                     # core cycles per timer clock (PSC 0)
TIM3, DMA1, MUX = 0x40000400, 0x40020000, 0x40020800
BUF = 0x24000000                        # AXI SRAM (DMA1 reaches it)
# TIM3 registers (RM0433 40.4)
CR1, DIER, SR, EGR, CCMR1, CCER, ARR, CCR1 = 0x00, 0x0C, 0x10, 0x14, 0x18, 0x20, 0x2C, 0x34
UDE, CC1DE = 1 << 8, 1 << 9
# DMA1 stream 0 (RM0433 15.5)
LISR, S0CR, S0NDTR, S0PAR, S0M0AR = 0x00, 0x10, 0x14, 0x18, 0x1C
M2P, MINC, PSIZE16, MSIZE16, HTIE, TCIE, EN = 1 << 6, 1 << 10, 1 << 11, 1 << 13, 1 << 3, \
    1 << 4, 1
HTIF0, TCIF0 = 1 << 4, 1 << 5
TIM3_CH1, TIM3_UP = 23, 27              # RM0433 Table 121
ARR_VALUE = 999                         # 1000 timer clocks per period
PERIOD = (ARR_VALUE + 1) * CPT
FIRST = 50
VALUES = (100, 200, 300, 400)


def make() -> tuple[FakeContext, Timer, DMA]:
    ctx = FakeContext(clocks={"cpu": CPU, "timx_ker": TIMCLK})
    tim = Timer("TIM3", TIM3, 0x400, ctx, kind="general", irqs={"TIM3": 29})
    dma = DMA("DMA1", DMA1, 0x400, ctx, irqs={f"DMA1_STR{i}": 11 + i for i in range(7)},
              unreachable=dma_unreachable())
    mux = DMAMUX("DMAMUX1", MUX, 0x400, ctx, requests=mux_requests())
    ctx.peripherals.update(TIM3=tim, DMA1=dma, DMAMUX1=mux)
    ctx.wire()                                    # DMA1.mux, DMAMUX1's requests table
    for i, v in enumerate(VALUES):
        ctx.mem_write(BUF + 2 * i, v.to_bytes(2, "little"))
    mux.write(0x00, 4, 0)
    return ctx, tim, dma


def start(ctx: FakeContext, tim: Timer, dma: DMA, request: int, dier: int) -> None:
    """What HAL_TIM_PWM_Start_DMA / a CCR-update DMA set-up do: PWM mode 1 with CCR1 preload,
    the stream M2P 16-bit from BUF to CCR1, then the timer's DMA enable and CEN."""
    ctx.peripherals["DMAMUX1"].write(0x00, 4, request)          # C0CR.DMAREQ_ID
    tim.write(ARR, 4, ARR_VALUE)
    tim.write(CCMR1, 4, 0x68)                                   # OC1M = PWM1, OC1PE
    tim.write(CCER, 4, 1)                                       # CC1E
    tim.write(CCR1, 4, FIRST)
    tim.write(EGR, 4, 1)                                        # UG: CCR1 = 50 active now
    tim.write(SR, 4, 0)
    dma.write(S0PAR, 4, TIM3 + CCR1)
    dma.write(S0M0AR, 4, BUF)
    dma.write(S0NDTR, 4, len(VALUES))
    dma.write(S0CR, 4, M2P | MINC | PSIZE16 | MSIZE16 | HTIE | TCIE)
    dma.write(S0CR, 4, M2P | MINC | PSIZE16 | MSIZE16 | HTIE | TCIE | EN)
    tim.write(DIER, 4, dier)
    tim.write(CR1, 4, 1)


def sample_duties(ctx: FakeContext, tim: Timer, periods: int) -> list[int]:
    """High time of OC1 in each of the first ``periods`` periods, time only moving forward."""
    duties = []
    for k in range(periods):
        high = 0
        for t in range(0, ARR_VALUE + 1, 50):           # CCR values are multiples of 50
            ctx.advance(k * PERIOD + t * CPT - ctx.cycle)
            if tim.output_level(1):
                high = t + 50
        duties.append(high)
    return duties


def test_cc1_requests_rewrite_ccr1_each_period() -> None:
    """HAL_TIM_PWM_Start_DMA: the CC1 match of period k moves the next value into the CCR1
    preload, active from the update event that starts period k+1: duties 50, 100, 200, 300,
    400, then 400 (the stream has stopped after 4 items)."""
    ctx, tim, dma = make()
    start(ctx, tim, dma, TIM3_CH1, CC1DE)
    assert sample_duties(ctx, tim, 6) == [50, 100, 200, 300, 400, 400]
    assert dma.read(S0NDTR, 4) == 0
    assert dma.read(LISR, 4) & (HTIF0 | TCIF0) == HTIF0 | TCIF0
    assert not dma.read(S0CR, 4) & EN                 # normal mode: EN cleared at the end
    assert ctx.irqs[11]                               # DMA1_STR0 (RM0433 Table 145)
    assert tim.dma_requests["CC1"] == 6               # one match per period, served or not


def test_update_requests_lag_one_more_period() -> None:
    """TIM3_UP (UDE): at the update event ending period k the preload has just been made
    active, then the DMA writes the next value into the preload: period 0 and 1 keep 50, then
    100, 200, 300, 400."""
    ctx, tim, dma = make()
    start(ctx, tim, dma, TIM3_UP, UDE)
    assert sample_duties(ctx, tim, 7) == [50, 50, 100, 200, 300, 400, 400]
    assert dma.read(S0NDTR, 4) == 0


def test_half_transfer_after_two_items() -> None:
    ctx, tim, dma = make()
    start(ctx, tim, dma, TIM3_CH1, CC1DE)
    ctx.advance(FIRST * CPT)                           # the first match: one item
    assert dma.read(S0NDTR, 4) == 3 and not dma.read(LISR, 4) & HTIF0
    ctx.advance(PERIOD + (VALUES[0] - FIRST) * CPT)    # period 1's match (CCR1 = 100): 2 of 4
    assert dma.read(S0NDTR, 4) == 2 and dma.read(LISR, 4) & HTIF0
    assert not dma.read(LISR, 4) & TCIF0


def test_burst_through_dmar_updates_two_registers_per_update() -> None:
    """HAL_TIM_DMABurst_WriteStart(TIM_DMABASE_CCR1, TIM_DMA_UPDATE, buf, 2 transfers): DCR
    DBA = 13 (CCR1 at 0x34 = 4 x 13), DBL = 1; each update event makes DBL+1 = 2 requests, the
    DMAR accesses landing in CCR1 then CCR2 (RM0433 40.3.27 "DMA burst mode")."""
    ctx, tim, dma = make()
    for i, v in enumerate((111, 222, 333, 444)):
        ctx.mem_write(BUF + 4 * i, v.to_bytes(4, "little"))
    ctx.peripherals["DMAMUX1"].write(0x00, 4, TIM3_UP)
    tim.write(ARR, 4, ARR_VALUE)
    tim.write(0x48, 4, 13 | 1 << 8)                    # DCR: DBA 13, DBL 1
    dma.write(S0PAR, 4, TIM3 + 0x4C)                   # DMAR
    dma.write(S0M0AR, 4, BUF)
    dma.write(S0NDTR, 4, 4)
    dma.write(S0CR, 4, M2P | MINC | 2 << 11 | 2 << 13 | EN)   # 32-bit items
    tim.write(DIER, 4, UDE)
    tim.write(CR1, 4, 1)
    ctx.advance(PERIOD)                                # first update event
    assert (tim.read(CCR1, 4), tim.read(0x38, 4)) == (111, 222)
    assert dma.read(S0NDTR, 4) == 2
    ctx.advance(PERIOD)
    assert (tim.read(CCR1, 4), tim.read(0x38, 4)) == (333, 444)
    assert dma.read(S0NDTR, 4) == 0


def test_memory_to_memory_copies_the_block_when_enabled() -> None:
    """DMA_SxCR DIR = 10 (RM0433 15.3.8): no request needed; 16 words from AXI SRAM to SRAM1
    (0x3000 0000), then HTIF and TCIF, NDTR 0, EN cleared. A DTCM source (0x2000 0000, not
    on the DMA's bus matrix: RM0433 Figure 1) is a transfer error (TEIF0 = LISR bit 3)."""
    ctx, _tim, dma = make()
    words = [0x1000 + i for i in range(16)]
    for i, w in enumerate(words):
        ctx.mem_write(BUF + 4 * i, w.to_bytes(4, "little"))
    dst = 0x30000000
    dma.write(S0PAR, 4, BUF)
    dma.write(S0M0AR, 4, dst)
    dma.write(S0NDTR, 4, 16)
    dma.write(S0CR, 4, 2 << 6 | 1 << 9 | MINC | 2 << 11 | 2 << 13 | TCIE | EN)
    got = [int.from_bytes(ctx.mem_read(dst + 4 * i, 4), "little") for i in range(16)]
    assert got == words
    assert dma.read(LISR, 4) & (HTIF0 | TCIF0) == HTIF0 | TCIF0
    assert dma.read(S0NDTR, 4) == 0 and not dma.read(S0CR, 4) & EN
    assert ctx.irqs[11]
    dma.write(0x08, 4, 0x3D)                           # LIFCR: clear stream 0's flags
    dma.write(S0PAR, 4, 0x20000000)
    dma.write(S0NDTR, 4, 4)
    dma.write(S0CR, 4, 2 << 6 | 1 << 9 | MINC | 2 << 11 | 2 << 13 | EN)
    assert dma.read(LISR, 4) & 1 << 3
