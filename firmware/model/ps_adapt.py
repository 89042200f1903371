"""A speaker-adapted PocketSphinx reference: the way speech labs align atypical speakers.

PocketSphinx 5's en-us acoustic model (adult US English) is adapted to each speaker with that
speaker's own utterances and transcripts (supervised adaptation of the REFERENCE aligner, never of
our model), following CMU Sphinx's "adapting the default acoustic model" procedure with the
Debian tools (sphinxtrain: bw, mllr_solve; sphinxbase-utils: sphinx_fe; pocketsphinx:
pocketsphinx_mdef_convert):

1. Unadapted forced alignment (realspeech.ps_align) picks each utterance's pronunciation
   variants and inner pauses: the transcript bw trains on (SphinxTrain's force-align step).
2. VTLN (``--vtln``): features are made at every frequency warp of ``--warps`` (sphinx_fe
   ``-warp_type inverse_linear -warp_params A``: frequencies divided by A, A > 1 moves a child's
   higher formants down to the adult model's); bw's total log likelihood of the speaker's
   utterances under the unadapted model picks the warp (the classic maximum-likelihood warp
   selection; ties -> nearest 1.0). ``--warp-type`` (warped_model): ``piecewise_linear`` moves
   the filterbank's band edges with the warp, a real frequency scaling, and the likelihood
   peaks inside the grid; ``inverse_linear`` (session 10) only bends the mel scale inside the
   same band, and the likelihood rises with A up to any grid's top.
3. MLLR (``--mllr``): bw accumulates the speaker's statistics at the chosen warp, mllr_solve
   estimates one global mean transform; PocketSphinx then aligns with ``-mllr`` (and the warp).
   MAP (``--map``): map_adapt re-estimates the model (means, variances, mixture weights, with
   MLLR first when both are given), mk_s2sendump writes it for PocketSphinx.
4. Every utterance is aligned again with the speaker's adapted model; words and phones as
   realign.py --labeller pocketsphinx writes them (ref "pocketsphinx-adapted", ``warp``, ``adapt``).

The pip model ships its mixture weights only as an 8-bit ``sendump``; bw needs them as a float
``mixture_weights`` file, which read_sendump / write_s3 convert (p = 1.0001 ** -(q << 10), the
quantisation of pocketsphinx's ptm_mgau.c).  Speakers are the manifest's ``speaker`` field, or
with ``--group-size N`` each speaker's utterances in consecutive groups of N (to validate on a
one-speaker set with as much data per "speaker" as a real speaker has).

    python ps_adapt.py IN_MANIFEST OUT_MANIFEST --work DIR --vtln --mllr [--warps 0.88:1.24:0.04]
    python realign.py --compare REF_MANIFEST OUT_MANIFEST       # agreement with a reference

Nothing is written inside the repository unless you ask for it; corpora come from the paths given.
"""
from __future__ import annotations

import argparse
import json
import re
import shlex
import shutil
import struct
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

try:
    from . import realign, realspeech
except ImportError:  # pragma: no cover
    import realign  # type: ignore[no-redef]
    import realspeech  # type: ignore[no-redef]

SR = realspeech.SR
SENSCR_SHIFT = 10          # pocketsphinx hmm.h: senone scores are log_1.0001 values >> 10
LOG_BASE = 1.0001          # pocketsphinx's log base (acmod: -logbase default)
TOOL_DIRS = ("/usr/lib/sphinxtrain",)   # Debian installs the sphinxtrain programs here
APT_HINT = "apt-get install sphinxtrain sphinxbase-utils pocketsphinx"
DEFAULT_WARPS = "0.88:1.24:0.04"
WARP_TYPES = ("inverse_linear", "piecewise_linear")
PIECEWISE_BREAK = 0.85     # piecewise_linear breakpoint / Nyquist (sphinxbase's intended default)


class ToolMissing(RuntimeError):
    """A Debian sphinx tool is not installed."""


def tool(name: str) -> str:
    """Path of a sphinxtrain / sphinxbase program, or ToolMissing (with the apt line)."""
    found = shutil.which(name)
    if found:
        return found
    for d in TOOL_DIRS:
        p = Path(d) / name
        if p.is_file():
            return str(p)
    raise ToolMissing(f"{name} not found ({APT_HINT})")


