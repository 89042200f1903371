"""The batch's aggregate: distributions per clock, pooled accuracy, the worst clips, the gates.

Distributions are over the jobs that produced a report: median, 95th percentile (linear
interpolation between order statistics, numpy's default) and maximum of busy time, real-time
factor, peak RAM (total and per region) and energy per clip. Accuracy is pooled over all the
boundaries of a clock's clips (not a mean of per-clip means).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .accuracy import Accuracy
from .runner import JobResult

METRICS = (("busy_s", "busy time", "s"), ("rtf", "real-time factor", ""),
           ("peak_ram_bytes", "peak RAM", "B"), ("energy_j", "energy per clip", "J"))
WORST = 5


def stats(values: list[float | None]) -> dict[str, float | int | None]:
    v = np.array([x for x in values if x is not None], dtype=float)
    if len(v) == 0:
        return {"n": 0, "median": None, "p95": None, "max": None}
    return {"n": len(v), "median": float(np.median(v)), "p95": float(np.percentile(v, 95)),
            "max": float(v.max())}


def group_label(hz: int | None) -> str:
    return "firmware clock" if hz is None else f"{hz / 1e6:g} MHz"


def aggregate(results: list[JobResult], meta: dict[str, Any]) -> dict[str, Any]:
    rows = [r.row for r in results]
    done = [r for r in rows if r.get("status") == "done"]
    groups: dict[str, dict[str, Any]] = {}
    for hz in dict.fromkeys(r["cpu_freq_hz"] for r in rows):
        g_rows = [r for r in done if r["cpu_freq_hz"] == hz]
        g: dict[str, Any] = {"cpu_freq_hz": hz,
                             "jobs": sum(1 for r in rows if r["cpu_freq_hz"] == hz),
                             "done": len(g_rows)}
        for key, _label, _unit in METRICS:
            g[key] = stats([r.get(key) for r in g_rows])
        regions = sorted({k for r in g_rows for k in (r.get("regions") or {})})
        g["regions"] = {k: stats([(r.get("regions") or {}).get(k) for r in g_rows])
                        for k in regions}
        g["region_sizes"] = {k: next(((r.get("region_sizes") or {}).get(k) for r in g_rows
                                      if (r.get("region_sizes") or {}).get(k)), None)
                             for k in regions}
        g["audio_s"] = sum(r.get("audio_s") or 0.0 for r in g_rows)
        pooled = None
        scored = [r["accuracy"] for r in g_rows if r.get("accuracy")]
        if scored:
            acc = Accuracy(tolerance_ms=1000.0 * scored[0]["tolerance_s"])
            for a in scored:
                acc.add(Accuracy.from_dict(a))
            pooled = acc.to_dict()
            pooled["clips"] = len(scored)
        g["accuracy"] = pooled
        groups[group_label(hz)] = g
    worst = {
        "slowest": _top(done, lambda r: r.get("rtf") if r.get("rtf") is not None
                        else r.get("busy_s")),
        "hungriest": _top(done, lambda r: r.get("energy_j")),
        "most_ram": _top(done, lambda r: r.get("peak_ram_bytes")),
        "least_accurate": _top([r for r in done if r.get("accuracy")],
                               lambda r: r["accuracy"].get("accuracy") or 0.0, lowest=True),
    }
    failed = [r for r in rows if r.get("status") == "failed"]
    gates = [{"job": r["name"], "report": r["report"], "failures": r["gate_failures"]}
             for r in done if r.get("gate_failures")]
    exit_code = max((r.get("exit_code") or 0 for r in rows), default=0)
    return {"version": 2, **meta, "jobs": len(rows), "done": len(done), "failed": len(failed),
            "reused": sum(1 for r in results if r.reused), "exit_code": exit_code,
            "throughput": throughput(results, meta.get("wall_s")),
            "groups": groups, "worst": worst, "failures": failed, "gate_failures": gates,
            "rows": rows}


def throughput(results: list[JobResult], wall_s: float | None) -> dict[str, Any]:
    """What this run simulated (reused jobs aside): clip-seconds per wall second of the whole
    batch, and the host CPU time the jobs took per clip-second (meaningful on a loaded
    machine too; benchmarks/batch_throughput.py adds the engine's own overhead)."""
    ran = [r.row for r in results if not r.reused and r.status == "done"]
    audio = sum(r.get("audio_s") or 0.0 for r in ran)
    cpu = sum(r.get("worker_cpu_s") or 0.0 for r in ran)
    return {"jobs_run": len(ran), "audio_s": audio, "wall_s": wall_s,
            "clip_s_per_wall_s": audio / wall_s if wall_s and audio else None,
            "jobs_cpu_s": cpu, "cpu_s_per_clip_s": cpu / audio if audio else None}


def _top(rows: list[dict], key, lowest: bool = False) -> list[dict[str, Any]]:
    """The WORST rows with the highest (or lowest) key; ties by job name."""
    scored = [(key(r), r) for r in rows if key(r) is not None]
    scored.sort(key=lambda kv: (kv[0] if lowest else -kv[0], kv[1]["name"]))
    return [{"job": r["name"], "value": v, "report": r["report"]} for v, r in scored[:WORST]]
