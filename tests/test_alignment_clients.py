"""The alignment files (--alignment-out) read by the libraries people use for them: srt,
webvtt-py, textgrid and praatio (Praat TextGrid). Each must give back every aligned word
with its times to the millisecond, in order, and the words that were not found nowhere."""

from __future__ import annotations

import html
import io

import pytest
from test_alignment import DURATION, WORDS

from simulator.apps import aligner as al

FOUND = [(w.text, w.start_s, w.end_s) for w in WORDS if w.found]


def test_srt_library_reads_every_aligned_word():
    import srt

    subs = list(srt.parse(al.render(WORDS, "srt", DURATION)))
    assert [(s.content, s.start.total_seconds(), s.end.total_seconds()) for s in subs] == \
        [(t, pytest.approx(a, abs=5e-4), pytest.approx(b, abs=5e-4)) for t, a, b in FOUND]
    assert [s.index for s in subs] == list(range(1, len(FOUND) + 1))


def test_webvtt_py_reads_every_aligned_word():
    import webvtt

    vtt = webvtt.from_buffer(io.StringIO(al.render(WORDS, "vtt", DURATION)))

    def secs(stamp: str) -> float:
        h, m, s = stamp.split(":")
        return int(h) * 3600 + int(m) * 60 + float(s)

    got = [(html.unescape(c.text), secs(c.start), secs(c.end)) for c in vtt]
    assert got == [(t, pytest.approx(a, abs=5e-4), pytest.approx(b, abs=5e-4))
                   for t, a, b in FOUND]


@pytest.mark.parametrize("reader", ["textgrid", "praatio"])
def test_textgrid_readers_get_one_word_tier_covering_the_clip(tmp_path, reader):
    path = tmp_path / "a.TextGrid"
    path.write_text(al.render(WORDS, "textgrid", DURATION), encoding="utf-8")
    if reader == "textgrid":
        import textgrid
        tg = textgrid.TextGrid.fromFile(str(path))
        assert (tg.minTime, tg.maxTime, len(tg)) == (0.0, DURATION, 1)
        entries = [(i.minTime, i.maxTime, i.mark) for i in tg[0]]
    else:
        from praatio import textgrid as ptg
        tg = ptg.openTextgrid(str(path), includeEmptyIntervals=True)
        assert (tg.minTimestamp, tg.maxTimestamp, len(tg.tierNames)) == (0.0, DURATION, 1)
        entries = [tuple(e) for e in tg.getTier(tg.tierNames[0]).entries]
    words = [(m, a, b) for a, b, m in entries if m]
    assert words == [(t, pytest.approx(a, abs=5e-4), pytest.approx(b, abs=5e-4))
                     for t, a, b in FOUND]
    # intervals tile the clip with no gap or overlap
    assert entries[0][0] == 0.0 and entries[-1][1] == DURATION
    assert all(entries[k][1] == entries[k + 1][0] for k in range(len(entries) - 1))
