"""Synthesise the training / test corpus offline with eSpeak NG.

Every utterance: a generated sentence (sentences.py) -> text normalisation -> eSpeak synthesis
with a random voice (language + variant), rate, pitch, pitch range and word gap, optionally in
several chunks joined by pauses -> leading/trailing silence -> 22050 -> 16000 Hz
(scipy.signal.resample_poly 320/441) -> random augmentation (augment.py).  Ground truth phone
and word times come from eSpeak's phoneme events (g2p.word_segments).

The TEST split uses variants that never occur in training (TEST_VARIANTS), over all languages.

Output: <out>/<split>/shard_NNN.npz with
  audio int16 (concatenated), audio_off int64 [U+1]
  seg float32 [S,3] (class, start_s, end_s) of every phone, seg_off int64 [U+1]
  word float32 [W,2] (start_s, end_s) per transcript token (-1 if no phones), word_off [U+1]
  meta: JSON list (text, tokens, voice, rate, pitch, range, word_gap, chunks, aug)
"""
from __future__ import annotations

import argparse
import json
import random
import time
from pathlib import Path

import numpy as np
from scipy.signal import resample_poly

try:
    from . import augment, g2p
    from . import espeak as es
    from .sentences import sentence
    from .text_norm import normalise
except ImportError:  # pragma: no cover
    import augment  # type: ignore[no-redef]
    import espeak as es  # type: ignore[no-redef]
    import g2p  # type: ignore[no-redef]
    from sentences import sentence  # type: ignore[no-redef]
    from text_norm import normalise  # type: ignore[no-redef]

LANGS = ["en-us", "en", "en-gb-x-rp", "en-gb-scotland", "en-029", "en-gb-x-gbclan",
         "en-gb-x-gbcwmd", "en-us-nyc"]
TEST_VARIANTS = ["f4", "m6", "klatt4"]
TRAIN_VARIANTS = ["", "m1", "m2", "m3", "m4", "m5", "m7", "m8", "f1", "f2", "f3", "f5",
                  "klatt", "klatt2", "klatt3", "klatt5", "klatt6", "adam", "Alex", "Alicia",
                  "Andrea", "Andy", "Annie", "antonio", "aunty", "belinda", "benjamin", "boris",
                  "caleb", "david", "ed", "edward", "Gene", "gustave", "Henrique", "Hugo", "iven",
                  "Jacky", "john", "Lee", "linda", "marcelo", "Marco", "Mario", "max", "Michael",
                  "michel", "miguel", "Mike", "Nguyen", "pablo", "paul", "pedro", "quincy", "rob",
                  "robert", "steph", "steph2", "travis", "victor", "zac", "anika", "grandma",
                  "grandpa", "norbert", "sandro", "shelby", "whisper", "whisperf", "croak"]
SPLITS = {"train": 1, "test": 2}
SR_IN, SR_OUT = es.SAMPLE_RATE, 16000


def make_utterance(idx: int, split: str, seed: int, pool: list[np.ndarray],
                   augment_p_clean: float = 0.25, rate: int | None = None,
                   lang: str | None = None
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict, np.ndarray]:
    """Returns (int16 audio 16 kHz, segs [S,3], token times [W,2], meta, clean float audio).
    rate / lang: replace the drawn speaking rate (words per minute) / language (every random
    draw is still made, so the rest of the utterance is the same as without them)."""
    rng = np.random.default_rng([seed, SPLITS[split], idx])
    r = random.Random(int(rng.integers(2 ** 62)))
    while True:
        text = sentence(r)
        tokens = normalise(text)
        words = [w for t in tokens for w in t.spoken]
        if words:
            break
    owner = [i for i, t in enumerate(tokens) for _ in t.spoken]
    drawn_lang = LANGS[int(rng.integers(len(LANGS)))]
    lang = drawn_lang if lang is None else lang
    variants = TEST_VARIANTS if split == "test" else TRAIN_VARIANTS
    variant = variants[int(rng.integers(len(variants)))]
    voice = lang + ("+" + variant if variant else "")
    drawn_rate = int(rng.integers(120, 221))
    rate = drawn_rate if rate is None else rate
    pitch = int(rng.integers(25, 76))
    prange = int(rng.integers(20, 81))
    word_gap = int(rng.integers(1, 9)) if rng.random() < 0.15 else 0
    # chunks separated by pauses
    cuts = [0] + [i for i in range(1, len(words)) if rng.random() < 0.08] + [len(words)]
    eng = es.get_engine()
    pieces: list[np.ndarray] = []
    segs: list[tuple[int, float, float]] = []
    word_times: list[tuple[float, float]] = []
    t0 = float(rng.uniform(0.05, 0.6))
    pieces.append(np.zeros(int(t0 * SR_IN), np.int16))
    pos = len(pieces[0])
    for a, b in zip(cuts[:-1], cuts[1:]):
        if a > 0:
            gap = np.zeros(int(rng.uniform(0.1, 0.7) * SR_IN), np.int16)
            pieces.append(gap)
            pos += len(gap)
        chunk = words[a:b]
        joined, spans = es.word_spans(chunk)
        syn = eng.synthesize(joined, voice, rate, pitch, prange, word_gap)
        off = pos / SR_IN
        for ws in g2p.word_segments(chunk, syn, voice, spans):
            for s in ws:
                segs.append((s.cls, s.start + off, s.end + off))
            word_times.append((ws[0].start + off, ws[-1].end + off) if ws else (-1.0, -1.0))
        pieces.append(syn.audio)
        pos += len(syn.audio)
    pieces.append(np.zeros(int(rng.uniform(0.05, 0.6) * SR_IN), np.int16))
    audio22 = np.concatenate(pieces).astype(np.float32) / 32768.0
    clean = resample_poly(audio22, 320, 441).astype(np.float32)
    aug, info = augment.random_augment(clean, pool, rng, augment_p_clean)
    pcm = np.round(aug * 32768.0).clip(-32768, 32767).astype(np.int16)
    tok = np.full((len(tokens), 2), -1.0, np.float32)
    for k, (s, e) in enumerate(word_times):
        if s < 0:
            continue
        i = owner[k]
        tok[i, 0] = s if tok[i, 0] < 0 else min(tok[i, 0], s)
        tok[i, 1] = max(tok[i, 1], e)
    meta = {"text": text, "tokens": [t.text for t in tokens], "voice": voice, "lang": lang,
            "variant": variant, "rate": rate, "pitch": pitch, "range": prange,
            "word_gap": word_gap, "chunks": len(cuts) - 1, "aug": info}
    return pcm, np.array(segs, np.float32).reshape(-1, 3), tok, meta, clean


