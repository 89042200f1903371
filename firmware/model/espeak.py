"""ctypes binding to libespeak-ng (synchronous retrieval mode) with word and phoneme events.

eSpeak NG event semantics (checked against espeak-ng 1.51, see README.md "espeak events"):

* ``espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, ..., espeakINITIALIZE_PHONEME_EVENTS)``:
  without that option flag no ``espeakEVENT_PHONEME`` events are produced at all.
* ``audio_position`` is in whole milliseconds (truncated); ``sample`` is the exact sample index
  in the produced 22050 Hz stream (cumulative over clauses of one ``espeak_Synth`` call).  We use
  ``sample`` and convert to seconds ourselves.
* A phoneme event is emitted when the phoneme's synthesis starts; the phoneme lasts until the next
  phoneme event (or the END/MSG_TERMINATED event, or the end of the audio).  Pause phonemes
  ``_`` / ``_:`` / ``_!`` are reported as phoneme events too.
* ``text_position`` is 1-based, in characters.  Phoneme events carry the text position of the word
  they belong to (pauses carry the position of the punctuation), so phones are attributed to a
  word by the character span of the word.
* WORD events come *before* a preceding pause has been played in some cases (their sample is
  the end of the previous word), so word times are NOT taken from WORD events: word start = start
  of its first phone, word end = end of its last phone.
* ``id.string`` holds the mnemonic, NUL terminated unless 8 bytes long; the bytes after the NUL
  are garbage, so we cut at the first NUL.

One process has one eSpeak instance (the library keeps global state); use ``get_engine()``.
"""
from __future__ import annotations

import argparse
import ctypes as C
import sys
import threading
import types
from dataclasses import dataclass, field

import numpy as np

AUDIO_OUTPUT_SYNCHRONOUS = 2
ESPEAK_INITIALIZE_PHONEME_EVENTS = 0x0001
ESPEAK_CHARS_UTF8 = 1
ESPEAK_ENDPAUSE = 0x1000
POS_CHARACTER = 1

EV_LIST_TERMINATED = 0
EV_WORD = 1
EV_SENTENCE = 2
EV_MARK = 3
EV_PLAY = 4
EV_END = 5
EV_MSG_TERMINATED = 6
EV_PHONEME = 7
EV_SAMPLERATE = 8

P_RATE = 1
P_VOLUME = 2
P_PITCH = 3
P_RANGE = 4
P_PUNCTUATION = 5
P_WORDGAP = 7

SAMPLE_RATE = 22050
PAUSE_PHONES = ("_", "_:", "_!", "_!!", "_^_", "||", "|")


class _EventId(C.Union):
    _fields_ = [("number", C.c_int), ("name", C.c_char_p), ("string", C.c_ubyte * 8)]


class _Event(C.Structure):
    _fields_ = [
        ("type", C.c_int),
        ("unique_identifier", C.c_uint),
        ("text_position", C.c_int),
        ("length", C.c_int),
        ("audio_position", C.c_int),
        ("sample", C.c_int),
        ("user_data", C.c_void_p),
        ("id", _EventId),
    ]


_CALLBACK = C.CFUNCTYPE(C.c_int, C.POINTER(C.c_short), C.c_int, C.POINTER(_Event))


@dataclass
class Event:
    """One eSpeak event (types EV_*); ``sample`` is the exact 22050 Hz sample index."""

    type: int
    text_position: int
    length: int
    audio_position_ms: int
    sample: int
    number: int = 0
    phoneme: str = ""


@dataclass
class Phone:
    name: str          # eSpeak mnemonic
    start: float       # seconds
    end: float         # seconds
    text_position: int  # 1-based character position reported by eSpeak


@dataclass
class Synthesis:
    audio: np.ndarray                     # int16, SAMPLE_RATE Hz
    events: list[Event]
    phones: list[Phone] = field(default_factory=list)

    @property
    def duration(self) -> float:
        return len(self.audio) / SAMPLE_RATE


@dataclass
class WordTiming:
    index: int
    text: str
    start: float | None  # None when eSpeak produced no phone for the word
    end: float | None
    phones: list[Phone]


