"""Host side of the forced aligner (simulator/apps/aligner.py): transcript -> USART lines,
firmware answers -> words, words -> TextGrid / SRT / WebVTT / JSON.

The output files are parsed back here with small independent readers (not the writer's code)."""
from __future__ import annotations

import json
import os
import re
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

from simulator.apps import aligner as al
from simulator import output
from simulator.apps.aligner import ResultParser, Transcript, TranscriptWord, Word

ROOT = Path(__file__).resolve().parents[1]
ALDIR = ROOT / "firmware" / "aligner"

needs_g2p = pytest.mark.skipif(not al.g2p_available(), reason="eSpeak NG not available")


def tr(*words: tuple[str, list[int]]) -> Transcript:
    return Transcript([TranscriptWord(i, text, [], list(ph)) for i, (text, ph) in enumerate(words)])


KNOWN = tr(("Hello,", [22, 3, 25, 12]), ("日本", []), ("42", [20, 4, 18, 11, 33, 15]))


# ------------------------------------------------------------------------------ protocol encoding
def test_encode_known_transcript_exact_bytes():
    assert al.encode_transcript(KNOWN) == (
        b"T 3\n"
        b"W 0 22 3 25 12\n"
        b"W 1\n"
        b"W 2 20 4 18 11 33 15\n"
        b"E\n")


def test_encode_rejects_bad_input():
    with pytest.raises(ValueError):
        al.encode_transcript(Transcript([]))
    with pytest.raises(ValueError, match="phone id"):
        al.encode_transcript(tr(("a", [0])))          # silence is never sent
    with pytest.raises(ValueError, match="phone id"):
        al.encode_transcript(tr(("a", [70000])))
    bad = tr(("a", [1]), ("b", [2]))
    bad.words[1].index = 5
    with pytest.raises(ValueError, match="index"):
        al.encode_transcript(bad)


def test_end_of_audio_line():
    assert al.end_of_audio_line(48000) == b"S 48000\n"
    assert al.end_of_audio_line(0) == b"S 0\n"
    for bad in (-1, 1.5, True):
        with pytest.raises(ValueError):
            al.end_of_audio_line(bad)


def test_limits_match_firmware_headers():
    cfg = ALDIR / "al_config.h"
    proto = ALDIR / "protocol.h"
    if not cfg.exists() or not proto.exists():
        pytest.skip("firmware/aligner headers not present")

    def define(path: Path, name: str) -> int:
        m = re.search(rf"#define\s+{name}\s+(\d+)", path.read_text())
        assert m, name
        return int(m.group(1))

    assert define(cfg, "AL_MAX_WORDS") == al.AL_MAX_WORDS
    assert define(cfg, "AL_MAX_PHONES") == al.AL_MAX_PHONES
    assert define(proto, "AL_PROTO_MAX_IDS") == al.AL_PROTO_MAX_IDS
    assert define(proto, "AL_PROTO_LINE_MAX") == al.AL_PROTO_LINE_MAX


def test_limit_warnings():
    assert al.limit_warnings(KNOWN) == []
    long_word = tr(("a", [1]), ("supercalifragilistic" * 5, [7] * 97))
    (msg,) = al.limit_warnings(long_word)
    assert "word 1" in msg and "NOT FOUND" in msg
    many = tr(*[("w", [5] * 5) for _ in range(al.AL_MAX_WORDS + 1)])
    msgs = al.limit_warnings(many)
    assert any(f"{al.AL_MAX_WORDS + 1} words" in m for m in msgs)
    assert any(f"more than {al.AL_MAX_PHONES} phones" in m for m in msgs)


# ------------------------------------------------------------------------------ result parser
FIRMWARE_OUT = (
    b"# aligner ready, model 38 classes\r\n"
    b"A 0 120 480 953\n"
    b"A 1 NF\n"
    b"\x00\xffgarbage here\n"
    b"A 2 510 1190 712\n"
    b"\n"
    b"# frames 150\n"
    b"D 150 3\n")


def check_known_words(words: list[Word]) -> None:
    assert words == [
        Word(0, "Hello,", 0.12, 0.48, 0.953, True),
        Word(1, "日本", None, None, None, False),
        Word(2, "42", 0.51, 1.19, 0.712, True),
    ]


def test_parser_whole_stream():
    p = ResultParser()
    p.feed(FIRMWARE_OUT)
    assert p.done and p.n_frames == 150 and p.n_words == 3
    assert p.log_lines == ["aligner ready, model 38 classes", "frames 150"]
    check_known_words(p.words(KNOWN))
    assert len(p.errors) == 1 and "garbage" in p.errors[0]     # NF is an answer, not an error