# ---- model files -------------------------------------------------------------------------------
def read_sendump(path: Path) -> np.ndarray:
    """PocketSphinx's 8-bit sendump as float mixture weights [senone, stream, density]."""
    data = Path(path).read_bytes()
    pos = 0

    def i32() -> int:
        nonlocal pos
        v = struct.unpack_from("<i", data, pos)[0]
        pos += 4
        return v
    n = i32()
    if not 0 < n < 1000:
        raise ValueError(f"{path}: not a little-endian sendump")
    pos += n
    n_feat, n_clust = 1, 0
    while (n := i32()) != 0:
        line = data[pos:pos + n].rstrip(b"\0").decode("ascii", "replace")
        pos += n
        if line.startswith("feature_count "):
            n_feat = int(line.split()[1])
        if line.startswith("cluster_count "):
            n_clust = int(line.split()[1])
    if n_clust:
        raise ValueError(f"{path}: clustered (4-bit) sendump not supported")
    n_dens, n_sen = i32(), i32()
    q = np.frombuffer(data, np.uint8, n_feat * n_dens * n_sen, pos).reshape(n_feat, n_dens, n_sen)
    p = np.power(LOG_BASE, -(q.astype(np.float64) * (1 << SENSCR_SHIFT)))
    p /= p.sum(axis=1, keepdims=True)
    return p.transpose(2, 0, 1).astype(np.float32)


def write_s3(path: Path, arr: np.ndarray) -> None:
    """A 3-d float array in SphinxTrain's s3 binary format (as s3mixw_write; no checksum)."""
    d = np.ascontiguousarray(arr, dtype="<f4")
    hdr = b"s3\nversion 1.0\nendhdr\n"
    body = struct.pack("<I", 0x11223344) + struct.pack("<4i", *d.shape, d.size) + d.tobytes()
    Path(path).write_bytes(hdr + body)


def read_dictionary(path: Path) -> dict[str, str]:
    """CMUdict-style dictionary: word (with (2) variants) -> phones."""
    out: dict[str, str] = {}
    for line in Path(path).read_text(encoding="utf-8", errors="replace").splitlines():
        parts = line.split("#")[0].split()
        if len(parts) >= 2:
            out[parts[0]] = " ".join(parts[1:])
    return out


def base_hmm() -> Path:
    from pocketsphinx import get_model_path
    return Path(get_model_path()) / "en-us" / "en-us"


def base_dict() -> Path:
    from pocketsphinx import get_model_path
    return Path(get_model_path()) / "en-us" / "cmudict-en-us.dict"


def training_model(work: Path, hmm: Path) -> Path:
    """work/model: the pip model as bw reads it (text mdef, float mixture_weights)."""
    d = work / "model"
    if (d / "mixture_weights").is_file():
        return d
    d.mkdir(parents=True, exist_ok=True)
    for f in ("means", "variances", "transition_matrices", "feat.params", "noisedict", "mdef"):
        if not (d / f).exists():
            shutil.copy(hmm / f, d / f)
    subprocess.run([tool("pocketsphinx_mdef_convert"), "-text", str(hmm / "mdef"),
                    str(d / "mdef.txt")], check=True, capture_output=True)
    tmp = d / "mixture_weights.tmp"
    write_s3(tmp, read_sendump(hmm / "sendump"))
    tmp.replace(d / "mixture_weights")
    return d


def read_feat_params(hmm: Path) -> dict[str, str]:
    """The model folder's feat.params as option -> value, in file order (values may be quoted:
    warped_model writes `-warp_params "a F"`)."""
    toks = shlex.split((hmm / "feat.params").read_text())
    return dict(zip(toks[::2], toks[1::2]))


def feat_params(hmm: Path) -> list[str]:
    """The model's front-end options from feat.params, for sphinx_fe (feature ones dropped)."""
    keep = {"-lowerf", "-upperf", "-nfilt", "-transform", "-lifter", "-remove_noise",
            "-remove_dc", "-dither", "-alpha", "-wlen", "-frate", "-nfft", "-ncep",
            "-warp_type", "-warp_params"}
    return [x for k, v in read_feat_params(hmm).items() if k in keep for x in (k, v)]


def bw_params(hmm: Path) -> list[str]:
    """The model's feature options (-feat, -svspec, -cmn, -agc, -varnorm) for bw."""
    want = {"-feat", "-svspec", "-cmn", "-agc", "-varnorm"}
    return [x for k, v in read_feat_params(hmm).items() if k in want for x in (k, v)]


