"""`simulate diff A.json B.json`: what changed between two runs or profiles, for code review.

Compares the summaries (cycles, simulated seconds, peak RAM overall and per region, energy)
and, when both reports carry a profile (`simulate profile --json`), the cycles of every
function. Exit code 0; 2 for unreadable input.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

#: The largest report read (a long profile is a few MB).
MAX_REPORT_BYTES = 256 << 20


def load_report(path: Path) -> dict[str, Any]:
    from .elf import FirmwareError, read_bounded

    try:
        data = json.loads(read_bounded(Path(path), MAX_REPORT_BYTES, "report"))
    except FirmwareError as exc:
        raise ValueError(str(exc)) from exc
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
        raise ValueError(f"{path} is not JSON ({getattr(exc, 'msg', type(exc).__name__)})"
                         ) from exc
    if not isinstance(data, dict) or not isinstance(data.get("summary"), dict):
        raise ValueError(f"{path} is not a simulate report (no 'summary' object)")
    return data


def _dict(x: Any) -> dict:
    return x if isinstance(x, dict) else {}


def _num(x: Any) -> float | None:
    """A number of a report, None for anything else (a hand-edited or foreign JSON)."""
    import math
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        return None
    return x if math.isfinite(x) else None


def _delta(a: float | None, b: float | None) -> tuple[float | None, float | None]:
    a, b = _num(a), _num(b)
    if a is None or b is None:
        return None, None
    d = b - a
    return d, (100.0 * d / a) if a else None


def compare(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """Structured differences between report ``a`` (before) and ``b`` (after)."""
    rows = []
    for key in ("cycles", "instructions", "simulated_s", "peak_ram_bytes", "energy_j"):
        va, vb = _num(_dict(a.get("summary")).get(key)), _num(_dict(b.get("summary")).get(key))
        d, pct = _delta(va, vb)
        rows.append({"metric": key, "a": va, "b": vb, "delta": d, "percent": pct})
    regions = []
    ra = _dict(_dict(a.get("memory")).get("regions"))
    rb = _dict(_dict(b.get("memory")).get("regions"))
    for name in sorted(set(ra) | set(rb)):
        va = _num(_dict(ra.get(name)).get("peak_bytes", 0)) or 0
        vb = _num(_dict(rb.get(name)).get("peak_bytes", 0)) or 0
        if va != vb:
            d, pct = _delta(va, vb)
            regions.append({"region": name, "a": va, "b": vb, "delta": d, "percent": pct})
    functions = []
    fa, fb = _functions(a), _functions(b)
    for name in set(fa) | set(fb):
        va = _num(fa.get(name, {}).get("self_cycles", 0)) or 0
        vb = _num(fb.get(name, {}).get("self_cycles", 0)) or 0
        if va != vb:
            d, pct = _delta(va, vb)
            functions.append({"function": name, "a": va, "b": vb, "delta": d, "percent": pct,
                              "inclusive_a": fa.get(name, {}).get("inclusive_cycles"),
                              "inclusive_b": fb.get(name, {}).get("inclusive_cycles")})
    functions.sort(key=lambda r: (-abs(r["delta"] or 0), r["function"]))
    return {"summary": rows, "regions": regions, "functions": functions,
            "profiles": bool(fa) and bool(fb)}


def _functions(report: dict[str, Any]) -> dict[str, dict]:
    funcs = _dict(report.get("profile")).get("functions", [])
    if not isinstance(funcs, list):
        return {}
    return {str(f["name"]): f for f in funcs if isinstance(f, dict) and "name" in f}
