"""The batch aggregate in the terminal (rich): one table per clock, accuracy, the worst clips,
failures and failed gates."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..headline import fmt_bytes, fmt_joules, fmt_ms, fmt_percent, fmt_ratio, fmt_seconds


def print_batch(doc: dict[str, Any], console) -> None:
    from rich.markup import escape
    from rich.table import Table

    t = Table(title=f"batch: {doc['done']} of {doc['jobs']} jobs done"
                    + (f", {doc['reused']} reused" if doc.get("reused") else "")
                    + (f", {doc['failed']} failed" if doc["failed"] else "")
                    + f" ({doc.get('engine')}, {doc.get('workers')} workers)",
              title_justify="left")
    for col in ("clock", "jobs", "audio", "", "median", "p95", "max"):
        t.add_column(col, justify="left" if col in ("clock", "") else "right")
    fmts = {"busy_s": ("busy", fmt_seconds), "rtf": ("RTF", fmt_ratio),
            "peak_ram_bytes": ("peak RAM", fmt_bytes), "energy_j": ("energy", fmt_joules)}
    for label, g in doc["groups"].items():
        first = True
        for key, (name, f) in fmts.items():
            s = g[key]
            if not s["n"]:
                continue
            t.add_row(label if first else "", f"{g['done']}/{g['jobs']}" if first else "",
                      f"{g['audio_s']:.1f} s" if first else "", name, f(s["median"]),
                      f(s["p95"]), f(s["max"]))
            first = False
        for region, s in g["regions"].items():
            if s["n"]:
                t.add_row("", "", "", f"  {region}", fmt_bytes(s["median"]),
                          fmt_bytes(s["p95"]), fmt_bytes(s["max"]))
        t.add_section()
    console.print(t)
    tp = doc.get("throughput") or {}
    if tp.get("jobs_run") and tp.get("clip_s_per_wall_s"):
        console.print(f"throughput: {tp['jobs_run']} jobs run, {tp['audio_s']:.1f} s of audio "
                      f"in {tp['wall_s']:.1f} s: {tp['clip_s_per_wall_s']:.3f} clip-s per "
                      f"wall s; {tp['cpu_s_per_clip_s']:.2f} CPU s per clip-s inside the jobs",
                      highlight=False)
    acc_rows = [(label, g["accuracy"]) for label, g in doc["groups"].items() if g["accuracy"]]
    if acc_rows:
        a = Table(title="alignment accuracy (pooled over the clips with a reference)",
                  title_justify="left")
        for col in ("clock", "clips", "words", "word MAE", "within 20 ms", "within 50 ms",
                    "not placed"):
            a.add_column(col, justify="left" if col == "clock" else "right")
        for label, acc in acc_rows:
            a.add_row(label, str(acc["clips"]), str(acc["words"]), fmt_ms(acc["word_mae_s"]),
                      fmt_percent(acc["within_20ms"]), fmt_percent(acc["within_50ms"]),
                      str(acc["not_placed"]))
        console.print(a)
    names = {"slowest": ("slowest", fmt_ratio), "hungriest": ("most energy", fmt_joules),
             "most_ram": ("most RAM", fmt_bytes),
             "least_accurate": ("least accurate", fmt_percent)}
    out = doc.get("out")
    for key, (title, f) in names.items():
        items = doc["worst"].get(key) or []
        if items:
            console.print(f"[bold]{title}:[/] " + ", ".join(
                f"{escape(w['job'])} {f(w['value'])} "
                f"({escape(str(Path(out) / w['report']) if out else w['report'])})"
                for w in items[:3]), highlight=False)
    for r in doc["failures"]:
        console.print(f"[bold red]failed: {escape(r['name'])}: {escape(r['error'])}[/]")
    for g in doc["gate_failures"]:
        console.print(f"[bold red]gate: {escape(g['job'])}: "
                      f"{escape('; '.join(g['failures']))}[/]")
    console.print(f"aggregate: {escape(str(doc.get('out', '.')))}/batch.json", highlight=False)

