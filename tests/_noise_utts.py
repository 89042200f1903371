"""Made-up training utterances for the copy tests: white-noise audio with a labelled stretch."""
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