@pytest.mark.parametrize("chunk", [1, 2, 3, 7, 16])
def test_parser_split_chunks(chunk):
    p = ResultParser()
    for i in range(0, len(FIRMWARE_OUT), chunk):
        assert not p.done or i >= len(FIRMWARE_OUT) - chunk
        p.feed(FIRMWARE_OUT[i:i + chunk])
    assert p.done and p.n_frames == 150
    check_known_words(p.words(KNOWN))
    assert len(p.errors) == 1


def test_parser_done_only_after_complete_d_line():
    p = ResultParser()
    p.feed(b"A 0 10 20 900\nD 15")
    assert not p.done
    p.feed(b"0 1")
    assert not p.done
    p.feed(b"\n")
    assert p.done and p.n_frames == 150 and p.n_words == 1


def test_parser_missing_words_are_reported_not_dropped():
    p = ResultParser()
    p.feed(b"A 0 120 480 953\nD 150 3\n")
    words = p.words(KNOWN)
    assert [w.index for w in words] == [0, 1, 2]
    assert [w.found for w in words] == [True, False, False]
    assert all(w.start_s is None and w.confidence is None for w in words[1:])
    assert sum("no result" in e for e in p.errors) == 2
    p.words(KNOWN)                                   # no duplicate messages on a second call
    assert sum("no result" in e for e in p.errors) == 2


def test_parser_unfinished_stream():
    p = ResultParser()
    p.feed(b"A 0 120 480 953\nA 1 N")
    p.close()
    words = p.words(KNOWN)
    assert not p.done
    assert [w.found for w in words] == [True, False, False]
    assert any("D line" in e for e in p.errors)
    assert any("unterminated" in e for e in p.errors)


def test_parser_bad_and_extra_lines():
    p = ResultParser()
    p.feed(b"A 0 500 400 900\n"        # end before start -> not found, error
           b"A 1 100 200 1500\n"       # confidence out of range
           b"A 2 100 200\n"            # wrong field count
           b"A 2 1300 1500 800\n"
           b"A 2 1600 1700 800\n"      # duplicate
           b"A 7 1800 1900 800\n"      # beyond the transcript
           b"B 1 2 3\n"
           b"D 200 4\n"                # word count differs
           b"A 1 NF\n")                # after D
    words = p.words(KNOWN)
    assert [w.found for w in words] == [False, False, True]
    assert (words[2].start_s, words[2].end_s) == (1.3, 1.5)
    text = "\n".join(p.errors)
    for needle in ("inconsistent result for word 0", "inconsistent result for word 1",
                   "'A 2 100 200'", "answered twice", "beyond the transcript", "'B 1 2 3'",
                   "reports 4 words", "after the D line"):
        assert needle in text, needle


def test_parser_revision_replaces_the_answer():
    """CONTRACT.md: a word answered before is answered again with an R line when a later pass
    of the search moves it (or a replay finds the reader there); the last answer counts. A
    revision needs an earlier answer."""
    p = ResultParser()
    p.feed(b"A 0 120 480 953\nA 1 NF\nA 2 500 900 700\n"
           b"R 2 2500 2900 810\n"     # the word read again later: replaces the answer
           b"R 1 700 800 400\n"       # placed after all
           b"R 0 NF\n"                # taken back: not found
           b"R 5 100 200 500\n"       # no answer before: ignored
           b"D 300 3\n")
    words = p.words(KNOWN)
    assert [w.found for w in words] == [False, True, True]
    assert (words[1].start_s, words[1].end_s, words[1].confidence) == (0.7, 0.8, 0.4)
    assert (words[2].start_s, words[2].end_s, words[2].confidence) == (2.5, 2.9, 0.81)
    assert p.n_revised == 3
    assert len(p.errors) == 1 and "not answered before" in p.errors[0]


def test_parser_negative_start_clamped_and_long_garbage():
    p = ResultParser()
    p.feed(b"x" * (al.MAX_RX_LINE + 10))
    p.feed(b"y" * 100 + b"\nA 0 -4 300 990\nD 30 1\n")
    (w,) = p.words(tr(("hi", [1])))
    assert w.found and w.start_s == 0.0 and w.end_s == 0.3
    assert len(p.errors) == 1 and "longer than" in p.errors[0]


