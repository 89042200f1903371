#!/usr/bin/env python3
"""Host timings of the C aligner stages (README "Measured host timings"). usage: bench_host.py"""
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE.parents[2] / "tests"))
import host  # noqa: E402
from test_aligner_c import random_words, speechy, synth  # noqa: E402


def best_of(fn, n=5):
    t = []
    for _ in range(n):
        t0 = time.perf_counter()
        out = fn()
        t.append(time.perf_counter() - t0)
    return min(t), out


def main() -> None:
    m = host.model_params()
    s = speechy(60.0, seed=0)
    tf, q = best_of(lambda: host.features(s))
    T = len(q)
    tn, _ = best_of(lambda: host.logits(q))
    tnd, _ = best_of(lambda: host.logits(q, dsp=True))
    rng = np.random.default_rng(20)
    words = random_words(m, 1000, rng)
    z, b, _ = synth(m, words, rng.random(1000) < 0.4, seed=20, peak=24, noise=(-30, 20), min_dur=8)
    n = sum(1 for x in b if x[1] <= 30000)
    zz = z[:b[n][0]]
    tv, (res, st) = best_of(lambda: host.align_logits(zz, words[:n]))
    ta, _ = best_of(lambda: host.align(s, random_words(m, 150, np.random.default_rng(1))), 3)
    macs = sum(L["cout"] * L["k"] * L["cin"] for L in m["layers"])
    print(f"front end : {tf / T * 1e6:7.2f} us/frame ({T} frames)")
    print(f"network   : {tn / T * 1e6:7.2f} us/frame plain C, {tnd / T * 1e6:7.2f} us/frame "
          f"DSP-emulated ({macs} MACs/frame)")
    print(f"viterbi   : {tv / len(zz) * 1e6:7.2f} us/frame ({len(zz)} frames, {n} words, {st})")
    print(f"pipeline  : {ta / T * 1e6:7.2f} us/frame = {60.0 / ta:.0f}x real time (60 s, 150 words)")


if __name__ == "__main__":
    main()
