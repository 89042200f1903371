"""`simulate diff A.json B.json`: what changed between two runs or profiles, for code review.

Compares the summaries (cycles, simulated seconds, peak RAM overall and per region, energy)
and, when both reports carry a profile (`simulate profile --json`), the cycles of every
function. Exit code 0; 2 for unreadable input.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def load_report(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except OSError as exc:
        raise ValueError(f"cannot read {path}: {exc.strerror or exc}") from exc
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path} is not JSON ({exc.msg} at line {exc.lineno})") from exc
    if not isinstance(data, dict) or "summary" not in data:
        raise ValueError(f"{path} is not a simulate report (no 'summary')")
    return data


def _delta(a: float | None, b: float | None) -> tuple[float | None, float | None]:
    if a is None or b is None:
        return None, None
    d = b - a
    return d, (100.0 * d / a) if a else None


def compare(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """Structured differences between report ``a`` (before) and ``b`` (after)."""
    rows = []
    for key in ("cycles", "instructions", "simulated_s", "peak_ram_bytes", "energy_j"):
        va, vb = a["summary"].get(key), b["summary"].get(key)
        d, pct = _delta(va, vb)
        rows.append({"metric": key, "a": va, "b": vb, "delta": d, "percent": pct})
    regions = []
    ra = a.get("memory", {}).get("regions", {})
    rb = b.get("memory", {}).get("regions", {})
    for name in sorted(set(ra) | set(rb)):
        va = ra.get(name, {}).get("peak_bytes", 0)
        vb = rb.get(name, {}).get("peak_bytes", 0)
        if va != vb:
            d, pct = _delta(va, vb)
            regions.append({"region": name, "a": va, "b": vb, "delta": d, "percent": pct})
    functions = []
    fa = {f["name"]: f for f in (a.get("profile") or {}).get("functions", [])}
    fb = {f["name"]: f for f in (b.get("profile") or {}).get("functions", [])}
    for name in set(fa) | set(fb):
        va = fa.get(name, {}).get("self_cycles", 0)
        vb = fb.get(name, {}).get("self_cycles", 0)
        if va != vb:
            d, pct = _delta(va, vb)
            functions.append({"function": name, "a": va, "b": vb, "delta": d, "percent": pct,
                              "inclusive_a": fa.get(name, {}).get("inclusive_cycles"),
                              "inclusive_b": fb.get(name, {}).get("inclusive_cycles")})
    functions.sort(key=lambda r: -abs(r["delta"]))
    return {"summary": rows, "regions": regions, "functions": functions,
            "profiles": bool(fa) and bool(fb)}
