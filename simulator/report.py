"""Run reports: the JSON document (``--json``) and the human summary (rich)."""

from __future__ import annotations

import json
from dataclasses import fields
from pathlib import Path
from typing import Any

from . import json_safe
from .machine import Machine, RunResult

# 2: one key rule (a quantity's key ends with its SI unit symbol: _s, _hz, _j, _w, _v; sizes
#    _bytes; counts and addresses are plain nouns), integer clocks, "truncated", "dma",
#    "clock_periods", "simulator" (docs/report.schema.json, docs/formats.md).
REPORT_VERSION = 2
SCHEMA = "docs/report.schema.json"
MAX_SEGMENTS = 1000                 # time_segments kept (the last ones)
MAX_LOG = 2000                      # log lines kept (the first ones)
ENERGY_POINTS = 1000                # energy.timeline points (neighbouring segments merged)


def build_report(machine: Machine, result: RunResult, extra: dict[str, Any] | None = None,
                 vdd: float | None = None) -> dict[str, Any]:
    from .power import PowerModelError, energy, load
    mem = machine.ram.report()
    audio_s = None
    if machine.audio is not None:
        audio_s = len(machine.audio.source.mono) / machine.audio.source.rate
    try:
        power = energy(result.segments, machine.platform.revision, vdd, audio_seconds=audio_s,
                       data=load(machine.platform.power_data), max_points=ENERGY_POINTS)
    except PowerModelError as exc:
        power = None
        machine.log(f"warning: power model: {exc}")
        no_energy = f"no energy figures: {exc}"
    else:
        no_energy = None
    busy_cycles = result.cycles - result.sleep_cycles
    summary = {
        "exit_reason": result.exit_reason,
        "exit_code": result.exit_code,
        "cycles": result.cycles,
        "instructions": result.instructions,
        "core_hz": int(round(result.core_hz)),
        "simulated_s": result.seconds,
        "peak_ram_bytes": mem["peak_ram_bytes"],
        "energy_j": power.total_joules if power else None,
        "average_power_w": power.average_power_w if power else None,
    }
    from . import version_info
    truncated: dict[str, dict[str, int]] = {}
    report: dict[str, Any] = {
        "version": REPORT_VERSION,
        "schema": SCHEMA,
        "simulator": version_info(machine.platform),
        "firmware": str(machine.fw.path),
        "platform": {"name": machine.platform.name, "revision": machine.platform.revision,
                     "source": machine.platform.source},
        "summary": summary,
        "timing": {
            "model": machine.config.cost_model.name,
            "note": "static pipeline model (dual issue: CPI can be below 1, latencies, "
                    "multi-cycle instructions) plus I-cache, flash wait states and branch "
                    "prediction per block, D-cache and data-side bus latencies "
                    f"(--dcache {machine.config.dcache}), peripheral bus accesses "
                    "(docs/timing-model.md)",
            "busy_cycles": busy_cycles,
            "sleep_cycles": result.sleep_cycles,
            "cpi": (busy_cycles / result.instructions) if result.instructions else None,
            "clock_periods": clock_periods(result.segments),
            **_timing_breakdown(result.timing),
        },
        "warnings": result.warnings + ([no_energy] if no_energy else []),
        "memory": _renamed(mem, {"seconds": "time_s"}),
        "diagnostic": result.diagnostic,
        "fault": result.fault,
        # every fault the firmware raised (handled ones too): class, function, source line,
        # call stack and CFSR/HFSR/MMFAR/BFAR as its handler reads them
        "faults": list(getattr(machine, "fault_log", [])),
        "resets": result.resets,
        "console": {k: v.decode("utf-8", errors="replace") for k, v in result.console.items()},
        "exceptions_taken": {str(k): v for k, v in sorted(result.exceptions_taken.items())},
        "double_precision_emulated": result.dp_emulated,
        "unmodelled_peripheral_accesses": result.unmodelled_accesses,
        "unmodelled_registers": getattr(result, "unmodelled_registers", {}),
        "unmodelled_fields": getattr(result, "unmodelled_fields", {}),
        "time_segments": [_segment(s) for s in
                          _kept(truncated, "time_segments", result.segments, MAX_SEGMENTS,
                                last=True)],
        "energy": _energy(power) if power else None,
        "host": {"wall_s": result.wall_seconds, "fast_paths": result.host,
                 "instructions_per_s": result.instructions / result.wall_seconds
                 if result.wall_seconds > 0 else None},
        "log": _kept(truncated, "log", result.log, MAX_LOG),
        "dma": dma_losses(machine),
        "truncated": truncated,
    }
    # the timelines cover the whole run at a coarser step: say how many points they stand for
    if power is not None:
        note_truncated(report, "energy.timeline", len(result.segments), len(power.timeline),
                       "merged")
    note_truncated(report, "memory.timeline", getattr(machine.ram, "samples_seen", 0),
                   len(mem["timeline"]), "sampled")
    if result.interrupted is not None:
        # a signal ended the run: every figure covers only the time simulated until then
        report["incomplete"] = {**result.interrupted,
                                "note": "the run was interrupted; figures are partial"}
    if extra:
        report.update(extra)
    check(report)
    return report


