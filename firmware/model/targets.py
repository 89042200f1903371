"""The issue-12 targets in one table: accuracy (firmware/model/evaluate.py --json) beside the
firmware's cost on the simulated H743 (benchmarks/aligner_rtf.py --json).

Both commands print this table; each reads the other's JSON when given one (``evaluate.py
--firmware-json FILE``, ``aligner_rtf.py --accuracy FILE ...``), so a single table shows every
target, and a figure that was not measured says which command measures it.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Target:
    name: str
    limit: float
    higher_is_better: bool = False
    fmt: str = "{:.1f}"

    def met(self, value: float) -> bool:
        return value >= self.limit if self.higher_is_better else value <= self.limit


# issue 12 "Targets"
REAL_MAE = Target("real speech, unseen speakers: word MAE (ms)", 30.0)
REAL_W50 = Target("real speech: boundaries within 50 ms (%)", 85.0, True)
REAL_NF = Target("real speech: words not placed", 0, fmt="{:.0f}")
SYN_MAE = Target("unseen synthetic voices: word MAE (ms)", 20.0)
SYN_W50 = Target("unseen synthetic voices: within 50 ms (%)", 90.0, True)
SYN_NF = Target("unseen synthetic voices: words not placed", 0, fmt="{:.0f}")
LONG_RATIO = Target("2 and 5 min clips: MAE / short-clip MAE", 1.2, fmt="{:.2f}")
LONG_NF = Target("2 and 5 min clips: words not placed", 0, fmt="{:.0f}")
RTF = Target("H743 @ 400 MHz: real-time factor", 0.05, fmt="{:.4f}")
RAM = Target("H743: peak RAM at every length (B)", 256 * 1024, fmt="{:,.0f}")
FLASH = Target("H743: flash (B)", 1024 * 1024, fmt="{:,.0f}")
FW_NF = Target("H743: words not placed (benchmark clips)", 0, fmt="{:.0f}")

ACCURACY_CMD = "python firmware/model/evaluate.py [--manifest ...] --json FILE"
FIRMWARE_CMD = "python benchmarks/aligner_rtf.py --json FILE"


def accuracy_values(docs: list[dict]) -> dict[Target, tuple[float, str]]:
    """Worst value per accuracy target over evaluate.py --json documents ({"kind", "rows"})."""
    out: dict[Target, tuple[float, str]] = {}

    def worse(t: Target, v: float, where: str) -> None:
        if t not in out or (v < out[t][0] if t.higher_is_better else v > out[t][0]):
            out[t] = (v, where)

    for d in docs:
        kind = d.get("kind", "real")
        short = None
        # the espeak-ng split's rows are "all" and subsets of it (clean, augmented, variants):
        # only "all" counts there; synthetic manifests (evaluate.py --manifest --synthetic)
        # are separate voices, each row counts
        only_all = kind == "synthetic" and any(name == "all" for name, _ in d["rows"])
        for name, s in d["rows"]:
            if only_all and name != "all":
                continue
            if "clips >=" in name:
                if short:
                    worse(LONG_RATIO, s["mae_ms"] / short, name)
                worse(LONG_NF, s["nf_words"], name)
                continue
            short = s["mae_ms"]
            mae, w50, nf = (REAL_MAE, REAL_W50, REAL_NF) if kind == "real" else \
                (SYN_MAE, SYN_W50, SYN_NF)
            worse(mae, s["mae_ms"], name)
            worse(w50, 100 * s["within_50ms"], name)
            worse(nf, s["nf_words"], name)
    return out


def firmware_values(doc: dict) -> dict[Target, tuple[float, str]]:
    """Worst value per firmware target over aligner_rtf.py --json clips."""
    out: dict[Target, tuple[float, str]] = {}
    clips = doc.get("clips", [])
    for t, key in ((RTF, "rtf"), (RAM, "peak_ram"), (FLASH, "flash"), (FW_NF, "not_found")):
        vals = [(c.get(key) or 0, c.get("tag", "")) for c in clips]
        if vals:
            v, tag = max(vals)
            out[t] = (float(v), f"clip {tag}")
    return out


ORDER = [REAL_MAE, REAL_W50, REAL_NF, SYN_MAE, SYN_W50, SYN_NF, LONG_RATIO, LONG_NF,
         RTF, RAM, FLASH, FW_NF]


def format_table(values: dict[Target, tuple[float, str]]) -> str:
    lines = [f"{'issue-12 target':<46} {'limit':>11} {'measured (worst)':>17}  met   where",
             "-" * 100]
    for t in ORDER:
        lim = ("\u2265 " if t.higher_is_better else "\u2264 ") + t.fmt.format(t.limit)
        if t in values:
            v, where = values[t]
            lines.append(f"{t.name:<46} {lim:>11} {t.fmt.format(v):>17}  "
                         f"{'yes' if t.met(v) else 'NO ':<4}  {where}")
        else:
            cmd = FIRMWARE_CMD if t in (RTF, RAM, FLASH, FW_NF) else ACCURACY_CMD
            lines.append(f"{t.name:<46} {lim:>11} {'-':>17}  -     not measured here: {cmd}")
    return "\n".join(lines)


def load_json(paths: list[Path] | None) -> list[dict]:
    return [json.loads(Path(p).read_text()) for p in (paths or [])]
