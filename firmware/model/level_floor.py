"""The running mean's level floor (CONTRACT.md "level floor"): how loud the training corpus is.

A recording's level L is the mean log-mel energy of the bands ``--bands`` (5-28: 280-3,600 Hz,
the telephone band, which an 8 kHz source has too) over its first ``--frames`` speech frames
(the frames the running mean's speech gate lets through, as the firmware counts them).
The firmware's running mean starts at the training mean and gives it
``cmn_prior`` (100) frames of weight, so a recording far quieter than the training corpus (a
MEMS microphone read without gain: speech 30-40 dB below what the corpus holds) is normalised
with a mean that is still nats too high for most of a short clip. This prints the median L of
the given training utterances, the floor ``--below-db`` under it and the lift ``--lift-db`` (a
recording below the floor is normalised as its copy raised that far above the floor); export.py
``--cmn-level-frames N --cmn-level-floor F --cmn-level-bands B0 B1 --cmn-level-lift X`` writes
them into the model.

    python level_floor.py --shards SHARDS/* --data data [--per-dir 2] [--frames 10]
"""
from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import numpy as np

try:
    from . import features as F
    from . import reference
    from .corpus import load_split
except ImportError:  # pragma: no cover
    import features as F  # type: ignore[no-redef]
    import reference  # type: ignore[no-redef]
    from corpus import load_split  # type: ignore[no-redef]


def level(pcm: np.ndarray, frames: int, cmn: F.RunningMean,
          bands: tuple[int, int]) -> float | None:
    """L of one recording as the firmware measures it, over the first ``frames`` frames that
    ``cmn``'s speech gate lets through (None: fewer speech frames than that)."""
    f = F.log_mel(pcm)
    lev = F.recording_level(f, F.speech_gate(f, cmn.gate, cmn.rise), frames, bands)
    return None if lev is None else float(lev)


def shard_audio(path: Path, per_file: int | None):
    """The utterances of one realspeech.py shard (.npz: audio + audio_off)."""
    z = np.load(path, allow_pickle=True)
    aud, off = z["audio"], z["audio_off"]
    n = len(off) - 1 if per_file is None else min(per_file, len(off) - 1)
    for i in range(n):
        yield aud[off[i]:off[i + 1]]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shards", type=Path, nargs="*", default=[],
                    help="shard directories (realspeech.py shards) or .npz files")
    ap.add_argument("--data", type=Path, default=None, help="an espeak-ng corpus (corpus.py)")
    ap.add_argument("--split", default="train")
    ap.add_argument("--per-dir", type=int, default=2, help="shard files read per directory "
                    "(the first ones, sorted)")
    ap.add_argument("--per-file", type=int, default=None, help="utterances read per shard file")
    ap.add_argument("--limit", type=int, default=None, help="utterances read from --data")
    ap.add_argument("--frames", type=int, default=10, help="speech frames that measure L")
    ap.add_argument("--bands", type=int, nargs=2, default=(5, 29), metavar=("B0", "B1"),
                    help="the mel bands B0 <= i < B1 whose mean is the level")
    ap.add_argument("--below-db", type=float, default=20.0,
                    help="the floor: this many dB (of power) under the median L")
    ap.add_argument("--lift-db", type=float, default=10.0,
                    help="a recording below the floor is raised to this many dB above it")
    ap.add_argument("--model", default=str(reference.DEFAULT_MODEL),
                    help="model.json whose speech gate counts the frames")
    ap.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = ap.parse_args(argv)
    if not args.shards and args.data is None:
        ap.error("give --shards and/or --data")
    m = reference.load(args.model)
    levels: list[float] = []

    def add(pcm: np.ndarray) -> None:
        v = level(pcm, args.frames, m.cmn, tuple(args.bands))
        if v is not None:
            levels.append(v)
    for s in args.shards:
        files = sorted(s.glob("*.npz"))[:args.per_dir] if s.is_dir() else [s]
        for f in files:
            for pcm in shard_audio(f, args.per_file):
                add(pcm)
    if args.data is not None:
        raw = load_split(args.data, args.split)
        for r in raw[:args.limit]:
            add(r["audio"])
    if not levels:
        raise SystemExit("no utterance with enough speech frames")
    med = float(np.median(levels))
    floor = med - args.below_db * math.log(10.0) / 10.0      # dB of power -> nats of ln power
    lift = args.lift_db * math.log(10.0) / 10.0
    out = {"utterances": len(levels), "frames": args.frames, "bands": list(args.bands),
           "median": round(med, 3),
           "p1": round(float(np.percentile(levels, 1)), 3),
           "p99": round(float(np.percentile(levels, 99)), 3),
           "below_db": args.below_db, "floor": round(floor, 3),
           "lift_db": args.lift_db, "lift": round(lift, 3)}
    print(f"{out['utterances']} utterances: median L {out['median']:.3f} nats "
          f"(1st / 99th percentile {out['p1']:.3f} / {out['p99']:.3f}); floor {args.below_db:g} dB "
          f"under the median: {out['floor']:.3f}")
    print(f"export.py --cmn-level-frames {args.frames} --cmn-level-floor {out['floor']:.3f} "
          f"--cmn-level-bands {args.bands[0]} {args.bands[1]} --cmn-level-lift {out['lift']:.3f}")
    if args.json:
        args.json.write_text(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
