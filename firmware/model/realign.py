"""Re-label real speech with our own model, the way Kaldi and the Montreal Forced Aligner iterate.

For every manifest item (16 kHz wav + transcript, see realspeech.py), the int8 network's log
posteriors (reference.py, bit exact with the firmware) are force-aligned with a FULL Viterbi
(align_np.py: no beam, no bounded memory) through the transcript's phone chain as the firmware
sees it (g2p.transcript_phones: eSpeak pronunciations, optional silence between words).  The
best path gives new phone segments (``phones``, including silence) and word times (``words``);
the item's previous ``words`` are kept as ``prev_words`` (e.g. the PocketSphinx or WebMAUS times)
so that the two labellings can be compared (--compare), and ``fit`` (mean nats per frame by
which the path's class lies below the network's best class: high = the transcript and the audio
disagree, e.g. a misread word; a filter for training).  Times are frame boundaries:
``t * 10 ms + frame_offset_s``, which dataset.frame_labels maps back to the same frames.

    python realign.py IN_MANIFEST OUT_MANIFEST [--model export/model.json] [--jobs 2]
    python realign.py IN OUT --labeller pocketsphinx    # PocketSphinx 5 labels instead
    python realign.py --compare A_MANIFEST B_MANIFEST     # word agreement of two labellings

A PocketSphinx reference adapted to each speaker (VTLN warp, MLLR; for L2 and child speakers) is
made by the sibling module ps_adapt.py (Debian sphinxtrain tools).

Items with no phone for any word get no labels and are left out.  The output is written
atomically (a .tmp file renamed at the end); nothing is written inside the repository unless
you ask for it.
"""
from __future__ import annotations

import argparse
import json
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

try:
    from . import align_np, g2p, metrics, realspeech, reference
    from .realspeech import load_manifest
except ImportError:  # pragma: no cover
    import align_np  # type: ignore[no-redef]
    import g2p  # type: ignore[no-redef]
    import metrics  # type: ignore[no-redef]
    import realspeech  # type: ignore[no-redef]
    import reference  # type: ignore[no-redef]
    from realspeech import load_manifest  # type: ignore[no-redef]

FRAME_S = 0.010
_MODEL: reference.Model | None = None


def force_align(lp: np.ndarray, word_phones: list[list[int]], hp: align_np.HmmParams
                ) -> tuple[list[list[float]], list[list[float]], float] | None:
    """(phone segments [[class, start, end]], word times [[start, end]] per word (-1 = none),
    fit: mean nats per frame by which the path's class is below the network's best class)."""
    if not any(word_phones):
        return None
    cls, word, opt, phone = align_np.build_graph(word_phones, hp)
    if lp.shape[0] < int((~opt).sum()):
        return None
    path = align_np.viterbi(lp - hp.prior_weight * hp.log_prior[None, :], cls, opt, hp)
    inst = phone[path]
    fit = float(np.mean(lp.max(axis=1) - lp[np.arange(len(path)), cls[path]]))
    t_of = lambda t: round(t * FRAME_S + hp.frame_offset_s, 4)  # noqa: E731
    change = np.nonzero(np.diff(inst))[0] + 1
    starts = np.concatenate([[0], change])
    ends = np.concatenate([change, [len(path)]])
    segs: list[list[float]] = []
    for a, b in zip(starts, ends):
        c = int(cls[path[a]])
        a_s = 0.0 if a == 0 else t_of(a)
        b_s = round(len(path) * FRAME_S + hp.frame_offset_s, 4) if b == len(path) else t_of(b)
        if segs and c == 0 and segs[-1][0] == 0:      # sil after sil (cannot happen; be safe)
            segs[-1][2] = b_s
        else:
            segs.append([c, a_s, b_s])
    wpath = word[path]
    words: list[list[float]] = []
    for wi in range(len(word_phones)):
        idx = np.nonzero(wpath == wi)[0]
        words.append([t_of(idx[0]), t_of(idx[-1] + 1)] if len(idx) else [-1.0, -1.0])
    return segs, words, fit


def _init(model_path: str) -> None:
    global _MODEL
    _MODEL = reference.load(model_path)