# ---- training files (our code; tests/test_model_ps_adapt.py) -----------------------------------
def bw_transcript(aligned: list[str], uid: str) -> str:
    """bw transcript line from an alignment's word names (pronunciation variants kept, inner
    pauses as <sil>, edge pauses replaced by <s> ... </s>)."""
    words = list(aligned)
    while words and words[0] == "<sil>":
        words.pop(0)
    while words and words[-1] == "<sil>":
        words.pop()
    return " ".join(["<s>", *words, "</s>", f"({uid})"])


def dictionary_for(transcripts: Iterable[str], lexicon: dict[str, str], fillers: set[str]
                   ) -> list[str]:
    """Dictionary lines (sorted) for every non-filler word of the bw transcripts."""
    used: set[str] = set()
    for t in transcripts:
        used.update(w for w in t.rsplit("(", 1)[0].split() if w not in fillers)
    missing = sorted(w for w in used if w not in lexicon)
    if missing:
        raise KeyError(f"words not in the dictionary: {' '.join(missing[:5])}")
    return [f"{w} {lexicon[w]}" for w in sorted(used)]


def parse_bw_loglik(log: str) -> tuple[float, int]:
    """(total log likelihood, frames) of a bw run, summed over its per-utterance lines
    ``utt> IDX ID FRAMES ... SCALE LOGLIK/FRAME LOGLIK [utt TIMING...]``."""
    total, frames = 0.0, 0
    for line in log.splitlines():
        t = line.split()
        if len(t) < 6 or t[0] != "utt>":
            continue
        end = t.index("utt", 4) if "utt" in t[4:] else len(t)
        frames += int(t[3])
        total += float(t[end - 1])
    return total, frames


def choose_warp(loglik: dict[float, float]) -> float:
    """The warp of the highest likelihood (ties: the one nearest 1.0, i.e. no warp)."""
    if not loglik:
        raise ValueError("no warp has a likelihood")
    return max(loglik, key=lambda a: (loglik[a], -abs(a - 1.0)))


def parse_warps(spec: str) -> list[float]:
    """'0.88:1.24:0.04' (start:stop:step, stop included) or '0.9,1.0,1.1'."""
    if ":" in spec:
        a, b, s = (float(x) for x in spec.split(":"))
        if s <= 0 or b < a:
            raise ValueError(f"bad warp range {spec!r}")
        n = int(round((b - a) / s)) + 1
        return [round(a + k * s, 4) for k in range(n)]
    return [float(x) for x in spec.split(",")]


def groups(items: list[dict], size: int | None) -> dict[str, list[dict]]:
    """Speakers (manifest "speaker"), each split into consecutive groups of `size` when given."""
    by: dict[str, list[dict]] = {}
    for it in items:
        by.setdefault(str(it.get("speaker", "?")), []).append(it)
    if not size:
        return by
    out = {}
    for spk, its in by.items():
        for k in range(0, len(its), size):
            out[f"{spk}#{k // size}"] = its[k:k + size]
    return out


# ---- running the tools -------------------------------------------------------------------------
@dataclass
class Recipe:
    vtln: bool = False
    mllr: bool = False
    map: bool = False
    warps: list[float] = field(default_factory=lambda: parse_warps(DEFAULT_WARPS))
    warp_type: str = "inverse_linear"

    @property
    def name(self) -> str:
        parts = [n for n, on in (("vtln", self.vtln), ("mllr", self.mllr), ("map", self.map)) if on]
        return "+".join(parts) or "none"


@dataclass
class Speaker:
    name: str
    warp: float = 1.0
    mllr: Path | None = None
    hmm: Path | None = None
    used: int = 0
    loglik: dict[float, float] = field(default_factory=dict)


def band_edges(lowerf: float, upperf: float, warp: float) -> tuple[float, float]:
    """The unwarped frequencies that the piecewise-linear warp A maps onto the model's filter
    band edges (sphinxbase fe_warp_piecewise_linear.c with a = 1 / A and breakpoint
    F = PIECEWISE_BREAK x Nyquist: w = a f below F, then the straight line through (F, a F)
    and (Nyquist, Nyquist)): with them the warped filterbank is the model's filterbank moved
    to A times its frequencies (up to the breakpoint)."""
    nyq = SR / 2
    a, f = 1.0 / warp, PIECEWISE_BREAK * nyq
    slope = (nyq - a * f) / (nyq - f)
    offset = nyq * f * (a - 1.0) / (nyq - f)

    def unwarp(w: float) -> float:
        return w / a if w < a * f else (w - offset) / slope
    return unwarp(lowerf), unwarp(upperf)


