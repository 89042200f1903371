"""Real-speech sets: build a manifest (16 kHz wav + transcript + word reference) from a corpus on disk.

Nothing here is committed data: corpora are read from a path given on the command line (they are
fetched public repositories, see docs/alignment-results.md) and the manifests and wavs are written
outside the repository.  Two kinds of word reference:

* ``maus``: the WebMAUS phone tier (MAU, SAMPA) of a voice-building repository.  MAUS does not
  write a word tier there, so the MAUS phones are assigned to transcript words by a minimum-edit
  alignment against the words' eSpeak phone classes (SAMPA -> class table below); a word spans
  its first to its last MAUS phone.  Independent of our model; as good as MAUS itself.
* ``pocketsphinx``: PocketSphinx 5 forced alignment (its en-us acoustic model and CMUdict,
  ``Decoder.set_align_text``): word and phone segments.  Independent of our model; measured at
  29 ms word MAE on real read speech (../../docs/alignment-results.md).

A manifest is JSON lines: ``{"id", "speaker", "wav", "text", "words": [[start, end], ...],
"ref", "phones": [[class, start, end], ...] (pocketsphinx only)}``; ``words`` has one entry per
transcript token of ``g2p.transcript_phones`` (-1, -1 where the reference has no time).

    python realspeech.py maus CORPUS_ROOT OUT_DIR            # voicebuilding_seminar_16 layout
    python realspeech.py ps-kathleen CORPUS_ROOT OUT_DIR     # dataset-voice-kathleen layout
    python realspeech.py ps-speechocean CORPUS_ROOT OUT_DIR --half test
    python realspeech.py ps-accent CORPUS_ROOT OUT_DIR --half test   # Speech Accent Archive
    python realspeech.py shards MANIFEST OUT_DIR [--copies 2] [--seed 0]   # training shards

Training labels (``shards``) are the PocketSphinx phone segments (CMUdict pronunciations, our
ARPAbet classes; its SIL and noise units -> sil).  Each utterance is written ``--copies`` times:
once clean (random gain only) and otherwise through augment.random_augment (reverb, band limit,
microphone colour (spectral tilt and peaking EQ, half of the copies), white / pink / babble
noise, gain -20..+3 dB), seeded by (seed, utterance index, copy).
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

try:
    from . import g2p
    from . import phones as ph
except ImportError:  # pragma: no cover
    import g2p  # type: ignore[no-redef]
    import phones as ph  # type: ignore[no-redef]

SR = 16000

# WebMAUS SAMPA (English) -> our class names; used only to pair MAUS phones with transcript words
SAMPA = {
    "V": "AH", "@": "AH", "6": "ER", "3`": "ER", "9": "ER", "2:": "ER", "I": "IH", "y": "IH",
    "i:": "IY", "i": "IY", "E": "EH", "E:": "EH", "{": "AE", "Q": "AA", "a": "AA", "a:": "AA",
    "aI": "AY", "aU": "AW", "eI": "EY", "e:": "EY", "e": "EY", "O:": "AO", "O": "AO",
    "@U": "OW", "o:": "OW", "o": "OW", "OI": "OY", "OY": "OY", "U": "UH", "Y": "UH",
    "u:": "UW", "u": "UW", "y:": "UW",
    "p": "P", "b": "B", "t": "T", "d": "D", "k": "K", "g": "G", "?": "T", "4": "D",
    "tS": "CH", "dZ": "JH", "f": "F", "v": "V", "T": "TH", "D": "DH", "s": "S", "z": "Z",
    "S": "SH", "Z": "ZH", "h": "HH", "h-": "HH", "C": "HH", "x": "K", "m": "M", "m=": "M",
    "n": "N", "n=": "N", "N": "NG", "l": "L", "l=": "L", "r": "R", "R": "R", "w": "W", "j": "Y",
}
PAUSES = {"<p:>", "<p>", "", "<usb>", "<nib>"}
# CMUdict / PocketSphinx phones are ARPAbet: the same names as ours (plus SIL / noise units)


@dataclass
class Interval:
    start: float
    end: float
    label: str


def read_textgrid_tier(path: Path, tier: str = "MAU") -> list[Interval]:
    """Intervals of one IntervalTier of a long-format Praat TextGrid."""
    out: list[Interval] = []
    cur = None
    xmin = xmax = 0.0
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        s = line.strip()
        if s.startswith("name = "):
            cur = s.split("=", 1)[1].strip().strip('"')
        elif cur == tier and s.startswith("xmin = "):
            xmin = float(s.split("=")[1])
        elif cur == tier and s.startswith("xmax = "):
            xmax = float(s.split("=")[1])
        elif cur == tier and s.startswith("text = "):
            out.append(Interval(xmin, xmax, s.split("=", 1)[1].strip().strip('"')))
    return out


def assign_words(seq: list[int], word_phones: list[list[int]]) -> list[int]:
    """Word index of every phone of ``seq`` by minimum-edit alignment to the words' phones.

    Substitution costs 1 (0 for the same class), insertion / deletion 1; a phone inserted
    between two words goes to the word of its left neighbour in the alignment."""
    ref = [c for w in word_phones for c in w]
    owner = [i for i, w in enumerate(word_phones) for _ in w]
    n, m = len(seq), len(ref)
    d = np.zeros((n + 1, m + 1), np.int32)
    d[:, 0] = np.arange(n + 1)
    d[0, :] = np.arange(m + 1)
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            d[i, j] = min(d[i - 1, j - 1] + (seq[i - 1] != ref[j - 1]), d[i - 1, j] + 1,
                          d[i, j - 1] + 1)
    res = [-1] * n
    i, j = n, m
    while i > 0:
        if j > 0 and d[i, j] == d[i - 1, j - 1] + (seq[i - 1] != ref[j - 1]):
            res[i - 1] = owner[j - 1]
            i, j = i - 1, j - 1
        elif j > 0 and d[i, j] == d[i, j - 1] + 1:
            j -= 1
        else:
            res[i - 1] = owner[j - 1] if j > 0 else owner[0]
            i -= 1
    return res


def maus_words(tier: list[Interval], word_phones: list[list[int]]) -> list[tuple[float, float]]:
    """Word (start, end) from a MAUS phone tier; (-1, -1) for words without phones."""
    segs = [iv for iv in tier if iv.label not in PAUSES and iv.label in SAMPA]
    seq = [ph.class_id(SAMPA[iv.label]) for iv in segs]
    own = assign_words(seq, word_phones) if seq and any(word_phones) else []
    out = []
    for w in range(len(word_phones)):
        mine = [s for s, o in zip(segs, own) if o == w]
        out.append((mine[0].start, mine[-1].end) if mine and word_phones[w] else (-1.0, -1.0))
    return out


def read_pcm16k(path: Path) -> np.ndarray:
    import soundfile as sf
    from scipy.signal import resample_poly
    x, sr = sf.read(str(path), dtype="float64", always_2d=True)
    x = x[:, 0]
    if sr != SR:
        g = int(np.gcd(int(sr), SR))
        x = resample_poly(x, SR // g, int(sr) // g)
    return to_pcm16(x)


def to_pcm16(x: np.ndarray) -> np.ndarray:
    """Float audio (full scale 1.0) as int16 samples, rounded and clipped."""
    return np.round(x * 32768.0).clip(-32768, 32767).astype(np.int16)


def write_wav(path: Path, pcm: np.ndarray) -> None:
    import soundfile as sf
    sf.write(str(path), pcm, SR, subtype="PCM_16")


# ---- PocketSphinx ------------------------------------------------------------------------------
_PS = None


def ps_align(pcm: np.ndarray, text: str, dec: object | None = None
             ) -> tuple[list[tuple[str, float, float]], list[tuple[str, float, float]]] | None:
    """PocketSphinx 5 forced alignment: (words, phones) as (label, start s, end s), or None.
    dec: a pocketsphinx.Decoder (e.g. speaker-adapted, ps_adapt.py); default: the en-us model."""
    global _PS
    if dec is None:
        from pocketsphinx import Decoder
        if _PS is None:
            _PS = Decoder(lm=None, loglevel="FATAL")
        dec = _PS
    words = re.sub(r"[^a-z' ]", " ", text.lower()).split()
    if not words:
        return None

    def run() -> None:
        dec.start_utt()
        dec.process_raw(pcm.tobytes(), full_utt=True)
        dec.end_utt()
    try:
        dec.set_align_text(" ".join(words))    # pass 1: words
        run()
        dec.set_alignment()                    # pass 2: phones inside those words
        run()
        al = dec.get_alignment()
        if al is None:
            return None
        wout, pout = [], []
        for w in al:
            wout.append((w.name, w.start / 100.0, (w.start + w.duration) / 100.0))
            for p in w:
                pout.append((p.name, p.start / 100.0, (p.start + p.duration) / 100.0))
        return wout, pout
    except (RuntimeError, ValueError, KeyError):
        return None


def speech_edges(pcm: np.ndarray, floor_db: float = 35.0) -> tuple[float, float]:
    """First and last 10 ms frame whose energy is within floor_db of the loudest and 12 dB above
    the noise floor (10th percentile of frame energies), in seconds."""
    x = pcm.astype(np.float64) / 32768.0
    n = len(x) // 160
    if n == 0:
        return 0.0, len(x) / SR
    e = 10 * np.log10(np.mean(x[:n * 160].reshape(n, 160) ** 2, axis=1) + 1e-12)
    thr = max(e.max() - floor_db, np.percentile(e, 10) + 12.0)   # above the noise floor too
    on = np.nonzero(e > thr)[0]
    if len(on) == 0:                   # no frame stands out (flat level): keep the whole clip
        return 0.0, n * 0.01
    return on[0] * 0.01, (on[-1] + 1) * 0.01


def fix_ps_edges(pcm: np.ndarray, words: list, phones: list | None) -> tuple[list, list | None]:
    """PocketSphinx's alignment often starts the first word at 0 and ends the last at the end of
    the file (it absorbs the leading / trailing silence): clip both to the energy edges."""
    on, off = speech_edges(pcm)
    w = [list(x) for x in words]
    real = [x for x in w if x[0] >= 0]
    if real:
        if real[0][0] < on < real[0][1]:
            real[0][0] = on
        if real[-1][0] < off < real[-1][1]:
            real[-1][1] = off
    if phones:
        ph_ = [list(x) for x in phones]
        sp = [x for x in ph_ if x[0] != 0]
        if sp and sp[0][1] < on < sp[0][2]:
            ph_.insert(ph_.index(sp[0]), [0, sp[0][1], on])
            sp[0][1] = on
        if sp and sp[-1][1] < off < sp[-1][2]:
            ph_.insert(ph_.index(sp[-1]) + 1, [0, off, sp[-1][2]])
            sp[-1][2] = off
        phones = ph_
    return w, phones


def ps_word_refs(ps_words: list[tuple[str, float, float]], tokens: list[g2p.WordPhones]
                 ) -> list[tuple[float, float]]:
    """Map PocketSphinx words (no <sil>) onto transcript tokens in order, by spoken words."""
    real = [(w, s, e) for w, s, e in ps_words if not w.startswith("<") and w not in ("[NOISE]",)]
    real = [(re.sub(r"\(\d+\)$", "", w), s, e) for w, s, e in real]
    counts = [len(re.sub(r"[^a-z' ]", " ", t.token.lower()).split()) for t in tokens]
    if sum(counts) != len(real):
        return [(-1.0, -1.0)] * len(tokens)
    out, k = [], 0
    for t, n in zip(tokens, counts):
        if n == 0 or k + n > len(real):
            out.append((-1.0, -1.0))
            k += n
            continue
        out.append((real[k][1], real[k + n - 1][2]) if t.phones else (-1.0, -1.0))
        k += n
    return out


def ps_phone_labels(ps_phones: list[tuple[str, float, float]]) -> list[tuple[int, float, float]]:
    names = set(ph.classes())
    out = []
    for name, s, e in ps_phones:
        n = name.upper()
        out.append((ph.class_id(n) if n in names else 0, s, e))
    return out


# ---- builders ----------------------------------------------------------------------------------
def build_maus(root: Path, out: Path, limit: int | None) -> int:
    wavs = sorted((root / "build" / "wav").glob("*.wav"))[:limit]
    lines = []
    for w in wavs:
        tg = root / "data" / "en_US" / "TextGrid" / (w.stem + ".TextGrid")
        tx = root / "data" / "text" / (w.stem + ".txt")
        if not tg.exists() or not tx.exists():
            continue
        text = tx.read_text().strip()
        toks = g2p.transcript_phones(text, "en-us")
        refs = maus_words(read_textgrid_tier(tg), [t.phones for t in toks])
        pcm = read_pcm16k(w)
        dst = out / "wav" / (w.stem + ".wav")
        write_wav(dst, pcm)
        lines.append({"id": w.stem, "speaker": "voicebuilding16-male", "wav": str(dst),
                      "text": text, "words": refs, "ref": "webmaus"})
    _write_manifest(out / "manifest.jsonl", lines)
    return len(lines)


def _ps_item(uid: str, spk: str, pcm: np.ndarray, text: str, out: Path) -> dict | None:
    if not LABEL["pocketsphinx"]:              # transcript only: labels come from realign.py
        dst = out / "wav" / (uid + ".wav")
        write_wav(dst, pcm)
        return {"id": uid, "speaker": spk, "wav": str(dst), "text": text, "words": [],
                "ref": "none"}
    r = ps_align(pcm, text)
    if r is None:
        return None
    toks = g2p.transcript_phones(text, "en-us")
    refs = ps_word_refs(r[0], toks)
    dst = out / "wav" / (uid + ".wav")
    write_wav(dst, pcm)
    return {"id": uid, "speaker": spk, "wav": str(dst), "text": text, "words": refs,
            "ref": "pocketsphinx", "phones": ps_phone_labels(r[1])}


# builder options set by main(): label with PocketSphinx (else write transcript-only items for
# realign.py), and ids to leave out (already in another manifest)
LABEL: dict = {"pocketsphinx": True, "skip": set()}


def _ps_manifest(out: Path, todo: Iterable[tuple[str, str, Callable[[], np.ndarray], str]]
                 ) -> int:
    """Label each (id, speaker, loader of its 16 kHz audio, text) with PocketSphinx into
    out/manifest.jsonl; while it runs, the items labelled so far are in manifest.partial.jsonl
    (PocketSphinx is slow). Items PocketSphinx cannot align are left out; ids in LABEL["skip"]
    are not even decoded."""
    lines = []
    part = out / "manifest.partial.jsonl"
    part.write_text("")
    for uid, spk, load, text in todo:
        if uid in LABEL["skip"]:
            continue
        item = _ps_item(uid, spk, load(), text, out)
        if item:
            lines.append(item)
            with part.open("a") as fh:
                fh.write(json.dumps(item) + "\n")
    _write_manifest(out / "manifest.jsonl", lines)
    part.unlink()
    return len(lines)


def build_kathleen(root: Path, out: Path, limit: int | None, every: int = 1, first: int = 0
                   ) -> int:
    wavs = sorted((root / "data").glob("*.wav"))[first::every][:limit]
    return _ps_manifest(out, ((w.stem, "kathleen", lambda w=w: read_pcm16k(w),
                               w.with_suffix(".txt").read_text().strip())
                              for w in wavs if w.with_suffix(".txt").exists()))


def build_speechocean(root: Path, out: Path, half: str, limit: int | None, first: int = 0,
                      ages: tuple[int, int] | None = None) -> int:
    """ages: keep only speakers whose age (the corpus' spk2age) is in [min, max]."""
    def table(name: str) -> dict[str, str]:
        lines = (root / half / name).read_text().splitlines()
        return dict(line.split(None, 1) for line in lines if line.strip())
    text, spk, scp = table("text"), table("utt2spk"), table("wav.scp")
    uids = sorted(scp)
    if ages is not None:
        age = {k: int(v) for k, v in table("spk2age").items()}
        uids = [u for u in uids if ages[0] <= age.get(spk[u].strip(), -1) <= ages[1]]
    return _ps_manifest(out, ((uid, spk[uid].strip(),
                               lambda u=uid: read_pcm16k(root / scp[u].strip()),
                               text[uid].strip()) for uid in uids[first:][:limit]))


# Speech Accent Archive elicitation paragraph (every speaker reads it; accent.gmu.edu, Weinberger,
# "The Speech Accent Archive", George Mason University)
ACCENT_PARAGRAPH = (
    "Please call Stella. Ask her to bring these things with her from the store: Six spoons of "
    "fresh snow peas, five thick slabs of blue cheese, and maybe a snack for her brother Bob. "
    "We also need a small plastic snake and a big toy frog for the kids. She can scoop these "
    "things into three red bags, and we will go meet her Wednesday at the train station.")


def accent_speakers(root: Path) -> list[tuple[Path, dict]]:
    """(mp3, speakers_all.csv row) of every recording of a Speech Accent Archive copy laid out as
    gabillogical/whisper_project (mp3 files anywhere below root, metadata in speakers_all.csv)."""
    import csv
    with (root / "speakers_all.csv").open(newline="", encoding="utf-8", errors="replace") as fh:
        rows = {r["filename"]: r for r in csv.DictReader(fh) if r.get("filename")}
    out = [(f, rows[f.stem]) for f in sorted(root.rglob("*.mp3")) if f.stem in rows]
    return sorted(out, key=lambda x: x[0].stem)


def accent_half(row: dict) -> str:
    """Speaker split of the Speech Accent Archive: 'test' = native English speakers whose file
    number is a multiple of 6 (about 1 in 6 native speakers, every country), 'train' = all other
    speakers.  Each file is one speaker, so the halves share no speaker."""
    m = re.search(r"(\d+)$", row["filename"])
    native = row.get("native_language", "").strip().lower() == "english"
    return "test" if native and m and int(m.group(1)) % 6 == 0 else "train"


def build_accent(root: Path, out: Path, half: str, limit: int | None, first: int = 0,
                 native: str = "all") -> int:
    def keep(r: dict) -> bool:
        is_native = r.get("native_language", "").strip().lower() == "english"
        return native == "all" or (native == "yes") == is_native

    def speaker(r: dict) -> str:
        return f"saa-{r['filename']}-{r.get('native_language', '')}-{r.get('country', '')}"

    todo = [(f, r) for f, r in accent_speakers(root) if accent_half(r) == half and keep(r)]
    return _ps_manifest(out, ((f.stem, speaker(r).replace(" ", "_"),
                               lambda f=f: read_pcm16k(f),
                               ACCENT_PARAGRAPH) for f, r in todo[first:][:limit]))


def build_shards(manifest: Path, out: Path, copies: int, seed: int, shard_size: int = 250,
                 p_colour: float = 0.5, max_fit: float | None = None,
                 speeds: list[float] | None = None, warps: list[float] | None = None,
                 tempos: list[float] | None = None, babble: tuple[float, float] | None = None,
                 babble_pool: list[Path] | None = None) -> int:
    """corpus.py-format shards (audio, phone segments, word times, meta) from a labelled
    manifest (PocketSphinx, or realign.py: items whose ``fit`` exceeds max_fit are left out).
    speeds[c]: speed perturbation of copy c (Kaldi's: the audio resampled by 1/speed and
    played at 16 kHz, so tempo, pitch and formants all move; label times scaled by 1/speed).
    warps[c]: vocal-tract-length perturbation of copy c (augment.vtlp: pitch and formants times
    warp, tempo and labels kept; > 1 sounds like a shorter vocal tract, e.g. a child's).
    tempos[c]: tempo of copy c (augment.tempo: pitch-keeping time stretch by 1/tempo, e.g. 0.7 =
    slow speech; label times scaled by 1/tempo).
    babble (LO, HI): every copy gets babble (augment.babble: 3-6 talkers) at an SNR drawn from
    LO..HI dB before its augmentation; the talkers come from the manifest's first 40 utterances
    and 40 utterances spread over each babble_pool manifest (other speakers)."""
    from fractions import Fraction

    from scipy.signal import resample_poly
    import soundfile as sf
    try:
        from . import augment
        from .corpus import write_shard
    except ImportError:  # pragma: no cover
        import augment  # type: ignore[no-redef]
        from corpus import write_shard  # type: ignore[no-redef]
    items = [it for it in load_manifest(manifest) if it.get("phones")
             and (max_fit is None or it.get("fit", 0.0) <= max_fit)]
    pool = [sf.read(it["wav"], dtype="float32")[0] for it in items[:40]]   # babble sources
    for m in babble_pool or []:
        other = load_manifest(m)
        pool += [sf.read(it["wav"], dtype="float32")[0]
                 for it in other[::max(1, len(other) // 40)][:40]]
    out.mkdir(parents=True, exist_ok=True)
    batch: list = []
    shard = n = 0
    for i, it in enumerate(items):
        x, _ = sf.read(it["wav"], dtype="float32")
        words, phones = it["words"], it["phones"]
        if it["ref"] == "pocketsphinx":          # realign.py labels keep their own edges
            words, phones = fix_ps_edges(np.round(x * 32768).astype(np.int16), words, phones)
        seg = np.array(phones, np.float32).reshape(-1, 3)
        word = np.array(words, np.float32).reshape(-1, 2)
        for c in range(copies):
            rng = np.random.default_rng([seed, i, c])
            sp = speeds[c] if speeds else 1.0
            xs, seg_c, word_c = x, seg, word
            wp = warps[c] if warps else 1.0
            if wp != 1.0:
                xs = augment.vtlp(xs, wp)
            tp = tempos[c] if tempos else 1.0
            if tp != 1.0:
                xs = augment.tempo(xs, tp)
                seg_c, word_c = _labels_at_rate(seg, word, tp)
            if sp != 1.0:
                f = Fraction(sp).limit_denominator(100)
                xs = resample_poly(x, f.denominator, f.numerator).astype(np.float32)
                seg_c, word_c = _labels_at_rate(seg, word, sp)
            snr = None
            if babble:
                snr = float(rng.uniform(*babble))
                xs = augment.add_noise(xs, augment.babble(len(xs), pool, rng), snr)
            y, info = augment.random_augment(xs, pool, rng, 1.0 if c == 0 else 0.0, p_colour)
            info = {**info, "babble": round(snr, 1)} if snr is not None else info
            info = {**info, "speed": sp} if sp != 1.0 else info
            info = {**info, "warp": wp} if wp != 1.0 else info
            info = {**info, "tempo": tp} if tp != 1.0 else info
            pcm = to_pcm16(y)
            meta = {"text": it["text"], "lang": "en-us", "variant": f"real:{it['speaker']}",
                    "voice": "real", "source": it["id"], "ref": it["ref"], "aug": info}
            batch.append((pcm, seg_c, word_c, meta))
            n += 1
            if len(batch) == shard_size:
                write_shard(out / f"shard_r{manifest.parent.name}_{shard:03d}.npz", batch)
                batch, shard = [], shard + 1
    if batch:
        write_shard(out / f"shard_r{manifest.parent.name}_{shard:03d}.npz", batch)
    return n


def _labels_at_rate(seg: np.ndarray, word: np.ndarray, rate: float
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Phone segments [S, 3] and word times [W, 2] (-1 = none) of audio played at ``rate``
    (speed or tempo): every time divided by it."""
    seg_c = seg.copy()
    seg_c[:, 1:] /= rate
    return seg_c, np.where(word >= 0, word / rate, word).astype(np.float32)


def _write_manifest(path: Path, lines: list[dict]) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text("".join(json.dumps(x) + "\n" for x in lines))
    tmp.replace(path)


def load_manifest(path: Path) -> list[dict]:
    return [json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()]


def main() -> int:
    ap = argparse.ArgumentParser(description="Build a real-speech manifest (wav + transcript + "
                                 "word reference) from a corpus directory.")
    ap.add_argument("kind", choices=["maus", "ps-kathleen", "ps-speechocean", "ps-accent",
                                     "shards"])
    ap.add_argument("root", type=Path,
                    help="corpus checkout (outside the repository); for shards: a manifest")
    ap.add_argument("out", type=Path, help="output directory (outside the repository)")
    ap.add_argument("--half", default="test",
                    help="ps-speechocean / ps-accent: train or test half (no shared speaker)")
    ap.add_argument("--native", choices=["all", "yes", "no"], default="all",
                    help="ps-accent: all speakers, native English speakers only, or the others")
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--every", type=int, default=1,
                    help="ps-kathleen: every Nth recording (the corpus has ~3 takes per prompt)")
    ap.add_argument("--first", type=int, default=0,
                    help="ps-kathleen / ps-speechocean: start at this recording (0-based, in "
                    "sorted order; ps-kathleen: before --every), e.g. to label a further slice")
    ap.add_argument("--age", type=int, nargs=2, metavar=("MIN", "MAX"), default=None,
                    help="ps-speechocean: only speakers of this age range (spk2age), e.g. 16 99")
    ap.add_argument("--labeller", choices=["pocketsphinx", "none"], default="pocketsphinx",
                    help="label with PocketSphinx, or write transcript-only items (words [], "
                    "ref 'none') to be labelled by realign.py with our own model")
    ap.add_argument("--skip", type=Path, nargs="*", default=[],
                    help="manifests whose ids are left out (e.g. the recordings already labelled)")
    ap.add_argument("--copies", type=int, default=2, help="shards: copies per utterance")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--speeds", type=float, nargs="*", default=None,
                    help="shards: speed factor of each copy (as many as --copies), e.g. "
                    "--copies 3 --speeds 1 0.9 1.1 (Kaldi-style speed perturbation)")
    ap.add_argument("--warps", type=float, nargs="*", default=None,
                    help="shards: vocal-tract-length warp of each copy (as many as --copies), "
                    "e.g. --copies 2 --warps 1 1.25 (pitch and formants x1.25, timing kept)")
    ap.add_argument("--tempos", type=float, nargs="*", default=None,
                    help="shards: tempo of each copy (as many as --copies), e.g. --copies 2 "
                    "--tempos 1 0.7 (pitch-keeping time stretch: slow speech, labels scaled)")
    ap.add_argument("--max-fit", type=float, default=None,
                    help="shards: leave out realign.py items whose fit (nats per frame below the "
                    "network's best class) exceeds this")
    ap.add_argument("--babble", type=float, nargs=2, default=None, metavar=("LO", "HI"),
                    help="shards: mix babble (3-6 talkers) into every copy at an SNR drawn from "
                    "LO..HI dB, e.g. --babble 0 20")
    ap.add_argument("--babble-pool", type=Path, nargs="*", default=[], metavar="MANIFEST",
                    help="shards with --babble: manifests of other speakers whose utterances "
                    "(40 of each) talk in the background besides the manifest's own first 40")
    a = ap.parse_args()
    if a.kind == "shards":
        if not a.root.is_file():
            print(f"error: {a.root} is not a manifest file", file=sys.stderr)
            return 2
        if a.speeds and len(a.speeds) != a.copies:
            print(f"error: --speeds needs {a.copies} values (one per copy)", file=sys.stderr)
            return 2
        if a.warps and len(a.warps) != a.copies:
            print(f"error: --warps needs {a.copies} values (one per copy)", file=sys.stderr)
            return 2
        if a.tempos and len(a.tempos) != a.copies:
            print(f"error: --tempos needs {a.copies} values (one per copy)", file=sys.stderr)
            return 2
        if a.tempos and a.speeds:
            print("error: --tempos and --speeds cannot be combined", file=sys.stderr)
            return 2
        for m in a.babble_pool:
            if not m.is_file():
                print(f"error: --babble-pool {m} is not a manifest file", file=sys.stderr)
                return 2
        if a.babble_pool and not a.babble:
            print("error: --babble-pool needs --babble LO HI", file=sys.stderr)
            return 2
        n = build_shards(a.root, a.out, a.copies, a.seed, max_fit=a.max_fit, speeds=a.speeds,
                         warps=a.warps, tempos=a.tempos,
                         babble=tuple(a.babble) if a.babble else None, babble_pool=a.babble_pool)
        print(f"{n} utterances -> {a.out}")
        return 0 if n else 1
    if not a.root.is_dir():
        print(f"error: {a.root} is not a directory", file=sys.stderr)
        return 2
    (a.out / "wav").mkdir(parents=True, exist_ok=True)
    LABEL["pocketsphinx"] = a.labeller == "pocketsphinx"
    for m in a.skip:
        if not m.is_file():
            print(f"error: --skip {m} is not a manifest file", file=sys.stderr)
            return 2
        LABEL["skip"] |= {x["id"] for x in load_manifest(m)}
    if a.kind == "maus":
        n = build_maus(a.root, a.out, a.limit)
    elif a.kind == "ps-kathleen":
        n = build_kathleen(a.root, a.out, a.limit, a.every, a.first)
    elif a.kind == "ps-accent":
        n = build_accent(a.root, a.out, a.half, a.limit, a.first, a.native)
    else:
        n = build_speechocean(a.root, a.out, a.half, a.limit, a.first,
                              tuple(a.age) if a.age else None)
    print(f"{n} utterances -> {a.out / 'manifest.jsonl'}")
    return 0 if n else 1


if __name__ == "__main__":
    sys.exit(main())