def schema_path() -> Path:
    """docs/report.schema.json of this source tree."""
    return Path(__file__).resolve().parent.parent / SCHEMA


def validate(report: dict[str, Any]) -> None:
    """Raise jsonschema.ValidationError unless ``report`` follows docs/report.schema.json
    (needs the test dependency jsonschema)."""
    import jsonschema

    schema = json.loads(schema_path().read_text())
    jsonschema.Draft202012Validator(schema).validate(json.loads(json_safe.dumps(report)))


def check(report: dict[str, Any]) -> None:
    """Validate when H7SIM_VALIDATE_REPORTS is set (the test suite sets it, so every report
    the tests produce is checked against the published schema)."""
    import os
    if os.environ.get("H7SIM_VALIDATE_REPORTS"):
        validate(report)


def _renamed(o: Any, names: dict[str, str]) -> Any:
    """A copy of ``o`` with dict keys renamed at every depth."""
    if isinstance(o, dict):
        return {names.get(k, k): _renamed(v, names) for k, v in o.items()}
    if isinstance(o, list):
        return [_renamed(v, names) for v in o]
    return o


def _kept(truncated: dict, name: str, items: list, limit: int, last: bool = False) -> list:
    """``items`` cut to ``limit`` (the first or the last ones), noted in ``truncated``."""
    if len(items) <= limit:
        return list(items)
    truncated[name] = {"total": len(items), "kept": limit,
                       "which": "last" if last else "first"}
    return list(items[-limit:] if last else items[:limit])


def note_truncated(report: dict[str, Any], name: str, total: int, kept: int,
                   which: str = "first") -> None:
    """Record that the list at ``name`` (dotted path) holds ``kept`` of ``total`` items."""
    if total > kept:
        report.setdefault("truncated", {})[name] = {"total": total, "kept": kept,
                                                    "which": which}


def _segment(seg) -> dict[str, Any]:
    # one level deep (what asdict would deep-copy: the dicts and tuples of scalars a Segment
    # holds), ~10x cheaper than dataclasses.asdict on the up to 1,000 segments of a report
    d = {f.name: getattr(seg, f.name) for f in fields(seg)}
    for k, v in d.items():
        if isinstance(v, dict):
            d[k] = dict(v)
    d["duration_s"] = d.pop("seconds")
    d["core_hz"] = int(round(d["core_hz"]))
    if d.get("hclk_hz") is not None:
        d["hclk_hz"] = int(round(d["hclk_hz"]))
    d["clocks_hz"] = {k: int(round(v)) for k, v in d.pop("clocks").items()}
    return d


def _energy(power) -> dict[str, Any]:
    """The power model's EnergyReport under the report's key rule."""
    d = power.to_dict()
    return {
        "revision": d["revision"], "vdd_v": d["vdd"], "energy_j": d["total_joules"],
        "simulated_s": d["seconds"], "average_power_w": d["average_power_w"],
        "by_state": {k: {"time_s": v["seconds"], "energy_j": v["joules"],
                         "average_power_w": v.get("average_power_w"),
                         **({"count": v["count"]} if "count" in v else {})}
                     for k, v in d["by_state"].items()},
        "timeline": [{"time_s": p["t"], "duration_s": p["seconds"], "power_w": p["watts"],
                      "state": p["state"]} for p in d["timeline"]],
        "energy_per_audio_second_j": d["energy_per_audio_second_j"],
        "audio_s": d["audio_seconds"], "wakeups_charged": d["wakeups_charged"],
        "notes": d["notes"],
    }


