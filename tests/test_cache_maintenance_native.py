"""DCIMVAC (invalidate the D-cache line of an address) served by the native MMIO callback
(mmio_native._dcimvac) costs and changes exactly what the Python path does (the oracle:
DataCache.maintain through the FPU_CACHE model), on firmware that invalidates its DMA buffers
line by line as CMSIS SCB_InvalidateDCache_by_Addr does (common/sai_dma.c)."""

from __future__ import annotations

from pathlib import Path

from simulator.apps.aligner import end_of_audio_line
from simulator.attachments.audio_feed import AudioFeed
from simulator.audio import AudioSource
from simulator.elf import load_firmware
from simulator.machine import Machine, RunConfig
from simulator.platform import load_platform

from .test_audio_firmware import make_clip


def _run(elf: Path, wav: Path, native: bool) -> tuple[Machine, object]:
    feed = AudioFeed(AudioSource.open(wav), end_marker=end_of_audio_line)
    # every data access through the D-cache model: an invalidated line is a miss that costs
    m = Machine(load_firmware(elf), load_platform(),
                RunConfig(max_cycles=400_000_000, timeout_s=300, dcache="exact"), [feed])
    if not native:                      # the word back to the Python path (its kind before)
        assert m.bus.serve_natively(m.core.fpu_cache.operation_address("DCIMVAC"), 0)
    return m, m.run()


def test_native_dcimvac_matches_the_python_path(firmware_build: Path, tmp_path: Path) -> None:
    elf = firmware_build / "audio_loopback.elf"
    wav = make_clip(tmp_path / "a.wav", 2_600)                   # 10 blocks of 256 samples
    m_nat, nat = _run(elf, wav, native=True)
    m_py, py = _run(elf, wav, native=False)
    assert py.exit_reason == nat.exit_reason == "exit" and nat.exit_code == 0
    python_ops = m_py.core.fpu_cache.operations.get("DCIMVAC", 0)
    assert python_ops > 100                                       # the buffers, line by line
    assert m_nat.core.fpu_cache.operations.get("DCIMVAC", 0) == 0
    assert m_nat.bus._native.dcimvac_writes == python_ops
    assert (nat.cycles, nat.instructions, nat.sleep_cycles) == \
        (py.cycles, py.instructions, py.sleep_cycles)
    assert nat.timing == py.timing                  # D-cache hits, misses, write-backs, stalls
    assert nat.segments == py.segments
    assert nat.console == py.console