def write_shard(path: Path, items: list[tuple[np.ndarray, np.ndarray, np.ndarray, dict]]) -> None:
    def offsets(arrs: list[np.ndarray]) -> np.ndarray:
        return np.concatenate([[0], np.cumsum([len(a) for a in arrs])]).astype(np.int64)
    audio = [i[0] for i in items]
    seg = [i[1] for i in items]
    word = [i[2] for i in items]
    np.savez(path, audio=np.concatenate(audio), audio_off=offsets(audio),
             seg=np.concatenate(seg), seg_off=offsets(seg),
             word=np.concatenate(word), word_off=offsets(word),
             meta=np.array(json.dumps([i[3] for i in items])))


def load_split(root: Path, split: str) -> list[dict]:
    """All utterances of a split: dicts with audio, seg, word, meta."""
    out: list[dict] = []
    for p in sorted((root / split).glob("shard_*.npz")):
        with np.load(p) as z:
            arrays = {k: z[k] for k in z.files}  # read each array once
        meta = json.loads(str(arrays["meta"]))
        ao, so, wo = arrays["audio_off"], arrays["seg_off"], arrays["word_off"]
        for i, m in enumerate(meta):
            out.append({"audio": arrays["audio"][ao[i]:ao[i + 1]].copy(),
                        "seg": arrays["seg"][so[i]:so[i + 1]].copy(),
                        "word": arrays["word"][wo[i]:wo[i + 1]].copy(), "meta": m})
    return out


def build(root: Path, split: str, hours: float, max_utts: int, seed: int, shard_size: int) -> None:
    out = root / split
    out.mkdir(parents=True, exist_ok=True)
    for p in out.glob("shard_*.npz"):
        p.unlink()
    pool: list[np.ndarray] = []
    items: list = []
    total = 0.0
    n = 0
    shard = 0
    t_start = time.time()
    while total < hours * 3600 and n < max_utts:
        pcm, seg, tok, meta, clean = make_utterance(n, split, seed, pool,
                                                    0.25 if split == "train" else 0.4)
        pool.append(clean)
        if len(pool) > 40:
            pool.pop(0)
        items.append((pcm, seg, tok, meta))
        total += len(pcm) / SR_OUT
        n += 1
        if len(items) == shard_size:
            write_shard(out / f"shard_{shard:03d}.npz", items)
            items, shard = [], shard + 1
    if items:
        write_shard(out / f"shard_{shard:03d}.npz", items)
    print(f"{split}: {n} utterances, {total / 3600:.2f} h, {time.time() - t_start:.0f} s")


def main() -> None:
    ap = argparse.ArgumentParser(description="Synthesise the eSpeak NG corpus (train + test).")
    ap.add_argument("--out", default=str(Path(__file__).with_name("data")))
    ap.add_argument("--train-hours", type=float, default=2.0)
    ap.add_argument("--test-utts", type=int, default=300)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--shard-size", type=int, default=250)
    ap.add_argument("--splits", default="train,test")
    args = ap.parse_args()
    root = Path(args.out)
    for split in args.splits.split(","):
        if split == "train":
            build(root, "train", args.train_hours, 10 ** 9, args.seed, args.shard_size)
        else:
            build(root, "test", 1e9, args.test_utts, args.seed, args.shard_size)


if __name__ == "__main__":
    main()
