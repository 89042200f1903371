"""Frequency masking of training features (firmware/model/dataset.freq_masks, train.py
--freq-mask): SpecAugment's frequency masks as Park et al. 2019 ("SpecAugment", section 2) define
them: per utterance, m_F bands of f ~ U[0, F] consecutive channels set to the mean (0 for
normalised features), nothing else touched."""
from __future__ import annotations

import numpy as np

import _model_path  # noqa: F401
import dataset


def masked_channels(x: np.ndarray) -> list[list[int]]:
    """Per utterance, the channels whose every frame is 0."""
    return [np.flatnonzero((u == 0).all(axis=1)).tolist() for u in x]


def test_masks_are_bands_of_at_most_f_channels_set_to_zero():
    rng = np.random.default_rng(0)
    x = rng.normal(3.0, 1.0, size=(200, 40, 30)).astype(np.float32)   # never 0 by chance
    orig = x.copy()
    dataset.freq_masks(x, 8, 2, np.random.default_rng(1))
    widths = []
    for j, ch in enumerate(masked_channels(x)):
        # at most two bands (runs of consecutive channels), together at most 2 x 8 channels
        runs = np.split(np.array(ch, int), np.flatnonzero(np.diff(ch) != 1) + 1) if ch else []
        assert len(runs) <= 2 and len(ch) <= 16, (j, ch)
        widths += [len(r) for r in runs]
        keep = np.setdiff1d(np.arange(40), ch)
        assert np.array_equal(x[j][keep], orig[j][keep])     # the other channels untouched
        assert np.all(x[j][ch] == 0.0)                       # a masked channel on every frame
    # f ~ U[0, 8]: over 400 draws every width 1..8 occurs, and some utterances keep everything
    assert set(widths) >= set(range(1, 9)) and max(widths) <= 16
    assert sum(not ch for ch in masked_channels(x)) >= 1


def test_no_mask_with_width_zero_and_the_same_masks_for_the_same_seed():
    rng = np.random.default_rng(2)
    x = rng.normal(3.0, 1.0, size=(5, 40, 10)).astype(np.float32)
    y = x.copy()
    dataset.freq_masks(y, 0, 2, np.random.default_rng(3))
    assert np.array_equal(x, y)
    a, b = x.copy(), x.copy()
    dataset.freq_masks(a, 6, 2, np.random.default_rng(4))
    dataset.freq_masks(b, 6, 2, np.random.default_rng(4))
    assert np.array_equal(a, b) and not np.array_equal(a, x)
