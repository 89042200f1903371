"""damage_eval.py's clip-by-clip check: a clip whose words after a replaced stretch are placed
seconds away (the search re-anchored at a wrong place and stayed) is named and fails the 500 ms
limit; words inside the stretch, unplaced words and words without a reference do not count.
The oracle is the arithmetic written in each test (no alignment run)."""
import json

import numpy as np

import _model_path  # noqa: F401
import damage_eval

# ten words of 0.4 s every 0.5 s: [0.0, 0.4], [0.5, 0.9], ... [4.5, 4.9]
REF = np.array([[0.5 * i, 0.5 * i + 0.4] for i in range(10)])
LO, HI = 2.0, 3.0        # the stretch covers words 4 and 5 ([2.0, 2.4], [2.5, 2.9])


def _shift(idx, start_ms, end_ms):
    return (REF[idx, 0] + start_ms / 1000, REF[idx, 1] + end_ms / 1000)


def test_a_wrong_place_jump_after_the_stretch_is_named():
    # words 0-3 placed 20 ms late at both ends; words 6-9 placed 3 s late (a wrong-place anchor)
    hyp = [_shift(i, 20, 20) if i < 6 else _shift(i, 3000, 3000) for i in range(10)]
    rec, e_in, e_out = damage_eval.clip_damage("jump", 1.0, REF, hyp, LO, HI, reanchor=2)
    assert len(e_in) == 2 and len(e_out) == 8
    assert rec.words_outside == 8
    assert rec.mae_outside_ms == 1510.0          # (4 x 20 + 4 x 3000) / 8
    assert rec.max_outside_ms == 3000.0
    assert [c.id for c in damage_eval.wrong_place([rec], 500)] == ["jump"]


def test_a_lost_stretch_with_good_words_around_it_passes():
    # words inside the stretch 5 s off (the filler speech), every other word 30 / 50 ms off
    hyp = [_shift(i, 5000, 5000) if i in (4, 5) else _shift(i, 30, -50) for i in range(10)]
    rec, e_in, e_out = damage_eval.clip_damage("ok", 1.0, REF, hyp, LO, HI)
    assert e_in == [5000.0, 5000.0]
    assert rec.mae_outside_ms == 40.0 and rec.max_outside_ms == 40.0
    assert damage_eval.wrong_place([rec], 500) == []


def test_unplaced_words_and_words_without_reference_are_not_scored():
    ref = REF.copy()
    ref[0] = (-1.0, -1.0)                        # no reference for word 0
    hyp = [_shift(i, 100, 100) for i in range(10)]
    hyp[9] = None                                # word 9 not placed
    rec, e_in, e_out = damage_eval.clip_damage("nf", 1.0, ref, hyp, LO, HI, nf=1)
    assert rec.words == 10 and rec.words_outside == 6 and rec.nf == 1   # words 1-3, 6-8
    assert rec.mae_outside_ms == 100.0


def test_the_limit_is_a_mean_over_the_clip_not_one_word():
    # one word 1.9 s off among 8 outside (a word next to the stretch pulled into it): mean 250 ms
    hyp = [_shift(i, 0, 0) for i in range(10)]
    hyp[6] = _shift(6, 2000, 1800)
    rec, _, _ = damage_eval.clip_damage("edge", 1.0, REF, hyp, LO, HI)
    assert rec.max_outside_ms == 1900.0 and rec.mae_outside_ms == 237.5
    assert damage_eval.wrong_place([rec], 500) == []
    assert damage_eval.wrong_place([rec], 200) == [rec]


def test_check_reads_per_clip_files_and_fails_on_a_wrong_place_clip(tmp_path, capsys):
    good = damage_eval.ClipDamage("english1", 8.0, 60, 40, 45.2, 160.0)
    bad = damage_eval.ClipDamage("english192", 8.0, 60, 38, 3200.0, 5100.0, reanchor=3)
    f_good, f_bad = tmp_path / "good.jsonl", tmp_path / "bad.jsonl"
    f_good.write_text(json.dumps(good.__dict__) + "\n")
    f_bad.write_text(json.dumps(good.__dict__) + "\n" + json.dumps(bad.__dict__) + "\n")
    assert damage_eval.load_clips(f_bad) == [good, bad]
    assert damage_eval.check([f_good], 500) == 0
    assert damage_eval.check([f_good, f_bad], 500) == 1
    out = capsys.readouterr().out
    assert "WRONG PLACE english192" in out and "WRONG PLACE english1 " not in out
    assert damage_eval.check([tmp_path / "missing.jsonl"], 500) == 2