def relabel(item: dict) -> dict | None:
    """The item with our model's labels (None: it cannot be aligned)."""
    assert _MODEL is not None
    pcm = realspeech.read_pcm16k(item["wav"])
    toks = g2p.transcript_phones(item["text"], "en-us")
    hp = align_np.HmmParams.of(_MODEL)
    r = force_align(reference.log_posteriors(_MODEL, pcm), [t.phones for t in toks], hp)
    if r is None:
        return None
    return _relabelled(item, r[0], r[1], "realign", fit=round(r[2], 4))


def _relabelled(item: dict, phones: list | None, words: list, ref: str, **extra: object
                ) -> dict:
    """A copy of the manifest item with new labels; the labels it had stay as prev_*."""
    out = dict(item)
    out["prev_ref"], out["prev_words"] = item.get("ref"), item.get("words")
    out["phones"], out["words"], out["ref"] = phones, words, ref
    out.update(extra)
    return out


def relabel_pocketsphinx(item: dict, dec: object | None = None, ref: str = "pocketsphinx",
                         **extra: object) -> dict | None:
    """The item with PocketSphinx labels, edges clipped as for training (realspeech.py).
    dec: a pocketsphinx.Decoder (default: the en-us model; ps_adapt.py passes an adapted one);
    ref and extra: the labels' name and further fields of the new item."""
    pcm = realspeech.read_pcm16k(item["wav"])
    r = realspeech.ps_align(pcm, item["text"], dec)
    if r is None:
        return None
    words = realspeech.ps_word_refs(r[0], g2p.transcript_phones(item["text"], "en-us"))
    words, phones = realspeech.fix_ps_edges(pcm, words, realspeech.ps_phone_labels(r[1]))
    return _relabelled(item, phones, words, ref, **extra)


def compare(a: list[dict], b: list[dict]) -> dict:
    """Word-boundary agreement of two labellings of the same items (matched by id)."""
    by_id = {x["id"]: x for x in b}
    st = metrics.BoundaryStats()
    n = 0
    for x in a:
        y = by_id.get(x["id"])
        if y is None or len(y["words"]) != len(x["words"]):
            continue
        keep = [k for k, (w, v) in enumerate(zip(x["words"], y["words"]))
                if w[0] >= 0 and v[0] >= 0]
        st.add(np.array([x["words"][k] for k in keep]).reshape(-1, 2),
               [tuple(y["words"][k]) for k in keep])
        n += 1
    return st.summary() | {"utts": n}


def main() -> int:
    ap = argparse.ArgumentParser(description="Force-align real-speech manifest items with our own "
                                 "int8 model (full Viterbi) to make new training labels, or "
                                 "compare two labellings (--compare).")
    ap.add_argument("inp", type=Path, help="input manifest (realspeech.py format)")
    ap.add_argument("out", type=Path, help="output manifest, or with --compare the second "
                    "labelling to compare with the first")
    ap.add_argument("--model", default=str(reference.DEFAULT_MODEL), help="exported model.json")
    ap.add_argument("--jobs", type=int, default=1, help="worker processes")
    ap.add_argument("--limit", type=int, default=None, help="first N items only")
    ap.add_argument("--labeller", choices=["own", "pocketsphinx"], default="own",
                    help="own: our int8 model + full Viterbi (default); pocketsphinx: PocketSphinx "
                    "5 forced alignment (to compare the two labellings)")
    ap.add_argument("--compare", action="store_true",
                    help="print the word agreement of IN (reference) and OUT (hypothesis)")
    a = ap.parse_args()
    for p in ([a.inp, a.out] if a.compare else [a.inp]):
        if not p.is_file():
            print(f"error: {p} is not a manifest file", file=sys.stderr)
            return 2
    if a.compare:
        print(json.dumps(compare(load_manifest(a.inp)[:a.limit], load_manifest(a.out))))
        return 0
    items = load_manifest(a.inp)[:a.limit]
    with ProcessPoolExecutor(max(1, a.jobs), initializer=_init, initargs=(a.model,)) as ex:
        fn = relabel if a.labeller == "own" else relabel_pocketsphinx
        got = list(ex.map(fn, items, chunksize=4))
    lines = [g for g in got if g is not None]
    realspeech._write_manifest(a.out, lines)
    print(f"{len(lines)} of {len(items)} items relabelled -> {a.out}")
    return 0 if lines else 1


if __name__ == "__main__":
    sys.exit(main())
