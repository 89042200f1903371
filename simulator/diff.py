"""`simulate diff A.json B.json`: what changed between two runs or profiles, for code review.

Compares the summaries (cycles, simulated seconds, peak RAM overall and per region, energy)
and, when both reports carry a profile (`simulate profile --json`), the cycles of every
function. Exit code 0; 2 for unreadable input.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any


def _load(path: Path) -> dict[str, Any]:
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
    for key in ("cycles", "instructions", "seconds", "peak_ram_bytes", "energy_joules"):
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


def _fmt(x: float | None, key: str = "") -> str:
    if x is None:
        return "-"
    if key == "seconds":
        return f"{x * 1e3:.4f} ms"
    if key == "energy_joules":
        return f"{x * 1e3:.4f} mJ"
    return f"{x:,.0f}" if abs(x) >= 1 or x == 0 else f"{x:.4g}"


def _pct(p: float | None) -> str:
    return "" if p is None else f"{p:+.2f} %"


def diff_main(argv: list[str]) -> int:
    from rich.console import Console
    from rich.table import Table

    ap = argparse.ArgumentParser(prog="simulate diff",
                                 description="Compare two JSON reports (runs or profiles).")
    ap.add_argument("a", type=Path, metavar="A.json", help="before")
    ap.add_argument("b", type=Path, metavar="B.json", help="after")
    ap.add_argument("--top", type=int, default=20, help="functions to list (default 20)")
    ap.add_argument("--json", type=Path, metavar="PATH", help="write the differences as JSON")
    args = ap.parse_args(argv)
    try:
        a, b = _load(args.a), _load(args.b)
    except ValueError as exc:
        print(f"simulate: error: {exc}", file=sys.stderr)
        return 2
    d = compare(a, b)
    con = Console()
    t = Table(title=f"{args.a.name} -> {args.b.name}", title_justify="left")
    for col in ("metric", "A", "B", "delta", "%"):
        t.add_column(col, justify="right" if col != "metric" else "left")
    for r in d["summary"]:
        t.add_row(r["metric"], _fmt(r["a"], r["metric"]), _fmt(r["b"], r["metric"]),
                  _fmt(r["delta"], r["metric"]), _pct(r["percent"]))
    con.print(t)
    if d["regions"]:
        t = Table(title="peak RAM by region", title_justify="left")
        for col in ("region", "A", "B", "delta", "%"):
            t.add_column(col, justify="right" if col != "region" else "left")
        for r in d["regions"]:
            t.add_row(r["region"], _fmt(r["a"]), _fmt(r["b"]), _fmt(r["delta"]), _pct(r["percent"]))
        con.print(t)
    if d["profiles"]:
        t = Table(title="functions by change in self cycles", title_justify="left")
        for col in ("function", "A", "B", "delta", "%"):
            t.add_column(col, justify="right" if col != "function" else "left")
        for r in d["functions"][: args.top]:
            t.add_row(r["function"], _fmt(r["a"]), _fmt(r["b"]), _fmt(r["delta"]), _pct(r["percent"]))
        con.print(t)
    else:
        con.print("(per-function deltas need two `simulate profile --json` reports)")
    if args.json is not None:
        from .report import write_json_atomic
        write_json_atomic(args.json, d)
    return 0
