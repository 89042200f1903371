"""evaluate.py --gain / --noise / --reverb: every clip scored after a microphone gain, noise at a
given SNR or a room.  Oracles: the definitions - a gain of G dB multiplies the samples by
10^(G/20) (then int16 rounding), an SNR is the ratio of the speech's power (on its active
samples, as augment.add_noise defines it) to the added noise's power, computed here from the
difference of the two signals - and the command line's own rules (one-line errors, host
aligners only)."""
import argparse
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import _model_path  # noqa: F401
import augment
from _noise_utts import bursts
import evaluate

MODEL = Path(__file__).resolve().parents[1] / "firmware" / "model"


def _speechy(seconds: float = 2.0) -> np.ndarray:
    return np.round(bursts(seconds)).astype(np.int16)


def _processed(**opts) -> np.ndarray:
    """The audio the aligner gets under those options (the aligner echoes it back)."""
    args = argparse.Namespace(gain=None, noise=None, reverb=None, seed=0)
    for k, v in opts.items():
        setattr(args, k, v)
    got: list[np.ndarray] = []
    aligner, _ = evaluate.degrade(lambda pcm, phones: got.append(pcm) or [], args, augment)
    aligner(_speechy(), [])
    return got[0]


def test_gain_scales_the_samples():
    x = _speechy()
    y = _processed(gain=-20.0)
    assert y.dtype == np.int16
    assert np.array_equal(y, np.round(x.astype(np.float64) * 0.1).astype(np.int16))


@pytest.mark.parametrize("kind", ["white", "pink"])
def test_noise_is_added_at_the_asked_snr(kind):
    x = _speechy().astype(np.float64)
    y = _processed(noise=f"{kind}:10").astype(np.float64)
    noise = y - x
    active = np.abs(x) > 0.01 * np.abs(x).max()
    snr = 10 * np.log10(np.mean(x[active] ** 2) / np.mean(noise ** 2))
    assert abs(snr - 10.0) < 0.1, snr
    assert np.array_equal(_processed(noise=f"{kind}:10"), _processed(noise=f"{kind}:10"))


