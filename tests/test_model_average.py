"""Weight averaging of fine-tuned checkpoints (firmware/model/average.py)."""
import math

import numpy as np
import pytest

import _model_path  # noqa: F401
import average
import modelfile

SPECS = [{"k": 3, "dil": 1, "cin": 40, "cout": 8, "relu": True},
         {"k": 1, "dil": 1, "cin": 8, "cout": 2, "relu": False}]


def ckpt(seed: int, prior=(0.5, 0.5)) -> dict:
    rng = np.random.default_rng(seed)
    return {"specs": SPECS,
            "weights": [(rng.normal(0, 0.1, (s["cout"], s["cin"], s["k"])),
                         rng.normal(0, 0.1, s["cout"])) for s in SPECS],
            "act_scale": [0.04, 0.2, 0.1], "feat_mean": np.zeros(40, np.float32),
            "feat_inv_std": np.ones(40, np.float32), "phones": ["sil", "AA"],
            "log_prior": np.log(np.asarray(prior, np.float32)),
            "hmm_states": np.array([1, 3], np.uint8),
            "hmm_self_logp": np.log(np.array([0.9, 0.5], np.float32)),
            "hmm_next_logp": np.log(np.array([0.1, 0.5], np.float32)),
            "prior_weight": 0.5, "frame_offset_s": 0.01,
            "cmn_prior": 100.0, "cmn_frames": 300.0, "cmn_gate": 1.5, "cmn_rise": 0.005}


def test_a_checkpoint_averaged_with_itself_exports_the_same_model():
    ck = ckpt(1)
    same = modelfile.model_dict(average.average([ck, ck]))
    assert average._same(same, modelfile.model_dict(ck))
    mixed = modelfile.model_dict(average.average([ck, ckpt(2)]))
    assert not average._same(mixed, modelfile.model_dict(ck))


def test_weights_are_the_mean_and_the_prior_the_mean_probability():
    a, b = ckpt(1, (0.5, 0.5)), ckpt(2, (0.9, 0.1))
    a["act_scale"], b["act_scale"] = [0.04, 0.2, 0.1], [0.06, 0.4, 0.3]
    m = average.average([a, b])
    for (wa, ba), (wb, bb), (w, bias) in zip(a["weights"], b["weights"], m["weights"]):
        np.testing.assert_allclose(w, (wa + wb) / 2, rtol=0, atol=1e-15)
        np.testing.assert_allclose(bias, (ba + bb) / 2, rtol=0, atol=1e-15)
    np.testing.assert_allclose(m["act_scale"], [0.05, 0.3, 0.2], atol=1e-12)
    # (0.5 + 0.9) / 2 = 0.7 and (0.5 + 0.1) / 2 = 0.3: a prior is a probability, not a log
    np.testing.assert_allclose(np.exp(m["log_prior"]), [0.7, 0.3], atol=1e-6)
    assert not math.isclose(float(np.exp(m["log_prior"][1])), math.sqrt(0.5 * 0.1), abs_tol=1e-3)


@pytest.mark.parametrize("key,value", [("feat_mean", np.ones(40, np.float32)),
                                       ("phones", ["sil", "AE"]),
                                       ("hmm_states", np.array([1, 2], np.uint8)),
                                       ("cmn_frames", 200.0), ("cmn_level_floor", -9.5)])
def test_checkpoints_that_must_agree_are_refused(key, value):
    a, b = ckpt(1), ckpt(2)
    b[key] = value
    with pytest.raises(average.AverageError, match=key):
        average.average([a, b])


def test_different_widths_are_refused():
    a, b = ckpt(1), ckpt(2)
    b["specs"] = [dict(SPECS[0], cout=16), dict(SPECS[1], cin=16)]
    with pytest.raises(average.AverageError, match="specs"):
        average.average([a, b])


def test_missing_file_is_a_one_line_error(tmp_path, capsys):
    rc = average.main([str(tmp_path / "a.pt"), str(tmp_path / "b.pt"),
                       "--out", str(tmp_path / "o.pt")])
    err = capsys.readouterr().err
    assert rc == 2 and err.count("\n") == 1 and "no such file" in err
    assert not (tmp_path / "o.pt").exists()
