"""SAI1 + DMAMUX1 + DMA1 through the bus API (no CPU): frame rate from the clock tree, circular
and double-buffer DMA of a known ramp with HT/TC at exact cycles, NDTR, overrun, FIFO/IRQ
behaviour, transfer errors and the end of the host's source.

Time: core clock 400 MHz and 16 kHz frames, so one frame is exactly 25 000 core cycles.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from peripherals.base import FakeContext
from peripherals.dma import DMA
from peripherals.dmamux import DMAMUX
from peripherals.rcc import RCC
from peripherals.sai import SAI
from simulator.audio import AudioError, AudioSource, attach_audio

FRAME = 25_000                      # 400 MHz / 16 kHz
SAI_BASE, DMA1_BASE, MUX_BASE = 0x40015800, 0x40020000, 0x40020800
SAI_IRQ, STREAM0_IRQ = 87, 11
DMA1_IRQS = {f"DMA1_STR{i}": irq for i, irq in enumerate((11, 12, 13, 14, 15, 16, 17, 47))}
BUF = 0x24000000                    # AXI SRAM

# SAI block A register offsets (RM0433 51.6) and bits.
ACR1, ACR2, AFRCR, ASLOTR, AIM, ASR, ACLRFR, ADR = 0x04, 0x08, 0x0C, 0x10, 0x14, 0x18, 0x1C, 0x20
MODE_MASTER_RX, DS16, MONO, SAIEN, DMAEN, NODIV = 1, 4 << 5, 1 << 12, 1 << 16, 1 << 17, 1 << 19
OVRUDR, FREQ = 1 << 0, 1 << 3
# DMA stream 0 registers (RM0433 15.5) and SxCR bits.
LISR, LIFCR, S0CR, S0NDTR, S0PAR, S0M0AR, S0M1AR = 0x00, 0x08, 0x10, 0x14, 0x18, 0x1C, 0x20
EN, TEIE, HTIE, TCIE, CIRC, MINC, DBM, CT = 1, 1 << 2, 1 << 3, 1 << 4, 1 << 8, 1 << 10, \
    1 << 18, 1 << 19
PSIZE16, MSIZE16, PL_HIGH = 1 << 11, 1 << 13, 2 << 16
HTIF0, TCIF0, TEIF0 = 1 << 4, 1 << 5, 1 << 3


def mckdiv(n: int) -> int:
    return n << 20


def mux_requests() -> dict:
    """DMAMUX1's request table as the platform file declares it (RM0433 Table 121)."""
    from simulator.platform import load_platform
    return next(w.params["requests"] for w in load_platform().peripherals
                if w.name == "DMAMUX1")


def dma_unreachable() -> list:
    """What DMA1 cannot reach, as the platform file declares it (the TCMs: RM0433 Figure 1)."""
    from simulator.platform import load_platform
    return next(w.params["unreachable"] for w in load_platform().peripherals
                if w.name == "DMA1")


def make(kernel_hz: float = 49.152e6) -> tuple[FakeContext, SAI, DMA, DMAMUX]:
    """SAI1, DMA1 and DMAMUX1 in a FakeContext without RCC (kernel clock given directly)."""
    ctx = FakeContext(clocks={"cpu": 400e6, "pll1_q": kernel_hz})
    sai = SAI("SAI1", SAI_BASE, 0x400, ctx, irqs={"SAI1": SAI_IRQ})
    dma = DMA("DMA1", DMA1_BASE, 0x400, ctx, irqs=DMA1_IRQS, unreachable=dma_unreachable())
    mux = DMAMUX("DMAMUX1", MUX_BASE, 0x400, ctx, irqs={"DMAMUX1_OV": 102},
                 requests=mux_requests())
    ctx.peripherals.update(SAI1=sai, DMA1=dma, DMAMUX1=mux)
    ctx.wire()               # DMA1.mux = DMAMUX1, SAI1.dma_a -> DMAMUX1.request@87 ...
    return ctx, sai, dma, mux


