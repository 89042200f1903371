"""silence_check.py: frames of reference words the network calls silence, counted on a made-up
best-class sequence whose silent frames are known (the oracle is the sequence itself)."""
import numpy as np

import _model_path  # noqa: F401
import silence_check as sc


def test_word_frames_and_silence_shares():
    # frame t ends at t * 10 ms + 10 ms: a word 0.11-0.21 s covers frames 10..19
    spans = sc.word_frames([[0.11, 0.21], [-1.0, -1.0], [0.31, 0.41]], 40, 0.010)
    assert spans == [(10, 20), (30, 40)]
    best = np.ones(40, np.int64)
    best[[10, 15, 19, 35]] = 0          # 2 word-edge silences in word 1, 1 inside; 1 in word 2
    n, s, ne, se = sc.silence_shares(best, spans)
    assert (n, s) == (20, 4)
    assert (ne, se) == (12, 2)          # 3 + 3 edge frames per word; frames 10 and 19


def test_words_outside_the_audio_are_clipped():
    assert sc.word_frames([[0.5, 0.9]], 60, 0.010) == [(49, 60)]
    assert sc.word_frames([[0.9, 1.0]], 60, 0.010) == []
