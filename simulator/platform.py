"""The platform: memory map, peripheral windows, IRQ wiring and chip facts, read from data.

One TOML file per chip lives in simulator/platforms/. Nothing chip-specific is in code.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from peripherals.operating import OperatingLimits
from peripherals.operating import read as read_operating
from peripherals.wiring import Wiring, WiringError

from . import cache


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
    # how the peripheral models reach each other: chip-wide ports and signal wires
    # ([wiring], peripherals/wiring.py)
    wiring: Wiring = field(default_factory=Wiring)
    # [[peripheral_bus]]: (start, end inclusive, clock name) of each peripheral bus, for the
    # access time of a peripheral register (simulator/timing/dynamic.py PeripheralLatency)
    peripheral_buses: tuple[tuple[int, int, str], ...] = ()
    # the core's ports (<core>.toml [ports]): port -> the window the machine drives there
    # (nvic, stir, scb, mpu, fpu_cache, itm: simulator/core_blocks.py)
    core_ports: dict[str, str] = field(default_factory=dict)

    def region_at(self, addr: int, length: int = 1) -> Region | None:
        for r in self.regions:
            if r.contains(addr, length):
                return r
        for a in self.aliases:
            if a.base <= addr and addr + length <= a.base + a.size:
                return self.region_at(a.target + (addr - a.base), length)
        return None

    def data_only_ranges(self) -> list[tuple[int, int]]:
        """(first, last) byte of each writable region that no code can run from: not
        executable and not the target of an alias (aliases are mapped executable)."""
        return [(r.base, r.end - 1) for r in self.regions
                if r.kind != "flash" and not r.exec
                and not any(a.target < r.end and r.base < a.target + a.size
                            for a in self.aliases)]

    def physical(self, addr: int) -> int:
        """``addr`` with an alias resolved to the address it shows (the F746's flash ITCM
        interface 0x0020 0000 -> 0x0800 0000); other addresses unchanged."""
        for a in self.aliases:
            if a.base <= addr < a.base + a.size:
                return self.physical(a.target + (addr - a.base))
        return addr

    def is_memory(self, addr: int, length: int) -> bool:
        """Whether every byte of [addr, addr + length) is memory (regions, aliases), possibly
        across adjacent regions: what a firmware-given buffer is checked against."""
        if addr < 0 or length < 0 or addr + length > 1 << 32:
            return False
        while length > 0:
            avail = 0
            for r in self.regions:
                if r.base <= addr < r.end:
                    avail = r.end - addr
                    break
            else:
                for a in self.aliases:
                    if a.base <= addr < a.base + a.size \
                            and self.region_at(a.target + addr - a.base) is not None:
                        avail = a.base + a.size - addr
                        break
            if avail <= 0:
                return False
            addr += min(avail, length)
            length -= min(avail, length)
        return True

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

    @property
    def operating(self) -> OperatingLimits | None:
        """The chip's voltage scales and flash wait states: the [operating] table of its power
        data file (peripherals/operating.py); None if that file has none."""
        try:
            return read_operating(self.power_data)
        except FileNotFoundError as exc:
            raise PlatformError(f"{self.source}: power data {exc.filename} not found") from exc

    def with_revision(self, revision: str) -> Platform:
        from dataclasses import replace
        return replace(self, revision=revision, chip={**self.chip, "revision": revision})


class PlatformError(ValueError):
    pass


#: Architectural limits a platform file must respect (ARMv7-M ARM B3.4: the NVIC supports up
#: to 496 external interrupts; B1.5.4: 3 to 8 priority bits are implemented) and what the
#: CPU model can map (Unicorn maps memory in 4 KiB pages within the 32-bit address space).
MAX_IRQS = 496
PRIORITY_BITS = range(3, 9)
PAGE = 0x1000
#: Largest platform file read (the bundled one is ~30 kB).
MAX_PLATFORM_BYTES = 4 << 20


def load_platform(name_or_path: str = "stm32h743") -> Platform:
    """Read a platform file: a bundled chip name (``stm32h743``) or a path to a TOML file.
    Anything wrong with it (missing, not TOML, a missing key, a value of the wrong type or
    out of range) is one :class:`PlatformError` line."""
    try:
        return _load_platform(name_or_path)
    except PlatformError:
        raise
    except tomllib.TOMLDecodeError as exc:
        raise PlatformError(f"platform {name_or_path}: not valid TOML ({exc})") from exc
    except KeyError as exc:
        raise PlatformError(f"platform {name_or_path}: missing key {exc}") from exc
    except (TypeError, ValueError, AttributeError) as exc:
        raise PlatformError(f"platform {name_or_path}: a value has the wrong type "
                            f"({str(exc).splitlines()[0] if str(exc) else type(exc).__name__})"
                            ) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise PlatformError(f"cannot read platform {name_or_path}: "
                            f"{getattr(exc, 'strerror', None) or exc}") from exc


def _load_platform(name_or_path: str) -> Platform:
    path = Path(name_or_path)
    if path.suffix == ".toml" or path.exists():
        if not path.is_file():
            raise PlatformError(f"platform file {name_or_path} "
                                f"{'is not a regular file' if path.exists() else 'does not exist'}")
        if path.stat().st_size > MAX_PLATFORM_BYTES:
            raise PlatformError(f"platform file {name_or_path} is larger than "
                                f"{MAX_PLATFORM_BYTES:,} bytes")
        text = path.read_text()
        source = str(path)

        def sibling(name: str) -> str:
            return (path.parent / name).read_text()
    else:
        if not name_or_path.replace("_", "").replace("-", "").isalnum():
            raise PlatformError(f"unknown platform {name_or_path!r}")
        try:
            text = resources.files("simulator.platforms").joinpath(f"{name_or_path}.toml").read_text()
        except (FileNotFoundError, IsADirectoryError) as exc:
            raise PlatformError(f"unknown platform {name_or_path!r}") from exc
        source = f"simulator/platforms/{name_or_path}.toml"

        def sibling(name: str) -> str:
            return resources.files("simulator.platforms").joinpath(name).read_text()
    data = cache.toml(text)
    chip = data["chip"]
    if not isinstance(chip, dict):
        raise PlatformError(f"platform {name_or_path}: [chip] must be a table")
    for key in REQUIRED_CHIP_KEYS:
        if key not in chip:
            raise PlatformError(f"{source}: [chip] has no {key}")
    data, core_ports = _with_core_blocks(data, chip, source)
    regions = tuple(
        Region(str(r["name"]), _addr(r, "base"), _addr(r, "size"), str(r["kind"]),
               bool(r.get("ram", False)), bool(r.get("exec", False)), _bus(r))
        for r in _tables(data, "region")
    )
    for r in regions:
        if r.size == 0 or r.base % PAGE or r.size % PAGE or r.end > 1 << 32:
            raise PlatformError(f"platform {name_or_path}: region {r.name} "
                                f"{r.base:#x}+{r.size:#x} must be whole 4 KiB pages inside "
                                "the 32-bit address space")
    aliases = tuple(Alias(str(a["name"]), _addr(a, "base"), _addr(a, "target"), _addr(a, "size"))
                    for a in _tables(data, "alias"))
    for a in aliases:
        if a.size == 0 or a.base % PAGE or a.size % PAGE or a.base + a.size > 1 << 32:
            raise PlatformError(f"platform {name_or_path}: alias {a.name} must be whole 4 KiB "
                                "pages inside the 32-bit address space")
    known = {"name", "base", "size", "model", "irqs"}
    periphs = tuple(
        PeripheralWindow(str(p["name"]), _addr(p, "base"), _addr(p, "size"), p.get("model"),
                         dict(p.get("irqs", {})),
                         {k: v for k, v in p.items() if k not in known})
        for p in _tables(data, "peripheral")
    )
    if chip.get("registers"):
        try:
            blocks = cache.toml(sibling(chip["registers"])).get("block", [])
        except FileNotFoundError as exc:
            raise PlatformError(f"{source}: register file {chip['registers']!r} not found") from exc
        periphs = _declare_blocks(periphs, blocks)
    n_irqs = chip.get("n_irqs", 240)
    prio = chip.get("nvic_priority_bits", 4)
    boot = chip["boot_address"]
    if not isinstance(n_irqs, int) or not 0 <= n_irqs <= MAX_IRQS:
        raise PlatformError(f"platform {name_or_path}: n_irqs = {n_irqs!r}; the NVIC has "
                            f"0..{MAX_IRQS} external interrupts (ARMv7-M B3.4)")
    if not isinstance(prio, int) or prio not in PRIORITY_BITS:
        raise PlatformError(f"platform {name_or_path}: nvic_priority_bits = {prio!r}; "
                            "ARMv7-M implements 3..8 (B1.5.4)")
    if not isinstance(boot, int) or not 0 <= boot < 1 << 32 or boot % 4:
        raise PlatformError(f"platform {name_or_path}: boot_address = {boot!r} is not a "
                            "word-aligned 32-bit address")
    for p in periphs:
        if p.size == 0 or p.end > 1 << 32:
            raise PlatformError(f"platform {name_or_path}: peripheral {p.name} window "
                                f"{p.base:#x}+{p.size:#x} is empty or past 4 GiB")
        for k, n in p.irqs.items():
            if not isinstance(n, int) or not 0 <= n < n_irqs:
                raise PlatformError(f"platform {name_or_path}: {p.name} IRQ {k} = {n!r} is "
                                    f"outside 0..{n_irqs - 1}")
    irq_names = {n: f"{p.name}:{k}" for p in periphs for k, n in p.irqs.items()}
    _check_overlaps(regions, periphs)
    table = data.get("wiring", {})
    if not isinstance(table, dict):
        raise PlatformError(f"{source}: [wiring] must be a table")
    try:
        wiring = Wiring.from_table(table)
    except WiringError as exc:
        raise PlatformError(f"{source}: {exc}") from exc
    names = {p.name for p in periphs}
    for port, block in wiring.ports.items():
        if block not in names:
            raise PlatformError(f"{source}: [wiring] {port} = {block!r}: no such peripheral")
    for block, port, target in wiring.links:
        for name in (block, target):
            if name not in names:
                raise PlatformError(f"{source}: [wiring] link {block}.{port} = {target}: "
                                    f"no peripheral {name!r}")
    for w in wiring.signals:
        for block in (w.source, w.target):
            if block not in names:
                raise PlatformError(f"{source}: [wiring] signal {w}: no peripheral {block!r}")
    buses = tuple((_addr(b, "start"), _addr(b, "end"), str(b["clock"]))
                  for b in _tables(data, "peripheral_bus"))
    for port, block in core_ports.items():
        if block not in names:
            raise PlatformError(f"{source}: core port {port} = {block!r}: no such peripheral")
    return Platform(str(chip["name"]), chip.get("revision", "V"), boot, prio, n_irqs, chip,
                    regions, aliases, periphs, source, irq_names, wiring, buses, core_ports)


def core_file(core: str) -> str:
    """The bundled file of a core's architectural blocks: ``cortex-m7`` -> cortex_m7.toml."""
    stem = core.replace("-", "_")
    if not stem.replace("_", "").isalnum():
        raise PlatformError(f"[chip] core = {core!r} is not a core name")
    return f"{stem}.toml"


