"""Profile exports: callgrind (callgrind_annotate, KCachegrind), speedscope JSON, and Chrome
trace-event JSON (Perfetto UI, chrome://tracing). See docs/profiling.md for what each holds
and which numbers are synthetic."""

from __future__ import annotations

from pathlib import Path

from . import json_safe
from .profile import ContextNode, Profile, context_tree

SPEEDSCOPE_SCHEMA = "https://www.speedscope.app/file-format-schema.json"


def _atomic_write(path: Path, text: str) -> None:
    from .output import write_text
    write_text(path, text)


def _unique_names(p: Profile) -> dict[int, str]:
    """Function display names, made unique (static functions may share a name)."""
    seen: dict[str, int] = {}
    for f in p.functions.values():
        seen[f.name] = seen.get(f.name, 0) + 1
    return {k: (f.name if seen[f.name] == 1 else f"{f.name}@{k:#x}")
            for k, f in p.functions.items()}


# --- callgrind ---------------------------------------------------------------------------------
def callgrind_text(p: Profile, cmd: str = "simulate profile") -> str:
    """Callgrind format (https://valgrind.org/docs/manual/cl-format.html): events Cycles and
    Ir, positions are source lines. Self cost per (function, file, line); calls per call site
    with the callee's inclusive cost shared out in proportion to call counts (gprof); calls
    inside a recursion cycle carry no inclusive cost (it is already counted once)."""
    names = _unique_names(p)
    fw = p.fw
    # self cost lines: (func) -> {(file, line): [cycles, ir]}
    cost: dict[int, dict[tuple[str, int], list[float]]] = {}
    for _a, k, file, line, cyc, ex in p.insn_rows:
        row = cost.setdefault(k, {}).setdefault((file, line), [0.0, 0])
        row[0] += cyc
        row[1] += ex
    lines = ["# callgrind format", "version: 1", "creator: h7sim simulate profile",
             f"cmd: {cmd}", "positions: line", "events: Cycles Ir",
             f"summary: {p.total_cycles} {p.instructions}", ""]
    by_caller: dict[int, list] = {}
    for c in p.calls:
        by_caller.setdefault(c.caller, []).append(c)

    def file_of(k: int) -> str:
        f = p.functions[k]
        return f.file or "???"

    for k, f in sorted(p.functions.items(), key=lambda kv: kv[0]):
        rows = cost.get(k, {})
        fl = file_of(k)
        lines.append(f"fl={fl}")
        lines.append(f"fn={names[k]}")
        if f.pseudo:
            lines.append(f"0 {int(f.self_cycles)} 0")
        # integer costs whose sum equals the block total: carry the rounding remainder
        carry = 0.0
        cur_file = fl
        for (file, line), (cyc, ir) in sorted(rows.items(), key=lambda kv: (kv[0][0] != fl, kv[0])):
            if file != cur_file:
                lines.append(f"fi={file}")
                cur_file = file
            v = cyc + carry
            iv = int(round(v))
            carry = v - iv
            lines.append(f"{line} {iv} {ir}")
        if cur_file != fl:
            lines.append(f"fe={fl}")
        for c in by_caller.get(k, []):
            ln = fw.line_at(c.site)
            pos = ln[1] if ln else 0
            if ln and ln[0] != fl:
                lines.append(f"fi={ln[0]}")
            callee = p.functions[c.callee]
            lines.append(f"cfi={file_of(c.callee)}")
            lines.append(f"cfn={names[c.callee]}")
            lines.append(f"calls={c.count} {callee.line or 0}")
            lines.append(f"{pos} {int(round(c.incl_cycles))} {int(round(c.incl_ir))}")
            if ln and ln[0] != fl:
                lines.append(f"fe={fl}")
        lines.append("")
    lines.append(f"totals: {p.total_cycles} {p.instructions}")
    return "\n".join(lines) + "\n"


def write_callgrind(p: Profile, path: Path, cmd: str = "simulate profile") -> None:
    _atomic_write(path, callgrind_text(p, cmd))


