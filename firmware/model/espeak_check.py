"""Listening-free check of eSpeak event timing: compare word boundaries derived from phoneme
events with energy onsets/offsets of the synthesised audio.

For every word next to a pause (utterance start/end or a comma pause, gap >= 60 ms), find the
energy onset (first 5 ms frame above -35 dB re. the utterance's peak frame) near the word start,
and the offset (last frame above threshold) near the word end.  Prints the distribution of
(event time - energy time) in ms: a consistent offset near 0 means the events are usable as
ground truth.
"""
from __future__ import annotations

import argparse
import random

import numpy as np

try:
    from . import espeak as es
    from . import g2p
    from .corpus import LANGS, TRAIN_VARIANTS
    from .sentences import sentence
    from .text_norm import normalise
except ImportError:  # pragma: no cover
    import espeak as es  # type: ignore[no-redef]
    import g2p  # type: ignore[no-redef]
    from corpus import LANGS, TRAIN_VARIANTS  # type: ignore[no-redef]
    from sentences import sentence  # type: ignore[no-redef]
    from text_norm import normalise  # type: ignore[no-redef]

HOP = 110  # 5 ms at 22050 Hz


def energy_db(audio: np.ndarray) -> np.ndarray:
    x = audio.astype(np.float64)
    n = len(x) // HOP
    e = np.array([np.mean(x[i * HOP:(i + 1) * HOP] ** 2) for i in range(n)]) + 1e-3
    return 10 * np.log10(e / e.max())


def main() -> None:
    ap = argparse.ArgumentParser(description="Check eSpeak phoneme-event timing against energy.")
    ap.add_argument("-n", type=int, default=200, help="sentences")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threshold-db", type=float, default=-35.0)
    args = ap.parse_args()
    r = random.Random(args.seed)
    eng = es.get_engine()
    on, off = [], []
    for _ in range(args.n):
        words = [w for t in normalise(sentence(r)) for w in t.spoken]
        if not words:
            continue
        voice = r.choice(LANGS) + "+" + (r.choice(TRAIN_VARIANTS) or "m1")
        text, spans = es.word_spans(words)
        syn = eng.synthesize(text, voice, rate=r.randint(120, 220))
        segs = g2p.word_segments(words, syn, voice, spans)
        db = energy_db(syn.audio)
        active = db > args.threshold_db
        times = [(s[0].start, s[-1].end) for s in segs if s]
        for i, (s, e) in enumerate(times):
            prev_end = times[i - 1][1] if i else 0.0
            next_start = times[i + 1][0] if i + 1 < len(times) else syn.duration
            if i == 0 or s - prev_end >= 0.06:
                a, b = int(max(prev_end, s - 0.06) * 22050 / HOP), int((s + 0.1) * 22050 / HOP)
                idx = np.nonzero(active[a:b])[0]
                if len(idx):
                    on.append((s - (a + idx[0]) * HOP / 22050) * 1000)
            if i == len(times) - 1 or next_start - e >= 0.06:
                a, b = int((e - 0.1) * 22050 / HOP), int(min(next_start, e + 0.06) * 22050 / HOP)
                idx = np.nonzero(active[a:b])[0]
                if len(idx):
                    off.append((e - (a + idx[-1] + 1) * HOP / 22050) * 1000)
    for name, v in (("word start - energy onset", on), ("word end - energy offset", off)):
        v = np.array(v)
        print(f"{name}: n={len(v)} median {np.median(v):+.1f} ms, mean {v.mean():+.1f}, "
              f"|.|<=10ms {np.mean(np.abs(v) <= 10) * 100:.0f}%, "
              f"|.|<=25ms {np.mean(np.abs(v) <= 25) * 100:.0f}%, p5 {np.percentile(v, 5):+.1f}, "
              f"p95 {np.percentile(v, 95):+.1f}")


if __name__ == "__main__":
    main()
