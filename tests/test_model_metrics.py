"""metrics.py: an error of exactly T ms is within T ms (and matched at 20 ms for F1), whatever
float rounding does to |ref - hyp| (the oracle is the arithmetic of the 10 ms grid)."""
import numpy as np

import _model_path  # noqa: F401
import metrics


def test_exact_20_and_50_ms_errors_are_within_and_matched():
    # |1.25 - 1.23| * 1000 = 20.000000000000018 and |0.60 - 0.55| * 1000 = 50.00000000000004
    # in floats: both must count as within 20 / 50 ms
    st = metrics.BoundaryStats()
    st.add(np.array([[1.23, 0.55]]), [(1.25, 0.60)])
    s = st.summary()
    assert s["within_20ms"] == 0.5 and s["within_50ms"] == 1.0
    assert st.matched == 1                       # the 20 ms start matches, the 50 ms end does not
    assert s["mae_ms"] == 35.0


def test_just_over_the_threshold_is_not_within():
    st = metrics.BoundaryStats()
    st.add(np.array([[1.000, 2.000]]), [(1.0201, 2.0501)])
    s = st.summary()
    assert s["within_20ms"] == 0.0 and s["within_50ms"] == 0.5 and st.matched == 0


def test_match_count_ties_at_tolerance():
    assert metrics.match_count([1.23], [1.25], 0.020) == 1
    assert metrics.match_count([1.23], [1.2501], 0.020) == 0
