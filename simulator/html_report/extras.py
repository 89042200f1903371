"""What the HTML report needs beyond the JSON report, taken from a finished run while the
machine, the profile and the audio clip are still at hand: the waveform envelope, the complete
list of clock changes, the calling-context tree and the source text of the hot loops.

Everything here is plain JSON data, so a page can also be drawn later from a stored report plus
these extras (``extras_from_report`` rebuilds what it can from the JSON alone).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

WAVE_POINTS = 2000          # min/max envelope buckets drawn for the waveform
MAX_CONTEXTS = 1500         # icicle nodes kept (the rest folded into their parents)
MAX_CLOCK_CHANGES = 2000
MAX_POWER_POINTS = 4000     # power timeline bars


def waveform(mono: np.ndarray, rate: int, points: int = WAVE_POINTS) -> dict[str, list]:
    """Min/max envelope of a mono clip in ``points`` buckets: t (bucket start, s), lo, hi."""
    n = len(mono)
    if n == 0:
        return {"t": [], "lo": [], "hi": []}
    buckets = max(1, min(points, n))
    edges = np.linspace(0, n, buckets + 1).astype(np.int64)
    edges = np.unique(edges)
    lo = np.minimum.reduceat(mono, edges[:-1])
    hi = np.maximum.reduceat(mono, edges[:-1])
    t = edges[:-1] / float(rate)
    return {"t": np.round(t, 5).tolist(), "lo": np.round(lo.astype(float), 4).tolist(),
            "hi": np.round(hi.astype(float), 4).tolist()}


def waveform_from_file(path: str | Path) -> dict[str, list] | None:
    """The envelope of an audio file (None when it cannot be read)."""
    try:
        from ..audio import AudioError, AudioSource
        src = AudioSource.open(path)
    except (AudioError, OSError):
        return None
    return waveform(src.mono, src.rate)


def clock_changes(segments: list[Any], limit: int = MAX_CLOCK_CHANGES) -> list[dict[str, Any]]:
    """One entry per change of core clock, AXI clock or voltage scale, with its start time."""
    out: list[dict[str, Any]] = []
    t = 0.0
    last = None
    for s in segments:
        key = (s.core_hz, s.hclk_hz, s.vos)
        if key != last:
            out.append({"t": t, "core_hz": s.core_hz, "hclk_hz": s.hclk_hz, "vos": s.vos,
                        "flash_latency": s.flash_latency})
            last = key
            if len(out) >= limit:
                break
        t += s.seconds
    return out


def contexts(profile: Any, max_nodes: int = MAX_CONTEXTS) -> list[dict[str, Any]]:
    """The calling-context tree (``profile.context_tree``) as icicle rows: id, parent, name,
    self and inclusive cycles. The sleep pseudo-function is left out (it has its own figure);
    the smallest contexts are folded into their parents' self cycles beyond ``max_nodes``."""
    from ..profile import PSEUDO_SLEEP, context_tree

    roots = [r for r in context_tree(profile) if r.name != PSEUDO_SLEEP]
    total = sum(r.incl_cycles for r in roots) or 1.0
    # keep the max_nodes largest contexts: a threshold on inclusive cycles
    incl = []

    def collect(n, depth: int) -> None:
        incl.append(n.incl_cycles)
        for c in n.children:
            collect(c, depth + 1)

    for r in roots:
        collect(r, 0)
    cut = sorted(incl, reverse=True)[max_nodes - 1] if len(incl) > max_nodes else 0.0
    cut = max(cut, total * 1e-5)
    rows: list[dict[str, Any]] = []

    def emit(n, parent: str, path: str) -> None:
        node_id = f"{path}/{n.name}"
        self_c = n.self_cycles
        kept = []
        for c in n.children:
            if c.incl_cycles >= cut:
                kept.append(c)
            else:
                self_c += c.incl_cycles
        rows.append({"id": node_id, "parent": parent, "name": n.name,
                     "self": round(self_c, 1), "incl": round(n.incl_cycles, 1)})
        seen: dict[str, int] = {}
        for c in kept:
            k = seen.get(c.name, 0)
            seen[c.name] = k + 1
            emit(c, node_id, node_id + (f"#{k}" if k else ""))

    for r in roots:
        emit(r, "", "")
    return rows


def loop_sources(profile: Any, top: int) -> dict[str, dict[str, Any]]:
    """For each hot loop (by its ``location`` key in the JSON profile): file, line and the text
    of the loop header's source line, when the source file is readable."""
    out: dict[str, dict[str, Any]] = {}
    fw = profile.fw
    for lp in profile.hot_loops(top):
        where = fw.line_at(lp.header) if fw is not None else None
        if not where:
            continue
        file, line = where
        out[lp.location] = {"file": file, "line": line, "text": source_line(file, line)}
    return out


def source_line(file: str | None, line: int | None) -> str | None:
    if not file or not line:
        return None
    try:
        with open(file, encoding="utf-8", errors="replace") as f:
            for k, text in enumerate(f, 1):
                if k == line:
                    return text.rstrip()
    except OSError:
        return None
    return None


def power_timeline(report: dict[str, Any], segments: list[Any],
                   max_points: int = MAX_POWER_POINTS) -> list[dict[str, Any]] | None:
    """The power timeline at a finer grain than the report's (which keeps 1000 points, so
    short run bursts between sleeps merge into 'mixed' ones): same model, same supply."""
    from ..power import PowerModelError, energy

    e = report.get("energy")
    if not e:
        return None
    try:
        tl = energy(segments, e["revision"], e["vdd_v"], max_points=max_points).timeline
        return [{"time_s": p["t"], "duration_s": p["seconds"], "power_w": p["watts"],
                 "state": p["state"]} for p in tl]          # the report's key rule
    except PowerModelError:
        return None


def extras_from_run(machine: Any, result: Any, report: dict[str, Any], profile: Any = None,
                    top: int = 15) -> dict[str, Any]:
    """Everything the page can use from a finished run (profile: a ``build_profile`` result)."""
    ex: dict[str, Any] = {"clock_changes": clock_changes(result.segments)}
    tl = power_timeline(report, result.segments)
    if tl is not None:
        ex["power_timeline"] = tl
    audio = getattr(machine, "audio", None)
    if audio is not None:
        ex["waveform"] = waveform(audio.source.mono, audio.source.rate)
    if profile is not None:
        ex["contexts"] = contexts(profile)
        ex["loop_sources"] = loop_sources(profile, top)
    return ex


def extras_from_report(report: dict[str, Any]) -> dict[str, Any]:
    """What can be rebuilt from a stored JSON report alone: the waveform (if the clip is still
    at its path) and the hot loops' source lines (if the sources are)."""
    ex: dict[str, Any] = {}
    path = (report.get("audio") or {}).get("path")
    if path:
        wf = waveform_from_file(path)
        if wf is not None:
            ex["waveform"] = wf
    prof = report.get("profile") or {}
    files = {f["name"]: f.get("file") for f in prof.get("functions", [])}
    src: dict[str, dict[str, Any]] = {}
    for lp in prof.get("loops", []):
        func, _, line = lp["location"].rpartition(":")
        file = files.get(func)
        if file and line.isdigit():
            src[lp["location"]] = {"file": file, "line": int(line),
                                   "text": source_line(file, int(line))}
    if src:
        ex["loop_sources"] = src
    return ex
