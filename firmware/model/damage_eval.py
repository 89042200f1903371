"""Robustness check: real clips with a stretch in the middle replaced by other speech.

Every clip of MANIFEST gets SECONDS of its middle replaced by speech from FILLER (another
speaker reading another text, which the transcript does not cover), then the C aligner (host
build, the firmware's code) aligns it with its own transcript. Prints re-anchors (and those
behind the path), words placed by the second pass between anchors, interpolated words
(confidence 0), words not placed, and the
word MAE inside and outside the stretch against
the manifest's reference. A search that keeps its place is as good outside the stretch as on
the undamaged clips (``--seconds 0``).

    python damage_eval.py SETS/saa_test/manifest.jsonl SETS/maus/manifest.jsonl --seconds 4
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "aligner"))
try:
    from . import g2p, realspeech
except ImportError:  # pragma: no cover
    import g2p  # type: ignore[no-redef]
    import realspeech  # type: ignore[no-redef]


def main() -> int:
    ap = argparse.ArgumentParser(description="Align real clips with a stretch replaced by other "
                                 "speech; report how the search keeps its place.")
    ap.add_argument("manifest", type=Path, help="realspeech.py manifest of the clips")
    ap.add_argument("filler", type=Path, help="manifest whose audio replaces the stretch")
    ap.add_argument("--seconds", type=float, default=4.0, help="length of the stretch")
    ap.add_argument("--limit", type=int, default=None, help="first N clips only")
    a = ap.parse_args()
    for p in (a.manifest, a.filler):
        if not p.is_file():
            print(f"error: {p} is not a manifest file", file=sys.stderr)
            return 2
    import host
    import soundfile as sf
    host.set_default_model(host.REAL_MODEL)
    items = realspeech.load_manifest(a.manifest)[:a.limit]
    src = np.concatenate([sf.read(i["wav"], dtype="int16")[0]
                          for i in realspeech.load_manifest(a.filler)[:60]])
    n = int(a.seconds * realspeech.SR)
    tot = {"clips": 0, "words": 0, "nf": 0, "second_pass": 0, "interpolated": 0, "reanchor": 0,
           "back": 0}
    e_in: list[float] = []
    e_out: list[float] = []
    for k, it in enumerate(items):
        pcm, _ = sf.read(it["wav"], dtype="int16")
        lo = max(0, len(pcm) // 2 - n // 2)
        hi = min(len(pcm), lo + n)
        off = (k * 3 * realspeech.SR) % max(1, len(src) - n)
        x = pcm.copy()
        x[lo:hi] = src[off:off + hi - lo]
        words = g2p.transcript_phones(it["text"], "en-us")
        ref = np.array(it["words"], float).reshape(-1, 2)
        res, st = host.align_logits(host.logits(host.features(x)), [w.phones for w in words])
        tot["clips"] += 1
        tot["words"] += len(res)
        tot["nf"] += sum(r.nf for r in res)
        tot["second_pass"] += st.n_second
        tot["interpolated"] += st.n_filled
        tot["reanchor"] += st.n_reanchor
        tot["back"] += st.n_back
        for r, (s0, e0) in zip(res, ref):
            if r.nf or s0 < 0:
                continue
            err = (abs(r.start_ms / 1000 - s0) + abs(r.end_ms / 1000 - e0)) / 2 * 1000
            inside = e0 > lo / realspeech.SR and s0 < hi / realspeech.SR
            (e_in if inside else e_out).append(err)
    print(f"stretch {a.seconds:g} s: {tot}")
    print(f"words inside the stretch: {len(e_in)}, MAE {np.mean(e_in) if e_in else 0:.1f} ms; "
          f"outside: {len(e_out)}, MAE {np.mean(e_out) if e_out else 0:.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
