"""NumPy front end exactly per firmware/aligner/CONTRACT.md (float32 arithmetic).

pcm int16 16 kHz -> x = s/32768 -> pre-emphasis y[n] = x[n] - 0.97 x[n-1] (x[-1] = 0) -> frames
of 400 samples every 160 (only complete frames) -> periodic Hann -> zero-pad 512 -> rfft ->
power -> 40 HTK mel bands 20..7600 Hz (triangular, unnormalised, exported as a table) ->
ln(max(., 1e-10)) -> (f - mean) * inv_std -> int8 by round-half-away-from-zero(g / in_scale).
"""
from __future__ import annotations

import argparse
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

SAMPLE_RATE = 16000
HOP = 160
WIN = 400
NFFT = 512
N_MELS = 40
FMIN = 20.0
FMAX = 7600.0
PREEMPH = np.float32(0.97)
LOG_FLOOR = np.float32(1e-10)


def hz_to_mel(f: np.ndarray | float) -> np.ndarray:
    return 2595.0 * np.log10(1.0 + np.asarray(f, dtype=np.float64) / 700.0)


def mel_to_hz(m: np.ndarray | float) -> np.ndarray:
    return 700.0 * (10.0 ** (np.asarray(m, dtype=np.float64) / 2595.0) - 1.0)


