"""Is model B better than model A, or is the difference noise? A paired comparison of two
evaluations of the same clips (`evaluate.py --per-utt FILE`, one JSON line per clip).

Word-boundary MAE is a ratio over all boundaries of a set, and clips (or speakers) differ far
more from each other than two models differ on one clip, so the two models are compared clip by
clip on the SAME clips:
- paired bootstrap: resample clusters (clips, or with --by group the speakers) with
  replacement, the same draw for both models, and recompute each model's pooled MAE (and share
  within 50 ms); the 2.5 / 97.5 percentiles of B - A are the 95 % interval;
- sign test: clusters where B's MAE is lower vs higher than A's (ties dropped), exact two-sided
  binomial p.
Verdict per set: "B better" when the whole MAE interval is below 0 or the whole within-50-ms
interval above 0 and the other measure does not move the other way beyond noise; "B worse" the
same the other way round; "mixed" when they move against each other; otherwise "noise" (the data
cannot tell the two apart). The sign test is reported beside it, not part of the verdict (many
clips a little worse can hide under one clip much better: it says which).

    python paired.py A.pu.jsonl B.pu.jsonl [--by clip|group] [--resamples 10000] [--fail-worse]
"""
from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

WITHIN_MS = 50.0


@dataclass
class Cluster:
    """Summed over one cluster's boundaries, for one model."""
    abs_err: float = 0.0        # sum of |ref - hyp| (ms)
    n: int = 0                  # boundaries scored
    within: int = 0             # boundaries within WITHIN_MS
    nf: int = 0                 # words not placed


@dataclass
class SetComparison:
    name: str
    clusters: int
    mae_a: float
    mae_b: float
    diff: float                 # MAE B - A (ms); < 0: B better
    ci: tuple[float, float]     # 95 % paired-bootstrap interval of diff
    w50_a: float                # share within 50 ms (0-1)
    w50_b: float
    w50_ci: tuple[float, float]  # 95 % interval of w50_b - w50_a
    better: int                 # clusters with a lower MAE under B
    worse: int
    p_sign: float               # exact two-sided sign-test p
    nf_a: int
    nf_b: int

    @property
    def mae_move(self) -> int:
        """-1: B's MAE lower beyond noise, +1: higher beyond noise, 0: noise."""
        return -1 if self.ci[1] < 0 else (1 if self.ci[0] > 0 else 0)

    @property
    def w50_move(self) -> int:
        """+1: B's share within 50 ms higher beyond noise, -1: lower, 0: noise."""
        return 1 if self.w50_ci[0] > 0 else (-1 if self.w50_ci[1] < 0 else 0)

    @property
    def verdict(self) -> str:
        """B better / B worse when one measure moves beyond noise and the other does not move
        against it; mixed when they move against each other; else noise."""
        better = [n for n, m in (("MAE", -self.mae_move), ("<=50 ms", self.w50_move)) if m > 0]
        worse = [n for n, m in (("MAE", -self.mae_move), ("<=50 ms", self.w50_move)) if m < 0]
        if better and worse:
            return f"mixed ({' '.join(better)} better, {' '.join(worse)} worse)"
        if worse:
            return f"B worse ({', '.join(worse)})"
        if better:
            return f"B better ({', '.join(better)})"
        return "noise"


def load(path: Path) -> dict[tuple[str, str], dict]:
    """(set, clip) -> record of an `evaluate.py --per-utt` file."""
    return load_records(json.loads(line) for line in path.read_text().splitlines()
                        if line.strip())


def load_records(recs: Iterable[dict]) -> dict[tuple[str, str], dict]:
    return {(r["set"], r["clip"]): r for r in recs}


def clusters(recs: dict[tuple[str, str], dict], keys: list[tuple[str, str]], by: str
             ) -> dict[str, Cluster]:
    out: dict[str, Cluster] = {}
    for k in keys:
        r = recs[k]
        c = out.setdefault(r["clip"] if by == "clip" else r["group"], Cluster())
        errs = list(r["start_err"]) + list(r["end_err"])
        c.abs_err += float(sum(errs))
        c.n += len(errs)
        c.within += sum(1 for e in errs if round(e, 6) <= WITHIN_MS)   # as metrics.py
        c.nf += int(r["nf"])
    return out


def sign_test_p(better: int, worse: int) -> float:
    """Exact two-sided binomial test of better vs worse under p = 1/2 (ties already dropped):
    the summed probability of every outcome no more likely than the one seen."""
    n = better + worse
    if n == 0:
        return 1.0
    probs = [math.comb(n, k) / 2.0 ** n for k in range(n + 1)]
    seen = probs[better]
    return min(1.0, sum(p for p in probs if p <= seen * (1 + 1e-9)))


