"""Loading of the power data file (``stm32h743.toml`` next to this module).

All chip numbers live in the TOML file; this module only reads and indexes them.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from peripherals.operating import OperatingLimits

DATA_FILE = Path(__file__).with_name("stm32h743.toml")
LOCATIONS = ("itcm", "flash_cache", "flash_nocache")


@dataclass(frozen=True)
class PeripheralEntry:
    name: str
    clock: str
    ua_per_mhz: tuple[float, float, float, float]     # VOS0..VOS3
    always_on: bool = False
    instances: int = 1


@dataclass
class PowerData:
    raw: dict
    source: Path
    vcore: dict[int, float] = field(default_factory=dict)
    max_mhz: dict[int, tuple[float, float, float]] = field(default_factory=dict)
    scales: dict[str, tuple[int, ...]] = field(default_factory=dict)
    # run[rev][loc][vos] = sorted [(mhz, ma), ...]
    run: dict[str, dict[str, dict[int, list[tuple[float, float]]]]] = field(default_factory=dict)
    run_all_on: dict[str, dict[str, dict[int, list[tuple[float, float]]]]] = field(default_factory=dict)
    # sleep[rev][vos] = sorted [(mhz, ma_off, ma_all_on)]
    sleep: dict[str, dict[int, list[tuple[float, float, float]]]] = field(default_factory=dict)
    stop: dict[str, dict[int, tuple[float, float]]] = field(default_factory=dict)   # svos -> (off, on)
    standby_ua: dict[str, float] = field(default_factory=dict)
    peripherals: dict[str, PeripheralEntry] = field(default_factory=dict)
    bus_clock: dict[str, str] = field(default_factory=dict)
    operating: OperatingLimits | None = None    # [operating]: scales, flash wait states
    pll_ma: float = 1.0
    wakeup: dict = field(default_factory=dict)
    assumptions: dict = field(default_factory=dict)
    meta: dict = field(default_factory=dict)

    @property
    def revisions(self) -> tuple[str, ...]:
        return tuple(self.scales)

    def data_revision(self, table: str, revision: str) -> tuple[str, bool]:
        """The revision whose ``table`` is used for ``revision`` and whether that is a
        substitution (assumption A3: rev Y uses rev V sleep/stop/standby/peripheral data)."""
        tables = getattr(self, table)
        if revision in tables:
            return revision, False
        return self.meta.get("default_revision", "V"), True


def _points(rows) -> dict[int, list[tuple[float, float]]]:
    out: dict[int, list[tuple[float, float]]] = {}
    for vos, mhz, ma in rows:
        out.setdefault(int(vos), []).append((float(mhz), float(ma)))
    for pts in out.values():
        pts.sort()
    return out


def load(path: str | Path | None = None) -> PowerData:
    """The power data of a chip. A file without a table the model needs (a chip whose
    datasheet figures are not in it: ``[meta] missing`` says why) is a PowerModelError: the
    run goes on and reports no energy."""
    where = str(Path(path) if path else DATA_FILE)
    try:
        return _load_cached(where)
    except KeyError as exc:
        from .model import PowerModelError
        with open(where, "rb") as f:
            why = tomllib.load(f).get("meta", {}).get("missing", "")
        raise PowerModelError(f"{Path(where).name} has no {exc} table"
                              + (f": {why}" if why else "")) from exc


@lru_cache(maxsize=8)
def _load_cached(path: str) -> PowerData:
    with open(path, "rb") as f:
        raw = tomllib.load(f)
    d = PowerData(raw=raw, source=Path(path), meta=raw["meta"])
    d.scales = {rev: tuple(int(s) for s in v["scales"]) for rev, v in raw["revisions"].items()}
    for rev, locs in raw["run"].items():
        d.run[rev] = {loc: _points(locs[loc]) for loc in LOCATIONS if loc in locs}
    d.operating = OperatingLimits.from_table(raw["operating"])
    for k, s in d.operating.scales.items():
        if s.vcore is None or s.cpu_hz is None:          # a chip without power figures
            raise KeyError(f"operating.scale.{k} vcore/cpu_mhz")
        d.vcore[k] = s.vcore
        d.max_mhz[k] = (s.cpu_hz / 1e6, s.hclk_hz / 1e6, min(s.pclk_hz.values()) / 1e6)
    for rev, locs in raw.get("run_all_peripherals_on", {}).items():
        d.run_all_on[rev] = {loc: _points(locs[loc]) for loc in LOCATIONS if loc in locs}
    for rev, v in raw["sleep"].items():
        pts: dict[int, list[tuple[float, float, float]]] = {}
        for vos, mhz, off, on in v["points"]:
            pts.setdefault(int(vos), []).append((float(mhz), float(off), float(on)))
        d.sleep[rev] = {k: sorted(p) for k, p in pts.items()}
    for rev, v in raw["stop"].items():
        d.stop[rev] = {int(k[4:]): (float(x[0]), float(x[1])) for k, x in v.items()}
    d.standby_ua = {rev: float(v["ua"]) for rev, v in raw["standby"].items()}
    for name, v in raw["peripherals"].items():
        d.peripherals[name] = PeripheralEntry(
            name, v["clock"], tuple(float(x) for x in v["ua_per_mhz"]),
            bool(v.get("always_on", False)), int(v.get("instances", 1)))
    d.bus_clock = dict(raw["bus_clock"])
    d.pll_ma = float(raw["pll"]["ma"])
    d.wakeup = dict(raw["wakeup"])
    d.assumptions = dict(raw["assumptions"])
    return d
