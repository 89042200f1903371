"""int8 NumPy reference on the committed model vs a float computation (quantisation error)."""
import json

import numpy as np
import pytest

import _model_path
import reference as R

EXPORT = _model_path.MODEL_DIR / "export"
pytestmark = pytest.mark.skipif(not (EXPORT / "model.json").exists(), reason="no exported model")


def load():
    d = json.loads((EXPORT / "model.json").read_text())
    return d, R.model_from_dict(d)


def float_layer(x, w, b, k, dil, relu):
    """Float conv of float input x [T, cin] with float weights w [cout, k, cin]."""
    T = x.shape[0]
    y = np.tile(b[None, :], (T, 1)).astype(np.float64)
    half = (k - 1) // 2
    for j in range(k):
        off = (j - half) * dil
        lo, hi = max(0, -off), min(T, T - off)
        if hi > lo:
            y[lo:hi] += x[lo + off:hi + off] @ w[:, j, :].T
    return np.maximum(y, 0) if relu else y


def test_int8_layers_match_float_within_one_lsb():
    d, m = load()
    rng = np.random.default_rng(1)
    q = np.clip(np.round(rng.standard_normal((300, m.layers[0].cin)) * 1.0 / m.in_scale), -127, 127).astype(np.int8)
    outs = R.run_int8(m, q)
    x_int = q
    for i, (lay, jd) in enumerate(zip(m.layers, d["layers"])):
        s_in, s_out = jd["in_scale"], jd["out_scale"]
        s_w = np.asarray(jd["w_scale"], np.float64)
        w = lay.w.astype(np.float64) * s_w[:, None, None]
        b = lay.bias.astype(np.float64) * s_w * s_in
        y = float_layer(x_int.astype(np.float64) * s_in, w, b, lay.k, lay.dil, lay.relu) / s_out
        expect = np.clip(y, -128, 127)
        err = np.abs(outs[i].astype(np.float64) - expect)
        assert err.max() <= 0.5 + 1e-3, (i, err.max())
        x_int = outs[i]


def test_end_to_end_float_vs_int8_logits_close():
    """Whole stack in float (float weights = dequantised int8, no activation rounding) vs int8."""
    d, m = load()
    rng = np.random.default_rng(2)
    q = np.clip(np.round(rng.standard_normal((200, m.layers[0].cin)) / m.in_scale), -127, 127).astype(np.int8)
    z_int = R.run_int8(m, q)[-1].astype(np.float64) * m.out_scale
    x = q.astype(np.float64) * m.in_scale
    for lay, jd in zip(m.layers, d["layers"]):
        s_w = np.asarray(jd["w_scale"], np.float64)
        x = float_layer(x, lay.w.astype(np.float64) * s_w[:, None, None],
                        lay.bias.astype(np.float64) * s_w * jd["in_scale"], lay.k, lay.dil, lay.relu)
        x = np.clip(x, -128 * jd["out_scale"], 127 * jd["out_scale"])
    rel = np.abs(z_int - x).mean() / (np.abs(x).mean() + 1e-9)
    assert rel < 0.1, rel


def test_reference_is_deterministic_and_int8():
    _, m = load()
    pcm = (np.sin(np.arange(16000) * 0.05) * 8000).astype(np.int16)
    a = R.log_posteriors(m, pcm)
    b = R.log_posteriors(m, pcm)
    assert a.dtype == np.float32 and np.array_equal(a, b)
    assert a.shape == (1 + (16000 - 400) // 160, len(m.phones))
    assert np.allclose(np.exp(a).sum(1), 1.0, atol=1e-4)
    outs = R.run_int8(m, R.input_int8(m, pcm))
    assert all(o.dtype == np.int8 for o in outs)
