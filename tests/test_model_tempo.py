"""augment.tempo (pitch-keeping tempo change), realspeech.build_shards --tempos and the slow-speech
dev-set builder (slow_speech.py). Oracle: the definition of a tempo change to rate r - the sound
lasts 1/r times as long, an event at time t is heard at t / r, and every frequency (pitch,
formants) stays where it was - checked on a made-up signal whose onset, offset and harmonics
are known."""
import json

import numpy as np
import soundfile as sf

import _model_path  # noqa: F401
import augment
import realspeech
import slow_speech
from corpus import load_split

SR = 16000


def _tone(f0: float = 200.0) -> np.ndarray:
    """1 s: silence, a harmonic sound (F0 f0) from 0.3 to 0.7 s, silence."""
    t = np.arange(SR) / SR
    x = sum(np.sin(2 * np.pi * f0 * k * t + k) / k for k in range(1, 8))
    return (0.3 * x * ((t >= 0.3) & (t < 0.7))).astype(np.float32)


def _edges(x: np.ndarray) -> tuple[float, float]:
    """Onset / offset (s): first / last 10 ms frame whose RMS passes half the sound's level."""
    x = x.astype(np.float64)
    e = np.array([np.sqrt(np.mean(x[i:i + 160] ** 2)) for i in range(0, len(x) - 159, 160)])
    on = np.nonzero(e > 0.5 * np.median(e[e > 0.05 * e.max()]))[0]
    return on[0] * 0.01, (on[-1] + 1) * 0.01


def _f0(x: np.ndarray) -> float:
    a, b = _edges(x)
    seg = x[int(a * SR) + 800:int(b * SR) - 800]
    f = np.fft.rfftfreq(len(seg), 1 / SR)
    return float(f[np.argmax(np.abs(np.fft.rfft(seg * np.hanning(len(seg)))))])


def test_tempo_stretches_time_and_keeps_pitch():
    x = _tone()
    assert abs(_f0(x) - 200) < 5
    for rate in (0.8, 0.6):
        y = augment.tempo(x, rate)
        assert y.dtype == np.float32 and len(y) == round(SR / rate)
        on, off = _edges(y)
        assert abs(on - 0.3 / rate) < 0.015 and abs(off - 0.7 / rate) < 0.015
        assert abs(_f0(y) - 200) < 5                     # pitch kept (a resample would move it)
        rms = lambda v: np.sqrt(np.mean(v.astype(np.float64) ** 2))  # noqa: E731
        level = rms(y[int(on * SR):int(off * SR)]) / rms(x[int(0.3 * SR):int(0.7 * SR)])
        assert abs(level - 1) < 0.1                       # same level while it sounds
    assert augment.tempo(x, 1.0) is x


def _manifest(tmp_path):
    wav = tmp_path / "a.wav"
    sf.write(str(wav), _tone(), SR, subtype="PCM_16")
    item = {"id": "a", "speaker": "s", "wav": str(wav), "text": "a", "ref": "realign", "fit": 0.1,
            "words": [[0.3, 0.7]], "phones": [[0, 0.0, 0.3], [5, 0.3, 0.7], [0, 0.7, 1.0]]}
    man = tmp_path / "set" / "manifest.jsonl"
    man.parent.mkdir()
    man.write_text(json.dumps(item) + "\n")
    return man


def test_shards_tempo_copy_scales_labels(tmp_path):
    man = _manifest(tmp_path)
    assert realspeech.build_shards(man, tmp_path / "sh" / "train", copies=2, seed=0,
                                   tempos=[1.0, 0.6]) == 2
    plain, slow = load_split(tmp_path / "sh", "train")
    assert "tempo" not in plain["meta"]["aug"] and slow["meta"]["aug"]["tempo"] == 0.6
    assert len(plain["audio"]) == SR and len(slow["audio"]) == round(SR / 0.6)
    np.testing.assert_allclose(plain["word"], [[0.3, 0.7]], atol=1e-6)
    np.testing.assert_allclose(slow["word"], [[0.5, 0.7 / 0.6]], atol=1e-6)
    np.testing.assert_allclose(slow["seg"][:, 1:], plain["seg"][:, 1:] / 0.6, atol=1e-6)
    on, off = _edges(slow["audio"].astype(np.float32) / 32768)
    assert abs(on - 0.5) < 0.015 and abs(off - 0.7 / 0.6) < 0.015   # labels fit the audio


def test_slow_speech_manifest_per_rate(tmp_path):
    man = _manifest(tmp_path)
    res = slow_speech.stretch_manifest(man, tmp_path / "dev", [1.0, 0.8])
    assert sorted(res) == [0.8, 1.0]
    assert res[0.8].parent.name == "set_r080"
    for rate, path in res.items():
        (it,) = realspeech.load_manifest(path)
        x, sr = sf.read(it["wav"], dtype="float32")
        assert sr == SR and len(x) == round(SR / rate)
        np.testing.assert_allclose(it["words"], [[0.3 / rate, 0.7 / rate]], atol=1e-9)
        np.testing.assert_allclose([p[1:] for p in it["phones"]],
                                   [[0.0, 0.3 / rate], [0.3 / rate, 0.7 / rate],
                                    [0.7 / rate, 1.0 / rate]], atol=1e-9)
        on, off = _edges(x)
        assert abs(on - 0.3 / rate) < 0.015 and abs(off - 0.7 / rate) < 0.015
        assert it["ref"] == "realign+tempo" and it["rate"] == rate


def test_slow_speech_espeak_same_sentence_slower(tmp_path):
    """eSpeak NG at 60 % of 175 words per minute (its -s rate): the same sentence and voice, the
    words last longer (eSpeak scales phone durations with 1 / rate), labels inside the audio."""
    res = slow_speech.espeak_set(tmp_path, [1.0, 0.6], n=1, first=100000, wpm=175)
    (fast,), (slow,) = (realspeech.load_manifest(res[r]) for r in (1.0, 0.6))
    assert fast["text"] == slow["text"] and fast["speaker"] == slow["speaker"]
    assert fast["speaker"].startswith("en-us") and (fast["wpm"], slow["wpm"]) == (175, 105)
    speech = lambda it: sum(e - s for s, e in it["words"] if s >= 0)  # noqa: E731
    assert speech(slow) > 1.3 * speech(fast)
    for it in (fast, slow):
        x, _ = sf.read(it["wav"], dtype="float32")
        assert 0 < it["words"][0][0] and max(e for _s, e in it["words"]) < len(x) / SR
