"""STM32H743 supply-current model: datasheet tables -> amps per simulated time segment.

The numbers come from ``stm32h743.toml`` (see :mod:`.data`); docs/power-model.md describes every
rule used here. Entry points:

* :func:`current_a` -- supply current of one segment (run | sleep | stop | standby | wakeup).
* :func:`energy` -- integrate a list of segments into an :class:`EnergyReport`.
* :func:`wakeup_cost` -- time and energy of one wake-up from sleep / stop / standby.
* :func:`operating_point` -- VOS, flash wait states and AXI clock a core frequency needs.

Segments are duck-typed (``simulator.machine.Segment`` or anything with the same attributes);
optional attributes the machine may add later are read with ``getattr``: ``clocks`` (dict of
RCC clock name -> Hz, e.g. pclk1), ``svos`` (3/4/5), ``flash_low_power`` (PWR_CR1.FLPS),
``pdds`` (PWR_CPUCR PDDS_D1..D3 bits), ``plls_on`` (number or collection of running PLLs),
``wake_from`` (for state "wakeup").
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import Any, Iterable, NamedTuple, Sequence

from .data import PowerData, load

MHZ = 1e6
STATES = ("run", "sleep", "stop", "standby", "wakeup")
# Code regions (platform region names) -> table location. Anything else: assumption A6.
ITCM_REGIONS = ("ITCM",)
FLASH_REGIONS = ("FLASH",)


class PowerModelError(ValueError):
    pass


# --- curves ----------------------------------------------------------------------------------

def _static_ma(d: PowerData, vos: int) -> float:
    """Frequency-independent current at scale ``vos`` (A1 x A2)."""
    return float(d.assumptions["static_ma_vos3"]) * d.vcore[vos] / d.vcore[3]


def _interp(points: Sequence[tuple[float, float]], static: float, mhz: float) -> tuple[float, str]:
    """Piecewise linear through (0, static) and the tabulated points; extended with the last
    slope above the highest point. Returns (mA, how)."""
    pts = [(0.0, static)] + [p for p in points if p[0] > 0]
    if mhz <= 0:
        return static, "static"
    for (f0, i0), (f1, i1) in zip(pts, pts[1:]):
        if mhz <= f1:
            if mhz == f1:
                return i1, "table"
            how = "interpolated" if f0 > 0 else "below-table (static + k*f)"
            return i0 + (i1 - i0) * (mhz - f0) / (f1 - f0), how
    (f0, i0), (f1, i1) = pts[-2], pts[-1]
    return i1 + (i1 - i0) / (f1 - f0) * (mhz - f1), "extrapolated-above"


def _pick_donor(curves: dict[int, list], vos: int, mhz: float) -> int | None:
    """Scale with a table to borrow for a scale without one (A2): prefer scales whose table
    reaches ``mhz``, then the nearest scale number."""
    if not curves:
        return None
    return min(curves, key=lambda v: (curves[v][-1][0] < mhz, abs(v - vos), v))


@lru_cache(maxsize=4096)
def _run_ma(src: str, rev: str, loc: str, vos: int, mhz: float) -> tuple[float, str]:
    d = load(src or None)
    rev_data, subst = d.data_revision("run", rev)
    curves = d.run[rev_data][loc]
    how_prefix = f"rev {rev_data} table (A3) " if subst else ""
    if vos in curves:
        static = _static_ma(d, vos)
        pts = curves[vos]
        itcm = d.run[rev_data]["itcm"].get(vos, [])
        if loc != "itcm" and mhz < pts[0][0] and itcm and itcm[0][0] < pts[0][0]:
            # Below the lowest flash point, borrow the measured low-frequency shape of the ITCM
            # curve of the same scale (dynamic part scaled to meet the flash point, A13).
            f0, i0 = pts[0]
            ref0, _ = _interp(itcm, static, f0)
            ref, _ = _interp(itcm, static, mhz)
            ma = static + (ref - static) * (i0 - static) / (ref0 - static)
            return ma, how_prefix + "below-table (ITCM shape, A13)"
        ma, how = _interp(pts, static, mhz)
        return ma, how_prefix + how
    donor = _pick_donor(curves, vos, mhz)
    if donor is None:
        raise PowerModelError(f"no run table for location {loc} on rev {rev}")
    ma, how = _interp(curves[donor], _static_ma(d, donor), mhz)
    return ma * d.vcore[vos] / d.vcore[donor], f"{how_prefix}{how}, VCORE-scaled from VOS{donor} (A2)"


@lru_cache(maxsize=4096)
def _sleep_ma(src: str, rev: str, vos: int, mhz: float) -> tuple[float, str]:
    d = load(src or None)
    rev_data, subst = d.data_revision("sleep", rev)
    curves = {v: [(f, off) for f, off, _on in pts] for v, pts in d.sleep[rev_data].items()}
    prefix = f"rev {rev_data} table (A3) " if subst else ""
    if vos in curves:
        ma, how = _interp(curves[vos], _static_ma(d, vos), mhz)
        return ma, prefix + how
    donor = _pick_donor(curves, vos, mhz)
    ma, how = _interp(curves[donor], _static_ma(d, donor), mhz)
    return ma * d.vcore[vos] / d.vcore[donor], f"{prefix}{how}, VCORE-scaled from VOS{donor} (A2)"


# --- segment attributes ----------------------------------------------------------------------

def _data(data: PowerData | None) -> PowerData:
    return data if data is not None else load()


def _src(d: PowerData) -> str:
    return str(d.source)


def _vos_of(seg: Any, d: PowerData, revision: str, notes: list[str]) -> int:
    vos = getattr(seg, "vos", None)
    if vos is None:
        mhz = (getattr(seg, "core_hz", 0.0) or 0.0) / MHZ
        try:
            vos = operating_point(mhz, revision, data=d).vos
        except PowerModelError:
            vos = min(d.scales[revision])
        notes.append(f"segment has no VOS: VOS{vos} assumed (the lowest-power scale for "
                     f"{mhz:g} MHz)")
    vos = int(vos)
    if vos not in d.scales[revision]:
        alt = min(d.scales[revision])
        notes.append(f"VOS{vos} does not exist on rev {revision}: charged as VOS{alt}")
        vos = alt
    return vos


def _clock_hz(seg: Any, name: str, d: PowerData, vos: int) -> float:
    clocks = getattr(seg, "clocks", None) or {}
    if name in clocks and clocks[name] is not None:
        return float(clocks[name])
    core = float(getattr(seg, "core_hz", 0.0) or 0.0)
    hclk = getattr(seg, "hclk_hz", None)
    if hclk is None:
        axi_max = d.max_mhz[vos][1] * MHZ
        hclk = core if core <= axi_max else core / 2
    hclk = float(hclk)
    if name == "hclk":
        return hclk
    if name == "cpu":
        return core
    if name.startswith("pclk"):
        return min(hclk, d.max_mhz[vos][2] * MHZ)     # A8
    return hclk


_BLOCK_BUS: dict[str, str] | None = None


def _block_bus(block: str) -> str | None:
    global _BLOCK_BUS
    if _BLOCK_BUS is None:
        try:
            from peripherals.rcc import ENABLE_BITS
            _BLOCK_BUS = {blk: bus for bus, bits in ENABLE_BITS.items() for blk in bits.values()}
        except Exception:          # pragma: no cover - the power model works without it
            _BLOCK_BUS = {}
    return _BLOCK_BUS.get(block)


def peripheral_current_a(block: str, seg: Any, vos: int, revision: str = "V",
                         data: PowerData | None = None) -> tuple[float, str, bool]:
    """(amps, clock name, assumed?) of one enabled block. Always-on memories return 0 (their
    current is part of the run/sleep tables)."""
    d = _data(data)
    e = d.peripherals.get(block)
    if e is not None:
        if e.always_on:
            return 0.0, e.clock, False
        ua = e.ua_per_mhz[vos] * e.instances
        clock, assumed = e.clock, False
    else:
        bus = _block_bus(block)
        clock = d.bus_clock.get(bus, "hclk") if bus else "hclk"
        ua = float(d.assumptions["default_peripheral_ua_per_mhz"][vos])    # A4
        assumed = True
    return ua * 1e-6 * _clock_hz(seg, clock, d, vos) / MHZ, clock, assumed


def _n_extra_plls(seg: Any, d: PowerData) -> int:
    plls = getattr(seg, "plls_on", None)
    if plls is None:
        return 0
    n = plls if isinstance(plls, (int, float)) else len(tuple(plls))
    return max(0, int(n) - int(d.assumptions.get("plls_included", 1)))


def _is_standby(seg: Any) -> bool:
    pdds = getattr(seg, "pdds", None)
    if pdds is None:
        return False
    if isinstance(pdds, int):
        return pdds & 0b111 == 0b111
    return all(bool(x) for x in pdds) and len(tuple(pdds)) >= 3


def _code_shares(seg: Any) -> dict[str, float]:
    """Table location -> share of the segment's run cycles."""
    cc = getattr(seg, "code_cycles", None) or {}
    total = sum(v for v in cc.values() if v > 0)
    if total <= 0:
        return {"flash": 1.0}             # no attribution: charged as flash code (A6)
    out: dict[str, float] = {}
    for region, n in cc.items():
        if n <= 0:
            continue
        loc = "itcm" if region in ITCM_REGIONS else "flash"    # FLASH, SRAMs, others (A6)
        out[loc] = out.get(loc, 0.0) + n / total
    return out


