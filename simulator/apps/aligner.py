"""Host side of the forced aligner: transcript -> USART lines, firmware answers -> word timings,
word timings -> TextGrid / SRT / WebVTT / JSON.

The line protocol is fixed by ``firmware/aligner/CONTRACT.md``:

* host -> firmware: ``T <n_words>``, one ``W <index> <id> ...`` per word, ``E``; after the audio,
  ``S <total_samples>`` (end of audio, read by the firmware app, not by ``protocol.c``);
* firmware -> host: ``A <index> <start_ms> <end_ms> <confidence_permille>``, ``A <index> NF``,
  ``R <index> <start_ms> <end_ms> <confidence_permille>`` or ``R <index> NF`` (a revision: a
  later pass of the search moved a word answered before; the last answer counts),
  ``D <n_frames> <n_words>``; any other firmware line starts with ``#`` and is a log line.

Words.  A transcript *word* is a whitespace-separated token that contains a letter or digit
(``text_norm.tokenize``; a lone ``&`` counts too).  Punctuation-only tokens (``--``, ``...``)
are not words: they get no index and no time.  Every word keeps its spelling exactly as written
(``"Hello,"``, ``"42"``, ``"$5"``) for every output; only the phones come from the normalised
form (``"42"`` -> ``forty two``).  A word that normalises to nothing pronounceable (``"日本"``,
an emoji) is still sent (``W i`` with no ids) and the firmware answers ``NF`` for it.

Nothing is dropped silently: :meth:`ResultParser.words` returns one :class:`Word` per
transcript word; a word the firmware never answered is ``found=False`` and an error is noted.

Output formats (chosen by the file suffix, case-insensitive, see :func:`write_alignment`):

* ``.json``: every word, found or not (``start``/``end`` in seconds, ``confidence`` 0..1,
  ``null`` when not found);
* ``.srt`` / ``.vtt``: one cue per *found* word, not-found words are omitted;
* ``.TextGrid`` (Praat long text format): one IntervalTier ``words``; found words are
  intervals with their text, the gaps are empty intervals, the tier covers ``0 .. xmax`` with
  ``xmax`` = audio duration (or the last word end if that is later / the duration is unknown).
  Not-found words are *skipped* in the TextGrid (they have no time; a TextGrid interval needs
  one); they stay in the JSON output and in :func:`format_table`.
"""
from __future__ import annotations

import math
import re
import sys
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import json_safe

#: firmware/model (text normalisation and g2p are imported from there, as the tests do)
MODEL_DIR = Path(__file__).resolve().parents[2] / "firmware" / "model"

# Compile-time limits of the firmware aligner (al_config.h, protocol.h). Words beyond them are
# answered NF by the firmware; prepare_transcript() warns about them up front.
AL_MAX_WORDS = 2048
AL_MAX_PHONES = 8192
AL_PROTO_MAX_IDS = 96          # phone ids per W line
AL_PROTO_LINE_MAX = 512        # characters per line, '\n' excluded
SIL_CLASS = 0
MAX_CLASS_ID = 0xFFFF

#: Longest firmware line kept while waiting for its '\n' (longer ones are reported and dropped).
MAX_RX_LINE = 4096
MAX_PARSER_MESSAGES = 1_000    # errors / log lines kept from the firmware's result stream

FORMATS = {".json": "json", ".srt": "srt", ".vtt": "vtt", ".textgrid": "textgrid"}

#: eSpeak NG voice whose pronunciations a transcript is sent with unless the user names one
#: (--accent): the model's training phones are eSpeak NG's American ones
DEFAULT_ACCENT = "en-us"
#: --help of --accent (simulate, sweep, profile, batch)
ACCENT_HELP = ("eSpeak NG voice whose pronunciations the transcript's words are sent with "
               "(default en-us, the model's training phones); en-gb-x-rp for British speech, "
               "or any English voice `espeak-ng --voices=en` lists (en-gb-scotland, en-029, ...)")


class G2PUnavailable(RuntimeError):
    """eSpeak NG (or firmware/model) cannot be used; the message is one line for the user."""