def test_reverb_keeps_the_level_and_the_onset():
    x = _speechy().astype(np.float64)
    y = _processed(reverb="0.5:0").astype(np.float64)
    assert abs(10 * np.log10(np.sum(y ** 2) / np.sum(x ** 2))) < 0.1   # energy kept
    onset = int(np.argmax(np.abs(x) > 0))
    assert int(np.argmax(np.abs(y) > 0)) == onset                        # direct path at t=0
    assert np.abs(y[16000 // 3 + 400:16000 // 3 + 1200]).mean() > 0     # a tail into the pause


@pytest.mark.parametrize("opts,needle", [
    (["--noise", "hiss:10"], "white, pink or babble"),
    (["--reverb", "0.5"], "two values"),
    (["--gain", "-20", "--firmware", "FW"], "host aligners only"),
])
def test_bad_options_are_one_line_errors(tmp_path, opts, needle):
    elf = tmp_path / "x.elf"
    elf.write_bytes(b"\x7fELF")
    man = tmp_path / "m.jsonl"
    man.write_text("")
    argv = [str(elf) if a == "FW" else a for a in opts]
    r = subprocess.run([sys.executable, str(MODEL / "evaluate.py"), *argv, "--manifest", str(man)],
                       capture_output=True, text=True, cwd=MODEL)
    assert r.returncode != 0 and needle in r.stderr and "Traceback" not in r.stderr, r.stderr


def test_a_recording_50_db_quieter_is_aligned_as_the_original(tmp_path):
    """The committed model with its level floor (CONTRACT.md) against the same model without it,
    on clean eSpeak NG utterances of the held-out voices (their word times exact, corpus.py;
    peaks about -1 dBFS) at their own level and 50 dB quieter (peaks about -51 dBFS: a MEMS
    microphone read without gain). A gain moves no word: with the floor the quiet copies are
    aligned about as well as the originals (8 clips: 12.6 -> 18.1 ms); without it they are far off
    (58.7 ms)."""
    import shutil

    import corpus
    import g2p
    export = MODEL / "export"
    src = (export / "model_data.c").read_text()
    assert ".cmn_level_frames = 10," in src
    off = tmp_path / "model_data.c"
    off.write_text(src.replace(".cmn_level_frames = 10,", ".cmn_level_frames = 0,"))
    shutil.copy(export / "model_data.h", tmp_path / "model_data.h")
    aligners = {"floor": evaluate.c_aligner(), "no floor": evaluate.c_aligner(model_c=off)}
    errs: dict[tuple[str, int], list[float]] = {}
    for i in range(8):
        _pcm, _segs, tok, meta, clean = corpus.make_utterance(i, "test", 19, [], 1.0)
        phones = [w.phones for w in g2p.transcript_phones(meta["text"], "en-us")]
        for gain in (0, -50):
            pcm = np.clip(np.round(clean * 32768.0 * 10 ** (gain / 20)), -32768, 32767)
            for name, al in aligners.items():
                hyp = al(pcm.astype(np.int16), phones)
                e = errs.setdefault((name, gain), [])
                for (rs, re_), (hs, he) in zip(tok, hyp):
                    if rs >= 0:
                        e += ([abs(hs - rs) * 1000, abs(he - re_) * 1000] if hs is not None
                              else [1e4])
    mae = {k: float(np.mean(v)) for k, v in errs.items()}
    assert mae[("floor", 0)] == mae[("no floor", 0)], mae          # loud: untouched
    assert mae[("floor", -50)] < mae[("floor", 0)] + 10, mae
    assert mae[("no floor", -50)] > mae[("floor", -50)] + 20, mae


def _manifest(tmp_path: Path) -> list[np.ndarray]:
    """tmp_path/in/manifest.jsonl: two clips (u0 1 s, u1 1.5 s) of two words each."""
    import json

    import soundfile as sf
    src = []
    (tmp_path / "in").mkdir()
    with open(tmp_path / "in" / "manifest.jsonl", "w") as f:
        for i, sec in enumerate((1.0, 1.5)):
            wav = tmp_path / f"u{i}.wav"
            x = _speechy(sec)
            sf.write(wav, x, 16000, subtype="PCM_16")
            src.append(x)
            f.write(json.dumps({"id": f"u{i}", "speaker": "s", "wav": str(wav), "text": "a b",
                                "words": [[0.1, 0.3], [0.4, 0.6 + 0.5 * i]], "ref": "maus"}) + "\n")
    return src


def test_only_scores_the_clips_another_manifest_holds(tmp_path):
    """--only M scores the utterances whose id M holds: with M = the second clip alone the
    table counts its two words and its per-clip file names it alone."""
    import json
    _manifest(tmp_path)
    man = tmp_path / "in" / "manifest.jsonl"
    sub = tmp_path / "only.jsonl"
    sub.write_text(man.read_text().splitlines()[1] + "\n")
    pu = tmp_path / "pu.jsonl"
    r = subprocess.run([sys.executable, str(MODEL / "evaluate.py"), "--manifest", str(man),
                        "--only", str(sub), "--json", str(tmp_path / "s.json"), "--per-utt",
                        str(pu)], capture_output=True, text=True, cwd=MODEL)
    assert r.returncode == 0, r.stderr
    rows = json.loads((tmp_path / "s.json").read_text())["rows"]
    assert rows[0][1]["words"] == 2, rows
    assert [json.loads(x)["clip"] for x in pu.read_text().splitlines()] == ["u1"]
    r = subprocess.run([sys.executable, str(MODEL / "evaluate.py"), "--manifest", str(man),
                        "--only", str(tmp_path / "none.jsonl")], capture_output=True, text=True,
                       cwd=MODEL)
    assert r.returncode != 0 and "--only" in r.stderr and "Traceback" not in r.stderr


def test_save_audio_writes_the_clips_as_they_would_be_scored(tmp_path):
    """--save-audio writes every manifest clip after the options (here white noise at 10 dB SNR,
    checked against the SNR's definition on the written int16 file) with the reference words
    unchanged, instead of scoring; without --manifest it is a one-line error."""
    import json

    import soundfile as sf
    src = _manifest(tmp_path)
    out = tmp_path / "out"
    r = subprocess.run([sys.executable, str(MODEL / "evaluate.py"), "--manifest",
                        str(tmp_path / "in" / "manifest.jsonl"), "--noise", "white:10",
                        "--save-audio", str(out)], capture_output=True, text=True, cwd=MODEL)
    assert r.returncode == 0, r.stderr
    items = [json.loads(x) for x in (out / "manifest.jsonl").read_text().splitlines()]
    assert [it["id"] for it in items] == ["u0", "u1"]
    for x, it in zip(src, items):
        end = 0.6 + 0.5 * int(it["id"][1])
        assert it["words"] == [[0.1, 0.3], [0.4, end]] and it["text"] == "a b"
        y, sr = sf.read(it["wav"], dtype="int16")
        assert sr == 16000 and len(y) == len(x)
        xf = x.astype(np.float64)
        noise = y.astype(np.float64) - xf
        active = np.abs(xf) > 0.01 * np.abs(xf).max()
        snr = 10 * np.log10(np.mean(xf[active] ** 2) / np.mean(noise ** 2))
        assert abs(snr - 10.0) < 0.1, snr
    r = subprocess.run([sys.executable, str(MODEL / "evaluate.py"), "--noise", "white:10",
                        "--save-audio", str(out)], capture_output=True, text=True, cwd=MODEL)
    assert r.returncode != 0 and "--manifest" in r.stderr and "Traceback" not in r.stderr