def _flash_ma(src: str, rev: str, vos: int, mhz: float, icache: bool, dcache: bool,
              d: PowerData) -> tuple[float, str]:
    on, how_on = _run_ma(src, rev, "flash_cache", vos, mhz)
    off, how_off = _run_ma(src, rev, "flash_nocache", vos, mhz)
    w = float(d.assumptions["icache_weight"]) * bool(icache) + \
        float(d.assumptions["dcache_weight"]) * bool(dcache)
    if w >= 1.0:
        return on, f"flash cache on: {how_on}"
    if w <= 0.0:
        return off, f"flash cache off: {how_off}"
    return off + w * (on - off), f"flash, one cache on: w={w:g} (A5) between {how_off} / {how_on}"


# --- public: current -------------------------------------------------------------------------

def current_a(segment: Any, revision: str = "V", vdd: float | None = None,
              data: PowerData | None = None) -> tuple[float, dict]:
    """Supply current (A) drawn on VDD during ``segment`` and its breakdown.

    ``vdd`` is accepted for symmetry and validated; with the LDO the current does not depend
    on it (A12)."""
    d = _data(data)
    src = _src(d)
    if revision not in d.scales:
        raise PowerModelError(f"unknown silicon revision {revision!r} "
                              f"(known: {', '.join(d.scales)})")
    vdd = _check_vdd(d, vdd)
    state = getattr(segment, "state", "run")
    if state == "stop" and _is_standby(segment):
        state = "standby"
    notes: list[str] = []
    bd: dict[str, Any] = {"state": state, "revision": revision, "vdd": vdd}
    mhz = float(getattr(segment, "core_hz", 0.0) or 0.0) / MHZ

    if state == "standby":
        rev_d, subst = d.data_revision("standby_ua", revision)
        amps = d.standby_ua[rev_d] * 1e-6
        bd.update(base_a=amps, base_source=f"standby table rev {rev_d}" + (" (A3)" if subst else ""))
        bd.update(peripherals_a={}, pll_a=0.0, total_a=amps, notes=notes)
        return amps, bd

    if state == "stop":
        rev_d, subst = d.data_revision("stop", revision)
        svos = int(getattr(segment, "svos", None) or 3)
        if svos not in d.stop[rev_d]:
            notes.append(f"SVOS{svos} unknown: SVOS3 charged")
            svos = 3
        flash_off = bool(getattr(segment, "flash_low_power", False))
        amps = d.stop[rev_d][svos][0 if flash_off else 1] * 1e-3
        bd.update(base_a=amps, svos=svos,
                  base_source=f"stop table rev {rev_d} SVOS{svos} flash "
                              f"{'off' if flash_off else 'on'}" + (" (A3)" if subst else ""))
        bd.update(peripherals_a={}, pll_a=0.0, total_a=amps, notes=notes)
        return amps, bd

    if state == "wakeup":
        frm = getattr(segment, "wake_from", "stop") or "stop"
        secs, joules = wakeup_cost(frm, segment=segment, revision=revision, vdd=vdd, data=d)
        amps = joules / (vdd * secs) if secs > 0 else 0.0
        bd.update(base_a=amps, base_source=f"wake-up from {frm} (A10)", peripherals_a={},
                  pll_a=0.0, total_a=amps, notes=notes)
        return amps, bd

    if state not in ("run", "sleep"):
        raise PowerModelError(f"unknown power state {state!r} (known: {', '.join(STATES)})")

    vos = _vos_of(segment, d, revision, notes)
    bd.update(vos=vos, core_mhz=mhz)
    if mhz > d.max_mhz[vos][0] + 1e-9:
        notes.append(f"core clock {mhz:g} MHz above the VOS{vos} limit {d.max_mhz[vos][0]:g} MHz")

    if state == "run":
        parts: dict[str, dict] = {}
        base_ma = 0.0
        for loc, share in sorted(_code_shares(segment).items()):
            if loc == "itcm":
                ma, how = _run_ma(src, revision, "itcm", vos, mhz)
            else:
                ma, how = _flash_ma(src, revision, vos, mhz, getattr(segment, "icache", False),
                                    getattr(segment, "dcache", False), d)
            parts[loc] = {"share": share, "ma": ma, "how": how}
            base_ma += share * ma
        bd["base_source"] = parts
    else:
        base_ma, how = _sleep_ma(src, revision, vos, mhz)
        bd["base_source"] = {"sleep": {"share": 1.0, "ma": base_ma, "how": how}}
    base = base_ma * 1e-3

    periph: dict[str, float] = {}
    assumed: list[str] = []
    for blk in getattr(segment, "peripherals_on", ()) or ():
        a, _clock, was_assumed = peripheral_current_a(blk, segment, vos, revision, d)
        if a:
            periph[blk] = a
        if was_assumed:
            assumed.append(blk)
    if assumed:
        notes.append("peripherals without a datasheet figure, charged the default uA/MHz (A4): "
                     + ", ".join(assumed))
    pll = _n_extra_plls(segment, d) * d.pll_ma * 1e-3
    total = base + sum(periph.values()) + pll
    bd.update(base_a=base, peripherals_a=periph, pll_a=pll, total_a=total, notes=notes)
    return total, bd