# ---------------------------------------------------------------------------------------------
# Transcript
# ---------------------------------------------------------------------------------------------
@dataclass
class TranscriptWord:
    index: int
    text: str                                           # the word exactly as written
    spoken: list[str] = field(default_factory=list)     # normalised words fed to eSpeak
    phones: list[int] = field(default_factory=list)     # phone class ids (no sil); [] -> NF


@dataclass
class Transcript:
    words: list[TranscriptWord]
    warnings: list[str] = field(default_factory=list)   # words the firmware will answer NF

    def __len__(self) -> int:
        return len(self.words)


@dataclass
class Word:
    index: int
    text: str
    start_s: float | None
    end_s: float | None
    confidence: float | None        # 0..1 (the firmware's permille / 1000)
    found: bool


def _g2p() -> Any:
    """The firmware/model g2p module (flat import, like tests/_model_path.py)."""
    mod = sys.modules.get("g2p")
    if mod is not None and Path(getattr(mod, "__file__", "")).resolve().parent == MODEL_DIR:
        return mod
    if mod is not None:
        raise G2PUnavailable(f"a different module named 'g2p' is already imported "
                             f"({getattr(mod, '__file__', '?')}); cannot load {MODEL_DIR}/g2p.py")
    if not (MODEL_DIR / "g2p.py").is_file():
        raise G2PUnavailable(f"text-to-phone code not found: {MODEL_DIR / 'g2p.py'}")
    if str(MODEL_DIR) not in sys.path:
        sys.path.insert(0, str(MODEL_DIR))
    try:
        import g2p  # type: ignore[import-not-found]
    except Exception as e:  # pragma: no cover - depends on the installation
        raise G2PUnavailable(f"cannot import {MODEL_DIR / 'g2p.py'}: {e}") from e
    return g2p


def g2p_available() -> bool:
    """True if eSpeak NG can be loaded (prepare_transcript() will work)."""
    try:
        _g2p().es.get_engine()
    except Exception:
        return False
    return True


def check_accent(voice: str) -> None:
    """ValueError (one line) unless ``voice`` names an English eSpeak NG voice (``en``,
    ``en-...``): the model knows English phones only. Whether eSpeak NG has it is seen when
    the transcript is prepared."""
    if not (voice == "en" or voice.startswith("en-")):
        raise ValueError(f"accent {voice!r} is not an English eSpeak NG voice (the model "
                         f"knows English phones only; espeak-ng --voices=en lists them)")


def prepare_transcript(text: str, voice: str = DEFAULT_ACCENT) -> Transcript:
    """Normalise ``text``, split it into words and look up each word's phone classes with the
    eSpeak NG voice ``voice`` (an English one: the model knows English phones only).

    Raises ValueError (one line) if there is no word at all or the voice is not an English
    eSpeak NG voice, G2PUnavailable if eSpeak NG cannot be loaded."""
    check_accent(voice)
    text = text.lstrip("\ufeff")
    if not text.strip():
        raise ValueError("the transcript is empty")
    _check_size(text)
    try:
        wps = _transcript_phones(text, voice)
    except OSError as e:
        raise G2PUnavailable(f"eSpeak NG is not available ({e}); install espeak-ng") from e
    except RuntimeError as e:
        raise G2PUnavailable(f"eSpeak NG failed: {e}") from e
    except ValueError as e:         # an unknown voice
        raise ValueError(f"accent: {e} (espeak-ng --voices=en lists the English ones)") from e
    except KeyError as e:
        raise G2PUnavailable(f"eSpeak NG produced a phone the model does not know: {e}") from e
    if not wps:
        raise ValueError("the transcript has no words (only punctuation or symbols)")
    t = Transcript([TranscriptWord(i, token, list(spoken), list(phones))
                    for i, (token, spoken, phones) in enumerate(wps)])
    t.warnings = limit_warnings(t)
    return t


#: the modules of firmware/model that turn a transcript into phone classes
FRONT_END = ("g2p.py", "espeak.py", "text_norm.py", "phones.py", "phone_map.json")


