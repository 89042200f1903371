"""The platform: memory map, peripheral windows, IRQ wiring and chip facts, read from data.

One TOML file per chip lives in simulator/platforms/. Nothing chip-specific is in code.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Region:
    name: str
    base: int
    size: int
    kind: str          # flash | tcm | sram
    ram: bool
    exec: bool
    bus: str = "axi"   # tcm | axi | d2 | d3: the path from the core (platform file)

    @property
    def end(self) -> int:
        return self.base + self.size

    @property
    def cached(self) -> bool:
        """Reached through the L1 caches (everything but the TCMs)."""
        return self.bus != "tcm"

    @property
    def data_kind(self) -> str:
        """What a load or store costs, by memory kind (the D-side timing classes of
        simulator/timing/dynamic.py): tcm | flash | axi | d2 | d3. Instruction fetches use
        ``kind`` (flash or sram line fills) and ``cached`` from the same region."""
        if self.bus == "tcm":
            return "tcm"
        return "flash" if self.kind == "flash" else self.bus

    def contains(self, addr: int, length: int = 1) -> bool:
        return self.base <= addr and addr + length <= self.end


@dataclass(frozen=True)
class Alias:
    name: str
    base: int
    target: int
    size: int


@dataclass(frozen=True)
class RegisterDecl:
    """One register of a block as ST's SVD declares it (generated: stm32h743_registers.toml).
    ``offset`` is relative to the window that holds it."""

    name: str
    offset: int
    reset: int
    access: str           # r | w | rw


@dataclass(frozen=True)
class PeripheralWindow:
    name: str
    base: int
    size: int
    model: str | None
    irqs: dict[str, int]
    params: dict[str, Any]
    # declared registers (from the SVD), for names in logs and reset values of unmodelled blocks
    registers: tuple[RegisterDecl, ...] = ()

    @property
    def end(self) -> int:
        return self.base + self.size


@dataclass(frozen=True)
class Platform:
    name: str
    revision: str
    boot_address: int
    nvic_priority_bits: int
    n_irqs: int
    chip: dict[str, Any]
    regions: tuple[Region, ...]
    aliases: tuple[Alias, ...]
    peripherals: tuple[PeripheralWindow, ...]
    source: str = ""
    irq_names: dict[int, str] = field(default_factory=dict)

    def region_at(self, addr: int, length: int = 1) -> Region | None:
        for r in self.regions:
            if r.contains(addr, length):
                return r
        for a in self.aliases:
            if a.base <= addr and addr + length <= a.base + a.size:
                return self.region_at(a.target + (addr - a.base), length)
        return None

    def region(self, name: str) -> Region:
        for r in self.regions:
            if r.name == name:
                return r
        raise KeyError(name)

    def peripheral_at(self, addr: int) -> PeripheralWindow | None:
        for p in self.peripherals:
            if p.base <= addr < p.end:
                return p
        return None

    @property
    def power_data(self) -> Path:
        """The power data file ([chip] power): a bundled name (simulator/power/NAME.toml) or a
        path, relative to the platform file."""
        name = str(self.chip["power"])
        if name.endswith(".toml"):
            p = Path(name)
            return p if p.is_absolute() or not self.source else Path(self.source).parent / p
        return Path(str(resources.files("simulator.power").joinpath(f"{name}.toml")))

    def with_revision(self, revision: str) -> Platform:
        from dataclasses import replace
        return replace(self, revision=revision, chip={**self.chip, "revision": revision})


class PlatformError(ValueError):
    pass


def load_platform(name_or_path: str = "stm32h743") -> Platform:
    """Read a platform file: a bundled chip name (``stm32h743``) or a path to a TOML file."""
    path = Path(name_or_path)
    if path.suffix == ".toml" and path.exists():
        text = path.read_text()
        source = str(path)

        def sibling(name: str) -> str:
            return (path.parent / name).read_text()
    else:
        try:
            text = resources.files("simulator.platforms").joinpath(f"{name_or_path}.toml").read_text()
        except FileNotFoundError as exc:
            raise PlatformError(f"unknown platform {name_or_path!r}") from exc
        source = f"simulator/platforms/{name_or_path}.toml"

        def sibling(name: str) -> str:
            return resources.files("simulator.platforms").joinpath(name).read_text()
    data = tomllib.loads(text)
    chip = data["chip"]
    for key in REQUIRED_CHIP_KEYS:
        if key not in chip:
            raise PlatformError(f"{source}: [chip] has no {key}")
    regions = tuple(
        Region(r["name"], r["base"], r["size"], r["kind"], bool(r.get("ram", False)),
               bool(r.get("exec", False)), _bus(r))
        for r in data.get("region", [])
    )
    aliases = tuple(Alias(a["name"], a["base"], a["target"], a["size"]) for a in data.get("alias", []))
    known = {"name", "base", "size", "model", "irqs"}
    periphs = tuple(
        PeripheralWindow(p["name"], p["base"], p["size"], p.get("model"), dict(p.get("irqs", {})),
                         {k: v for k, v in p.items() if k not in known})
        for p in data.get("peripheral", [])
    )
    if chip.get("registers"):
        try:
            blocks = tomllib.loads(sibling(chip["registers"])).get("block", [])
        except FileNotFoundError as exc:
            raise PlatformError(f"{source}: register file {chip['registers']!r} not found") from exc
        periphs = _declare_blocks(periphs, blocks)
    irq_names = {n: f"{p.name}:{k}" for p in periphs for k, n in p.irqs.items()}
    _check_overlaps(regions, periphs)
    return Platform(chip["name"], chip.get("revision", "V"), chip["boot_address"],
                    chip.get("nvic_priority_bits", 4), chip.get("n_irqs", 240), chip,
                    regions, aliases, periphs, source, irq_names)


def _declare_blocks(periphs: tuple[PeripheralWindow, ...],
                    blocks: list[dict[str, Any]]) -> tuple[PeripheralWindow, ...]:
    """Every block of the chip's register file (generated from ST's SVD) is declared: a block
    inside a window of the platform file gives that window its register names (prefixed with
    the block's name when it differs: ADC12 holds ADC1.CR, ADC2.CR...); a block no window covers
    becomes an unmodelled window of its own, so an access to it is logged by register name."""
    decls: dict[str, list[RegisterDecl]] = {p.name: [] for p in periphs}
    held: dict[str, list[dict[str, Any]]] = {p.name: [] for p in periphs}
    extra: list[PeripheralWindow] = []
    for b in blocks:
        base, end = b["base"], b["base"] + b["size"]
        hosts = [p for p in periphs if p.base < end and base < p.end]
        if not hosts:
            regs = tuple(RegisterDecl(n, off, reset, acc) for n, off, reset, acc in b["registers"])
            extra.append(PeripheralWindow(b["name"], base, b["size"], None, {},
                                          {"declared": regs}, regs))
        for host in hosts:
            held[host.name].append(b)
    for host in periphs:
        for b in held[host.name]:
            alone = len(held[host.name]) == 1 and b["base"] == host.base
            prefix = "" if alone or b["name"] == host.name else f"{b['name']}."
            for n, off, reset, acc in b["registers"]:
                at = b["base"] + off
                if host.base <= at < host.end:
                    decls[host.name].append(RegisterDecl(prefix + n, at - host.base, reset, acc))
    from dataclasses import replace
    merged = []
    for p in periphs:
        regs = tuple(sorted(decls[p.name], key=lambda r: r.offset))
        merged.append(replace(p, registers=regs, params={**p.params, "declared": regs})
                      if regs else p)
    return tuple(merged) + tuple(extra)


BUSES = ("tcm", "axi", "d2", "d3")
REQUIRED_CHIP_KEYS = ("name", "boot_address", "hsi_hz", "icache_bytes", "dcache_bytes", "power")


def _bus(r: dict) -> str:
    bus = r.get("bus", "tcm" if r["kind"] == "tcm" else "axi")
    if bus not in BUSES:
        raise PlatformError(f"region {r['name']}: bus {bus!r} is not one of {', '.join(BUSES)}")
    return bus


def _check_overlaps(regions: tuple[Region, ...], periphs: tuple[PeripheralWindow, ...]) -> None:
    spans = sorted([(r.base, r.end, r.name) for r in regions] + [(p.base, p.end, p.name) for p in periphs])
    for (b0, e0, n0), (b1, _e1, n1) in zip(spans, spans[1:]):
        if b1 < e0:
            raise PlatformError(f"platform windows overlap: {n0} and {n1}")