def _check_vdd(d: PowerData, vdd: float | None) -> float:
    if vdd is None:
        return float(d.meta["default_vdd"])
    vdd = float(vdd)
    if not d.meta["vdd_min"] <= vdd <= d.meta["vdd_max"]:
        raise PowerModelError(f"VDD {vdd:g} V outside {d.meta['vdd_min']}..{d.meta['vdd_max']} V")
    return vdd


# --- public: wake-up -------------------------------------------------------------------------

def wakeup_cost(from_state: str, *, core_hz: float | None = None, vos: int | None = None,
                svos: int | None = None, flash_low_power: bool | None = None,
                segment: Any = None, revision: str = "V", vdd: float | None = None,
                data: PowerData | None = None) -> tuple[float, float]:
    """(seconds, joules) of one wake-up from ``from_state`` (sleep | stop | standby).

    ``segment`` (optional) is the low-power segment being left (for stop: its svos,
    flash_low_power, vos) or, for sleep, either segment of the transition (core_hz, vos,
    caches, code). Explicit keyword arguments override it. The energy is the time times the
    wake current of assumption A10."""
    d = _data(data)
    vdd = _check_vdd(d, vdd)
    w, a = d.wakeup, d.assumptions

    def attr(name: str, given: Any, default: Any) -> Any:
        if given is not None:
            return given
        v = getattr(segment, name, None) if segment is not None else None
        return default if v is None else v

    hz = float(attr("core_hz", core_hz, 64e6))
    if from_state == "sleep":
        secs = float(w["sleep_cycles"]) / hz
        class _Run:     # the point the core wakes into, running
            pass
        run = _Run()
        for k in ("vos", "hclk_hz", "icache", "dcache", "code_cycles", "peripherals_on",
                  "clocks", "plls_on"):
            setattr(run, k, getattr(segment, k, None) if segment is not None else None)
        run.state, run.core_hz = "run", hz
        if segment is None:       # nothing known: flash code with both caches on (A10)
            run.icache = run.dcache = True
        if vos is not None:
            run.vos = vos
        amps, _ = current_a(run, revision, vdd, d)
        return secs, secs * amps * vdd
    if from_state in ("stop", "standby"):
        s = int(attr("svos", svos, 3))
        flash_off = bool(attr("flash_low_power", flash_low_power, False))
        if from_state == "standby":
            secs = float(a["standby_wakeup_us"]) * 1e-6                       # A11
        elif s >= 5:
            secs = float(w["stop_svos5_us"]) * 1e-6
        elif s == 4:
            secs = float(a["stop_svos4_us"]) * 1e-6                           # A9
        elif flash_off:
            secs = float(a["stop_svos3_flash_off_us"]) * 1e-6                 # A9
        else:
            secs = float(w["stop_svos3_flash_on_us"]) * 1e-6
        v = attr("vos", vos, 3) if from_state == "stop" else 3
        if v not in d.scales[revision]:
            v = min(d.scales[revision])
        ma, _ = _run_ma(_src(d), revision, "flash_nocache", int(v),
                        float(a["wake_clock_mhz"]))                           # A10
        return secs, secs * ma * 1e-3 * vdd
    raise PowerModelError(f"wake-up from {from_state!r}: expected sleep, stop or standby")