# --- speedscope --------------------------------------------------------------------------------
def speedscope_doc(p: Profile, name: str = "firmware") -> dict:
    """A speedscope "sampled" profile: one weighted sample per calling context (the synthetic
    context tree of :func:`simulator.profile.context_tree`), weights in core cycles."""
    frames: list[dict] = []
    index: dict[int, int] = {}

    def frame(node: ContextNode) -> int:
        i = index.get(node.key)
        if i is None:
            f = p.functions.get(node.key)
            fr = {"name": node.name}
            if f is not None and f.file:
                fr["file"] = f.file
                if f.line:
                    fr["line"] = f.line
            i = index[node.key] = len(frames)
            frames.append(fr)
        return i

    samples: list[list[int]] = []
    weights: list[float] = []

    def walk(node: ContextNode, stack: list[int]) -> None:
        st = stack + [frame(node)]
        if node.self_cycles > 0:
            samples.append(st)
            w = node.self_cycles
            weights.append(int(w) if float(w).is_integer() else round(w, 3))
        for ch in node.children:
            walk(ch, st)

    for root in context_tree(p):
        walk(root, [])
    total = float(sum(weights))
    return {
        "$schema": SPEEDSCOPE_SCHEMA,
        "shared": {"frames": frames},
        "profiles": [{
            "type": "sampled", "name": f"{name} (core cycles, synthetic contexts)",
            "unit": "none", "startValue": 0,
            "endValue": int(total) if total.is_integer() else total,
            "samples": samples, "weights": weights}],
        "name": name, "activeProfileIndex": 0, "exporter": "h7sim simulate profile",
    }


def write_speedscope(p: Profile, path: Path, name: str = "firmware") -> None:
    _atomic_write(path, json_safe.dumps(speedscope_doc(p, name)))


# --- Chrome trace events (Perfetto) -------------------------------------------------------------
def chrome_trace_doc(p: Profile, name: str = "firmware") -> dict:
    """Trace-event JSON. The counters cannot give a real timeline (no call order), so the
    calling-context tree is laid out as one: each context is a complete ("X") event whose
    duration is its inclusive time at the final core clock, its callees placed back to back
    from its start and its self time after them. Plus one counter ("C") track with the
    per-function self cycles, and the totals in the metadata."""
    hz = p.core_hz or 1.0
    ns_per_cycle = 1e9 / hz
    ev: list[dict] = [
        {"ph": "M", "pid": 1, "name": "process_name", "args": {"name": name}},
        {"ph": "M", "pid": 1, "tid": 1, "name": "thread_name",
         "args": {"name": "synthetic calling-context timeline (not a recorded order)"}},
    ]

    def at(cycles: float) -> int:
        """A position in whole nanoseconds: one monotonic rounding for every boundary."""
        return int(round(cycles * ns_per_cycle))

    def walk(node: ContextNode, t0: float, limit: int) -> None:
        # a callee never starts before nor ends after its caller (clamped against float
        # rounding); timestamps are whole nanoseconds written in microseconds
        start = min(at(t0), limit)
        end = min(at(t0 + node.incl_cycles), limit)
        ts, dur = _span_us(start, end)
        ev.append({"ph": "X", "pid": 1, "tid": 1, "name": node.name, "cat": "function",
                   "ts": ts, "dur": dur,
                   "args": {"inclusive_cycles": round(node.incl_cycles, 1),
                            "self_cycles": round(node.self_cycles, 1)}})
        t = t0
        for ch in node.children:
            walk(ch, t, end)
            t += ch.incl_cycles

    t = 0.0
    for root in context_tree(p):
        walk(root, t, at(t + root.incl_cycles))
        t += root.incl_cycles
    # one counter track per hot function (self cycles), drawn over the whole span
    names = _unique_names(p)
    series = {names[f.key]: f.self_cycles for f in p.hot_functions(20)}
    for ts in (0, at(t) / 1000):
        ev.append({"ph": "C", "pid": 1, "name": "self cycles", "ts": ts, "args": series})
    return {"traceEvents": ev, "displayTimeUnit": "ns",
            "otherData": {"total_cycles": p.total_cycles, "core_hz": p.core_hz,
                          "note": "durations are exact per context under the gprof "
                                  "assumption; positions in time are synthetic"}}


def _span_us(start_ns: int, end_ns: int) -> tuple[float, float]:
    """(ts, dur) in microseconds such that ts + dur, added in doubles as readers do
    (speedscope, Perfetto), is exactly end_ns / 1000: the end of one event and the start of
    the next then compare equal, and a callee never ends after its caller by a rounding."""
    import math

    ts, end = start_ns / 1000, end_ns / 1000
    dur = end - ts
    for _ in range(8):
        got = ts + dur
        if got == end:
            break
        dur = math.nextafter(dur, math.inf if got < end else -math.inf)
    return ts, max(dur, 0.0)


def write_chrome_trace(p: Profile, path: Path, name: str = "firmware") -> None:
    _atomic_write(path, json_safe.dumps(chrome_trace_doc(p, name)))