def _transcript_phones(text: str, voice: str) -> list[tuple[str, list[str], list[int]]]:
    """(token, spoken words, phone classes) of every token of ``text``: g2p.transcript_phones,
    kept in the on-disk cache (simulator/cache.py, kind ``transcript``) by the text, the voice,
    the eSpeak NG version and data files (sizes and times), and the bytes of the front end's
    files (FRONT_END): starting eSpeak NG (its voice data) cost ~0.1 CPU s of every aligner run."""
    from .. import cache

    def compute() -> list[tuple[str, list[str], list[int]]]:
        return [(w.token, list(w.spoken), [int(c) for c in w.phones])
                for w in _g2p().transcript_phones(text, voice=voice)]

    ident = _front_end_identity()
    if ident is None:          # no cache, or eSpeak NG / the model's files missing: compute
        return compute()       # (which says what is missing)
    return cache.cached("transcript", cache.key(text, voice, ident), compute)


def _front_end_identity() -> tuple | None:
    """What the phones of a transcript depend on besides its text and voice: the eSpeak NG
    library's version (espeak_Info, which needs no initialisation), its data files (name,
    size and modification time of every file under the data directory it would read:
    :func:`_espeak_data_stamp`), and a hash of the front end's files; None when caching is
    off or one cannot be read."""
    import ctypes
    import hashlib

    from .. import cache
    if cache.directory() is None:
        return None
    try:
        lib = ctypes.CDLL("libespeak-ng.so.1")
        lib.espeak_Info.restype = ctypes.c_char_p
        lib.espeak_Info.argtypes = [ctypes.c_void_p]
        version = lib.espeak_Info(None)
        data = _espeak_data_stamp(lib)
        h = hashlib.sha256()
        for name in FRONT_END:
            h.update((MODEL_DIR / name).read_bytes())
    except (OSError, AttributeError):
        return None
    return (version, data, h.hexdigest())


def _espeak_data_stamp(lib) -> str:
    """A digest of (path, size, mtime) of every file of the eSpeak NG data directory the
    library resolves (espeak_ng_InitializePath: ESPEAK_DATA_PATH or its built-in path; only
    the path is set, nothing is loaded): an edited dictionary or voice changes it, without
    reading the ~13 MB of data (~3 ms of CPU for the 488 files of Debian 12)."""
    import ctypes
    import hashlib
    import os

    lib.espeak_ng_InitializePath.restype = None
    lib.espeak_ng_InitializePath.argtypes = [ctypes.c_char_p]
    lib.espeak_ng_InitializePath(None)
    lib.espeak_Info.restype = ctypes.c_char_p
    lib.espeak_Info.argtypes = [ctypes.POINTER(ctypes.c_char_p)]
    path = ctypes.c_char_p()
    lib.espeak_Info(ctypes.byref(path))
    root = os.fsdecode(path.value or b"")
    stamps: list[tuple[str, int, int]] = []
    folders = [root]
    while folders:
        with os.scandir(folders.pop()) as entries:
            for e in entries:
                if e.is_dir():
                    folders.append(e.path)
                else:
                    st = e.stat()
                    stamps.append((e.path, st.st_size, st.st_mtime_ns))
    stamps.sort()
    h = hashlib.sha256(repr((root, stamps)).encode())
    return h.hexdigest()


#: Host-side bounds of a transcript, checked before eSpeak NG sees it (a 1 MB line made its
#: synthesis take gigabytes; 45,000 words took minutes). The firmware aligns at most
#: AL_MAX_WORDS words and AL_PROTO_MAX_IDS phones per word, so longer input cannot be aligned
#: anyway; these limits leave room for the "NOT FOUND" warnings of moderate overruns.
MAX_TRANSCRIPT_CHARS = 256 * 1024
MAX_TRANSCRIPT_WORDS = 16 * AL_MAX_WORDS
MAX_WORD_CHARS = 256


