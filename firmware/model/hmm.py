"""HMM topology parameters fitted on training phone durations.

Per class c: n_states[c] left-to-right states (1..3, so that ~95% of the training instances are
at least n_states frames long), and per-state ln P(stay) / ln P(advance) from the mean duration
D_c (frames): each state lasts D_c / n frames on average (geometric), so P(advance) = n / D_c.
Silence (class 0) uses the durations of runs of silence frames.
"""
from __future__ import annotations

import numpy as np

MAX_STATES = 3


def durations_by_class(labels_list: list[np.ndarray], segs: list[np.ndarray], n_classes: int,
                       frame_s: float = 0.010) -> list[np.ndarray]:
    d: list[list[float]] = [[] for _ in range(n_classes)]
    for seg in segs:
        for c, s, e in seg:
            d[int(c)].append((e - s) / frame_s)
    for lab in labels_list:  # silence runs from frame labels
        is_sil = np.concatenate([[0], (lab == 0).astype(np.int8), [0]])
        edges = np.diff(is_sil)
        starts, ends = np.nonzero(edges == 1)[0], np.nonzero(edges == -1)[0]
        d[0] += list((ends - starts).astype(float))
    return [np.array(x, np.float64) for x in d]


def fit(labels_list: list[np.ndarray], segs: list[np.ndarray], n_classes: int
        ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Returns (n_states uint8, self_logp float32, next_logp float32), each [n_classes]."""
    durs = durations_by_class(labels_list, segs, n_classes)
    n_states = np.ones(n_classes, np.uint8)
    self_lp = np.zeros(n_classes, np.float32)
    next_lp = np.zeros(n_classes, np.float32)
    for c in range(n_classes):
        d = durs[c]
        if len(d) == 0:
            d = np.array([8.0])
        n = 1 if c == 0 else int(np.clip(np.floor(np.percentile(d, 5)), 1, MAX_STATES))
        mean = max(float(d.mean()), n + 0.5)
        p_next = float(np.clip(n / mean, 0.02, 0.95))
        n_states[c] = n
        self_lp[c] = np.log(1.0 - p_next)
        next_lp[c] = np.log(p_next)
    return n_states, self_lp, next_lp