# --- public: operating point -----------------------------------------------------------------

class OperatingPoint(NamedTuple):
    vos: int
    flash_wait_states: int
    wrhighfreq: int
    axi_hz: float


def required_wait_states(axi_hz: float, vos: int, data: PowerData | None = None) -> tuple[int, int] | None:
    """(LATENCY, WRHIGHFREQ) of the first flash wait-state row allowing ``axi_hz`` at ``vos``
    (the chip's [operating] table: RM0433 Table 17 on the H743)."""
    d = _data(data)
    assert d.operating is not None
    return d.operating.required_wait_states(axi_hz, vos)


def operating_point(freq_mhz: float, revision: str = "V", *, vos: int | None = None,
                    hpre: int | None = None, data: PowerData | None = None) -> OperatingPoint:
    """The voltage scale, flash wait states (LATENCY, WRHIGHFREQ) and AXI clock that a core
    clock of ``freq_mhz`` needs on ``revision``.

    The scale is the lowest-voltage one whose CPU limit reaches the frequency (unless ``vos``
    is given). The AXI divider is the smallest of 1, 2, 4, ... that keeps the AXI clock within
    the scale's limit (unless ``hpre`` is given). Raises PowerModelError if the revision cannot
    run that fast."""
    d = _data(data)
    if revision not in d.scales:
        raise PowerModelError(f"unknown silicon revision {revision!r}")
    if freq_mhz <= 0:
        raise PowerModelError("frequency must be positive")
    scales = d.scales[revision]
    if vos is None:
        ok = [v for v in scales if freq_mhz <= d.max_mhz[v][0] + 1e-9]
        if not ok:
            top = max(d.max_mhz[v][0] for v in scales)
            raise PowerModelError(f"{freq_mhz:g} MHz is above the {top:g} MHz maximum of "
                                  f"rev {revision} (DS12110 operating conditions)")
        vos = max(ok)               # higher number = lower VCORE = lower power
    elif vos not in scales:
        raise PowerModelError(f"VOS{vos} does not exist on rev {revision}")
    elif freq_mhz > d.max_mhz[vos][0] + 1e-9:
        raise PowerModelError(f"{freq_mhz:g} MHz above the VOS{vos} limit "
                              f"{d.max_mhz[vos][0]:g} MHz")
    axi_max = d.max_mhz[vos][1]
    if hpre is None:
        hpre = 1
        while freq_mhz / hpre > axi_max + 1e-9:
            hpre *= 2
    axi_hz = freq_mhz * MHZ / hpre
    ws = required_wait_states(axi_hz, vos, d)
    if ws is None:
        raise PowerModelError(f"no flash wait-state setting allows AXI {axi_hz / MHZ:g} MHz "
                              f"at VOS{vos} (RM0433 Table 17)")
    return OperatingPoint(vos, ws[0], ws[1], axi_hz)


