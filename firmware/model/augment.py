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


def time_stretch(x: np.ndarray, factor: float, nfft: int = 512, hop: int = 128) -> np.ndarray:
    """Phase-vocoder time stretch (Flanagan & Golden; the algorithm of librosa's phase_vocoder):
    the result lasts `factor` times as long, every frequency kept. STFT frames are centred, so
    time t of the input is at factor * t in the output."""
    _, _, D = signal.stft(x.astype(np.float64), fs=SR, window="hann", nperseg=nfft,
                          noverlap=nfft - hop)
    steps = np.arange(0, D.shape[1] - 1, 1.0 / factor)
    i = steps.astype(int)
    frac = (steps - i)[None, :]
    D = np.concatenate([D, np.zeros((D.shape[0], 1), D.dtype)], axis=1)
    c0, c1 = D[:, i], D[:, i + 1]
    mag = (1 - frac) * np.abs(c0) + frac * np.abs(c1)
    advance = (2 * np.pi * hop * np.arange(D.shape[0]) / nfft)[:, None]
    dph = np.angle(c1) - np.angle(c0) - advance
    dph -= 2 * np.pi * np.round(dph / (2 * np.pi))
    step = advance + dph
    phase = np.angle(D[:, :1]) + np.concatenate(
        [np.zeros((D.shape[0], 1)), np.cumsum(step[:, :-1], axis=1)], axis=1)
    _, y = signal.istft(mag * np.exp(1j * phase), fs=SR, window="hann", nperseg=nfft,
                        noverlap=nfft - hop)
    return y


def vtlp(x: np.ndarray, alpha: float) -> np.ndarray:
    """Resample-based vocal-tract-length perturbation: the audio resampled by 1/alpha (played
    at 16 kHz, every frequency, formants and F0 alike, moves by alpha: alpha > 1 is a shorter
    vocal tract, e.g. a child's voice from an adult's), then phase-vocoder time-stretched by
    alpha back to its length, so tempo and timing (the labels) stay. Same level; alpha == 1
    returns x."""
    if alpha == 1.0:
        return x
    from fractions import Fraction
    f = Fraction(alpha).limit_denominator(100)
    fast = signal.resample_poly(x.astype(np.float64), f.denominator, f.numerator)
    y = time_stretch(fast, len(x) / len(fast))[:len(x)]
    if len(y) < len(x):
        y = np.pad(y, (0, len(x) - len(y)))
    return (y * np.sqrt(np.sum(x.astype(np.float64) ** 2) / (np.sum(y ** 2) + 1e-12))
            ).astype(np.float32)


def tempo(x: np.ndarray, rate: float) -> np.ndarray:
    """Pitch-keeping tempo change: phase-vocoder time stretch by 1/rate (rate 0.6 = speech at
    60 % of its speed, 1/0.6 times as long; every frequency, pitch and formants kept; a label
    at time t moves to t / rate). Same level (RMS); rate == 1 returns x."""
    if rate == 1.0:
        return x
    n = int(round(len(x) / rate))
    y = time_stretch(x, 1.0 / rate)[:n]
    y = np.pad(y, (0, n - len(y)))
    return (y * np.sqrt(np.mean(x.astype(np.float64) ** 2) / (np.mean(y ** 2) + 1e-12))
            ).astype(np.float32)


def band_limit(x: np.ndarray, low_hz: float | None, high_hz: float | None) -> np.ndarray:
    y = x
    if high_hz:
        sos = signal.butter(6, high_hz, "lowpass", fs=SR, output="sos")
        y = signal.sosfilt(sos, y)
    if low_hz:
        sos = signal.butter(2, low_hz, "highpass", fs=SR, output="sos")
        y = signal.sosfilt(sos, y)
    return y.astype(np.float32)


def narrowband(x: np.ndarray, rate: int = 8000) -> np.ndarray:
    """What a source recorded or synthesised at ``rate`` Hz (e.g. 8 kHz: telephone audio, 8 kHz
    diphone voices) looks like once resampled to 16 kHz, as the simulator's audio path does
    (polyphase, scipy.signal.resample_poly): the audio taken down to ``rate`` and back, so
    nothing is left above rate / 2.  Same length and dtype (int16 is rounded and clipped)."""
    from fractions import Fraction
    f = Fraction(rate, SR)
    y = signal.resample_poly(signal.resample_poly(x.astype(np.float64), f.numerator,
                                                  f.denominator), f.denominator, f.numerator)
    y = np.pad(y[:len(x)], (0, max(0, len(x) - len(y))))
    if x.dtype == np.int16:
        return np.clip(np.round(y), -32768, 32767).astype(np.int16)
    return y.astype(x.dtype)


