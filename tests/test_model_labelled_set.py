"""labelled_set.py: a manifest from wav + word-label files. Oracle: the label times written
here by hand, text_norm's spoken words for a number, and evaluate.py reading the result."""
import json
import subprocess
import sys

import numpy as np
import soundfile as sf

import _model_path  # noqa: F401
import evaluate
import labelled_set

SR = 16000


def _wav(path, seconds, sr=SR, channels=1):
    x = 0.1 * np.random.default_rng(0).standard_normal((int(seconds * sr), channels))
    sf.write(str(path), x, sr, subtype="PCM_16")


def test_labels_become_token_times_and_evaluate_reads_them(tmp_path):
    src = tmp_path / "voice"
    src.mkdir()
    _wav(src / "a.wav", 1.0)
    (src / "a.lab").write_text("0.00\t0.10\tsil\n0.10\t0.35\tthirty\n0.35\t0.60\tfive\n"
                               "0.60\t0.70\tsp\n0.70\t0.95\tcheeks\n")
    (src / "a.txt").write_text("35 cheeks.\n")
    _wav(src / "b.wav", 0.5, sr=22050, channels=2)          # resampled, first channel
    (src / "b.lab").write_text("0 0.2 hello\n0.2 0.5 world\n")   # no .txt: the labels' words
    _wav(src / "c.wav", 0.5)
    (src / "c.lab").write_text("0 0.2 one\n0.2 0.5 two\n")
    (src / "c.txt").write_text("one two three")               # 3 spoken words, 2 labelled
    _wav(src / "d.wav", 0.5)                                  # no labels at all
    out = tmp_path / "set"
    n, left = labelled_set.build(src, out, "v", "pico")
    assert n == 2
    assert [x.split(":")[0] for x in left] == ["c.wav", "d.wav"]
    items = [json.loads(x) for x in (out / "manifest.jsonl").read_text().splitlines()]
    assert [i["id"] for i in items] == ["a", "b"]
    assert items[0]["words"] == [[0.1, 0.6], [0.7, 0.95]]    # "35" = thirty five
    assert items[1]["text"] == "hello world" and items[1]["words"] == [[0.0, 0.2], [0.2, 0.5]]
    assert sf.info(items[1]["wav"]).samplerate == SR and sf.info(items[1]["wav"]).frames == 8000
    clips = evaluate.manifest_clips(out / "manifest.jsonl", None)
    assert len(clips) == 2
    np.testing.assert_allclose(clips[0][2], [[0.1, 0.6], [0.7, 0.95]])
    assert len(clips[0][1]) == 2                              # two transcript tokens


def test_htk_units_and_bad_input(tmp_path):
    lab = tmp_path / "x.lab"
    lab.write_text("1000000 3500000 yes\n3500000 5000000 pau\n")
    got = labelled_set.read_labels(lab, htk=True)
    assert [(round(g.start, 6), round(g.end, 6), g.word) for g in got] == [(0.1, 0.35, "yes")]
    lab.write_text("0.1 zero yes\n")
    (tmp_path / "x.wav").write_bytes(b"")
    r = subprocess.run([sys.executable, labelled_set.__file__, str(tmp_path), str(tmp_path / "o")],
                       capture_output=True, text=True)
    assert r.returncode == 2 and r.stderr.startswith("error: x.lab:1: times are not numbers")
    assert "Traceback" not in r.stderr
    r = subprocess.run([sys.executable, labelled_set.__file__, str(tmp_path / "nope"),
                        str(tmp_path / "o")], capture_output=True, text=True)
    assert r.returncode == 2 and "is not a directory" in r.stderr


def test_manifest_transcript_phones_follow_the_chosen_voice(tmp_path):
    # evaluate.py --manifest --g2p-voice: "better" is B EH T ER in American English (r-coloured;
    # the flap written T as the CMU dictionary writes it, g2p.as_written) and B EH T AH in eSpeak's
    # British RP voice; the default stays en-us
    import phones as ph
    src = tmp_path / "v"
    src.mkdir()
    _wav(src / "a.wav", 0.6)
    (src / "a.lab").write_text("0.1 0.5 better\n")
    labelled_set.build(src, tmp_path / "set", "v", "x")
    man = tmp_path / "set" / "manifest.jsonl"
    names = ph.classes()
    us = [names[c] for c in evaluate.manifest_clips(man, None)[0][1][0]]
    gb = [names[c] for c in evaluate.manifest_clips(man, None, voice="en-gb-x-rp")[0][1][0]]
    assert us == ["B", "EH", "T", "ER"] and gb == ["B", "EH", "T", "AH"]
