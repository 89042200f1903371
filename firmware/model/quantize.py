"""Float TDNN (+ calibrated activation scales) -> integer parameters exactly as CONTRACT.md.

Weights: int8 per output channel, symmetric, w_q = clamp(round(w / s_w[c]), -127, 127),
s_w[c] = max|w[c]| / 127.  Bias: int32, b_q = round(b / (s_in * s_w[c])).  Requantisation:
M[c] = s_in * s_w[c] / s_out = mult[c] * 2^-shift[c] with mult in [2^30, 2^31).
"""
from __future__ import annotations

import numpy as np


def mult_shift(m: float) -> tuple[int, int]:
    """Real multiplier m > 0 -> (mult, shift) with m ~= mult * 2^-shift, 2^30 <= mult < 2^31."""
    if not m > 0:
        raise ValueError(f"requant multiplier must be positive, got {m}")
    frac, exp = np.frexp(m)          # m = frac * 2^exp, frac in [0.5, 1)
    mult = int(np.round(frac * (1 << 31)))
    if mult == 1 << 31:
        mult //= 2
        exp += 1
    shift = 31 - int(exp)
    if not 1 <= shift <= 62:
        raise ValueError(f"shift {shift} out of range for multiplier {m}")
    return mult, shift


def quantize_layer(w: np.ndarray, b: np.ndarray, s_in: float, s_out: float) -> dict:
    """w float [cout, cin, k] (torch layout), b [cout] -> integer layer dict."""
    cout = w.shape[0]
    s_w = np.maximum(np.abs(w).reshape(cout, -1).max(1) / 127.0, 1e-8).astype(np.float64)
    wq = np.clip(np.round(w / s_w[:, None, None]), -127, 127).astype(np.int8)
    bq = np.round(b.astype(np.float64) / (s_in * s_w))
    bq = np.clip(bq, -(2 ** 31), 2 ** 31 - 1).astype(np.int32)
    ms = [mult_shift(float(s_in * s_w[c] / s_out)) for c in range(cout)]
    return {
        "w": np.ascontiguousarray(wq.transpose(0, 2, 1)),  # [cout][k][cin]
        "bias": bq,
        "mult": np.array([m for m, _ in ms], np.int32),
        "shift": np.array([s for _, s in ms], np.int8),
        "w_scale": s_w.astype(np.float32),
        "in_scale": float(s_in),
        "out_scale": float(s_out),
    }


def quantize_model(state: dict) -> list[dict]:
    """state: {'specs': [...], 'weights': [(w, b), ...], 'act_scale': [s0, s1, ...]}."""
    layers = []
    scales = state["act_scale"]
    for i, (spec, (w, b)) in enumerate(zip(state["specs"], state["weights"])):
        q = quantize_layer(np.asarray(w, np.float64), np.asarray(b, np.float64),
                           float(scales[i]), float(scales[i + 1]))
        q.update({"k": spec["k"], "dil": spec["dil"], "relu": bool(spec["relu"]),
                  "cin": spec["cin"], "cout": spec["cout"]})
        layers.append(q)
    return layers
