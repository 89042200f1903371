"""realspeech.build_shards: speed perturbation (Kaldi's: the audio resampled by 1/speed, label
times scaled by 1/speed) and the --max-fit filter of realign.py items. Oracle: the definition
of the speed factor applied to a made-up recording with known labels."""
import json

import numpy as np
import soundfile as sf

import _model_path  # noqa: F401
import realspeech
from corpus import load_split

SR = 16000


def _item(tmp_path, uid: str, fit: float) -> dict:
    t = np.arange(SR) / SR
    x = (0.3 * np.sin(2 * np.pi * 220 * t) * (t > 0.2) * (t < 0.6)).astype(np.float32)
    wav = tmp_path / f"{uid}.wav"
    sf.write(str(wav), x, SR, subtype="PCM_16")
    return {"id": uid, "speaker": "s", "wav": str(wav), "text": "yes", "ref": "realign",
            "fit": fit, "words": [[0.2, 0.6]], "phones": [[0, 0.0, 0.2], [5, 0.2, 0.6],
                                                          [0, 0.6, 1.0]]}


def test_speed_perturbed_copy_and_fit_filter(tmp_path):
    man = tmp_path / "set" / "manifest.jsonl"
    man.parent.mkdir()
    items = [_item(tmp_path, "a", 0.3), _item(tmp_path, "b", 2.0)]   # b: fit above the limit
    man.write_text("".join(json.dumps(i) + "\n" for i in items))
    n = realspeech.build_shards(man, tmp_path / "sh" / "train", copies=2, seed=0,
                                max_fit=1.0, speeds=[1.0, 0.8])
    assert n == 2                               # only item a, twice
    got = load_split(tmp_path / "sh", "train")
    assert [g["meta"]["source"] for g in got] == ["a", "a"]
    plain, slow = got
    assert len(plain["audio"]) == SR
    assert len(slow["audio"]) == SR * 5 // 4    # played at 0.8x speed: 1.25 s
    np.testing.assert_allclose(plain["seg"], [[0, 0.0, 0.2], [5, 0.2, 0.6], [0, 0.6, 1.0]],
                               atol=1e-6)
    np.testing.assert_allclose(slow["seg"], [[0, 0.0, 0.25], [5, 0.25, 0.75], [0, 0.75, 1.25]],
                               atol=1e-6)
    np.testing.assert_allclose(slow["word"], [[0.25, 0.75]], atol=1e-6)
    assert slow["meta"]["aug"]["speed"] == 0.8
    # the tone moved with the labels: its onset is at 0.25 s in the slow copy
    env = np.abs(slow["audio"].astype(np.float64))
    onset = np.argmax(env > 0.5 * env.max()) / SR
    assert abs(onset - 0.25) < 0.01


def test_babble_copy_is_mixed_at_the_asked_snr_from_the_pool(tmp_path):
    """--babble 10 10 --babble-pool P: the copy is the recording plus other talkers at 10 dB SNR
    (augment.add_noise's definition: speech power on its active samples), then one gain. Oracle:
    the definition, with the copy's gain and the background recovered by projecting the copy on
    the clean recording; the background holds the pool's voice (a 1 kHz tone here, the
    recording has none) and the labels are untouched."""
    man = tmp_path / "set" / "manifest.jsonl"
    man.parent.mkdir()
    item = _item(tmp_path, "a", 0.0)       # a noise burst: its own shifted copies in the
    burst = np.random.default_rng(0).normal(0, 0.1, SR) * (np.arange(SR) / SR > 0.2)
    sf.write(item["wav"], burst.astype(np.float32), SR, subtype="PCM_16")   # babble barely
    man.write_text(json.dumps(item) + "\n")                                  # correlate with it
    t = np.arange(2 * SR) / SR
    talker = (0.2 * np.sin(2 * np.pi * 1000 * t)).astype(np.float32)
    sf.write(str(tmp_path / "o.wav"), talker, SR, subtype="PCM_16")
    pool = tmp_path / "other" / "manifest.jsonl"
    pool.parent.mkdir()
    pool.write_text(json.dumps({"id": "o", "speaker": "o", "wav": str(tmp_path / "o.wav"),
                                "text": "no", "ref": "realign", "words": [[0.0, 2.0]]}) + "\n")
    n = realspeech.build_shards(man, tmp_path / "sh" / "train", copies=1, seed=3,
                                babble=(10.0, 10.0), babble_pool=[pool])
    assert n == 1
    (got,) = load_split(tmp_path / "sh", "train")
    assert got["meta"]["aug"]["babble"] == 10.0
    np.testing.assert_allclose(got["word"], [[0.2, 0.6]], atol=1e-6)
    x = sf.read(str(tmp_path / "a.wav"), dtype="float64")[0]
    y = got["audio"].astype(np.float64) / 32768
    a = float(np.dot(y, x) / np.dot(x, x))                 # the copy's gain
    noise = y / a - x
    active = np.abs(x) > 0.01 * np.abs(x).max()
    snr = 10 * np.log10(np.mean(x[active] ** 2) / np.mean(noise ** 2))
    assert abs(snr - 10.0) < 0.5, snr
    spec = np.abs(np.fft.rfft(noise))
    assert np.argmax(spec) * SR / len(noise) == 1000.0    # the pool's talker
