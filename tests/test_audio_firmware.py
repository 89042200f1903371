"""Audio capture firmware in the simulator: common/sai_dma.c (SAI1 A -> DMAMUX1 -> DMA1 S0).

* audio_loopback: every block's sum and CRC-32 (and the whole stream's) must equal NumPy's over
  the clip exactly as the simulator rendered it; no SAI overrun, no lost block; the core sleeps
  (WFI) most of the time.
* audio_overrun: 64 MHz HSI, no DMA, heavy work per block: the SAI FIFO must overrun and the
  driver's SAI1 interrupt must count it.
* aligner app: the A/D lines over USART3 must equal the host build of the same library on the
  same samples (needs espeak-ng to make a speech clip).

The end of audio is signalled the way the host does it (simulator/apps/aligner.py): an
``S <total_samples>`` line on the console USART when the SAI source runs dry
(AudioFeed's end_marker given as a callable of the delivered sample count).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from simulator.apps.aligner import end_of_audio_line
from simulator.attachments.audio_feed import AudioFeed
from simulator.audio import AudioSource
from simulator.elf import load_firmware
from simulator.machine import Machine, RunConfig
from simulator.platform import load_platform

ROOT = Path(__file__).resolve().parent.parent
BLOCK = 256


def make_clip(path: Path, n: int, seed: int = 1) -> Path:
    rng = np.random.default_rng(seed)
    t = np.arange(n) / 16_000
    x = 0.3 * np.sin(2 * np.pi * 440 * t) + 0.05 * rng.standard_normal(n)
    sf.write(str(path), x.astype(np.float32), 16_000, subtype="PCM_16")
    return path


def run_with_audio(elf: Path, wav: Path, *, send_total: bool = True, uart_input: bytes = b"",
                   max_cycles: int = 4_000_000_000) -> tuple[Machine, object]:
    feed = AudioFeed(AudioSource.open(wav),
                     end_marker=end_of_audio_line if send_total else None)
    m = Machine(load_firmware(elf), load_platform(),
                RunConfig(uart_input=uart_input, max_cycles=max_cycles, timeout_s=600), [feed])
    assert m.audio is not None
    return m, m.run()


def crc32(s: np.ndarray) -> int:
    return zlib.crc32(np.ascontiguousarray(s, dtype="<i2").tobytes())


def test_audio_loopback_checksums(firmware_build: Path, tmp_path: Path) -> None:
    n = 6_500                                    # 25 full blocks + a 100-sample tail
    m, r = run_with_audio(firmware_build / "audio_loopback.elf", make_clip(tmp_path / "a.wav", n))
    out = r.console["USART3"].decode()
    assert r.exit_reason == "exit" and r.exit_code == 0, out[-1500:]

    samples = m.audio.rendered[-1].samples
    assert samples.dtype == np.int16 and len(samples) == n
    rep = m.audio.report()
    assert rep["samples_delivered"] == n
    assert rep["overrun_words"] == 0

    blocks = [tuple(int(v, 0 if i < 3 else 16) for i, v in enumerate(line.split()[1:]))
              for line in out.splitlines() if line.startswith("B ")]
    assert len(blocks) == -(-n // BLOCK)
    for k, (index, cnt, total, crc) in enumerate(blocks):
        ref = samples[k * BLOCK:k * BLOCK + cnt]
        assert index == k
        assert cnt == (BLOCK if k < n // BLOCK else n % BLOCK)
        assert total == int(ref.astype(np.int64).sum()), k
        assert crc == crc32(ref), k

    tline = re.search(r"^T (\d+) (-?\d+) ([0-9a-f]{8})\r?$", out, re.M)
    assert tline, out[-500:]
    assert int(tline[1]) == n
    assert int(tline[2]) == int(samples.astype(np.int64).sum())
    assert int(tline[3], 16) == crc32(samples)
    assert re.search(r"# overruns=0 dma_errors=0 lost=0 late=0 position=(\d+)", out)
    assert f"position={n % (2 * BLOCK)}" in out

    # interrupts: DMA1 stream 0 (exception 16 + 11) once per block
    assert r.exceptions_taken.get(16 + 11, 0) >= n // BLOCK
    # the CPU sleeps in WFI between blocks (measured about 85 %, the rest is mostly the
    # blocking USART3 TX of the B lines at 115200 baud)
    assert r.sleep_cycles > 0.6 * r.cycles, (r.sleep_cycles, r.cycles)


def test_audio_overrun_is_reported(firmware_build: Path, tmp_path: Path) -> None:
    m, r = run_with_audio(firmware_build / "audio_overrun.elf",
                          make_clip(tmp_path / "o.wav", 8_000), send_total=False)
    out = r.console["USART3"].decode()
    assert r.exit_reason == "exit" and r.exit_code == 0, out[-1500:]
    assert r.core_hz == 64_000_000
    rep = m.audio.report()
    assert rep["overrun_words"] > 0
    o = re.search(r"^O (\d+) (\d+)\r?$", out, re.M)
    assert o, out
    assert int(o[2]) > 0                          # SAI1 OVRUDR interrupts counted
    assert int(o[2]) <= rep["overrun_words"]
    # SAI1 interrupts: one per counted overrun + the FREQ wake-ups of the polled reader
    assert r.exceptions_taken.get(16 + 87, 0) > int(o[2])


# "the quick brown fox jumps over the lazy dog", phone classes of firmware/model/export/
# phones.txt (g2p.py output); any ids below n_classes work, the check is host == firmware.
FOX = [[19, 3], [24, 36, 10, 24], [16, 30, 5, 27], [20, 1, 24, 31], [23, 3, 26, 29, 31],
       [12, 35, 8], [19, 3], [25, 9, 38, 11], [18, 1, 21]]


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng not installed")
def test_aligner_app_matches_host_build(firmware_build: Path, tmp_path: Path) -> None:
    wav = tmp_path / "fox.wav"
    subprocess.run(["espeak-ng", "-w", str(wav), "the quick brown fox jumps over the lazy dog"],
                   check=True)
    transcript = f"T {len(FOX)}\n" + "".join(
        f"W {i} {' '.join(map(str, w))}\n" for i, w in enumerate(FOX)) + "E\n"
    m, r = run_with_audio(firmware_build / "aligner.elf", wav,
                          uart_input=transcript.encode(), max_cycles=8_000_000_000)
    out = r.console["USART3"].decode()
    assert r.exit_reason == "exit" and r.exit_code == 0, out[-1500:]
    lines = [ln.rstrip("\r") for ln in out.split("\n")]
    assert all(ln == "" or ln[0] in "AD#" for ln in lines), out
    got = [ln for ln in lines if ln.startswith("A ")]
    done = [ln for ln in lines if ln.startswith("D ")]
    assert re.search(r"# stats .* overruns=0 lost=0 late=0 dma_errors=0", out), out

    sys.path.insert(0, str(ROOT / "firmware" / "aligner"))
    import host   # noqa: E402  (builds the host library with the same model)

    samples = m.audio.rendered[-1].samples
    ref = [w.line() for w in host.align(samples, FOX)]
    assert got == ref
    frames = (len(samples) - 400) // 160 + 1
    assert done == [f"D {frames} {len(FOX)}"]
    assert r.sleep_cycles > 0.5 * r.cycles, (r.sleep_cycles, r.cycles)


def test_cli_strict_turns_audio_overruns_into_exit_4(firmware_build, tmp_path):
    import shutil
    import subprocess as sp

    from simulator.cli import main as cli_main

    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng not installed")
    wav = tmp_path / "clip.wav"
    sp.run(["espeak-ng", "-v", "en-us", "-w", str(wav), "one two three"], check=True)
    elf = str(firmware_build / "audio_overrun.elf")
    assert cli_main([elf, "--audio", str(wav), "-q"]) == 0
    assert cli_main([elf, "--audio", str(wav), "-q", "--strict"]) == 4


def test_cli_reports_real_time_figures(firmware_build, tmp_path):
    import json
    import shutil
    import subprocess as sp

    from simulator.cli import main as cli_main

    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng not installed")
    wav = tmp_path / "clip.wav"
    sp.run(["espeak-ng", "-v", "en-us", "-w", str(wav), "hello"], check=True)
    out = tmp_path / "r.json"
    assert cli_main([str(firmware_build / "audio_loopback.elf"), "--audio", str(wav), "-q",
                     "--json", str(out)]) == 0
    au = json.loads(out.read_text())["audio"]
    assert au["delivered"] and au["overrun_words"] == 0
    assert au["dma_blocks"] > 0 and au["worst_block_latency_s"] > 0
    assert 0 < au["real_time_factor"] < 1
