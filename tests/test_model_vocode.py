"""augment.vocode (an LPC source-filter resynthesis: the sound of a parametric synthesiser),
train.py's vocoded copies and evaluate.py --vocode.  Oracles: source-filter theory on made-up
signals - a vowel made from a 125 Hz pulse train through known formant resonances comes back
with that pitch (autocorrelation period), its formants where they were and its level; white
noise comes back without a pitch; a vowel burst keeps its onset and offset (labels stay)."""
import subprocess
import sys
from pathlib import Path

import numpy as np
from scipy import signal

import _model_path  # noqa: F401
from _noise_utts import noise_utts
import augment
import dataset

SR = 16000
MODEL = Path(__file__).resolve().parents[1] / "firmware" / "model"
# an /a/-like vowel (Peterson & Barney 1952, men's /a/: F1 730, F2 1090, F3 2440 Hz)
FORMANTS = (700.0, 1200.0, 2600.0)


def _vowel(seconds: float, f0: float = 125.0) -> np.ndarray:
    n = int(seconds * SR)
    src = np.zeros(n)
    src[::int(SR / f0)] = 1.0
    a = np.array([1.0])
    for fc in FORMANTS:                                 # 2-pole resonance, 80 Hz bandwidth
        r = np.exp(-np.pi * 80.0 / SR)
        a = np.convolve(a, [1.0, -2 * r * np.cos(2 * np.pi * fc / SR), r * r])
    y = signal.lfilter([1.0], a, src)
    return (0.3 * y / np.max(np.abs(y))).astype(np.float32)


def _period(x: np.ndarray) -> tuple[int, float]:
    """Autocorrelation period (samples) at 60-400 Hz and its normalised peak."""
    x = x - x.mean()
    r = np.correlate(x, x, "full")[len(x) - 1:]
    lo, hi = SR // 400, SR // 60
    lag = lo + int(np.argmax(r[lo:hi]))
    return lag, float(r[lag] / r[0])


def _formants(x: np.ndarray) -> list[float]:
    """Formants from an order-10 LPC fit of the whole signal (scipy's Toeplitz solver): the
    angles of the poles sharper than 400 Hz bandwidth, below 4 kHz."""
    from scipy.linalg import solve_toeplitz
    x = x.astype(np.float64) * np.hanning(len(x))
    r = np.correlate(x, x, "full")[len(x) - 1:len(x) + 11]
    a = np.concatenate([[1.0], -solve_toeplitz(r[:10], r[1:11])])
    poles = [p for p in np.roots(a) if p.imag > 0 and -np.log(abs(p)) * SR / np.pi < 400]
    return sorted(f for f in (np.angle(p) * SR / (2 * np.pi) for p in poles) if f < 4000)


def test_a_vowel_keeps_its_pitch_formants_and_level():
    x = _vowel(1.0)
    for seed in range(4):                                # every draw of order / smoothing / noise
        y = augment.vocode(x, np.random.default_rng(seed))
        assert y.shape == x.shape and y.dtype == np.float32
        mid = slice(2000, -2000)
        lag, peak = _period(y[mid])
        assert abs(lag - SR / 125.0) <= 2 and peak > 0.5, (seed, lag, peak)
        got = _formants(y[mid])
        assert len(got) == 3 and all(abs(g - w) < 150.0 for g, w in zip(got, FORMANTS)), (seed, got)
        rms = lambda v: float(np.sqrt(np.mean(v[mid].astype(np.float64) ** 2)))  # noqa: E731
        assert abs(20 * np.log10(rms(y) / rms(x))) < 1.0


def test_white_noise_gets_no_pitch():
    x = np.random.default_rng(5).normal(0, 0.1, SR).astype(np.float32)
    y = augment.vocode(x, np.random.default_rng(0))
    assert _period(y)[1] < 0.3


def test_a_vowel_burst_keeps_its_onset_and_offset():
    x = np.concatenate([np.zeros(8000, np.float32), _vowel(0.5), np.zeros(8000, np.float32)])
    x16 = np.round(x * 32767).astype(np.int16)
    y = augment.vocode(x16, np.random.default_rng(3))
    assert y.dtype == np.int16 and len(y) == len(x16)
    frames = lambda v: 10 * np.log10(np.mean(v.astype(np.float64).reshape(-1, 160) ** 2, 1) + 1e-9)  # noqa: E731
    on = lambda v: np.flatnonzero(frames(v) > frames(v).max() - 20)  # noqa: E731
    assert abs(on(y)[0] - on(x16)[0]) <= 1 and abs(on(y)[-1] - on(x16)[-1]) <= 1


def test_vocoded_copies_keep_labels_and_are_their_own_draw():
    utts = noise_utts()
    a = dataset.vocoded_copies(utts, 0.25, seed=7)
    b = dataset.vocoded_copies(utts, 0.25, seed=7)
    nb = dataset.narrowband_copies(utts, 0.25, seed=7)
    assert [u.meta["i"] for u in a] == [u.meta["i"] for u in b]
    assert all(np.array_equal(u.feats, v.feats) for u, v in zip(a, b))
    assert [u.meta["i"] for u in a] != [u.meta["i"] for u in nb]
    assert 3 <= len(a) <= 20 and all(u.meta["vocoded"] == 1 for u in a)
    for c in a:
        src = utts[c.meta["i"]]
        assert np.array_equal(c.labels, src.labels) and c.feats.shape == src.feats.shape


def test_evaluate_refuses_vocode_with_firmware(tmp_path):
    elf = tmp_path / "x.elf"
    elf.write_bytes(b"\x7fELF")
    r = subprocess.run([sys.executable, str(MODEL / "evaluate.py"), "--firmware", str(elf),
                        "--vocode", "--manifest", str(tmp_path / "m.jsonl")],
                       capture_output=True, text=True, cwd=MODEL)
    assert r.returncode != 0 and "--vocode" in r.stderr and "Traceback" not in r.stderr


def test_silence_around_speech_stays_silent_and_finite():
    """Digital silence next to speech (every eSpeak NG utterance): the envelope averaged over
    frames must stay a valid autocorrelation there (an FFT convolution's rounding made those
    filters unstable: 20 % of eSpeak NG training utterances came back as overflow)."""
    gap = np.zeros(3 * SR, np.float32)                 # a long clip: scipy picks the FFT method
    x = np.concatenate([gap, _vowel(4.0), gap, _vowel(2.0, 200.0), gap])
    x16 = np.round(x * 32767).astype(np.int16)
    for seed in range(8):
        with np.errstate(all="raise"):
            y = augment.vocode(x16, np.random.default_rng(seed)).astype(np.float64)
        assert np.all(y[:4000] == 0) and np.all(y[-4000:] == 0), seed
        assert np.abs(y).max() <= 32767
