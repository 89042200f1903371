"""The HTML page of a clock sweep (``simulate sweep --html``): energy per run and busy time
against the core clock, and the sweep table."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..headline import fmt_joules, fmt_seconds
from .page import Page


def sweep_page(doc: dict[str, Any]) -> Page:
    rows = doc.get("sweep") or []
    ok = [r for r in rows if "error" not in r]
    page = Page(f"{Path(doc.get('firmware', 'firmware')).name}: clock sweep",
                f"{len(rows)} clocks: " + ", ".join(f"{r['mhz']:g}" for r in rows) + " MHz")
    page.section("Energy and busy time against the core clock", "sweep")
    best = min((r for r in ok if r.get("energy_j") is not None),
               key=lambda r: r["energy_j"], default=None)
    if ok:
        mhz = [r["mhz"] for r in ok]
        fig = make_subplots(specs=[[{"secondary_y": True}]])
        fig.add_scatter(x=mhz, y=[_mj(r.get("energy_j")) for r in ok],
                        mode="lines+markers", name="energy per run (mJ)",
                        marker={"color": "#cf222e", "size": 9}, secondary_y=False)
        fig.add_scatter(x=mhz, y=[_ms(r.get("busy_s")) for r in ok], mode="lines+markers",
                        name="CPU busy (ms)", marker={"color": "#0969da", "size": 9},
                        secondary_y=True)
        if best is not None:
            fig.add_scatter(x=[best["mhz"]], y=[_mj(best["energy_j"])], mode="markers",
                            name=f"lowest energy: {best['mhz']:g} MHz",
                            marker={"symbol": "star", "size": 18, "color": "#bf8700"},
                            secondary_y=False)
        fig.update_xaxes(title_text="core clock (MHz)")
        fig.update_yaxes(title_text="energy per run (mJ)", secondary_y=False, rangemode="tozero")
        fig.update_yaxes(title_text="CPU busy (ms)", secondary_y=True, rangemode="tozero")
        fig.update_layout(legend={"orientation": "h", "y": -0.2})
        page.figure(fig, height=440)
        fig = go.Figure(go.Bar(x=[f"{m:g} MHz" for m in mhz],
                               y=[(r.get("average_power_w") or 0) * 1e3 for r in ok],
                               marker_color="#8250df"))
        fig.update_layout(title="average power", yaxis_title="mW")
        page.figure(fig, height=320)
    table = []
    for r in rows:
        if "error" in r:
            table.append([f"{r['mhz']:g}", "-", "-", "-", "-", "-", "-", r["error"]])
            continue
        table.append([f"{r['mhz']:g}", str(r.get("vos")), str(r.get("flash_wait_states")),
                      fmt_seconds(r.get("busy_s")), fmt_seconds(r.get("simulated_s")),
                      f"{(r.get('average_power_w') or 0) * 1e3:.2f} mW",
                      fmt_joules(r.get("energy_j")) + (" *" if r is best else ""),
                      r.get("exit_reason", "")])
    page.table(["MHz", "VOS", "flash WS", "busy", "run time", "average power", "energy", "exit"],
               table, text_columns=0)
    if best is not None:
        page.note(f"* lowest energy per run: {best['mhz']:g} MHz")
    return page


def _mj(j: float | None) -> float | None:
    return None if j is None else j * 1e3


def _ms(s: float | None) -> float | None:
    return None if s is None else s * 1e3