def clock_periods(segments) -> list[dict[str, Any]]:
    """Cycles and time per core clock, over the whole run (all segments): the summary's
    cycles are their sum, its simulated_s the sum of their time (Stop and Standby add time
    without core cycles). CPI and seconds stay comparable across --cpu-freq changes."""
    out: dict[int, dict[str, Any]] = {}
    for s in segments:
        hz = int(round(s.core_hz))
        p = out.setdefault(hz, {"core_hz": hz, "cycles": 0, "time_s": 0.0})
        p["cycles"] += s.end_cycle - s.start_cycle
        p["time_s"] += s.seconds
    return sorted(out.values(), key=lambda p: -p["cycles"])


def dma_losses(machine: Machine) -> dict[str, Any]:
    """Data the DMA lost (peripherals/dma.py): half/complete interrupts raised while the
    previous one was still pending, circular buffer halves rewritten while their interrupt
    was still pending, and halves rewritten before the CPU read anything of them."""
    from peripherals.dma import DMA

    streams = []
    for p in machine.peripherals.values():
        if not isinstance(p, DMA):
            continue
        for st in p.streams:
            if st.lost_events or st.rewritten_halves or st.unread_halves:
                streams.append({"controller": p.name, "stream": st.index,
                                "lost_interrupts": st.lost_events,
                                "rewritten_halves": st.rewritten_halves,
                                "unread_halves": st.unread_halves})
    return {key: sum(s[key] for s in streams)
            for key in ("lost_interrupts", "rewritten_halves", "unread_halves")} | \
        {"streams": streams}


def strict_failures(report: dict[str, Any]) -> list[str]:
    """What --strict turns into exit 4: audio words lost to a full SAI FIFO, DMA interrupts
    lost, circular buffer halves overwritten before the firmware took them."""
    out = []
    au = report.get("audio") or {}
    if au.get("overrun_words"):
        out.append(f"audio overruns: {au['overrun_words']} words lost (--strict)")
    dma = report.get("dma") or {}
    if dma.get("lost_interrupts"):
        out.append(f"DMA: {dma['lost_interrupts']} half/complete interrupts raised while the "
                   "previous one was still pending (--strict)")
    if dma.get("rewritten_halves"):
        out.append(f"DMA: {dma['rewritten_halves']} circular buffer halves rewritten before "
                   "their interrupt was handled (--strict)")
    if dma.get("unread_halves"):
        out.append(f"DMA: {dma['unread_halves']} circular buffer halves rewritten before the "
                   "firmware read them (--strict)")
    return out


def _timing_breakdown(t: dict) -> dict:
    if not t:
        return {}
    ic = t["icache_hits"] + t["icache_misses"]
    br = t["branches_predicted"] + t["branches_mispredicted"]
    return {
        "stalls": {"operand_latency": t.get("stall_operand_cycles", 0),
                   "issue_restrictions": t.get("stall_issue_cycles", 0),
                   "icache_and_flash": t["stall_icache_cycles"],
                   "branch_mispredict": t["stall_branch_cycles"],
                   "peripheral_bus": t.get("stall_peripheral_cycles", 0),
                   "dcache_and_data_memory": (t["dcache"]["stall_measured_cycles"]
                                              + t["dcache"]["stall_estimated_cycles"])
                   if "dcache" in t else 0},
        "icache_hit_rate": t["icache_hits"] / ic if ic else None,
        "dcache_hit_rate": t["dcache"]["hit_rate"] if "dcache" in t else None,
        "dcache": t.get("dcache"),
        "icache": {"hits": t["icache_hits"], "misses": t["icache_misses"],
                   "uncached_line_fetches": t["uncached_line_fetches"]},
        "branch_prediction_rate": t["branches_predicted"] / br if br else None,
        "branches": {"predicted": t["branches_predicted"],
                     "mispredicted": t["branches_mispredicted"]},
    }