# ------------------------------------------------------------------------------ output formats
WORDS = [
    Word(0, "Hello,", 0.12, 0.48, 0.953, True),
    Word(1, "日本", None, None, None, False),
    Word(2, "42", 0.51, 1.19, 0.712, True),
    Word(3, 'say "<b>&', 1.19, 1.6, 0.5, True),     # quotes and markup characters
    Word(4, "gone", None, None, None, False),
    Word(5, "end.", 3661.25, 3662.007, 1.0, True),  # > 1 hour
]
DURATION = 3663.5


def read_srt(text: str) -> list[tuple[int, float, float, str]]:
    cues = []
    for block in text.strip("\n").split("\n\n"):
        n, times, body = block.split("\n", 2)
        m = re.fullmatch(r"(\d\d):(\d\d):(\d\d),(\d\d\d) --> (\d\d):(\d\d):(\d\d),(\d\d\d)", times)
        assert m, times
        g = [int(x) for x in m.groups()]
        cues.append((int(n), g[0] * 3600 + g[1] * 60 + g[2] + g[3] / 1000,
                     g[4] * 3600 + g[5] * 60 + g[6] + g[7] / 1000, body))
    return cues


def read_vtt(text: str) -> list[tuple[int, float, float, str]]:
    assert text.startswith("WEBVTT\n\n")
    cues = []
    for block in text[len("WEBVTT\n\n"):].strip("\n").split("\n\n"):
        n, times, body = block.split("\n", 2)
        m = re.fullmatch(r"(\d\d):(\d\d):(\d\d)\.(\d\d\d) --> (\d\d):(\d\d):(\d\d)\.(\d\d\d)", times)
        assert m, times
        g = [int(x) for x in m.groups()]
        assert "<" not in body and ">" not in body
        body = body.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
        cues.append((int(n), g[0] * 3600 + g[1] * 60 + g[2] + g[3] / 1000,
                     g[4] * 3600 + g[5] * 60 + g[6] + g[7] / 1000, body))
    return cues


def read_textgrid(text: str) -> dict:
    """Minimal parser of Praat's long text format (one interval tier) with structure checks."""
    lines = text.split("\n")
    assert lines[0] == 'File type = "ooTextFile"'
    assert lines[1] == 'Object class = "TextGrid"'
    assert lines[2] == ""

    def value(line: str, key: str) -> str:
        m = re.fullmatch(rf"\s*{re.escape(key)} = (.*?) ?", line)
        assert m, (key, line)
        return m.group(1)

    def string(v: str) -> str:
        assert v.startswith('"') and v.endswith('"'), v
        inner = v[1:-1]
        assert '"' not in inner.replace('""', ""), v
        return inner.replace('""', '"')

    it = iter(lines[3:])
    tg = {"xmin": float(value(next(it), "xmin")), "xmax": float(value(next(it), "xmax"))}
    assert next(it) == "tiers? <exists> "
    size = int(value(next(it), "size"))
    assert next(it).strip() == "item []:"
    tg["tiers"] = []
    for k in range(1, size + 1):
        assert next(it).strip() == f"item [{k}]:"
        tier = {"class": string(value(next(it), "class")), "name": string(value(next(it), "name")),
                "xmin": float(value(next(it), "xmin")), "xmax": float(value(next(it), "xmax"))}
        n = int(value(next(it), "intervals: size"))
        tier["intervals"] = []
        for j in range(1, n + 1):
            assert next(it).strip() == f"intervals [{j}]:"
            tier["intervals"].append((float(value(next(it), "xmin")),
                                      float(value(next(it), "xmax")),
                                      string(value(next(it), "text"))))
        tg["tiers"].append(tier)
    assert [x for x in it] == [""]                  # file ends with one newline
    return tg


def check_textgrid_structure(tg: dict) -> None:
    assert tg["xmin"] == 0 and tg["xmax"] > 0
    for tier in tg["tiers"]:
        assert tier["class"] == "IntervalTier"
        assert (tier["xmin"], tier["xmax"]) == (tg["xmin"], tg["xmax"])
        ivs = tier["intervals"]
        assert ivs and ivs[0][0] == tier["xmin"] and ivs[-1][1] == tier["xmax"]
        for (a0, a1, _), (b0, _, _) in zip(ivs, ivs[1:]):
            assert a1 == b0                          # contiguous
        assert all(x0 < x1 for x0, x1, _ in ivs)      # no empty or reversed interval


def found_cues(words):
    return [(w.text, w.start_s, w.end_s) for w in words if w.found]


