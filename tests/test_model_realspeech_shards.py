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