# --- public: energy --------------------------------------------------------------------------

@dataclass
class EnergyReport:
    revision: str
    vdd: float
    total_joules: float
    seconds: float                      # simulated time covered by the segments
    average_power_w: float
    by_state: dict[str, dict[str, float]]   # state -> {seconds, joules, average_power_w[, count]}
    timeline: list[dict[str, Any]]      # {t, seconds, watts, state}; <= max_points entries
    energy_per_audio_second_j: float | None = None
    audio_seconds: float | None = None
    wakeups_charged: str = "auto"
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _thin(points: list[dict[str, Any]], max_points: int) -> list[dict[str, Any]]:
    n = len(points)
    if n <= max_points:
        return points
    step = math.ceil(n / max_points)
    out = []
    for i in range(0, n, step):
        chunk = points[i:i + step]
        secs = sum(p["seconds"] for p in chunk)
        joules = sum(p["watts"] * p["seconds"] for p in chunk)
        by: dict[str, float] = {}
        for p in chunk:
            by[p["state"]] = by.get(p["state"], 0.0) + p["seconds"]
        state = max(by, key=by.get) if len(by) == 1 else "mixed"
        out.append({"t": chunk[0]["t"], "seconds": secs,
                    "watts": joules / secs if secs > 0 else chunk[0]["watts"], "state": state})
    return out


