"""Made-up audio for the model tests: training utterances of white noise with a labelled stretch
(the copy tests), and noise bursts that pass the running mean's speech gate."""
import numpy as np

import _model_path  # noqa: F401
import dataset


def noise_utts(n: int = 40, seed: int = 1) -> list:
    """n utterances of 0.25 s int16 noise, frames 10-19 labelled class 5, meta {"i": index}."""
    rng = np.random.default_rng(seed)
    utts = []
    for i in range(n):
        pcm = np.round(rng.normal(0, 3000, 4000)).astype(np.int16)
        f = dataset.F.log_mel(pcm)
        lab = np.zeros(len(f), np.int64)
        lab[10:20] = 5
        utts.append(dataset.Utt(f, lab, np.zeros((0, 3)), np.zeros((0, 2)), {"i": i}, pcm))
    return utts


def bursts(seconds: float, seed: int = 1) -> np.ndarray:
    """Gaussian noise (sd 3000) switched on and off 1.5 times a second, float64 samples at
    16 kHz: speech-like bursts and pauses for the level and degradation tests."""
    rng = np.random.default_rng(seed)
    n = int(seconds * 16000)
    env = (np.sin(2 * np.pi * 1.5 * np.arange(n) / 16000) > 0).astype(np.float64)
    return env * rng.normal(0, 3000, n)
