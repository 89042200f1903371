"""paired.py: the statistics checked against scipy's independent implementations (exact
binomial test, paired percentile bootstrap) and on made-up evaluations whose answer is known
by construction (a real 1 ms gain hidden under large clip-to-clip spread; pure noise)."""
import json

import numpy as np
import pytest
from scipy import stats

import _model_path  # noqa: F401
import paired


@pytest.mark.parametrize("better,worse", [(0, 0), (3, 0), (7, 3), (30, 12), (100, 120),
                                          (448, 444)])
def test_sign_test_is_the_exact_binomial_test(better, worse):
    ref = 1.0 if better + worse == 0 else stats.binomtest(better, better + worse, 0.5).pvalue
    assert paired.sign_test_p(better, worse) == pytest.approx(ref, rel=1e-9, abs=1e-15)


def _clips(rng, m):
    """Clip sizes 4-40 boundaries, clip MAEs spread 10-120 ms (as on real sets)."""
    n = rng.integers(4, 41, m).astype(float)
    mae = rng.uniform(10, 120, m)
    return n, mae


def test_bootstrap_interval_matches_scipy_paired_percentile_bootstrap():
    rng = np.random.default_rng(5)
    m = 60
    n, mae = _clips(rng, m)
    a = mae * n
    b = (mae + rng.normal(-2.0, 6.0, m)) * n      # per-clip gain noisy, pooled ratio statistic
    lo, hi = paired.paired_bootstrap(a, b, n, n, 20000, 1)

    def stat(x, y, k):
        return y.sum() / k.sum() - x.sum() / k.sum()
    ref = stats.bootstrap((a, b, n), stat, paired=True, vectorized=False, n_resamples=20000,
                          method="percentile", random_state=2).confidence_interval
    width = ref.high - ref.low
    assert abs(lo - ref.low) < 0.05 * width
    assert abs(hi - ref.high) < 0.05 * width


def _records(name, maes, ns, prefix="c"):
    out = []
    for k, (mae, n) in enumerate(zip(maes, ns)):
        h = int(n) // 2
        errs = [float(mae)] * (2 * h)                  # every boundary of the clip off by mae
        out.append({"set": name, "clip": f"{prefix}{k}", "group": f"spk{k % 7}",
                    "start_err": errs[:h], "end_err": errs[h:], "nf": 0})
    return out


def test_a_small_consistent_gain_under_large_spread_is_found():
    # each clip 1 ms better under B (+-0.3 ms), clips 10-120 ms apart: only a PAIRED comparison
    # sees it (an unpaired one's interval would be ~+-5 ms wide and contain 0)
    rng = np.random.default_rng(11)
    n, mae = _clips(rng, 300)
    ra = _records("set", mae, n)
    rb = _records("set", mae - 1.0 + rng.uniform(-0.3, 0.3, 300), n)
    [r] = paired.compare(paired.load_records(ra), paired.load_records(rb), resamples=4000)
    assert r.verdict.startswith("B better") and r.mae_move == -1
    assert r.ci[0] < -1.0 + 0.1 and r.ci[1] > -1.0 - 0.1 and r.ci[1] < -0.5
    assert (r.better, r.worse) == (300, 0)
    assert r.p_sign < 1e-80
    [w] = paired.compare(paired.load_records(rb), paired.load_records(ra), resamples=4000)
    assert w.verdict.startswith("B worse") and w.mae_move == 1


def test_pure_noise_is_called_noise():
    rng = np.random.default_rng(3)
    n, mae = _clips(rng, 300)
    ra = _records("set", mae, n)
    rb = _records("set", np.abs(mae + rng.normal(0.0, 8.0, 300)), n)
    [r] = paired.compare(paired.load_records(ra), paired.load_records(rb), resamples=4000)
    assert r.verdict == "noise"
    assert r.ci[0] < 0 < r.ci[1]
    assert r.p_sign > 0.05


def test_group_clusters_pool_a_speakers_clips():
    ra = _records("set", [10.0, 30.0, 20.0], [2, 2, 4])
    c = paired.clusters(paired.load_records(ra), [("set", "c0"), ("set", "c1"), ("set", "c2")],
                        "clip")
    assert [(x.abs_err, x.n) for x in c.values()] == [(20.0, 2), (60.0, 2), (80.0, 4)]
    for r, g in zip(ra, ["s1", "s1", "s2"]):
        r["group"] = g
    g = paired.clusters(paired.load_records(ra), [("set", "c0"), ("set", "c1"), ("set", "c2")],
                        "group")
    assert {k: (x.abs_err, x.n) for k, x in g.items()} == {"s1": (80.0, 4), "s2": (80.0, 4)}


def test_cli_on_files_and_fail_worse(tmp_path, capsys):
    rng = np.random.default_rng(7)
    n, mae = _clips(rng, 200)
    fa, fb = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    fa.write_text("".join(json.dumps(r) + "\n" for r in _records("s (x)", mae, n)))
    fb.write_text("".join(json.dumps(r) + "\n" for r in _records("s (x)", mae + 2.0, n)))
    assert paired.main([str(fa), str(fb), "--resamples", "500"]) == 0
    assert "| B worse (MAE" in capsys.readouterr().out
    assert paired.main([str(fa), str(fb), "--resamples", "500", "--fail-worse"]) == 1
    assert paired.main([str(fb), str(fa), "--resamples", "500", "--fail-worse"]) == 0
    assert paired.main([str(fa), str(tmp_path / "missing.jsonl")]) == 2


def test_evaluate_per_clip_record_is_the_boundary_errors():
    import evaluate
    ref = np.array([[0.10, 0.50], [-1.0, -1.0], [0.60, 0.90]])
    r = evaluate.clip_record("s", "c7", "spk", ref, [(0.12, 0.50), (0.5, 0.6), (None, None)])
    assert (r["set"], r["clip"], r["group"]) == ("s", "c7", "spk")
    assert r["start_err"] == pytest.approx([20.0]) and r["end_err"] == pytest.approx([0.0])
    assert r["nf"] == 1


def test_share_within_50_ms_worse_under_equal_mae_is_worse():
    # B moves every clip's boundaries from 45/45 ms to 30/60 ms: the same MAE, but half of
    # them now outside 50 ms -> worse beyond noise although the MAE does not move
    rng = np.random.default_rng(2)
    ra, rb = [], []
    for k in range(120):
        h = int(rng.integers(2, 10))
        ra.append({"set": "s", "clip": f"c{k}", "group": "g", "start_err": [45.0] * h,
                   "end_err": [45.0] * h, "nf": 0})
        rb.append({"set": "s", "clip": f"c{k}", "group": "g", "start_err": [30.0] * h,
                   "end_err": [60.0] * h, "nf": 0})
    [r] = paired.compare(paired.load_records(ra), paired.load_records(rb), resamples=2000)
    assert r.mae_move == 0 and r.w50_move == -1
    assert r.verdict == "B worse (<=50 ms)"
    assert r.w50_a == 1.0 and r.w50_b == 0.5
