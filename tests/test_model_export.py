"""Export round trip: parse firmware/model/export/model_data.c back and compare with model.json."""
import json
import re

import numpy as np
import pytest

import _model_path
import features as F
import reference as R

EXPORT = _model_path.MODEL_DIR / "export"
pytestmark = pytest.mark.skipif(not (EXPORT / "model_data.c").exists(), reason="no exported model")


def c_arrays(text):
    out = {}
    for m in re.finditer(r"static const (u?int\d+_t|float) (\w+)\[(\d+)\] = \{(.*?)\};", text, re.S):
        ctype, name, n, body = m.group(1), m.group(2), int(m.group(3)), m.group(4)
        vals = [v.strip() for v in body.replace("\n", " ").split(",") if v.strip()]
        assert len(vals) == n, name
        if ctype == "float":
            out[name] = np.array([np.float32(v.rstrip("f")) for v in vals], np.float32)
        else:
            out[name] = np.array([int(v) for v in vals], np.int64)
    return out


def c_scalar(text, field):
    m = re.search(r"\." + field + r" = ([-0-9.eE+]+)f?", text)
    return m.group(1)


def test_c_arrays_match_model_json():
    text = (EXPORT / "model_data.c").read_text()
    arrs = c_arrays(text)
    d = json.loads((EXPORT / "model.json").read_text())
    model = R.model_from_dict(d)
    for i, lay in enumerate(model.layers):
        assert np.array_equal(arrs[f"l{i}_w"], lay.w.ravel().astype(np.int64))
        assert np.array_equal(arrs[f"l{i}_bias"], lay.bias.astype(np.int64))
        assert np.array_equal(arrs[f"l{i}_mult"], lay.mult.astype(np.int64))
        assert np.array_equal(arrs[f"l{i}_shift"], lay.shift.astype(np.int64))
        assert re.search(rf"\.k = {lay.k}, \.dil = {lay.dil}, \.relu = {int(lay.relu)}, "
                         rf"\.cin = {lay.cin}, \.cout = {lay.cout}, \.w = l{i}_w", text)
        assert np.all((lay.mult >= 1 << 30)) and np.all((lay.shift >= 1) & (lay.shift <= 62))
    for name in ("mel_weights", "feat_mean", "feat_inv_std", "log_prior", "hmm_self_logp",
                 "hmm_next_logp"):
        assert np.array_equal(arrs[name], np.asarray(d[name], np.float32)), name
    for name in ("mel_first", "mel_count", "hmm_states"):
        assert np.array_equal(arrs[name], np.asarray(d[name], np.int64)), name
    for f in ("in_scale", "out_scale", "prior_weight", "frame_offset_s"):
        assert np.float32(c_scalar(text, f)) == np.float32(d[f]), f
    assert int(re.search(r"\.n_classes = (\d+)", text).group(1)) == len(d["phones"])
    phones = (EXPORT / "phones.txt").read_text().split()
    assert phones == d["phones"] and phones[0] == "sil"


def test_mel_table_is_the_front_end_table():
    d = json.loads((EXPORT / "model.json").read_text())
    t = F.mel_table()
    assert np.array_equal(np.asarray(d["mel_first"]), t.first)
    assert np.array_equal(np.asarray(d["mel_count"]), t.count)
    assert np.array_equal(np.asarray(d["mel_weights"], np.float32), t.weights)
    assert int(t.first[-1] + t.count[-1]) <= F.NFFT // 2 + 1


def test_weights_are_small():
    d = json.loads((EXPORT / "model.json").read_text())
    n = sum(np.prod(l["w"]["shape"]) for l in d["layers"])
    assert n < 300_000