class Espeak:
    """Thin synchronous wrapper.  Not re-entrant: calls are serialised with a lock."""

    def __init__(self, data_path: str | None = None) -> None:
        self._lib = C.CDLL("libespeak-ng.so.1")
        self._lib.espeak_Initialize.restype = C.c_int
        self._lib.espeak_Initialize.argtypes = [C.c_int, C.c_int, C.c_char_p, C.c_int]
        self._lib.espeak_SetVoiceByName.argtypes = [C.c_char_p]
        self._lib.espeak_SetVoiceByName.restype = C.c_int
        self._lib.espeak_SetParameter.argtypes = [C.c_int, C.c_int, C.c_int]
        self._lib.espeak_SetParameter.restype = C.c_int
        self._lib.espeak_Synth.argtypes = [C.c_void_p, C.c_size_t, C.c_uint, C.c_int, C.c_uint,
                                           C.c_uint, C.POINTER(C.c_uint), C.c_void_p]
        self._lib.espeak_Synth.restype = C.c_int
        self._lib.espeak_TextToPhonemes.argtypes = [C.POINTER(C.c_void_p), C.c_int, C.c_int]
        self._lib.espeak_TextToPhonemes.restype = C.c_char_p
        sr = self._lib.espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0,
                                         data_path.encode() if data_path else None,
                                         ESPEAK_INITIALIZE_PHONEME_EVENTS)
        if sr != SAMPLE_RATE:
            raise RuntimeError(f"espeak_Initialize returned {sr}, expected {SAMPLE_RATE}")
        self._chunks: list[np.ndarray] = []
        self._events: list[Event] = []
        self._cb = _CALLBACK(self._callback)  # keep a reference: ctypes must not free it
        self._lib.espeak_SetSynthCallback(self._cb)
        self._lock = threading.Lock()
        self._voice: str | None = None

    def _callback(self, wav: C.POINTER(C.c_short), n: int, events: C.POINTER(_Event)) -> int:
        if wav and n > 0:
            self._chunks.append(np.ctypeslib.as_array(wav, shape=(n,)).astype(np.int16).copy())
        i = 0
        while events[i].type != EV_LIST_TERMINATED:
            e = events[i]
            ev = Event(e.type, e.text_position, e.length, e.audio_position, e.sample)
            if e.type == EV_PHONEME:
                raw = bytes(e.id.string)
                ev.phoneme = raw.split(b"\0", 1)[0].decode("latin-1")
            elif e.type in (EV_WORD, EV_SENTENCE, EV_END, EV_MSG_TERMINATED, EV_SAMPLERATE):
                ev.number = e.id.number
            self._events.append(ev)
            i += 1
        return 0

    def set_voice(self, voice: str) -> None:
        """``voice`` is a language/voice name, optionally with ``+variant`` (e.g. ``en-us+m3``)."""
        if voice != self._voice:
            if self._lib.espeak_SetVoiceByName(voice.encode()) != 0:
                raise ValueError(f"unknown eSpeak voice {voice!r}")
            self._voice = voice

    def synthesize(self, text: str, voice: str = "en-us", rate: int = 175, pitch: int = 50,
                   pitch_range: int = 50, word_gap: int = 0, end_pause: bool = False) -> Synthesis:
        """Synthesise ``text`` (UTF-8, plain, no SSML).  Returns 22050 Hz int16 audio + events."""
        with self._lock:
            self._voice = None  # SetVoiceByName resets parameters; always re-apply
            self.set_voice(voice)
            for p, v in ((P_RATE, rate), (P_PITCH, pitch), (P_RANGE, pitch_range),
                         (P_WORDGAP, word_gap), (P_VOLUME, 100), (P_PUNCTUATION, 0)):
                self._lib.espeak_SetParameter(p, int(v), 0)
            self._chunks, self._events = [], []
            buf = C.create_string_buffer(text.encode("utf-8"))
            flags = ESPEAK_CHARS_UTF8 | (ESPEAK_ENDPAUSE if end_pause else 0)
            err = self._lib.espeak_Synth(buf, len(buf), 0, POS_CHARACTER, 0, flags, None, None)
            if err != 0:
                raise RuntimeError(f"espeak_Synth failed: {err}")
            audio = np.concatenate(self._chunks) if self._chunks else np.zeros(0, np.int16)
            events = self._events
            self._chunks, self._events = [], []
        syn = Synthesis(audio=audio, events=events)
        syn.phones = phones_from_events(events, len(audio))
        return syn

    def text_to_phonemes(self, text: str, voice: str = "en-us") -> str:
        """espeak_TextToPhonemes, eSpeak mnemonics, clauses joined by spaces (for inspection)."""
        with self._lock:
            self._voice = None
            self.set_voice(voice)
            buf = C.create_string_buffer(text.encode("utf-8"))
            ptr = C.c_void_p(C.addressof(buf))
            out: list[str] = []
            while ptr.value:
                r = self._lib.espeak_TextToPhonemes(C.byref(ptr), ESPEAK_CHARS_UTF8, 0)
                if r:
                    out.append(r.decode("latin-1"))
            return " ".join(out)


