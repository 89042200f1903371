"""Audio augmentation for the synthetic corpus (16 kHz float32 in [-1, 1])."""
from __future__ import annotations

import numpy as np
from scipy import signal

SR = 16000


def white(n: int, rng: np.random.Generator) -> np.ndarray:
    return rng.standard_normal(n).astype(np.float32)


def pink(n: int, rng: np.random.Generator) -> np.ndarray:
    """1/f noise by shaping white noise in the frequency domain."""
    spec = np.fft.rfft(rng.standard_normal(n))
    f = np.arange(len(spec), dtype=np.float64)
    f[0] = 1.0
    x = np.fft.irfft(spec / np.sqrt(f), n)
    return (x / (np.std(x) + 1e-12)).astype(np.float32)


def babble(n: int, pool: list[np.ndarray], rng: np.random.Generator) -> np.ndarray:
    """Sum of 3-6 other utterances (random offsets, looped to length n)."""
    out = np.zeros(n, np.float32)
    if not pool:
        return pink(n, rng)
    for _ in range(int(rng.integers(3, 7))):
        u = pool[int(rng.integers(len(pool)))]
        if len(u) == 0:
            continue
        reps = int(np.ceil((n + len(u)) / len(u)))
        loop = np.tile(u, reps)
        off = int(rng.integers(len(u)))
        out += loop[off:off + n] / (np.std(u) + 1e-9)
    return out / (np.std(out) + 1e-9)


def add_noise(x: np.ndarray, noise: np.ndarray, snr_db: float) -> np.ndarray:
    """Additive noise at the given SNR, speech power measured on active samples only."""
    active = np.abs(x) > 0.01 * (np.max(np.abs(x)) + 1e-9)
    p_sig = float(np.mean(x[active] ** 2)) if active.any() else float(np.mean(x ** 2))
    p_noise = float(np.mean(noise ** 2)) + 1e-12
    return x + noise * np.sqrt(p_sig / p_noise / (10 ** (snr_db / 10)))


def reverb(x: np.ndarray, rt60: float, rng: np.random.Generator, direct_ratio_db: float) -> np.ndarray:
    """Convolve with a synthetic exponentially decaying impulse response (direct path at t=0,
    so word timing is not shifted)."""
    n = int(rt60 * SR)
    t = np.arange(n) / SR
    tail = rng.standard_normal(n) * np.exp(-6.9078 * t / rt60)  # -60 dB at rt60
    tail[: int(0.002 * SR)] = 0.0  # first reflections start after 2 ms
    tail *= 10 ** (-direct_ratio_db / 20) / (np.sqrt(np.sum(tail ** 2)) + 1e-12)
    ir = tail
    ir[0] = 1.0
    y = signal.fftconvolve(x, ir)[: len(x)]
    return (y * np.sqrt(np.sum(x ** 2) / (np.sum(y ** 2) + 1e-12))).astype(np.float32)


def band_limit(x: np.ndarray, low_hz: float | None, high_hz: float | None) -> np.ndarray:
    y = x
    if high_hz:
        sos = signal.butter(6, high_hz, "lowpass", fs=SR, output="sos")
        y = signal.sosfilt(sos, y)
    if low_hz:
        sos = signal.butter(2, low_hz, "highpass", fs=SR, output="sos")
        y = signal.sosfilt(sos, y)
    return y.astype(np.float32)


def random_augment(x: np.ndarray, pool: list[np.ndarray], rng: np.random.Generator,
                   p_clean: float = 0.25) -> tuple[np.ndarray, dict]:
    """Random chain: [reverb] -> [band limit] -> [noise] -> gain.  Returns audio and a recipe."""
    info: dict = {}
    if rng.random() < p_clean:
        info["clean"] = True
    else:
        if rng.random() < 0.4:
            rt = float(rng.uniform(0.15, 0.7))
            drr = float(rng.uniform(-3, 10))
            x = reverb(x, rt, rng, drr)
            info["reverb"] = [round(rt, 3), round(drr, 1)]
        if rng.random() < 0.3:
            hi = float(rng.choice([3400.0, 4000.0, 5500.0, 7000.0]))
            lo = float(rng.choice([0.0, 100.0, 200.0, 300.0]))
            x = band_limit(x, lo or None, hi)
            info["band"] = [lo, hi]
        if rng.random() < 0.7:
            kind = str(rng.choice(["white", "pink", "babble"]))
            snr = float(rng.uniform(5, 30))
            noise = {"white": lambda: white(len(x), rng), "pink": lambda: pink(len(x), rng),
                     "babble": lambda: babble(len(x), pool, rng)}[kind]()
            x = add_noise(x, noise, snr)
            info["noise"] = [kind, round(snr, 1)]
    gain_db = float(rng.uniform(-20, 3))
    peak = float(np.max(np.abs(x))) + 1e-9
    g = 10 ** (gain_db / 20) * 0.7 / peak
    info["gain_db"] = round(gain_db, 1)
    return np.clip(x * g, -1.0, 32767 / 32768).astype(np.float32), info