def sai_16k_mono(sai: SAI, extra_cr1: int = 0) -> None:
    """Master receiver, 16-bit, 64-bit frame, one slot: fs = 49.152 MHz / (12 * 256)."""
    sai.write(AFRCR, 4, 63 | 31 << 8 | 1 << 16)            # FRL=63, FSALL=31, FSDEF
    sai.write(ASLOTR, 4, 1 << 8 | 0x3 << 16)               # 2 slots, both enabled
    cr1 = MODE_MASTER_RX | DS16 | MONO | mckdiv(12) | extra_cr1
    sai.write(ACR1, 4, cr1)
    sai.write(ACR1, 4, cr1 | SAIEN)


def dma_stream0(ctx: FakeContext, dma: DMA, mux: DMAMUX, ndtr: int, cr: int,
                m1: int | None = None) -> None:
    mux.write(0x00, 4, 87)                                 # C0CR.DMAREQ_ID = SAI1_A
    dma.write(S0PAR, 4, SAI_BASE + ADR)
    dma.write(S0M0AR, 4, BUF)
    if m1 is not None:
        dma.write(S0M1AR, 4, m1)
    dma.write(S0NDTR, 4, ndtr)
    dma.write(S0CR, 4, cr)
    dma.write(S0CR, 4, cr | EN)


def mem16(ctx: FakeContext, address: int, n: int) -> np.ndarray:
    return np.frombuffer(ctx.mem_read(address, 2 * n), "<i2")


# --- registers and clocks --------------------------------------------------------------------
def test_reset_values() -> None:
    _, sai, dma, mux = make()
    # RM0433 51.6: xCR1 0x40 (DS=8 bits), xFRCR 0x7, xSR 0x8 (FREQ of an empty TX FIFO).
    assert sai.read(ACR1, 4) == 0x40 and sai.read(0x24, 4) == 0x40
    assert sai.read(AFRCR, 4) == 0x7 and sai.read(ASR, 4) == 0x8
    assert sai.read(0x00, 4) == 0 and sai.read(ASLOTR, 4) == 0
    # RM0433 15.5: SxFCR 0x21; everything else 0.
    assert dma.read(0x24, 4) == 0x21 and dma.read(S0CR, 4) == 0 and dma.read(LISR, 4) == 0
    assert all(mux.read(4 * x, 4) == 0 for x in range(16))


def test_fifo_threshold_and_bursts_count_only_in_fifo_mode() -> None:
    """RM0433 15.5.10 DMA_SxFCR.FTH: "not used in the direct mode" (ST's HAL_DMA_Init clears
    it there, as our sai_dma.c does); 15.5.5 SxCR.PBURST/MBURST are forced to 00 in direct mode.
    So a direct-mode stream that rewrites them is exact as modelled; a FIFO-mode stream is not
    (the model's FIFO is transparent, its transfers single) and is counted."""
    ctx, sai, dma, mux = make()
    sai.attach_source(np.arange(1, 2_000, dtype=np.int16))
    dma.write(0x24, 4, 0)                                  # S0FCR: direct mode, FTH 1/2 -> 1/4
    dma_stream0(ctx, dma, mux, 64, CIRC | MINC | PSIZE16 | MSIZE16 | 1 << 23)   # MBURST=INCR4
    assert dma.unmodelled_fields == {}
    dma.write(S0CR, 4, 0)
    dma.write(0x24, 4, 1 << 2 | 3)                         # FIFO mode, FTH = full
    dma_stream0(ctx, dma, mux, 64, CIRC | MINC | PSIZE16 | MSIZE16 | 1 << 23)
    assert dma.unmodelled_fields == {"DMA1.S0FCR.FTH": 1, "DMA1.S0CR.PBURST/MBURST": 1}