def test_srt_round_trip(tmp_path):
    p = tmp_path / "out.srt"
    al.write_alignment(WORDS, p, DURATION)
    cues = read_srt(p.read_text(encoding="utf-8"))
    assert [c[0] for c in cues] == [1, 2, 3, 4]
    assert [(c[3], c[1], c[2]) for c in cues] == found_cues(WORDS)
    assert "01:01:02,007" in p.read_text(encoding="utf-8")


def test_vtt_round_trip(tmp_path):
    p = tmp_path / "out.vtt"
    al.write_alignment(WORDS, p, DURATION)
    cues = read_vtt(p.read_text(encoding="utf-8"))
    assert [(c[3], c[1], c[2]) for c in cues] == found_cues(WORDS)
    assert "01:01:01.250 --> 01:01:02.007" in p.read_text(encoding="utf-8")


def test_json_round_trip(tmp_path):
    p = tmp_path / "out.json"
    al.write_alignment(WORDS, p, DURATION)
    doc = json.loads(p.read_text(encoding="utf-8"))
    assert doc["audio_duration_s"] == DURATION
    assert (doc["n_words"], doc["n_found"], doc["n_not_found"]) == (6, 4, 2)
    back = [Word(d["index"], d["text"], d["start"], d["end"], d["confidence"], d["found"])
            for d in doc["words"]]
    assert back == WORDS                             # every word, not-found ones included


@pytest.mark.parametrize("suffix", [".TextGrid", ".textgrid"])
def test_textgrid_round_trip(tmp_path, suffix):
    p = tmp_path / ("out" + suffix)
    al.write_alignment(WORDS, p, DURATION)
    tg = read_textgrid(p.read_text(encoding="utf-8"))
    check_textgrid_structure(tg)
    assert tg["xmax"] == DURATION and len(tg["tiers"]) == 1
    tier = tg["tiers"][0]
    assert tier["name"] == "words"
    assert [(t, a, b) for a, b, t in tier["intervals"] if t] == found_cues(WORDS)
    # gaps: 0-0.12, 0.48-0.51, 1.6-3661.25, 3662.007-end (1.19 is shared by two words)
    assert len(tier["intervals"]) == 4 + 4


def test_textgrid_edge_cases():
    # no duration known: xmax = last end; no gap interval before a word starting at 0
    tg = read_textgrid(al.render_textgrid([Word(0, "a", 0.0, 0.5, 0.9, True)], None))
    check_textgrid_structure(tg)
    assert tg["xmax"] == 0.5 and tg["tiers"][0]["intervals"] == [(0.0, 0.5, "a")]
    # audio shorter than the last word end: xmax follows the word
    tg = read_textgrid(al.render_textgrid([Word(0, "a", 0.1, 0.5, 0.9, True)], 0.3))
    check_textgrid_structure(tg)
    assert tg["xmax"] == 0.5
    # overlapping / zero-length answers still give a valid tier
    ws = [Word(0, "a", 0.1, 0.5, 0.9, True), Word(1, "b", 0.4, 0.8, 0.9, True),
          Word(2, "c", 0.8, 0.8, 0.9, True), Word(3, "d", 0.9, 1.0, 0.9, True)]
    tg = read_textgrid(al.render_textgrid(ws, 2.0))
    check_textgrid_structure(tg)
    assert [iv for iv in tg["tiers"][0]["intervals"] if iv[2]] == [
        (0.1, 0.5, "a"), (0.5, 0.8, "b"), (0.9, 1.0, "d")]
    # nothing found: one empty interval over the audio
    tg = read_textgrid(al.render_textgrid([Word(0, "x", None, None, None, False)], 1.5))
    check_textgrid_structure(tg)
    assert tg["tiers"][0]["intervals"] == [(0.0, 1.5, "")]
    tg = read_textgrid(al.render_textgrid([Word(0, "x", None, None, None, False)], None))
    check_textgrid_structure(tg)


def test_subtitles_with_nothing_found():
    ws = [Word(0, "x", None, None, None, False)]
    assert al.render_vtt(ws) == "WEBVTT\n"
    assert al.render_srt(ws) == ""


def test_unknown_suffix_is_a_one_line_value_error(tmp_path):
    p = tmp_path / "out.txt"
    with pytest.raises(ValueError) as e:
        al.write_alignment(WORDS, p, DURATION)
    assert "\n" not in str(e.value) and "out.txt" in str(e.value)
    assert not p.exists() and list(tmp_path.iterdir()) == []


