"""How often the network hears silence inside words (issue 12's first cause of lost words).

On an unseen synthesiser the espeak-ng-only model called 16-28 % of the frames inside words
silence (2.4 % on espeak-ng), mostly at word edges, so the search put pauses into words. This
check measures the same on any manifest with reference word times (realspeech.py format): the
share of frames inside reference words whose best class (int8 reference network, bit exact with
the firmware) is silence, overall and in the first / last EDGE frames of each word.

    python silence_check.py MANIFEST [MANIFEST ...] [--model export/model.json] [--limit N]
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

try:
    from . import reference
    from .realspeech import load_manifest
except ImportError:  # pragma: no cover
    import reference  # type: ignore[no-redef]
    from realspeech import load_manifest  # type: ignore[no-redef]

EDGE = 3   # frames at each end of a word counted as its edge


def word_frames(words: list, n: int, offset_s: float) -> list[tuple[int, int]]:
    """Frame ranges [a, b) of the reference words (frame t ends at t * 10 ms + offset)."""
    out = []
    for s, e in words:
        if s < 0:
            continue
        a = max(0, int(round((s - offset_s) / 0.010)))
        b = min(n, int(round((e - offset_s) / 0.010)))
        if b > a:
            out.append((a, b))
    return out


def silence_shares(best: np.ndarray, spans: list[tuple[int, int]], sil: int = 0
                   ) -> tuple[int, int, int, int]:
    """(frames inside words, of them silence, edge frames, of them silence)."""
    n = s = ne = se = 0
    for a, b in spans:
        seg = best[a:b] == sil
        n += len(seg)
        s += int(seg.sum())
        edge = np.concatenate([seg[:EDGE], seg[max(EDGE, len(seg) - EDGE):]])
        ne += len(edge)
        se += int(edge.sum())
    return n, s, ne, se


def main() -> int:
    ap = argparse.ArgumentParser(description="Share of frames inside reference words that the "
                                 "network's best class calls silence (per manifest).")
    ap.add_argument("manifests", type=Path, nargs="+", help="realspeech.py manifests")
    ap.add_argument("--model", default=str(reference.DEFAULT_MODEL), help="exported model.json")
    ap.add_argument("--limit", type=int, default=None, help="first N items of each manifest")
    a = ap.parse_args()
    import soundfile as sf
    for p in a.manifests:
        if not p.is_file():
            print(f"error: {p} is not a manifest file", file=sys.stderr)
            return 2
    model = reference.load(a.model)
    print("| manifest | words' frames | called silence | word-edge frames | called silence |")
    print("|---|---|---|---|---|")
    for p in a.manifests:
        tot = np.zeros(4, np.int64)
        for it in load_manifest(p)[:a.limit]:
            pcm, _ = sf.read(it["wav"], dtype="int16")
            best = reference.log_posteriors(model, pcm if pcm.ndim == 1 else pcm[:, 0]).argmax(1)
            spans = word_frames(it["words"], len(best), model.frame_offset_s)
            tot += np.array(silence_shares(best, spans, model.sil_class))
        n, s, ne, se = (int(x) for x in tot)
        print(f"| {p.parent.name} | {n:,} | {100 * s / max(n, 1):.1f} % | {ne:,} | "
              f"{100 * se / max(ne, 1):.1f} % |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
