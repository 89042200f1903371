"""Evaluate word alignment on the held-out TEST voices (variants never seen in training).

Prefers the C aligner through firmware/aligner/host.py (what the firmware runs); falls back to
the NumPy development aligner (align_np.py) with a loud note.  Prints a markdown table: word
boundary MAE (starts, ends, overall), share within 10/20/25/50/100 ms, boundary F1 at 20 ms
(one-to-one matching), NF words.  --clip aligns one wav + transcript.

--firmware ELF runs the FIRMWARE instead, on the simulator: every clip is one job of a
`simulate batch` (simulator.batch.align.align_clips: local process pool or Dask, each job's
report stored in --out as it finishes, a rerun with the same --out reuses finished jobs, a
failed job retried once then reported), scored with the same metrics.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

try:
    from . import align_np, g2p, metrics, realspeech, reference, targets
    from .corpus import load_split
except ImportError:  # pragma: no cover
    import align_np  # type: ignore
    import g2p
    import metrics
    import realspeech
    import reference
    import targets  # type: ignore[no-redef]
    from corpus import load_split  # type: ignore[no-redef]

HERE = Path(__file__).parent
HOST_PY = HERE.parent / "aligner" / "host.py"

Aligner = Callable[[np.ndarray, list[list[int]]], list[tuple[float | None, float | None]]]


def numpy_aligner(model: reference.Model) -> Aligner:
    hp = align_np.HmmParams.of(model)

    def run(pcm: np.ndarray, word_phones: list[list[int]]) -> list[tuple[float | None, float | None]]:
        lp = reference.log_posteriors(model, pcm)
        return [(r.start, r.end) for r in align_np.align(lp, word_phones, hp)]
    return run


def c_aligner(beam: float | None = None, model_c: Path | None = None) -> Aligner | None:
    """The C host library through firmware/aligner/host.py, or None if unavailable."""
    if not HOST_PY.exists():
        return None
    try:
        spec = importlib.util.spec_from_file_location("aligner_host", HOST_PY)
        assert spec and spec.loader
        mod = importlib.util.module_from_spec(spec)
        sys.modules["aligner_host"] = mod
        spec.loader.exec_module(mod)
        fn = getattr(mod, "align", None)
        if fn is None:
            return None
        inst = fn
        if model_c is not None:
            mod.set_default_model(model_c)     # the C library built with that exported model

        def run(pcm: np.ndarray, word_phones: list[list[int]]) -> list[tuple[float | None, float | None]]:
            res = inst(pcm, word_phones) if beam is None else inst(pcm, word_phones, beam=beam)
            out: list[tuple[float | None, float | None]] = []
            for r in res:
                if isinstance(r, dict):
                    s, e = r.get("start_ms"), r.get("end_ms")
                else:
                    s, e = getattr(r, "start_ms", None), getattr(r, "end_ms", None)
                    if s is None and isinstance(r, (tuple, list)):
                        s, e = r[0], r[1]
                nf = (isinstance(r, dict) and r.get("nf")) or getattr(r, "nf", False)
                out.append((None, None) if nf or s is None or s < 0 else (s / 1000.0, e / 1000.0))
            return out
        return run
    except Exception as exc:  # noqa: BLE001
        print(f"# host.py present but unusable ({exc!r})", file=sys.stderr)
        return None


def through(aligner: Aligner, process: Callable[[np.ndarray], np.ndarray]) -> Aligner:
    """The aligner, fed every clip after ``process`` (--narrowband, --vocode)."""
    return lambda pcm, word_phones: aligner(process(pcm), word_phones)


class FirmwareAligner:
    """The aligner firmware on the simulator: all clips of an evaluation as one batch
    (simulator.batch), not a loop of runs. ``align_all`` takes (pcm, phones, text) per clip
    and returns the firmware's word times per clip (None: the job failed, or the firmware's
    transcript has another word count than the reference)."""

    def __init__(self, elf: Path, out: Path, jobs: int | None, engine: str,
                 scheduler: str | None, mhz: float | None) -> None:
        self.elf, self.out, self.jobs, self.engine = elf, out, jobs, engine
        self.scheduler, self.mhz = scheduler, mhz
        self.failed = 0

    def name(self) -> str:
        return (f"firmware {self.elf.name} on the simulator (simulator.batch, engine "
                f"{self.engine}{f', {self.mhz:g} MHz' if self.mhz else ''}; reports in {self.out})")

    def align_all(self, clips: list[tuple[np.ndarray, list, str]], tag: str
                  ) -> list[list[tuple[float | None, float | None]] | None]:
        root = Path(__file__).resolve().parents[2]
        if str(root) not in sys.path:
            sys.path.insert(0, str(root))
        from simulator.batch.align import EvalClip, align_clips

        got = align_clips(self.elf, [EvalClip(f"{tag}_{k:05d}", pcm, text)
                                     for k, (pcm, _ph, text) in enumerate(clips)],
                          self.out, jobs=self.jobs, engine=self.engine,
                          scheduler=self.scheduler, mhz=self.mhz)
        out: list[list[tuple[float | None, float | None]] | None] = []
        for g, (_pcm, phones, _text) in zip(got, clips):
            if g.words is None or (phones is not None and len(g.words) != len(phones)):
                self.failed += 1
                print(f"# {g.id}: " + (g.error or f"{len(g.words)} words from the firmware, "
                                       f"{len(phones)} in the reference: not scored"),
                      file=sys.stderr)
                out.append(None)
            else:
                out.append(g.words)
        return out


def _align_all(aligner: Aligner | FirmwareAligner, clips: list[tuple[np.ndarray, list, str]],
               tag: str) -> list[list[tuple[float | None, float | None]] | None]:
    if isinstance(aligner, FirmwareAligner):
        return aligner.align_all(clips, tag)
    return [aligner(pcm, phones) for pcm, phones, _text in clips]


def pick_aligner(model: reference.Model, which: str, beam: float | None = None,
                 model_c: Path | None = None) -> tuple[Aligner, str]:
    if which in ("auto", "c"):
        c = c_aligner(beam, model_c)
        if c is not None:
            return c, "C aligner (firmware/aligner/host.py" + (
                f", beam {beam})" if beam is not None else ", its default beam)")
        if which == "c":
            sys.exit("C aligner requested but firmware/aligner/host.py is not usable")
    print("#" * 78 + "\n# NOTE: C host aligner not available -> using the NumPy DEVELOPMENT aligner"
          "\n# (align_np.py).  Numbers are indicative of the model, not of the firmware.\n"
          + "#" * 78, file=sys.stderr)
    return numpy_aligner(model), "NumPy development aligner (align_np.py)"


def degraded(args: argparse.Namespace) -> bool:
    return args.gain is not None or args.noise is not None or args.reverb is not None


def processing(args: argparse.Namespace) -> Callable[[Aligner], tuple[Aligner, str]]:
    """--narrowband, --vocode, then --reverb / --noise / --gain: a wrapper that gives an aligner
    every clip after them (and says what was done); the identity when none is given."""
    def wrap(aligner: Aligner) -> tuple[Aligner, str]:
        if not (args.narrowband or args.vocode or degraded(args)):
            return aligner, ""
        try:
            from . import augment
        except ImportError:  # pragma: no cover
            import augment  # type: ignore[no-redef]
        name = ""
        if args.narrowband:   # what an 8 kHz recording or voice gives once resampled to 16 kHz
            rate = args.narrowband
            aligner = through(aligner, lambda pcm: augment.narrowband(pcm, rate))
            name += f", audio through {rate} Hz"
        if args.vocode:       # each clip's draws seeded with --seed and its length: deterministic
            seed = args.seed
            aligner = through(aligner, lambda pcm: augment.vocode(
                pcm, np.random.default_rng([seed, len(pcm)])))
            name += ", audio through an LPC vocoder"
        if degraded(args):
            aligner, what = degrade(aligner, args, augment)
            name += ", " + what
        return aligner, name
    return wrap


def degrade(aligner: Aligner, args: argparse.Namespace, augment) -> tuple[Aligner, str]:
    """The aligner fed every clip after --reverb, --noise, --gain (in that order: a room, a
    noisy place, a microphone's gain); each clip's draws seeded by --seed and its length."""
    def spec(text: str, opt: str) -> list[str]:
        parts = text.split(":")
        if len(parts) != 2:
            sys.exit(f"{opt} {text}: expected two values separated by ':'")
        return parts
    steps: list[Callable[[np.ndarray, np.random.Generator], np.ndarray]] = []
    what: list[str] = []
    if args.reverb is not None:
        rt, drr = spec(args.reverb, "--reverb")
        rt60, drr_db = float(rt), float(drr)
        steps.append(lambda x, rng: augment.reverb(x, rt60, rng, drr_db))
        what.append(f"a room of RT60 {rt60:g} s, DRR {drr_db:g} dB")
    if args.noise is not None:
        kind, snr = spec(args.noise, "--noise")
        if kind not in ("white", "pink", "babble"):
            sys.exit(f"--noise {args.noise}: the kind is white, pink or babble")
        snr_db = float(snr)
        pool: list[np.ndarray] = []

        def noisy(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
            n = {"white": lambda: augment.white(len(x), rng),
                 "pink": lambda: augment.pink(len(x), rng),
                 "babble": lambda: augment.babble(len(x), pool, rng)}[kind]()
            if kind == "babble":         # the last 50 clips seen talk in the background
                pool.append(x)
                del pool[:-50]
            return augment.add_noise(x, n, snr_db)
        steps.append(noisy)
        what.append(f"{kind} noise at {snr_db:g} dB SNR")
    if args.gain is not None:
        g = 10 ** (args.gain / 20)
        steps.append(lambda x, rng: x * g)
        what.append(f"{args.gain:+g} dB")
    seed = args.seed

    def process(pcm: np.ndarray) -> np.ndarray:
        rng = np.random.default_rng([seed, len(pcm)])
        x = pcm.astype(np.float32) / 32768.0
        for step in steps:
            x = step(x, rng)
        return np.clip(np.round(np.asarray(x, np.float64) * 32768.0), -32768, 32767).astype(np.int16)
    return through(aligner, process), "audio with " + ", ".join(what)


def clip_record(set_name: str, clip: str, group: str, ref: np.ndarray,
                hyp: list[tuple[float | None, float | None]]) -> dict:
    """One clip's boundary errors for --per-utt (read by paired.py): per-boundary |ref - hyp|
    in ms (starts, ends; unrounded, so that paired.py's within-50-ms shares are the table's:
    on 10 ms grids many errors are 50 ms up to float error), words not placed, and the 20 ms
    matches for F1."""
    st = metrics.BoundaryStats()
    st.add(ref, hyp)
    return {"set": set_name, "clip": clip, "group": group,
            "start_err": st.start_err, "end_err": st.end_err, "nf": st.nf_words,
            "matched": st.matched, "n_ref": st.n_ref, "n_hyp": st.n_hyp}


def evaluate(root: Path, split: str, aligner: Aligner | FirmwareAligner, limit: int | None,
             g2p_voice: str | None, per_utt: list[dict] | None = None
             ) -> list[tuple[str, dict]]:
    utts = load_split(root, split)
    if limit:
        utts = utts[:limit]
    groups: dict[str, metrics.BoundaryStats] = {"all": metrics.BoundaryStats(),
                                                "clean": metrics.BoundaryStats(),
                                                "augmented": metrics.BoundaryStats()}
    per_variant: dict[str, metrics.BoundaryStats] = {}
    t0 = time.time()
    audio_s = sum(len(u["audio"]) for u in utts) / 16000
    clips = [(u["audio"], [w.phones for w in g2p.transcript_phones(
        u["meta"]["text"], g2p_voice or u["meta"]["lang"])], u["meta"]["text"]) for u in utts]
    for k, (u, hyp) in enumerate(zip(utts, _align_all(aligner, clips, split))):
        m = u["meta"]
        if hyp is None:                          # firmware job failed: reported above
            continue
        if per_utt is not None:
            per_utt.append(clip_record("all", f"{split}_{k:05d}", f"{m['voice']}/{m['variant']}",
                                       u["word"], hyp))
        for key in ("all", "clean" if m["aug"].get("clean") else "augmented"):
            groups[key].add(u["word"], hyp)
        per_variant.setdefault(f"variant {m['variant']}", metrics.BoundaryStats()).add(u["word"], hyp)
    dt = time.time() - t0
    print(f"# {len(utts)} utterances, {audio_s / 60:.1f} min audio, {dt:.0f} s "
          f"({audio_s / max(dt, 1e-9):.0f}x real time)", file=sys.stderr)
    return [(k, v.summary()) for k, v in groups.items()] + \
           [(k, v.summary()) for k, v in sorted(per_variant.items())]


def scored_words(it: dict, pcm: np.ndarray) -> list:
    """A manifest item's reference words as scored: PocketSphinx's word edges fixed on the
    recording (realspeech.fix_ps_edges) unless a --save-audio manifest has them fixed already."""
    if it["ref"] == "pocketsphinx" and not it.get("edges_fixed"):
        return realspeech.fix_ps_edges(pcm, it["words"], None)[0]
    return it["words"]


def manifest_clips(path: Path, limit: int | None, concat_s: float = 0.0, with_text: bool = False,
                   voice: str = "en-us", only: set[str] | None = None) -> list[tuple]:
    """(int16 audio, word phones, reference [W,2] s) per utterance of a realspeech.py manifest
    (with_text: and the transcript, 4th, the clip's first utterance id, 5th, and its speakers,
    6th); with concat_s > 0, consecutive utterances (with their own leading / trailing pauses)
    are joined into clips of at least concat_s seconds (the last, shorter remainder is
    dropped); voice: the eSpeak voice of the transcript phones (en-us: what the device is sent);
    only: the utterance ids to keep (None: all)."""
    import soundfile as sf
    items = [it for it in realspeech.load_manifest(path)
             if only is None or str(it.get("id")) in only][:limit]
    clips, cur, texts, ids, spk = [], ([], [], []), [], [], []
    dur = 0.0
    for it in items:
        pcm, _ = sf.read(it["wav"], dtype="int16")
        wp = g2p.transcript_phones(it["text"], voice)
        ref = np.array(scored_words(it, pcm), dtype=float).reshape(-1, 2)
        if len(ref) != len(wp):
            continue
        ref = np.where(ref >= 0, ref + dur, -1.0)
        cur[0].append(pcm)
        cur[1].extend(w.phones for w in wp)
        cur[2].append(ref)
        texts.append(it["text"])
        ids.append(str(it.get("id", len(clips))))
        if it.get("speaker", "?") not in spk:
            spk.append(it.get("speaker", "?"))
        dur += len(pcm) / 16000
        if dur >= concat_s:
            clips.append((np.concatenate(cur[0]), cur[1], np.concatenate(cur[2]))
                         + ((" ".join(texts), ids[0], "+".join(spk)) if with_text else ()))
            cur, dur, texts, ids, spk = ([], [], []), 0.0, [], [], []
    return clips


def evaluate_manifest(path: Path, aligner: Aligner | FirmwareAligner, limit: int | None,
                      concat_s: float = 0.0, per_utt: list[dict] | None = None,
                      voice: str = "en-us", only: set[str] | None = None
                      ) -> list[tuple[str, dict]]:
    """Real speech: a manifest written by realspeech.py (wav, transcript, reference words).
    per_utt: gets one clip_record per clip (the clip's first utterance id, its speakers);
    only: the utterance ids to score (None: all)."""
    clips = manifest_clips(path, limit, concat_s, with_text=True, voice=voice, only=only)
    st = metrics.BoundaryStats()
    t0 = time.time()
    audio_s = sum(len(c[0]) for c in clips) / 16000
    tag = f"{path.parent.name}_c{concat_s:g}"
    ref_kind = realspeech.load_manifest(path)[0]["ref"]
    name = f"{path.parent.name} ({ref_kind})" + (f", clips >= {concat_s:.0f} s" if concat_s else "")
    for (_pcm, _phones, ref, _text, cid, spk), hyp in zip(clips, _align_all(
            aligner, [(c[0], c[1], c[3]) for c in clips], tag)):
        if hyp is not None:
            st.add(ref, hyp)
            if per_utt is not None:
                per_utt.append(clip_record(name, cid, spk, ref, hyp))
    dt = time.time() - t0
    print(f"# {len(clips)} clips, {audio_s / 60:.1f} min audio, {dt:.0f} s", file=sys.stderr)
    return [(name, st.summary())]


def save_audio(paths: list[Path], chain: Callable[[Aligner], Aligner], limit: int | None,
               out: Path) -> int:
    """--save-audio: the clips as they would be scored (each manifest item through ``chain``,
    the same draws as a scoring run of these manifests in this order) as OUT/wav/*.wav and
    OUT/manifest.jsonl, whose words are the reference as scored (PocketSphinx edges fixed on the
    original audio: ``edges_fixed``), for other aligners or listening."""
    import soundfile as sf
    got: list[np.ndarray] = []
    wrapped = chain(lambda pcm, word_phones: got.append(pcm) or [])
    (out / "wav").mkdir(parents=True, exist_ok=True)
    lines = []
    for path in paths:
        for it in realspeech.load_manifest(path)[:limit]:
            pcm, _ = sf.read(it["wav"], dtype="int16")
            words = scored_words(it, pcm)
            wrapped(pcm, [])
            wav = out / "wav" / f"{path.parent.name}_{Path(it['wav']).name}"
            sf.write(wav, got.pop(), 16000, subtype="PCM_16")
            lines.append({**it, "wav": str(wav.resolve()),
                          "words": [[float(a), float(b)] for a, b in words], "edges_fixed": True})
    tmp = out / "manifest.jsonl.part"
    tmp.write_text("".join(json.dumps(x) + "\n" for x in lines))
    tmp.replace(out / "manifest.jsonl")
    return len(lines)


def print_targets(rows: list[tuple[str, dict]], kind: str, firmware_json: str | None) -> None:
    """The issue's targets in one table (firmware/model/targets.py); the firmware rows come
    from benchmarks/aligner_rtf.py --json when given."""
    vals = targets.accuracy_values([{"kind": kind, "rows": rows}])
    if firmware_json:
        vals.update(targets.firmware_values(json.loads(Path(firmware_json).read_text())))
    print("\n" + targets.format_table(vals))


def clip_mode(wav: str, text: str, aligner: Aligner | FirmwareAligner, voice: str) -> None:
    import soundfile as sf
    from scipy.signal import resample_poly
    pcm, sr = sf.read(wav, dtype="int16")
    if pcm.ndim > 1:
        pcm = pcm[:, 0]
    if sr != 16000:
        g = np.gcd(sr, 16000)
        pcm = np.round(resample_poly(pcm.astype(np.float64), 16000 // g, sr // g)).clip(
            -32768, 32767).astype(np.int16)
    wp = g2p.transcript_phones(text, voice)
    hyp = _align_all(aligner, [(pcm, [w.phones for w in wp], text)], "clip")[0] or []
    for i, (w, (s, e)) in enumerate(zip(wp, hyp)):
        print(f"{i:3d} {w.token:20s} " + ("NF" if s is None else f"{s:8.3f} {e:8.3f}"))


def write_per_utt(path: Path | None, recs: list[dict] | None) -> None:
    if path is not None and recs is not None:
        tmp = path.with_name(path.name + ".part")
        tmp.write_text("".join(json.dumps(r) + "\n" for r in recs))
        tmp.replace(path)                   # never a half-written file


def main() -> None:
    ap = argparse.ArgumentParser(description="Evaluate the aligner on held-out voices.")
    ap.add_argument("--data", default=str(HERE / "data"))
    ap.add_argument("--split", default="test")
    ap.add_argument("--model", default=str(reference.DEFAULT_MODEL))
    ap.add_argument("--aligner", choices=["auto", "c", "numpy"], default="auto")
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--beam", type=float, default=None,
                    help="C aligner Viterbi beam (default: the library's own default)")
    ap.add_argument("--g2p-voice", default=None,
                    help="eSpeak voice for transcript phones (default: the clip's language; with "
                    "--manifest: en-us, what the device is sent; --firmware always gets en-us)")
    ap.add_argument("--clip", nargs=2, metavar=("WAV", "TEXT"), help="align one wav + text")
    ap.add_argument("--manifest", type=Path, nargs="*",
                    help="real-speech manifests (realspeech.py) to score instead of --data")
    ap.add_argument("--synthetic", action="store_true",
                    help="with --manifest: the manifests are synthetic voices whose reference is "
                    "the synthesiser's own timing (e.g. SVOX Pico, docs/alignment-results.md): "
                    "score them against the unseen-synthetic-voice targets, not real speech's")
    ap.add_argument("--concat", type=float, nargs="*", default=[0.0],
                    help="with --manifest: also join consecutive utterances into clips of at "
                    "least this many seconds (e.g. 0 120 300: short, 2 min, 5 min)")
    ap.add_argument("--firmware", type=Path, metavar="ELF",
                    help="evaluate this aligner firmware on the simulator instead of the host "
                    "library: all clips as one `simulate batch` (simulator.batch); transcripts "
                    "get the simulator's phones (eSpeak NG en-us, as the device gets them), so "
                    "compare with the host run with --g2p-voice en-us")
    ap.add_argument("--jobs", type=int, default=None,
                    help="with --firmware: parallel jobs (default: one per core)")
    ap.add_argument("--engine", choices=["local", "dask"], default="local",
                    help="with --firmware: local process pool or Dask distributed")
    ap.add_argument("--scheduler", default=None,
                    help="with --firmware --engine dask: a running scheduler (tcp://HOST:8786)")
    ap.add_argument("--cpu-freq", type=float, default=None, metavar="MHZ",
                    help="with --firmware: core clock (default: the firmware's own)")
    ap.add_argument("--out", type=Path, default=Path("eval-batch"),
                    help="with --firmware: the batch folder (job reports, batch.json); "
                    "rerunning with the same folder reuses finished jobs")
    ap.add_argument("--json", help="also write the summaries here (read by "
                    "benchmarks/aligner_rtf.py --accuracy for its targets table)")
    ap.add_argument("--firmware-json", help="figures written by benchmarks/aligner_rtf.py --json: "
                    "the targets table then shows RTF, RAM and flash beside the accuracy")
    ap.add_argument("--per-utt", type=Path, metavar="JSONL",
                    help="also write every clip's boundary errors here, one JSON line per clip "
                    "(set, clip id, speaker group, errors): paired.py compares two such files "
                    "(paired bootstrap + sign test: is a difference between two models noise?)")
    ap.add_argument("--narrowband", type=int, default=None, metavar="HZ",
                    help="score every clip after a trip through HZ Hz and back (augment."
                    "narrowband: what an 8 kHz recording or voice gives once resampled to 16 kHz)")
    ap.add_argument("--vocode", action="store_true",
                    help="score every clip resynthesised by an LPC vocoder (augment.vocode: how "
                    "a parametric synthesiser's voice sounds), draws seeded by --seed")
    ap.add_argument("--gain", type=float, default=None, metavar="DB",
                    help="score every clip DB louder (negative: quieter), rounded to int16 and "
                    "clipped: how the front end copes with a quiet microphone")
    ap.add_argument("--noise", default=None, metavar="KIND:SNR",
                    help="score every clip with KIND (white, pink, babble: 3-6 other clips of "
                    "the run summed) noise added at SNR dB (augment.add_noise), seeded by --seed")
    ap.add_argument("--reverb", default=None, metavar="RT60:DRR",
                    help="score every clip through a synthetic room (augment.reverb: RT60 s, "
                    "direct-to-reverberant ratio DRR dB), seeded by --seed")
    ap.add_argument("--seed", type=int, default=0,
                    help="seed of --vocode's, --noise's and --reverb's draws (evaluation is "
                    "otherwise deterministic)")
    ap.add_argument("--save-audio", type=Path, default=None, metavar="DIR",
                    help="with --manifest: write the clips as they would be scored (after "
                    "--narrowband / --vocode / --gain / --noise / --reverb) to DIR/wav and "
                    "DIR/manifest.jsonl instead of scoring them (for another aligner, "
                    "e.g. realign.py --labeller pocketsphinx, or for listening)")
    ap.add_argument("--only", type=Path, default=None, metavar="MANIFEST",
                    help="with --manifest: score only the utterances whose id MANIFEST holds "
                    "(e.g. the clips another aligner aligned: realign.py's output)")
    args = ap.parse_args()
    if args.save_audio is not None:
        if not args.manifest:
            sys.exit("--save-audio: give the clips with --manifest")
        for m in args.manifest:
            if not m.is_file():
                sys.exit(f"--manifest {m}: no such file")
        n = save_audio(args.manifest, lambda a: processing(args)(a)[0], args.limit,
                       args.save_audio)
        print(f"{n} clips -> {args.save_audio / 'manifest.jsonl'}")
        return
    aligner: Aligner | FirmwareAligner
    if args.firmware is not None:
        if not args.firmware.is_file():
            sys.exit(f"--firmware {args.firmware}: no such file")
        if args.narrowband or args.vocode or degraded(args):
            sys.exit("--narrowband / --vocode / --gain / --noise / --reverb: host aligners "
                     "only (give the firmware the processed wav instead)")
        aligner = FirmwareAligner(args.firmware.resolve(), args.out, args.jobs, args.engine,
                                  args.scheduler, args.cpu_freq)
        name = aligner.name()
        model_name = f"the one built into {args.firmware.name}"
    else:
        model = reference.load(args.model)
        model_c = Path(args.model).with_name("model_data.c")
        aligner, name = pick_aligner(model, args.aligner, args.beam,
                                     model_c if model_c.exists() else None)
        model_name = args.model
        aligner, what = processing(args)(aligner)
        name += what
    if args.clip:
        clip_mode(args.clip[0], args.clip[1], aligner, args.g2p_voice or "en-us")
        return
    per_utt: list[dict] | None = [] if args.per_utt else None
    only = None
    if args.only is not None:
        if not args.manifest:
            sys.exit("--only: give the clips with --manifest")
        if not args.only.is_file():
            sys.exit(f"--only {args.only}: no such file")
        only = {str(it.get("id")) for it in realspeech.load_manifest(args.only)}
    if args.manifest:
        rows = [r for m in args.manifest for c in args.concat
                for r in evaluate_manifest(m, aligner, args.limit, c, per_utt,
                                           args.g2p_voice or "en-us", only)]
        kind = "synthetic" if args.synthetic else "real"
        print(f"Aligner: {name}; model: {model_name}; "
              f"{'synthetic voices' if args.synthetic else 'real speech'}"
              f"{'; transcript phones ' + args.g2p_voice if args.g2p_voice else ''}\n")
        print(metrics.format_table(rows))
        print_targets(rows, kind, args.firmware_json)
        if args.json:
            Path(args.json).write_text(json.dumps({"aligner": name, "kind": kind,
                                                   "rows": rows}, indent=1))
        write_per_utt(args.per_utt, per_utt)
        return
    rows = evaluate(Path(args.data), args.split, aligner, args.limit, args.g2p_voice, per_utt)
    print(f"Aligner: {name}; model: {model_name}; split: {args.split} "
          f"(voices with variants never seen in training)\n")
    print(metrics.format_table(rows))
    print_targets(rows[:1], "synthetic", args.firmware_json)
    if args.json:
        Path(args.json).write_text(json.dumps({"aligner": name, "kind": "synthetic",
                                               "rows": rows}, indent=1))
    write_per_utt(args.per_utt, per_utt)


if __name__ == "__main__":
    main()
