"""A chip's operating limits: per voltage scale the highest clocks it allows, and the flash
wait states a clock needs. Read from the ``[operating]`` table of the chip's power data file
(simulator/power/<chip>.toml), the one place these facts live: the RCC models judge a clock
configuration by it, the FLASH models a LATENCY setting, the power model picks an operating
point for a --cpu-freq override.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

MHZ = 1e6


@dataclass(frozen=True)
class ScaleLimits:
    """Highest clocks at one voltage scale (Hz); ``hclk_overdrive_hz`` where the chip has an
    over-drive mode that raises it, ``cpu_hz`` None where the CPU runs at HCLK."""

    hclk_hz: float
    pclk_hz: Mapping[str, float]
    cpu_hz: float | None = None
    hclk_overdrive_hz: float | None = None
    vcore: float | None = None

    def hclk_limit(self, overdrive: bool) -> float:
        if overdrive and self.hclk_overdrive_hz is not None:
            return self.hclk_overdrive_hz
        return self.hclk_hz


@dataclass(frozen=True)
class FlashRow:
    """One row of the wait-state table: LATENCY (and WRHIGHFREQ where the chip has it) allowed
    up to ``max_hz[scale]`` of the flash clock; None = not allowed at that scale."""

    latency: int
    wrhighfreq: int
    max_hz: Mapping[int, float | None]


@dataclass(frozen=True)
class OperatingLimits:
    scales: Mapping[int, ScaleLimits]
    flash: tuple[FlashRow, ...]
    scale_label: str          # how the chip's manual names a scale: "VOS{}", "scale {}"
    limits_source: str        # where the clock limits come from, quoted in warnings
    flash_source: str         # where the wait-state table comes from

    @classmethod
    def from_table(cls, t: Mapping) -> OperatingLimits:
        default_pclk = t.get("pclk_mhz", {})
        scales: dict[int, ScaleLimits] = {}
        for key, s in t["scale"].items():
            pclk = s.get("pclk_mhz", default_pclk)
            if not isinstance(pclk, Mapping):
                pclk = {name: pclk for name in t["pclks"]}
            scales[int(key)] = ScaleLimits(
                hclk_hz=float(s["hclk_mhz"]) * MHZ,
                pclk_hz={name: float(v) * MHZ for name, v in pclk.items()},
                cpu_hz=float(s["cpu_mhz"]) * MHZ if "cpu_mhz" in s else None,
                hclk_overdrive_hz=(float(s["hclk_overdrive_mhz"]) * MHZ
                                   if "hclk_overdrive_mhz" in s else None),
                vcore=float(s["vcore"]) if "vcore" in s else None)
        order = sorted(scales)
        rows = []
        for r in t["flash_wait_states"]:
            limits = [float(x) * MHZ if x else None for x in r[2:]]
            if len(limits) == 1:                 # one column: the same at every scale
                limits = limits * len(order)
            if len(limits) != len(order):
                raise ValueError(f"flash_wait_states row {r}: one limit, or one per scale "
                                 f"({len(order)})")
            rows.append(FlashRow(int(r[0]), int(r[1]), dict(zip(order, limits))))
        return cls(scales, tuple(rows), str(t["scale_label"]), str(t["limits_source"]),
                   str(t["flash_source"]))

    def scale_name(self, vos: int) -> str:
        return self.scale_label.format(vos)

    def required_wait_states(self, hz: float, vos: int) -> tuple[int, int] | None:
        """(LATENCY, WRHIGHFREQ) of the first row allowing a flash clock of ``hz`` at scale
        ``vos``; None if no row does."""
        for row in self.flash:
            limit = row.max_hz.get(vos)
            if limit is not None and hz <= limit + 1e-6:
                return row.latency, row.wrhighfreq
        return None

    def latency_problem(self, latency: int, hz: float, vos: int) -> str | None:
        """A warning when FLASH_ACR.LATENCY is below what the table requires (silicon would
        read wrong data), else None."""
        need = self.required_wait_states(hz, vos)
        where = f"HCLK {hz / MHZ:g} MHz at {self.scale_name(vos)}"
        if need is None:
            return f"FLASH: no wait-state setting supports {where} ({self.flash_source})"
        if latency < need[0]:
            return (f"FLASH: LATENCY={latency} too low for {where}: needs {need[0]} "
                    f"({self.flash_source}); silicon would read garbage")
        return None

    def clock_problems(self, clock_hz: Callable[[str], float], vos: int, overdrive: bool,
                       reset_hz: float) -> list[str]:
        """Clocks above the limits of scale ``vos``. An APB clock no faster than ``reset_hz``
        (the chip's reset clock, how the silicon starts) is not flagged."""
        s = self.scales[vos]
        name, src = self.scale_name(vos), self.limits_source
        out = []
        if s.cpu_hz is not None and clock_hz("cpu") > s.cpu_hz:
            out.append(f"RCC: cpu clock {clock_hz('cpu') / MHZ:g} MHz above the {name} limit "
                       f"{s.cpu_hz / MHZ:g} MHz ({src})")
        limit = s.hclk_limit(overdrive)
        if clock_hz("hclk") > limit:
            od = ""
            if s.hclk_overdrive_hz is not None:
                od = " with over-drive" if overdrive else " without over-drive"
            out.append(f"RCC: HCLK {clock_hz('hclk') / MHZ:g} MHz above the {name} limit "
                       f"{limit / MHZ:g} MHz{od} ({src})")
        for pclk, lim in s.pclk_hz.items():
            if clock_hz(pclk) > max(lim, reset_hz):
                out.append(f"RCC: {pclk} {clock_hz(pclk) / MHZ:g} MHz above the {name} APB "
                           f"limit {lim / MHZ:g} MHz ({src})")
        return out


class WaitStateCheck:
    """What a FLASH model adds to judge its LATENCY field: ``operating`` (from_params) and
    ``latency`` are the model's."""

    operating: OperatingLimits | None
    latency: int

    def check_latency(self, hz: float, vos: int) -> str | None:
        """A warning if LATENCY is below what the chip's wait-state table requires for a flash
        clock of ``hz`` at scale ``vos`` (silicon would read wrong data), else None."""
        if self.operating is None:
            return None
        return self.operating.latency_problem(self.latency, hz, vos)


def read(path: str | Path) -> OperatingLimits | None:
    """The ``[operating]`` table of a power data file; None if it has none."""
    return _read(str(path))


@lru_cache(maxsize=8)
def _read(path: str) -> OperatingLimits | None:
    with open(path, "rb") as f:
        table = tomllib.load(f).get("operating")
    return OperatingLimits.from_table(table) if table else None


def bundled(chip: str) -> OperatingLimits:
    """A bundled chip's limits (simulator/power/<chip>.toml): models built without a machine
    (register-level tests) use their own chip's."""
    limits = read(Path(str(resources.files("simulator.power").joinpath(f"{chip}.toml"))))
    assert limits is not None, chip
    return limits


def from_params(params: Mapping[str, object], chip: str) -> OperatingLimits | None:
    """What a model's constructor was given (the machine passes the platform's), else the
    bundled ``chip``'s."""
    if "operating" in params:
        return params["operating"]  # type: ignore[return-value]
    return bundled(chip)