def write_json_atomic(path: Path | str, data: dict[str, Any]) -> None:
    """Write the JSON document with the common output rules (simulator/output.py): never a
    half-written file, ``-`` is stdout, pipes and symlinks honoured."""
    from .output import write_text
    if "summary" in data and "version" in data:
        check(data)
    write_text(path, json_safe.dumps(data, indent=2) + "\n")   # NaN / Infinity -> null


def print_summary(report: dict[str, Any], console) -> None:
    from rich.table import Table

    s = report["summary"]
    t = Table(title=f"{Path(report['firmware']).name} on {report['platform']['name']} "
                    f"rev {report['platform']['revision']}", show_header=False, title_justify="left")
    t.add_column(style="bold")
    t.add_column()
    reason = s["exit_reason"]
    t.add_row("exit", f"{reason} (code {s['exit_code']})")
    t.add_row("cycles", f"{s['cycles']:,}  ({report['timing']['model']})")
    t.add_row("instructions", f"{s['instructions']:,}")
    t.add_row("core clock", f"{s['core_hz'] / 1e6:g} MHz")
    t.add_row("simulated time", _fmt_seconds(s["simulated_s"]))
    tm = report["timing"]
    if tm.get("icache_hit_rate") is not None or tm.get("branch_prediction_rate") is not None:
        ic = tm.get("icache_hit_rate")
        br = tm.get("branch_prediction_rate")
        t.add_row("CPI / caches", f"CPI {tm['cpi']:.2f}"
                  + (f", I-cache hits {100 * ic:.1f} %" if ic is not None else ", I-cache off")
                  + (f", D-cache hits {100 * dc:.1f} %" if (dc := tm.get("dcache_hit_rate"))
                     is not None else "")
                  + (f", branches predicted {100 * br:.1f} %" if br is not None else ""))
        st = tm["stalls"]
        t.add_row("stalls", f"operands {st.get('operand_latency', 0):,}, "
                  f"issue rules {st.get('issue_restrictions', 0):,}, "
                  f"I-fetch/flash {st['icache_and_flash']:,}, "
                  f"mispredicts {st['branch_mispredict']:,}, "
                  f"D-cache/data memory {st.get('dcache_and_data_memory', 0):,}, "
                  f"peripheral bus {st.get('peripheral_bus', 0):,} cycles")
    if tm["sleep_cycles"]:
        t.add_row("asleep", f"{tm['sleep_cycles']:,} cycles "
                  f"({100 * tm['sleep_cycles'] / max(s['cycles'], 1):.1f} %)")
    au = report.get("audio")
    if au and au.get("delivered"):
        rtf = au.get("real_time_factor")
        lat = au.get("worst_block_latency_s")
        t.add_row("audio", f"{au.get('duration_s', 0):.3f} s at {au.get('rate_hz')} Hz"
                  + _source_rate(au) + f", CPU busy {au['cpu_busy_s']:.4f} s"
                  + (f", real-time factor {rtf:.4f}" if rtf is not None else "")
                  + (f", worst block {lat * 1e3:.2f} ms" if lat is not None else "")
                  + f", overruns {au.get('overrun_words', 0)}")
    mem = report["memory"]
    parts = ", ".join(f"{k} {v['peak_bytes']:,}" for k, v in mem["regions"].items())
    t.add_row("peak RAM", f"{s['peak_ram_bytes']:,} B  ({parts})")
    if mem.get("stack") and mem["stack"].get("peak"):
        st = mem["stack"]
        deep = st.get("deepest")
        where = (f"reached in {deep['where']}" if deep else
                 f"observed at {st['peak']['observed_at']}")
        t.add_row("stack peak", f"{st['peak']['bytes']:,} of {st['end'] - st['start']:,} B ({where})")
    if mem.get("heap") and mem["heap"].get("peak") and mem["heap"]["peak"]["bytes"]:
        grown = mem["heap"].get("last_growth")
        t.add_row("heap peak", f"{mem['heap']['peak']['bytes']:,} B"
                  + (f" (last grew in {grown['where']})" if grown else ""))
    rt = mem.get("rtos")
    if rt:
        for task in rt.get("tasks", []):
            hw = task.get("high_water_mark_bytes")
            size = task.get("stack_bytes")
            t.add_row(f"task {task['name']}",
                      (f"stack {size:,} B, " if size else "")
                      + (f"never used {hw:,} B (high-water mark)" if hw is not None
                         else "high-water mark unknown (stack not filled with 0xA5)"))
        if rt.get("heap"):
            h = rt["heap"]
            t.add_row(f"{rt['kernel']} heap", f"minimum ever free {h['minimum_ever_free_bytes']:,}"
                      + (f" of {h['total_bytes']:,} B" if h.get("total_bytes") else " B"))
    t.add_row("flash", f"{mem['flash_bytes']:,} B")
    if s["energy_j"] is None:
        t.add_row("energy", "n/a")
    else:
        e = report["energy"]
        parts = ", ".join(f"{k} {v['energy_j'] * 1e3:.3f}" for k, v in e["by_state"].items())
        line = (f"{s['energy_j'] * 1e3:.3f} mJ at {e['vdd_v']:g} V, "
                f"{s['average_power_w'] * 1e3:.1f} mW average ({parts} mJ)")
        if e.get("energy_per_audio_second_j") is not None:
            line += f"; {e['energy_per_audio_second_j'] * 1e3:.3f} mJ per second of audio"
        t.add_row("energy", line)
    host = report["host"]
    if host.get("instructions_per_s"):
        t.add_row("host speed", f"{host['instructions_per_s'] / 1e6:.1f} M instructions/s "
                  f"({host['wall_s']:.2f} s)")
    console.print(t)
    print_headlines(report, console)
    if report.get("diagnostic"):
        console.print(f"[bold red]{report['diagnostic']}[/]")
    if mem.get("overflow"):
        console.print(f"[bold red]{mem['overflow']}[/]")
    regs = report.get("unmodelled_registers") or {}
    if regs:
        top = ", ".join(f"{k} x{v}" for k, v in list(regs.items())[:6])
        more = f" and {len(regs) - 6} more registers" if len(regs) > 6 else ""
        console.print(f"[yellow]warning: {sum(regs.values()):,} accesses to blocks without a "
                      f"model (reads give reset values, writes are dropped): {top}{more}[/]")
    fields = report.get("unmodelled_fields") or {}
    if fields:
        top = ", ".join(f"{k} x{v}" for k, v in list(fields.items())[:6])
        more = f" and {len(fields) - 6} more" if len(fields) > 6 else ""
        console.print(f"[yellow]warning: writes to register fields stored without a modelled "
                      f"effect: {top}{more}[/]")
    for line in report.get("warnings", []):
        console.print(f"[yellow]warning: {line}[/]")
    for line in report.get("strict_failures", []):
        console.print(f"[bold red]{line}[/]")
    for line in report.get("budget_failures", []):
        console.print(f"[bold red]budget: {line}[/]")