def energy(segments: Iterable[Any], revision: str = "V", vdd: float | None = None, *,
           audio_seconds: float | None = None, wakeups: str = "auto", max_points: int = 1000,
           data: PowerData | None = None) -> EnergyReport:
    """Integrate V * I * t over ``segments``.

    wakeups: "auto" adds one wake-up (:func:`wakeup_cost`, energy only: its time is not in the
    segments) at every sleep/stop/standby -> run transition unless some segment already has
    state "wakeup"; "add" always does; "none" never does (use it when the machine charges
    wake-up time inside its segments)."""
    d = _data(data)
    vdd = _check_vdd(d, vdd)
    segs = list(segments)
    if wakeups not in ("auto", "add", "none"):
        raise PowerModelError("wakeups must be auto, add or none")
    add_wake = wakeups == "add" or (wakeups == "auto" and
                                    not any(getattr(s, "state", "") == "wakeup" for s in segs))
    by_state: dict[str, dict[str, float]] = {}
    points: list[dict[str, Any]] = []
    notes: set[str] = set()
    t = 0.0
    total = 0.0
    cache: dict[tuple, tuple[float, str]] = {}
    prev = None
    for s in segs:
        secs = float(getattr(s, "seconds", 0.0) or 0.0)
        key = _cache_key(s)
        if key is not None and key in cache:
            amps, state = cache[key]
        else:
            amps, bd = current_a(s, revision, vdd, d)
            state = bd["state"]
            notes.update(bd.get("notes", ()))
            if key is not None:
                cache[key] = (amps, state)
        watts = vdd * amps
        j = watts * secs
        b = by_state.setdefault(state, {"seconds": 0.0, "joules": 0.0})
        b["seconds"] += secs
        b["joules"] += j
        if state == "wakeup":                       # a wake-up the machine timed itself
            b["count"] = b.get("count", 0) + 1
        total += j
        points.append({"t": t, "seconds": secs, "watts": watts, "state": state})
        t += secs
        if add_wake and prev is not None and state == "run" and prev[1] in ("sleep", "stop",
                                                                               "standby"):
            ws, wj = wakeup_cost(prev[1], segment=_merge_wake(prev[0], s, prev[1]),
                                 revision=revision, vdd=vdd, data=d)
            w = by_state.setdefault("wakeup", {"seconds": 0.0, "joules": 0.0, "count": 0})
            w["seconds"] += ws
            w["joules"] += wj
            w["count"] += 1
            total += wj
        prev = (s, state)
    for b in by_state.values():
        b["average_power_w"] = b["joules"] / b["seconds"] if b["seconds"] > 0 else 0.0
    if "wakeup" in by_state and add_wake:
        notes.add("wake-up energy added per transition (wakeup_cost); its time is not part of "
                  "the simulated seconds")
    per_audio = total / audio_seconds if audio_seconds else None
    return EnergyReport(revision=revision, vdd=vdd, total_joules=total, seconds=t,
                        average_power_w=total / t if t > 0 else 0.0, by_state=by_state,
                        timeline=_thin(points, max_points), energy_per_audio_second_j=per_audio,
                        audio_seconds=audio_seconds,
                        wakeups_charged="added" if add_wake else
                        ("simulated" if "wakeup" in by_state else "none"), notes=sorted(notes))