def phones_from_events(events: list[Event], n_samples: int) -> list[Phone]:
    """Phone segments: each PHONEME event lasts until the next PHONEME/END/MSG_TERMINATED event."""
    phones: list[Phone] = []
    marks = [e for e in events if e.type in (EV_PHONEME, EV_END, EV_MSG_TERMINATED)]
    for i, e in enumerate(marks):
        if e.type != EV_PHONEME:
            continue
        end = n_samples
        for f in marks[i + 1:]:
            end = f.sample
            break
        end = max(min(end, n_samples), e.sample)
        phones.append(Phone(e.phoneme, e.sample / SAMPLE_RATE, end / SAMPLE_RATE, e.text_position))
    return phones


def is_pause(name: str) -> bool:
    return name.startswith("_") or name in PAUSE_PHONES or name == ""


def word_spans(words: list[str]) -> tuple[str, list[tuple[int, int]]]:
    """Join words with single spaces; return text and 1-based [start, end) character spans."""
    spans: list[tuple[int, int]] = []
    pos = 1
    for w in words:
        spans.append((pos, pos + len(w)))
        pos += len(w) + 1
    return " ".join(words), spans


def word_timings(words: list[str], syn: Synthesis,
                 spans: list[tuple[int, int]] | None = None) -> list[WordTiming]:
    """Attribute non-pause phones to words by character span; start/end from first/last phone."""
    if spans is None:
        spans = word_spans(words)[1]
    out = [WordTiming(i, w, None, None, []) for i, w in enumerate(words)]
    for ph in syn.phones:
        if is_pause(ph.name):
            continue
        for i, (a, b) in enumerate(spans):
            if a <= ph.text_position < b:
                out[i].phones.append(ph)
                break
    for wt in out:
        if wt.phones:
            wt.start = wt.phones[0].start
            wt.end = wt.phones[-1].end
    return out


_HOLDER = "_espeak_ng_engine_holder"


def get_engine() -> Espeak:
    """The process-wide engine.  libespeak-ng has one global callback, so even if this module is
    imported twice (as ``espeak`` and as ``firmware.model.espeak``) there must be one engine."""
    holder = sys.modules.get(_HOLDER)
    if holder is None:
        holder = types.ModuleType(_HOLDER)
        holder.engine = Espeak()  # type: ignore[attr-defined]
        sys.modules[_HOLDER] = holder
    return holder.engine  # type: ignore[attr-defined,no-any-return]


def main() -> None:
    ap = argparse.ArgumentParser(description="Synthesise text with eSpeak NG and print events.")
    ap.add_argument("text")
    ap.add_argument("--voice", default="en-us")
    ap.add_argument("--rate", type=int, default=175)
    ap.add_argument("--pitch", type=int, default=50)
    ap.add_argument("--wav", help="write the 22050 Hz audio here")
    args = ap.parse_args()
    eng = get_engine()
    words = args.text.split()
    text, spans = word_spans(words)
    syn = eng.synthesize(text, args.voice, args.rate, args.pitch)
    print(f"{len(syn.audio)} samples, {syn.duration:.3f} s")
    for ph in syn.phones:
        print(f"  phone {ph.name:6s} pos {ph.text_position:3d} {ph.start:7.3f} {ph.end:7.3f}")
    for wt in word_timings(words, syn, spans):
        print(f"word {wt.index} {wt.text!r}: {wt.start} {wt.end} {[p.name for p in wt.phones]}")
    if args.wav:
        import soundfile as sf
        sf.write(args.wav, syn.audio, SAMPLE_RATE)


if __name__ == "__main__":
    main()
