"""simulator/audio.py: decoding, mixing, resampling, conversion, clipping and every refusal."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from simulator import audio
from simulator.audio import AudioError, format_for_data_size, load_clip


def tone(freq: float, rate: int, seconds: float, amp: float) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    return amp * np.sin(2 * np.pi * freq * t)


def dominant(x: np.ndarray, rate: int) -> tuple[float, float]:
    """(frequency of the strongest bin, its amplitude), Hann-windowed."""
    w = np.hanning(len(x))
    spec = np.abs(np.fft.rfft(x * w)) / (w.sum() / 2)
    k = int(np.argmax(spec))
    return k * rate / len(x), float(spec[k])


def write(tmp_path: Path, name: str, data: np.ndarray, rate: int, **kw) -> Path:
    path = tmp_path / name
    sf.write(str(path), data, rate, **kw)
    return path


def test_44k1_stereo_to_16k_mono_int16(tmp_path: Path) -> None:
    left = tone(1000, 44_100, 2.0, 0.5)
    right = tone(1000, 44_100, 2.0, 0.3)
    path = write(tmp_path, "a.wav", np.stack([left, right], axis=1), 44_100, subtype="PCM_16")
    clip = load_clip(path, 16_000, "int16")
    assert clip.samples.dtype == np.int16
    assert (clip.resample_up, clip.resample_down) == (160, 441) and clip.rate_error_ppm == 0
    assert len(clip.samples) == -(-88_200 * 160 // 441)        # ceil(n * up / down) = 32000
    assert clip.source_channels == 2 and clip.source_rate == 44_100
    freq, amp = dominant(clip.samples[1000:-1000] / 32768, 16_000)
    assert freq == pytest.approx(1000, abs=1.0)
    assert amp == pytest.approx(0.4, abs=0.01)                  # mean of 0.5 and 0.3
    assert clip.clipped == 0 and clip.peak == pytest.approx(0.4, abs=0.01)
    assert clip.duration_s == pytest.approx(2.0)
    assert clip.summary()["resample"] == "160/441"


def test_resampling_is_band_limited(tmp_path: Path) -> None:
    """A 10 kHz tone is above the 8 kHz Nyquist of the target: it must vanish, not alias."""
    path = write(tmp_path, "hi.flac", tone(10_000, 48_000, 1.0, 0.5), 48_000)
    clip = load_clip(path, 16_000, "float32")
    assert clip.samples.dtype == np.float32
    assert np.max(np.abs(clip.samples[200:-200])) < 0.005


def test_formats_for_sai_data_sizes(tmp_path: Path) -> None:
    path = write(tmp_path, "f.ogg", tone(440, 16_000, 0.5, 0.25), 16_000)
    assert format_for_data_size(4) == "int16" and format_for_data_size(6) == "int24"
    c24 = load_clip(path, 16_000, "int24")
    c32 = load_clip(path, 16_000, "int32")
    assert c24.samples.dtype == np.int32 and c32.samples.dtype == np.int32
    assert (c24.resample_up, c24.resample_down) == (1, 1)
    assert 0.2 * 2**23 < np.max(c24.samples) < 0.3 * 2**23
    assert 0.2 * 2**31 < np.max(c32.samples.astype(np.int64)) < 0.3 * 2**31
    with pytest.raises(AudioError, match="reserved"):
        format_for_data_size(1)


def test_clipping_is_counted_and_saturates(tmp_path: Path) -> None:
    x = tone(200, 16_000, 0.5, 1.5)
    path = write(tmp_path, "loud.wav", x, 16_000, subtype="FLOAT")
    clip = load_clip(path, 16_000, "int16")
    assert clip.clipped == int(np.count_nonzero(np.rint(x * 32768) > 32767)
                               + np.count_nonzero(np.rint(x * 32768) < -32768))
    assert clip.clipped > 1000
    assert clip.peak == pytest.approx(1.5, abs=1e-3) and clip.peak_dbfs > 3.0
    assert clip.samples.max() == 32767 and clip.samples.min() == -32768


@pytest.mark.parametrize("case,match", [
    ("missing", "does not exist"),
    ("directory", "not a regular file"),
    ("empty", "empty"),
    ("text", "not a readable audio file"),
    ("corrupt", "not a readable audio file|corrupt|truncated|no audio"),
    ("no_frames", "no audio samples"),
    ("nan", "NaN"),
    ("channels", "channels"),
    ("low_rate", "sample rate of 500 Hz"),
    ("high_rate", "sample rate of 400000 Hz"),
    ("too_long", "limit"),
])
def test_bad_inputs_give_one_line_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         case: str, match: str) -> None:
    good = tone(440, 16_000, 0.2, 0.5)
    path = tmp_path / f"{case}.wav"
    if case == "directory":
        path.mkdir()
    elif case == "empty":
        path.write_bytes(b"")
    elif case == "text":
        path.write_text("this is not audio\n" * 20)
    elif case == "corrupt":
        sf.write(str(path), good, 16_000)
        raw = bytearray(path.read_bytes())
        raw[8:16] = b"XXXXXXXX"                 # break the RIFF/WAVE fmt header
        path.write_bytes(bytes(raw))
    elif case == "no_frames":
        sf.write(str(path), np.zeros(0), 16_000)
    elif case == "nan":
        sf.write(str(path), np.full(100, np.nan), 16_000, subtype="FLOAT")
    elif case == "channels":
        sf.write(str(path), np.zeros((100, 9)), 16_000)
    elif case == "low_rate":
        sf.write(str(path), good[:100], 500)
    elif case == "high_rate":
        sf.write(str(path), good, 400_000)
    elif case == "too_long":
        monkeypatch.setattr(audio, "MAX_SECONDS", 0.1)
        sf.write(str(path), good, 16_000)
    with pytest.raises(AudioError, match=match) as info:
        load_clip(path, 16_000, "int16")
    assert "\n" not in str(info.value)


def test_truncated_data_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "t.wav", tone(440, 16_000, 1.0, 0.5), 16_000, subtype="PCM_16")
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) // 2])      # header still promises 16000 frames
    with pytest.raises(AudioError, match="truncated: its data chunk promises 32000 bytes"):
        load_clip(path, 16_000)


def test_bad_arguments(tmp_path: Path) -> None:
    path = write(tmp_path, "ok.wav", tone(440, 16_000, 0.1, 0.5), 16_000)
    with pytest.raises(AudioError, match="unknown sample format"):
        load_clip(path, 16_000, "int12")
    with pytest.raises(AudioError, match="target sample rate"):
        load_clip(path, 500_000)


def test_cache_keys_carry_the_versions_the_packages_report():
    """The resampled clip is cached under scipy's version and the decoded code tables and
    access sites under capstone's, read from their installed metadata folders: each must be
    what importlib.metadata reads for the installed distribution (capstone 5.0.9's own
    ``__version__`` still says 5.0.7, so the distribution's is the one that changes with an
    upgrade)."""
    from importlib.metadata import version

    import scipy

    from simulator import cache
    assert cache.dist_version("scipy") == version("scipy") == scipy.__version__
    assert cache.dist_version("capstone") == version("capstone")
