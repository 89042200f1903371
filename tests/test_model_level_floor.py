"""level_floor.py: the training corpus's level (the mean log-mel of bands 5-28 over an
utterance's first speech frames) and the level floor 20 dB under its median. Oracle: the
definition of a gain - a recording 20 dB quieter has every band's power divided by 100, so its
level is ln(100) = 4.605 nats lower - and the floor's definition (median - 20 dB of power)."""
import json
import math

import numpy as np

import _model_path  # noqa: F401
import level_floor
from _noise_utts import bursts
from corpus import write_shard


def _median(tmp_path, name: str, gain_db: float) -> dict:
    items = []
    for i in range(3):
        pcm = np.round(bursts(2.0, i) * 10 ** (gain_db / 20)).astype(np.int16)
        items.append((pcm, np.zeros((0, 3), np.float32), np.zeros((0, 2), np.float32),
                      {"text": "", "voice": "real"}))
    (tmp_path / name).mkdir()
    write_shard(tmp_path / name / "shard_000.npz", items)
    out = tmp_path / f"{name}.json"
    assert level_floor.main(["--shards", str(tmp_path / name), "--json", str(out)]) == 0
    return json.loads(out.read_text())


def test_level_floor_follows_a_gain_and_lies_20_db_under_the_median(tmp_path):
    loud = _median(tmp_path, "loud", 0.0)
    quiet = _median(tmp_path, "quiet", -20.0)
    assert loud["utterances"] == quiet["utterances"] == 3
    assert abs((loud["median"] - quiet["median"]) - math.log(100.0)) < 0.01, (loud, quiet)
    assert abs(loud["floor"] - (loud["median"] - math.log(100.0))) < 0.002, loud
    assert abs(loud["lift"] - math.log(10.0)) < 0.001, loud               # 10 dB of power