def _with_core_blocks(data: dict[str, Any], chip: dict[str, Any],
                      source: str) -> tuple[dict[str, Any], dict[str, str]]:
    """Put the core's architectural blocks (simulator/platforms/<core>.toml: SysTick, NVIC,
    SCB, MPU... at the addresses the architecture fixes) before the chip's own windows, and
    return the core's ports (which of those windows the machine drives)."""
    core = chip.get("core")
    if core is None:
        return data, {}
    name = core_file(str(core))
    try:
        core_data = cache.toml(resources.files("simulator.platforms").joinpath(name).read_text())
    except (FileNotFoundError, IsADirectoryError) as exc:
        raise PlatformError(f"{source}: [chip] core = {core!r}: no simulator/platforms/{name}"
                            ) from exc
    blocks = _tables(core_data, "peripheral")
    own = _tables(data, "peripheral")
    core_names = {b["name"] for b in blocks}
    for p in own:
        if p.get("name") in core_names:
            raise PlatformError(f"{source}: peripheral {p['name']} is a {core} block "
                                f"(simulator/platforms/{name}): do not declare it again")
    ports = core_data.get("ports", {})
    if not isinstance(ports, dict):
        raise PlatformError(f"simulator/platforms/{name}: [ports] must be a table")
    return {**data, "peripheral": [*blocks, *own]}, {str(k): str(v) for k, v in ports.items()}


