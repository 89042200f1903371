"""Transcript -> per-word phone classes, using eSpeak NG (the same procedure as the training corpus).

The phones of a word are taken from the phoneme events of eSpeak's synthesis of the whole
normalised transcript (so they are in sentence context, as the corpus ground truth), then
mapped to the reduced inventory of phone_map.json.  Pause phones are dropped; mnemonics mapped
to '+' are merged into the preceding phone.  Zero-length phones are kept in a transcript's
phones (eSpeak gives a post-vocalic l no duration in its own audio, its vowel takes the time:
"always" AO W EY Z; a speaker says the l: AO L W EY Z, the CMU dictionary's entry) and dropped
from the corpus labels (corpus.py: eSpeak's audio holds no frame of them).  An en-us transcript
also gets the r of eSpeak's r-coloured vowels, which carry it in the vowel ("parked" p A@ k t ->
P AA R K T), its flap as T and its syllabic l as AH L, as the CMU dictionary (the model's
real-speech labels) has them (as_written; the table is phone_map.json "en_us_transcript"); the
corpus labels keep eSpeak's own phones.  eSpeak occasionally
pronounces two words as one ("of the", "on the"): the phones then all arrive with the first word,
and are split using the isolated pronunciation length of the first word.

Words that eSpeak cannot pronounce (normalisation leaves nothing) get an empty list; the
firmware answers "NF" for them.

Host-side API (what the simulator imports):
    transcript_phones(text, voice="en-us") -> list[WordPhones]
"""
from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from functools import lru_cache

try:  # package import (firmware.model.g2p) or flat import from this directory
    from . import espeak as es
    from . import phones as ph
    from .text_norm import normalise
except ImportError:  # pragma: no cover
    import espeak as es  # type: ignore[no-redef]
    import phones as ph  # type: ignore[no-redef]
    from text_norm import normalise  # type: ignore[no-redef]

MIN_PHONE_S = 0.001


@dataclass
class Seg:
    cls: int
    start: float
    end: float
    mnemonic: str


@dataclass
class WordPhones:
    token: str                      # transcript token as written
    spoken: list[str]               # normalised spoken words
    phones: list[int] = field(default_factory=list)   # class ids (no sil); empty -> NF
    mnemonics: list[str] = field(default_factory=list)


def map_segments(phones: list[es.Phone], keep_zero: bool = False) -> list[Seg]:
    """eSpeak phones of one word -> class segments (pauses dropped; zero-length phones dropped
    unless keep_zero)."""
    out: list[Seg] = []
    for p in phones:
        name = ph.map_mnemonic(p.name)
        if name is None:
            raise KeyError(f"eSpeak mnemonic {p.name!r} missing from phone_map.json")
        if name == ph.MERGE:
            if out:
                out[-1].end = max(out[-1].end, p.end)
            continue
        if name == "sil":
            continue
        out.append(Seg(ph.class_id(name), p.start, p.end, p.name))
    return [s for s in out if keep_zero or s.end - s.start >= MIN_PHONE_S]


@lru_cache(maxsize=20000)
def isolated_count(word: str, voice: str, keep_zero: bool = False) -> int:
    syn = es.get_engine().synthesize(word, voice)
    return len(map_segments(es.word_timings([word], syn)[0].phones, keep_zero))


def word_segments(words: list[str], syn: es.Synthesis, voice: str,
                  spans: list[tuple[int, int]] | None = None,
                  keep_zero: bool = False) -> list[list[Seg]]:
    """Class segments of every spoken word of a synthesis (handles eSpeak's merged words)."""
    timings = es.word_timings(words, syn, spans)
    segs = [map_segments(t.phones, keep_zero) for t in timings]
    i = 0
    while i < len(words):
        # a run of words without phones right after a word that has phones: merged by eSpeak
        if segs[i] and i + 1 < len(words) and not segs[i + 1] and not timings[i + 1].phones:
            j = i + 1
            while j < len(words) and not timings[j].phones:
                j += 1
            group = segs[i]
            counts = [isolated_count(w, voice, keep_zero) for w in words[i:j]]
            if sum(counts) == len(group) or len(group) >= j - i:
                pos = 0
                for k, c in enumerate(counts):
                    take = c if k < len(counts) - 1 else len(group) - pos
                    take = max(1, min(take, len(group) - pos - (len(counts) - 1 - k)))
                    segs[i + k] = group[pos:pos + take]
                    pos += take
            i = j
        else:
            i += 1
    return segs


def transcript_phones(text: str, voice: str = "en-us", rate: int = 175) -> list[WordPhones]:
    """Phone classes of every transcript token (see text_norm.tokenize for what a token is)."""
    tokens = normalise(text)
    result = [WordPhones(t.text, t.spoken) for t in tokens]
    words = [w for t in tokens for w in t.spoken]
    owner = [i for i, t in enumerate(tokens) for _ in t.spoken]
    if not words:
        return result
    joined, spans = es.word_spans(words)
    syn = es.get_engine().synthesize(joined, voice, rate=rate)
    american = voice.startswith("en-us")
    for k, segs in enumerate(word_segments(words, syn, voice, spans, keep_zero=True)):
        if american:
            segs = as_written(segs)
        result[owner[k]].phones += [s.cls for s in segs]
        result[owner[k]].mnemonics += [s.mnemonic for s in segs]
    return result


def as_written(segs: list[Seg]) -> list[Seg]:
    """An en-us word's segments with the phones of phone_map.json "en_us_transcript" (the r of
    eSpeak's r-coloured vowels, its flap as T, its syllabic l as AH L, as the CMU dictionary and
    the model's real-speech labels write them): the first class takes the phone's place, the rest
    follow it without duration; an added R or ER is left out when the next phone is one already
    (eSpeak's linking r: "car is" k A@ r-)."""
    rules = ph.en_us_transcript()
    rhotic = {ph.class_id("R"), ph.class_id("ER")}
    out: list[Seg] = []
    for i, s in enumerate(segs):
        written = rules.get(s.mnemonic.lstrip(ph.STRESS_MARKS))
        if not written:
            out.append(s)
            continue
        nxt = segs[i + 1].cls if i + 1 < len(segs) else None
        out.append(Seg(ph.class_id(written[0]), s.start, s.end, s.mnemonic))
        for name in written[1:]:
            c = ph.class_id(name)
            if not (c in rhotic and nxt in rhotic):
                out.append(Seg(c, s.end, s.end, "+" + name))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description="Print the phone classes of each transcript word.")
    ap.add_argument("text")
    ap.add_argument("--voice", default="en-us")
    args = ap.parse_args()
    names = ph.classes()
    for i, w in enumerate(transcript_phones(args.text, args.voice)):
        print(f"W {i} {' '.join(map(str, w.phones))}".rstrip()
              + f"    # {w.token!r} -> {' '.join(names[c] for c in w.phones) or 'NF'}"
              + f"  [{' '.join(w.mnemonics)}]")


if __name__ == "__main__":
    main()
