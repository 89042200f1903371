"""Average the weights of fine-tuned checkpoints ("model soup", Wortsman et al. 2022; fairseq's
scripts/average_checkpoints.py): runs fine-tuned from the same export with different seeds sit in
one basin, and their mean is often better than either run. Writes a checkpoint export.py takes.

Everything the runs must share (architecture, phone set, feature normalisation, HMM topology,
running-mean settings) is checked, not averaged. Weights, biases, activation scales, HMM transition
log-probabilities, prior weight and frame offset are averaged; the phone prior is the log of the
mean prior probability."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

try:
    from . import features as F
except ImportError:  # pragma: no cover
    import features as F  # type: ignore[no-redef]

SHARED = ("specs", "phones", "feat_mean", "feat_inv_std", "hmm_states")
MEAN = ("act_scale", "hmm_self_logp", "hmm_next_logp", "prior_weight", "frame_offset_s")


class AverageError(ValueError):
    """The checkpoints cannot be averaged (they differ in something they must share)."""


def _same(a, b) -> bool:
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return bool(np.array_equal(np.asarray(a), np.asarray(b)))


def _shared(ck: dict) -> dict:
    """What fine-tunes of one export must share: SHARED and the running mean's ``cmn_*``."""
    return {**{key: ck[key] for key in SHARED}, **F.RunningMean.from_model(ck).to_model()}


def average(cks: list[dict]) -> dict:
    """The mean of checkpoints (train.checkpoint's layout) that share what ``_shared`` holds."""
    if len(cks) < 2:
        raise AverageError("need at least two checkpoints")
    first = cks[0]
    must = _shared(first)
    for i, ck in enumerate(cks[1:], 2):
        other = _shared(ck)
        for key, value in must.items():
            if not _same(value, other[key]):
                raise AverageError(f"checkpoint {i} differs from checkpoint 1 in {key!r}")
    out = dict(first)
    out["weights"] = [tuple(np.mean([ck["weights"][layer][j] for ck in cks], axis=0)
                            for j in range(2))
                      for layer in range(len(first["weights"]))]
    for key in MEAN:
        m = np.mean([np.asarray(ck[key], np.float64) for ck in cks], axis=0)
        out[key] = m.tolist() if isinstance(first[key], list) else (
            type(first[key])(m) if np.ndim(m) == 0 else m.astype(np.asarray(first[key]).dtype))
    prior = np.mean([np.exp(np.asarray(ck["log_prior"], np.float64)) for ck in cks], axis=0)
    out["log_prior"] = np.log(prior).astype(np.asarray(first["log_prior"]).dtype)
    out["info"] = {"averaged": [ck.get("info", {}) for ck in cks]}
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description="Average fine-tuned checkpoints of one architecture (weight averaging); "
        "the result is a checkpoint for export.py.")
    ap.add_argument("ckpts", nargs="+", type=Path, help="train.py ckpt.pt files (two or more)")
    ap.add_argument("--out", type=Path, required=True, help="output ckpt.pt")
    args = ap.parse_args(argv)
    try:
        for p in args.ckpts:
            if not p.is_file():
                raise AverageError(f"{p}: no such file")
        import torch  # training-only dependency: average() itself needs only NumPy
        cks = [torch.load(p, map_location="cpu", weights_only=False) for p in args.ckpts]
        ck = average(cks)
    except AverageError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_name(args.out.name + ".tmp")
    torch.save(ck, tmp)
    tmp.replace(args.out)
    print(f"averaged {len(cks)} checkpoints -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
