#!/usr/bin/env python3
"""Write a small random int8 model as model_data.c / model_data.h in the exported format.

Stand-in for firmware/model/export/model_data.c until the trained model exists, so that the C
library and its tests can run. The front-end tables are the real thing (HTK mel, 20-7600 Hz,
triangular, unnormalised); the network weights are random but scaled so that activations use
the int8 range. Deterministic (fixed seed).

usage: gen_test_model.py [out_dir]   (default: the directory of this script)
"""
import math
import sys
from pathlib import Path

import numpy as np

N_MELS = 40
N_CLASSES = 45
SIL = 0
# (k, dil, cout, relu); cin follows from the previous layer. 62 and 60 exercise cin % 4 != 0 tails.
LAYERS = [(5, 1, 64, 1), (3, 2, 62, 1), (3, 4, 60, 1), (1, 1, N_CLASSES, 0)]


def hz_to_mel(f):
    return 2595.0 * np.log10(1.0 + f / 700.0)


def mel_to_hz(m):
    return 700.0 * (10.0 ** (m / 2595.0) - 1.0)


def mel_bank(n_mels=N_MELS, n_fft=512, sr=16000, fmin=20.0, fmax=7600.0):
    pts = mel_to_hz(np.linspace(hz_to_mel(fmin), hz_to_mel(fmax), n_mels + 2))
    freqs = np.arange(n_fft // 2 + 1) * sr / n_fft
    W = np.zeros((n_mels, n_fft // 2 + 1))
    for i in range(n_mels):
        lo, ce, hi = pts[i], pts[i + 1], pts[i + 2]
        up = (freqs - lo) / (ce - lo)
        down = (hi - freqs) / (hi - ce)
        W[i] = np.maximum(0.0, np.minimum(up, down))
    return W.astype(np.float32)


def quant_mult(scale: float) -> tuple[int, int]:
    """scale ~= mult / 2^shift with 2^30 <= mult < 2^31."""
    shift = 0
    while scale * (1 << shift) < (1 << 30) and shift < 62:
        shift += 1
    mult = int(round(scale * (1 << shift)))
    if mult >= (1 << 31):
        mult >>= 1
        shift -= 1
    return mult, max(1, min(62, shift))


def c_array(ctype: str, name: str, vals, per_line: int = 16) -> str:
    vals = list(vals)
    out = [f"static const {ctype} {name}[{len(vals)}] = {{"]
    for i in range(0, len(vals), per_line):
        out.append("    " + ", ".join(vals[i:i + per_line]) + ",")
    out.append("};")
    return "\n".join(out)


def f32(x) -> str:
    s = repr(float(np.float32(x)))
    if "e" not in s and "." not in s and "inf" not in s and "nan" not in s:
        s += ".0"
    return s + "f"


def main(out_dir: Path) -> None:
    rng = np.random.default_rng(1234)
    W = mel_bank()
    first, count, weights = [], [], []
    for i in range(N_MELS):
        nz = np.nonzero(W[i])[0]
        f, l = int(nz[0]), int(nz[-1])
        first.append(f)
        count.append(l - f + 1)
        weights.extend(W[i, f:l + 1].tolist())
    mean = (-6.0 + rng.normal(0, 0.5, N_MELS)).astype(np.float32)
    inv_std = (0.25 + rng.uniform(0, 0.1, N_MELS)).astype(np.float32)
    in_scale = np.float32(4.0 / 127.0)
    out_scale = np.float32(0.08)

    parts = ['/* model_data.c - RANDOM TEST MODEL written by firmware/aligner/testdata/gen_test_model.py.',
             ' * Not trained: only for exercising the C aligner until firmware/model/export exists. */',
             '#include "model_data.h"', '']
    layer_inits = []
    cin = N_MELS
    for li, (k, dil, cout, relu) in enumerate(LAYERS):
        w = rng.integers(-60, 61, size=(cout, k, cin)).astype(np.int8)
        bias = rng.integers(-3000, 3001, size=cout).astype(np.int32)
        xstd = 45.0
        accstd = math.sqrt(k * cin) * 35.0 * xstd
        mults, shifts = [], []
        for c in range(cout):
            m_, s_ = quant_mult(40.0 / accstd * rng.uniform(0.7, 1.4))
            mults.append(m_)
            shifts.append(s_)
        parts += [c_array("int8_t", f"l{li}_w", (str(int(v)) for v in w.reshape(-1)), 32),
                  c_array("int32_t", f"l{li}_bias", (str(int(v)) for v in bias), 12),
                  c_array("int32_t", f"l{li}_mult", (str(v) for v in mults), 8),
                  c_array("int8_t", f"l{li}_shift", (str(v) for v in shifts), 24), ""]
        layer_inits.append(f"    {{ {k}, {dil}, {relu}, {cin}, {cout}, l{li}_w, l{li}_bias, "
                           f"l{li}_mult, l{li}_shift }},")
        cin = cout
    parts += ["static const al_layer_t layers[%d] = {" % len(LAYERS)] + layer_inits + ["};", ""]
    parts += [c_array("uint16_t", "mel_first", (str(v) for v in first)),
              c_array("uint16_t", "mel_count", (str(v) for v in count)),
              c_array("float", "mel_weights", (f32(v) for v in weights), 6),
              c_array("float", "feat_mean", (f32(v) for v in mean), 6),
              c_array("float", "feat_inv_std", (f32(v) for v in inv_std), 6)]
    prior = rng.dirichlet(np.ones(N_CLASSES) * 5.0)
    log_prior = np.log(prior).astype(np.float32)
    states = [2 if c == SIL else 3 for c in range(N_CLASSES)]
    self_lp = [math.log(0.9) if c == SIL else math.log(0.75) for c in range(N_CLASSES)]
    next_lp = [math.log(0.1) if c == SIL else math.log(0.25) for c in range(N_CLASSES)]
    parts += [c_array("float", "log_prior", (f32(v) for v in log_prior), 6),
              c_array("uint8_t", "hmm_states", (str(v) for v in states)),
              c_array("float", "hmm_self_logp", (f32(v) for v in self_lp), 6),
              c_array("float", "hmm_next_logp", (f32(v) for v in next_lp), 6), ""]
    parts += ["const al_model_t al_model = {",
              f"    {N_MELS}, {N_CLASSES}, {len(LAYERS)}, {SIL},",
              "    layers, mel_first, mel_count, mel_weights, feat_mean, feat_inv_std,",
              f"    {f32(in_scale)}, {f32(out_scale)},",
              f"    log_prior, {f32(0.3)},",
              "    hmm_states, hmm_self_logp, hmm_next_logp,",
              f"    {f32(0.0075)},",
              "    0.0f, 0.0f,   /* cmn_prior, cmn_frames: static normalisation */",
              "    0.0f, 0.0f,   /* cmn_gate, cmn_rise: no speech gate */",
              "    0, 0.0f, 0, 0,   /* cmn_level_frames, cmn_level_floor, cmn_level_b0, b1: "
              "no level floor */",
              "    0, 0.0f,   /* cmn_level_recheck, cmn_level_lift: none */", "};", ""]
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "model_data.c").write_text("\n".join(parts))
    (out_dir / "model_data.h").write_text(
        "/* model_data.h - random test model (gen_test_model.py) */\n"
        "#ifndef MODEL_DATA_H\n#define MODEL_DATA_H\n#include \"model_format.h\"\n#endif\n")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent)