def test_16khz_from_pll3_through_rcc() -> None:
    """HSE 8 MHz / M3=5 * N3=128 = 204.8 MHz VCO, / P3=25 = 8.192 MHz on SAI1SEL=pll3_p;
    MCKDIV=2, OSR=0: fs = 8.192 MHz / (2 * 256) = 16 kHz (RM0433 51.4.8)."""
    ctx, sai, _, _ = make()
    rcc = RCC("RCC", 0x58024400, 0x400, ctx, hse_hz=8e6)
    ctx.peripherals["RCC"] = rcc
    ctx.wire()
    rcc.write(0x00, 4, rcc.read(0x00, 4) | 1 << 16)                    # HSEON
    ctx.advance(400_000)
    assert rcc.get_field("CR", "HSERDY")
    rcc.set_field("PLLCKSELR", "PLLSRC", 2)
    rcc.set_field("PLLCKSELR", "DIVM3", 5)
    pllcfgr = rcc.reg("PLLCFGR") & ~(3 << 10) | 1 << 9                 # PLL3RGE=0, VCOSEL=1
    rcc.write(0x2C, 4, pllcfgr)
    rcc.write(0x40, 4, 127 | 24 << 9)                                  # PLL3DIVR: N=128, P=25
    rcc.write(0x00, 4, rcc.read(0x00, 4) | 1 << 28)                    # PLL3ON
    ctx.advance(100_000)
    assert rcc.get_field("CR", "PLL3RDY")
    rcc.write(0x50, 4, 2)                                              # D2CCIP1R.SAI1SEL=pll3_p
    rcc.write(0xF0, 4, rcc.read(0xF0, 4) | 1 << 22)                    # APB2ENR.SAI1EN
    assert rcc.kernel_clock_hz("SAI1") == pytest.approx(8.192e6)
    sai.write(AFRCR, 4, 31 | 15 << 8)
    sai.write(ACR1, 4, MODE_MASTER_RX | DS16 | mckdiv(2))
    assert sai.blocks["A"].frame_rate_hz() == pytest.approx(16_000)
    assert not [m for m in ctx.messages if "warning" in m]


def test_frame_rate_formulas_and_wrong_clock_config() -> None:
    _, sai, _, _ = make(kernel_hz=49.152e6)
    blk = sai.blocks["A"]
    sai.write(ACR1, 4, MODE_MASTER_RX | DS16 | mckdiv(12) | 1 << 26)   # OSR=1: / 512
    assert blk.frame_rate_hz() == pytest.approx(8_000)
    sai.write(ACR1, 4, MODE_MASTER_RX | DS16 | mckdiv(0))              # MCKDIV=0 divides by 1
    assert blk.frame_rate_hz() == pytest.approx(192_000)
    sai.write(AFRCR, 4, 31)                                            # NODIV: SCK / (FRL+1)
    sai.write(ACR1, 4, MODE_MASTER_RX | DS16 | NODIV | mckdiv(48))
    assert blk.frame_rate_hz() == pytest.approx(49.152e6 / 48 / 32)
    sai.write(AFRCR, 4, 47)                                            # 48-bit frame, NODIV=0
    sai.write(ACR1, 4, MODE_MASTER_RX | DS16 | mckdiv(12))
    sai.write(ACR1, 4, MODE_MASTER_RX | DS16 | mckdiv(12) | SAIEN)
    assert sai.read(ASR, 4) & 1 << 2                                   # WCKCFG
    assert not sai.read(ACR1, 4) & SAIEN and not blk.running


def test_writes_ignored_while_clock_disabled() -> None:
    ctx, sai, dma, _ = make()
    ctx.peripherals["RCC"] = RCC("RCC", 0x58024400, 0x400, ctx)
    ctx.wire()
    sai.write(ACR1, 4, MODE_MASTER_RX)
    dma.write(S0NDTR, 4, 5)
    assert sai.read(ACR1, 4) == 0x40 and dma.read(S0NDTR, 4) == 0
    assert any("APB2ENR" in m for m in ctx.messages)
    assert any("AHB1ENR" in m for m in ctx.messages)


