"""augment.vtlp (resample-based vocal-tract-length perturbation) and realspeech.build_shards
--warps. Oracle: the definition of the warp - every frequency of a harmonic sound (F0 and its
spectral envelope's peak) moves by alpha while its timing and length stay - checked on a made-up
signal whose harmonics, formant and onset are known."""
import json

import numpy as np
import soundfile as sf

import _model_path  # noqa: F401
import augment
import realspeech
from corpus import load_split

SR = 16000


def _vowel(f0: float = 200.0, formant: float = 1000.0) -> np.ndarray:
    """1 s: silence, then from 0.5 s a harmonic sound (F0 f0) with one formant peak."""
    t = np.arange(SR) / SR
    x = sum(np.sin(2 * np.pi * f0 * k * t + k * k) * np.exp(-((f0 * k - formant) / 300) ** 2)
            for k in range(1, 30))
    return (0.3 * x * (t >= 0.5)).astype(np.float32)


def _spectrum(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    seg = x[SR // 2 + 800:]
    return np.fft.rfftfreq(len(seg), 1 / SR), np.abs(np.fft.rfft(seg * np.hanning(len(seg))))


def _onset(x: np.ndarray) -> float:
    env = np.convolve(np.abs(x.astype(np.float64)), np.ones(160) / 160, "same")
    return float(np.argmax(env > 0.5 * env.max()) / SR)


def test_vtlp_moves_every_frequency_and_keeps_timing():
    x = _vowel()
    f, spec_x = _spectrum(x)
    assert abs(f[np.argmax(spec_x)] - 1000) < 10          # the unwarped formant harmonic
    for alpha in (1.2, 1.3):
        y = augment.vtlp(x, alpha)
        assert len(y) == len(x) and y.dtype == np.float32
        f, spec = _spectrum(y)
        # the strongest harmonic is the formant one, moved to alpha * 1000 Hz
        assert abs(f[np.argmax(spec)] - 1000 * alpha) < 10
        # harmonics at multiples of alpha * F0, nothing between them (where the old ones were)
        for k in (4, 5, 6):
            new = spec[np.argmin(abs(f - k * 200 * alpha))]
            between = spec[np.argmin(abs(f - (k + 0.5) * 200 * alpha))]
            assert new > 10 * between
        assert abs(_onset(y) - _onset(x)) < 0.015         # labels stay valid
        assert abs(np.sum(y.astype(np.float64) ** 2) / np.sum(x.astype(np.float64) ** 2) - 1) < 1e-3
    assert augment.vtlp(x, 1.0) is x


def test_shards_warp_copy_keeps_labels(tmp_path):
    wav = tmp_path / "a.wav"
    sf.write(str(wav), _vowel(), SR, subtype="PCM_16")
    item = {"id": "a", "speaker": "s", "wav": str(wav), "text": "a", "ref": "realign", "fit": 0.1,
            "words": [[0.5, 1.0]], "phones": [[0, 0.0, 0.5], [5, 0.5, 1.0]]}
    man = tmp_path / "set" / "manifest.jsonl"
    man.parent.mkdir()
    man.write_text(json.dumps(item) + "\n")
    assert realspeech.build_shards(man, tmp_path / "sh" / "train", copies=2, seed=0,
                                   warps=[1.0, 1.25]) == 2
    plain, warped = load_split(tmp_path / "sh", "train")
    assert "warp" not in plain["meta"]["aug"] and warped["meta"]["aug"]["warp"] == 1.25
    assert len(warped["audio"]) == len(plain["audio"]) == SR
    np.testing.assert_allclose(warped["seg"], plain["seg"])
    np.testing.assert_allclose(warped["word"], plain["word"])