def paired_bootstrap(a: np.ndarray, b: np.ndarray, n_a: np.ndarray, n_b: np.ndarray,
                     resamples: int, seed: int) -> tuple[float, float]:
    """95 % interval of sum(b)/sum(n_b) - sum(a)/sum(n_a) when clusters are drawn with
    replacement, the same draw for both models (a, b: per-cluster sums; n_*: their counts)."""
    rng = np.random.default_rng(seed)
    m = len(a)
    diffs = np.empty(resamples)
    step = max(1, 2_000_000 // max(m, 1))            # bound the weight matrix's memory
    for lo in range(0, resamples, step):
        k = min(step, resamples - lo)
        w = rng.multinomial(m, np.full(m, 1.0 / m), size=k).astype(np.float64)
        diffs[lo:lo + k] = (w @ b) / np.maximum(w @ n_b, 1) - (w @ a) / np.maximum(w @ n_a, 1)
    lo_q, hi_q = np.percentile(diffs, [2.5, 97.5])
    return float(lo_q), float(hi_q)


def compare_set(name: str, ca: dict[str, Cluster], cb: dict[str, Cluster], resamples: int,
                seed: int) -> SetComparison:
    ids = sorted(ca)
    a = np.array([ca[i].abs_err for i in ids])
    b = np.array([cb[i].abs_err for i in ids])
    na = np.array([ca[i].n for i in ids], dtype=np.float64)
    nb = np.array([cb[i].n for i in ids], dtype=np.float64)
    wa = np.array([ca[i].within for i in ids], dtype=np.float64)
    wb = np.array([cb[i].within for i in ids], dtype=np.float64)
    mae_a, mae_b = a.sum() / max(na.sum(), 1), b.sum() / max(nb.sum(), 1)
    ci = paired_bootstrap(a, b, na, nb, resamples, seed)
    w_ci = paired_bootstrap(wa, wb, na, nb, resamples, seed)
    per_a, per_b = a / np.maximum(na, 1), b / np.maximum(nb, 1)
    better = int(np.sum(per_b < per_a - 1e-9))
    worse = int(np.sum(per_b > per_a + 1e-9))
    return SetComparison(name, len(ids), float(mae_a), float(mae_b), float(mae_b - mae_a), ci,
                         float(wa.sum() / max(na.sum(), 1)), float(wb.sum() / max(nb.sum(), 1)),
                         w_ci, better, worse, sign_test_p(better, worse),
                         sum(ca[i].nf for i in ids), sum(cb[i].nf for i in ids))


def compare(recs_a: dict[tuple[str, str], dict], recs_b: dict[tuple[str, str], dict],
            by: str = "clip", resamples: int = 10000, seed: int = 0) -> list[SetComparison]:
    """One SetComparison per set present in both files, over the clips both scored."""
    out = []
    for name in sorted({s for s, _ in recs_a} & {s for s, _ in recs_b}):
        keys = sorted(k for k in recs_a if k[0] == name and k in recs_b)
        out.append(compare_set(name, clusters(recs_a, keys, by), clusters(recs_b, keys, by),
                               resamples, seed))
    return out


def format_table(rows: list[SetComparison], by: str) -> str:
    lines = [f"| set | {by}s | MAE A | MAE B | B - A (95 % CI) | <=50 ms A | <=50 ms B | "
             "B - A pts (95 % CI) | B lower / higher (sign p) | NF A / B | verdict |",
             "|" + "---|" * 11]
    for r in rows:
        lines.append(
            f"| {r.name} | {r.clusters} | {r.mae_a:.2f} | {r.mae_b:.2f} | {r.diff:+.2f} "
            f"({r.ci[0]:+.2f} .. {r.ci[1]:+.2f}) | {100 * r.w50_a:.1f}% | {100 * r.w50_b:.1f}% | "
            f"{100 * (r.w50_b - r.w50_a):+.1f} ({100 * r.w50_ci[0]:+.1f} .. "
            f"{100 * r.w50_ci[1]:+.1f}) | {r.better} / {r.worse} (p {r.p_sign:.3g}) | "
            f"{r.nf_a} / {r.nf_b} | {r.verdict} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description="Paired comparison of two evaluations of the same clips (evaluate.py "
        "--per-utt): per set, MAE and within-50-ms share of model A and B, a 95 % paired "
        "bootstrap interval of B - A, a sign test over clips (or speakers), and a verdict "
        "(B better / B worse / noise).")
    ap.add_argument("a", type=Path, help="per-clip file of model A (the baseline)")
    ap.add_argument("b", type=Path, help="per-clip file of model B (the candidate)")
    ap.add_argument("--by", choices=["clip", "group"], default="clip",
                    help="resampling unit: clip (default) or group (the clip's speaker(s); "
                    "use when a set has many speakers, e.g. not speechocean762's 8)")
    ap.add_argument("--resamples", type=int, default=10000, help="bootstrap draws (10000)")
    ap.add_argument("--seed", type=int, default=0, help="bootstrap seed (results repeat)")
    ap.add_argument("--json", type=Path, help="also write the comparison here")
    ap.add_argument("--fail-worse", action="store_true",
                    help="exit 1 when B is worse than A beyond noise on any set (MAE or "
                    "within 50 ms; a mixed verdict counts)")
    args = ap.parse_args(argv)
    try:
        ra, rb = load(args.a), load(args.b)
    except (OSError, ValueError, KeyError) as exc:
        print(f"error: cannot read the per-clip files: {exc}", file=sys.stderr)
        return 2
    if args.resamples < 100:
        print("error: --resamples must be at least 100", file=sys.stderr)
        return 2
    rows = compare(ra, rb, args.by, args.resamples, args.seed)
    if not rows:
        print("error: the two files share no set", file=sys.stderr)
        return 2
    print(f"A = {args.a}\nB = {args.b}\n")
    print(format_table(rows, args.by))
    if args.json:
        args.json.write_text(json.dumps([dict(vars(r), verdict=r.verdict) for r in rows],
                                        indent=1))
    return 1 if args.fail_worse and any("worse" in r.verdict for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
