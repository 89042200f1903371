"""The HTML page of ``simulate diff A.json B.json --html F``: what got faster, bigger and
hungrier between two runs, function by function when both are profiles."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import plotly.graph_objects as go

from ..headline import WARN, Headline, fmt_bytes, fmt_joules, fmt_seconds
from .page import Page, signed

GOOD, BAD = "#1a7f37", "#cf222e"
TOP = 30


def diff_page(d: dict[str, Any], a_name: str, b_name: str, a: dict[str, Any] | None = None,
              b: dict[str, Any] | None = None) -> Page:
    """``d`` is :func:`simulator.diff.compare`'s result; ``a``/``b`` the two reports."""
    page = Page(f"{Path(a_name).name} → {Path(b_name).name}",
                "A = before, B = after; green is better (fewer cycles, bytes, joules)")
    page.section("Summary", "summary")
    cards = []
    labels = {"cycles": "cycles", "instructions": "instructions", "simulated_s": "simulated time",
              "peak_ram_bytes": "peak RAM", "energy_j": "energy"}
    for r in d["summary"]:
        if r["delta"] is None:
            continue
        pct = f"{r['percent']:+.2f} %" if r["percent"] is not None else ""
        status = "info" if r["delta"] == 0 else ("ok" if r["delta"] < 0 else "fail")
        if r["metric"] == "instructions" and r["delta"]:
            status = WARN
        cards.append(Headline(labels.get(r["metric"], r["metric"]), pct or "±0",
                              f"{_val(r['metric'], r['a'])} → {_val(r['metric'], r['b'])}",
                              status))
    page.cards(cards)
    page.table(["metric", "A", "B", "delta", "%"],
               [[labels.get(r["metric"], r["metric"]), _val(r["metric"], r["a"]),
                 _val(r["metric"], r["b"]),
                 signed(r["delta"], _delta_text(r["metric"], r["delta"])),
                 signed(r["delta"], f"{r['percent']:+.2f} %" if r["percent"] is not None
                        else "")] for r in d["summary"]]
               + _flash_row(a, b))
    if d["regions"]:
        page.section("Peak RAM by region", "ram")
        regs = d["regions"]
        fig = go.Figure(go.Bar(y=[r["region"] for r in regs], x=[r["delta"] for r in regs],
                               orientation="h",
                               marker_color=[BAD if r["delta"] > 0 else GOOD for r in regs],
                               hovertemplate="%{y}: %{x:+,} B<extra></extra>"))
        fig.update_layout(title="change in peak bytes (B − A)", xaxis_title="bytes")
        page.figure(fig, height=140 + 40 * len(regs))
        page.table(["region", "A", "B", "delta", "%"],
                   [[r["region"], f"{r['a']:,}", f"{r['b']:,}",
                     signed(r["delta"], f"{r['delta']:+,}"),
                     signed(r["delta"], f"{r['percent']:+.2f} %" if r["percent"] is not None
                            else "new")] for r in regs])
    if a is not None and b is not None:
        _energy_states(page, a, b)
    page.section("Functions", "functions")
    if not d["profiles"]:
        page.note("per-function changes need two `simulate profile --json` reports")
        return page
    funcs = [f for f in d["functions"] if f["function"] != "[sleep]"][:TOP]
    if funcs:
        fig = go.Figure(go.Bar(
            y=[f["function"] for f in funcs], x=[f["delta"] for f in funcs], orientation="h",
            marker_color=[BAD if f["delta"] > 0 else GOOD for f in funcs],
            customdata=[[f["a"], f["b"]] for f in funcs],
            hovertemplate="%{y}: %{x:+,} self cycles (%{customdata[0]:,} → "
                          "%{customdata[1]:,})<extra></extra>"))
        fig.update_layout(title="change in self cycles per function (B − A); red: slower",
                          xaxis_title="cycles", yaxis={"autorange": "reversed"})
        page.figure(fig, height=140 + 22 * len(funcs))
    rows = []
    for f in d["functions"][:200]:
        rows.append([f["function"], f"{f['a']:,}", f"{f['b']:,}",
                     signed(f["delta"], f"{f['delta']:+,}"),
                     signed(f["delta"], f"{f['percent']:+.1f} %" if f["percent"] is not None
                            else "new"),
                     _incl(f.get("inclusive_a")), _incl(f.get("inclusive_b"))])
    page.table(["function", "A self", "B self", "delta", "%", "A inclusive", "B inclusive"],
               rows)
    if not d["functions"]:
        page.note("no function changed its self cycles")
    return page


def _flash_row(a: dict[str, Any] | None, b: dict[str, Any] | None) -> list[list[Any]]:
    """Flash use (code, read-only data, .data load image) of the two firmwares."""
    fa = ((a or {}).get("memory") or {}).get("flash_bytes")
    fb = ((b or {}).get("memory") or {}).get("flash_bytes")
    if fa is None or fb is None:
        return []
    dlt = fb - fa
    return [["flash", f"{fa:,} B", f"{fb:,} B", signed(dlt, f"{dlt:+,}"),
             signed(dlt, f"{100 * dlt / fa:+.2f} %" if fa else "")]]


def _energy_states(page: Page, a: dict[str, Any], b: dict[str, Any]) -> None:
    sa = (a.get("energy") or {}).get("by_state") or {}
    sb = (b.get("energy") or {}).get("by_state") or {}
    states = [s for s in dict.fromkeys(list(sa) + list(sb))]
    if not states:
        return
    page.section("Energy by state", "energy")
    fig = go.Figure()
    fig.add_bar(x=states, y=[(sa.get(s) or {}).get("energy_j", 0) * 1e3 for s in states], name="A",
                marker_color="#8c959f")
    fig.add_bar(x=states, y=[(sb.get(s) or {}).get("energy_j", 0) * 1e3 for s in states], name="B",
                marker_color="#0969da")
    fig.update_layout(barmode="group", yaxis_title="mJ", title="energy by power state")
    page.figure(fig, height=340)


def _val(metric: str, x: float | None) -> str:
    if x is None:
        return "-"
    if metric == "simulated_s":
        return fmt_seconds(x)
    if metric == "energy_j":
        return fmt_joules(x)
    if metric == "peak_ram_bytes":
        return f"{x:,} B ({fmt_bytes(x)})"
    return f"{x:,}"


def _delta_text(metric: str, x: float | None) -> str:
    if x is None:
        return "-"
    sign = "+" if x > 0 else "-" if x < 0 else "±"
    if metric == "simulated_s":
        return sign + fmt_seconds(abs(x))
    if metric == "energy_j":
        return sign + fmt_joules(abs(x))
    return f"{x:+,}"


def _incl(x: float | None) -> str:
    return "-" if x is None else f"{x:,.0f}"
