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
    assert all(ln == "" or ln[0] in "ARD#" for ln in lines), out
    got = [ln for ln in lines if ln[:2] in ("A ", "R ")]
    done = [ln for ln in lines if ln.startswith("D ")]
    assert re.search(r"# stats .* overruns=0 lost=0 late=0 dma_errors=0", out), out

    sys.path.insert(0, str(ROOT / "firmware" / "aligner"))
    import host   # noqa: E402  (builds the host library with the same model)

    samples = m.audio.rendered[-1].samples
    host.align(samples, FOX)
    ref = [w.line() for w in host.answers()]
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


def test_summary_says_when_the_file_was_resampled(firmware_build, tmp_path, capsys):
    """An 8 kHz file reaches the 16 kHz microphone resampled, with nothing above 4 kHz (the
    sampling theorem); the summary says so, and says nothing for a 16 kHz file."""
    import soundfile as sf

    from simulator.cli import main as cli_main

    for rate, expect in ((8000, "(file at 8000 Hz, resampled 2/1: nothing above 4000 Hz)"),
                         (16000, None)):
        wav = tmp_path / f"tone{rate}.wav"
        sf.write(wav, 0.3 * np.sin(2 * np.pi * 440 * np.arange(rate // 2) / rate), rate)
        assert cli_main([str(firmware_build / "audio_loopback.elf"), "--audio", str(wav)]) == 0
        cap = capsys.readouterr()
        text = " ".join((cap.out + cap.err).split())
        assert "at 16000 Hz" in text
        if expect:
            assert expect in text
        else:
            assert "(file at" not in text


# The North Wind and the Sun (transcript) with 4 s of another voice reading another text in the
# middle: the search loses its place there and re-anchors, and the words around the stretch go
# through the second pass (firmware/aligner/README.md "Block budget").
WIND = ("The north wind and the sun were disputing which was the stronger, when a traveler came "
        "along wrapped in a warm cloak. They agreed that the one who first succeeded in making "
        "the traveler take his cloak off should be considered stronger than the other.",
        "Then the north wind blew as hard as he could, but the more he blew the more closely did "
        "the traveler fold his cloak around him; and at last the north wind gave up the attempt. "
        "Then the sun shined out warmly, and immediately the traveler took off his cloak.")
OTHER = ("Please call Stella and ask her to bring these things with her from the store: six "
         "spoons of fresh snow peas, five thick slabs of blue cheese, and maybe a snack for her "
         "brother Bob.")


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng not installed")
def test_aligner_app_keeps_every_audio_block_short_through_a_collapse(firmware_build: Path,
                                                                       tmp_path: Path) -> None:
    """A collapse's locate() (~1.6 M cycles) and the second pass a relocation starts (up to
    ~4.5 M) used to run inside one audio block on top of the network: 6.2 M cycles of the
    block's 8 M on this clip (main 2a2b8755's firmware), 6.9 M on a damaged Speech Accent
    Archive clip. The search now spreads them over the next blocks (AL_VIT_BLOCK_CELLS work
    units a block) while the frames queue: no block may take more than 5/8 of its real time
    (>= 37 % headroom). The budget is the firmware's own clock and block length (its start-up
    log line) over 16 kHz; the words must equal the host build's (no budget) word for word."""
    m, r, tr = run_collapse_clip(firmware_build / "aligner.elf", tmp_path)
    out = r.console["USART3"].decode()
    assert r.exit_reason == "exit" and r.exit_code == 0, out[-1500:]
    hz, block = map(int, re.search(r"# aligner: core (\d+) Hz.* block (\d+) samples", out).groups())
    st = re.search(r"# stats .*max_block_cycles=(\d+) overruns=0 lost=0 late=0", out)
    vit = re.search(r"# vit .*reanchor=(\d+) second=(\d+).* stack=(\d+)/(\d+)", out)
    assert st and vit, out[-1500:]
    assert int(vit.group(1)) >= 1 and int(vit.group(2)) >= 1      # the heavy work happened
    # the search's own stack (painted at the start, incl. interrupt frames): a quarter spare
    assert 0 < int(vit.group(3)) <= int(vit.group(4)) * 3 // 4, vit.group(0)
    real_time = hz * block // 16_000                                  # cycles of one block
    assert int(st.group(1)) <= real_time * 5 // 8, (st.group(1), real_time)

    assert a_lines(out) == host_lines(m, tr)


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng not installed")
def test_aligner_called_from_an_interrupt_handler_gives_the_same_words(firmware_build: Path,
                                                                       tmp_path: Path) -> None:
    """The library called in handler mode (aligner_svc.elf: every third block pushed from an
    SVC handler) cannot let the search stop there (al_coro_can_yield() = 0: preempting
    interrupts would run on the search's stack); it searches those blocks at once and ends a
    pass a thread-mode block left stopped. Same clip as above: the words must equal the host
    build's word for word, nothing late or lost."""
    m, r, tr = run_collapse_clip(firmware_build / "aligner_svc.elf", tmp_path)
    out = r.console["USART3"].decode()
    assert r.exit_reason == "exit" and r.exit_code == 0, out[-1500:]
    blocks = int(re.search(r"# stats blocks=(\d+)", out).group(1))
    assert re.search(r"# stats .*overruns=0 lost=0 late=0", out), out[-1500:]
    assert int(re.search(r"# svc blocks=(\d+)", out).group(1)) == (blocks + 2) // 3
    assert a_lines(out) == host_lines(m, tr)


def run_collapse_clip(elf: Path, tmp_path: Path):
    """espeak-ng North Wind with 4 s of another voice reading another text in the middle."""
    parts = []
    for i, (voice, text) in enumerate((("en-us", WIND[0]), ("en-gb-scotland", OTHER),
                                       ("en-us", WIND[1]))):
        wav = tmp_path / f"part{i}.wav"
        subprocess.run(["espeak-ng", "-v", voice, "-w", str(wav), text], check=True)
        x, sr = sf.read(str(wav), dtype="int16")
        parts.append(x[:4 * sr] if i == 1 else x)
    clip = tmp_path / "collapse.wav"
    sf.write(str(clip), np.concatenate(parts), sr, subtype="PCM_16")
    from simulator.apps.aligner import encode_transcript, prepare_transcript
    tr = prepare_transcript(" ".join(WIND))
    m, r = run_with_audio(elf, clip, uart_input=encode_transcript(tr), max_cycles=20_000_000_000)
    return m, r, tr


def a_lines(out: str) -> list[str]:
    """The firmware's answers (A and R lines) in the order it sent them."""
    return [ln.rstrip("\r") for ln in out.split("\n") if ln[:2] in ("A ", "R ")]


def host_lines(m, tr) -> list[str]:
    """The host build's answers (A and R lines, in order) for the audio the firmware was given."""
    sys.path.insert(0, str(ROOT / "firmware" / "aligner"))
    import host   # noqa: E402

    samples = m.audio.rendered[-1].samples
    host.align(samples, [w.phones for w in tr.words])
    return [w.line() for w in host.answers()]
