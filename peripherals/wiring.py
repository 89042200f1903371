"""Wire peripheral models together as the platform file says (see peripherals/ports.py).

    [wiring]
    clocks = "RCC"                          # chip-wide ports: every model gets self.clocks ...
    power = "PWR"
    links = ["DMA1.mux = DMAMUX1"]           # a per-block port the model class declares
    signals = ["RTC.wakeup -> EXTI.line@19",   # OUTPUT -> INPUT[@index]
               "SAI1.dma_a -> DMAMUX1.request@87"]

An output that is a :class:`~peripherals.ports.Signal` is connected to the input (every emit
calls ``input_<name>(index, *values)``); any other output (a DMA request source) is handed to
the input once, now. Everything is checked here, when the machine is built: an unknown block,
port, output or input, a block that is not what the port needs, a clock name the clock tree
does not publish. Each is one :class:`WiringError` line naming the platform entry.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING

from .ports import CHIP_PORTS, ClockTree, Signal

if TYPE_CHECKING:
    from .base import Peripheral


class WiringError(ValueError):
    """A platform's wiring names something that does not exist or does not fit."""


@dataclass(frozen=True)
class Wire:
    """``source.output -> target.input@index`` (index None when the input takes none)."""

    source: str
    output: str
    target: str
    input: str
    index: int | None = None

    @classmethod
    def parse(cls, text: str) -> Wire:
        try:
            left, right = (s.strip() for s in text.split("->"))
            source, output = left.split(".")
            target, inp = right.split(".")
            index = None
            if "@" in inp:
                inp, at = inp.split("@")
                index = int(at, 0)
        except ValueError as exc:
            raise WiringError(f"signal {text!r}: expected 'BLOCK.output -> BLOCK.input[@N]'"
                              ) from exc
        return cls(source.strip(), output.strip(), target.strip(), inp.strip(), index)

    def __str__(self) -> str:
        at = "" if self.index is None else f"@{self.index}"
        return f"{self.source}.{self.output} -> {self.target}.{self.input}{at}"


@dataclass(frozen=True)
class Wiring:
    """The ``[wiring]`` table of a platform file."""

    ports: dict[str, str] = field(default_factory=dict)    # chip-wide port -> block name
    signals: tuple[Wire, ...] = ()
    links: tuple[tuple[str, str, str], ...] = ()            # (block, port, block wired there)

    @classmethod
    def from_table(cls, table: Mapping[str, object]) -> Wiring:
        ports: dict[str, str] = {}
        for key, value in table.items():
            if key in ("signals", "links"):
                continue
            if key not in CHIP_PORTS:
                raise WiringError(f"[wiring] {key}: not a chip-wide port "
                                  f"(known: {', '.join(CHIP_PORTS)}, links, signals)")
            ports[key] = str(value)
        signals = table.get("signals", [])
        if not isinstance(signals, list):
            raise WiringError("[wiring] signals must be a list of 'A.out -> B.in@N' strings")
        links = table.get("links", [])
        if not isinstance(links, list):
            raise WiringError("[wiring] links must be a list of 'BLOCK.port = BLOCK' strings")
        parsed = []
        for text in links:
            try:
                left, target = (s.strip() for s in str(text).split("="))
                block, port = (s.strip() for s in left.split("."))
            except ValueError as exc:
                raise WiringError(f"link {text!r}: expected 'BLOCK.port = BLOCK'") from exc
            parsed.append((block, port, target))
        return cls(ports, tuple(Wire.parse(str(s)) for s in signals), tuple(parsed))


def wire(blocks: Mapping[str, Peripheral], wiring: Wiring, *, partial_set: bool = False
         ) -> None:
    """Set every model's ports and connect the signals. ``partial_set``: a test holding a
    few blocks; wiring that names an absent block is skipped instead of refused."""
    chip: dict[str, Peripheral] = {}
    for port, name in wiring.ports.items():
        block = blocks.get(name)
        if block is None:
            if partial_set:
                continue
            raise WiringError(f"[wiring] {port} = {name!r}: no such peripheral")
        if not isinstance(block, CHIP_PORTS[port]):
            raise WiringError(f"[wiring] {port} = {name!r}: its model "
                              f"({type(block).__name__}) is not a {CHIP_PORTS[port].__name__}")
        chip[port] = block
    for p in blocks.values():
        for port in CHIP_PORTS:
            setattr(p, port, chip.get(port))
    for name, port, target in wiring.links:
        p, other = blocks.get(name), blocks.get(target)
        if p is None or other is None:
            if partial_set:
                continue
            raise WiringError(f"link {name}.{port} = {target}: no peripheral "
                              f"{name if p is None else target!r}")
        kind = type(p).ports.get(port)
        if kind is None:
            raise WiringError(f"link {name}.{port} = {target}: {type(p).__name__} has no port "
                              f"{port!r} (ports: {', '.join(type(p).ports) or 'none'})")
        if not isinstance(other, kind):
            raise WiringError(f"link {name}.{port} = {target}: its model "
                              f"({type(other).__name__}) is not a {kind.__name__}")
        setattr(p, port, other)
    clocks = chip.get("clocks")
    if isinstance(clocks, ClockTree):
        for p in blocks.values():
            for key in ("kernel_clock", "timer_clock", "clock"):
                name = p.params.get(key)
                if isinstance(name, str) and name not in clocks.CLOCKS:
                    raise WiringError(f"{p.name}.{key} = {name!r}: the clock tree "
                                      f"({clocks.name}) publishes no such clock "
                                      f"(known: {', '.join(clocks.CLOCKS)})")
    for w in wiring.signals:
        src, dst = blocks.get(w.source), blocks.get(w.target)
        if src is None or dst is None:
            if partial_set:
                continue
            raise WiringError(f"signal {w}: no peripheral "
                              f"{w.source if src is None else w.target!r}")
        if w.output not in type(src).outputs:
            raise WiringError(f"signal {w}: {type(src).__name__} has no output {w.output!r} "
                              f"(outputs: {', '.join(type(src).outputs) or 'none'})")
        if w.input not in type(dst).inputs:
            raise WiringError(f"signal {w}: {type(dst).__name__} has no input {w.input!r} "
                              f"(inputs: {', '.join(type(dst).inputs) or 'none'})")
        sink = getattr(dst, f"input_{w.input}")
        out = getattr(src, w.output)
        if isinstance(out, Signal):
            out.connect(partial(sink, w.index))
        else:
            sink(w.index, out)
    def find(name: str, kind: type, asker: str = "") -> object:
        block = blocks.get(name)
        if block is None and partial_set:
            return None
        if block is None or not isinstance(block, kind):
            what = "no such peripheral" if block is None else \
                f"its model ({type(block).__name__}) is not a {kind.__name__}"
            raise WiringError(f"{asker}: {name!r}: {what}")
        return block

    for p in blocks.values():
        p.connected(partial(_named, find, p.name))


def _named(find, asker: str, name: str, kind: type) -> object:
    return find(name, kind, asker)
