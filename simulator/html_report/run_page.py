"""The HTML page of one run (``simulate --html``, ``simulate profile --html``).

Sections, each drawn only when the report has its data: summary (the headline figures of
:mod:`simulator.headline`), RAM per region against region size, the stack/heap timeline, the
power timeline with states and clock changes, cycles by function (icicle) with the hot
functions and loops, the stall breakdown, and for audio runs the waveform with the aligned
words and their confidence.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import plotly.graph_objects as go
from plotly.colors import qualitative, sample_colorscale
from plotly.subplots import make_subplots

from ..headline import busy_seconds, fmt_bytes, fmt_joules, fmt_seconds, headlines
from .page import Page, code

STATE_COLOURS = {"run": "#cf222e", "sleep": "#0969da", "stop": "#8250df", "standby": "#57606a",
                 "wakeup": "#bf8700", "mixed": "#8c959f"}
RAM_PARTS = (("static_bytes", "static (.data/.bss)", "#0969da"),
             ("stack_bytes", "stack", "#cf222e"),
             ("heap_bytes", "heap", "#bf8700"),
             ("other_touched_bytes", "other touched", "#8250df"))
STALL_LABELS = {"operand_latency": "operand latency", "issue_restrictions": "issue rules",
                "icache_and_flash": "I-fetch / flash", "branch_mispredict": "branch mispredicts",
                "dcache_and_data_memory": "D-cache / data memory",
                "peripheral_bus": "peripheral bus"}


def run_page(report: dict[str, Any], extras: dict[str, Any] | None = None,
             title: str | None = None) -> Page:
    ex = extras or {}
    fw = Path(report.get("firmware", "firmware")).name
    plat = report.get("platform") or {}
    page = Page(title or f"{fw} on {plat.get('name', '?')} rev {plat.get('revision', '?')}",
                _subtitle(report))
    summary_section(page, report)
    ram_section(page, report)
    power_section(page, report, ex.get("clock_changes"), ex.get("power_timeline"))
    profile_section(page, report, ex.get("contexts"), ex.get("loop_sources") or {})
    stall_section(page, report)
    audio_section(page, report, ex.get("waveform"))
    return page


def _subtitle(report: dict[str, Any]) -> str:
    s = report["summary"]
    parts = [f"{s.get('cycles', 0):,} cycles", f"{s.get('instructions', 0):,} instructions",
             f"timing model {report.get('timing', {}).get('model', '?')}"]
    au = report.get("audio")
    if au and au.get("path"):
        parts.append(f"audio {Path(au['path']).name}")
    return "; ".join(parts)


# --- summary ---------------------------------------------------------------------------------
def summary_section(page: Page, report: dict[str, Any]) -> None:
    page.section("Summary", "summary")
    page.cards(headlines(report))
    s = report["summary"]
    tm = report.get("timing") or {}
    rows = [["exit", f"{s['exit_reason']} (code {s['exit_code']})"],
            ["cycles", f"{s['cycles']:,}"], ["instructions", f"{s['instructions']:,}"],
            ["core clock", f"{s['core_hz'] / 1e6:g} MHz"],
            ["simulated time", fmt_seconds(s["simulated_s"])],
            ["CPU busy", fmt_seconds(busy_seconds(report))]]
    if tm.get("cpi") is not None:
        rows.append(["CPI", f"{tm['cpi']:.3f}"])
    for key, label in (("icache_hit_rate", "I-cache hits"), ("dcache_hit_rate", "D-cache hits"),
                       ("branch_prediction_rate", "branches predicted")):
        if tm.get(key) is not None:
            rows.append([label, f"{100 * tm[key]:.2f} %"])
    rows.append(["peak RAM", f"{s['peak_ram_bytes']:,} B"])
    mem = report.get("memory") or {}
    if mem.get("flash_bytes") is not None:
        rows.append(["flash", f"{mem['flash_bytes']:,} B"])
    if s.get("energy_j") is not None:
        rows.append(["energy", fmt_joules(s["energy_j"])])
        rows.append(["average power", f"{s['average_power_w'] * 1e3:.2f} mW"])
    if report.get("clock_override"):
        co = report["clock_override"]
        rows.append(["--cpu-freq", (f"{co['cpu_hz'] / 1e6:g} MHz, VOS{co['vos']}, "
                                    f"{co['flash_wait_states']} flash wait states")])
    page.table(["figure", "value"], rows, text_columns=2)
    for w in (report.get("warnings") or [])[:20]:
        page.note(f"warning: {w}")
    if report.get("diagnostic"):
        page.note(report["diagnostic"])


# --- RAM ---------------------------------------------------------------------------------------
def ram_section(page: Page, report: dict[str, Any]) -> None:
    mem = report.get("memory") or {}
    regions = mem.get("regions") or {}
    if not regions:
        return
    page.section("RAM", "ram")
    names = list(regions)
    fig = go.Figure()
    for key, label, colour in RAM_PARTS:
        vals = [regions[n].get(key, 0) or 0 for n in names]
        if any(vals):
            fig.add_bar(y=names, x=vals, name=label, orientation="h", marker_color=colour,
                        hovertemplate="%{y}: %{x:,} B " + label + "<extra></extra>")
    free = [max(0, (regions[n].get("size") or 0) - regions[n]["peak_bytes"]) for n in names]
    fig.add_bar(y=names, x=free, name="never used", orientation="h", marker_color="#d0d7de",
                hovertemplate="%{y}: %{x:,} B never used<extra></extra>")
    fig.update_layout(barmode="stack", title="peak use per region against its size",
                      xaxis_title="bytes", yaxis={"autorange": "reversed"},
                      legend={"orientation": "h", "y": -0.25})
    page.figure(fig, height=120 + 50 * len(names))
    rows = []
    for n in names:
        r = regions[n]
        size = r.get("size") or 0
        rows.append([n, f"{r['peak_bytes']:,}", f"{size:,}",
                     f"{100 * r['peak_bytes'] / size:.1f} %" if size else "-",
                     f"{r.get('static_bytes', 0):,}", f"{r.get('stack_bytes', 0):,}",
                     f"{r.get('heap_bytes', 0):,}", f"{r.get('other_touched_bytes', 0):,}"])
    page.table(["region", "peak B", "size B", "used", "static", "stack", "heap", "other"], rows)
    if mem.get("overflow"):
        page.note(str(mem["overflow"]))
    tl = mem.get("timeline") or []
    if tl:
        t = [p["time_s"] for p in tl]
        stack = [p.get("stack_bytes", 0) for p in tl]
        heap = [p.get("heap_bytes", 0) for p in tl]
        peak, run = [], 0
        for a, b in zip(stack, heap):
            run = max(run, a + b)
            peak.append(run)
        fig = go.Figure()
        fig.add_scatter(x=t, y=stack, name="stack", line={"shape": "hv", "color": "#cf222e"})
        if any(heap):
            fig.add_scatter(x=t, y=heap, name="heap", line={"shape": "hv", "color": "#bf8700"})
        fig.add_scatter(x=t, y=peak, name="peak so far (stack + heap)",
                        line={"shape": "hv", "dash": "dot", "color": "#24292f"})
        st = mem.get("stack") or {}
        deep = st.get("deepest")
        if deep:
            fig.add_scatter(x=[deep["time_s"]], y=[deep["bytes"]], mode="markers",
                            name=f"deepest: {deep['where']}", marker={"size": 10,
                                                                     "color": "#cf222e"})
        fig.update_layout(title="stack and heap over time (sampled at events)",
                          xaxis_title="simulated seconds", yaxis_title="bytes",
                          legend={"orientation": "h", "y": -0.25})
        page.figure(fig, height=360)
        if st.get("end") and st.get("start"):
            page.note(f"stack: {fmt_bytes(st['end'] - st['start'])} reserved in "
                      f"{st.get('region')} ({st.get('found_from', '')})")


# --- power -------------------------------------------------------------------------------------
def power_section(page: Page, report: dict[str, Any], changes: list[dict] | None,
                  timeline: list[dict] | None = None) -> None:
    e = report.get("energy") or {}
    tl = timeline or e.get("timeline") or []
    if not tl:
        return
    page.section("Power and clocks", "power")
    if changes is None:
        changes = _changes_from_segments(report.get("time_segments") or [])
    rows = 2 if changes else 1
    fig = make_subplots(rows=rows, cols=1, shared_xaxes=True, vertical_spacing=0.06,
                        row_heights=[0.72, 0.28][:rows])
    vdd = e.get("vdd_v") or 3.3
    by_state: dict[str, list[dict]] = {}
    for p in tl:
        by_state.setdefault(p["state"], []).append(p)
    for state, pts in by_state.items():
        fig.add_bar(x=[p["time_s"] + p["duration_s"] / 2 for p in pts],
                    width=[p["duration_s"] for p in pts],
                    y=[p["power_w"] * 1e3 for p in pts], name=state,
                    customdata=[p["power_w"] / vdd * 1e3 for p in pts],
                    marker={"color": STATE_COLOURS.get(state, "#8c959f"), "line": {"width": 0}},
                    hovertemplate=state + ": %{y:.2f} mW, %{customdata:.2f} mA at "
                                  "%{x:.6f} s<extra></extra>",
                    row=1, col=1)
    if changes:
        end = tl[-1]["time_s"] + tl[-1]["duration_s"]
        xs, ys, text = [], [], []
        for c in changes:
            xs.append(c["t"])
            ys.append(c["core_hz"] / 1e6)
            text.append(f"{c['core_hz'] / 1e6:g} MHz core, "
                        + (f"{c['hclk_hz'] / 1e6:g} MHz AXI, " if c.get("hclk_hz") else "")
                        + (f"VOS{c['vos']}" if c.get("vos") is not None else ""))
        xs.append(end)
        ys.append(ys[-1])
        text.append(text[-1])
        fig.add_scatter(x=xs, y=ys, name="core clock", line={"shape": "hv", "color": "#1a7f37"},
                        text=text, hovertemplate="%{text} from %{x:.6f} s<extra></extra>",
                        row=2, col=1)
        fig.update_yaxes(title_text="MHz", row=2, col=1)
    fig.update_layout(barmode="overlay", bargap=0,
                      title=f"power by state (current = power / {vdd:g} V), and the core clock",
                      legend={"orientation": "h", "y": -0.2})
    fig.update_yaxes(title_text="mW", row=1, col=1)
    fig.update_xaxes(title_text="simulated seconds", row=rows, col=1)
    page.figure(fig, height=460)
    rows_t = [[state, fmt_seconds(b["time_s"]), fmt_joules(b["energy_j"]),
               f"{b['average_power_w'] * 1e3:.2f} mW", str(b.get("count", ""))]
              for state, b in (e.get("by_state") or {}).items()]
    page.table(["state", "time", "energy", "average power", "count"], rows_t)
    if changes and len(changes) > 1:
        page.note(f"{len(changes) - 1} clock or voltage-scale changes during the run")
    for n in e.get("notes") or []:
        page.note(n)


def _changes_from_segments(segs: list[dict]) -> list[dict]:
    """Fallback when the page is drawn from JSON alone: the report keeps only the last
    segments, so their times are relative to the first one kept."""
    out, t, last = [], 0.0, None
    for s in segs:
        key = (s.get("core_hz"), s.get("hclk_hz"), s.get("vos"))
        if key != last:
            out.append({"t": t, "core_hz": s.get("core_hz") or 0, "hclk_hz": s.get("hclk_hz"),
                        "vos": s.get("vos")})
            last = key
        t += s.get("duration_s") or 0.0
    return [] if len(out) <= 1 else out


# --- profile -----------------------------------------------------------------------------------
def profile_section(page: Page, report: dict[str, Any], contexts: list[dict] | None,
                    loop_sources: dict[str, dict]) -> None:
    prof = report.get("profile")
    if not prof:
        return
    page.section("Cycles by function", "functions")
    funcs = prof.get("functions") or []
    sleep = next((f for f in funcs if f["name"] == "[sleep]"), None)
    if contexts:
        # one colour per function (plotly's qualitative palette), as flame graphs do
        palette = qualitative.Plotly + qualitative.D3
        names = sorted({c["name"] for c in contexts})
        colour = {n: palette[k % len(palette)] for k, n in enumerate(names)}
        fig = go.Figure(go.Icicle(
            ids=[c["id"] for c in contexts], parents=[c["parent"] for c in contexts],
            labels=[c["name"] for c in contexts], values=[c["self"] for c in contexts],
            marker={"colors": [colour[c["name"]] for c in contexts]},
            branchvalues="remainder", customdata=[c["incl"] for c in contexts],
            hovertemplate="%{label}<br>%{customdata:,.0f} cycles inclusive"
                          "<br>%{percentRoot:.1%} of the busy cycles<extra></extra>",
            tiling={"orientation": "v"}, root={"color": "#f6f8fa"}, maxdepth=8))
        title = ("calling contexts (icicle; a callee's cost is shared among its callers by "
                 "call count)")
    else:
        busy = [f for f in funcs if f["name"] != "[sleep]" and f["self_cycles"] > 0]
        fig = go.Figure(go.Icicle(
            ids=["all"] + [f["name"] for f in busy], parents=[""] + ["all"] * len(busy),
            labels=["all busy cycles"] + [f["name"] for f in busy],
            values=[0] + [f["self_cycles"] for f in busy], branchvalues="remainder",
            tiling={"orientation": "v"}))
        title = "self cycles by function (the calling contexts were not recorded)"
    fig.update_layout(title=title, margin={"l": 10, "r": 10, "t": 40, "b": 10})
    page.figure(fig, height=520)
    if sleep:
        page.note(f"asleep (WFI/WFE): {sleep['self_cycles']:,} cycles, not drawn")
    tot = prof.get("total_cycles") or 1
    rows = []
    for f in funcs:
        if f["name"] == "[sleep]":
            continue
        loc = f"{Path(f['file']).name}:{f['line']}" if f.get("file") else ""
        rows.append([f["name"], loc, f"{f['self_cycles']:,}",
                     f"{100 * f['self_cycles'] / tot:.2f}", f"{f['inclusive_cycles']:,.0f}",
                     f"{f['calls']:,}", f"{f['self_instructions']:,}",
                     f"{f['self_cycles'] / f['self_instructions']:.2f}"
                     if f["self_instructions"] else ""])
    page.table(["function", "source", "self cycles", "% total", "inclusive", "calls",
                "instructions", "CPI"], rows, text_columns=2)
    loops = prof.get("loops") or []
    if loops:
        page.section("Hot loops", "loops")
        rows = []
        for lp in loops:
            src = loop_sources.get(lp["location"]) or {}
            where = f"{Path(src['file']).name}:{src['line']}" if src.get("file") else ""
            rows.append([lp["location"], where, code(src.get("text") or ""),
                         f"{lp['iterations']:,}", f"{lp['cycles']:,.0f}",
                         f"{100 * lp['cycles'] / tot:.2f}", f"{lp['cycles_per_iteration']:,.1f}",
                         f"{lp['icache_stall_cycles'] / max(lp['iterations'], 1):,.1f}",
                         f"{lp['mispredict_cycles'] / max(lp['iterations'], 1):,.1f}",
                         f"{lp['dside_stall_cycles'] / max(lp['iterations'], 1):,.1f}"])
        page.table(["loop", "header line", "source", "iterations", "cycles", "% total",
                    "cycles/iter", "I-fetch stall/iter", "mispredict/iter", "D-side stall/iter"],
                   rows, text_columns=3)


# --- stalls ------------------------------------------------------------------------------------
def stall_section(page: Page, report: dict[str, Any]) -> None:
    tm = report.get("timing") or {}
    stalls = tm.get("stalls")
    if not stalls:
        return
    page.section("Stalls", "stalls")
    busy = tm.get("busy_cycles") or 0
    total_stall = sum(stalls.values())
    labels = [STALL_LABELS.get(k, k) for k in stalls] + ["issue (no stall)"]
    values = list(stalls.values()) + [max(0, busy - total_stall)]
    fig = go.Figure(go.Bar(x=values, y=labels, orientation="h",
                           marker_color=["#cf222e"] * len(stalls) + ["#8c959f"],
                           hovertemplate="%{y}: %{x:,} cycles<extra></extra>"))
    fig.update_layout(title=f"where the {busy:,} busy cycles go", xaxis_title="cycles",
                      yaxis={"autorange": "reversed"})
    page.figure(fig, height=320)
    funcs = [f for f in (report.get("profile") or {}).get("functions", [])
             if f.get("stall_cycles", 0) > 0 and f["name"] != "[sleep]"][:15]
    if funcs:
        names = [f["name"] for f in funcs]
        fig = go.Figure()
        for key, label, colour in (("icache_stall_cycles", "I-fetch / flash", "#0969da"),
                                   ("mispredict_cycles", "branch mispredicts", "#bf8700"),
                                   ("dside_stall_cycles", "D-side", "#8250df")):
            fig.add_bar(y=names, x=[f.get(key, 0) for f in funcs], name=label,
                        orientation="h", marker_color=colour)
        fig.update_layout(barmode="stack", title="stall cycles by function (hot functions)",
                          xaxis_title="cycles", yaxis={"autorange": "reversed"},
                          legend={"orientation": "h", "y": -0.2})
        page.figure(fig, height=140 + 24 * len(funcs))


# --- audio -------------------------------------------------------------------------------------
def audio_section(page: Page, report: dict[str, Any], wave: dict[str, list] | None) -> None:
    au = report.get("audio")
    al = report.get("alignment")
    if not au and not al:
        return
    page.section("Audio and alignment", "audio")
    words = [w for w in (al or {}).get("words", []) if w.get("found")]
    missing = [w for w in (al or {}).get("words", []) if not w.get("found")]
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08,
                        row_heights=[0.65, 0.35])
    if wave and wave.get("t"):
        fig.add_scatter(x=wave["t"], y=wave["hi"], mode="lines", line={"width": 0.5,
                        "color": "#57606a"}, name="waveform", showlegend=False,
                        hoverinfo="skip", row=1, col=1)
        fig.add_scatter(x=wave["t"], y=wave["lo"], mode="lines", line={"width": 0.5,
                        "color": "#57606a"}, fill="tonexty", fillcolor="rgba(87,96,106,0.5)",
                        showlegend=False, hoverinfo="skip", row=1, col=1)
    for k, w in enumerate(words):
        fig.add_vrect(x0=w["start_s"], x1=w["end_s"], row=1, col=1, line_width=0, layer="below",
                      fillcolor="#0969da" if k % 2 == 0 else "#1a7f37",
                      opacity=0.10 + 0.25 * (w.get("confidence") or 0))
    if words:
        fig.add_scatter(x=[(w["start_s"] + w["end_s"]) / 2 for w in words],
                        y=[1.02] * len(words), mode="text", text=[w["text"] for w in words],
                        textposition="top center", showlegend=False, hoverinfo="skip",
                        textfont={"size": 11}, row=1, col=1)
        fig.add_bar(x=[(w["start_s"] + w["end_s"]) / 2 for w in words],
                    width=[max(w["end_s"] - w["start_s"], 1e-3) for w in words],
                    y=[w.get("confidence") or 0 for w in words], name="confidence",
                    hovertext=[w["text"] for w in words],
                    customdata=[[w["start_s"], w["end_s"]] for w in words],
                    marker={"color": sample_colorscale("RdYlGn", [min(1.0, max(
                        0.0, w.get("confidence") or 0)) for w in words]),
                            "line": {"width": 0.5, "color": "#24292f"}},
                    hovertemplate="%{hovertext}: %{customdata[0]:.3f}-%{customdata[1]:.3f} s, "
                                  "confidence %{y:.2f}<extra></extra>",
                    showlegend=False, row=2, col=1)
    fig.update_yaxes(title_text="amplitude", range=[-1.1, 1.25], row=1, col=1)
    fig.update_yaxes(title_text="confidence", range=[0, 1.05], row=2, col=1)
    fig.update_xaxes(title_text="seconds of audio", row=2, col=1)
    fig.update_layout(title="the clip with the aligned words (shade: confidence)", bargap=0)
    page.figure(fig, height=480)
    if au:
        page.note(f"{au.get('duration_s') or au.get('source_duration_s') or 0:.3f} s at "
                  f"{au.get('rate_hz', '?')} Hz, {au.get('samples_delivered', 0):,} samples "
                  f"delivered, {au.get('overrun_words', 0)} overrun words")
    if missing:
        page.note("not placed: " + ", ".join(w["text"] for w in missing))
    if al and al.get("words"):
        rows = [[str(w["index"]), w["text"],
                 f"{w['start_s']:.3f}" if w.get("found") else "-",
                 f"{w['end_s']:.3f}" if w.get("found") else "-",
                 f"{w['confidence']:.2f}" if w.get("confidence") is not None else "-"]
                for w in al["words"][:2000]]
        page.table(["#", "word", "start s", "end s", "confidence"], rows, text_columns=2)
