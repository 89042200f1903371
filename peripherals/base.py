"""Register-level peripheral models: declarations and the bus-facing base class.

A peripheral declares its registers (offsets, fields, access kinds and reset values) as data.
The base class turns bus reads and writes into register values; a subclass adds behaviour by
defining ``on_read_<REG>(value) -> value`` and ``on_write_<REG>(old, new)`` methods, which run
only when the firmware touches that register. Peripherals never reach into the machine: all
they may do is through the :class:`PeripheralContext` they are given.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

import numpy as np

from .irq_lines import IrqLines
from .ports import Signal

if TYPE_CHECKING:
    from simulator.read_watch import ReadWatch

    from .ports import ClockTree, DebugControl, FlashInterface, PowerControl, WakeupController
    from .wiring import Wiring

# Access kinds of a field (RM0433 1.2 "List of abbreviations for registers").
RW = "rw"      # read/write
RO = "r"       # read-only: writes ignored
WO = "w"       # write-only: reads as zero
W1C = "rc_w1"  # read, clear by writing 1
W1S = "rs"     # read, set by writing 1 (software can only set)
WT = "t"       # toggle on writing 1


@dataclass(frozen=True)
class Field:
    """One bit field of a register. ``modelled=False``: declared and stored, but the model
    gives it no effect (an MCO output, a voltage detector): a write that changes it is logged
    once and counted in the report's ``unmodelled_fields``."""

    name: str
    lsb: int
    width: int = 1
    access: str = RW
    reset: int = 0
    modelled: bool = True

    @property
    def mask(self) -> int:
        return ((1 << self.width) - 1) << self.lsb


@dataclass(frozen=True)
class Register:
    """One 32-bit register. Bits not covered by a field are reserved: read 0, writes ignored,
    unless the register declares no fields at all (then all 32 bits are ``access``)."""

    name: str
    offset: int
    fields: tuple[Field, ...] = ()
    access: str = RW
    reset: int | None = None

    def reset_value(self) -> int:
        if self.reset is not None:
            return self.reset
        value = 0
        for f in self.fields:
            value |= (f.reset << f.lsb) & f.mask
        return value

    def mask_of(self, *accesses: str) -> int:
        if not self.fields:
            return 0xFFFFFFFF if self.access in accesses else 0
        m = 0
        for f in self.fields:
            if f.access in accesses:
                m |= f.mask
        return m

    @property
    def unmodelled_mask(self) -> int:
        """Bits of the fields declared ``modelled=False``."""
        m = 0
        for f in self.fields:
            if not f.modelled:
                m |= f.mask
        return m

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"{self.name} has no field {name}")


class PeripheralContext(Protocol):
    """What a peripheral may ask of the machine it sits in."""

    def now(self) -> int:
        """Core clock cycles elapsed since reset, at this very access."""

    def schedule(self, cycle: int, callback: Callable[[int], None]) -> int:
        """Call ``callback(cycle)`` when simulated time reaches ``cycle`` (absolute core cycles).
        Returns a handle for :meth:`cancel`."""

    def cancel(self, handle: int) -> None: ...

    def now_seconds(self) -> float:
        """Simulated seconds since reset, Stop and Standby included (core cycles are not)."""

    def schedule_seconds(self, seconds: float, callback: Callable[[float], None]) -> int:
        """Call ``callback(seconds)`` at absolute simulated time ``seconds``, from a clock that
        keeps running in Stop and Standby (LSE/LSI: RTC, LPTIM). Such an event can wake the
        chip; core-cycle events (:meth:`schedule`) are frozen while the core domain is
        stopped. Cancel with :meth:`cancel`."""

    def set_irq(self, irq: int, level: bool, source: str = "") -> None:
        """Drive NVIC interrupt line ``irq`` (a level; a pulse is set then clear). A line that
        several blocks share is the OR of what each ``source`` (a block name) drives."""

    def pend_exception(self, number: int) -> None:
        """Set a system exception pending (e.g. 15 = SysTick, 14 = PendSV)."""

    def clock_hz(self, name: str) -> float:
        """Frequency of a named clock of the clock tree (see peripherals/rcc.py: CLOCKS)."""

    def request_reset(self, cause: str, rsr_flag: str | None = None) -> None:
        """Reset the chip (a watchdog expired): ``cause`` for the report, ``rsr_flag`` the
        RCC_RSR flag the reset sets (e.g. IWDG1RSTF)."""

    def log(self, message: str) -> None:
        """One diagnostic line for the run log."""

    def warn(self, message: str) -> None:
        """A condition the user must not miss (out-of-spec clocks): the run summary shows it
        and --strict fails the run on it."""

    def mem_read(self, address: int, size: int) -> bytes:
        """Read target memory as a bus master would (DMA)."""

    def mem_write(self, address: int, data: bytes) -> None:
        """Write target memory as a bus master would (DMA)."""

    def peripheral_at(self, address: int) -> Peripheral | None:
        """The peripheral whose window holds ``address`` (a DMA stream's PAR), or None."""

    def watch_reads(self, lo: int, hi: int, segments: int) -> ReadWatch:
        """Per-segment flags set when the CPU loads from [lo, hi) (simulator/read_watch.py:
        was_read(i), clear(i), close()); native, no Python per access."""