# --- DMA ----------------------------------------------------------------------------------------
def test_circular_dma_ramp_with_ht_tc_at_exact_cycles() -> None:
    ctx, sai, dma, mux = make()
    ramp = np.arange(1, 301, dtype=np.int16)
    sai.attach_source(ramp)
    n = 64
    dma_stream0(ctx, dma, mux, n, CIRC | MINC | PSIZE16 | MSIZE16 | HTIE | TCIE | PL_HIGH)
    sai_16k_mono(sai, DMAEN)
    t0 = ctx.now()
    ctx.advance(32 * FRAME - 1)
    assert dma.read(LISR, 4) == 0 and not ctx.irqs.get(STREAM0_IRQ)
    ctx.advance(1)                                   # 32nd frame: half transfer
    assert ctx.now() == t0 + 32 * FRAME
    assert dma.read(LISR, 4) == HTIF0 and ctx.irqs[STREAM0_IRQ]
    assert list(mem16(ctx, BUF, 32)) == list(range(1, 33))
    assert dma.read(S0NDTR, 4) == 32
    dma.write(LIFCR, 4, HTIF0)
    assert not ctx.irqs[STREAM0_IRQ]
    ctx.advance(32 * FRAME)                          # 64th frame: transfer complete, reload
    assert dma.read(LISR, 4) == TCIF0 and ctx.irqs[STREAM0_IRQ]
    assert list(mem16(ctx, BUF, 64)) == list(range(1, 65))
    assert dma.read(S0NDTR, 4) == 64 and dma.read(S0CR, 4) & EN
    dma.write(LIFCR, 4, TCIF0)
    ctx.advance(10 * FRAME + FRAME // 2)             # circular: frames 65..74 overwrite 0..9
    assert dma.read(S0NDTR, 4) == 54                 # exact at this cycle, mid-buffer
    assert list(mem16(ctx, BUF, 12)) == list(range(65, 75)) + [11, 12]
    assert sai.overruns == 0


def test_double_buffer_toggles_ct() -> None:
    ctx, sai, dma, mux = make()
    sai.attach_source(np.arange(1000, dtype=np.int16))
    m1 = BUF + 0x1000
    dma_stream0(ctx, dma, mux, 16, DBM | CIRC | MINC | PSIZE16 | MSIZE16 | TCIE, m1=m1)
    sai_16k_mono(sai, DMAEN)
    ctx.advance(16 * FRAME)
    assert dma.read(S0CR, 4) & CT                     # M0 full: now filling M1
    assert list(mem16(ctx, BUF, 16)) == list(range(16))
    dma.write(LIFCR, 4, TCIF0)
    ctx.advance(16 * FRAME)
    assert not dma.read(S0CR, 4) & CT                 # M1 full: back to M0
    assert list(mem16(ctx, m1, 16)) == list(range(16, 32))
    dma.write(S0M1AR, 4, m1 + 0x100)                  # the idle buffer may be moved
    dma.write(LIFCR, 4, TCIF0)
    ctx.advance(32 * FRAME)
    assert list(mem16(ctx, m1 + 0x100, 16)) == list(range(48, 64))
    assert not dma.read(S0CR, 4) & CT
    dma.write(S0M0AR, 4, BUF + 0x200)                 # the buffer in use: transfer error
    assert dma.read(LISR, 4) & TEIF0 and not dma.read(S0CR, 4) & EN


def test_normal_mode_stops_then_fifo_overruns() -> None:
    ctx, sai, dma, mux = make()
    sai.attach_source(np.arange(100, dtype=np.int16))
    dma_stream0(ctx, dma, mux, 10, MINC | PSIZE16 | MSIZE16 | TCIE)
    sai_16k_mono(sai, DMAEN)
    ctx.advance(10 * FRAME)
    assert dma.read(LISR, 4) == HTIF0 | TCIF0 and not dma.read(S0CR, 4) & EN
    assert dma.read(S0NDTR, 4) == 0
    ctx.advance(9 * FRAME)                            # 8 words fill the FIFO, the 9th is lost
    assert sai.read(ASR, 4) & OVRUDR and sai.overruns == 1
    assert list(mem16(ctx, BUF, 10)) == list(range(10))


def test_overrun_without_dma_raises_irq_at_the_ninth_frame() -> None:
    ctx, sai, _, _ = make()
    sai.attach_source(np.arange(-50, 50, dtype=np.int16))
    sai.write(AIM, 4, OVRUDR)                         # OVRUDRIE
    sai_16k_mono(sai)                                 # no DMAEN, no DR reads
    t0 = ctx.now()
    ctx.advance(9 * FRAME - 1)
    assert not ctx.irqs.get(SAI_IRQ)
    assert sai.read(ASR, 4) >> 16 & 7 == 5            # FLVL: FIFO full
    ctx.advance(1)
    assert ctx.now() == t0 + 9 * FRAME and ctx.irqs[SAI_IRQ] and sai.overruns == 1
    ctx.advance(11 * FRAME)
    assert sai.overruns == 12
    # the FIFO kept the first 8 samples; DR reads are right-aligned 16-bit values
    assert [sai.read(ADR, 4) for _ in range(8)] == [(v & 0xFFFF) for v in range(-50, -42)]
    sai.write(ACLRFR, 4, 1)
    assert not sai.read(ASR, 4) & OVRUDR and not ctx.irqs[SAI_IRQ]


def test_freq_interrupt_and_dr_reads() -> None:
    ctx, sai, _, _ = make()
    sai.attach_source(np.arange(1, 40, dtype=np.int16))
    sai.write(ACR2, 4, 2)                             # FTH = 1/2 FIFO (4 words)
    sai.write(AIM, 4, FREQ)
    sai_16k_mono(sai)
    ctx.advance(4 * FRAME - 1)
    assert not ctx.irqs.get(SAI_IRQ)
    ctx.advance(1)
    assert ctx.irqs[SAI_IRQ] and sai.read(ASR, 4) & FREQ
    assert [sai.read(ADR, 2) for _ in range(4)] == [1, 2, 3, 4]
    assert not ctx.irqs[SAI_IRQ]
    sai.write(ACR2, 4, 2 | 1 << 3)                    # FFLUSH
    assert sai.read(ASR, 4) >> 16 & 7 == 0


def test_dma_enabled_late_drains_fifo_first() -> None:
    ctx, sai, dma, mux = make()
    sai.attach_source(np.arange(500, dtype=np.int16))
    sai_16k_mono(sai)
    ctx.advance(3 * FRAME)                            # 3 words wait in the FIFO
    dma_stream0(ctx, dma, mux, 8, CIRC | MINC | PSIZE16 | MSIZE16)
    sai.write(ACR1, 4, sai.read(ACR1, 4) | DMAEN)
    assert dma.read(S0NDTR, 4) == 5
    ctx.advance(5 * FRAME)
    assert list(mem16(ctx, BUF, 8)) == list(range(8))
    assert sai.overruns == 0


def test_dtcm_target_is_a_transfer_error() -> None:
    ctx, sai, dma, mux = make()
    sai.attach_source(np.arange(100, dtype=np.int16))
    mux.write(0x00, 4, 87)
    dma.write(S0PAR, 4, SAI_BASE + ADR)
    dma.write(S0M0AR, 4, 0x20000000)
    dma.write(S0NDTR, 4, 16)
    dma.write(S0CR, 4, CIRC | MINC | PSIZE16 | MSIZE16 | TEIE | EN)
    sai_16k_mono(sai, DMAEN)
    ctx.advance(8 * FRAME)
    assert dma.read(LISR, 4) & TEIF0 and ctx.irqs[STREAM0_IRQ]
    assert not dma.read(S0CR, 4) & EN
    assert any("DTCM" in m for m in ctx.messages)


def test_end_of_source_stops_the_stream_and_tells_the_host() -> None:
    ctx, sai, dma, mux = make()
    ended: list[int] = []
    sai.blocks["A"].end_listeners.append(ended.append)
    sai.attach_source(np.arange(1, 41, dtype=np.int16))      # 40 samples
    dma_stream0(ctx, dma, mux, 32, CIRC | MINC | PSIZE16 | MSIZE16 | HTIE | TCIE)
    sai_16k_mono(sai, DMAEN)
    t0 = ctx.now()
    ctx.advance(100 * FRAME)
    assert ended == [t0 + 40 * FRAME]
    assert dma.read(S0NDTR, 4) == 24                  # 40 = 32 + 8: stopped mid-buffer
    assert list(mem16(ctx, BUF, 8)) == list(range(33, 41))
    assert sai.read(ACR1, 4) & SAIEN and sai.overruns == 0
    assert not ctx._events                            # nothing left to wake the core


def test_float_source_and_24_bit_data() -> None:
    ctx, sai, _, _ = make()
    sai.write(ACR1, 4, MODE_MASTER_RX | 6 << 5)      # DS = 24 bits
    sai.attach_source(np.array([0.5, -0.5, 1.0], dtype=np.float32))
    sai_16k_mono(sai)
    sai.write(ACR1, 4, 0)
    sai.write(ACR1, 4, MODE_MASTER_RX | 6 << 5 | MONO | mckdiv(12) | SAIEN)
    ctx.advance(3 * FRAME)
    assert [sai.read(ADR, 4) for _ in range(3)] == [0x400000, 0xC00000, 0x7FFFFF]


def test_core_clock_change_keeps_audio_time() -> None:
    """Frames are counted in audio time: a core clock change re-anchors the cycle timeline."""
    ctx, sai, _, _ = make()
    sai.attach_source(np.arange(100, dtype=np.int16))
    sai_16k_mono(sai)
    ctx.advance(4 * FRAME)
    ctx.clocks["cpu"] = 200e6                         # now 12 500 cycles per frame
    sai._clock_changed()
    ctx.advance(3 * 12_500)
    assert sai.read(ASR, 4) >> 16 & 7 == 4            # 7 words: 3/4 < level < full


def test_audio_file_rendered_at_the_programmed_rate(tmp_path: Path) -> None:
    """The host opens the file before the run; the SAI renders it when enabled, at the frame
    rate and data size the firmware programmed (here 16 kHz, 16 bits from a 48 kHz file)."""
    path = tmp_path / "ramp.wav"
    sf.write(str(path), np.full(4800, 0.25), 48_000, subtype="PCM_16")    # 0.1 s
    rendered = []
    ctx, sai, dma, mux = make()
    sai.blocks["A"].attach_source_factory(AudioSource.open(path).sai_factory(rendered))
    dma_stream0(ctx, dma, mux, 2000, MINC | PSIZE16 | MSIZE16)
    sai_16k_mono(sai, DMAEN)
    ctx.advance(2000 * FRAME)
    assert len(rendered) == 1 and rendered[0].rate == 16_000 and len(rendered[0].samples) == 1600
    assert dma.read(S0NDTR, 4) == 400                          # 1600 samples, then silence
    mid = mem16(ctx, BUF + 2 * 100, 1000)
    assert np.all(np.abs(mid - 8192) <= 2)


def test_overrun_when_the_sai_does_not_request_dma() -> None:
    """The stream is enabled but SAI DMAEN=0: nothing drains the FIFO."""
    ctx, sai, dma, mux = make()
    sai.attach_source(np.arange(100, dtype=np.int16))
    dma_stream0(ctx, dma, mux, 32, CIRC | MINC | PSIZE16 | MSIZE16 | TCIE)
    sai_16k_mono(sai)                                 # DMAEN forgotten
    ctx.advance(20 * FRAME)
    assert dma.read(S0NDTR, 4) == 32 and dma.read(LISR, 4) == 0
    assert sai.read(ASR, 4) & OVRUDR and sai.overruns == 12


def test_software_disable_sets_tcif_and_ie_bits_stay_writable() -> None:
    ctx, sai, dma, mux = make()
    sai.attach_source(np.arange(100, dtype=np.int16))
    cr = CIRC | MINC | PSIZE16 | MSIZE16 | TCIE
    dma_stream0(ctx, dma, mux, 32, cr)
    sai_16k_mono(sai, DMAEN)
    dma.write(S0CR, 4, cr | HTIE | EN)                # HTIE may be set while running
    dma.write(S0CR, 4, cr | HTIE | EN | DBM)          # DBM may not
    assert dma.read(S0CR, 4) == cr | HTIE | EN
    ctx.advance(5 * FRAME + 3)
    dma.write(S0CR, 4, cr | HTIE)                     # disable: the 5 samples stay, TCIF
    assert dma.read(LISR, 4) == TCIF0 and dma.read(S0NDTR, 4) == 27
    assert list(mem16(ctx, BUF, 5)) == list(range(5))


def test_streams_due_together_are_served_by_priority() -> None:
    """SAI1_A on stream 0 (PL low) and SAI1_B on stream 1 (PL very high), same rate: at each
    shared half/complete cycle stream 1 is served first (RM0433 15.3)."""
    ctx, sai, dma, mux = make()
    order: list[int] = []
    write = ctx.mem_write
    ctx.mem_write = lambda a, d: (order.append(a & ~0xFFF), write(a, d))   # type: ignore
    for port in ("A", "B"):
        sai.attach_source(np.arange(100, dtype=np.int16), port=port)
    mux.write(0x00, 4, 87)                                   # C0CR: SAI1_A
    mux.write(0x04, 4, 88)                                   # C1CR: SAI1_B
    for x, (buf, pl) in enumerate(((BUF, 0), (BUF + 0x1000, 3))):
        b = 0x10 + 0x18 * x
        dma.write(b + 0x08, 4, SAI_BASE + (0x20 if x == 0 else 0x40))
        dma.write(b + 0x0C, 4, buf)
        dma.write(b + 0x04, 4, 8)
        dma.write(b, 4, CIRC | MINC | PSIZE16 | MSIZE16 | pl << 16 | EN)
    for off in (0x00, 0x20):                                 # both blocks, same set-up
        sai.write(off + AFRCR, 4, 63 | 31 << 8)
        sai.write(off + ASLOTR, 4, 1 << 8 | 0x3 << 16)
        cr1 = MODE_MASTER_RX | DS16 | MONO | mckdiv(12) | DMAEN
        sai.write(off + ACR1, 4, cr1)
    sai.write(ACR1, 4, sai.read(ACR1, 4) | SAIEN)
    sai.write(0x24, 4, sai.read(0x24, 4) | SAIEN)            # same cycle as block A
    ctx.advance(8 * FRAME)
    assert order == [BUF + 0x1000, BUF, BUF + 0x1000, BUF]
    assert list(mem16(ctx, BUF + 0x1000, 8)) == list(range(8))


def test_attach_audio_reports_delivery_and_end(tmp_path: Path) -> None:
    path = tmp_path / "tone.wav"
    sf.write(str(path), 0.5 * np.sin(np.arange(1600) / 10), 16_000, subtype="PCM_16")
    ctx, sai, dma, mux = make()
    ends: list[int] = []
    att = attach_audio(ctx.peripherals, AudioSource.open(path), on_end=ends.append)
    assert att.report()["delivered"] is False
    dma_stream0(ctx, dma, mux, 256, CIRC | MINC | PSIZE16 | MSIZE16 | HTIE | TCIE)
    sai_16k_mono(sai, DMAEN)
    t0 = ctx.now()
    ctx.advance(2000 * FRAME)
    rep = att.report()
    assert rep["delivered"] and rep["samples_delivered"] == 1600 and rep["overrun_words"] == 0
    assert ends == [t0 + 1600 * FRAME] and rep["end_cycle"] == ends[0]
    assert rep["rate_hz"] == 16_000 and rep["resample"] == "1/1"
    with pytest.raises(AudioError, match="no SAI model"):
        attach_audio({}, AudioSource.open(path))