def _merge_wake(low: Any, run: Any, state: str) -> Any:
    """For a sleep wake-up the run point woken into matters; for stop the stop segment."""
    return run if state == "sleep" else low


def _cache_key(s: Any) -> tuple | None:
    try:
        cc = getattr(s, "code_cycles", None) or {}
        tot = sum(cc.values()) or 1
        clocks = getattr(s, "clocks", None) or {}
        plls = getattr(s, "plls_on", None)
        pdds = getattr(s, "pdds", None)
        return (getattr(s, "state", "run"), getattr(s, "core_hz", None), getattr(s, "vos", None),
                getattr(s, "hclk_hz", None), bool(getattr(s, "icache", False)),
                bool(getattr(s, "dcache", False)),
                tuple(sorted((k, round(v / tot, 6)) for k, v in cc.items())),
                tuple(getattr(s, "peripherals_on", ()) or ()), tuple(sorted(clocks.items())),
                getattr(s, "svos", None), getattr(s, "flash_low_power", None),
                tuple(pdds) if isinstance(pdds, (list, tuple)) else pdds,
                tuple(plls) if isinstance(plls, (list, tuple, set, frozenset)) else plls,
                getattr(s, "wake_from", None))
    except TypeError:
        return None


# --- public: what-if clock -------------------------------------------------------------------

@dataclass
class WhatIf:
    segments: list[Any]
    operating_point: OperatingPoint
    from_hz: float
    busy_seconds_before: float
    busy_seconds_after: float
    overrun_seconds: float              # busy time that no longer fits in the sleep time
    notes: list[str] = field(default_factory=list)


