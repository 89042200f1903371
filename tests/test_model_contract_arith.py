"""Contract arithmetic on hand-made tiny layers (firmware/aligner/CONTRACT.md "Network")."""
import numpy as np
import pytest

import _model_path  # noqa: F401
import features as F
import quantize as Q
import reference as R


def layer(w, bias, mult, shift, k, dil=1, relu=False):
    w = np.asarray(w, np.int8)
    cout, _, cin = w.shape
    return R.Layer(k, dil, relu, cin, cout, w, np.asarray(bias, np.int32),
                   np.asarray(mult, np.int32), np.asarray(shift, np.int8))


def test_requant_rounds_half_up_arithmetic_shift():
    mult = np.array([1 << 30], np.int32)      # M = 0.5 with shift 31
    shift = np.array([31], np.int8)
    acc = np.array([[3], [-3], [1], [-1], [5], [-5], [0]], np.int64)
    got = R.requant(acc, mult, shift, relu=False)[:, 0].tolist()
    # v = floor(acc * 0.5 + 0.5): 1.5 -> 2, -1.5 -> -1, 0.5 -> 1, -0.5 -> 0, 2.5 -> 3, -2.5 -> -2
    assert got == [2, -1, 1, 0, 3, -2, 0]


def test_requant_clamp_and_relu():
    mult = np.array([1 << 30, 1 << 30], np.int32)
    shift = np.array([30, 30], np.int8)       # M = 1
    acc = np.array([[1000, -1000], [-5, 7]], np.int64)
    assert R.requant(acc, mult, shift, relu=False).tolist() == [[127, -128], [-5, 7]]
    assert R.requant(acc, mult, shift, relu=True).tolist() == [[127, 0], [0, 7]]


def test_requant_uses_int64_product():
    # acc * mult overflows int32 but not int64
    mult = np.array([(1 << 31) - 1], np.int32)
    shift = np.array([40], np.int8)
    acc = np.array([[200_000_000]], np.int64)
    expect = (200_000_000 * ((1 << 31) - 1) + (1 << 39)) >> 40
    assert expect > 127
    assert R.requant(acc, mult, shift, relu=False)[0, 0] == 127
    acc = np.array([[50_000]], np.int64)   # acc * mult ~ 1e14 does not fit in 32 bits
    expect = (50_000 * ((1 << 31) - 1) + (1 << 39)) >> 40
    assert 0 < expect < 127
    assert R.requant(acc, mult, shift, relu=False)[0, 0] == expect


def test_conv_indexing_dilation_and_zero_padding():
    # K=3, dil=2, cin=1, cout=1, weights [1, 10, 100]: out[t] = x[t-2] + 10 x[t] + 100 x[t+2]
    lay = layer([[[1], [10], [100]]], [0], [1 << 30], [30], k=3, dil=2)
    x = np.array([[1], [0], [0], [0], [0]], np.int8)  # impulse at t=0
    acc = R.layer_accumulators(x, lay)[:, 0].tolist()
    assert acc == [10, 0, 1, 0, 0]
    x = np.array([[0], [0], [0], [0], [1]], np.int8)  # impulse at last frame
    assert R.layer_accumulators(x, lay)[:, 0].tolist() == [0, 0, 100, 0, 10]


def test_bias_and_multichannel_against_loops():
    rng = np.random.default_rng(0)
    K, dil, cin, cout, T = 5, 3, 4, 3, 17
    w = rng.integers(-127, 128, (cout, K, cin)).astype(np.int8)
    lay = layer(w, rng.integers(-5000, 5000, cout), rng.integers(1 << 30, 1 << 31, cout),
                rng.integers(12, 20, cout), k=K, dil=dil, relu=True)
    x = rng.integers(-128, 128, (T, cin)).astype(np.int8)
    got = R.layer_forward(x, lay)
    for t in range(T):
        for c in range(cout):
            acc = int(lay.bias[c])
            for k in range(K):
                tt = t + (k - (K - 1) // 2) * dil
                if 0 <= tt < T:
                    acc += sum(int(lay.w[c, k, i]) * int(x[tt, i]) for i in range(cin))
            sh = int(lay.shift[c])
            v = (acc * int(lay.mult[c]) + (1 << (sh - 1))) >> sh
            v = min(max(max(v, 0), -128), 127)
            assert got[t, c] == v


@pytest.mark.parametrize("m", [1.0, 0.5, 0.3141, 1e-4, 3.7, 0.999999999])
def test_mult_shift_range_and_value(m):
    mult, shift = Q.mult_shift(m)
    assert (1 << 30) <= mult < (1 << 31) and 1 <= shift <= 62
    assert abs(mult / 2.0 ** shift - m) <= m * 2.0 ** -30


def test_input_quantisation_rounds_half_away_from_zero_and_clamps():
    g = np.array([[0.5, -0.5, 1.49, -1.5, 2.5, 300.0, -300.0, 0.0]], np.float32)
    assert F.quantise_input(g, 1.0).tolist() == [[1, -1, 1, -2, 3, 127, -127, 0]]