def _check_size(text: str) -> None:
    if len(text) > MAX_TRANSCRIPT_CHARS:
        raise ValueError(f"the transcript has {len(text):,} characters; the limit is "
                         f"{MAX_TRANSCRIPT_CHARS:,} (the aligner takes {AL_MAX_WORDS} words)")
    words = text.split()
    if len(words) > MAX_TRANSCRIPT_WORDS:
        raise ValueError(f"the transcript has {len(words):,} words; the limit is "
                         f"{MAX_TRANSCRIPT_WORDS:,} (the aligner takes {AL_MAX_WORDS})")
    longest = max(words, key=len)
    if len(longest) > MAX_WORD_CHARS:
        raise ValueError(f"a word of the transcript is {len(longest):,} characters long "
                         f"({longest[:20]!r}...); the limit is {MAX_WORD_CHARS}")


def limit_warnings(t: Transcript) -> list[str]:
    """Words the firmware will answer NF because of its compile-time limits."""
    out: list[str] = []
    if len(t.words) > AL_MAX_WORDS:
        out.append(f"the transcript has {len(t.words)} words; the aligner takes at most "
                   f"{AL_MAX_WORDS}, words {AL_MAX_WORDS}.. will be NOT FOUND")
    total = 0
    for w in t.words:
        line = _word_line(w)
        if len(w.phones) > AL_PROTO_MAX_IDS or len(line) > AL_PROTO_LINE_MAX:
            out.append(f"word {w.index} {w.text!r} has {len(w.phones)} phones (max "
                       f"{AL_PROTO_MAX_IDS} per word): it will be NOT FOUND")
        total += len(w.phones)
        if total > AL_MAX_PHONES:
            out.append(f"the transcript has more than {AL_MAX_PHONES} phones; words from "
                       f"{w.index} {w.text!r} on will be NOT FOUND")
            break
    return out


def _word_line(w: TranscriptWord) -> str:
    for c in w.phones:
        if not isinstance(c, int) or isinstance(c, bool) or not 0 < c <= MAX_CLASS_ID:
            raise ValueError(f"word {w.index} {w.text!r}: invalid phone id {c!r} "
                             f"(1..{MAX_CLASS_ID}, silence {SIL_CLASS} is not sent)")
    return "W " + " ".join([str(w.index)] + [str(c) for c in w.phones])


def encode_transcript(t: Transcript) -> bytes:
    """The ``T`` / ``W`` ... / ``E`` lines of the contract, ASCII, '\\n' terminated."""
    if not t.words:
        raise ValueError("the transcript is empty")
    lines = [f"T {len(t.words)}"]
    for i, w in enumerate(t.words):
        if w.index != i:
            raise ValueError(f"transcript word {i} has index {w.index}")
        lines.append(_word_line(w))
    lines.append("E")
    return ("\n".join(lines) + "\n").encode("ascii")


def end_of_audio_line(total_samples: int) -> bytes:
    """``S <total>`` - the end-of-audio marker the firmware app reads."""
    if isinstance(total_samples, bool) or not isinstance(total_samples, int) or total_samples < 0:
        raise ValueError(f"invalid sample count {total_samples!r}")
    return f"S {total_samples}\n".encode("ascii")


# ---------------------------------------------------------------------------------------------
# Firmware output
# ---------------------------------------------------------------------------------------------
_INT = re.compile(r"-?\d+\Z")


@dataclass(frozen=True)
class _Answer:
    nf: bool
    start_ms: int = 0
    end_ms: int = 0
    conf: int = 0


