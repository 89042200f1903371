"""augment.narrowband (what an 8 kHz source looks like after the simulator's resampling to
16 kHz), train.py's narrowband copies and evaluate.py --narrowband.  Oracle: the sampling
theorem - audio that went through 8 kHz has nothing above 4 kHz, while a tone well inside the
band passes with its level and phase - checked on made-up tones; and simulator.audio's own
resampler (the path an 8 kHz wav takes into the firmware) gives the same samples."""
import subprocess
import sys
from pathlib import Path

import numpy as np

import _model_path  # noqa: F401
from _noise_utts import noise_utts
import augment
import dataset

SR = 16000
MODEL = Path(__file__).resolve().parents[1] / "firmware" / "model"


def _tones(*hz: float) -> np.ndarray:
    t = np.arange(SR) / SR
    return (0.2 * sum(np.sin(2 * np.pi * f * t) for f in hz)).astype(np.float32)


def _level(x: np.ndarray, hz: float) -> float:
    seg = x[2000:-2000]
    f = np.fft.rfftfreq(len(seg), 1 / SR)
    s = np.abs(np.fft.rfft(seg * np.hanning(len(seg))))
    return float(s[np.argmin(np.abs(f - hz))])


def test_nothing_is_left_above_4_khz_and_the_band_passes():
    x = _tones(1000.0, 5000.0, 6500.0)
    y = augment.narrowband(x, 8000)
    assert y.shape == x.shape and y.dtype == x.dtype
    assert abs(_level(y, 1000.0) / _level(x, 1000.0) - 1) < 0.01
    for hz in (5000.0, 6500.0):                        # above 8 kHz / 2: gone (< -60 dB)
        assert _level(y, hz) < 1e-3 * _level(x, hz)
    mid = slice(2000, -2000)                           # in band: the same waveform, no delay
    only_1k = _tones(1000.0)
    assert np.max(np.abs(y[mid] - only_1k[mid])) < 0.01 * 0.2


def test_int16_audio_stays_int16_and_matches_the_simulators_resampler():
    from simulator import audio
    x = np.round(_tones(300.0, 2500.0, 7000.0) * 32767).astype(np.int16)
    y = augment.narrowband(x, 8000)
    assert y.dtype == np.int16 and len(y) == len(x)
    down = augment.signal.resample_poly(x.astype(np.float64), 1, 2)
    sim = audio._resample(down, 2, 1)                  # an 8 kHz wav on its way into the firmware
    assert np.max(np.abs(np.round(sim[:len(x)]) - y)) <= 1


def test_copies_keep_labels_and_are_drawn_with_the_seed():
    utts = noise_utts()
    a = dataset.narrowband_copies(utts, 0.25, seed=7)
    b = dataset.narrowband_copies(utts, 0.25, seed=7)
    assert [u.meta["i"] for u in a] == [u.meta["i"] for u in b]
    assert 3 <= len(a) <= 20 and all(u.meta["narrowband"] == 8000 for u in a)
    for c in a:
        src = utts[c.meta["i"]]
        assert np.array_equal(c.labels, src.labels) and c.feats.shape == src.feats.shape
        # white noise through 8 kHz: the top mel bands (above 4 kHz) lose > 30 dB (natural log)
        top = dataset.F.mel_to_hz(np.linspace(dataset.F.hz_to_mel(dataset.F.FMIN),
                                              dataset.F.hz_to_mel(dataset.F.FMAX), 42))[1:-1] > 4400
        assert np.mean(src.feats[:, top] - c.feats[:, top]) > np.log(1e3)
        assert abs(np.mean(src.feats[:, :10] - c.feats[:, :10])) < 0.1


def test_evaluate_refuses_narrowband_with_firmware(tmp_path):
    elf = tmp_path / "x.elf"
    elf.write_bytes(b"\x7fELF")
    r = subprocess.run([sys.executable, str(MODEL / "evaluate.py"), "--firmware", str(elf),
                        "--narrowband", "8000", "--manifest", str(tmp_path / "m.jsonl")],
                       capture_output=True, text=True, cwd=MODEL)
    assert r.returncode != 0 and "--narrowband" in r.stderr and "Traceback" not in r.stderr



def test_training_view_of_every_copy_is_what_the_firmware_computes():
    """train.py's features (dataset.prepare) for the originals AND the narrowband copies are the
    firmware front end's running-mean-normalised features of that audio (features.
    running_mean_normalise, the NumPy twin of the C front end): the copies must not skip the
    running mean (session 12's first runs did)."""
    rng = np.random.default_rng(3)
    utts, pcms = [], []
    for i in range(12):
        env = np.repeat(rng.uniform(0.05, 1.0, 20), 400)          # level changes: the gate works
        pcm = np.round(rng.normal(0, 4000, 8000) * env).astype(np.int16)
        f = dataset.F.log_mel(pcm)
        utts.append(dataset.Utt(f, np.zeros(len(f), np.int64), np.zeros((0, 3)),
                                np.zeros((0, 2)), {"i": i, "voice": "real"}, pcm))
        pcms.append(pcm)
    mean = np.full(dataset.F.N_MELS, 8.0, np.float32)
    inv = np.full(dataset.F.N_MELS, 0.5, np.float32)
    cmn = dataset.F.RunningMean(prior=100.0, frames=300.0, gate=1.5, rise=0.005)
    dev, train, m, s = dataset.prepare(utts, 3, 1.0, 0, 0, cmn, (mean, inv))
    assert np.array_equal(m, mean) and np.array_equal(s, inv)
    copies = [u for u in train if u.meta.get("narrowband")]
    assert len(dev) == 3 and len(copies) == len(train) - len(copies) == 9
    for u in dev + train:
        pcm = pcms[u.meta["i"]]
        if u.meta.get("narrowband"):
            pcm = augment.narrowband(pcm, 8000)
        want = dataset.F.running_mean_normalise(dataset.F.log_mel(pcm), mean, inv, cmn)
        assert np.max(np.abs((u.feats - m) * s - want)) < 1e-4, u.meta