def _declare_blocks(periphs: tuple[PeripheralWindow, ...],
                    blocks: list[dict[str, Any]]) -> tuple[PeripheralWindow, ...]:
    """Every block of the chip's register file (generated from ST's SVD) is declared: a block
    inside a window of the platform file gives that window its register names (prefixed with
    the block's name when it differs: ADC12 holds ADC1.CR, ADC2.CR...); a block no window covers
    becomes an unmodelled window of its own, so an access to it is logged by register name."""
    decls: dict[str, list[RegisterDecl]] = {p.name: [] for p in periphs}
    held: dict[str, list[dict[str, Any]]] = {p.name: [] for p in periphs}
    extra: list[PeripheralWindow] = []
    spans = [(p, p.base, p.end) for p in periphs]
    for b in blocks:
        base, end = b["base"], b["base"] + b["size"]
        hosts = [p for p, lo, hi in spans if lo < end and base < hi]
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


def _tables(data: dict, key: str) -> list[dict]:
    items = data.get(key, [])
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise PlatformError(f"[[{key}]] entries must be tables")
    return items


def _addr(table: dict, key: str) -> int:
    value = table[key]
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 1 << 32:
        raise PlatformError(f"{table.get('name', '?')}.{key} = {value!r} is not a 32-bit "
                            "address or size")
    return value


def _check_overlaps(regions: tuple[Region, ...], periphs: tuple[PeripheralWindow, ...]) -> None:
    spans = sorted([(r.base, r.end, r.name) for r in regions] + [(p.base, p.end, p.name) for p in periphs])
    for (b0, e0, n0), (b1, _e1, n1) in zip(spans, spans[1:]):
        if b1 < e0:
            raise PlatformError(f"platform windows overlap: {n0} and {n1}")
