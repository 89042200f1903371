"""Hostile input files: each is refused in one line (exit 2 at the CLI) with host memory and
time bounded by what the file really holds, never by what its header claims."""

from __future__ import annotations

import os
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from simulator.audio import AudioError, AudioSource
from simulator.elf import FirmwareError, load_firmware


def _flac_claiming(tmp_path: Path, total_samples: int) -> Path:
    """A 1 s FLAC whose STREAMINFO claims ``total_samples`` (FLAC format spec, STREAMINFO:
    after 'fLaC' and the 4-byte block header: 2+2+3+3 bytes of block/frame sizes, then
    20 bits sample rate, 3 bits channels-1, 5 bits bits-per-sample-1, 36 bits total samples)."""
    path = tmp_path / "liar.flac"
    sf.write(str(path), (0.1 * np.sin(np.arange(16000) / 5)).astype(np.float32), 16000,
             format="FLAC", subtype="PCM_16")
    raw = bytearray(path.read_bytes())
    assert raw[:4] == b"fLaC"
    word = int.from_bytes(raw[18:26], "big")
    word = (word & ~((1 << 36) - 1)) | total_samples
    raw[18:26] = word.to_bytes(8, "big")
    path.write_bytes(bytes(raw))
    return path


def test_flac_header_claiming_two_hours_does_not_allocate_it(tmp_path):
    path = _flac_claiming(tmp_path, 2 * 3600 * 16000 - 1)
    assert sf.info(str(path)).frames == 2 * 3600 * 16000 - 1     # libsndfile believes it
    tracemalloc.start()
    try:
        with pytest.raises(AudioError) as err:
            AudioSource.open(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "\n" not in str(err.value)
    # 2 h of mono float32 at 16 kHz is 460 MB; reading what the file holds is ~1 MB
    assert peak < 32 << 20


def test_silent_clip_peak_is_null_not_minus_infinity(tmp_path):
    path = tmp_path / "silence.wav"
    sf.write(str(path), np.zeros(1600, np.float32), 16000, subtype="PCM_16")
    clip = AudioSource.open(path).render(16000)
    assert clip.summary()["peak_dbfs"] is None


@pytest.mark.parametrize("special", ["/dev/zero", "fifo", "folder"])
def test_firmware_that_is_not_a_regular_file_is_refused_unread(tmp_path, special):
    if special == "fifo":
        path = tmp_path / "fw.elf"
        os.mkfifo(path)                       # opening it for reading would block forever
    elif special == "folder":
        path = tmp_path
    else:
        path = Path(special)
    with pytest.raises(FirmwareError) as err:
        load_firmware(path)
    assert "\n" not in str(err.value)


def test_firmware_name_with_newline_gives_one_line(tmp_path):
    path = tmp_path / "evil\nname.elf"
    path.write_bytes(b"not an elf")
    with pytest.raises(FirmwareError) as err:
        load_firmware(path)
    assert "\n" not in str(err.value) and "\\n" in str(err.value)


def test_corrupt_dwarf_line_table_means_no_lines_not_a_crash(firmware_build):
    """Every single-byte change inside .debug_line leaves the run usable: describe() still
    answers (maybe without a line), it never raises."""
    src = firmware_build / "hello.elf"
    raw = bytearray(src.read_bytes())
    import io

    from elftools.elf.elffile import ELFFile
    sec = ELFFile(io.BytesIO(bytes(raw))).get_section_by_name(".debug_line")
    off, size = sec["sh_offset"], sec["sh_size"]
    fw0 = load_firmware(src)
    pc = fw0.symbol("main").addr
    rng = np.random.default_rng(16)
    for pos in rng.integers(off, off + min(size, 4096), 40):
        bad = bytearray(raw)
        bad[pos] ^= 0xFF
        fw = _load_bytes(bad)
        assert isinstance(fw.describe(pc), str)


def _load_bytes(raw: bytes):
    import tempfile
    with tempfile.NamedTemporaryFile(suffix=".elf") as f:
        f.write(raw)
        f.flush()
        return load_firmware(f.name)


def _platform_variant(tmp_path: Path, old: str, new: str) -> Path:
    from importlib import resources
    text = resources.files("simulator.platforms").joinpath("stm32h743.toml").read_text()
    assert old in text
    path = tmp_path / "p.toml"
    path.write_text(text.replace(old, new, 1))
    for line in text.splitlines():            # the register file the platform names
        if line.startswith("registers") and "=" in line:
            name = line.split("=", 1)[1].split("#")[0].strip().strip('"')
            (tmp_path / name).write_text(
                resources.files("simulator.platforms").joinpath(name).read_text())
    return path


@pytest.mark.parametrize("old,new,says", [
    ("n_irqs = 150", "n_irqs = 100000000", "0..496"),            # ARMv7-M B3.4: 496 at most
    ("nvic_priority_bits = 4", "nvic_priority_bits = 12", "3..8"),  # B1.5.4
    ('name = "STM32H743"', 'nom = "STM32H743"', "has no name"),
    ("irqs = { WWDG = 0 }", "irqs = { WWDG = 9999 }", "outside"),
])
def test_platform_values_out_of_range_are_one_line_errors(tmp_path, old, new, says):
    from simulator.platform import PlatformError, load_platform
    with pytest.raises(PlatformError) as err:
        load_platform(str(_platform_variant(tmp_path, old, new)))
    assert says in str(err.value) and "\n" not in str(err.value)


@pytest.mark.parametrize("spec", ["9" * 400, "1e999", "5000000MiB", "-1"])
def test_absurd_ram_budgets_are_value_errors(spec):
    from simulator.memory import parse_size
    with pytest.raises(ValueError):
        parse_size(spec)