class ResultParser:
    """Incremental parser of the firmware's USART3 TX stream (``A`` / ``R`` / ``D`` / ``#`` lines).

    Bytes may arrive in any chunks; lines end with '\\n' ('\\r' is ignored).  Anything that is
    not a valid ``A``/``R``/``D``/``#`` line is recorded in ``errors`` and otherwise ignored.
    An ``R`` line replaces the answer of a word answered before (``n_revised`` counts them)."""

    def __init__(self) -> None:
        self._buf = bytearray()
        self._discarding = False
        self._answers: dict[int, _Answer] = {}
        self.done = False
        self.n_frames: int | None = None
        self.n_words: int | None = None         # as reported by the D line
        self.n_revised = 0                      # R lines that replaced an answer
        self.log_lines: list[str] = []
        self.errors: list[str] = []

    def _error(self, msg: str) -> None:
        # bounded: a firmware printing garbage for hours must not grow the host's memory
        if len(self.errors) < MAX_PARSER_MESSAGES and msg not in self.errors:
            self.errors.append(msg)

    def feed(self, data: bytes) -> None:
        self._buf += data
        while True:
            nl = self._buf.find(b"\n")
            if nl < 0:
                break
            raw = bytes(self._buf[:nl])
            del self._buf[:nl + 1]
            if self._discarding:
                self._discarding = False
                continue
            self._line(raw)
        if len(self._buf) > MAX_RX_LINE:
            if not self._discarding:
                self._error(f"firmware line longer than {MAX_RX_LINE} bytes dropped: "
                            f"{bytes(self._buf[:40])!r}...")
            self._discarding = True
            self._buf.clear()

    def close(self) -> None:
        """End of the stream: a last line without '\\n' is parsed (and noted)."""
        if self._buf and not self._discarding:
            raw = bytes(self._buf)
            if raw.strip():
                self._error(f"firmware output ends in an unterminated line: {raw[:60]!r}")
                self._line(raw)
        self._buf.clear()
        self._discarding = False

    def _line(self, raw: bytes) -> None:
        line = raw.decode("ascii", errors="replace").replace("\r", "").strip()
        if not line:
            return
        if line.startswith("#"):
            if len(self.log_lines) < MAX_PARSER_MESSAGES:
                self.log_lines.append(line[1:].strip())
            return
        f = line.split()
        if f[0] in ("A", "R") and len(f) in (3, 5) and _INT.match(f[1]):
            self._answer(line, f)
        elif f[0] == "D" and len(f) == 3 and all(_INT.match(x) for x in f[1:]):
            if self.done:
                self._error(f"second D line ignored: {line!r}")
                return
            self.done = True
            self.n_frames, self.n_words = int(f[1]), int(f[2])
        else:
            self._error(f"unexpected firmware line: {line[:80]!r}")

    def _answer(self, line: str, f: list[str]) -> None:
        if self.done:
            self._error(f"result after the D line ignored: {line!r}")
            return
        idx = int(f[1])
        if idx < 0:
            self._error(f"bad word index: {line!r}")
            return
        if len(f) == 3:
            if f[2] != "NF":
                self._error(f"unexpected firmware line: {line[:80]!r}")
                return
            ans = _Answer(True)
        else:
            if not all(_INT.match(x) for x in f[2:]):
                self._error(f"unexpected firmware line: {line[:80]!r}")
                return
            s, e, c = int(f[2]), int(f[3]), int(f[4])
            # times are int32 milliseconds in the firmware: anything wider is garbage
            if e < s or not 0 <= c <= 1000 or not -(1 << 31) <= s <= e < (1 << 31):
                self._error(f"inconsistent result for word {idx} (treated as not found): "
                            f"{line!r}")
                ans = _Answer(True)
            else:
                ans = _Answer(False, s, e, c)
        if f[0] == "R":
            if idx not in self._answers:
                self._error(f"revision of a word not answered before ignored: {line!r}")
                return
            self._answers[idx] = ans
            self.n_revised += 1
            return
        if idx in self._answers:
            self._error(f"word {idx} answered twice, first answer kept: {line!r}")
            return
        self._answers[idx] = ans

    def words(self, t: Transcript) -> list[Word]:
        """One Word per transcript word, in transcript order."""
        out: list[Word] = []
        n = len(t.words)
        for w in t.words:
            a = self._answers.get(w.index)
            if a is None:
                self._error(f"word {w.index} {w.text!r}: the firmware sent no result for it "
                            f"(reported as NOT FOUND)")
                out.append(Word(w.index, w.text, None, None, None, False))
            elif a.nf:
                out.append(Word(w.index, w.text, None, None, None, False))
            else:
                # the first word's start may fall before 0 by the model's frame offset: clamp
                s = max(a.start_ms, 0) / 1000.0
                e = max(a.end_ms, 0) / 1000.0
                out.append(Word(w.index, w.text, s, e, a.conf / 1000.0, True))
        extra = sorted(i for i in self._answers if i >= n)
        if extra:
            self._error(f"answers for {len(extra)} word(s) beyond the transcript's {n} ignored "
                        f"(first: {extra[0]})")
        if not self.done:
            self._error("the firmware did not finish (no D line)")
        elif self.n_words is not None and self.n_words != n:
            self._error(f"the firmware reports {self.n_words} words, the transcript has {n}")
        return out