def colour(x: np.ndarray, tilt_db: float, peaks: list[tuple[float, float, float]]) -> np.ndarray:
    """Microphone / channel colour: a first-order spectral tilt of tilt_db between 100 Hz and
    8 kHz (a shelf around 1 kHz) and peaking EQ sections (centre Hz, gain dB, Q), RBJ biquads."""
    y = x.astype(np.float64)
    if tilt_db:
        # shelf H(s) = (s + w1) / (s + w2): +-tilt_db between the two corner frequencies
        g = 10 ** (tilt_db / 20)
        w1, w2 = (2 * np.pi * 1000 / np.sqrt(g), 2 * np.pi * 1000 * np.sqrt(g))
        b, a = signal.bilinear([1.0, w1], [1.0, w2], SR)
        y = signal.lfilter(b, a, y)
        y *= np.sqrt(w2 / w1)     # unit gain at the 1 kHz pivot
    for f0, gain_db, q in peaks:
        amp = 10 ** (gain_db / 40)
        w0 = 2 * np.pi * f0 / SR
        alpha = np.sin(w0) / (2 * q)
        b = np.array([1 + alpha * amp, -2 * np.cos(w0), 1 - alpha * amp])
        a = np.array([1 + alpha / amp, -2 * np.cos(w0), 1 - alpha / amp])
        y = signal.lfilter(b / a[0], a / a[0], y)
    return y.astype(np.float32)


def random_colour(x: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, list]:
    """A random microphone colour: tilt -9..+9 dB, 1-2 peaks of -8..+8 dB at 150-5000 Hz."""
    tilt = float(rng.uniform(-9, 9))
    peaks = [(float(np.exp(rng.uniform(np.log(150), np.log(5000)))), float(rng.uniform(-8, 8)),
              float(rng.uniform(0.7, 3.0))) for _ in range(int(rng.integers(1, 3)))]
    return colour(x, tilt, peaks), [round(tilt, 1)] + [[round(v, 1) for v in p] for p in peaks]


def random_augment(x: np.ndarray, pool: list[np.ndarray], rng: np.random.Generator,
                   p_clean: float = 0.25, p_colour: float = 0.0) -> tuple[np.ndarray, dict]:
    """Random chain: [reverb] -> [band limit] -> [colour] -> [noise] -> gain.  Returns audio and
    a recipe.  p_colour = 0 (the espeak-ng corpus) draws nothing for colour, so corpora made
    before the colour step existed are reproduced unchanged."""
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
        if p_colour > 0 and rng.random() < p_colour:
            x, info["colour"] = random_colour(x, rng)
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


def _levinson(r: np.ndarray, order: int) -> np.ndarray:
    """LPC coefficients a (a[:, 0] = 1) from autocorrelations r (frames x lags), Levinson-Durbin
    across all frames at once."""
    n = len(r)
    a = np.zeros((n, order + 1))
    a[:, 0] = 1.0
    err = r[:, 0].copy()
    for i in range(1, order + 1):
        acc = r[:, i] + np.einsum("fj,fj->f", a[:, 1:i], r[:, i - 1:0:-1])
        k = np.clip(-acc / np.maximum(err, 1e-12), -0.999, 0.999)   # |k| < 1: a stable filter
        a[:, 1:i] = a[:, 1:i] + k[:, None] * a[:, i - 1:0:-1]
        a[:, i] = k
        err = err * (1.0 - k * k)
    return a


