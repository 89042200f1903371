"""A slow-speech DEV set with exact labels: the same utterances at several speaking rates.

The speakers the aligner fails on (children and adult L2 readers of speechocean762) speak slowly
(median word 0.44 / 0.31 s against 0.23-0.25 s for the native sets, docs/alignment-results.md
"Slow speech"). To measure that without tuning on a test set, this builds rate-controlled
copies of utterances the project may tune on:

* ``manifest``: every item of a realspeech.py manifest (e.g. the Speech Accent Archive TRAIN
  speakers, kathleen) time-stretched by 1/rate with a pitch-keeping phase vocoder
  (augment.tempo); its word and phone times are multiplied by 1/rate, so the labels are exactly
  as good at every rate as the source labels at rate 1.
* ``espeak``: eSpeak NG utterances of the TRAIN split (training voices; indices from ``--first``,
  beyond the corpus used in training, so the sentences are new) spoken at ``--wpm`` x rate words
  per minute (eSpeak's own slow speech: longer phones, same pauses), with eSpeak's exact phone
  times. Language forced to en-us (the device's transcript phones); saved clean.

Output: OUT/<name>_r<rate x 100>/manifest.jsonl + wav/ per rate (realspeech.py manifest format,
ref '<source ref>+tempo' or 'espeak'), ready for ``evaluate.py --manifest`` and for
``realspeech.py shards``.

    python slow_speech.py manifest SETS/saa_train_nat/manifest.jsonl OUT --rates 1 0.8 0.6
    python slow_speech.py espeak OUT --rates 1 0.8 0.6 --n 150
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

try:
    from . import augment, realspeech
except ImportError:  # pragma: no cover
    import augment  # type: ignore[no-redef]
    import realspeech  # type: ignore[no-redef]

SR = 16000


def rate_dir(out: Path, name: str, rate: float) -> Path:
    return out / f"{name}_r{int(round(rate * 100)):03d}"


def scale_times(words: list, phones: list | None, rate: float) -> tuple[list, list | None]:
    """Word [[start, end]] (-1 = no time) and phone [[class, start, end]] times at 1/rate."""
    w = [[t / rate if t >= 0 else t for t in x] for x in words]
    p = None if phones is None else [[x[0], x[1] / rate, x[2] / rate] for x in phones]
    return w, p


def stretch_manifest(src: Path, out: Path, rates: list[float], limit: int | None = None,
                     every: int = 1) -> dict[float, Path]:
    """One manifest per rate (see the module doc); returns {rate: manifest path}."""
    import soundfile as sf
    items = [it for it in realspeech.load_manifest(src) if it.get("words")][::every][:limit]
    res = {}
    for rate in rates:
        d = rate_dir(out, src.parent.name, rate)
        (d / "wav").mkdir(parents=True, exist_ok=True)
        lines = []
        for it in items:
            x, _ = sf.read(it["wav"], dtype="float32")
            words, phones = it["words"], it.get("phones")
            if it["ref"] == "pocketsphinx":      # the edge fix evaluate.py would apply, first
                words, phones = realspeech.fix_ps_edges(
                    np.round(x * 32768).astype(np.int16), words, phones)
            words, phones = scale_times(words, phones, rate)
            y = augment.tempo(x, rate)
            wav = d / "wav" / f"{it['id']}.wav"
            realspeech.write_wav(wav, realspeech.to_pcm16(y))
            lines.append({**it, "wav": str(wav), "words": words, "rate": rate,
                          "ref": f"{it['ref']}+tempo", **({"phones": phones} if phones else {})})
        realspeech._write_manifest(d / "manifest.jsonl", lines)
        res[rate] = d / "manifest.jsonl"
    return res


def espeak_set(out: Path, rates: list[float], n: int, first: int, wpm: int, seed: int = 0,
               name: str = "espeak") -> dict[float, Path]:
    """eSpeak NG train-split utterances first .. first+n-1 at wpm x rate (see the module doc)."""
    try:
        from .corpus import make_utterance
    except ImportError:  # pragma: no cover
        from corpus import make_utterance  # type: ignore[no-redef]
    res = {}
    for rate in rates:
        d = rate_dir(out, name, rate)
        (d / "wav").mkdir(parents=True, exist_ok=True)
        lines = []
        for i in range(first, first + n):
            _pcm, seg, tok, meta, clean = make_utterance(
                i, "train", seed, [], rate=max(80, int(round(wpm * rate))), lang="en-us")
            wav = d / "wav" / f"es{i}.wav"
            realspeech.write_wav(wav, realspeech.to_pcm16(clean))
            lines.append({"id": f"es{i}", "speaker": meta["voice"], "wav": str(wav),
                          "text": meta["text"], "ref": "espeak", "rate": rate,
                          "wpm": meta["rate"], "words": tok.tolist(),
                          "phones": seg.tolist()})
        realspeech._write_manifest(d / "manifest.jsonl", lines)
        res[rate] = d / "manifest.jsonl"
    return res


def main() -> int:
    ap = argparse.ArgumentParser(description="Build a slow-speech dev set: the same utterances "
                                 "at several speaking rates, labels exact (see the module doc).")
    ap.add_argument("kind", choices=["manifest", "espeak"])
    ap.add_argument("args", nargs="+", type=Path,
                    help="manifest: SOURCE_MANIFEST OUT_DIR; espeak: OUT_DIR")
    ap.add_argument("--rates", type=float, nargs="+", default=[1.0, 0.8, 0.6],
                    help="speaking rates (1 = as recorded; 0.6 = 1/0.6 times as long)")
    ap.add_argument("--limit", type=int, default=None, help="manifest: at most N items")
    ap.add_argument("--every", type=int, default=1, help="manifest: every Nth item")
    ap.add_argument("--n", type=int, default=150, help="espeak: utterances")
    ap.add_argument("--first", type=int, default=100000,
                    help="espeak: first train-split index (the training corpus uses 0..2749)")
    ap.add_argument("--wpm", type=int, default=175,
                    help="espeak: words per minute at rate 1 (eSpeak's default; minimum 80)")
    a = ap.parse_args()
    if any(not 0.2 <= r <= 2.0 for r in a.rates):
        print("error: --rates must lie in 0.2 .. 2", file=sys.stderr)
        return 2
    if a.kind == "manifest":
        if len(a.args) != 2 or not a.args[0].is_file():
            print("error: manifest needs SOURCE_MANIFEST (an existing file) and OUT_DIR",
                  file=sys.stderr)
            return 2
        res = stretch_manifest(a.args[0], a.args[1], a.rates, a.limit, a.every)
    else:
        if len(a.args) != 1:
            print("error: espeak needs OUT_DIR only", file=sys.stderr)
            return 2
        res = espeak_set(a.args[0], a.rates, a.n, a.first, a.wpm)
    for rate, path in res.items():
        print(f"rate {rate:g}: {sum(1 for _ in path.open())} utterances -> {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
