"""Lost audio the simulator can see (issue 15): a DMA half/complete interrupt raised while the
previous one is still pending, a circular buffer half the DMA turns back to while its
interrupt is still pending, or one the CPU never read. Register level (circular DMA of SAI1
into a 64-sample buffer: HT after 32 frames, TC after 64, RM0433 15.3.10), then the aligner
firmware itself, whose own counters are the oracle."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import numpy as np
import pytest
from test_periph_sai_dma import (
    BUF,
    CIRC,
    DMAEN,
    FRAME,
    HTIE,
    HTIF0,
    LIFCR,
    MINC,
    MSIZE16,
    PL_HIGH,
    PSIZE16,
    TCIE,
    TCIF0,
    dma_stream0,
    make,
    sai_16k_mono,
)

HALF = 32


def _start():
    ctx, sai, dma, mux = make()
    sai.attach_source(np.arange(1, 20_000, dtype=np.int16))
    dma_stream0(ctx, dma, mux, 2 * HALF,
                CIRC | MINC | PSIZE16 | MSIZE16 | HTIE | TCIE | PL_HIGH)
    sai_16k_mono(sai, DMAEN)
    return ctx, dma.streams[0], dma


def test_prompt_handler_that_reads_every_half_loses_nothing():
    ctx, s, dma = _start()
    for _ in range(4):
        for flag, half in ((HTIF0, 0), (TCIF0, 1)):
            ctx.advance(HALF * FRAME)
            dma.write(LIFCR, 4, flag)                 # the handler acknowledges ...
            ctx.cpu_read(BUF + 2 * HALF * half + 6)   # ... and reads the half just filled
    assert (s.lost_events, s.rewritten_halves, s.unread_halves) == (0, 0, 0)


def test_interrupts_never_served_lose_events_and_halves():
    ctx, s, dma = _start()
    ctx.advance(HALF * FRAME)          # HT 1: half 0 full
    assert (s.lost_events, s.rewritten_halves) == (0, 0)
    ctx.advance(HALF * FRAME)          # TC 1: the DMA turns to half 0, its HT still pending
    assert (s.lost_events, s.rewritten_halves) == (0, 1)
    ctx.advance(HALF * FRAME)          # HT 2: HTIF set again (one interrupt lost), and the
    assert (s.lost_events, s.rewritten_halves) == (1, 2)   # DMA turns to half 1, TC pending
    ctx.advance(HALF * FRAME)          # TC 2
    assert (s.lost_events, s.rewritten_halves) == (2, 3)


def test_acknowledged_but_unread_halves_are_lost():
    ctx, s, dma = _start()
    ctx.advance(HALF * FRAME)                      # HT 1
    dma.write(LIFCR, 4, HTIF0)
    ctx.advance(HALF * FRAME)                      # TC 1: half 0 was never read
    dma.write(LIFCR, 4, TCIF0)
    assert (s.lost_events, s.rewritten_halves, s.unread_halves) == (0, 0, 1)
    ctx.cpu_read(BUF + 2 * HALF)                   # half 1 read in time
    ctx.advance(HALF * FRAME)                      # HT 2
    dma.write(LIFCR, 4, HTIF0)
    assert s.unread_halves == 1
    ctx.cpu_read(BUF)                              # a read of half 0 *before* HT 2 would
    ctx.advance(HALF * FRAME)                      # not count: this one, after it, does
    assert s.unread_halves == 1


ALIGNER_TEXT = "hello world"


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng not installed")
def test_strict_fails_when_the_aligner_loses_audio_at_8_mhz(firmware_build, tmp_path):
    """At an 8 MHz core clock the aligner cannot keep up: its own statistics line counts the
    audio blocks it had to skip (lost=N). The simulator counts the same halves as rewritten
    before the CPU read them, and --strict makes that exit 4."""
    from simulator.cli import main

    wav = tmp_path / "clip.wav"
    subprocess.run(["espeak-ng", "-v", "en-us", "-w", str(wav), ALIGNER_TEXT], check=True)
    out = tmp_path / "r.json"
    code = main([str(firmware_build / "aligner.elf"), "--audio", str(wav), "--text",
                 ALIGNER_TEXT, "--cpu-freq", "8", "--strict", "-q", "--json", str(out)])
    r = json.loads(out.read_text())
    stats = re.search(r"# stats .*\blost=(\d+) late=(\d+)", r["console"]["USART3"])
    assert stats, r["console"]["USART3"][-500:]
    lost = int(stats[1])
    assert lost > 0
    assert r["dma"]["unread_halves"] == lost
    assert r["audio"]["overrun_words"] == 0            # the SAI FIFO never overflowed
    assert code == 4
    assert any("rewritten before the firmware read them" in f for f in r["strict_failures"])