# ---------------------------------------------------------------------------------------------
# Output files
# ---------------------------------------------------------------------------------------------
def output_format(path: Path | str) -> str:
    """'json' | 'srt' | 'vtt' | 'textgrid' from the suffix; ValueError (one line) otherwise."""
    p = Path(path)
    fmt = FORMATS.get(p.suffix.lower())
    if fmt is None:
        raise ValueError(f"cannot tell the alignment format from {p.name!r}: "
                         f"use a .json, .srt, .vtt or .TextGrid file name")
    return fmt


def _found(words: list[Word]) -> list[Word]:
    out = []
    for w in words:
        if not w.found:
            continue
        if w.start_s is None or w.end_s is None:
            raise ValueError(f"word {w.index} {w.text!r} is marked found but has no time")
        out.append(w)
    return out


def _ms(t: float) -> int:
    return max(0, int(round(t * 1000.0)))


def _clock(t: float, sep: str) -> str:
    ms = _ms(t)
    h, rem = divmod(ms, 3_600_000)
    m, rem = divmod(rem, 60_000)
    s, ms = divmod(rem, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


def srt_time(t: float) -> str:
    return _clock(t, ",")


def vtt_time(t: float) -> str:
    return _clock(t, ".")


def render_srt(words: list[Word]) -> str:
    cues = []
    for n, w in enumerate(_found(words), 1):
        cues.append(f"{n}\n{srt_time(w.start_s)} --> {srt_time(w.end_s)}\n{w.text}\n")
    return "\n".join(cues)


def _vtt_escape(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def render_vtt(words: list[Word]) -> str:
    out = ["WEBVTT\n"]
    for n, w in enumerate(_found(words), 1):
        out.append(f"{n}\n{vtt_time(w.start_s)} --> {vtt_time(w.end_s)}\n{_vtt_escape(w.text)}\n")
    return "\n".join(out)


def render_json(words: list[Word], audio_duration_s: float | None) -> str:
    found = sum(1 for w in words if w.found)
    doc = {
        "version": 1,
        "time_unit": "s",
        "audio_duration_s": audio_duration_s,
        "n_words": len(words),
        "n_found": found,
        "n_not_found": len(words) - found,
        "words": [{"index": w.index, "text": w.text,
                   "start": w.start_s if w.found else None,
                   "end": w.end_s if w.found else None,
                   "confidence": w.confidence if w.found else None,
                   "found": bool(w.found)} for w in words],
    }
    return json_safe.dumps(doc, ensure_ascii=False, indent=2) + "\n"


def _num(x: float) -> str:
    """Praat-style number: up to 6 decimals, no trailing zeros ('0', '1.25')."""
    s = f"{x:.6f}".rstrip("0").rstrip(".")
    return "0" if s in ("", "-0") else s


def _q(s: str) -> str:
    return '"' + s.replace('"', '""') + '"'


def textgrid_intervals(words: list[Word], audio_duration_s: float | None
                       ) -> tuple[float, list[tuple[float, float, str]]]:
    """(xmax, contiguous intervals from 0 to xmax) of the 'words' tier.

    Found words in transcript order; a word starting before the previous one's end is clipped
    to that end, and a word left with no duration is skipped (it stays in the JSON output)."""
    spans: list[tuple[float, float, str]] = []
    prev_end = 0.0
    for w in _found(words):
        s = max(round(w.start_s, 6), prev_end, 0.0)
        e = round(w.end_s, 6)
        if e <= s:
            continue
        spans.append((s, e, w.text))
        prev_end = e
    xmax = prev_end
    if audio_duration_s is not None and math.isfinite(audio_duration_s):
        xmax = max(xmax, round(audio_duration_s, 6))
    out: list[tuple[float, float, str]] = []
    t = 0.0
    for s, e, text in spans:
        if s > t:
            out.append((t, s, ""))
        out.append((s, e, text))
        t = e
    if xmax > t or not out:
        if xmax <= t:          # nothing at all: Praat needs xmax > xmin
            xmax = t + 0.001
        out.append((t, xmax, ""))
    return xmax, out


def render_textgrid(words: list[Word], audio_duration_s: float | None) -> str:
    xmax, ivs = textgrid_intervals(words, audio_duration_s)
    lines = [
        'File type = "ooTextFile"',
        'Object class = "TextGrid"',
        "",
        "xmin = 0 ",
        f"xmax = {_num(xmax)} ",
        "tiers? <exists> ",
        "size = 1 ",
        "item []: ",
        "    item [1]:",
        '        class = "IntervalTier" ',
        '        name = "words" ',
        "        xmin = 0 ",
        f"        xmax = {_num(xmax)} ",
        f"        intervals: size = {len(ivs)} ",
    ]
    for n, (s, e, text) in enumerate(ivs, 1):
        lines += [f"        intervals [{n}]:",
                  f"            xmin = {_num(s)} ",
                  f"            xmax = {_num(e)} ",
                  f"            text = {_q(text)} "]
    return "\n".join(lines) + "\n"


def render(words: list[Word], fmt: str, audio_duration_s: float | None) -> str:
    if fmt == "json":
        return render_json(words, audio_duration_s)
    if fmt == "srt":
        return render_srt(words)
    if fmt == "vtt":
        return render_vtt(words)
    if fmt == "textgrid":
        return render_textgrid(words, audio_duration_s)
    raise ValueError(f"unknown alignment format {fmt!r}")


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8) with the common output rules (simulator/output.py): ``-`` is
    stdout, pipes written directly, regular files replaced atomically."""
    from ..output import write_text
    write_text(path, text)


def write_alignment(words: list[Word], path: Path, audio_duration_s: float | None) -> None:
    """Write ``words`` to ``path`` in the format of its suffix (.json .srt .vtt .TextGrid)."""
    path = Path(path)
    fmt = output_format(path)
    atomic_write_text(path, render(words, fmt, audio_duration_s))


def _cells(s: str) -> int:
    """Terminal columns of ``s`` (East Asian wide characters take two)."""
    return sum(0 if unicodedata.combining(c) else
               2 if unicodedata.east_asian_width(c) in ("W", "F") else 1 for c in s)


def _fit(s: str, width: int) -> str:
    """``s`` cut to ``width`` columns (ending in '~' if cut) and padded to exactly ``width``."""
    if _cells(s) > width:
        while s and _cells(s) > width - 1:
            s = s[:-1]
        s += "~"
    return s + " " * (width - _cells(s))


def format_table(words: list[Word]) -> str:
    """Short human-readable table: index, word, start, end, confidence or NOT FOUND."""
    width = min(max([4] + [_cells(w.text) for w in words]), 32)
    rows = [f"{'#':>4}  {_fit('word', width)}  {'start':>8}  {'end':>8}  conf"]
    for w in words:
        text = _fit(w.text, width)
        if w.found and w.start_s is not None and w.end_s is not None:
            conf = "-" if w.confidence is None else f"{w.confidence:.2f}"
            rows.append(f"{w.index:>4}  {text}  {w.start_s:>8.3f}  {w.end_s:>8.3f}  {conf}")
        else:
            rows.append(f"{w.index:>4}  {text}  {'-':>8}  {'-':>8}  NOT FOUND")
    nf = sum(1 for w in words if not w.found)
    rows.append(f"{len(words)} words, {len(words) - nf} aligned, {nf} not found")
    return "\n".join(rows)