def test_a_baseline_excuses_only_the_clips_it_also_misplaces(tmp_path, capsys):
    c = damage_eval.ClipDamage
    base = [c("english12", 8.0, 69, 43, 812.2, 6125.0), c("english78", 8.0, 60, 40, 30.0, 90.0)]
    same = [c("english12", 8.0, 69, 43, 900.0, 6000.0), c("english78", 8.0, 60, 40, 35.0, 95.0)]
    new = [c("english12", 8.0, 69, 43, 20.0, 60.0), c("english78", 8.0, 60, 40, 1683.5, 4870.0)]
    assert damage_eval.wrong_place(same, 500, base) == []
    assert [x.id for x in damage_eval.wrong_place(new, 500, base)] == ["english78"]
    assert [x.id for x in damage_eval.wrong_place(same, 500)] == ["english12"]
    # the same clip id with another stretch length is another run: not excused
    other = [c("english12", 4.0, 69, 43, 900.0, 6000.0)]
    assert len(damage_eval.wrong_place(other, 500, base)) == 1
    files = {}
    for name, clips in (("base", base), ("same", same), ("new", new)):
        files[name] = tmp_path / f"{name}.jsonl"
        files[name].write_text("".join(json.dumps(x.__dict__) + "\n" for x in clips))
    assert damage_eval.check([files["same"]], 500, [files["base"]]) == 0
    assert damage_eval.check([files["new"]], 500, [files["base"]]) == 1
    assert damage_eval.check([files["same"], files["new"]], 500, [files["base"]]) == 2
    assert "WRONG PLACE english78" in capsys.readouterr().out


def test_a_restarted_reading_repeats_the_words_and_shifts_the_rest():
    # 20 words of 0.4 s every 0.5 s at 100 samples a second (audio = sample index): back 3 words
    # after word 6 (j = 3 + 4 = 7): the audio of words 4-6, cut half-way in the pauses (0.45 s
    # before word 4 -> 1.95 s, word 6 -> 7 at 3.45 s), is heard again before word 7
    ref = np.array([[0.5 * i, 0.5 * i + 0.4] for i in range(20)])
    pcm = np.arange(1000, dtype=np.int16)
    case = damage_eval.restart_case(pcm, ref, 3, 4, sr=100)
    assert (case.lo_word, case.hi_word) == (4, 7)
    assert case.seconds == 1.5                             # 1.95 s .. 3.45 s
    assert len(case.pcm) == 1150
    assert list(case.pcm[340:350]) == list(range(340, 345)) + list(range(195, 200))
    assert list(case.pcm[490:500]) == list(range(340, 350))     # the second reading goes on
    assert case.ref[6].tolist() == ref[6].tolist()         # first reading of the repeated words
    assert case.ref[7].tolist() == [5.0, 5.4]              # 3.5 / 3.9 s + 1.5 s
    # scored: the repeated words (4-6) are inside, against whichever reading is nearer
    hyp = [tuple(r) for r in case.ref]
    hyp[5] = (case.ref[5, 0] + 1.5, case.ref[5, 1] + 1.5)    # word 5 on its second reading
    hyp[6] = (case.ref[6, 0] + 0.75, case.ref[6, 1] + 0.75)  # word 6 half-way between them
    rec, e_in, e_out = damage_eval.clip_damage("rs", case.seconds, case.ref, hyp, 0.0, 0.0,
                                               restart=(case.lo_word, case.hi_word, case.seconds))
    assert np.allclose(e_in, [0.0, 0.0, 750.0])
    assert rec.words_outside == 17 and rec.mae_outside_ms == 0.0
    assert damage_eval.restart_case(pcm, ref, 10, 4, sr=100) is None   # needs j + 8 words


def test_other_speech_inserted_between_two_words_shifts_the_words_after_it():
    # 20 words of 0.4 s every 0.5 s at 100 samples a second: 1.2 s of other speech (values
    # -1) in the pause before word 10 (cut at 4.95 s); words 7-12 are next to it
    ref = np.array([[0.5 * i, 0.5 * i + 0.4] for i in range(20)])
    pcm = np.arange(1000, dtype=np.int16)
    case = damage_eval.insert_case(pcm, ref, np.full(120, -1, np.int16), sr=100)
    assert (case.lo_word, case.hi_word) == (7, 13) and case.seconds == 1.2
    assert len(case.pcm) == 1120
    assert list(case.pcm[493:497]) == [493, 494, -1, -1]
    assert list(case.pcm[613:617]) == [-1, -1, 495, 496]
    assert case.ref[9].tolist() == ref[9].tolist()
    assert np.allclose(case.ref[10], [6.2, 6.6])           # 5.0 / 5.4 s + 1.2 s
    hyp = [tuple(r) for r in case.ref]
    hyp[9] = (case.ref[9, 0], case.ref[9, 1] + 1.2)         # word 9 took in the other speech
    rec, e_in, e_out = damage_eval.clip_damage("ins", 1.2, case.ref, hyp, 0.0, 0.0,
                                               restart=(case.lo_word, case.hi_word, 0.0))
    assert np.allclose(e_in, [0, 0, 600, 0, 0, 0]) and rec.words_outside == 14
    assert damage_eval.insert_case(pcm, ref[:5], np.zeros(10, np.int16), sr=100) is None
    end = damage_eval.insert_case(pcm, ref, np.full(120, -1, np.int16), sr=100, at_end=True)
    assert (end.lo_word, end.hi_word) == (14, 20)               # before word 17: 14-19 next to it
    assert list(end.pcm[843:847]) == [843, 844, -1, -1]         # cut at 8.45 s
    assert np.allclose(end.ref[17], [9.7, 10.1]) and end.ref[16].tolist() == ref[16].tolist()
