"""Tests of the C aligner library (firmware/aligner/) through its host build (host.py).

Checks the C code against NumPy implementations of CONTRACT.md written here: FFT (tolerance),
front end (tolerance on floats, int8 within 1 LSB), int8 conv stack (bit exact, plain-C and
DSP code paths), streaming == whole utterance, Viterbi on synthetic posteriors with known
boundaries, NF rules, bounded memory (no heap, fixed static sizes, long input == short input
near the start), and the USART line protocol.
"""
from __future__ import annotations

import importlib
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
ALDIR = ROOT / "firmware" / "aligner"
sys.path.insert(0, str(ALDIR))

if shutil.which("gcc") is None or shutil.which("make") is None:
    pytest.skip("gcc/make not installed", allow_module_level=True)

import host  # noqa: E402


@pytest.fixture(scope="module", autouse=True)
def _pin_test_model():
    """These tests are written for the random test model (synthetic posteriors, its HMM
    parameters): pin it, whatever model has been exported, and restore the default after."""
    host.set_default_model(host.TEST_MODEL)
    yield
    host.set_default_model(None)


@pytest.fixture(scope="module")
def model():
    host.load()
    return host.model_params()


# ---------------------------------------------------------------- NumPy references of CONTRACT.md
def hann400() -> np.ndarray:
    n = np.arange(400)
    return (0.5 - 0.5 * np.cos(2 * np.pi * n / 400)).astype(np.float32)