def vocode(x: np.ndarray, rng: np.random.Generator, hop: int = 160) -> np.ndarray:
    """Speech resynthesised by a source-filter (LPC) vocoder, like a parametric synthesiser's
    voice (HMM / statistical parametric TTS such as SVOX Pico or clustergen voices): per 10 ms
    frame an all-pole envelope (order 14-22, averaged over 1-5 frames, drawn from rng) and a
    voiced / unvoiced decision with a pitch (normalised autocorrelation peak at 60-400 Hz); voiced frames are excited by a pulse
    train at that pitch (continuous phase) plus some noise, unvoiced frames by noise; every frame
    keeps the original's level. Same length and timing (labels stay); int16 in, int16 out, else
    float32."""
    dtype = x.dtype
    x = np.asarray(x, np.float64)
    n = len(x)
    nf = max(1, int(np.ceil(n / hop)))
    order = int(rng.integers(14, 23))
    win, pwin = 400, 640
    pad = np.pad(x, (pwin, pwin + nf * hop - n))
    centres = pwin + np.arange(nf) * hop + hop // 2
    idx = centres[:, None] + np.arange(-pwin // 2, pwin // 2)[None, :]
    seg = pad[idx]                                                # frames x 640
    lw = seg[:, (pwin - win) // 2:(pwin + win) // 2] * np.hanning(win)
    spec = np.fft.rfft(lw, 1024)
    r = np.fft.irfft(np.abs(spec) ** 2, 1024)[:, :order + 1]
    smooth = int(rng.integers(1, 6))          # envelope averaged over 1-5 frames: the smeared
    if smooth > 1:                            # transitions of a statistical parametric voice
        k = np.hanning(smooth + 2)[1:-1]
        k /= k.sum()                          # exact sums (an FFT convolution's rounding
        rp = np.pad(r, ((smooth // 2, smooth - 1 - smooth // 2), (0, 0)))   # breaks quiet frames)
        r = sum(w * rp[j:j + nf] for j, w in enumerate(k))
    # conditioning as in speech codecs (ITU-T G.729 3.2.1): a 60 Hz Gaussian lag window,
    # 40 dB white-noise correction, then 60 Hz bandwidth expansion of the poles
    lags = np.arange(order + 1)
    r = r * np.exp(-0.5 * (2 * np.pi * 60.0 * lags / SR) ** 2)
    r[:, 0] = r[:, 0] * 1.0001 + 1e-9
    a = _levinson(r, order) * np.exp(-np.pi * 60.0 / SR) ** lags
    # pitch: normalised autocorrelation of the 40 ms frame
    ps = seg * np.hanning(pwin)
    pr = np.fft.irfft(np.abs(np.fft.rfft(ps, 2048)) ** 2, 2048)
    wr = np.fft.irfft(np.abs(np.fft.rfft(np.hanning(pwin), 2048)) ** 2, 2048)
    lo, hi = SR // 400, SR // 60
    nr = pr[:, lo:hi + 1] / np.maximum(pr[:, :1], 1e-12) / (wr[lo:hi + 1] / wr[0])
    # the shortest lag at a local maximum within 85 % of the best one (no subharmonics)
    best = nr.max(axis=1, keepdims=True)
    local = np.zeros_like(nr, bool)
    local[:, 1:-1] = (nr[:, 1:-1] >= nr[:, :-2]) & (nr[:, 1:-1] >= nr[:, 2:])
    cand = local & (nr >= 0.85 * best)
    lag = lo + np.where(cand.any(axis=1), np.argmax(cand, axis=1), np.argmax(nr, axis=1))
    peak = nr[np.arange(nf), lag - lo]
    level = np.sqrt(np.mean(seg[:, (pwin - hop) // 2:(pwin + hop) // 2] ** 2, axis=1))
    voiced = (peak > 0.45) & (level > 1e-3 * max(level.max(), 1e-12))
    f0 = np.where(voiced, SR / lag, 0.0)
    # excitation, sample by sample from per-frame values
    fs = np.repeat(f0, hop)[:n]
    vs = np.repeat(voiced, hop)[:n]
    phase = np.cumsum(np.where(vs, fs / SR, 0.0))
    pulses = np.diff(np.floor(phase), prepend=0.0) > 0
    period = np.where(vs, SR / np.maximum(fs, 1.0), 1.0)        # voiced: f0 = SR / lag > 0
    noise = rng.standard_normal(n)
    mix = float(rng.uniform(0.05, 0.3))
    exc = np.where(vs, pulses * np.sqrt(period) + mix * noise, noise)
    y = np.zeros(n)
    zi = np.zeros(order)
    for f in range(nf):
        s, e = f * hop, min(n, (f + 1) * hop)
        if s >= e:
            break
        y[s:e], zi = signal.lfilter([1.0], a[f], exc[s:e], zi=zi)
    # every frame at the original's level (`level`: the RMS of the frame's own hop of samples;
    # the gain interpolated between frame centres)
    ylev = np.sqrt(np.mean(np.pad(y, (0, nf * hop - n)).reshape(nf, hop) ** 2, axis=1))
    g = level / np.maximum(ylev, 1e-9)
    g = np.interp(np.arange(n), np.arange(nf) * hop + hop / 2, g)
    y = np.nan_to_num(y * g)
    if dtype == np.int16:
        peak = np.abs(y).max(initial=0.0)       # pulses are peakier than speech: no clipping
        y = y * (32767.0 / peak) if peak > 32767.0 else y
        return np.clip(np.round(y), -32768, 32767).astype(np.int16)
    return y.astype(np.float32)