def test_found_word_without_time_is_rejected(tmp_path):
    with pytest.raises(ValueError):
        al.write_alignment([Word(0, "x", None, None, None, True)], tmp_path / "a.srt", None)
    assert list(tmp_path.iterdir()) == []


def test_atomic_write_leaves_no_partial_file(tmp_path, monkeypatch):
    p = tmp_path / "out.json"
    p.write_text("old content\n")
    real_fdopen = os.fdopen

    class Boom(Exception):
        pass

    class HalfWriter:
        def __init__(self, f):
            self.f = f

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.f.close()
            return False

        def write(self, s):
            self.f.write(s[: len(s) // 2])
            self.f.flush()
            raise Boom("disk full")

    monkeypatch.setattr(output.os, "fdopen", lambda *a, **k: HalfWriter(real_fdopen(*a, **k)))
    with pytest.raises(Boom):
        al.write_alignment(WORDS, p, DURATION)
    assert p.read_text() == "old content\n"               # untouched
    assert sorted(x.name for x in tmp_path.iterdir()) == ["out.json"]   # temp file removed
    monkeypatch.undo()
    q = tmp_path / "new.vtt"
    monkeypatch.setattr(output.os, "fdopen", lambda *a, **k: HalfWriter(real_fdopen(*a, **k)))
    with pytest.raises(Boom):
        al.write_alignment(WORDS, q, DURATION)
    assert sorted(x.name for x in tmp_path.iterdir()) == ["out.json"]   # no new.vtt at all


def test_atomic_write_replaces_and_keeps_mode(tmp_path):
    p = tmp_path / "out.srt"
    p.write_text("old\n")
    p.chmod(0o640)
    al.write_alignment(WORDS, p, DURATION)
    assert read_srt(p.read_text(encoding="utf-8"))
    assert p.stat().st_mode & 0o777 == 0o640
    q = tmp_path / "fresh.json"
    al.write_alignment(WORDS, q, DURATION)
    umask = os.umask(0)
    os.umask(umask)
    assert q.stat().st_mode & 0o777 == 0o666 & ~umask
    assert sorted(x.name for x in tmp_path.iterdir()) == ["fresh.json", "out.srt"]


def test_format_table():
    s = al.format_table(WORDS)
    lines = s.splitlines()
    assert len(lines) == len(WORDS) + 2
    assert "Hello," in lines[1] and "0.120" in lines[1] and "0.480" in lines[1] and "0.95" in lines[1]
    assert "日本" in lines[2] and "NOT FOUND" in lines[2]
    assert "NOT FOUND" in lines[5]
    assert lines[-1] == "6 words, 4 aligned, 2 not found"
    # columns line up, also after wide characters; very long words are cut
    assert len({al._cells(ln[:ln.index("NOT FOUND")]) for ln in (lines[2], lines[5])}) == 1
    long = al.format_table([Word(0, "x" * 50, 0.0, 1.0, 0.5, True)])
    assert "x" * 31 + "~" in long and "x" * 32 not in long


# ------------------------------------------------------------------------------ g2p (eSpeak NG)
def test_empty_transcript_is_a_one_line_value_error():
    for text in ("", "   \n\t", "\ufeff"):
        with pytest.raises(ValueError) as e:
            al.prepare_transcript(text)
        assert "\n" not in str(e.value)


@needs_g2p
def test_punctuation_only_transcript():
    with pytest.raises(ValueError) as e:
        al.prepare_transcript(" -- ... !")
    assert "\n" not in str(e.value)


@needs_g2p
def test_numbers_keep_the_users_words():
    t = al.prepare_transcript("I have 42 cats.")
    assert [w.text for w in t.words] == ["I", "have", "42", "cats."]
    assert t.words[2].spoken == ["forty", "two"]
    alone = al.prepare_transcript("forty two")
    assert t.words[2].phones == alone.words[0].phones + alone.words[1].phones
    assert all(w.phones for w in t.words) and t.warnings == []
    # the words as the firmware answers them -> the user's spelling in every output
    p = ResultParser()
    p.feed(b"A 0 100 200 900\nA 1 200 400 900\nA 2 400 900 800\nA 3 900 1300 700\nD 140 4\n")
    words = p.words(t)
    assert [w.text for w in words] == ["I", "have", "42", "cats."] and not p.errors
    assert [c[3] for c in read_srt(al.render_srt(words))] == ["I", "have", "42", "cats."]


@needs_g2p
def test_accent_chooses_the_pronunciations():
    """--accent: the transcript's phones come from the named eSpeak NG voice. Oracle: how the
    two accents say "water" and "better": General American colours the last vowel with r
    ([ˈwɔɾɚ], [ˈbɛɾɚ]: ER; its flapped t is written T, as the CMU dictionary and the model's
    real-speech labels write it, g2p.as_written), Received Pronunciation ends in a schwa
    ([ˈwɔːtə], [ˈbetə]: T AH)."""
    import phones  # flat import from firmware/model (put on sys.path by prepare_transcript)
    cls = phones.classes()

    def names(voice):
        t = al.prepare_transcript("water better", voice)
        return [[cls[c] for c in w.phones] for w in t.words]

    us, rp = names("en-us"), names("en-gb-x-rp")
    assert [w[-2:] for w in us] == [["T", "ER"], ["T", "ER"]]
    assert [w[-2:] for w in rp] == [["T", "AH"], ["T", "AH"]]
    assert names(al.DEFAULT_ACCENT) == us
    for bad, needle in (("de", "not an English eSpeak NG voice"),
                        ("en-xx-nowhere", "unknown eSpeak voice")):
        with pytest.raises(ValueError) as e:
            al.prepare_transcript("car", bad)
        assert needle in str(e.value) and "\n" not in str(e.value)


@needs_g2p
def test_prepare_transcript_keeps_every_word():
    t = al.prepare_transcript("\ufeffHello, world -- Mr. Smith & 日本 $5 café!")
    assert [w.text for w in t.words] == ["Hello,", "world", "Mr.", "Smith", "&", "日本", "$5",
                                         "café!"]
    assert [w.index for w in t.words] == list(range(len(t.words)))
    assert t.words[5].phones == [] and t.words[5].spoken == []
    assert t.words[2].spoken == ["mister"] and t.words[6].spoken == ["five", "dollars"]
    assert all(w.phones for i, w in enumerate(t.words) if i != 5)
    data = al.encode_transcript(t)
    lines = data.decode("ascii").splitlines()
    assert lines[0] == f"T {len(t.words)}" and lines[-1] == "E"
    assert lines[6] == "W 5"                              # unpronounceable: sent without ids
    assert all(0 not in w.phones for w in t.words)


def test_phone_inventory_matches_export():
    phones_txt = ROOT / "firmware" / "model" / "export" / "phones.txt"
    phone_map = ROOT / "firmware" / "model" / "phone_map.json"
    if not phones_txt.exists() or not phone_map.exists():
        pytest.skip("no exported model")
    assert json.loads(phone_map.read_text())["classes"] == phones_txt.read_text().split()


# ------------------------------------------------------------------------------ end to end (C)
def _host_aligner():
    if shutil.which("gcc") is None or shutil.which("make") is None:
        pytest.skip("gcc/make not installed")
    if str(ALDIR) not in sys.path:
        sys.path.insert(0, str(ALDIR))
    try:
        import host  # type: ignore[import-not-found]
        host.load()
    except Exception as e:  # pragma: no cover - build problems
        pytest.skip(f"host build of the aligner not available: {e}")
    return host


@needs_g2p
def test_end_to_end_with_host_build_of_the_firmware_aligner():
    """eSpeak speech -> the C aligner's USART protocol -> ResultParser: one answer per word."""
    host = _host_aligner()
    from scipy.signal import resample_poly
    t = al.prepare_transcript("The cat sat on 3 mats, 日本 and slept.")
    import espeak  # flat import from firmware/model (put on sys.path by prepare_transcript)

    syn = espeak.get_engine().synthesize(" ".join(w for tw in t.words for w in tw.spoken), "en-us")
    audio = resample_poly(syn.audio.astype(np.float64), 320, 441)
    audio = np.concatenate([np.zeros(4000), audio, np.zeros(4000)])
    s16 = np.clip(np.round(audio), -32768, 32767).astype(np.int16)
    out = host.protocol_session(al.encode_transcript(t).decode("ascii"), s16)
    p = ResultParser()
    for i in range(0, len(out), 5):
        p.feed(out[i:i + 5].encode("ascii"))
    words = p.words(t)
    assert p.done and not p.errors, p.errors
    assert [w.text for w in words] == [w.text for w in t.words]
    assert not words[6].found                              # 日本: no phones -> NF
    found = [w for w in words if w.found]
    assert len(found) >= len(words) - 2
    ends = [x for w in found for x in (w.start_s, w.end_s)]
    assert ends == sorted(ends) and ends[-1] <= len(s16) / 16000 + 0.05
