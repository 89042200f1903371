"""The HTML page of a batch (``simulate batch --html``): distributions per clock, pooled
accuracy, the worst clips with links to their reports, failed jobs and failed gates."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import plotly.graph_objects as go

from ..headline import (FAIL, INFO, OK, Headline, fmt_bytes, fmt_joules, fmt_ms, fmt_percent,
                        fmt_ratio, fmt_seconds)
from .page import Page, link

BOX_METRICS = (("busy_s", "CPU busy per clip", "s"), ("rtf", "real-time factor", ""),
               ("energy_j", "energy per clip", "mJ"), ("peak_ram_bytes", "peak RAM", "KiB"))
SCALE = {"mJ": 1e3, "KiB": 1 / 1024, "s": 1.0, "": 1.0}


def batch_page(doc: dict[str, Any], links: dict[str, str] | None = None) -> Page:
    """``doc``: the aggregate (simulator.batch.aggregate); ``links``: job -> href of its page
    (default: its JSON report), relative to where the page is written."""
    links = links or {}
    rows = doc.get("rows") or []
    done = [r for r in rows if r.get("status") == "done"]
    page = Page(f"{Path(doc.get('firmware', 'firmware')).name}: batch of "
                f"{doc.get('clips', '?')} clips",
                f"{doc['jobs']} jobs ({doc['done']} done, {doc['failed']} failed, "
                f"{doc.get('reused', 0)} reused from an earlier run) on engine "
                f"{doc.get('engine', '?')}; manifest {doc.get('manifest', '?')}")
    page.section("Summary", "summary")
    cards = [Headline("jobs", f"{doc['done']} of {doc['jobs']}",
                      f"{doc['failed']} failed" if doc["failed"] else "all produced a report",
                      FAIL if doc["failed"] else OK),
             Headline("gates", f"{len(doc.get('gate_failures') or [])} failed",
                      "budgets and --min-accuracy per job",
                      FAIL if doc.get("gate_failures") else OK)]
    for label, g in doc["groups"].items():
        rtf = g["rtf"]
        if rtf["n"]:
            cards.append(Headline(f"RTF {label}", f"{rtf['p95']:.4f} p95",
                                  f"median {rtf['median']:.4f}, max {rtf['max']:.4f}",
                                  FAIL if rtf["max"] >= 1 else OK))
        acc = g.get("accuracy")
        if acc and acc.get("word_mae_s") is not None:
            cards.append(Headline(f"word MAE {label}", f"{1000 * acc['word_mae_s']:.1f} ms",
                                  f"{100 * (acc['within_20ms'] or 0):.1f} % within 20 ms, "
                                  f"{100 * (acc['within_50ms'] or 0):.1f} % within 50 ms, "
                                  f"{acc['not_placed']} words not placed", INFO))
    tp = doc.get("throughput") or {}
    if tp.get("clip_s_per_wall_s"):
        cards.append(Headline("throughput", f"{tp['clip_s_per_wall_s']:.3f} clip-s/s",
                              f"{tp['jobs_run']} jobs run, {tp['audio_s']:.1f} s of audio in "
                              f"{tp['wall_s']:.1f} s; {tp['cpu_s_per_clip_s']:.2f} CPU s per "
                              "clip-s inside the jobs", INFO))
    page.cards(cards)
    table = []
    for label, g in doc["groups"].items():
        table.append([label, f"{g['done']}/{g['jobs']}", f"{g['audio_s']:.1f} s",
                      *(_dist(g[k], u) for k, _l, u in BOX_METRICS)])
    page.table(["clock", "jobs", "audio", "busy median / p95 / max", "RTF median / p95 / max",
                "energy median / p95 / max", "peak RAM median / p95 / max"], table)
    if done:
        page.section("Distributions", "distributions")
        for key, label, unit in BOX_METRICS:
            fig = go.Figure()
            for glabel in doc["groups"]:
                hz = doc["groups"][glabel]["cpu_freq_hz"]
                vals = [r for r in done if r["cpu_freq_hz"] == hz and r.get(key) is not None]
                if vals:
                    fig.add_box(y=[r[key] * SCALE[unit] for r in vals], name=glabel,
                                text=[r["name"] for r in vals], boxpoints="all", jitter=0.4,
                                pointpos=0, hovertemplate="%{text}: %{y}<extra></extra>")
            if fig.data:
                fig.update_layout(title=f"{label} ({unit})" if unit else label,
                                  showlegend=False)
                page.figure(fig, height=340)
        _regions(page, doc, done)
    _accuracy(page, doc, done)
    page.section("Worst clips", "worst")
    titles = {"slowest": ("slowest (real-time factor, else busy time)", fmt_ratio),
              "hungriest": ("most energy per clip", fmt_joules),
              "most_ram": ("most peak RAM", fmt_bytes),
              "least_accurate": ("least accurate (share of boundaries within tolerance)",
                                 fmt_percent)}
    for key, (title, f) in titles.items():
        items = (doc.get("worst") or {}).get(key) or []
        if not items:
            continue
        page.raw(f"<h3>{title}</h3>")
        page.table(["job", "value", "report"],
                   [[w["job"], f(w["value"]), link(links.get(w["job"], w["report"]),
                                                   links.get(w["job"], w["report"]))]
                    for w in items])
    if doc.get("failures"):
        page.section("Failed jobs", "failed")
        page.table(["job", "error", "record"],
                   [[r["name"], r["error"], link(r["report"], r["report"])]
                    for r in doc["failures"]])
    if doc.get("gate_failures"):
        page.section("Failed gates", "gates")
        page.table(["job", "failures", "report"],
                   [[g["job"], "; ".join(g["failures"]),
                     link(links.get(g["job"], g["report"]), g["report"])]
                    for g in doc["gate_failures"]])
    page.section("All jobs", "jobs")
    page.table(["job", "exit", "audio", "busy", "RTF", "peak RAM", "energy", "word MAE",
                "within 50 ms", "not placed", "report"],
               [[r["name"], str(r.get("exit_code")),
                 fmt_seconds(r.get("audio_s")), fmt_seconds(r.get("busy_s")),
                 fmt_ratio(r.get("rtf")), fmt_bytes(r.get("peak_ram_bytes")),
                 fmt_joules(r.get("energy_j")),
                 fmt_ms((r.get("accuracy") or {}).get("word_mae_s")),
                 fmt_percent((r.get("accuracy") or {}).get("within_50ms")),
                 str((r.get("accuracy") or {}).get("not_placed", "")),
                 link(links.get(r["name"], r["report"]), "report")]
                if r.get("status") == "done" else
                [r["name"], str(r.get("exit_code")), "failed", r.get("error", ""), "", "", "",
                 "", "", "", link(r["report"], "record")]
                for r in rows])
    return page


def _regions(page: Page, doc: dict[str, Any], done: list[dict]) -> None:
    fig = go.Figure()
    for glabel, g in doc["groups"].items():
        names = list(g["regions"])
        if not names:
            continue
        fig.add_bar(x=names, y=[g["regions"][n]["max"] for n in names], name=f"max {glabel}",
                    hovertemplate="%{x}: %{y:,} B<extra></extra>")
        fig.add_bar(x=names, y=[g["regions"][n]["median"] for n in names],
                    name=f"median {glabel}", hovertemplate="%{x}: %{y:,} B<extra></extra>")
        sizes = g.get("region_sizes") or {}
        if any(sizes.get(n) for n in names):
            fig.add_scatter(x=names, y=[sizes.get(n) for n in names], mode="markers",
                            name="region size", marker={"symbol": "line-ew-open", "size": 40,
                                                        "color": "#24292f"})
    if fig.data:
        fig.update_layout(barmode="group", title="peak RAM per region over the clips",
                          yaxis_title="bytes", legend={"orientation": "h", "y": -0.2})
        page.figure(fig, height=380)


def _accuracy(page: Page, doc: dict[str, Any], done: list[dict]) -> None:
    scored = [r for r in done if r.get("accuracy")]
    if not scored:
        return
    page.section("Alignment accuracy", "accuracy")
    rows = []
    for label, g in doc["groups"].items():
        a = g.get("accuracy")
        if not a:
            continue
        rows.append([label, str(a["clips"]), str(a["words"]), fmt_ms(a["word_mae_s"]),
                     fmt_percent(a["within_20ms"]), fmt_percent(a["within_50ms"]),
                     str(a["not_placed"]), fmt_percent(a["accuracy"])])
    tol = 1000 * scored[0]["accuracy"]["tolerance_s"]
    page.table(["clock", "clips", "reference words", "word MAE", "within 20 ms",
                "within 50 ms", "not placed", f"accuracy (within {tol:g} ms)"], rows)
    fig = go.Figure(go.Histogram(x=[1000 * r["accuracy"]["word_mae_s"] for r in scored
                                    if r["accuracy"].get("word_mae_s") is not None],
                                 marker_color="#0969da", nbinsx=30))
    fig.update_layout(title="word MAE per clip", xaxis_title="ms", yaxis_title="clips")
    page.figure(fig, height=300)


def _dist(s: dict[str, Any], unit: str) -> str:
    if not s["n"]:
        return "-"
    f = {"s": fmt_seconds, "": fmt_ratio, "mJ": lambda x: fmt_joules(x),
         "KiB": lambda x: fmt_bytes(x)}[unit]
    return f"{f(s['median'])} / {f(s['p95'])} / {f(s['max'])}"

