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

Clip by clip (the shipping rule's damage check, docs/alignment-results.md): ``--per-clip F``
writes one JSON line per clip (words outside the stretch, their MAE and largest error,
re-anchors...), ``--max-clip-ms 500`` exits 1 and names the clips whose words outside the
stretch are off by more than that on average (the search re-anchored at a wrong place and
stayed there, or found its place again only seconds later). ``--check F...`` applies that limit
to per-clip files already written; ``--baseline B...`` (the same runs with the committed model)
counts only the clips the committed model keeps within it.

Other speech between two words (``--insert``): the SECONDS of FILLER are inserted in the pause
before the middle word instead of replacing the middle, so every word of the transcript is
still read; the 3 words on each side of it are the inside ones, every other word outside (the
reference after the cut moves by SECONDS):

    python damage_eval.py SETS/saa_test/manifest.jsonl SETS/maus/manifest.jsonl --seconds 5 --insert

``--insert-at end`` puts it before the last 3 words instead (the 3 before and the last 3 are
the inside ones).

A restarted reading (``--restart K``): instead of other speech, the reader goes back K words and
reads them again (the audio of words j-K .. j-1 is inserted again before word j, j = K + lead;
the transcript is unchanged). Scored like the damage above on the words outside the repeated
ones (before j-K: the first reading; from j on: shifted by the inserted audio); the repeated
words count as inside. ``--concat S`` joins consecutive utterances into clips of at least S
seconds first (evaluate.py --concat), so that far restarts fit in a clip:

    python damage_eval.py SETS/saa_test/manifest.jsonl --restart 40 --per-clip F --max-clip-ms 500
    python damage_eval.py SETS/maus/manifest.jsonl --restart 80 --concat 120 --max-clip-ms 500
"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "aligner"))
try:
    from . import g2p, realspeech
except ImportError:  # pragma: no cover
    import g2p  # type: ignore[no-redef]
    import realspeech  # type: ignore[no-redef]


@dataclass
class ClipDamage:
    """One damaged clip's alignment, scored on the words outside the stretch."""
    id: str
    seconds: float          # length of the replaced stretch
    words: int              # words of the transcript
    words_outside: int      # placed words with a reference wholly outside the stretch
    mae_outside_ms: float   # mean word error (mean of |start| and |end| error) of those words
    max_outside_ms: float   # the largest of those word errors
    nf: int = 0
    reanchor: int = 0
    back: int = 0
    second_pass: int = 0
    interpolated: int = 0


def word_errors(ref: np.ndarray, hyp: list[tuple[float, float] | None], lo_s: float,
                hi_s: float) -> tuple[list[float], list[float]]:
    """Word errors in ms (mean of the start and end error) of the words inside and outside the
    stretch [lo_s, hi_s). ref [n, 2] in s (start < 0: no reference); hyp per word (start, end)
    in s, or None when not placed. A word is inside when its reference overlaps the stretch."""
    e_in: list[float] = []
    e_out: list[float] = []
    for h, (s0, e0) in zip(hyp, ref):
        if h is None or s0 < 0:
            continue
        err = (abs(h[0] - s0) + abs(h[1] - e0)) / 2 * 1000
        (e_in if (e0 > lo_s and s0 < hi_s) else e_out).append(err)
    return e_in, e_out


@dataclass
class Restart:
    """A restarted reading built from a clip: audio, reference in the new timeline, the
    repeated words [lo_word, hi_word) and the inserted seconds (insert_case(): the words next
    to the inserted speech)."""
    pcm: np.ndarray
    ref: np.ndarray
    lo_word: int
    hi_word: int
    seconds: float


def pause_before(ref: np.ndarray, j: int, sr: int) -> int:
    """The sample half-way between word j-1's reference end and word j's start."""
    return int(round((ref[j - 1, 1] + ref[j, 0]) / 2 * sr))


def heard_before(pcm: np.ndarray, ref: np.ndarray, j: int, cut: int, audio: np.ndarray,
                 lo_word: int, hi_word: int, sr: int) -> Restart:
    """`audio` heard at sample `cut`, in the pause before word j: the reference of words j..
    moves by its length; [lo_word, hi_word) are the inside words."""
    shift = len(audio) / sr
    ref2 = ref.copy()
    ref2[j:] = np.where(ref[j:] >= 0, ref[j:] + shift, -1.0)
    return Restart(np.concatenate([pcm[:cut], audio, pcm[cut:]]), ref2, lo_word, hi_word, shift)


def restart_case(pcm: np.ndarray, ref: np.ndarray, k: int, lead: int,
                 sr: int = 16000) -> Restart | None:
    """The reader reads words 0 .. j-1 (j = k + lead), goes back and reads words j-k .. j-1
    again, then goes on with word j: the audio from the pause before word j-k to the pause
    before word j (each cut half-way between the two words' reference edges, at most 50 ms
    before word j-k) is inserted again before word j; the reference of words j.. moves by its
    length. None when the clip has too few words (j + 8 words needed) or no reference there."""
    j = k + lead
    if k < 1 or j + 8 > len(ref) or min(ref[j - k, 0], ref[j - 1, 1], ref[j, 0]) < 0:
        return None
    cut = pause_before(ref, j, sr)
    b = ref[j - k, 0] - 0.05
    if j - k > 0 and ref[j - k - 1, 1] >= 0:
        b = max(b, (ref[j - k - 1, 1] + ref[j - k, 0]) / 2)
    beg = int(round(max(b, 0.0) * sr))
    return heard_before(pcm, ref, j, cut, pcm[beg:cut], j - k, j, sr)


def insert_case(pcm: np.ndarray, ref: np.ndarray, filler: np.ndarray, near: int = 3,
                sr: int = 16000, at_end: bool = False) -> Restart | None:
    """Other speech inserted between two words (``--insert``): FILLER's audio is heard in the
    pause before word j, the middle word len(ref) // 2 (``at_end``: the `near`-th word from the
    end, ``--insert-at end``), cut half-way between the two words' reference edges; every word
    of the transcript is still read, the reference of words j.. moves by its length. The `near`
    words on each side of it are the inside ones (lo_word .. hi_word; scored as a restart's
    repeated words with no second reading). None when the clip has too few words (2 x near) or
    no reference there."""
    j = len(ref) - near if at_end else len(ref) // 2
    if j < near or j + near > len(ref) or min(ref[j - 1, 1], ref[j, 0]) < 0:
        return None
    return heard_before(pcm, ref, j, pause_before(ref, j, sr), filler, j - near, j + near, sr)


def restart_errors(ref: np.ndarray, hyp: list[tuple[float, float] | None], lo_word: int,
                   hi_word: int, shift: float = 0.0) -> tuple[list[float], list[float]]:
    """Word errors in ms (as word_errors) of the repeated words [lo_word, hi_word) (inside:
    either reading may be the one placed: the error to the nearer one; the second reading lies
    `shift` seconds after the first) and of the others (outside)."""
    e_in: list[float] = []
    e_out: list[float] = []
    for i, (h, (s0, e0)) in enumerate(zip(hyp, ref)):
        if h is None or s0 < 0:
            continue
        err = (abs(h[0] - s0) + abs(h[1] - e0)) / 2 * 1000
        if lo_word <= i < hi_word:
            e_in.append(min(err, (abs(h[0] - s0 - shift) + abs(h[1] - e0 - shift)) / 2 * 1000))
        else:
            e_out.append(err)
    return e_in, e_out


def clip_damage(clip_id: str, seconds: float, ref: np.ndarray,
                hyp: list[tuple[float, float] | None], lo_s: float, hi_s: float,
                restart: tuple[int, int, float] | None = None,
                **counts: int) -> tuple[ClipDamage, list[float], list[float]]:
    """The clip's record (counts: nf, reanchor, back, second_pass, interpolated) and its
    inside / outside word errors; restart: the repeated words [lo, hi) of a restarted reading
    are the inside ones, the second reading `shift` seconds after the first (lo_s / hi_s
    unused)."""
    e_in, e_out = (word_errors(ref, hyp, lo_s, hi_s) if restart is None
                   else restart_errors(ref, hyp, *restart))
    rec = ClipDamage(clip_id, seconds, len(hyp), len(e_out),
                     round(float(np.mean(e_out)), 3) if e_out else 0.0,
                     round(float(np.max(e_out)), 3) if e_out else 0.0, **counts)
    return rec, e_in, e_out


def wrong_place(clips: list[ClipDamage], max_clip_ms: float,
                baseline: list[ClipDamage] | None = None) -> list[ClipDamage]:
    """Clips whose words outside the stretch are off by more than max_clip_ms on average; with
    a baseline (the same run with the committed model), only those the baseline keeps within
    the limit (a clip the baseline also misplaces is not new)."""
    excused = set() if baseline is None else {
        (c.id, c.seconds) for c in baseline if c.mae_outside_ms > max_clip_ms}
    return [c for c in clips
            if c.mae_outside_ms > max_clip_ms and (c.id, c.seconds) not in excused]


def load_clips(path: Path) -> list[ClipDamage]:
    return [ClipDamage(**json.loads(line)) for line in Path(path).read_text().splitlines()
            if line.strip()]


def report_wrong_place(clips: list[ClipDamage], max_clip_ms: float, where: str,
                       baseline: list[ClipDamage] | None = None) -> int:
    """Print the verdict; 1 when a clip is over the limit (and not over it in the baseline)."""
    bad = wrong_place(clips, max_clip_ms, baseline)
    over = wrong_place(clips, max_clip_ms)
    worst = max(clips, key=lambda c: c.mae_outside_ms, default=None)
    if worst is not None:
        print(f"{where}: {len(clips)} clips, worst clip {worst.id} {worst.mae_outside_ms:.1f} ms "
              f"outside the stretch; over {max_clip_ms:g} ms: {len(over)}"
              + ("" if baseline is None else f", of them not over it in the baseline: {len(bad)}"))
    for c in bad:
        print(f"  WRONG PLACE {c.id} ({c.seconds:g} s): {c.words_outside} words outside the "
              f"stretch, MAE {c.mae_outside_ms:.1f} ms, max {c.max_outside_ms:.1f} ms, "
              f"re-anchors {c.reanchor} (behind {c.back})")
    return 1 if bad else 0


def check(paths: list[Path], max_clip_ms: float, baselines: list[Path] | None = None) -> int:
    """Apply the limit to per-clip files (each against the baseline file at the same position,
    if given); 0 pass, 1 a clip over the limit, 2 a missing or malformed file."""
    if baselines is not None and len(baselines) != len(paths):
        print(f"error: {len(paths)} per-clip files but {len(baselines)} baselines",
              file=sys.stderr)
        return 2
    loaded: list[list[ClipDamage]] = []
    for p in paths + (baselines or []):
        if not p.is_file():
            print(f"error: {p} is not a per-clip file", file=sys.stderr)
            return 2
        try:
            loaded.append(load_clips(p))
        except (ValueError, TypeError) as e:
            print(f"error: {p} is not a damage_eval.py --per-clip file ({e})", file=sys.stderr)
            return 2
    status = 0
    for i, p in enumerate(paths):
        base = loaded[len(paths) + i] if baselines else None
        status |= report_wrong_place(loaded[i], max_clip_ms, str(p), base)
    return status


def new_totals() -> dict[str, int]:
    """The run's counters, summed over clips by align_counted()."""
    return {"clips": 0, "words": 0, "nf": 0, "second_pass": 0, "interpolated": 0, "reanchor": 0,
            "back": 0}


def align_counted(host, pcm: np.ndarray, phones: list, tot: dict[str, int]
                  ) -> tuple[list[tuple[float, float] | None], dict[str, int]]:
    """Aligns one damaged clip with the host build of the firmware's aligner: its word times in
    seconds (None = not found) and its counters (words not found, re-anchors, of them backwards,
    second passes, interpolated words), which are added to tot with the clip and its words."""
    res, st = host.align_logits(host.logits(host.features(pcm)), phones)
    counts = {"nf": sum(r.nf for r in res), "reanchor": st.n_reanchor, "back": st.n_back,
              "second_pass": st.n_second, "interpolated": st.n_filled}
    tot["clips"] += 1
    tot["words"] += len(res)
    for key, v in counts.items():
        tot[key] += v
    return [None if r.nf else (r.start_ms / 1000, r.end_ms / 1000) for r in res], counts


def main() -> int:
    ap = argparse.ArgumentParser(description="Align real clips with a stretch replaced by other "
                                 "speech; report how the search keeps its place.")
    ap.add_argument("manifest", type=Path, nargs="?", help="realspeech.py manifest of the clips")
    ap.add_argument("filler", type=Path, nargs="?",
                    help="manifest whose audio replaces the stretch")
    ap.add_argument("--seconds", type=float, default=4.0, help="length of the stretch")
    ap.add_argument("--limit", type=int, default=None, help="first N clips only")
    ap.add_argument("--model", type=Path, default=None,
                    help="model_data.c of the model to use (default: the committed export)")
    ap.add_argument("--per-clip", type=Path, default=None,
                    help="write one JSON line per clip (words outside the stretch, their MAE "
                    "and largest error, re-anchors, ...)")
    ap.add_argument("--max-clip-ms", type=float, default=None,
                    help="exit 1 when a clip's words outside the stretch are off by more than "
                    "this on average (the shipping rule: 500)")
    ap.add_argument("--check", type=Path, nargs="+", default=None, metavar="PER_CLIP",
                    help="only apply --max-clip-ms (default 500) to per-clip files already "
                    "written; no alignment")
    ap.add_argument("--baseline", type=Path, nargs="+", default=None, metavar="PER_CLIP",
                    help="with --check: the same runs with the committed model, one per checked "
                    "file in the same order; a clip it also puts over the limit is not counted")
    ap.add_argument("--restart", type=int, default=None, metavar="K",
                    help="a restarted reading instead of other speech: the reader goes back K "
                    "words and reads them again (no FILLER)")
    ap.add_argument("--lead", type=int, default=10,
                    help="with --restart: words read before the first repeated one (10)")
    ap.add_argument("--insert", action="store_true",
                    help="insert the SECONDS of FILLER in the pause before the middle word "
                    "instead of replacing the middle: every word is still read; the 3 words on "
                    "each side are the inside ones")
    ap.add_argument("--insert-at", choices=["middle", "end"], default="middle",
                    help="with --insert: before the middle word (default) or before the last 3 "
                    "words")
    ap.add_argument("--concat", type=float, default=0.0, metavar="S",
                    help="with --restart: join consecutive utterances into clips of at least S "
                    "seconds first (evaluate.py --concat; clips too short for K are left out)")
    a = ap.parse_args()
    if a.check:
        return check(a.check, 500.0 if a.max_clip_ms is None else a.max_clip_ms, a.baseline)
    if a.baseline:
        ap.error("--baseline goes with --check")
    if a.manifest is None or (a.filler is None and a.restart is None):
        ap.error("MANIFEST and FILLER are required (or --check PER_CLIP..., or MANIFEST "
                 "--restart K)")
    if a.insert and a.restart is not None:
        ap.error("--insert goes with FILLER, not with --restart")
    if a.insert_at != "middle" and not a.insert:
        ap.error("--insert-at goes with --insert")
    if a.restart is not None and (a.restart < 1 or a.lead < 0):
        ap.error("--restart needs K >= 1 and --lead >= 0")
    for p in (a.manifest,) + ((a.filler,) if a.restart is None else ()):
        if not p.is_file():
            print(f"error: {p} is not a manifest file", file=sys.stderr)
            return 2
    if a.model is not None and not a.model.is_file():
        print(f"error: {a.model} is not a model_data.c file", file=sys.stderr)
        return 2
    import host
    import soundfile as sf
    host.set_default_model(a.model if a.model is not None else host.REAL_MODEL)
    if a.restart is not None:
        return restart_main(a, host)
    items = realspeech.load_manifest(a.manifest)[:a.limit]
    src = np.concatenate([sf.read(i["wav"], dtype="int16")[0]
                          for i in realspeech.load_manifest(a.filler)[:60]])
    n = int(a.seconds * realspeech.SR)
    tot = new_totals()
    e_in: list[float] = []
    e_out: list[float] = []
    clips: list[ClipDamage] = []
    for k, it in enumerate(items):
        pcm, _ = sf.read(it["wav"], dtype="int16")
        off = (k * 3 * realspeech.SR) % max(1, len(src) - n)
        ref = np.array(it["words"], float).reshape(-1, 2)
        lo_s = hi_s = 0.0
        restart = None
        if a.insert:                       # other speech between two words: all still read
            case = insert_case(pcm, ref, src[off:off + n], at_end=a.insert_at == "end")
            if case is None:
                continue
            x, ref, restart = case.pcm, case.ref, (case.lo_word, case.hi_word, 0.0)
        else:                              # the middle replaced by other speech
            lo = max(0, len(pcm) // 2 - n // 2)
            hi = min(len(pcm), lo + n)
            x = pcm.copy()
            x[lo:hi] = src[off:off + hi - lo]
            lo_s, hi_s = lo / realspeech.SR, hi / realspeech.SR
        words = g2p.transcript_phones(it["text"], "en-us")
        hyp, counts = align_counted(host, x, [w.phones for w in words], tot)
        rec, ci, co = clip_damage(str(it.get("id", k)), a.seconds, ref, hyp, lo_s, hi_s,
                                  restart=restart, **counts)
        clips.append(rec)
        e_in += ci
        e_out += co
    print(f"{'inserted' if a.insert else 'stretch'} {a.seconds:g} s: {tot}")
    print(f"words {'next to it' if a.insert else 'inside the stretch'}: {len(e_in)}, "
          f"MAE {np.mean(e_in) if e_in else 0:.1f} ms; "
          f"outside: {len(e_out)}, MAE {np.mean(e_out) if e_out else 0:.1f} ms")
    return finish(a, clips)


def restart_main(a: argparse.Namespace, host) -> int:
    """--restart K: every clip (of --concat S joined utterances) with K words read again."""
    try:
        from . import evaluate
    except ImportError:  # pragma: no cover
        import evaluate  # type: ignore[no-redef]
    tot = new_totals()
    e_in: list[float] = []
    e_out: list[float] = []
    clips: list[ClipDamage] = []
    for pcm, phones, ref, _text, cid, _spk in evaluate.manifest_clips(
            a.manifest, a.limit, a.concat, with_text=True):
        case = restart_case(pcm, ref, a.restart, a.lead)
        if case is None:
            continue
        hyp, counts = align_counted(host, case.pcm, phones, tot)
        rec, ci, co = clip_damage(str(cid), round(case.seconds, 3), case.ref, hyp, 0.0, 0.0,
                                  restart=(case.lo_word, case.hi_word, case.seconds),
                                  **counts)
        clips.append(rec)
        e_in += ci
        e_out += co
    if not clips:
        print(f"error: no clip of {a.manifest} has {a.restart + a.lead + 8} words (--concat?)",
              file=sys.stderr)
        return 2
    print(f"restart {a.restart} words back: {tot}")
    print(f"repeated words: {len(e_in)}, MAE {np.mean(e_in) if e_in else 0:.1f} ms; "
          f"others: {len(e_out)}, MAE {np.mean(e_out) if e_out else 0:.1f} ms")
    return finish(a, clips)


def finish(a: argparse.Namespace, clips: list[ClipDamage]) -> int:
    """--per-clip and --max-clip-ms."""
    if a.per_clip is not None:
        tmp = a.per_clip.with_name(a.per_clip.name + ".tmp")
        tmp.write_text("".join(json.dumps(asdict(c)) + "\n" for c in clips))
        tmp.replace(a.per_clip)
    if a.max_clip_ms is not None:
        return report_wrong_place(clips, a.max_clip_ms, str(a.manifest))
    return 0


if __name__ == "__main__":
    sys.exit(main())