def warped_model(hmm: Path, dest: Path, warp: float, warp_type: str) -> Path:
    """The model as read with the warp A (frequencies divided by A): hmm itself for A = 1,
    else dest with links to hmm's files and a feat.params with the warp (sphinx_fe and
    PocketSphinx both read it; PocketSphinx ignores front-end options given beside it).
    inverse_linear (session 10): sphinx's warp option alone - sphinxbase places the mel filters
    between the UNWARPED -lowerf / -upperf (fe_build_melfilters), so this only bends the mel
    scale (break frequency 700 A Hz) inside the same band and moves no formant to the model's;
    piecewise_linear: the warp plus band edges moved by band_edges(), a frequency scaling."""
    if warp == 1.0:
        return hmm
    if warp_type not in WARP_TYPES:
        raise ValueError(f"unknown warp type {warp_type!r}")
    dest.mkdir(parents=True, exist_ok=True)
    for f in hmm.iterdir():
        if f.name != "feat.params" and not (dest / f.name).exists():
            (dest / f.name).symlink_to(f.resolve())
    opts = read_feat_params(hmm)
    if warp_type == "inverse_linear":
        opts |= {"-warp_type": warp_type, "-warp_params": f"{warp:g}"}
    else:
        lo, hi = band_edges(float(opts["-lowerf"]), float(opts["-upperf"]), warp)
        opts |= {"-warp_type": warp_type,
                 "-warp_params": f"{1.0 / warp:.6g} {PIECEWISE_BREAK * SR / 2:g}",
                 "-lowerf": f"{lo:.2f}", "-upperf": f"{hi:.2f}"}
    (dest / "feat.params").write_text("".join(f'{k} "{v}"\n' if " " in v else f"{k} {v}\n"
                                              for k, v in opts.items()))
    return dest


def decoder(hmm: Path | None = None, mllr: Path | None = None) -> object:
    """A PocketSphinx aligner (hmm: a model folder, e.g. warped_model's; mllr: a transform)."""
    from pocketsphinx import Decoder
    kw: dict = {"lm": None, "loglevel": "FATAL"}
    if hmm is not None:
        kw["hmm"] = str(hmm)
    if mllr is not None:
        kw["mllr"] = str(mllr)
    return Decoder(**kw)


def _run(cmd: list[str], log: Path) -> str:
    r = subprocess.run(cmd, capture_output=True, text=True)
    log.write_text(" ".join(cmd) + "\n" + r.stdout + r.stderr)
    if r.returncode != 0:
        raise RuntimeError(f"{Path(cmd[0]).name} failed (exit {r.returncode}), log {log}")
    return r.stdout + r.stderr


def make_features(d: Path, uids: list[str], hmm: Path, warp: float) -> Path:
    """Features of the utterances with the front end of hmm (a warped_model folder) -> folder."""
    out = d / f"mfc_{warp:g}"
    if out.is_dir() and all((out / f"{u}.mfc").is_file() for u in uids):
        return out
    out.mkdir(exist_ok=True)
    cmd = [tool("sphinx_fe"), "-c", str(d / "ctl"), "-di", str(d / "raw"), "-ei", "raw",
           "-do", str(out), "-eo", "mfc", "-raw", "yes", "-input_endian", "little",
           "-samprate", str(SR), "-remove_silence", "no", *feat_params(hmm)]
    _run(cmd, d / f"fe_{warp:g}.log")
    return out


def run_bw(d: Path, model: Path, hmm: Path, mfc: Path, tag: str) -> tuple[Path, str]:
    acc = d / f"acc_{tag}"
    acc.mkdir(exist_ok=True)
    cmd = [tool("bw"), "-hmmdir", str(model), "-moddeffn", str(model / "mdef.txt"),
           "-ts2cbfn", ".ptm.", *bw_params(hmm), "-dictfn", str(d / "dict"),
           "-fdictfn", str(model / "noisedict"), "-ctlfn", str(d / "ctl"), "-lsnfn", str(d / "lsn"),
           "-cepdir", str(mfc), "-accumdir", str(acc)]
    return acc, _run(cmd, d / f"bw_{tag}.log")


