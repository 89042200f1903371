"""The headline figures of a run: does it fit, is it fast enough, what does it cost in energy.

One list, read from the JSON report, shown by both the terminal summary (rich) and the HTML
report, so the two always agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

OK, WARN, FAIL, INFO = "ok", "warn", "fail", "info"


@dataclass
class Headline:
    label: str
    value: str
    detail: str = ""
    status: str = INFO          # ok | warn | fail | info


def fmt_seconds(x: float | None) -> str:
    if x is None:
        return "-"
    if x >= 1:
        return f"{x:.4f} s"
    if x >= 1e-3:
        return f"{x * 1e3:.4f} ms"
    return f"{x * 1e6:.3f} µs"


def fmt_bytes(n: float | None) -> str:
    if n is None:
        return "-"
    if n >= 1 << 20:
        return f"{n / (1 << 20):.2f} MiB"
    if n >= 1 << 10:
        return f"{n / (1 << 10):.1f} KiB"
    return f"{n:.0f} B"


def fmt_joules(j: float | None) -> str:
    if j is None:
        return "-"
    if abs(j) >= 1:
        return f"{j:.4f} J"
    if abs(j) >= 1e-3:
        return f"{j * 1e3:.4f} mJ"
    return f"{j * 1e6:.3f} µJ"


def fmt_ratio(x: float | None) -> str:
    return "-" if x is None else f"{x:.4f}"


def fmt_ms(x: float | None) -> str:
    """Seconds shown in milliseconds (word timing errors)."""
    return "-" if x is None else f"{1000 * x:.1f} ms"


def fmt_percent(x: float | None) -> str:
    """A share (0..1) shown in percent."""
    return "-" if x is None else f"{100 * x:.1f} %"


def busy_seconds(report: dict[str, Any]) -> float | None:
    """Seconds the core ran (not asleep) at the clocks it ran at."""
    au = report.get("audio") or {}
    if au.get("cpu_busy_s") is not None:
        return au["cpu_busy_s"]
    by_state = (report.get("energy") or {}).get("by_state") or {}
    if "run" in by_state:
        return by_state["run"]["time_s"]
    tm = report.get("timing") or {}
    hz = report["summary"].get("core_hz")
    if tm.get("busy_cycles") is not None and hz:
        return tm["busy_cycles"] / hz
    return None


def headlines(report: dict[str, Any]) -> list[Headline]:
    """Outcome, RAM, time and energy (plus alignment for aligner runs), most important first."""
    s = report["summary"]
    out: list[Headline] = []
    budget = report.get("budget_failures") or []
    strict = report.get("strict_failures") or []
    reason = s.get("exit_reason")
    good = reason in ("exit", "idle") and s.get("exit_code") == 0
    out.append(Headline("outcome", f"{reason} (code {s.get('exit_code')})",
                        report.get("diagnostic") or "", OK if good else FAIL))

    mem = report.get("memory") or {}
    regions = mem.get("regions") or {}
    worst = max(regions.items(), default=None,
                key=lambda kv: kv[1]["peak_bytes"] / max(kv[1].get("size") or 1, 1))
    ram_fail = any(b.startswith("peak RAM") for b in budget)      # memory.RamBudget.check
    detail = ""
    status = OK
    if worst is not None:
        name, r = worst
        share = r["peak_bytes"] / r["size"] if r.get("size") else None
        if share is not None:
            detail = f"fullest region {name}: {100 * share:.1f} % of {fmt_bytes(r['size'])}"
            status = WARN if share > 0.9 else OK
    if mem.get("overflow") or ram_fail:
        status = FAIL
    out.append(Headline("peak RAM", fmt_bytes(s.get("peak_ram_bytes")), detail, status))

    busy = busy_seconds(report)
    out.append(Headline("simulated time", fmt_seconds(s.get("simulated_s")),
                        f"at {s.get('core_hz', 0) / 1e6:g} MHz" if s.get("core_hz") else ""))
    share = busy / s["simulated_s"] if busy is not None and s.get("simulated_s") else None
    out.append(Headline("CPU busy", fmt_seconds(busy),
                        f"{100 * share:.1f} % of the simulated time" if share is not None else ""))
    au = report.get("audio") or {}
    if au.get("real_time_factor") is not None:
        rtf = au["real_time_factor"]
        lat = au.get("worst_block_latency_s")
        over = au.get("overrun_words") or 0
        detail = (f"worst block {lat * 1e3:.2f} ms" if lat is not None else "") + \
            (f", {over} overrun words" if over else "")
        out.append(Headline("real-time factor", f"{rtf:.4f}", detail.strip(", "),
                            FAIL if rtf >= 1 or over else OK))
    if s.get("energy_j") is not None:
        e = report.get("energy") or {}
        per_audio = e.get("energy_per_audio_second_j")
        detail = f"{s['average_power_w'] * 1e3:.1f} mW average at {e.get('vdd_v', 0):g} V"
        if per_audio is not None:
            detail += f"; {fmt_joules(per_audio)} per second of audio"
        energy_fail = any(b.startswith("energy") for b in budget)
        out.append(Headline("energy", fmt_joules(s["energy_j"]), detail,
                            FAIL if energy_fail else INFO))
    al = report.get("alignment")
    if al and al.get("answered") is not None:
        words = al.get("words") or []
        found = [w for w in words if w.get("found")]
        conf = [w["confidence"] for w in found if w.get("confidence") is not None]
        detail = f"mean confidence {sum(conf) / len(conf):.2f}" if conf else ""
        out.append(Headline("words aligned", f"{len(found)} of {len(words)}", detail,
                            OK if words and len(found) == len(words) else WARN))
    if budget or strict:
        out.append(Headline("gates", f"{len(budget) + len(strict)} failed",
                            "; ".join(budget + strict), FAIL))
    return out