def ref_logmel(s: np.ndarray, m: dict) -> np.ndarray:
    """Log-mel f per CONTRACT.md (float64 after the float32 pre-emphasis / window)."""
    x = s.astype(np.float32) / np.float32(32768.0)
    y = x.copy()
    y[1:] = x[1:] - np.float32(0.97) * x[:-1]
    T = max(0, (len(s) - 400) // 160 + 1)
    idx = np.arange(T)[:, None] * 160 + np.arange(400)[None, :]
    fr = (y[idx] * hann400()).astype(np.float32)
    P = np.abs(np.fft.rfft(fr.astype(np.float64), n=512, axis=1)) ** 2
    W = np.zeros((m["n_mels"], 257))
    o = 0
    for i, (f, c) in enumerate(zip(m["mel_first"], m["mel_count"])):
        W[i, f:f + c] = m["mel_weights"][o:o + c]
        o += c
    return np.log(np.maximum(P @ W.T, 1e-10))


def ref_running_mean(f: np.ndarray, m: dict, prior: float, frames: float) -> np.ndarray:
    """CONTRACT.md running mean in float64: mu starts at feat_mean; at frame n,
    c = min(prior + n, frames), mu += (f - mu) / (c + 1), g = (f - mu) * inv_std."""
    mu = m["feat_mean"].astype(np.float64).copy()
    g = np.empty_like(f)
    for n in range(len(f)):
        mu += (f[n] - mu) / (min(prior + n, frames) + 1.0)
        g[n] = (f[n] - mu) * m["feat_inv_std"].astype(np.float64)
    return g


def ref_features(s: np.ndarray, m: dict):
    """Front end per CONTRACT.md: float32 pre-emphasis / window, float64 FFT and mel."""
    x = s.astype(np.float32) / np.float32(32768.0)
    y = x.copy()
    y[1:] = x[1:] - np.float32(0.97) * x[:-1]
    T = max(0, (len(s) - 400) // 160 + 1)
    idx = np.arange(T)[:, None] * 160 + np.arange(400)[None, :]
    fr = (y[idx] * hann400()).astype(np.float32)
    P = np.abs(np.fft.rfft(fr.astype(np.float64), n=512, axis=1)) ** 2
    W = np.zeros((m["n_mels"], 257))
    o = 0
    for i, (f, c) in enumerate(zip(m["mel_first"], m["mel_count"])):
        W[i, f:f + c] = m["mel_weights"][o:o + c]
        o += c
    f = np.log(np.maximum(P @ W.T, 1e-10))
    g = (f - m["feat_mean"].astype(np.float64)) * m["feat_inv_std"].astype(np.float64)
    v = g / float(m["in_scale"])
    q = np.clip(np.trunc(v + np.where(v >= 0, 0.5, -0.5)), -127, 127).astype(np.int8)
    return q, g


def ref_layer(x: np.ndarray, L: dict) -> np.ndarray:
    """One int8 conv layer per CONTRACT.md, in int64."""
    T = x.shape[0]
    k, d = L["k"], L["dil"]
    h = (k - 1) // 2 * d
    xp = np.zeros((T + 2 * h, L["cin"]), np.int64)
    xp[h:h + T] = x
    acc = np.tile(L["bias"].astype(np.int64), (T, 1))
    for j in range(k):
        acc += xp[j * d:j * d + T] @ L["w"][:, j, :].astype(np.int64).T
    assert np.all(np.abs(acc) < 2**31)
    sh = L["shift"].astype(np.int64)
    v = (acc * L["mult"].astype(np.int64) + (np.int64(1) << (sh - 1))) >> sh
    if L["relu"]:
        v = np.maximum(v, 0)
    return np.clip(v, -128, 127).astype(np.int8)


def ref_stack(x: np.ndarray, m: dict) -> list[np.ndarray]:
    outs = []
    for L in m["layers"]:
        x = ref_layer(x, L)
        outs.append(x)
    return outs


def speechy(seconds: float, seed: int = 0) -> np.ndarray:
    """Synthetic audio: noise bursts, harmonic tones and pauses, int16."""
    rng = np.random.default_rng(seed)
    n = int(seconds * 16000)
    t = np.arange(n) / 16000.0
    env = (np.sin(2 * np.pi * 1.7 * t) > -0.3).astype(np.float64)
    f0 = 120 + 40 * np.sin(2 * np.pi * 0.3 * t)
    ph = 2 * np.pi * np.cumsum(f0) / 16000.0
    tone = sum(np.sin(k * ph) / k for k in range(1, 12))
    sig = env * (0.25 * tone + 0.1 * rng.standard_normal(n)) + 0.003 * rng.standard_normal(n)
    return np.clip(sig * 12000, -32768, 32767).astype(np.int16)


# ------------------------------------------------------------------------------------- tests
def test_fft_matches_numpy():
    rng = np.random.default_rng(0)
    for trial in range(20):
        x = rng.standard_normal(512).astype(np.float32) * (10.0 ** rng.integers(-3, 3))
        got = host.rfft512(x)
        ref = np.fft.rfft(x.astype(np.float64))
        err = np.abs(got - ref).max() / np.abs(ref).max()
        assert err < 2e-6, (trial, err)
    # impulses and a pure tone: exact structure
    x = np.zeros(512, np.float32)
    x[0] = 1.0
    assert np.allclose(host.rfft512(x), 1.0, atol=1e-6)
    x = np.cos(2 * np.pi * 17 * np.arange(512) / 512).astype(np.float32)
    X = host.rfft512(x)
    assert abs(X[17] - 256) < 1e-3 and np.abs(np.delete(X, 17)).max() < 1e-3


def test_frontend_matches_reference(model):
    s = speechy(3.0, seed=1)
    q, g = host.features(s, return_float=True)
    rq, rg = ref_features(s, model)
    assert q.shape == rq.shape == (298, model["n_mels"])
    assert np.abs(g - rg).max() < 2e-3
    d = np.abs(q.astype(int) - rq.astype(int))
    assert d.max() <= 1 and (d > 0).mean() < 0.005


def test_frontend_matches_the_numpy_reference_module(model):
    """Compare with the model engineer's NumPy front end (firmware/model/features.py). The
    compiled-in mel tables must be the ones features.py computes: a divergence fails."""
    sys.path.insert(0, str(ROOT / "firmware" / "model"))
    F = importlib.import_module("features")
    tab = F.mel_table()
    assert np.array_equal(tab.first, model["mel_first"])
    assert np.array_equal(tab.count, model["mel_count"])
    assert np.array_equal(tab.weights, model["mel_weights"])
    s = speechy(3.0, seed=5)
    g_ref = F.normalise(F.log_mel(s), model["feat_mean"], model["feat_inv_std"])
    q_ref = F.quantise_input(g_ref, float(model["in_scale"]))
    q, g = host.features(s, return_float=True)
    assert q.shape == q_ref.shape
    assert np.abs(g - g_ref).max() < 2e-3
    d = np.abs(q.astype(int) - q_ref.astype(int))
    assert d.max() <= 1 and (d > 0).mean() < 0.005


@pytest.fixture(scope="module")
def cmn_model(tmp_path_factory) -> Path:
    """The test model with the running mean switched on (prior 20 frames, window 100)."""
    d = tmp_path_factory.mktemp("cmn_model")
    src = host.TEST_MODEL.read_text()
    tag = "0.0f, 0.0f,   /* cmn_prior, cmn_frames"
    assert tag in src
    (d / "model_data.c").write_text(src.replace(tag, "20.0f, 100.0f,   /* cmn_prior, cmn_frames"))
    shutil.copy(host.TEST_MODEL.parent / "model_data.h", d / "model_data.h")
    return d / "model_data.c"


def test_frontend_running_mean_matches_reference(cmn_model):
    m = host.model_params(cmn_model)
    assert (m["cmn_prior"], m["cmn_frames"]) == (20.0, 100.0)
    s = speechy(6.0, seed=3)
    q, g = host.features(s, cmn_model, return_float=True)
    rg = ref_running_mean(ref_logmel(s, m), m, 20.0, 100.0)
    assert np.abs(g - rg).max() < 2e-3
    v = rg / float(m["in_scale"])
    rq = np.clip(np.trunc(v + np.where(v >= 0, 0.5, -0.5)), -127, 127)
    d = np.abs(q.astype(int) - rq)
    assert d.max() <= 1 and (d > 0).mean() < 0.005
    # streaming in odd blocks gives the same running mean
    assert np.array_equal(host.features(s, cmn_model, block=777), q)


def test_running_mean_numpy_training_path_matches_c(cmn_model):
    """firmware/model/features.py (the training / reference path) computes the same running mean
    as the firmware: float features within float rounding, int8 within 1 LSB."""
    sys.path.insert(0, str(ROOT / "firmware" / "model"))
    F = importlib.import_module("features")
    m = host.model_params(cmn_model)
    s = speechy(5.0, seed=6)
    q, g = host.features(s, cmn_model, return_float=True)
    g_np = F.running_mean_normalise(ref_logmel(s, m).astype(np.float32), m["feat_mean"],
                                    m["feat_inv_std"], F.RunningMean(20.0, 100.0))
    assert np.abs(g - g_np).max() < 2e-3
    d = np.abs(q.astype(int) - F.quantise_input(g_np, float(m["in_scale"])).astype(int))
    assert d.max() <= 1 and (d > 0).mean() < 0.005


def test_running_mean_removes_level_and_microphone_colour(cmn_model):
    """A -20 dB level change and a first-order 'microphone' filter add (almost) a constant to
    every log-mel band; once the running mean has adapted (frames >= 300, three windows) the
    features are those of the original recording. The static mean keeps the offset."""
    s = speechy(8.0, seed=4).astype(np.float64)
    coloured = 0.1 * (s - 0.6 * np.concatenate([[0.0], s[:-1]]))      # -20 dB, tilt
    c16 = np.clip(np.round(coloured), -32768, 32767).astype(np.int16)
    s16 = s.astype(np.int16)
    run = [host.features(x, cmn_model).astype(int) for x in (s16, c16)]
    stat = [host.features(x).astype(int) for x in (s16, c16)]
    d_run = np.abs(run[0] - run[1])[300:]
    d_stat = np.abs(stat[0] - stat[1])[300:]
    assert np.median(d_run) <= 1 and d_run.mean() < 2.0, (np.median(d_run), d_run.mean())
    assert d_stat.mean() > 10 * d_run.mean()


def gated_src() -> str:
    """model_data.c of the test model with the running mean (prior 20 frames, window 100) and
    its speech gate (gate 1.5 nats, rise 0.005)."""
    src = host.TEST_MODEL.read_text()
    tags = ("0.0f, 0.0f,   /* cmn_prior, cmn_frames", "0.0f, 0.0f,   /* cmn_gate, cmn_rise")
    assert all(t in src for t in tags)
    src = src.replace(tags[0], "20.0f, 100.0f,   /* cmn_prior, cmn_frames")
    return src.replace(tags[1], "1.5f, 0.005f,   /* cmn_gate, cmn_rise")


@pytest.fixture(scope="module")
def gated_model(tmp_path_factory) -> Path:
    """The test model with the running mean and its speech gate (gated_src)."""
    d = tmp_path_factory.mktemp("gated_model")
    (d / "model_data.c").write_text(gated_src())
    shutil.copy(host.TEST_MODEL.parent / "model_data.h", d / "model_data.h")
    return d / "model_data.c"


def ref_gated_mean(f: np.ndarray, m: dict, prior: float, frames: float, gate: float,
                   rise: float) -> np.ndarray:
    """CONTRACT.md speech gate in float64: E = mean band, floor = min(E, floor + rise) from
    +inf; only frames with E > floor + gate update mu (c counts updates only)."""
    mu = m["feat_mean"].astype(np.float64).copy()
    g = np.empty_like(f)
    floor, k = np.inf, 0
    for n in range(len(f)):
        e = f[n].mean()
        floor = min(e, floor + rise)
        if e > floor + gate:
            mu += (f[n] - mu) / (min(prior + k, frames) + 1.0)
            k += 1
        g[n] = (f[n] - mu) * m["feat_inv_std"].astype(np.float64)
    return g


def paused(seed: int) -> np.ndarray:
    """2 s of speechy audio, 6 s of quiet noise (a long pause), 2 s of speechy audio."""
    rng = np.random.default_rng(seed)
    s = speechy(2.0, seed=seed).astype(np.float64)
    pause = 30.0 * rng.standard_normal(6 * 16000)
    return np.clip(np.concatenate([s, pause, s]), -32768, 32767).astype(np.int16)


def test_speech_gate_matches_references(gated_model):
    """C front end with the speech gate vs an independent float64 reference and the NumPy
    training path (features.py)."""
    sys.path.insert(0, str(ROOT / "firmware" / "model"))
    F = importlib.import_module("features")
    m = host.model_params(gated_model)
    assert (m["cmn_gate"], m["cmn_rise"]) == (1.5, np.float32(0.005))
    s = paused(7)
    q, g = host.features(s, gated_model, return_float=True)
    f64 = ref_logmel(s, m)
    rg = ref_gated_mean(f64, m, 20.0, 100.0, 1.5, float(np.float32(0.005)))
    assert np.abs(g - rg).max() < 2e-3
    g_np = F.running_mean_normalise(f64.astype(np.float32), m["feat_mean"], m["feat_inv_std"],
                                    F.RunningMean(20.0, 100.0, 1.5, 0.005))
    assert np.abs(g - g_np).max() < 2e-3
    d = np.abs(q.astype(int) - F.quantise_input(g_np, float(m["in_scale"])).astype(int))
    assert d.max() <= 1 and (d > 0).mean() < 0.005
    assert np.array_equal(host.features(s, gated_model, block=777), q)


def test_speech_gate_keeps_the_mean_through_a_long_pause(gated_model, cmn_model):
    """Without the gate, 6 s of quiet noise pull the running mean down towards the noise floor:
    the pause looks louder and louder (normalised) and the speech after it is shifted. With the
    gate the mean stays where speech put it: the pause keeps its level and the speech after the
    pause looks like the speech before it."""
    s = paused(8)
    _, g_gate = host.features(s, gated_model, return_float=True)
    _, g_all = host.features(s, cmn_model, return_float=True)
    before, after = slice(100, 180), slice(820, 880)    # speech at 1.0-1.8 s and 8.2-8.8 s
    p0, p1 = slice(215, 295), slice(700, 780)           # pause at 2.15-2.95 s and 7.0-7.8 s
    rise = [g[p1].mean() - g[p0].mean() for g in (g_gate, g_all)]
    shift = [g[after].mean() - g[before].mean() for g in (g_gate, g_all)]
    assert abs(rise[0]) < 0.1 and rise[1] > 0.8, rise
    assert abs(shift[0]) < 0.2 and shift[1] > 0.8, shift


def level_model(d: Path, floor: str, bands: str = "5, 29", recheck: int = 0,
                lift: str = "0.0f") -> Path:
    """The gated test model (gated_src) with the running mean's level floor (10 speech frames,
    ``floor``, bands ``bands``: 5-28 unless given; checked again after ``recheck`` speech frames
    if given; a quiet recording raised ``lift`` nats above the floor)."""
    src = gated_src()
    tag = "0, 0.0f, 0, 0,   /* cmn_level_frames, cmn_level_floor"
    tag_r = "0, 0.0f,   /* cmn_level_recheck"
    assert tag in src and tag_r in src
    src = src.replace(tag, f"10, {floor}, {bands},   /* cmn_level_frames, cmn_level_floor")
    (d / "model_data.c").write_text(src.replace(tag_r, f"{recheck}, {lift},   /* cmn_level_recheck"))
    shutil.copy(host.TEST_MODEL.parent / "model_data.h", d / "model_data.h")
    return d / "model_data.c"


def ref_level_floor(f: np.ndarray, m: dict, prior: float, frames: float, gate: float,
                    rise: float, k_level: int, floor: float, k_recheck: int = 0,
                    lift: float = 0.0) -> np.ndarray:
    """CONTRACT.md level floor in float64, on top of ref_gated_mean: the first k_level updating
    frames' levels (mean of bands 5-28) are averaged; at the k_level-th, if that level L <
    floor, mu += (L - floor) * r, r the share of feat_mean left in mu (the product of 1 - a over
    those updates). If it did not move mu and k_recheck > k_level: the same at the
    k_recheck-th update, with L the mean over the first k_recheck. With ``lift``: mu += (L -
    floor - lift) * r (the recording raised to lift nats above the floor)."""
    mu = m["feat_mean"].astype(np.float64).copy()
    g = np.empty_like(f)
    fl, k, lsum, rem, moved = np.inf, 0, 0.0, 1.0, False
    for n in range(len(f)):
        e = f[n].mean()
        fl = min(e, fl + rise)
        if e > fl + gate:
            a = 1.0 / (min(prior + k, frames) + 1.0)
            mu += (f[n] - mu) * a
            k += 1
            if not moved and k <= max(k_level, k_recheck):
                lsum += f[n][5:29].mean()
                rem *= 1.0 - a
                if k in (k_level, k_recheck) and lsum / k < floor:
                    mu += (lsum / k - floor - lift) * rem
                    moved = True
        g[n] = (f[n] - mu) * m["feat_inv_std"].astype(np.float64)
    return g


def test_level_floor_matches_references(tmp_path):
    """C front end with the level floor vs an independent float64 reference and the NumPy
    training path (features.py), on a recording 30 dB quieter than the test signal and on the
    signal itself (levels -7.8 and -0.9 nats: below and above a floor of -4 nats; above it the
    floor changes nothing)."""
    sys.path.insert(0, str(ROOT / "firmware" / "model"))
    F = importlib.import_module("features")
    lm = level_model(tmp_path, "-4.0f")
    m = host.model_params(lm)
    assert (m["cmn_level_frames"], m["cmn_level_floor"], m["cmn_level_b0"],
            m["cmn_level_b1"]) == (10, -4.0, 5, 29)
    loud = paused(9)
    quiet = np.round(loud * 10 ** (-30 / 20)).astype(np.int16)
    shifted = []
    for s in (loud, quiet):
        q, g = host.features(s, lm, return_float=True)
        f64 = ref_logmel(s, m)
        rg = ref_level_floor(f64, m, 20.0, 100.0, 1.5, float(np.float32(0.005)), 10, -4.0)
        assert np.abs(g - rg).max() < 2e-3
        g_np = F.running_mean_normalise(f64.astype(np.float32), m["feat_mean"], m["feat_inv_std"],
                                        F.RunningMean(20.0, 100.0, 1.5, 0.005, 10, -4.0, (5, 29)))
        assert np.abs(g - g_np).max() < 2e-3
        d = np.abs(q.astype(int) - F.quantise_input(g_np, float(m["in_scale"])).astype(int))
        assert d.max() <= 1 and (d > 0).mean() < 0.005
        assert np.array_equal(host.features(s, lm, block=777), q)
        g_gate = F.running_mean_normalise(f64.astype(np.float32), m["feat_mean"],
                                          m["feat_inv_std"], F.RunningMean(20.0, 100.0, 1.5, 0.005))
        shifted.append(float(np.abs(g_np - g_gate).max()))
    assert shifted[0] == 0.0 and shifted[1] > 0.5, shifted   # only the quiet one is moved


def test_level_lift_raises_a_quiet_recording_above_the_floor(tmp_path):
    """With cmn_level_lift a recording below the floor is normalised as its copy raised to lift
    nats above the floor, not to the floor: at its 10th speech frame mu moves lift * r further
    than with the floor alone (r = prod over k < 10 of (1 - 1 / (20 + k + 1)) = 20 / 30; C against
    the float64 reference and the NumPy path). A recording above the floor is untouched."""
    sys.path.insert(0, str(ROOT / "firmware" / "model"))
    F = importlib.import_module("features")
    loud = paused(9)
    quiet = np.round(loud * 10 ** (-30 / 20)).astype(np.int16)
    floor_only = level_model(tmp_path, "-4.0f")
    (tmp_path / "l").mkdir()
    lifted = level_model(tmp_path / "l", "-4.0f", lift="2.5f")
    m = host.model_params(lifted)
    assert m["cmn_level_lift"] == 2.5
    f64 = ref_logmel(quiet, m)
    n10 = int(np.flatnonzero(F.speech_gate(f64.astype(np.float32), 1.5, 0.005))[9])
    _, g0 = host.features(quiet, floor_only, return_float=True)
    _, g = host.features(quiet, lifted, return_float=True)
    rise = float(np.float32(0.005))
    assert np.abs(g - ref_level_floor(f64, m, 20.0, 100.0, 1.5, rise, 10, -4.0, lift=2.5)).max() < 2e-3
    g_np = F.running_mean_normalise(f64.astype(np.float32), m["feat_mean"], m["feat_inv_std"],
                                    F.RunningMean(20.0, 100.0, 1.5, 0.005, 10, -4.0, (5, 29), 0,
                                                  2.5))
    assert np.abs(g - g_np).max() < 2e-3
    assert np.array_equal(g[:n10], g0[:n10])
    assert np.abs((g[n10] - g0[n10]) - 2.5 * (20 / 30) * m["feat_inv_std"]).max() < 2e-3
    _, gl = host.features(loud, lifted, return_float=True)
    _, gl0 = host.features(loud, floor_only, return_float=True)
    assert np.array_equal(gl, gl0)


def test_level_recheck_moves_a_quiet_recording_that_begins_loud(tmp_path):
    """A recording 30 dB quieter than the test signal whose first 0.1 s (after 0.5 s of near
    silence) is the loud signal: its first 10 speech frames read -1.3 nats, above a floor of
    -4 nats, its first 30 -5.1. With the recheck at 30 speech frames the running mean moves
    there (C front end against the float64 reference and the NumPy path); without it, or
    before the 30th speech frame, the features are those of the level floor alone."""
    sys.path.insert(0, str(ROOT / "firmware" / "model"))
    F = importlib.import_module("features")
    loud = paused(9)
    quiet = np.round(loud * 10 ** (-30 / 20)).astype(np.int16)
    lead = np.round(np.random.default_rng(3).standard_normal(8000)).astype(np.int16)
    s = np.concatenate([lead, loud[:1600], quiet[1600:]])
    once = level_model(tmp_path, "-4.0f")
    (tmp_path / "r").mkdir()
    again = level_model(tmp_path / "r", "-4.0f", recheck=30)
    m = host.model_params(again)
    assert (m["cmn_level_frames"], m["cmn_level_recheck"]) == (10, 30)
    f64 = ref_logmel(s, m)
    upd = F.speech_gate(f64.astype(np.float32), 1.5, 0.005)
    n30 = int(np.flatnonzero(upd)[29])                   # the frame of the 30th update
    rise = float(np.float32(0.005))
    _, g_once = host.features(s, once, return_float=True)
    q, g = host.features(s, again, return_float=True)
    assert np.abs(g_once - ref_level_floor(f64, m, 20.0, 100.0, 1.5, rise, 10, -4.0)).max() < 2e-3
    assert np.abs(g - ref_level_floor(f64, m, 20.0, 100.0, 1.5, rise, 10, -4.0, 30)).max() < 2e-3
    g_np = F.running_mean_normalise(f64.astype(np.float32), m["feat_mean"], m["feat_inv_std"],
                                    F.RunningMean(20.0, 100.0, 1.5, 0.005, 10, -4.0, (5, 29), 30))
    assert np.abs(g - g_np).max() < 2e-3
    assert np.array_equal(host.features(s, again, block=333), q)
    assert np.array_equal(g[:n30], g_once[:n30])         # the first check moved nothing
    # at the 30th update mu moves by (L - floor) * r: L the mean level of those 30 frames, r the
    # training mean's share left, prod over k < 30 of (1 - 1 / (20 + k + 1)) = 20 / 50
    L = float(np.mean([f64[n][5:29].mean() for n in np.flatnonzero(upd)[:30]]))
    assert L < -4.0 < float(np.mean([f64[n][5:29].mean() for n in np.flatnonzero(upd)[:10]]))
    lift = -(L + 4.0) * (20 / 50) * m["feat_inv_std"]
    assert np.abs((g[n30] - g_once[n30]) - lift).max() < 2e-3, (g[n30] - g_once[n30], lift)


@pytest.mark.parametrize("bands", ["5, 5", "30, 41"])
def test_level_floor_bands_outside_the_mel_bands_are_refused(tmp_path, bands):
    """An export whose level bands are empty or past the 40 mel bands is refused by the C front
    end (al_fe_init: AL_E_MODEL, the host call answers -1 frames) and by the NumPy one."""
    sys.path.insert(0, str(ROOT / "firmware" / "model"))
    F = importlib.import_module("features")
    with pytest.raises(AssertionError, match="-1"):
        host.features(speechy(1.0), level_model(tmp_path, "-4.0f", bands))
    b0, b1 = (int(v) for v in bands.split(","))
    with pytest.raises(ValueError, match="bands"):
        F.running_mean_normalise(np.zeros((20, 40), np.float32), np.zeros(40, np.float32),
                                 np.ones(40, np.float32),
                                 F.RunningMean(20.0, 100.0, 1.5, 0.005, 10, -4.0, (b0, b1)))


def test_level_floor_makes_a_quiet_recording_look_like_a_loud_one(tmp_path, gated_model):
    """A gain is a constant in every log-mel band (ln 10^(dB/10)); with a floor above both
    recordings' levels, the running mean moves to each recording's own level after 10 speech
    frames, so a recording 20 dB quieter gets the loud one's features from there on (to the
    int16 rounding of the quiet one). Without the floor the quiet one stays 20 dB low for most
    of the first seconds (the training mean counts for 20 frames and follows slowly)."""
    lm = level_model(tmp_path, "20.0f")
    loud = speechy(4.0, seed=11)
    quiet = np.round(loud.astype(np.float64) * 0.1).astype(np.int16)
    _, g_loud = host.features(loud, lm, return_float=True)
    _, g_quiet = host.features(quiet, lm, return_float=True)
    _, o_loud = host.features(loud, gated_model, return_float=True)
    _, o_quiet = host.features(quiet, gated_model, return_float=True)
    sys.path.insert(0, str(ROOT / "firmware" / "model"))
    F = importlib.import_module("features")
    e = F.band_mean(F.log_mel(loud))
    speech = e > np.percentile(e, 40)          # the pauses' noise is mostly int16 rounding
    early = np.zeros(len(e), bool)             # in the quiet copy: compared in speech only
    early[40:200] = True                       # 0.4-2 s: after the 10 frames
    sel = speech[:len(g_loud)] & early[:len(g_loud)]
    with_floor = np.abs(g_loud - g_quiet)[sel].mean()
    without = np.abs(o_loud - o_quiet)[sel].mean()
    assert with_floor < 0.15 and without > 0.35 and without > 4 * with_floor, (with_floor, without)


@pytest.mark.parametrize("block", [1, 160, 1000])
def test_frontend_streaming_equals_whole(block):
    s = speechy(2.3, seed=2)
    whole = host.features(s, block=0)
    assert np.array_equal(host.features(s, block=block), whole)
    assert len(host.features(s[:399])) == 0 and len(host.features(s[:400])) == 1
    assert len(host.features(s[:559])) == 1 and len(host.features(s[:560])) == 2


def test_layers_bit_exact(model):
    rng = np.random.default_rng(3)
    feats = host.features(speechy(2.0, seed=3))
    rand = rng.integers(-127, 128, size=(57, model["n_mels"])).astype(np.int8)
    for x in (feats, rand, feats[:3], feats[:1]):
        ref = ref_stack(x, model)
        for li in range(len(model["layers"])):
            for dsp in (False, True):
                got = host.logits(x, layer=li, dsp=dsp)
                assert np.array_equal(got, ref[li]), (li, dsp, x.shape)


def test_dot_kernels_plain_equal_dsp():
    rng = np.random.default_rng(4)
    for n in list(range(1, 40)) + [63, 64, 65, 127, 128, 255, 256]:
        w = rng.integers(-128, 128, n).astype(np.int8)
        x = rng.integers(-128, 128, n).astype(np.int8)
        ref = int(np.dot(w.astype(np.int64), x.astype(np.int64))) + 12345
        assert host.dot(w, x, 12345, dsp=False) == ref
        assert host.dot(w, x, 12345, dsp=True) == ref
    w = np.full(256, -128, np.int8)
    assert host.dot(w, w, 0, dsp=True) == host.dot(w, w, 0, dsp=False) == 256 * 16384


# ------------------------------------------------------------------- synthetic posteriors
def synth(model, words, sil_between, lead=20, tail=20, seed=0, peak=50, noise=(-40, 0),
          min_dur=None):
    """Logits with a known alignment. Returns (logits, true word (start, end) frames)."""
    rng = np.random.default_rng(seed)
    C = model["n_classes"]
    st = model["hmm_states"]
    sil = model["sil_class"]
    labels, bounds = [sil] * lead, []
    for i, w in enumerate(words):
        if not w:
            bounds.append(None)
            continue
        s0 = len(labels)
        for p in w:
            labels += [p] * int(max(st[p], min_dur or 0) + rng.integers(0, 6))
        bounds.append((s0, len(labels)))
        if i + 1 < len(words) and sil_between[i]:
            labels += [sil] * int(st[sil] + rng.integers(0, 15))
    labels += [sil] * tail
    T = len(labels)
    z = rng.integers(noise[0], noise[1] + 1, size=(T, C))
    z[np.arange(T), labels] = peak
    return np.clip(z, -128, 127).astype(np.int8), bounds, np.array(labels)


def random_words(model, n, rng, max_ph=5):
    C, sil = model["n_classes"], model["sil_class"]
    words, prev = [], None
    for _ in range(n):
        w = []
        for _ in range(int(rng.integers(1, max_ph + 1))):
            p = prev
            while p == prev or p == sil:
                p = int(rng.integers(0, C))
            w.append(p)
            prev = p
        words.append(w)
    return words


def test_viterbi_exact_boundaries(model):
    rng = np.random.default_rng(10)
    words = random_words(model, 40, rng)
    sil_between = rng.random(40) < 0.5
    z, bounds, _ = synth(model, words, sil_between, seed=10)
    res, stats = host.align_logits(z, words)
    assert [r.word for r in res] == list(range(40))
    off = round(model["frame_offset_s"] * 1000)
    for r, b in zip(res, bounds):
        assert not r.nf
        assert (r.start_frame, r.end_frame) == b, (r, b)
        assert abs(r.start_ms - (10 * b[0] + off)) <= 1 and abs(r.end_ms - (10 * b[1] + off)) <= 1
        assert 900 <= r.confidence <= 1000
    assert stats.max_band <= host.sizes()["band"] and stats.max_lag <= host.sizes()["lag"]


def test_viterbi_transcript_after_audio_start(model):
    rng = np.random.default_rng(11)
    words = random_words(model, 30, rng)
    z, bounds, _ = synth(model, words, rng.random(30) < 0.5, seed=11)
    ref, _ = host.align_logits(z, words)
    for pre in (1, 50, 200, len(z) - 1):
        got, st = host.align_logits(z, words, pre=pre)
        assert got == ref, pre


def test_nf_empty_word_and_unreached_words(model):
    rng = np.random.default_rng(12)
    words = random_words(model, 12, rng)
    words[4] = []                        # nothing to pronounce -> NF
    z, bounds, _ = synth(model, words, [True] * 12, seed=12)
    extra = random_words(model, 3, rng)  # transcript longer than the audio
    res, _ = host.align_logits(z, words + extra, nf_min_conf=50)
    assert [r.word for r in res] == list(range(15))
    assert res[4].nf
    for r, b in zip(res[:12], bounds):
        if b is not None and r.word < 11:
            assert (r.start_frame, r.end_frame) == b
    assert all(r.nf for r in res[12:])


def test_nf_low_confidence_word(model):
    rng = np.random.default_rng(13)
    words = random_words(model, 10, rng)
    z, bounds, labels = synth(model, words, [True] * 10, seed=13, min_dur=6)
    # replace word 5's audio by another (wrong) phone: it still gets frames, but poor ones
    s0, e0 = bounds[5]
    wrong = next(c for c in range(1, model["n_classes"]) if c not in words[5]
                 and c not in words[4] and c not in words[6])
    z[s0:e0] = np.clip(rng.integers(-40, 1, size=(e0 - s0, z.shape[1])), -128, 127)
    z[s0:e0, wrong] = 50
    res, _ = host.align_logits(z, words, nf_min_conf=100)
    assert res[5].nf
    assert not res[1].nf and (res[1].start_frame, res[1].end_frame) == bounds[1]
    res0, _ = host.align_logits(z, words, nf_min_conf=0)
    assert not res0[5].nf and res0[5].confidence < 100


def test_words_beyond_capacity_are_nf(model):
    rng = np.random.default_rng(14)
    cap = 2048                             # AL_MAX_WORDS of al_config.h (issue 12: was 1024)
    n = cap + 6
    words = random_words(model, n, rng, max_ph=1)
    z, bounds, _ = synth(model, words, [False] * n, seed=14)
    res, _ = host.align_logits(z, words, nf_min_conf=0)
    assert len(res) == n and [r.word for r in res] == list(range(n))
    assert all(r.nf for r in res[cap:])
    ok = sum((r.start_frame, r.end_frame) == b for r, b in zip(res[:cap], bounds[:cap]))
    assert ok >= cap - 20


# ------------------------------------------------------------------------ bounded memory
def test_long_input_matches_short_near_start(model):
    """300 s of noisy synthetic posteriors vs its first 10 s: identical early words."""
    rng = np.random.default_rng(20)
    words = random_words(model, 1000, rng)
    z, bounds, labels = synth(model, words, rng.random(1000) < 0.4, seed=20, peak=24,
                              noise=(-30, 20), min_dur=8)
    # cut both runs where a word starts, so the last transcript word is complete
    n_full = sum(1 for b in bounds if b[1] <= 30000)
    T = bounds[n_full][0]
    assert T >= 29900                      # >= 299 s of audio
    long_res, st = host.align_logits(z[:T], words[:n_full])
    n_short = sum(1 for b in bounds if b[1] <= 1000)
    short_res, _ = host.align_logits(z[:bounds[n_short][0]], words[:n_short])
    early = [i for i in range(n_short) if bounds[i][1] <= 800]
    assert len(early) > 10
    for i in early:
        assert long_res[i] == short_res[i], i
    # the bounded scheme did its job and the alignment is still right
    assert st.max_lag <= host.sizes()["lag"] and st.max_band <= host.sizes()["band"]
    exact = np.mean([(r.start_frame, r.end_frame) == b for r, b in zip(long_res, bounds)])
    near = np.mean([not r.nf and abs(r.start_frame - b[0]) <= 2 and abs(r.end_frame - b[1]) <= 2
                    for r, b in zip(long_res, bounds)])
    assert near > 0.97 and exact > 0.8, (near, exact)
    last = long_res[-1]
    assert not last.nf and abs(last.end_frame - bounds[n_full - 1][1]) <= 2   # no drift


def test_no_heap_and_fixed_static_memory():
    """No allocator symbols in the library; static sizes are compile-time constants."""
    so = host.build()
    out = subprocess.run(["nm", "-D", "--undefined-only", str(so)], capture_output=True, text=True)
    und = set(re.findall(r"\bU (\w+)", out.stdout))
    assert not und & {"malloc", "calloc", "realloc", "free", "alloca", "__builtin_alloca"}, und
    if shutil.which("arm-none-eabi-gcc") is None:
        return
    subprocess.run(["make", "-s", "-C", str(ALDIR), "arm"], check=True)
    objs = sorted((ALDIR / "build" / "arm").glob("*.o"))
    size = subprocess.run(["arm-none-eabi-size", *map(str, objs)], capture_output=True,
                          text=True, check=True).stdout
    bss = {Path(l.split()[-1]).stem: int(l.split()[2]) for l in size.splitlines()[1:]}
    sz = host.sizes()
    # the one static instance (the search's stack and switch state are sized per build)
    assert bss["aligner"] >= sz["nnet"] + sz["viterbi"] - sz["coro"]
    nm = subprocess.run(["arm-none-eabi-nm", "-u", *map(str, objs)], capture_output=True,
                        text=True).stdout
    assert not re.search(r"\b(malloc|calloc|realloc|free)\b", nm)
    # worst stack frame (gcc -fstack-usage): small and static
    worst = 0
    for su in (ALDIR / "build" / "arm").glob("*.su"):
        for line in su.read_text().splitlines():
            n, kind = line.split("\t")[1:3]
            assert "dynamic" not in kind or "bounded" in kind, line
            worst = max(worst, int(n))
    assert worst < 1024, worst


# ------------------------------------------------------------------ full pipeline, protocol
@pytest.mark.parametrize("block", [1, 160, 1000])
def test_pipeline_streaming_block_sizes(model, block):
    s = speechy(4.0, seed=6)
    rng = np.random.default_rng(6)
    words = random_words(model, 8, rng)
    words[2] = []
    ref = host.align(s, words, block=len(s))
    got = host.align(s, words, block=block)
    assert got == ref
    assert [r.word for r in got] == list(range(8)) and got[2].nf
    assert host.align(s, words, block=block, pre=7000) == ref


def test_logits_from_audio_consistent(model):
    s = speechy(1.5, seed=7)
    q = host.features(s)
    assert np.array_equal(host.logits(q), ref_stack(q, model)[-1])
    assert np.array_equal(host.logits(q, dsp=True), host.logits(q))


def test_protocol_session(model):
    s = speechy(3.0, seed=8)
    rng = np.random.default_rng(8)
    words = random_words(model, 5, rng)
    words[3] = []
    text = f"T {len(words)}\r\n" + "".join(
        f"W {i}" + "".join(f" {p}" for p in w) + "\n" for i, w in enumerate(words)) + "E\n"
    out = host.protocol_session("# comment\n" + text, s)
    host.align(s, words)
    T = len(host.features(s))
    assert out.splitlines() == [r.line() for r in host.answers()] + [f"D {T} {len(words)}"]
    assert host.protocol_session(text, s, pre=5000) == out        # transcript while streaming
    bad = host.protocol_session("T 2\nW 0 1 2\nX 5\nW 1 3 zz\nE\n", s)
    lines = bad.splitlines()
    assert "# bad line" in lines and lines[-1] == f"D {T} 2"
    assert [l for l in lines if l.startswith("A 1")] == ["A 1 NF"]


def test_uninformative_stretch_forced_commit_and_band_cut(model):
    """Flat posteriors (no information) force commits at the lag limit and, with an unlimited
    beam, fill the band; results stay one per word, in order, exact away from the stretch."""
    rng = np.random.default_rng(30)
    n = 120
    words = random_words(model, n, rng)
    z, bounds, _ = synth(model, words, rng.random(n) < 0.4, seed=30)
    # short stretch (< lag/2): the alignment recovers right after it
    s0, e0 = bounds[30][0], bounds[33][1]
    z1 = z.copy()
    z1[s0:e0] = 0
    res, st = host.align_logits(z1, words, nf_min_conf=0)
    assert [r.word for r in res] == list(range(n))
    for i, (r, b) in enumerate(zip(res, bounds)):
        if i < 30 or i > 33:
            assert (r.start_frame, r.end_frame) == b, i
    # long stretch (> lag/2), unlimited beam: forced commits and band cuts, memory bound holds
    half = host.sizes()["lag"] // 2
    k = next(i for i in range(30, n) if bounds[i][1] - bounds[30][0] > half + 20)
    s0, e0 = bounds[30][0], bounds[k][1]
    z2 = z.copy()
    z2[s0:e0] = 0
    for beam in (50.0, 1e9):
        res, st = host.align_logits(z2, words, beam=beam, nf_min_conf=0)
        assert [r.word for r in res] == list(range(n))
        # forced commits, or a re-anchor (recovery) that commits the path first
        assert st.n_forced + st.n_reanchor > 0 and st.max_lag <= host.sizes()["lag"]
        assert all((r.start_frame, r.end_frame) == b for r, b in zip(res[:29], bounds[:29]))
        if beam > 1e6:
            assert st.n_band_cut > 0 and st.max_band <= host.sizes()["band"]


def lost_place(model, kind: str, seed: int = 30, n: int = 200):
    """Synthetic posteriors of n words where a stretch of about one look-ahead (~8 s, 41 words)
    carries no usable information: 'flat' (every class equal), 'sil' (confident silence: the
    audio lacks those words) or 'random' (confident wrong phones). Returns (logits, words,
    true word frames, index of the last word of the stretch)."""
    rng = np.random.default_rng(seed)
    words = random_words(model, n, rng)
    z, bounds, _ = synth(model, words, rng.random(n) < 0.4, seed=seed)
    lag = host.sizes()["lag"]
    k = next(i for i in range(30, n) if bounds[i][1] - bounds[30][0] > lag)
    s0, e0 = bounds[30][0], bounds[k][1]
    if kind == "flat":
        z[s0:e0] = 0
    elif kind == "sil":
        z[s0:e0] = -40
        z[s0:e0, model["sil_class"]] = 50
    else:
        z[s0:e0] = rng.integers(-40, 1, size=(e0 - s0, z.shape[1]))
        z[np.arange(s0, e0), rng.integers(1, z.shape[1], e0 - s0)] = 50
    return z, words, bounds, k


@pytest.mark.parametrize("kind", ["flat", "sil", "random"])
def test_search_recovers_its_place_after_a_collapse(model, kind):
    """After ~8 s the network could not read, the band no longer holds the audio's place (the
    true words are ~40 words / 300 states ahead, beyond the band): before the recovery every
    later word was lost (0 of 128 exact, 85-108 NF). The collapse (the path explains the frames
    far worse than the network's best class while the network is sure) re-anchors the band
    with a forward scan: the words after the stretch are found again. Every word gets a time
    (issue 12): the words the scan jumped over (NF before: 20-45 of them) are placed in transcript
    order, by the second pass where the logit ring still holds them, else sharing the time
    between their placed neighbours by phone count, with confidence 0."""
    z, words, bounds, k = lost_place(model, kind)
    res, st = host.align_logits(z, words, nf_min_conf=0)
    assert [r.word for r in res] == list(range(len(words)))
    assert st.n_reanchor >= 1 and st.max_lag <= host.sizes()["lag"]
    assert not any(r.nf for r in res)
    # the words jumped over are placed: by the second pass, or interpolated where the logit ring
    # no longer held their span (the stretch is longer than the ring), and said so
    assert st.n_second + st.n_filled >= 1
    assert sum(r.confidence == 0 for r in res) == st.n_filled
    assert all((r.confidence == 0) == (r.source == host.SRC_FILLED) for r in res)
    assert sum(r.source == host.SRC_SECOND for r in res) == st.n_second
    ends = [(r.start_frame, r.end_frame) for r in res]
    assert all(s <= e for s, e in ends)
    assert all(ends[i][1] <= ends[i + 1][0] for i in range(len(ends) - 1))   # in order
    exact = [(r.start_frame, r.end_frame) == b for r, b in zip(res[k + 1:], bounds[k + 1:])]
    assert sum(exact) >= 0.85 * len(exact), (sum(exact), len(exact))
    assert all(exact[-60:])                                 # and it stays on track
    assert all((r.start_frame, r.end_frame) == b for r, b in zip(res[:30], bounds[:30]))


def test_no_reanchor_on_clean_posteriors(model):
    """The recovery never fires while the path is on track (clean and noisy posteriors)."""
    rng = np.random.default_rng(31)
    words = random_words(model, 300, rng)
    z, bounds, _ = synth(model, words, rng.random(300) < 0.4, seed=31, peak=24,
                         noise=(-30, 20), min_dur=8)
    res, st = host.align_logits(z, words, nf_min_conf=0)
    assert st.n_reanchor == 0
    assert sum((r.start_frame, r.end_frame) == b for r, b in zip(res, bounds)) >= 285


def test_second_pass_between_anchors_places_the_words_after_the_stretch(model):
    """1.5-2 s of confident silence where the transcript has words (the audio lacks them):
    the band falls behind, the recovery re-anchors it a few words after the stretch, and the
    words between the stretch and that landing point (real audio) are re-aligned by the second
    pass over the buffered logits (AL_SRC_SECOND), not given proportional times. Oracle: the
    synthetic word frames. With the second pass disabled (-DAL_VIT_PASS2_STATES=1: the same
    words interpolated) the ten words after the stretch are exact in 37 of 80 cases; with it,
    61 of 80. (Longer stretches need more than AL_VIT_PASS2_CELLS, the bound on one pass's work,
    and are interpolated.)"""
    exact10 = 0
    for length in (150, 200):
        for seed in (30, 31, 32, 33):
            rng = np.random.default_rng(seed)
            n = 120
            words = random_words(model, n, rng)
            z, bounds, _ = synth(model, words, rng.random(n) < 0.4, seed=seed)
            k = next(i for i in range(30, n) if bounds[i][1] - bounds[30][0] > length)
            z[bounds[30][0]:bounds[k][1]] = -40
            z[bounds[30][0]:bounds[k][1], model["sil_class"]] = 50
            res, st = host.align_logits(z, words, nf_min_conf=0)
            assert [r.word for r in res] == list(range(n)) and not any(r.nf for r in res)
            assert st.n_reanchor >= 1 and st.n_second >= 1 and st.n_filled == 0
            assert sum(r.source == host.SRC_SECOND for r in res) == st.n_second
            assert all(r.confidence >= 1 for r in res)
            fr = [(r.start_frame, r.end_frame) for r in res]
            assert all(s <= e for s, e in fr)
            assert all(fr[i][1] <= fr[i + 1][0] for i in range(n - 1))       # in order
            exact = [f == b for f, b in zip(fr, bounds)]
            exact10 += sum(exact[k + 1:k + 11])
            assert sum(exact[k + 1:]) >= 0.9 * (n - k - 1), (length, seed)
    assert exact10 >= 50, exact10


def test_block_budget_bounds_the_work_of_an_audio_block(model):
    """README.md "Block budget": a collapse's locate() columns and the second pass it starts
    (up to AL_VIT_PASS2_CELLS = 131,072 cells, ~4.5 M M7 cycles) used to run inside the audio
    block whose frame started them; now the search stops when the block's credit of work units
    (AL_VIT_BLOCK_CELLS) is spent, on its own stack, and goes on in the next blocks while the
    frames queue. Oracle: the same search with no budget (every frame searched as it comes, all
    its work in that block), which puts up to 2.3x the credit into one block on these clips;
    with the budget no block does more than the credit plus one column (the charge that spends
    it), and every word result is the same, also with a credit so small (2,000) that frames
    queue by hundreds and the full ring makes the search catch up at once."""
    sz = host.sizes()
    credit = sz["block_cells"]
    assert credit > 0
    cases = [lost_place(model, "random")[:2], restarted_reading(model, 30, 40)[:2],
             restarted_reading(model, 31, 20)[:2]]
    unbounded = 0
    for z, words in cases:
        free, st0 = host.align_logits(z, words, nf_min_conf=0, budget=0)
        res, st = host.align_logits(z, words, nf_min_conf=0)
        assert res == free
        assert st.max_block_work <= credit + sz["pass2_states"], st
        assert 0 < st.co_stack_used < sz["coro"]
        assert (st.n_reanchor, st.n_second, st.n_back) == (st0.n_reanchor, st0.n_second,
                                                           st0.n_back)
        small, st2 = host.align_logits(z, words, nf_min_conf=0, budget=2000)
        assert small == free and st2.max_backlog > 100
        unbounded = max(unbounded, st0.max_block_work)
    assert unbounded > 2 * credit, unbounded


def other_speech(model, seed: int, length: int, peak: int = 50, noise=(-40, 0)):
    """150 synthetic words where the frames of words 30..k (about `length` frames) carry the
    posteriors of 80 other random words instead: speech the transcript does not cover (another
    speaker in the room). Returns (logits, words, true word frames, k)."""
    rng = np.random.default_rng(seed)
    n = 150
    words = random_words(model, n, rng)
    z, bounds, _ = synth(model, words, rng.random(n) < 0.4, seed=seed)
    k = next(i for i in range(30, n) if bounds[i][1] - bounds[30][0] > length)
    s0, e0 = bounds[30][0], bounds[k][1]
    orng = np.random.default_rng(seed + 100)
    other = random_words(model, 80, orng)
    zo, _, _ = synth(model, other, orng.random(80) < 0.4, seed=seed + 100, peak=peak,
                     noise=noise)
    z[s0:e0] = zo[:e0 - s0]
    return z, words, bounds, k


def placed_in_order(res, n: int) -> list[tuple[int, int]]:
    """The invariant of every recovery test: all n words placed (none NF), in transcript order,
    none overlapping the next. Returns their (start, end) frames."""
    assert [r.word for r in res] == list(range(n)) and not any(r.nf for r in res)
    fr = [(r.start_frame, r.end_frame) for r in res]
    assert all(fr[i][1] <= fr[i + 1][0] for i in range(n - 1))
    return fr


def reread_from_30(z, bounds, m: int):
    """The logits z of a reading with words 30..30+m-1 read again after word 30+m-1 (the
    speaker stops and goes back to word 30). Returns (logits, true word frames: the second
    reading)."""
    a, b = bounds[30][0], bounds[30 + m][0]
    truth = [f if i < 30 else (f[0] + b - a, f[1] + b - a) for i, f in enumerate(bounds)]
    return np.concatenate([z[:b], z[a:]]), truth


def restarted_reading(model, seed: int, m: int, n: int = 150):
    """n synthetic words where the speaker reads words 30..30+m-1, stops and reads again from
    word 30: the audio holds those words twice, the transcript once. Returns (logits, words,
    true word frames: the second reading, index of the last repeated word)."""
    rng = np.random.default_rng(seed)
    words = random_words(model, n, rng)
    z, bounds, _ = synth(model, words, rng.random(n) < 0.4, seed=seed)
    z, truth = reread_from_30(z, bounds, m)
    return z, words, truth, 30 + m - 1


def test_search_goes_back_when_the_audio_is_behind_the_path(model):
    """A reading restarted 20 words back: the path has gone through those words already and is
    ahead of the audio. When the fit collapses, locate() first looks behind the path (the last
    60 frames over 384 states) and re-anchors there, taking the words it has not emitted back
    from the hold queue (n_back); before session 7 the search only scanned forward. Over these
    ten clips 1,000 of the 1,000 words after the repeated ones are exact; 82 without the look
    behind at a collapse (-DAL_VIT_COLLAPSE_BACK=0: n_back 0, the test fails), the same without
    the backward branch of the periodic locate() too. Oracle: the synthetic frames of the second
    reading; every word placed, in order."""
    exact = back = 0
    for seed in range(30, 40):
        z, words, truth, k = restarted_reading(model, seed, 20)
        res, st = host.align_logits(z, words, nf_min_conf=0)
        fr = placed_in_order(res, len(words))
        assert fr[:30] == truth[:30], seed
        exact += sum(f == b for f, b in zip(fr[k + 1:], truth[k + 1:]))
        back += st.n_back
    assert back >= 8, back
    assert exact >= 950, exact


def test_a_reading_restarted_further_back_than_the_held_words_is_replayed(model):
    """A reading restarted 40, 50 or 60 words back: those words are out (the hold queue keeps
    32), so the path cannot take them back. Half a period after each periodic locate() the
    search looks behind the path, in turn further back (AL_VIT_FAR_CHUNKS columns); a place
    found there twice, lined up at speech pace, is replayed: the path re-anchors there and
    passes the words that are out again (answering them again: R lines), then places the rest. A collapse
    looks behind too before it scans forward (session 13): where a place noted lately would be
    now, else the far columns in turn, and a place noted there holds the scan for one collapse
    period so that the next collapse can confirm it. Of the 1,500 words after the repeated ones
    (4 distances x 6 clips) all are exact; 1,241 when a collapse scanned forward at once (the
    session-10 search: 40 / 50 / 60 / 80 words back 401 / 375 / 263 / 202 of 480 / 420 / 360 /
    240: checked, the test fails), and in session 10 539 of 1,260 without the replay
    (-DAL_VIT_REPLAY=0) or without the confirmation (-DAL_VIT_REPLAY_CONFIRM=0). Oracle: the synthetic frames of
    the second reading; every word placed, in order (the repeated words keep their first
    reading or, answered again, take the second)."""
    exact = total = 0
    for m in (40, 50, 60, 80):
        for seed in range(30, 36):
            z, words, truth, k = restarted_reading(model, seed, m)
            res, st = host.align_logits(z, words, nf_min_conf=0)
            fr = placed_in_order(res, len(words))
            assert fr[:30] == truth[:30], (m, seed)
            exact += sum(f == b for f, b in zip(fr[k + 1:], truth[k + 1:]))
            total += len(truth) - k - 1
    assert total == 1500 and exact == total, (exact, total)


def test_words_answered_before_a_replay_are_answered_again(model):
    """A reading of 300 words restarted 120 or 160 words back: the path goes on through the
    transcript over the repeated audio and its words go out (the logit ring holds 7.7 s) before
    the replay brings it back. Those words are answered again when the path places them
    (CONTRACT.md: an R line, the last answer counts; viterbi.c emit), so every word after the
    repeated ones ends at its true frames: 2,600 of 2,600 here; 1,587 when the replay passed
    the words out without answers (the session-13 search: checked, the test fails). Oracle: the
    synthetic frames of the second reading; every word placed, in order, and a revised answer
    never for a word that had none."""
    exact = total = revised = 0
    for m in (120, 160):
        for seed in range(30, 40):
            z, words, truth, k = restarted_reading(model, seed, m, n=300)
            res, st = host.align_logits(z, words, nf_min_conf=0)
            fr = placed_in_order(res, len(words))
            assert fr[:30] == truth[:30], (m, seed)
            exact += sum(f == b for f, b in zip(fr[k + 1:], truth[k + 1:]))
            total += len(truth) - k - 1
            assert st.n_revised >= sum(r.revised for r in res)
            revised += sum(r.revised for r in res)
    assert total == 2600 and exact == total, (exact, total)
    assert revised > 0


def test_words_read_before_a_late_replay_are_answered_where_they_were_read(model):
    """A reading of 400 words restarted 200 words back: further back than the look-behind
    reaches (AL_VIT_FAR_CHUNKS x AL_VIT_FAR_STEP + AL_VIT_COLLAPSE_BACK_STATES states), so the
    path scans on over the repeated audio and answers the words after the repeat there; the
    replay comes only when the reading reaches them again, tens of words after the first of
    them. The back pass at the replay (viterbi.c back_pass) aligns the words before the replay's
    place once more in the audio the logit ring still holds and answers them again (R lines):
    1,479 of the 1,700 words after the repeat end exact here, 1,170 without it
    (-DAL_VIT_BACK_PASS=0: checked, the test fails); the rest were read before the ring's
    oldest frame. Oracle: the synthetic frames of the reading; every word placed, in order."""
    exact = total = 0
    for seed in range(30, 40):
        z, words, truth, k = restarted_reading(model, seed, 200, n=400)
        res, st = host.align_logits(z, words, nf_min_conf=0)
        assert st.n_back >= 1, seed
        assert folded(host.answers(), len(words)) == res, seed
        fr = placed_in_order(res, len(words))
        exact += sum(f == b for f, b in zip(fr[k + 1:], truth[k + 1:]))
        total += len(truth) - k - 1
    assert total == 1700 and exact >= 1450, (exact, total)


def test_words_read_twice_are_placed_at_one_reading_by_the_second_pass(model):
    """Readings restarted 8 to 25 words back (100 clips): the path runs ahead over the repeated
    audio, goes back, and a second pass between anchors aligns repeated words a re-anchor
    jumped over, in audio that holds them twice. Its optional silences took only silence, so
    the rest of that speech stretched the words over both readings (on real speech, Speech
    Accent Archive clips restarted 15 words back: 105 repeated words 1.1 s off on average).
    After a re-anchor behind the path the silences now also take speech none of the words fits
    (a filler at the frame's best class less AL_VIT_PASS2_FILLER, viterbi.c second_pass):
    1,542 of the 1,620 repeated words within 3 frames of one of their two readings, 1,414
    without the filler (-DAL_VIT_PASS2_FILLER=0: checked, the test fails); of the words the pass
    answers last 440 of 451 (312 before). Oracle: the synthetic frames of both readings; every
    word placed, in order."""
    near = total = 0
    for m in (8, 12, 16, 20, 25):
        for seed in range(30, 50):
            z, words, truth, k = restarted_reading(model, seed, m)
            res, _ = host.align_logits(z, words, nf_min_conf=0)
            fr = placed_in_order(res, len(words))
            shift = truth[30 + m][0] - truth[30][0]      # the repeated audio's length
            for i in range(30, 30 + m):
                near += any(abs(fr[i][0] - b0 + d) <= 3 and abs(fr[i][1] - b1 + d) <= 3
                            for b0, b1 in [truth[i]] for d in (0, shift))
                total += 1
    assert total == 1620 and near >= 1530, (near, total)  # 1,542


def resembling_restart(model, seed: int, m: int, frac: float, n: int):
    """n synthetic words where the speaker reads words 30..30+m-1, stops and reads again from
    word 30, and the m words after the repeated ones resemble them (each phone kept with
    probability 1 - frac, else another class): over the repeated audio the path can follow those
    words loosely instead of losing its place. Returns (logits, words, true word frames: the
    second reading, index of the last repeated word)."""
    rng = np.random.default_rng(seed)
    C, sil = model["n_classes"], model["sil_class"]
    words = random_words(model, n, rng)
    for i in range(min(m, n - 30 - m)):
        words[30 + m + i] = [p if rng.random() >= frac else int(rng.integers(0, C))
                             for p in words[30 + i]]
    for i in range(n):                     # no silence class, no phone twice in a row
        for j in range(len(words[i])):
            prev = words[i][j - 1] if j else (words[i - 1][-1] if i else None)
            while words[i][j] == prev or words[i][j] == sil:
                words[i][j] = int(rng.integers(0, C))
    z, bounds, _ = synth(model, words, rng.random(n) < 0.4, seed=seed)
    z, truth = reread_from_30(z, bounds, m)
    return z, words, truth, 30 + m - 1


def test_a_place_noted_behind_the_path_is_looked_at_again_while_the_fit_is_fair(model):
    """A reading restarted 40 words back whose next 40 words half-resemble the repeated ones
    (20 clips of 150 words): the path follows the repeated audio through those words at a fit
    that is not poor, so the look-behind that notes the reader's place does not come again to
    confirm it (it ran only while the fit was poor) and the replay came late or not at all.
    A strong place noted behind the path is now looked at again AL_VIT_FOLLOW_AFTER frames
    later whatever the fit (viterbi.c recover()): 1,545 of the 1,600 words after the repeat
    exact, 1,483 without it (-DAL_VIT_NOTE_FOLLOW=0: checked, the test fails). On real speech
    (damage_eval.py --restart) this took the last two WebMAUS clips of 280 restart runs from
    0.9 / 1.5 s to 31 / 24 ms. Oracle: the synthetic frames of the reading."""
    exact = total = 0
    for seed in range(30, 50):
        z, words, truth, k = resembling_restart(model, seed, 40, 0.5, 150)
        res, _ = host.align_logits(z, words, nf_min_conf=0)
        fr = placed_in_order(res, len(words))
        exact += sum(f == b for f, b in zip(fr[k + 1:], truth[k + 1:]))
        total += len(truth) - k - 1
    assert total == 1600 and exact >= 1530, (exact, total)


def test_a_place_noted_behind_the_path_keeps_while_the_reader_pauses(model):
    """Readings restarted 15 or 20 words back whose next words resemble the repeated ones, with a
    1.2 s pause before every other repeated word (80 clips): the look that is to confirm a place
    noted behind the path comes 75 frames later, where the reader would be by then at speech pace,
    and the note lapses 100 frames after it; when those frames are a pause the look finds no
    reading and the note lapses (traced on WebMAUS arctic_b0035 restarted 15 words back: a
    reader's place noted at 15.76 s, the look at 16.51 s fell in a 1.8 s pause, the path stayed
    ahead for 18 s). A note now ages only in the frames the network hears speech in
    (viterbi.c note_age(), AL_VIT_NOTE_PAUSE): 7,963 of the 8,200 words after the repeat exact;
    without it 7 words of one clip were not placed and the other 79 clips had 7,716 of 8,095
    (-DAL_VIT_NOTE_PAUSE=0: checked, the test fails). Oracle: the synthetic frames of the second
    reading; every word placed, in order."""
    exact = total = 0
    for m in (15, 20):
        for frac in (0.3, 0.5):
            for seed in range(30, 50):
                z, words, truth, k = resembling_restart(model, seed, m, frac, 150)
                pause = np.repeat(z[0:1], 120, axis=0)            # the lead silence's frame
                for i in range(k, 30, -2):                        # from the back: frames before
                    f = truth[i][0]                               # an insert stay where they are
                    z = np.concatenate([z[:f], pause, z[f:]])
                    truth = [t if j < i else (t[0] + 120, t[1] + 120) for j, t in enumerate(truth)]
                res, _ = host.align_logits(z, words, nf_min_conf=0)
                fr = placed_in_order(res, len(words))
                exact += sum(f == b for f, b in zip(fr[k + 1:], truth[k + 1:]))
                total += len(truth) - k - 1
    assert total == 8200 and exact >= 7900, (exact, total)


def test_a_short_restart_the_path_follows_loosely_is_taken_back_from_a_far_look(model):
    """Readings restarted 10, 15 or 20 words back whose next words resemble the repeated ones
    (120 clips): the path follows the repeated audio loosely, ahead of the reader, and the words
    it placed there are still held. A look behind where a noted place would be now
    (locate_far) confirmed the reader's place but could only replay into words that are out, so
    the path stayed ahead until a look in the near column gained AL_VIT_PERIODIC_BACK_GAIN; a
    confirmed place in held words is now taken back there (relocate_back, viterbi.c locate_far,
    AL_VIT_FAR_HELD): 12,549 of the 12,600 words after the repeat exact, 12,479 without it
    (-DAL_VIT_FAR_HELD=0: checked, the test fails). On real speech (WebMAUS clips of >= 2
    minutes restarted 15 words back) 11 -> 6 of 29 clips more than 500 ms off. Oracle: the
    synthetic frames of the second reading; every word placed, in order."""
    exact = total = 0
    for m in (10, 15, 20):
        for frac in (0.3, 0.5):
            for seed in range(30, 50):
                z, words, truth, k = resembling_restart(model, seed, m, frac, 150)
                res, _ = host.align_logits(z, words, nf_min_conf=0)
                fr = placed_in_order(res, len(words))
                exact += sum(f == b for f, b in zip(fr[k + 1:], truth[k + 1:]))
                total += len(truth) - k - 1
    assert total == 12600 and exact >= 12530, (exact, total)  # 12,549


def noisy_restart(model, seed: int, m: int, share: float, lift: int = 40, n: int = 150):
    """restarted_reading() whose audio from the restart on fits its phones worse: in a share of
    those frames another class is `lift` logit steps above the frame's phone (a speaker or a
    microphone the model fits worse), so that a look at the reader's place there lacks more
    than locate()'s deficit. Returns (logits, words, true word frames: the second reading,
    index of the last repeated word)."""
    rng = np.random.default_rng(seed)
    words = random_words(model, n, rng)
    z, bounds, labels = synth(model, words, rng.random(n) < 0.4, seed=seed)
    z, truth = reread_from_30(z, bounds, m)
    a, b = bounds[30][0], bounds[30 + m][0]
    labels = np.concatenate([labels[:b], labels[a:]])
    z = lifted(z, b, share, seed, model["n_classes"], lift, labels)
    return z, words, truth, 30 + m - 1


def lifted(z, t0: int, share: float, seed: int, n_classes: int, lift: int = 40, labels=None):
    """The logits z with, from frame t0 on, a share of the frames (drawn from seed + 1000) given
    a random class `lift` logit steps above synth()'s peak (50): a speaker or microphone the
    model fits worse. With labels, a frame's own class is left as it is."""
    z = z.astype(np.int16)
    noise = np.random.default_rng(seed + 1000)
    for t in range(t0, len(z)):
        if noise.random() < share:
            c = int(noise.integers(0, n_classes))
            if labels is None or c != labels[t]:
                z[t, c] = 50 + lift
    return np.clip(z, -128, 127).astype(np.int8)


def near_after(res, n: int, truth, k: int, frames: int = 3) -> int:
    """Words after word k whose start and end are within `frames` of the truth (every word
    placed, in order: placed_in_order)."""
    fr = placed_in_order(res, n)
    return sum(abs(f[0] - b[0]) <= frames and abs(f[1] - b[1]) <= frames
               for f, b in zip(fr[k + 1:], truth[k + 1:]))


def test_a_reader_whose_place_fits_worse_is_still_found(model):
    """A reading restarted 40 words back whose audio from the restart on fits its phones worse
    (in a fifth of the frames another class is 40 logit steps above the phone): a look at the
    reader's place lacks more than locate()'s AL_VIT_LOCATE_DEFICIT against the frames' best
    classes, so the place was never noted and the replay came late or not at all. A place
    behind the path that gains AL_VIT_REPLAY_GAIN may lack up to AL_VIT_REPLAY_LOOSE_DEFICIT
    (viterbi.c notable()): 743 of the 800 words after the repeat within 3 frames of the truth
    here, 531 without it (-DAL_VIT_REPLAY_LOOSE_DEFICIT=1.25f: checked, the test fails).
    Oracle: the synthetic frames of the second reading; every word placed, in order."""
    near = total = 0
    for seed in range(30, 40):
        z, words, truth, k = noisy_restart(model, seed, 40, 0.2)
        res, _ = host.align_logits(z, words, nf_min_conf=0)
        near += near_after(res, len(words), truth, k)
        total += len(truth) - k - 1
    assert total == 800 and near >= 730, (near, total)  # 743


def test_a_strong_note_is_confirmed_where_the_reader_fits_worse(model):
    """A reading restarted 40 words back whose next 40 words half-resemble the repeated ones
    (the path follows the repeated audio loosely), and from 80 frames after the restart on a
    fifth of the frames have another class 40 logit steps above the phone (20 clips). The
    reader's place is noted with a strong gain while the audio still fits it, but the next look,
    where it fits worse, gains less than AL_VIT_REPLAY_GAIN (the path fits the resembling words
    fairly) and lacks more than AL_VIT_LOCATE_DEFICIT. A look that lines up with a strong note
    may lack up to AL_VIT_REPLAY_LOOSE_DEFICIT too (viterbi.c notable()): 1,429 of the 1,600
    words after the repeat within 3 frames of the truth, 1,375 when only the look's own gain
    counted (checked, the test fails). Oracle: the synthetic frames of the second reading; every
    word placed, in order."""
    near = total = 0
    for seed in range(30, 50):
        z, words, truth, k = resembling_restart(model, seed, 40, 0.5, 150)
        z = lifted(z, truth[30][0] + 80, 0.2, seed, model["n_classes"])
        res, _ = host.align_logits(z, words, nf_min_conf=0)
        near += near_after(res, len(words), truth, k)
        total += len(truth) - k - 1
    assert total == 1600 and near >= 1415, (near, total)  # 1,429


def test_the_last_answers_stay_in_word_order_after_a_back_pass(model):
    """Readings restarted 35 words back whose next words resemble the repeated ones (60 clips):
    at the replay the back pass answers the words before the replay's place again where they
    were read; a second pass over words the path then skipped began at the oldest frame the
    logit ring held, before those answers, and answered a word again with a start before the
    previous word's end (on the session-15 search 2 of these clips, e.g. seed 49: word 69 at
    frames 2,097-2,210 after word 68 at 2,153-2,167; checked with -DAL_VIT_MEND_ORDER=0, the
    test fails). A second pass or an interpolation of skipped words now starts after the
    previous word's last answer, and words a re-anchor jumps over after a replay are answered
    again between their neighbours (viterbi.c mend_order()). Oracle: CONTRACT.md, the last
    answers of the placed words are in order; and the synthetic frames of the second reading
    (4,733 of the 5,100 words after the repeat exact)."""
    exact = total = 0
    for seed in range(30, 60):
        for frac in (0.3, 0.5):
            z, words, truth, k = resembling_restart(model, seed, 35, frac, 150)
            res, _ = host.align_logits(z, words, nf_min_conf=0)
            assert folded(host.answers(), len(words)) == res, (seed, frac)
            fr = placed_in_order(res, len(words))
            exact += sum(f == b for f, b in zip(fr[k + 1:], truth[k + 1:]))
            total += len(truth) - k - 1
    assert total == 5100 and exact >= 4700, (exact, total)


def confident_other_speech(model, n_frames: int, rng) -> np.ndarray:
    """Logits of speech the transcript does not describe: confident phones (4-9 frames each) in
    an order no word of a random transcript has."""
    C, sil = model["n_classes"], model["sil_class"]
    g: list[int] = []
    while len(g) < n_frames:
        p = int(rng.integers(0, C))
        if p != sil:
            g += [p] * int(rng.integers(4, 10))
    z = rng.integers(-40, 1, size=(len(g), C))
    z[np.arange(len(g)), g] = 50
    return np.clip(z, -128, 127).astype(np.int8)


def test_a_reading_restarted_near_the_end_keeps_its_last_answers_in_order(model):
    """150 synthetic words; the speaker reads words 0 .. stop-1, goes back to word 30, reads
    30..59 again and the audio ends (40 clips). The replay answers words 30..59 again where they
    are read the second time; the words read after them the first time (60 .. stop-1) were out
    already and the path never reaches them again, so their answers lay before the words
    answered again: on the session-19 search 28 of the 40 clips' last answers were out of
    order. Session 20 answered them again NF at the end (viterbi.c mend_tail(): 0 of the 1,600
    words 60 .. stop-1 placed); since session 22 the words answered again get their first
    reading's answers back and the words read once keep theirs (revert_replay(): with stop 90;
    with stop 110, 80 words back, sent[] no longer holds the first answers and mend_tail()
    answers as before). Oracles: CONTRACT.md, the last answers of the placed words are in order
    and NF only where the audio lacks the word; the synthetic frames of either reading of words
    30..59 (1,171 of 1,200 exact) and of the words 60 .. stop-1 (559 of 1,600); words from stop
    on were never read (45 of them placed where the path had put them over the repeated audio
    before the replay, with low confidence)."""
    either = once = total = placed_unread = 0
    conf_unread = []
    for seed in range(30, 50):
        for stop in (90, 110):
            rng = np.random.default_rng(seed)
            words = random_words(model, 150, rng)
            z, bounds, _ = synth(model, words, rng.random(150) < 0.4, seed=seed)
            a, b = bounds[30][0], bounds[stop][0]
            z = np.concatenate([z[:b], z[a:bounds[60][0]]])
            host.align_logits(z, words, nf_min_conf=0)
            last = folded(host.answers(), 150)
            placed = [r for r in last if not r.nf]
            assert all(p.end_frame <= q.start_frame for p, q in zip(placed, placed[1:])), \
                (seed, stop)
            for r in last[30:60]:
                f0, f1 = bounds[r.word]
                either += (r.start_frame, r.end_frame) in ((f0, f1), (f0 + b - a, f1 + b - a))
            once += sum((r.start_frame, r.end_frame) == bounds[r.word] for r in last[60:stop])
            unread = [r for r in last[stop:] if not r.nf]
            placed_unread += len(unread)
            conf_unread += [r.confidence for r in unread]
            total += 30
    assert total == 1200 and either >= 1150, (either, total)
    assert once >= 540, once
    assert placed_unread <= 50 and np.median(conf_unread) < 100, (placed_unread, conf_unread)


def test_a_replay_the_audio_does_not_bear_out_is_taken_back_at_the_end(model):
    """60 synthetic words; the third-last is read otherwise (as eSpeak NG reads "$454.36":
    500 frames of confident phones in an order no word of the transcript has), and just before
    the last two words comes a look-alike of words 10..12 that fits worse than their reading
    (a fifth of its frames have another class on top). The search takes the look-alike for a
    reader who went back (a replay into words already answered) and the audio ends before the
    path reaches the words after them again: before session 22 those were answered again NF so
    that the last answers stay in order (136 words NF in the 4 clips that replay, of 20). The
    words answered again fit less than half as well as their first answers, so the replay is
    taken back at the end (viterbi.c revert_replay()): their first answers again, every other
    answer kept, the words never answered placed after them. Oracles: CONTRACT.md (NF only
    where the audio lacks the word: every word is read here; the last answers in order) and
    the synthetic frames of the words before the one read otherwise (970 of 1,140 exact
    before)."""
    n, k = 60, 57
    nf = exact = replays = 0
    for seed in range(20):
        rng = np.random.default_rng(seed)
        words = random_words(model, n, rng)
        z, bounds, _ = synth(model, words, rng.random(n) < 0.4, seed=seed)
        C = model["n_classes"]
        other = confident_other_speech(model, 500, rng)
        look = z[bounds[10][0]:bounds[12][1]].astype(np.int64)
        hit = rng.random(len(look)) < 0.2
        look[hit, rng.integers(0, C, size=int(hit.sum()))] = 90
        z = np.concatenate([z[:bounds[k][0]], other, np.clip(look, -128, 127).astype(np.int8),
                            z[bounds[k][1]:]])
        _, st = host.align_logits(z, words, nf_min_conf=0)
        replays += st.n_back > 0
        last = folded(host.answers(), n)
        placed = [r for r in last if not r.nf]
        assert all(p.end_frame <= q.start_frame for p, q in zip(placed, placed[1:])), seed
        nf += n - len(placed)
        exact += sum((r.start_frame, r.end_frame) == bounds[r.word] for r in last[:k])
    assert replays == 4, replays            # the case is still made (a changed search may not)
    assert nf == 0 and exact >= 1090, (nf, exact)


def test_the_last_words_after_other_speech_are_placed_at_the_end(model):
    """60 synthetic words; 5 s of other speech (confident phones in no transcript order) come
    before the last 2 or 5 words (20 clips each). The scan through the other speech carries the
    path to the end of the transcript and the last words are placed inside it; the audio goes
    on with their reading, which the path has passed. Before session 22: 0 of the 40 last-2 words
    and 23 of the 100 last-5 words at their frames. At the end, when the network hears speech
    after the last word's answer, the last words are aligned again against the end of the audio
    (viterbi.c end_pass(): the back pass's alignment, a free start) and answered again where they
    fit twice as well. Oracle: the synthetic frames (shifted by the inserted speech)."""
    exact = {2: 0, 5: 0}
    for m in (2, 5):
        for seed in range(20):
            rng = np.random.default_rng(seed)
            words = random_words(model, 60, rng)
            z, bounds, _ = synth(model, words, rng.random(60) < 0.4, seed=seed)
            k = 60 - m
            other = confident_other_speech(model, 500, rng)
            z = np.concatenate([z[:bounds[k][0]], other, z[bounds[k][0]:]])
            res, _ = host.align_logits(z, words, nf_min_conf=0)
            assert not any(r.nf for r in res), seed
            exact[m] += sum((r.start_frame, r.end_frame)
                            == (bounds[r.word][0] + len(other), bounds[r.word][1] + len(other))
                            for r in res[k:])
    assert exact[2] >= 34 and exact[5] >= 85, exact


def test_the_words_next_to_long_other_speech_are_aligned_again(model):
    """60 synthetic words; 6 s of other speech the network is unsure of (posteriors of random
    words, peak 20 instead of 50) between words 29 and 30, every word still read (40 clips). The
    path runs on into the other speech and comes back when the reading resumes; the second pass
    then re-aligns the words from the oldest one still held. With a logit ring (and a hold
    queue) that reached AL_VIT_LAG + 8 = 776 frames back, the words before the other speech had
    often left it by then and kept the times the path gave them: 198 of the 240 words 27-32 at
    their frames; with AL_VIT_RING_BACK = 1000 frames 220. Oracle: the synthetic frames (shifted
    by the inserted speech after word 29)."""
    exact = 0
    for seed in range(40):
        rng = np.random.default_rng(seed)
        words = random_words(model, 60, rng)
        z, bounds, _ = synth(model, words, rng.random(60) < 0.4, seed=seed)
        orng = np.random.default_rng(seed + 100)
        other = random_words(model, 80, orng)
        zo, _, _ = synth(model, other, orng.random(80) < 0.4, seed=seed + 100, peak=20)
        zo = zo[20:620]
        cut = bounds[29][1]
        z = np.concatenate([z[:cut], zo, z[cut:]])
        truth = [f if i < 30 else (f[0] + len(zo), f[1] + len(zo)) for i, f in enumerate(bounds)]
        res, _ = host.align_logits(z, words, nf_min_conf=0)
        fr = placed_in_order(res, 60)
        exact += sum(fr[i] == truth[i] for i in range(27, 33))
    assert exact >= 212, exact


def test_a_reader_who_reads_the_beginning_again_at_the_end_loses_no_word(model):
    """60 synthetic words read once, then the reader reads on from word 5 again for 1 or 3 s
    before the audio ends (20 clips each). The search replays to word 5 (a reader who went back)
    and the audio ends before it reaches again the words read after: before session 22 those were
    answered again NF (250 and 829 of the 1,200 words NF). Now the words answered again get their
    first reading's answers back and the others keep theirs (viterbi.c revert_replay(): the
    replay fits, the reader did go back). Oracle: the synthetic frames of the first reading
    (CONTRACT.md: NF only where the audio lacks the word)."""
    for extra, want in ((100, 1000), (300, 1190)):
        exact = nf = 0
        for seed in range(20):
            rng = np.random.default_rng(seed)
            words = random_words(model, 60, rng)
            z, bounds, _ = synth(model, words, rng.random(60) < 0.4, seed=seed)
            z = np.concatenate([z, z[bounds[5][0]:bounds[5][0] + extra]])
            host.align_logits(z, words, nf_min_conf=0)
            last = folded(host.answers(), 60)
            placed = [r for r in last if not r.nf]
            assert all(p.end_frame <= q.start_frame for p, q in zip(placed, placed[1:])), seed
            nf += 60 - len(placed)
            exact += sum((r.start_frame, r.end_frame) == bounds[r.word] for r in placed)
        assert nf <= 2 and exact >= want, (extra, nf, exact)


def lookalike_speech(model, seed: int, m: int, ahead: int, n: int = 150, at: int = 30):
    """n synthetic words; after word at-1 another speaker says m words that look exactly like
    words at+ahead .. at+ahead+m-1 of the transcript (a copy of their posteriors; the last m
    words when that runs past the end), then the reading goes on from word `at`: every word of
    the transcript is read once, after the other speech. Returns (logits, words, true word
    frames, index of the last word copied)."""
    rng = np.random.default_rng(seed)
    words = random_words(model, n, rng)
    z, bounds, _ = synth(model, words, rng.random(n) < 0.4, seed=seed)
    a, j0 = bounds[at][0], min(at + ahead, n - m)
    other = z[bounds[j0][0]:bounds[j0 + m - 1][1]] if j0 + m == n else \
        z[bounds[j0][0]:bounds[j0 + m][0]]
    z = np.concatenate([z[:a], other, z[a:]])
    truth = [f if i < at else (f[0] + len(other), f[1] + len(other)) for i, f in enumerate(bounds)]
    return z, words, truth, j0 + m - 1


def folded(answers, n: int) -> list:
    """Each word's last answer (CONTRACT.md: an R line replaces the word's answer)."""
    last = {}
    for r in answers:
        assert r.revised == (r.word in last), r          # A first, then only R
        last[r.word] = r
    assert sorted(last) == list(range(n))
    return [last[i] for i in range(n)]


def test_words_are_answered_early_and_again_when_a_later_pass_moves_them(model):
    """A word is answered as soon as the committed path has placed it, no longer when it leaves
    the hold queue (its start out of the logit ring: 776 frames then, AL_VIT_RING_BACK now), and
    answered again (R) when the second pass or a re-anchor behind the path moves it. Oracles:
    the hold queue's depth (before session 14 no answer of a long clip came sooner than ~776 frames
    minus the word's length after its end: mean 645 frames on the Speech Accent Archive clips)
    and the synthetic frames of the reading. Clean readings: every word answered once, none
    again, the first answer at most 3 s after the word's end (mean under 1.5 s). Look-alike
    speech (the path jumps, goes back, second passes): the A lines go out in word order, an R
    only for a word answered before, and the last answers are the results (all exact after the
    look-alike)."""
    for seed in range(30, 34):
        rng = np.random.default_rng(seed)
        words = random_words(model, 150, rng)
        z, bounds, _ = synth(model, words, rng.random(150) < 0.4, seed=seed)
        res, st = host.align_logits(z, words, nf_min_conf=0)
        ans = host.answers()
        assert len(ans) == 150 and not any(a.revised for a in ans) and st.n_revised == 0
        assert [a.word for a in ans] == list(range(150))
        assert st.n_answered == 150 and st.max_answer_lag <= 300, st
        assert st.sum_answer_lag / st.n_answered < 150, st
    revised = 0
    for seed in range(30, 40):
        z, words, truth, k = lookalike_speech(model, seed, 14, 5)
        res, st = host.align_logits(z, words, nf_min_conf=0)
        ans = host.answers()
        assert [a.word for a in ans if not a.revised] == list(range(len(words)))
        assert folded(ans, len(words)) == res
        fr = placed_in_order(res, len(words))
        assert fr[k + 1:] == truth[k + 1:], seed
        assert st.n_revised == sum(a.revised for a in ans)
        revised += st.n_revised
    assert revised > 0


def test_a_jump_to_a_look_alike_place_can_be_taken_back(model):
    """Other speech that looks like words a little further on (here exactly: 14 words copied
    from 5 words ahead) makes the search jump there; the words it jumped over go through the
    second pass. When the reading resumes, the audio is behind the path and locate() finds it
    there, but the path can only go back over words that are not out yet: the second pass used
    to emit its words at once, so the way back was refused (relocate_back) and the path stayed
    ahead for good (3 of the 10 clips went back; 367 of the 1,010 words after the look-alike's
    last word exact, checked on the session-8 search: the test fails). Now the words placed by
    the second pass or by interpolation wait in the hold queue like any finished word: all 10
    clips go back and all 1,010 words are exact. Oracle: the synthetic frames of the reading; every word
    placed, in order."""
    exact = back = 0
    for seed in range(30, 40):
        z, words, truth, k = lookalike_speech(model, seed, 14, 5)
        res, st = host.align_logits(z, words, nf_min_conf=0)
        fr = placed_in_order(res, len(words))
        assert fr[:20] == truth[:20], seed     # (the second pass may move the last words
        #                                        before the other speech by a frame)
        exact += sum(f == b for f, b in zip(fr[k + 1:], truth[k + 1:]))
        back += st.n_back
    assert back >= 8, back
    assert exact >= 950, exact


def test_a_scan_that_ran_ahead_looks_behind_again(model):
    """The same with the look-alike 7 words ahead: in some clips the collapse starts a forward
    scan before the reading resumes, and the scan goes on window after window while the audio is
    behind it. A collapse now looks behind the path before every scan window, not only before
    the first (README.md "Recovery: locate"): all 10 clips go back and all 990 words after the
    copied ones are exact; 812 when only the first window looks behind (3 clips stay partly
    ahead: checked), 712 on the search before session 9. Oracle: the synthetic frames."""
    exact = back = 0
    for seed in range(30, 40):
        z, words, truth, k = lookalike_speech(model, seed, 14, 7)
        res, st = host.align_logits(z, words, nf_min_conf=0)
        fr = placed_in_order(res, len(words))
        assert fr[:20] == truth[:20], seed
        exact += sum(f == b for f, b in zip(fr[k + 1:], truth[k + 1:]))
        back += st.n_back
    assert back >= 10, back
    assert exact >= 950, exact


def test_words_after_long_look_alike_speech_are_aligned_not_interpolated(model):
    """30 look-alike words (5-40 words ahead, 6 clips each, 90-word transcripts): the path
    stays lost long enough that every held word has left the logit ring when it finds its place
    again, so the second pass had no anchor and the words it jumped over got interpolated times
    (73 words, confidence 0; 1,101 of the 1,680 words from the other speech on exact). The
    second pass now starts at the oldest frame the ring holds, in the silence before the first
    skipped word (README.md "Second pass"): 0 interpolated, 1,148 exact (checked: the test fails
    without it; 755 without the look behind before every scan window, 119 on the search before
    session 9). Oracle: the synthetic frames; every word placed, in order."""
    exact = filled = 0
    for ahead in (5, 10, 20, 40):
        for seed in range(30, 36):
            z, words, truth, _ = lookalike_speech(model, seed, 30, ahead, n=90, at=20)
            res, st = host.align_logits(z, words, nf_min_conf=0)
            fr = placed_in_order(res, len(words))
            exact += sum(f == b for f, b in zip(fr[20:], truth[20:]))
            filled += st.n_filled
    assert filled <= 10, filled
    assert exact >= 1130, exact


def test_a_path_far_ahead_takes_back_the_words_it_still_holds(model):
    """30 look-alike words 10 and 40 words ahead (6 clips each, 90-word transcripts): the path
    stays ahead so long that the oldest words it placed there are out (hold queue, logit ring)
    when locate() finds the reading behind it. relocate_back() used to refuse then (the words
    the located frames cover were partly out) and the path stayed ahead: 462 of the 840 words
    from the other speech on exact (checked on the search of 1080dec: the test fails). It now
    takes back the words still held after the oldest held one when the located place lies
    after them: 535 exact. Oracle: the synthetic frames of the reading; every word placed, in
    order."""
    exact = back = 0
    for ahead in (10, 40):
        for seed in range(30, 36):
            z, words, truth, _ = lookalike_speech(model, seed, 30, ahead, n=90, at=20)
            res, st = host.align_logits(z, words, nf_min_conf=0)
            fr = placed_in_order(res, len(words))
            assert fr[:15] == truth[:15], (ahead, seed)   # (the second pass may move the
            #                                          last words before the other speech)
            exact += sum(f == b for f, b in zip(fr[20:], truth[20:]))
            back += st.n_back
    assert back >= 12, back
    assert exact >= 520, exact


def repeated_phrase(model, seed: int, m: int = 30, ahead: int = 20, at: int = 30, n: int = 150):
    """n synthetic words where words at+ahead .. at+ahead+m-1 repeat words at .. at+m-1 with
    about half of their phones changed (a phrase said twice, a little differently). After word
    at-1 another speaker says something like that repeat (its phones, soft: peak 12 over
    noise +-16), then the reading goes on from word `at`. Returns (logits, words, true word frames of the reading)."""
    rng = np.random.default_rng(seed)
    words = random_words(model, n, rng)
    C, sil = model["n_classes"], model["sil_class"]
    for i in range(m):
        w = list(words[at + i])
        for j in range(len(w)):
            if rng.random() < 0.5:
                p = w[j]
                while p == w[j] or p == sil or (j and p == w[j - 1]) or \
                        (j + 1 < len(w) and p == w[j + 1]):
                    p = int(rng.integers(0, C))
                w[j] = p
        words[at + ahead + i] = w
    z, bounds, _ = synth(model, words, rng.random(n) < 0.4, seed=seed)
    a, j0 = bounds[at][0], at + ahead
    lab = z[bounds[j0][0]:bounds[j0 + m][0]].argmax(1)
    other = np.random.default_rng(seed + 9).integers(-16, 17, size=(len(lab), z.shape[1]))
    other[np.arange(len(lab)), lab] = 12
    z = np.concatenate([z[:a], other.astype(np.int8), z[a:]])
    truth = [f if i < at else (f[0] + len(other), f[1] + len(other)) for i, f in enumerate(bounds)]
    return z, words, truth


def test_a_place_behind_the_path_after_unsure_speech_needs_less_gain(model):
    """Soft other speech like a later, partly repeated phrase (20 or 25 words ahead): the path
    follows it there, then the reading goes on behind it. A free-start path ending
    at the path's best state runs through the similar words of the repeat, so the place behind
    gains little over it; a place behind the path but not behind the last confident word now
    needs AL_VIT_LOCATE_GAIN_BACK (1.0) nats per frame instead of 1.5: 2,395 of the 2,640
    words from word 30 on exact (22 clips); 2,348 with 1.5 or 1.2 (checked: the test fails):
    two clips (seed 34 with the repeat 20 words ahead, seed 39 with it 25 ahead) come back 23
    words later, and either alone fails the test (session 10; before, 8 clips and only the
    first of the two). Over 360 such clips (3 phrase lengths x 3 distances x 16 seeds; 3 peak
    heights x 3 shares of changed phones x 24 seeds) 1.0 and 1.5 differ by more than 5 words
    on 4 clips, all 4 for 1.0: the synthetic evidence for the constant stays thin. On the real
    damaged clips it brings english12 (maus filler, 8 s) back while its words are still held
    (docs/alignment-results.md). Oracle: the synthetic frames of the reading; every word
    placed, in order."""
    exact = 0
    for ahead in (20, 25):
        for seed in range(30, 41):
            z, words, truth = repeated_phrase(model, seed, ahead=ahead)
            res, st = host.align_logits(z, words, nf_min_conf=0)
            fr = placed_in_order(res, len(words))
            exact += sum(f == b for f, b in zip(fr[30:], truth[30:]))
    assert exact >= 2380, exact


def test_a_path_that_ran_to_the_end_of_a_short_transcript_comes_back(model):
    """45-word transcripts; after word 14 another speaker says 15-25 words that look like words
    15-46 (0-6 words ahead: the first of them is also a reading restarted at word 15): the path
    runs to the end of the transcript while the reading goes on from word 15. Near the end of
    the transcript locate() used to skip its call (no room ahead; it also looked only 128 states
    back): its column now reaches up to AL_VIT_COLLAPSE_BACK_STATES back there; and a place
    found behind takes back the words the located frames cover at up to AL_VIT_SCAN_RATE
    states a frame (75 states for 150 frames), not only the band's W/8 = 31. Of the 1,620 words
    from word 15 on (9 cases x 6 clips) 1,437 are exact; 1,341 without the column reaching back
    (= the search before session 9), 1,390 with only W/8 states taken back, 1,416 without the
    second pass from the ring's oldest frame (checked: each fails the test). Oracle: the
    synthetic frames; every word placed, in order."""
    exact = 0
    for m in (15, 20, 25):
        for ahead in (0, 3, 6):
            for seed in range(30, 36):
                z, words, truth, _ = lookalike_speech(model, seed, m, ahead, n=45, at=15)
                res, st = host.align_logits(z, words, nf_min_conf=0)
                fr = placed_in_order(res, 45)
                exact += sum(f == b for f, b in zip(fr[15:], truth[15:]))
    assert exact >= 1425, exact


@pytest.mark.parametrize("peak,noise,need", [(50, (-40, 0), 100), (8, (-8, 8), 62)])
def test_search_finds_its_place_after_untranscribed_speech(model, peak, noise, need):
    """3-7 s of other words where the transcript's words should be (the audio lacks them). Clear
    other words: a re-anchor window may not run further ahead of the last confident word than
    AL_VIT_ANCHOR_RATE states per frame (without that cap the scan lands on look-alike words far
    ahead: 60 of the 120 words right after the stretch exact; with it 114). Soft other words (the
    path follows them loosely, the collapse detector rarely fires): locate() finds the place again
    from the buffered frames (67 of 120; without it 55-56, the search of session 5 56). Oracle: the synthetic
    word frames; the words before the stretch stay exact and every word is placed in order."""
    first10 = 0
    for length in (300, 500, 700):
        for seed in (30, 31, 32, 33):
            z, words, bounds, k = other_speech(model, seed, length, peak, noise)
            res, st = host.align_logits(z, words, nf_min_conf=0)
            fr = placed_in_order(res, len(words))
            assert fr[:30] == bounds[:30], (length, seed)
            first10 += sum(f == b for f, b in zip(fr[k + 1:k + 11], bounds[k + 1:k + 11]))
    assert first10 >= need, first10