def _source_rate(au: dict[str, Any]) -> str:
    """' (file at 8000 Hz, resampled 2/1: nothing above 4000 Hz)' when the clip was resampled:
    a file at a lower rate than the microphone's carries nothing above its own Nyquist
    frequency, which speech models notice (docs/alignment-results.md "8 kHz sources")."""
    src, rate = au.get("source_rate_hz"), au.get("rate_hz")
    if not src or not rate or src == rate:
        return ""
    empty = f": nothing above {src // 2} Hz" if src < rate else ""
    return f" (file at {src} Hz, resampled {au.get('resample', '?')}{empty})"


def print_headlines(report: dict[str, Any], console) -> None:
    """The headline figures (simulator.headline: the same as the HTML report's cards)."""
    from rich.markup import escape
    from rich.table import Table

    from .headline import headlines

    style = {"ok": "green", "warn": "yellow", "fail": "bold red", "info": "cyan"}
    t = Table(title="headline", show_header=False, title_justify="left", box=None,
              padding=(0, 1))
    t.add_column(style="bold")
    t.add_column(no_wrap=True)
    t.add_column(style="dim")
    for h in headlines(report):
        t.add_row(escape(h.label), f"[{style[h.status]}]{escape(h.value)}[/]", escape(h.detail))
    console.print(t)


def _fmt_seconds(x: float) -> str:
    if x >= 1:
        return f"{x:.4f} s"
    if x >= 1e-3:
        return f"{x * 1e3:.4f} ms"
    return f"{x * 1e6:.3f} µs"