def what_if_clock(segments: Iterable[Any], freq_mhz: float, revision: str = "V", *,
                  keep_wall_time: bool = True, data: PowerData | None = None) -> WhatIf:
    """Re-time a run as if the firmware had set its main clock to ``freq_mhz``.

    The segments at the run's main clock (the fastest run-segment clock) keep their cycle
    counts and get the new clock, the operating point's VOS, AXI clock and wait states. With
    ``keep_wall_time`` (a real-time workload: audio paced by its sample clock, a timer tick)
    the busy time gained or lost is given back to / taken from the sleep segments at that
    clock, so the total time stays the same; busy time that no longer fits is reported as
    ``overrun_seconds`` (the firmware would fall behind). Segments at other clocks (boot on HSI)
    and stop/standby segments are unchanged. Cycle counts are kept as simulated: the flash
    wait states and CPU/AXI ratio of the new point change cache-miss costs in the timing
    model, so this is an estimate; for exact cycles rerun firmware built for that clock."""
    import copy
    d = _data(data)
    segs = list(segments)
    op = operating_point(freq_mhz, revision, data=d)
    new_hz = freq_mhz * MHZ
    runs = [s for s in segs if getattr(s, "state", "run") == "run"]
    if not runs:
        return WhatIf([copy.copy(s) for s in segs], op, 0.0, 0.0, 0.0, 0.0, ["no run segment"])
    main_hz = max(float(s.core_hz) for s in runs)

    def moved(s: Any, seconds: float) -> Any:
        n = copy.copy(s)
        n.core_hz, n.seconds, n.vos, n.hclk_hz = new_hz, seconds, op.vos, op.axi_hz
        if hasattr(n, "flash_latency"):
            n.flash_latency = op.flash_wait_states
        clocks = getattr(n, "clocks", None)
        if clocks:
            n.clocks = {k: v * new_hz / main_hz for k, v in clocks.items()}
        return n

    out: list[Any] = []
    before = after = 0.0
    for s in segs:
        if getattr(s, "core_hz", None) == main_hz and getattr(s, "state", "run") == "run":
            secs = float(s.seconds) * main_hz / new_hz
            before += float(s.seconds)
            after += secs
            out.append(moved(s, secs))
        elif getattr(s, "core_hz", None) == main_hz and getattr(s, "state", "") == "sleep":
            out.append(moved(s, float(s.seconds)))
        else:
            out.append(copy.copy(s))
    overrun = 0.0
    notes = []
    if keep_wall_time:
        delta = after - before          # > 0: slower clock, less sleep
        sleeps = [s for s in out if getattr(s, "state", "") == "sleep" and s.core_hz == new_hz]
        total_sleep = sum(float(s.seconds) for s in sleeps)
        if delta > 0 and delta > total_sleep:
            overrun = delta - total_sleep
            notes.append(f"busy time grows by {delta:.6g} s but only {total_sleep:.6g} s of sleep "
                         f"is left: the firmware would not keep up")
        if total_sleep > 0:
            scale = max(0.0, (total_sleep - delta) / total_sleep)
            for s in sleeps:
                s.seconds = float(s.seconds) * scale
        elif delta < 0:
            notes.append("no sleep segment at the main clock: the time saved is not turned "
                         "into sleep")
    return WhatIf(out, op, main_hz, before, after, overrun, notes)


def sweep(segments: Iterable[Any], freqs_mhz: Iterable[float], revision: str = "V",
          vdd: float | None = None, *, audio_seconds: float | None = None,
          keep_wall_time: bool = True, data: PowerData | None = None) -> list[dict[str, Any]]:
    """One row per frequency: the operating point and the energy of the run re-timed there by
    :func:`what_if_clock` (for ``simulate sweep``). A frequency the revision cannot run gives a
    row with ``error`` set instead of raising."""
    d = _data(data)
    segs = list(segments)
    rows: list[dict[str, Any]] = []
    for f in freqs_mhz:
        row: dict[str, Any] = {"cpu_mhz": float(f)}
        try:
            w = what_if_clock(segs, f, revision, keep_wall_time=keep_wall_time, data=d)
        except PowerModelError as exc:
            row["error"] = str(exc)
            rows.append(row)
            continue
        rep = energy(w.segments, revision, vdd, audio_seconds=audio_seconds, data=d)
        op = w.operating_point
        row.update(vos=op.vos, flash_wait_states=op.flash_wait_states,
                   wrhighfreq=op.wrhighfreq, axi_mhz=op.axi_hz / MHZ,
                   busy_seconds=w.busy_seconds_after, seconds=rep.seconds,
                   energy_joules=rep.total_joules, average_power_w=rep.average_power_w,
                   energy_per_audio_second_j=rep.energy_per_audio_second_j,
                   overrun_seconds=w.overrun_seconds, notes=w.notes)
        rows.append(row)
    return rows
