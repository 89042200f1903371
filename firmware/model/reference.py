"""NumPy reference of the int8 network (bit exact with CONTRACT.md) and of the front end.

    acc = bias[c] + sum_k sum_i w[c][k][i] * x[t + (k - (K-1)/2) * d][i]     (zero outside)
    v = ((int64)acc * mult[c] + (1 << (shift[c] - 1))) >> shift[c]           (arithmetic)
    if relu: v = max(v, 0);  q = clamp(v, -128, 127)

The accumulation is done with float64 matrix products of integers (exact: |acc| < 2^53) and
the requantisation with int64.
"""
from __future__ import annotations

import argparse
import base64
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

try:
    from . import features as F
except ImportError:  # pragma: no cover
    import features as F  # type: ignore[no-redef]

DEFAULT_MODEL = Path(__file__).with_name("export") / "model.json"


@dataclass
class Layer:
    k: int
    dil: int
    relu: bool
    cin: int
    cout: int
    w: np.ndarray      # int8 [cout, k, cin]
    bias: np.ndarray   # int32 [cout]
    mult: np.ndarray   # int32 [cout]
    shift: np.ndarray  # int8 [cout]


@dataclass
class Model:
    layers: list[Layer]
    mel: F.MelTable
    feat_mean: np.ndarray
    feat_inv_std: np.ndarray
    in_scale: float
    out_scale: float
    log_prior: np.ndarray
    prior_weight: float
    hmm_states: np.ndarray
    hmm_self_logp: np.ndarray
    hmm_next_logp: np.ndarray
    frame_offset_s: float
    phones: list[str]
    sil_class: int = 0
    cmn: F.RunningMean = F.RunningMean(0.0, 0.0)   # CONTRACT.md "running mean", "level floor"

    @property
    def n_classes(self) -> int:
        return len(self.phones)


def decode_array(v: object, dtype: str) -> np.ndarray:
    """model.json stores big integer arrays as {'b64': ..., 'dtype': ..., 'shape': ...}."""
    if isinstance(v, dict) and "b64" in v:
        a = np.frombuffer(base64.b64decode(v["b64"]), dtype=np.dtype(v["dtype"]).newbyteorder("<"))
        return a.reshape(v["shape"]).astype(dtype)
    return np.asarray(v, dtype=dtype)


def encode_array(a: np.ndarray) -> dict:
    a = np.ascontiguousarray(a)
    return {"dtype": a.dtype.str.lstrip("<>|="), "shape": list(a.shape),
            "b64": base64.b64encode(a.astype(a.dtype.newbyteorder("<")).tobytes()).decode()}


def model_from_dict(d: dict) -> Model:
    layers = [Layer(int(l["k"]), int(l["dil"]), bool(l["relu"]), int(l["cin"]), int(l["cout"]),
                    decode_array(l["w"], "int8").reshape(int(l["cout"]), int(l["k"]), int(l["cin"])),
                    decode_array(l["bias"], "int32"), decode_array(l["mult"], "int32"),
                    decode_array(l["shift"], "int8")) for l in d["layers"]]
    mel = F.MelTable(np.asarray(d["mel_first"], np.uint16), np.asarray(d["mel_count"], np.uint16),
                     np.asarray(d["mel_weights"], np.float32))
    return Model(layers, mel, np.asarray(d["feat_mean"], np.float32),
                 np.asarray(d["feat_inv_std"], np.float32), float(d["in_scale"]),
                 float(d["out_scale"]), np.asarray(d["log_prior"], np.float32),
                 float(d["prior_weight"]), np.asarray(d["hmm_states"], np.uint8),
                 np.asarray(d["hmm_self_logp"], np.float32),
                 np.asarray(d["hmm_next_logp"], np.float32), float(d["frame_offset_s"]),
                 list(d["phones"]), int(d.get("sil_class", 0)), F.RunningMean.from_model(d))


def load(path: Path | str = DEFAULT_MODEL) -> Model:
    return model_from_dict(json.loads(Path(path).read_text()))


def requant(acc: np.ndarray, mult: np.ndarray, shift: np.ndarray, relu: bool) -> np.ndarray:
    """int64 requantisation of int32 accumulators [T, cout] -> int8."""
    a = acc.astype(np.int64)
    sh = shift.astype(np.int64)
    v = (a * mult.astype(np.int64) + (np.int64(1) << (sh - 1))) >> sh
    if relu:
        v = np.maximum(v, 0)
    return np.clip(v, -128, 127).astype(np.int8)


def layer_accumulators(x: np.ndarray, layer: Layer) -> np.ndarray:
    """int8 [T, cin] -> int32 accumulators [T, cout] (bias included)."""
    T = x.shape[0]
    xf = x.astype(np.float64)
    acc = np.zeros((T, layer.cout), np.float64)
    half = (layer.k - 1) // 2
    for k in range(layer.k):
        off = (k - half) * layer.dil
        lo, hi = max(0, -off), min(T, T - off)
        if hi <= lo:
            continue
        acc[lo:hi] += xf[lo + off:hi + off] @ layer.w[:, k, :].astype(np.float64).T
    acc += layer.bias.astype(np.float64)[None, :]
    out = acc.astype(np.int64)
    assert np.all(np.abs(out) < 2 ** 31), "int32 accumulator overflow"
    return out


def layer_forward(x: np.ndarray, layer: Layer) -> np.ndarray:
    return requant(layer_accumulators(x, layer), layer.mult, layer.shift, layer.relu)


def run_int8(model: Model, q_in: np.ndarray) -> list[np.ndarray]:
    """int8 input features [T, n_mels] -> int8 output of every layer."""
    outs = []
    x = q_in
    for layer in model.layers:
        x = layer_forward(x, layer)
        outs.append(x)
    return outs


def input_int8(model: Model, pcm: np.ndarray) -> np.ndarray:
    f = F.log_mel(pcm)
    g = F.running_mean_normalise(f, model.feat_mean, model.feat_inv_std, model.cmn)
    return F.quantise_input(g, model.in_scale)


def log_softmax(z: np.ndarray) -> np.ndarray:
    z = z.astype(np.float32)
    m = z.max(axis=1, keepdims=True)
    return (z - m - np.log(np.exp(z - m).sum(axis=1, keepdims=True))).astype(np.float32)


def log_posteriors(model: Model, pcm: np.ndarray) -> np.ndarray:
    """int16 PCM 16 kHz -> float32 [T, C] per-frame log posteriors of the int8 network."""
    q = input_int8(model, pcm)
    if len(q) == 0:
        return np.zeros((0, model.n_classes), np.float32)
    out = run_int8(model, q)[-1]
    return log_softmax(np.float32(model.out_scale) * out.astype(np.float32))


def main() -> None:
    ap = argparse.ArgumentParser(description="Run the int8 NumPy reference on a 16 kHz wav.")
    ap.add_argument("wav")
    ap.add_argument("--model", default=str(DEFAULT_MODEL))
    args = ap.parse_args()
    import soundfile as sf
    pcm, sr = sf.read(args.wav, dtype="int16")
    m = load(args.model)
    lp = log_posteriors(m, pcm if pcm.ndim == 1 else pcm[:, 0])
    best = lp.argmax(1)
    print(" ".join(m.phones[c] for c in best))


if __name__ == "__main__":
    main()