def adapt_speaker(name: str, items: list[dict], work: Path, recipe: Recipe, hmm: Path,
                  lexicon: dict[str, str]) -> Speaker:
    """Adapt the model to one speaker (group of items); returns how to decode them."""
    sp = Speaker(name)
    if recipe.name == "none":
        return sp
    d = work / re.sub(r"[^A-Za-z0-9_.-]", "_", name)
    (d / "raw").mkdir(parents=True, exist_ok=True)
    model = training_model(work, hmm)
    base = decoder()
    uids, lsn = [], []
    for it in items:
        pcm = realspeech.read_pcm16k(it["wav"])
        r = realspeech.ps_align(pcm, it["text"], base)
        if r is None:
            continue
        uid = re.sub(r"[^A-Za-z0-9_.-]", "_", str(it["id"]))
        (d / "raw" / f"{uid}.raw").write_bytes(pcm.astype("<i2").tobytes())
        uids.append(uid)
        lsn.append(bw_transcript([w for w, _, _ in r[0]], uid))
    sp.used = len(uids)
    if not uids:
        return sp
    fillers = set(read_dictionary(model / "noisedict"))
    (d / "ctl").write_text("".join(u + "\n" for u in uids))
    (d / "lsn").write_text("".join(t + "\n" for t in lsn))
    (d / "dict").write_text("".join(x + "\n" for x in dictionary_for(lsn, lexicon, fillers)))
    if recipe.vtln:
        for a in recipe.warps:
            fe = warped_model(hmm, d / f"hmm_{a:g}", a, recipe.warp_type)
            mfc_a = make_features(d, uids, fe, a)
            acc, log = run_bw(d, model, hmm, mfc_a, f"w{a:g}")
            shutil.rmtree(acc)          # only the likelihood is needed (accumulators: ~8 MB)
            ll, frames = parse_bw_loglik(log)
            if frames:
                sp.loglik[a] = ll
            if a != 1.0:                # only the chosen warp's features are needed again
                shutil.rmtree(mfc_a)
                shutil.rmtree(fe)
        sp.warp = choose_warp(sp.loglik)
    fe = warped_model(hmm, d / "hmm_warped", sp.warp, recipe.warp_type)
    sp.hmm = fe if fe != hmm else None
    mfc = make_features(d, uids, fe, sp.warp)
    if recipe.mllr or recipe.map:
        acc, _ = run_bw(d, model, hmm, mfc, "adapt")
    if recipe.mllr:
        sp.mllr = d / "mllr_matrix"
        _run([tool("mllr_solve"), "-meanfn", str(model / "means"), "-varfn",
              str(model / "variances"), "-outmllrfn", str(sp.mllr), "-accumdir", str(acc)],
             d / "mllr.log")
    if recipe.map:
        sp.hmm = _map_model(d, model, fe, acc)
    clean_work(d)
    return sp


def clean_work(d: Path) -> None:
    """Delete what can be rebuilt and takes the space (audio copies, features, accumulators: about
    10 MB per warp and speaker); the logs, bw inputs, transforms and MAP models stay."""
    for sub in d.iterdir():
        if sub.is_dir() and (sub.name == "raw" or sub.name.startswith(("mfc_", "acc_"))):
            shutil.rmtree(sub)


def _map_model(d: Path, model: Path, hmm: Path, acc: Path) -> Path:
    out = d / "map"
    out.mkdir(exist_ok=True)
    for f in ("mdef", "feat.params", "noisedict"):
        shutil.copy(hmm / f, out / f)
    _run([tool("map_adapt"), "-moddeffn", str(model / "mdef.txt"), "-ts2cbfn", ".ptm.",
          "-meanfn", str(model / "means"), "-varfn", str(model / "variances"),
          "-mixwfn", str(model / "mixture_weights"), "-tmatfn", str(model / "transition_matrices"),
          "-accumdir", str(acc), "-mapmeanfn", str(out / "means"), "-mapvarfn",
          str(out / "variances"), "-mapmixwfn", str(out / "mixture_weights"),
          "-maptmatfn", str(out / "transition_matrices")], d / "map.log")
    _run([tool("mk_s2sendump"), "-pocketsphinx", "yes", "-moddeffn", str(model / "mdef.txt"),
          "-mixwfn", str(out / "mixture_weights"), "-sendumpfn", str(out / "sendump")],
         d / "sendump.log")
    (out / "mixture_weights").unlink()
    return out


