"""Word-boundary metrics, scored the way forced aligners are compared (docs/alignment-results.md
says which): mean absolute error of word starts and ends, the share of boundaries within 20 and
50 ms, boundary F1 at 20 ms with one-to-one matching, and the words not placed."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

THRESHOLDS_MS = (10, 20, 25, 50, 100)
# Boundary errors are rounded to 1e-6 ms before any comparison with a threshold: reference and
# aligner times often lie on the same 10 ms grid, and |1.25 - 1.23| * 1000 is 20.000000000000018
# in floats; an error of exactly 20 ms is within 20 ms (float noise must not decide).
ERR_DECIMALS_MS = 6


def boundary_error_ms(ref_s: float, hyp_s: float) -> float:
    """|ref - hyp| in ms, rounded to 1e-6 ms."""
    return round(abs(float(ref_s) - float(hyp_s)) * 1000.0, ERR_DECIMALS_MS)


@dataclass
class BoundaryStats:
    start_err: list[float] = field(default_factory=list)   # ms, |ref - hyp|
    end_err: list[float] = field(default_factory=list)
    matched: int = 0
    n_ref: int = 0
    n_hyp: int = 0
    nf_words: int = 0          # words answered NF although they have a reference time
    nf_expected: int = 0       # words without reference time answered NF (correct)
    n_words: int = 0

    def add(self, ref: np.ndarray, hyp: list[tuple[float | None, float | None]]) -> None:
        """ref [W,2] seconds (-1 = no reference), hyp list of (start, end) or (None, None)."""
        rb, hb = [], []
        for (rs, re_), (hs, he) in zip(ref, hyp):
            self.n_words += 1
            if rs < 0:
                if hs is None:
                    self.nf_expected += 1
                else:
                    hb += [hs, he]
                continue
            rb += [float(rs), float(re_)]
            if hs is None:
                self.nf_words += 1
                continue
            hb += [hs, he]
            self.start_err.append(boundary_error_ms(rs, hs))
            self.end_err.append(boundary_error_ms(re_, he))
        self.n_ref += len(rb)
        self.n_hyp += len(hb)
        self.matched += match_count(rb, hb, 0.020)

    def summary(self) -> dict:
        s, e = np.array(self.start_err), np.array(self.end_err)
        allb = np.concatenate([s, e]) if len(s) else np.zeros(0)
        p = self.matched / max(self.n_hyp, 1)
        r = self.matched / max(self.n_ref, 1)
        out = {"words": self.n_words, "mae_start_ms": float(s.mean()) if len(s) else float("nan"),
               "mae_end_ms": float(e.mean()) if len(e) else float("nan"),
               "mae_ms": float(allb.mean()) if len(allb) else float("nan"),
               "median_ms": float(np.median(allb)) if len(allb) else float("nan"),
               "f1_20ms": 2 * p * r / max(p + r, 1e-12), "precision_20ms": p, "recall_20ms": r,
               "nf_words": self.nf_words, "nf_expected": self.nf_expected}
        for t in THRESHOLDS_MS:
            out[f"within_{t}ms"] = float(np.mean(allb <= t)) if len(allb) else float("nan")
        return out


def match_count(ref: list[float], hyp: list[float], tol: float) -> int:
    """One-to-one matching of boundary times within tol (greedy by increasing distance)."""
    if not ref or not hyp:
        return 0
    r = np.array(ref)[:, None]
    h = np.array(hyp)[None, :]
    d = np.round(np.abs(r - h), ERR_DECIMALS_MS + 3)       # seconds, rounded to 1e-6 ms
    pairs = np.argwhere(d <= round(tol, ERR_DECIMALS_MS + 3))
    if len(pairs) == 0:
        return 0
    order = np.argsort(d[pairs[:, 0], pairs[:, 1]], kind="stable")
    used_r, used_h = set(), set()
    n = 0
    for i, j in pairs[order]:
        if i not in used_r and j not in used_h:
            used_r.add(i)
            used_h.add(j)
            n += 1
    return n


def format_table(rows: list[tuple[str, dict]]) -> str:
    head = ("| set | words | MAE ms | start MAE | end MAE | median | <=10 | <=20 | <=25 | <=50 "
            "| <=100 | F1@20ms | NF |")
    lines = [head, "|" + "---|" * 13]
    for name, s in rows:
        lines.append(
            f"| {name} | {s['words']} | {s['mae_ms']:.1f} | {s['mae_start_ms']:.1f} | "
            f"{s['mae_end_ms']:.1f} | {s['median_ms']:.1f} | "
            + " | ".join(f"{100 * s[f'within_{t}ms']:.1f}%" for t in THRESHOLDS_MS)
            + f" | {s['f1_20ms']:.3f} | {s['nf_words']} |")
    return "\n".join(lines)