class RegisterValues:
    """The stored value of each register, by byte offset, in a uint32 array.

    The array is the one the bus serves plain registers from natively (simulator/bus.py):
    a read or write of a register without side effects never calls Python, and the model
    sees its current value here whenever it looks. Behaves like the ``{offset: value}`` dict
    it replaces for the offsets of declared registers."""

    __slots__ = ("_mv", "_offsets", "_order", "version", "words")

    def __init__(self, words: np.ndarray, offsets: tuple[int, ...]) -> None:
        self.version = 0        # bumped by every store through this view (not native writes)
        self.words = words
        self._mv = memoryview(words).cast("B").cast("I")
        self._offsets = frozenset(offsets)
        self._order = offsets

    def __getitem__(self, offset: int) -> int:
        if offset not in self._offsets:
            raise KeyError(offset)
        return self._mv[offset >> 2]

    def __setitem__(self, offset: int, value: int) -> None:
        if offset not in self._offsets:
            raise KeyError(offset)
        self._mv[offset >> 2] = value & 0xFFFFFFFF
        self.version += 1

    def get(self, offset: int, default: int | None = None) -> int | None:
        return self._mv[offset >> 2] if offset in self._offsets else default

    def __contains__(self, offset: object) -> bool:
        return offset in self._offsets

    def __iter__(self) -> Iterator[int]:
        return iter(self._order)

    def __len__(self) -> int:
        return len(self._offsets)

    def items(self) -> Iterator[tuple[int, int]]:
        return ((o, self._mv[o >> 2]) for o in self._order)

    def rebind(self, words: np.ndarray) -> None:
        """Move the values into ``words`` (the bus's shared array), keeping them."""
        words[:len(self.words)] = self.words[:len(words)]
        self.version += 1
        self.words = words
        self._mv = memoryview(words).cast("B").cast("I")


@dataclass
class Access:
    """One logged access (for unmodelled windows and tests)."""

    cycle: int
    peripheral: str
    offset: int
    size: int
    write: bool
    value: int
    register: str = ""        # NAME.REG (declared name) or NAME+0xOFF


HOOK_PREFIXES = ("on_read_", "on_write_")


def _check_inputs(cls: type) -> None:
    for name in cls.inputs:
        if not callable(getattr(cls, f"input_{name}", None)):
            raise TypeError(f"{cls.__name__} declares input {name!r} but has no "
                            f"input_{name}(index, *values) method")


#: methods that take a register name (and a field name) as their first argument(s)
_BY_NAME = {"get_field": 2, "set_field": 2, "reg": 1, "set_reg": 1}
_checked_sources: set[type] = set()

#: (method, literal names, line) of one ``self.<method>("REG"[, "FIELD"])`` call
LiteralCall = tuple[str, tuple[str, ...], int]


