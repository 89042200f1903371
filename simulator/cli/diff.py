"""``simulate diff A.json B.json``: what changed between two runs or profiles
(the comparison itself is simulator.diff.compare)."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from ..diff import compare, load_report


def _fmt(x: float | None, key: str = "") -> str:
    if x is None:
        return "-"
    if key == "simulated_s":
        return f"{x * 1e3:.4f} ms"
    if key == "energy_j":
        return f"{x * 1e3:.4f} mJ"
    return f"{x:,.0f}" if abs(x) >= 1 or x == 0 else f"{x:.4g}"


def _pct(p: float | None) -> str:
    return "" if p is None else f"{p:+.2f} %"


def main(argv: Sequence[str]) -> int:
    from rich.table import Table

    from .options import OneLineParser
    from .streams import product_on_stdout, stdout_console

    ap = OneLineParser(prog="simulate diff",
                                 description="Compare two JSON reports (runs or profiles).")
    ap.add_argument("a", type=Path, metavar="A.json", help="before")
    ap.add_argument("b", type=Path, metavar="B.json", help="after")
    ap.add_argument("--top", type=int, default=20, help="functions to list (default 20)")
    ap.add_argument("--json", type=Path, metavar="PATH", help="write the differences as JSON")
    ap.add_argument("--html", type=Path, metavar="FILE",
                    help="write the comparison as a self-contained HTML page with plots: "
                         "summary deltas, peak RAM per region, energy by state, self cycles "
                         "per function (docs/report-html.md)")
    args = ap.parse_args(list(argv))
    for opt in ("json", "html"):
        path = getattr(args, opt)
        if path is not None and not path.parent.resolve().is_dir():
            print(f"simulate: error: cannot write --{opt} {path}: folder {path.parent} "
                  "does not exist", file=sys.stderr)
            return 2
    try:
        a, b = load_report(args.a), load_report(args.b)
    except ValueError as exc:
        print(f"simulate: error: {exc}", file=sys.stderr)
        return 2
    d = compare(a, b)
    status = [0]
    with product_on_stdout(status):
        con = stdout_console()
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
                t.add_row(r["region"], _fmt(r["a"]), _fmt(r["b"]), _fmt(r["delta"]),
                          _pct(r["percent"]))
            con.print(t)
        if d["profiles"]:
            t = Table(title="functions by change in self cycles", title_justify="left")
            for col in ("function", "A", "B", "delta", "%"):
                t.add_column(col, justify="right" if col != "function" else "left")
            for r in d["functions"][: args.top]:
                t.add_row(r["function"], _fmt(r["a"]), _fmt(r["b"]), _fmt(r["delta"]),
                          _pct(r["percent"]))
            con.print(t)
        else:
            con.print("(per-function deltas need two `simulate profile --json` reports)")
    try:
        if args.json is not None:
            from ..report import write_json_atomic
            write_json_atomic(args.json, d)
        if args.html is not None:
            from ..html_report import write_page
            from ..html_report.diff_page import diff_page
            write_page(diff_page(d, str(args.a), str(args.b), a, b), args.html)
    except OSError as exc:
        print(f"simulate: error: cannot write the comparison: {exc.strerror or exc}",
              file=sys.stderr)
        return 2
    return status[0]