def label(item: dict, dec: object, sp: Speaker, recipe: Recipe) -> dict | None:
    """The item with the adapted aligner's words and phones (None: not aligned)."""
    return realign.relabel_pocketsphinx(item, dec, "pocketsphinx-adapted", adapt=recipe.name,
                                        warp=sp.warp, adapt_group=sp.name)


def relabel_group(args: tuple[str, list[dict], Path, Recipe]) -> tuple[Speaker, list[dict]]:
    name, items, work, recipe = args
    hmm = base_hmm()
    sp = adapt_speaker(name, items, work, recipe, hmm, read_dictionary(base_dict()))
    dec = decoder(sp.hmm, sp.mllr)
    got = [label(it, dec, sp, recipe) for it in items]
    return sp, [g for g in got if g is not None]


def main() -> int:
    ap = argparse.ArgumentParser(description="Speaker-adapted PocketSphinx forced alignment "
                                 "(VTLN warp by likelihood, MLLR and/or MAP per speaker with the "
                                 "Debian sphinxtrain tools): a reference for atypical speakers.")
    ap.add_argument("inp", type=Path, help="input manifest (realspeech.py format)")
    ap.add_argument("out", type=Path, help="output manifest (same items, adapted word times)")
    ap.add_argument("--work", type=Path, required=True,
                    help="scratch folder (features, accumulators, transforms per speaker)")
    ap.add_argument("--vtln", action="store_true", help="choose a frequency warp per speaker")
    ap.add_argument("--mllr", action="store_true", help="one global MLLR mean transform per "
                    "speaker")
    ap.add_argument("--map", action="store_true", help="MAP re-estimation per speaker")
    ap.add_argument("--warps", default=DEFAULT_WARPS, help="warp grid start:stop:step or a,b,c "
                    f"(default {DEFAULT_WARPS})")
    ap.add_argument("--warp-type", choices=WARP_TYPES, default="inverse_linear",
                    help="how the warp is made (see warped_model)")
    ap.add_argument("--group-size", type=int, default=None,
                    help="split each speaker into groups of N utterances (validation)")
    ap.add_argument("--jobs", type=int, default=1, help="speakers adapted in parallel")
    ap.add_argument("--summary", type=Path, default=None, help="JSON: warp, utterances used "
                    "and log likelihood per warp, per speaker")
    a = ap.parse_args()
    if not a.inp.is_file():
        print(f"error: {a.inp} is not a manifest file", file=sys.stderr)
        return 2
    try:
        recipe = Recipe(a.vtln, a.mllr, a.map, parse_warps(a.warps), a.warp_type)
        if recipe.name != "none":
            for t in ("sphinx_fe", "bw", "pocketsphinx_mdef_convert") + (
                    ("mllr_solve",) if a.mllr else ()) + (
                    ("map_adapt", "mk_s2sendump") if a.map else ()):
                tool(t)
        import pocketsphinx  # noqa: F401
    except (ToolMissing, ValueError, ImportError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    items = realspeech.load_manifest(a.inp)
    todo = [(n, its, a.work, recipe) for n, its in groups(items, a.group_size).items()]
    a.work.mkdir(parents=True, exist_ok=True)
    try:
        if a.jobs > 1:
            from concurrent.futures import ProcessPoolExecutor
            with ProcessPoolExecutor(a.jobs) as ex:
                done = list(ex.map(relabel_group, todo))
        else:
            done = [relabel_group(t) for t in todo]
    except (RuntimeError, KeyError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    order = {str(it["id"]): k for k, it in enumerate(items)}
    lines = sorted((x for _, got in done for x in got), key=lambda x: order[str(x["id"])])
    realspeech._write_manifest(a.out, lines)
    if a.summary:
        a.summary.write_text(json.dumps({sp.name: {"warp": sp.warp, "used": sp.used,
                                                   "loglik": sp.loglik} for sp, _ in done},
                                        indent=1))
    print(f"{len(lines)} of {len(items)} items aligned ({recipe.name}, {len(done)} speakers) "
          f"-> {a.out}")
    return 0 if lines else 1


if __name__ == "__main__":
    sys.exit(main())