def _scan_literal_calls(source: bytes) -> dict[str, list[LiteralCall]]:
    """{class qualname: its literal-name calls} for every class in a module's source (the
    first class of a qualname wins, as in ``inspect.getsourcelines``)."""
    import ast

    found: dict[str, list[LiteralCall]] = {}

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef):
                name = prefix + child.name
                if name not in found:
                    found[name] = _calls_in(child)
                visit(child, name + ".")
            elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                visit(child, f"{prefix}{child.name}.<locals>.")
            else:
                visit(child, prefix)

    def _calls_in(cls_node: ast.ClassDef) -> list[LiteralCall]:
        calls = []
        for node in ast.walk(cls_node):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in _BY_NAME and isinstance(node.func.value, ast.Name)
                    and node.func.value.id == "self"):
                continue
            consts = []
            for arg in node.args[:_BY_NAME[node.func.attr]]:
                if not (isinstance(arg, ast.Constant) and isinstance(arg.value, str)):
                    break
                consts.append(arg.value)
            if consts:
                calls.append((node.func.attr, tuple(consts), node.lineno))
        return calls

    visit(ast.parse(source), "")
    return found


_scanned: dict[str, dict[str, list[LiteralCall]]] = {}


@lru_cache(maxsize=1)
def _scanner_version() -> str:
    """Hash of this file: any change to the scanner above invalidates the cached scans."""
    import hashlib
    with open(__file__, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()[:16]


def _literal_calls(cls: type) -> list[LiteralCall] | None:
    """The literal-name calls in ``cls``'s source, None when its source cannot be read. Each
    module file is parsed once per process, and the result is kept in the on-disk cache by
    the file's content hash (simulator/cache.py): parsing the peripheral models' sources
    took 0.3 CPU s of every run's start-up."""
    import hashlib
    import sys

    path = getattr(sys.modules.get(cls.__module__), "__file__", None)
    if not path:
        return None
    if path not in _scanned:
        try:
            with open(path, "rb") as f:
                source = f.read()
        except OSError:
            return None
        from simulator import cache
        digest = hashlib.sha256(source).hexdigest()
        _scanned[path] = cache.cached("field_names", cache.key(_scanner_version(), digest),
                                      lambda: _scan_literal_calls(source))
    return _scanned[path].get(cls.__qualname__)


def _check_field_names(cls: type, registers: tuple[Register, ...],
                       per_instance: bool = False) -> None:
    """Every ``self.get_field("REG", "FIELD")`` / ``set_field`` / ``reg("REG")`` /
    ``set_reg("REG")`` with literal names in the class's own methods must name a declared
    register and field: a misspelling fails when the class is defined, not when the firmware
    first reaches that line. Read from the class's source with ``ast`` (the same on every Python
    version, unlike bytecode); names built at run time (f-strings, variables) are not checked,
    nor is a class whose source cannot be read. A class that builds its registers per instance
    (a timer with or without RCR) is checked against its first instance's registers: a field
    of a register that instance has must exist; a register it lacks may belong to another kind."""
    if cls in _checked_sources:
        return
    _checked_sources.add(cls)
    calls = _literal_calls(cls)
    if calls is None:
        return
    fields = {r.name: {f.name for f in r.fields} for r in registers}
    for method, consts, line in calls:
        reg = consts[0]
        where = f"line {line}"
        if reg not in fields:
            if per_instance:
                continue
            _checked_sources.discard(cls)
            raise TypeError(f"{cls.__name__}: {method}({reg!r}, ...) names no declared "
                            f"register (in {where})")
        if len(consts) > 1 and fields[reg] and consts[1] not in fields[reg]:
            _checked_sources.discard(cls)
            raise TypeError(f"{cls.__name__}: {method}({reg!r}, {consts[1]!r}): {reg} "
                            f"has no such field (in {where})")


_HOOKS_CHECKED: set[tuple[type, frozenset[str]]] = set()   # (class, register names) passed


def _check_hooks(cls: type, registers: tuple[Register, ...]) -> None:
    names = frozenset(r.name for r in registers)
    if (cls, names) in _HOOKS_CHECKED:        # every instance of a class checks the same
        return
    for attr in dir(cls):
        for prefix in HOOK_PREFIXES:
            if attr.startswith(prefix) and attr[len(prefix):] not in names:
                raise TypeError(f"{cls.__name__}.{attr}: no register {attr[len(prefix):]!r} "
                                f"is declared, so this hook would never run")
    _HOOKS_CHECKED.add((cls, names))


class Peripheral:
    """A memory-mapped block of registers.

    Subclasses set ``registers`` and may define ``on_read_<REG>(value) -> int`` and
    ``on_write_<REG>(old, new) -> None`` hooks. ``values`` holds the stored register values.
    """

    registers: ClassVar[tuple[Register, ...]] = ()
    #: clock (in the RCC clock tree) that feeds this block's registers, for power accounting
    bus_clock: ClassVar[str] = "hclk"
    #: registers whose reads or writes must reach Python even without an ``on_read_`` /
    #: ``on_write_`` hook (a model that reads them at the moment of access by other means)
    side_effect_registers: ClassVar[frozenset[str]] = frozenset()
    #: per-block ports this model can be wired to (``links = ["BLOCK.port = OTHER"]`` in the
    #: platform's [wiring]), port name -> the Protocol the wired block must satisfy (ports.py)
    ports: ClassVar[dict[str, type]] = {}
    #: signal outputs: a :class:`Signal` attribute each, unless the class defines the name
    #: (a request source handed to the input once, e.g. an SAI block for a DMA request line)
    outputs: ClassVar[tuple[str, ...]] = ()
    #: signal inputs: an ``input_<name>(index, *values)`` method each
    inputs: ClassVar[tuple[str, ...]] = ()
    # chip-wide ports (peripherals/ports.py CHIP_PORTS), set by peripherals/wiring.py;
    # None when the platform wires nothing there (a block tested alone)
    clocks: ClockTree | None = None
    power: PowerControl | None = None
    flash: FlashInterface | None = None
    debug: DebugControl | None = None
    wakeup_controller: WakeupController | None = None

    def __init_subclass__(cls, **kwargs: object) -> None:
        """A hook named after no declared register would never run, an input without its
        method could never be driven: refuse the class."""
        super().__init_subclass__(**kwargs)
        if cls.registers:
            _check_hooks(cls, cls.registers)
            _check_field_names(cls, cls.registers)
        _check_inputs(cls)

    def __init__(self, name: str, base: int, size: int, ctx: PeripheralContext,
                 **params: object) -> None:
        for out in type(self).outputs:
            if not hasattr(type(self), out):
                setattr(self, out, Signal(f"{name}.{out}"))
        self._warned: set[str] = set()               # messages warn_once has logged
        self.name = name
        self.base = base
        self.size = size
        self.ctx = ctx
        self.params = params
        self._by_offset: dict[int, Register] = {r.offset: r for r in self.registers}
        self._by_name: dict[str, Register] = {r.name: r for r in self.registers}
        self._field_specs: dict[tuple[str, str], tuple[int, int, int]] = {}   # see _field_spec
        self._access_masks: dict[int, tuple[int, int, int, int, int]] = {}   # see _access_mask_set
        self._read_hooks: dict[int, Callable[[int], int]] = {}
        self._write_hooks: dict[int, Callable[[int, int], None]] = {}
        _check_hooks(type(self), self.registers)        # registers built per instance too
        if not type(self).registers:
            _check_field_names(type(self), self.registers, per_instance=True)
        for r in self.registers:
            rh = getattr(self, f"on_read_{r.name}", None)
            if rh is not None:
                self._read_hooks[r.offset] = rh
            wh = getattr(self, f"on_write_{r.name}", None)
            if wh is not None:
                self._write_hooks[r.offset] = wh
        # registers the chip declares (from ST's SVD, see simulator/platform.py), by offset
        self.declared: dict[int, object] = {d.offset: d for d in params.get("declared", ()) or ()}
        # offset -> bits of fields without a modelled effect; writes changing them are counted
        self._unmodelled_bits = {r.offset: r.unmodelled_mask for r in self.registers
                                 if r.unmodelled_mask}
        self.unmodelled_fields: dict[str, int] = {}      # NAME.REG.FIELD -> changing writes
        top = max([size] + [r.offset + 4 for r in self.registers])
        self.values = RegisterValues(np.zeros((top + 3) >> 2, dtype=np.uint32),
                                     tuple(self._by_offset))
        self.reset()

    def warn_once(self, message: str) -> None:
        """Log ``warning: message`` the first time this block says it (firmware often retries
        the same mistake in a loop)."""
        if message not in self._warned:
            self._warned.add(message)
            self.ctx.log(f"warning: {message}")

    # --- lifecycle -------------------------------------------------------------------------
    def reset(self) -> None:
        for r in self.registers:
            self.values[r.offset] = r.reset_value()

    def standby_wakeup(self) -> bool:
        """An event of this block that ends Standby is pending (the RTC's wake-up timer)."""
        return False

    def system_reset(self) -> None:
        """A system reset (SYSRESETREQ, exit from Standby): like :meth:`reset` (power-on)
        except for state in the backup domain, which blocks that hold some override."""
        self.reset()

    def connected(self, find: Callable[[str, type], object]) -> None:
        """Called once every block of the machine is wired (ports set, signals connected).
        ``find(name, Protocol)`` resolves a block that the model's own platform parameters
        name (a GPIO's alternate-function table), checked against the Protocol: only here,
        never during the run."""

    # --- clocks ------------------------------------------------------------------------------
    def kernel_hz(self) -> float:
        """This block's kernel clock: what the clock tree's kernel clock mux selects for it
        (ClockTree.kernel_clock_hz(name)), else the clock its ``kernel_clock`` names."""
        if self.clocks is not None:
            try:
                return float(self.clocks.kernel_clock_hz(self.name))
            except KeyError:
                pass
        return float(self.ctx.clock_hz(self.kernel_clock))

    def clock_enabled(self, block: str | None = None) -> bool:
        """The clock-enable bit of this block (or ``block``) in the clock tree; True when no
        clock tree is wired. Models ignore writes to an unclocked block, as silicon does."""
        return self.clocks is None or bool(self.clocks.block_enabled(block or self.name))

    # --- delays ------------------------------------------------------------------------------
    def after(self, seconds: float, key: str, action: Callable[[], None],
              hz: float | None = None) -> None:
        """Run ``action`` ``seconds`` of simulated time from now, replacing a pending action
        of the same ``key`` (an oscillator start-up, a regulator settling). The delay is
        converted to core cycles at the core clock now (``hz``, else ``ctx.clock_hz("cpu")``):
        a later clock change does not stretch it. Pending actions are in ``self._pending``."""
        self.cancel_pending(key)
        rate = hz if hz is not None else self.ctx.clock_hz("cpu")

        def fire(_cycle: int) -> None:
            self._pending.pop(key, None)
            action()

        self._pending[key] = self.ctx.schedule(
            self.ctx.now() + max(1, math.ceil(seconds * rate)), fire)

    def cancel_pending(self, key: str | None = None) -> None:
        """Cancel the pending :meth:`after` action ``key`` (all of them when None)."""
        pending: dict[str, int] = self.__dict__.setdefault("_pending", {})
        for k in ([key] if key is not None else list(pending)):
            handle = pending.pop(k, None)
            if handle is not None:
                self.ctx.cancel(handle)

    # --- register access by name (for subclasses and tests) --------------------------------
    def reg(self, name: str) -> int:
        return self.values._mv[self._by_name[name].offset >> 2]

    def set_reg(self, name: str, value: int) -> None:
        self.values[self._by_name[name].offset] = value & 0xFFFFFFFF

    def _field_spec(self, reg: str, fld: str) -> tuple[int, int, int]:
        """(register offset, field mask, field lsb) of ``reg.fld``, looked up once per
        instance (models read fields by name on every event: 61,000 times on an aligner
        run)."""
        spec = self._field_specs.get((reg, fld))
        if spec is None:
            r = self._by_name[reg]
            f = r.field(fld)
            spec = self._field_specs[reg, fld] = (r.offset, f.mask, f.lsb)
        return spec

    def get_field(self, reg: str, fld: str) -> int:
        # the hottest call of the models: the spec memo and the values' word view inline (a
        # declared register's offset is always in range)
        spec = self._field_specs.get((reg, fld)) or self._field_spec(reg, fld)
        return (self.values._mv[spec[0] >> 2] & spec[1]) >> spec[2]

    def set_field(self, reg: str, fld: str, value: int) -> None:
        offset, mask, lsb = self._field_specs.get((reg, fld)) or self._field_spec(reg, fld)
        self.values[offset] = ((self.values[offset] & ~mask) | ((value << lsb) & mask)) \
            & 0xFFFFFFFF

    # --- bus side --------------------------------------------------------------------------
    def register_name(self, offset: int) -> str:
        """``NAME.REG`` for the register at ``offset`` (the SVD's name), else ``NAME+0xOFF``."""
        aligned = offset & ~3
        reg = self._by_offset.get(aligned) or self.declared.get(aligned)
        if reg is None:
            return f"{self.name}+{offset:#x}"
        extra = f"+{offset & 3}" if offset & 3 else ""
        return f"{self.name}.{reg.name}{extra}"

    def alias_of(self, offset: int) -> int:
        """The offset of the register that ``offset`` (word aligned) shows: a block whose
        window repeats some registers at a second offset (RCC C1_ registers, flash bank 2)
        overrides this rather than read/write, so the bus can serve the alias natively."""
        return offset

    def plain_registers(self) -> tuple[set[int], set[int]]:
        """(word offsets whose reads, whose writes) have no side effect: no hook, no
        override of read/write, not in ``side_effect_registers``. The bus serves them from
        :attr:`values` without calling Python (simulator/bus.py); every other access calls
        :meth:`read` / :meth:`write`. Aliases count as their target."""
        cls = type(self)
        reads: set[int] = set()
        writes: set[int] = set()
        plain_read = cls.read is Peripheral.read
        plain_write = cls.write is Peripheral.write
        aliased = type(self).alias_of is not Peripheral.alias_of
        offsets = range(0, self.size, 4) if aliased else sorted(self._by_offset)
        for offset in offsets:
            target = self.alias_of(offset)
            reg = self._by_offset.get(target)
            if reg is None or reg.name in self.side_effect_registers:
                continue
            if target in self._unmodelled_bits:      # writes reach Python: fields counted
                if plain_read and target not in self._read_hooks:
                    reads.add(offset)
                continue
            if plain_read and target not in self._read_hooks:
                reads.add(offset)
            if plain_write and target not in self._write_hooks:
                writes.add(offset)
        return reads, writes

    def _access_mask_set(self, aligned: int, reg: Register) -> tuple[int, int, int, int, int]:
        """(stored by a write, written 1 clears, written 1 sets, written 1 toggles, readable)
        bits of the register at ``aligned``: fixed per register, computed on first access."""
        m = self._access_masks.get(aligned)
        if m is None:
            m = self._access_masks[aligned] = (
                reg.mask_of(RW, WO), reg.mask_of(W1C), reg.mask_of(W1S), reg.mask_of(WT),
                ~reg.mask_of(WO) & 0xFFFFFFFF)
        return m

    def read(self, offset: int, size: int) -> int:
        offset = self.alias_of(offset & ~3) | (offset & 3)
        aligned = offset & ~3
        reg = self._by_offset.get(aligned)
        if reg is None:
            self.ctx.log(f"read of unimplemented {self.register_name(offset)}")
            return 0
        value = self.values[aligned]
        hook = self._read_hooks.get(aligned)
        if hook is not None:
            value = hook(value) & 0xFFFFFFFF
        value &= self._access_mask_set(aligned, reg)[4]
        shift = (offset & 3) * 8
        return (value >> shift) & ((1 << (8 * size)) - 1)

    def write(self, offset: int, size: int, value: int) -> None:
        offset = self.alias_of(offset & ~3) | (offset & 3)
        aligned = offset & ~3
        reg = self._by_offset.get(aligned)
        if reg is None:
            self.ctx.log(f"write {value:#x} to unimplemented {self.register_name(offset)}")
            return
        shift = (offset & 3) * 8
        lane = (((1 << (8 * size)) - 1) << shift) & 0xFFFFFFFF
        value = (value << shift) & lane
        old = self.values[aligned]
        new = old
        m_rw, m_w1c, m_w1s, m_wt, _ = self._access_mask_set(aligned, reg)
        m = m_rw & lane
        new = (new & ~m) | (value & m)
        m = m_w1c & lane
        new &= ~(value & m)
        m = m_w1s & lane
        new |= value & m
        m = m_wt & lane
        new ^= value & m
        new &= 0xFFFFFFFF
        self.values[aligned] = new
        um = self._unmodelled_bits.get(aligned)
        if um and (old ^ new) & um:
            self._note_unmodelled(reg, (old ^ new) & um)
        hook = self._write_hooks.get(aligned)
        if hook is not None:
            hook(old, new)


    def _note_unmodelled(self, reg: Register, bits: int) -> None:
        for f in reg.fields:
            if not f.modelled and bits & f.mask:
                self.note_unmodelled(f"{reg.name}.{f.name}")

    def note_unmodelled(self, field: str) -> None:
        """Count one use of ``REG.FIELD`` whose effect the model does not give (logged the
        first time). Write-time counting (``Field(modelled=False)``) calls it; a model whose
        field matters only in some modes calls it itself when that mode is used."""
        key = f"{self.name}.{field}"
        if key not in self.unmodelled_fields:
            self.unmodelled_fields[key] = 0
            self.ctx.log(f"{key}: written, stored without a modelled effect")
        self.unmodelled_fields[key] += 1


class UnmodelledPeripheral(Peripheral):
    """A declared window with no model: a read gives the register's reset value (as the chip's
    SVD declares it; 0 where nothing is declared), writes are dropped, and every access is
    logged with the register's name so nothing is silent."""

    def __init__(self, name: str, base: int, size: int, ctx: PeripheralContext,
                 **params: object) -> None:
        super().__init__(name, base, size, ctx, **params)
        self.accesses: list[Access] = []          # the first MAX_KEPT, for diagnostics
        self.register_counts: dict[str, int] = {}  # every access, by register name

    MAX_KEPT = 10_000

    def _record(self, access: Access) -> None:
        self.register_counts[access.register] = self.register_counts.get(access.register, 0) + 1
        if len(self.accesses) < self.MAX_KEPT:
            self.accesses.append(access)

    def read(self, offset: int, size: int) -> int:
        d = self.declared.get(offset & ~3)
        value = 0
        if d is not None and d.access != "w":
            value = (d.reset >> ((offset & 3) * 8)) & ((1 << (8 * size)) - 1)
        where = self.register_name(offset)
        self._record(Access(self.ctx.now(), self.name, offset, size, False, value, where))
        self.ctx.log(f"unmodelled {where}: read{size * 8} -> {value:#x}")
        return value

    def write(self, offset: int, size: int, value: int) -> None:
        where = self.register_name(offset)
        self._record(Access(self.ctx.now(), self.name, offset, size, True, value, where))
        self.ctx.log(f"unmodelled {where}: write{size * 8} {value:#x} dropped")


def chip_param(params: Mapping[str, object], chip: str, key: str,
               default: object = None) -> object:
    """A model's own ``key`` parameter, else the platform's [chip] table's (the machine passes
    ``chip``; a model built without a machine, in register-level tests, takes the bundled
    ``chip``'s), else ``default``; a KeyError naming the key when there is none."""
    table = params.get("chip") or _bundled_chip(chip)
    value = params.get(key, table.get(key, default))  # type: ignore[union-attr]
    if value is None:
        raise KeyError(f"the platform's [chip] table has no {key}")
    return value


@lru_cache(maxsize=4)
def _bundled_chip(chip: str) -> Mapping[str, Any]:
    from simulator.platform import load_platform
    return load_platform(chip).chip


@dataclass
class FakeContext:
    """A context for register-level tests without a CPU: time is set by hand, scheduled
    callbacks run when :meth:`advance` passes them, IRQ levels are recorded."""

    cycle: int = 0
    clocks: dict[str, float] = field(default_factory=dict)
    irqs: dict[int, bool] = field(default_factory=dict)
    pended: list[int] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    peripherals: dict[str, Peripheral] = field(default_factory=dict)
    _events: list[tuple[int, int, Callable[[int], None]]] = field(default_factory=list)
    _next: int = 0
    _lines: IrqLines = field(default_factory=lambda: IrqLines())
    #: the clock a test that sets none runs at: the bundled STM32H743's reset clock (HSI)
    reset_hz: float = field(default_factory=lambda: float(_bundled_chip("stm32h743")["hsi_hz"]))

    def now(self) -> int:
        return self.cycle

    def schedule(self, cycle: int, callback: Callable[[int], None]) -> int:
        self._next += 1
        self._events.append((cycle, self._next, callback))
        self._events.sort(key=lambda e: (e[0], e[1]))
        return self._next

    def cancel(self, handle: int) -> None:
        self._events = [e for e in self._events if e[1] != handle]

    def now_seconds(self) -> float:
        return self.cycle / self.clocks.get("cpu", self.reset_hz)

    def schedule_seconds(self, seconds: float, callback: Callable[[float], None]) -> int:
        """Tests: seconds map onto cycles at the fixed ``clocks['cpu']`` (``reset_hz`` default)."""
        import math
        cycle = max(self.cycle, math.ceil(seconds * self.clocks.get("cpu", self.reset_hz) - 1e-6))
        return self.schedule(cycle, lambda c: callback(seconds))

    def set_irq(self, irq: int, level: bool, source: str = "") -> None:
        self.irqs[irq] = self._lines.drive(irq, source, level)

    def pend_exception(self, number: int) -> None:
        self.pended.append(number)

    clock_tree: ClockTree | None = None

    def wire(self, wiring: Wiring | None = None) -> None:
        """Wire :attr:`peripherals` as the platform would (the bundled STM32H743's
        ``[wiring]`` unless given; wiring to a block not held here is skipped); the clock
        tree, when wired, then answers :meth:`clock_hz`."""
        from .wiring import wire
        if wiring is None:
            from simulator.platform import load_platform
            wiring = load_platform("stm32h743").wiring
        wire(self.peripherals, wiring, partial_set=True)
        clocks = self.peripherals.get(wiring.ports.get("clocks", ""))
        self.clock_tree = clocks  # type: ignore[assignment]

    def clock_hz(self, name: str) -> float:
        if self.clock_tree is not None:
            return self.clock_tree.clock_hz(name)
        return self.clocks.get(name, self.reset_hz)

    def log(self, message: str) -> None:
        self.messages.append(message)

    def warn(self, message: str) -> None:
        self.messages.append(f"warning: {message}")

    resets: list[tuple[str, str | None]] = field(default_factory=list)

    def request_reset(self, cause: str, rsr_flag: str | None = None) -> None:
        self.resets.append((cause, rsr_flag))

    memory: dict[int, int] = field(default_factory=dict)   # byte address -> value

    def mem_read(self, address: int, size: int) -> bytes:
        return bytes(self.memory.get(address + i, 0) for i in range(size))

    def mem_write(self, address: int, data: bytes) -> None:
        for i, b in enumerate(data):
            self.memory[address + i] = b

    def peripheral_at(self, address: int) -> Peripheral | None:
        for p in self.peripherals.values():
            if p.base <= address < p.base + p.size:
                return p
        return None

    watches: list[FakeReadWatch] = field(default_factory=list)

    def watch_reads(self, lo: int, hi: int, segments: int) -> FakeReadWatch:
        w = FakeReadWatch(lo, hi, segments)
        self.watches.append(w)
        return w

    def cpu_read(self, address: int) -> None:
        """Tests: the CPU loads from ``address`` (marks the read watches over it)."""
        for w in self.watches:
            if not w.closed and w.lo <= address < w.hi:
                w.flags[(address - w.lo) * w.segments // (w.hi - w.lo)] = True

    def advance(self, cycles: int) -> None:
        target = self.cycle + cycles
        while self._events and self._events[0][0] <= target:
            cyc, _, cb = self._events.pop(0)
            self.cycle = cyc
            cb(cyc)
        self.cycle = target


@dataclass
class FakeReadWatch:
    """The test double of simulator.read_watch.ReadWatch (reads marked by FakeContext)."""

    lo: int
    hi: int
    segments: int
    closed: bool = False
    flags: list[bool] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.flags = [False] * self.segments

    def was_read(self, segment: int) -> bool:
        return self.flags[segment]

    def clear(self, segment: int) -> None:
        self.flags[segment] = False

    def close(self) -> None:
        self.closed = True