@dataclass(frozen=True)
class MelTable:
    first: np.ndarray    # uint16 [N_MELS] first FFT bin of band i
    count: np.ndarray    # uint16 [N_MELS] number of bins of band i
    weights: np.ndarray  # float32, concatenated band after band

    def dense(self) -> np.ndarray:
        """Dense float32 [N_MELS, NFFT//2+1] matrix built from the table."""
        w = np.zeros((N_MELS, NFFT // 2 + 1), np.float32)
        off = 0
        for i in range(N_MELS):
            a, n = int(self.first[i]), int(self.count[i])
            w[i, a:a + n] = self.weights[off:off + n]
            off += n
        return w


@lru_cache(maxsize=1)
def mel_table() -> MelTable:
    """HTK-mel triangular filters (unnormalised), computed in float64, stored as float32."""
    mels = np.linspace(hz_to_mel(FMIN), hz_to_mel(FMAX), N_MELS + 2)
    hz = mel_to_hz(mels)
    bins = np.arange(NFFT // 2 + 1) * (SAMPLE_RATE / NFFT)
    first, count, weights = [], [], []
    for i in range(N_MELS):
        lo, c, hi = hz[i], hz[i + 1], hz[i + 2]
        w = np.maximum(0.0, np.minimum((bins - lo) / (c - lo), (hi - bins) / (hi - c)))
        nz = np.nonzero(w > 0)[0]
        a, b = int(nz[0]), int(nz[-1]) + 1
        first.append(a)
        count.append(b - a)
        weights.append(w[a:b].astype(np.float32))
    return MelTable(np.array(first, np.uint16), np.array(count, np.uint16),
                    np.concatenate(weights).astype(np.float32))


@lru_cache(maxsize=1)
def window() -> np.ndarray:
    n = np.arange(WIN, dtype=np.float64)
    return (0.5 - 0.5 * np.cos(2.0 * np.pi * n / WIN)).astype(np.float32)


def n_frames(n_samples: int) -> int:
    return 0 if n_samples < WIN else 1 + (n_samples - WIN) // HOP


def log_mel(pcm: np.ndarray) -> np.ndarray:
    """int16 PCM -> float32 [T, N_MELS] log mel energies f."""
    x = pcm.astype(np.float32) / np.float32(32768.0)
    y = np.empty_like(x)
    if len(x):
        y[0] = x[0]
        y[1:] = x[1:] - PREEMPH * x[:-1]
    t = n_frames(len(y))
    if t == 0:
        return np.zeros((0, N_MELS), np.float32)
    idx = np.arange(WIN)[None, :] + HOP * np.arange(t)[:, None]
    frames = y[idx] * window()[None, :]
    spec = np.fft.rfft(frames, n=NFFT, axis=1)
    power = (spec.real.astype(np.float32) ** 2 + spec.imag.astype(np.float32) ** 2).astype(np.float32)
    mel = power @ mel_table().dense().T
    return np.log(np.maximum(mel, LOG_FLOOR)).astype(np.float32)


def normalise(f: np.ndarray, mean: np.ndarray, inv_std: np.ndarray) -> np.ndarray:
    return ((f - mean.astype(np.float32)) * inv_std.astype(np.float32)).astype(np.float32)


def band_mean(f: np.ndarray) -> np.ndarray:
    """CONTRACT.md E[n]: the mean of frame n's log-mel bands, summed in band order (float32)."""
    return (np.cumsum(f.astype(np.float32), axis=1, dtype=np.float32)[:, -1]
            / np.float32(f.shape[1])).astype(np.float32)


def speech_gate(f: np.ndarray, gate: float, rise: float) -> np.ndarray:
    """CONTRACT.md speech gate of the running mean: True for the frames that update it.
    E[n] = (sum of f[n] in band order) / n_mels, floor = min(E, floor + rise) starting at +inf,
    update when E > floor + gate (float32, as the C code); gate <= 0: every frame."""
    if gate <= 0:
        return np.ones(len(f), bool)
    e = band_mean(f)
    g32, r32 = np.float32(gate), np.float32(rise)
    out = np.zeros(len(f), bool)
    fl = np.float32(3.0e38)
    for n, en in enumerate(e):
        fl = min(en, np.float32(fl + r32))
        out[n] = en > np.float32(fl + g32)
    return out


def recording_level(f: np.ndarray, upd: np.ndarray, frames: int,
                    bands: tuple[int, int]) -> np.float32 | None:
    """CONTRACT.md level floor's L: the mean of bands[0] <= i < bands[1] (band_mean) summed in
    frame order over the first ``frames`` frames that update the running mean (``upd``:
    speech_gate), divided by ``frames`` (float32, as the C code); None: fewer such frames."""
    e = band_mean(f[:, bands[0]:bands[1]])[upd][:frames]
    if len(e) < frames:
        return None
    return np.float32(np.cumsum(e, dtype=np.float32)[-1] / np.float32(frames))


@dataclass(frozen=True)
class RunningMean:
    """The firmware's speech-gated running mean and its level floor (CONTRACT.md; the model's
    ``cmn_*`` fields, train.py --cmn-*).  frames 0: static normalisation; gate 0: every frame
    updates the mean; level_frames 0: no level floor."""
    prior: float
    frames: float
    gate: float = 0.0
    rise: float = 0.0
    level_frames: int = 0
    level_floor: float = 0.0
    level_bands: tuple[int, int] = (0, 0)
    level_recheck: int = 0
    level_lift: float = 0.0

    @property
    def level_checks(self) -> tuple[int, ...]:
        """The update counts at which the level floor checks the level (CONTRACT.md): the
        level_frames-th, and the level_recheck-th when that lies later."""
        if self.level_frames <= 0:
            return ()
        if self.level_recheck > self.level_frames:
            return (self.level_frames, self.level_recheck)
        return (self.level_frames,)

    @classmethod
    def from_model(cls, d: dict) -> RunningMean:
        """From an exported model.json's (or a checkpoint's) ``cmn_*`` fields (absent: 0)."""
        return cls(float(d.get("cmn_prior", 0.0)), float(d.get("cmn_frames", 0.0)),
                   float(d.get("cmn_gate", 0.0)), float(d.get("cmn_rise", 0.0)),
                   int(d.get("cmn_level_frames", 0)), float(d.get("cmn_level_floor", 0.0)),
                   (int(d.get("cmn_level_b0", 0)), int(d.get("cmn_level_b1", 0))),
                   int(d.get("cmn_level_recheck", 0)), float(d.get("cmn_level_lift", 0.0)))

    def to_model(self) -> dict[str, float | int]:
        """The ``cmn_*`` fields of model.json and of the C ``al_model_t`` (same names, same
        order; floats as the float32 the firmware holds): the inverse of ``from_model``."""
        f32 = lambda v: float(np.float32(v))  # noqa: E731
        return {"cmn_prior": f32(self.prior), "cmn_frames": f32(self.frames),
                "cmn_gate": f32(self.gate), "cmn_rise": f32(self.rise),
                "cmn_level_frames": int(self.level_frames),
                "cmn_level_floor": f32(self.level_floor),
                "cmn_level_b0": int(self.level_bands[0]), "cmn_level_b1": int(self.level_bands[1]),
                "cmn_level_recheck": int(self.level_recheck),
                "cmn_level_lift": f32(self.level_lift)}


# The running mean's command-line settings (train.py sets them, export.py overrides a
# checkpoint's): flag, argparse keywords, help. The model field is the flag's name with "_",
# except --cmn-level-bands, whose two values are cmn_level_b0 / cmn_level_b1.
RUNNING_MEAN_FLAGS: tuple[tuple[str, dict, str], ...] = (
    ("--cmn-gate", {"type": float, "default": 0.0},
     "speech gate of the running mean (CONTRACT.md): only frames whose mean log-mel is this many "
     "nats above the tracked floor update it (0: all frames)"),
    ("--cmn-rise", {"type": float, "default": 0.005},
     "speech gate: nats per frame the tracked floor may rise"),
    ("--cmn-level-frames", {"type": int, "default": 0},
     "level floor of the running mean (CONTRACT.md): the first this many speech frames measure "
     "the recording's level (0: off)"),
    ("--cmn-level-floor", {"type": float, "default": 0.0},
     "level floor: a recording quieter than this (nats of mean log-mel; level_floor.py) has its "
     "running mean moved at once"),
    ("--cmn-level-bands", {"type": int, "nargs": 2, "default": (5, 29), "metavar": ("B0", "B1")},
     "level floor: the mel bands B0 <= i < B1 whose mean is the level (5-28: 280-3,600 Hz)"),
    ("--cmn-level-recheck", {"type": int, "default": 0},
     "level floor: check again after this many speech frames when the first check did not "
     "move the mean (0: once)"),
    ("--cmn-level-lift", {"type": float, "default": 0.0},
     "level floor: raise a recording below the floor to this many nats above it (0: to the "
     "floor)"),
)


def add_running_mean_flags(ap: argparse.ArgumentParser, override: bool = False) -> None:
    """RUNNING_MEAN_FLAGS on ``ap``; ``override``: every default None (keep the checkpoint's)."""
    for flag, kw, text in RUNNING_MEAN_FLAGS:
        kw = dict(kw, default=None) if override else kw
        ap.add_argument(flag, help=text + (" (default: the checkpoint's)" if override else ""),
                        **kw)


def running_mean_normalise(f: np.ndarray, mean: np.ndarray, inv_std: np.ndarray,
                           cmn: RunningMean) -> np.ndarray:
    """CONTRACT.md running mean (``cmn``: prior, frames, gate, rise, level_*): mu starts at
    mean; at a frame that passes speech_gate (all frames when gate is 0),
    c = min(prior + k, frames) with k the updates so far,
    mu += (f[n] - mu) * (1 / (c + 1)); g[n] = (f[n] - mu) * inv_std (float32, as the C code).
    Level floor (level_frames > 0): after the level_frames-th update, L = the mean over those
    frames of their level (band_mean of the bands level_bands[0] <= i < level_bands[1]) and
    r = the share of the initial mean still in mu (r -= r * a at each of those updates);
    if L < level_floor, every mu[i] += (L - (level_floor + level_lift)) * r: from there on the
    recording is normalised exactly as its copy raised to level_lift above the floor would be
    (a gain adds a constant to every band). With level_recheck > level_frames and mu not moved,
    the same check again after the level_recheck-th update, over all of those frames."""
    frames, checks, level_bands = cmn.frames, cmn.level_checks, cmn.level_bands
    if frames <= 0:
        return normalise(f, mean, inv_std)
    if checks and not 0 <= level_bands[0] < level_bands[1] <= f.shape[1]:
        raise ValueError(f"level floor bands {level_bands}: not inside the {f.shape[1]} mel bands")
    f = f.astype(np.float32)
    mu = mean.astype(np.float32).copy()
    inv = inv_std.astype(np.float32)
    p, w, one = np.float32(cmn.prior), np.float32(frames), np.float32(1.0)
    upd = speech_gate(f, cmn.gate, cmn.rise)
    lev = {k: recording_level(f, upd, k, level_bands) for k in checks}
    lfl, rem = np.float32(cmn.level_floor), np.float32(1.0)
    tgt = np.float32(lfl + np.float32(cmn.level_lift))
    last = checks[-1] if checks else 0
    g = np.empty_like(f)
    k = 0
    for n in range(len(f)):
        if upd[n]:
            c = min(p + np.float32(k), w)
            a = one / (c + one)
            mu = (mu + (f[n] - mu) * a).astype(np.float32)
            k += 1
            if k <= last:
                rem = np.float32(rem - rem * a)
                if k in lev and lev[k] < lfl:
                    mu = (mu + np.float32(np.float32(lev[k] - tgt) * rem)).astype(np.float32)
                    last = 0                                 # moved: no recheck
        g[n] = (f[n] - mu) * inv
    return g


def running_mean_shift(f: np.ndarray, mean: np.ndarray, cmn: RunningMean) -> np.ndarray:
    """Training view of the running mean: f - mu_n + mean, so that the usual static
    (x - mean) * inv_std gives the running-mean features (to float rounding)."""
    if cmn.frames <= 0:
        return f
    one = np.ones_like(mean, dtype=np.float32)
    return (running_mean_normalise(f, mean, one, cmn) + mean).astype(np.float32)


def quantise_input(g: np.ndarray, in_scale: float) -> np.ndarray:
    """q = clamp(round_half_away_from_zero(g / in_scale), -127, 127) as int8 (float32 math)."""
    v = (g.astype(np.float32) / np.float32(in_scale)).astype(np.float32)
    r = np.where(v >= 0, np.floor(v + np.float32(0.5)), np.ceil(v - np.float32(0.5)))
    return np.clip(r, -127, 127).astype(np.int8)


def main() -> None:
    ap = argparse.ArgumentParser(description="Compute log-mel features of a 16 kHz wav file.")
    ap.add_argument("wav")
    args = ap.parse_args()
    import soundfile as sf
    pcm, sr = sf.read(args.wav, dtype="int16")
    assert sr == SAMPLE_RATE, "need 16 kHz audio"
    f = log_mel(pcm if pcm.ndim == 1 else pcm[:, 0])
    print(f.shape, f.mean(), f.std())


if __name__ == "__main__":
    main()
