"""The machine: Unicorn CPU + platform memory + peripherals + event queue, and the run loop.

Python runs only at events: a peripheral register access (MMIO callback), an exception
(Unicorn interrupt hook), a scheduled event deadline (the native block hook stops the CPU),
WFI/WFE, or a fault. Between events Unicorn runs freely with the native cycle counter.
"""

from __future__ import annotations

import gc
import struct
import sys
import time
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
from unicorn import (
    UC_ARCH_ARM, UC_HOOK_CODE, UC_HOOK_INSN_INVALID, UC_HOOK_INTR, UC_MODE_MCLASS, UC_MODE_THUMB,
    Uc, UcError,
)
from unicorn.arm_const import (
    UC_ARM_REG_CONTROL, UC_ARM_REG_MSP, UC_ARM_REG_PC, UC_ARM_REG_SP, UC_CPU_ARM_CORTEX_M7,
)

from peripherals import model_class
from peripherals.base import Peripheral
from peripherals.irq_lines import IrqLines
from peripherals.ports import (
    ClockTree, Console, FlashInterface, PowerControl, UartConsole, WakeupController,
)
from peripherals.wiring import WiringError, wire

from .attachments import Attachment, Signal
from .code_map import CostModel, build_code_tables, instruction_sites
from .core_blocks import CoreBlocks
from .elf import Firmware, FirmwareError
from .exits import ExitReason
from .faults import Faults
from .lowpower import LowPower
from .exceptions import (
    ExceptionEngine, Lockup, UnhandledFault,
)
from .access_sites import AccessLocator
from .bus import Bus
from .native import NativeCounter
from . import thumb, tlb_fill, uc_mapping
from .platform import Platform
from .regbatch import RegReader
from .semihosting import Memory, Semihosting
from .timebase import Timebase
from . import interrupt as _interrupt

UNTIL = 0xFFFFFF00            # emu_start's stop address: never a code address on this chip
WALL_CHECK_CYCLES = 50_000_000  # with --timeout, look at the host clock this often
# while signal handlers are installed (simulator/interrupt.py), return to Python this often so
# a Ctrl-C is noticed even in a loop that never touches a peripheral
INTERRUPT_CHECK_CYCLES = 20_000_000
PROGRESS_S = 0.25               # host seconds between progress reports



@dataclass
class RunConfig:
    max_cycles: int | None = None
    timeout_s: float | None = None
    semihosting_root: Path | None = None
    uart_input: bytes = b""
    echo: Callable[[str, bytes], None] | None = None    # live console output (source, bytes)
    cost_model: CostModel = field(default_factory=lambda: default_cost_model())
    max_resets: int = 8
    dynamic_timing: bool = True              # I-cache, flash wait states, branch prediction
    dcache: str = "sampled"                  # D-cache / data memory model: sampled | exact | off
    # called with the simulated seconds so far, about every PROGRESS_S of host time
    progress: Callable[[float], None] | None = None
    cpu_freq_hz: float | None = None         # what-if: core clock once the firmware runs on PLL1
    profile: bool = False                    # per-block counters and the dynamic CFG
    watch_stack: bool = True                 # native SP check after blocks that lower SP
    fast_mmio: bool = True                   # plain registers served natively (simulator/bus.py)
    poll_skip: bool = True                   # skip loops that repeat until the next event

    strict: bool = False                     # out-of-spec clocks/VOS/flash wait states: exit 4
    baud: int = 115_200                      # the host terminal's baud rate (console USART)


@dataclass
class Segment:
    """A stretch of simulated time in one power state at one clock setting."""

    start_cycle: int
    end_cycle: int
    state: str            # run | sleep | stop (SLEEPDEEP set when the core slept)
    core_hz: float
    seconds: float
    vos: int | None = None                  # voltage scale in force (PWR)
    hclk_hz: float | None = None            # AXI/AHB clock
    icache: bool = False                    # SCB CCR.IC
    dcache: bool = False                    # SCB CCR.DC
    flash_latency: int | None = None        # FLASH_ACR.LATENCY
    code_cycles: dict[str, int] = field(default_factory=dict)   # run cycles by code region
    peripherals_on: tuple[str, ...] = ()    # blocks with their RCC clock enabled
    wake_from: str | None = None            # for state "wakeup": the state being left
    clocks: dict[str, float] = field(default_factory=dict)   # APB clocks (Hz) for the power model
    svos: int | None = None                 # PWR_CR1.SVOS as 3 / 4 / 5 (Stop-mode scale)
    flash_low_power: bool = False           # PWR_CR1.FLPS (flash off in Stop)
    pdds: int = 0                           # PWR_CPUCR PDDS_D1..D3 (all set + deep sleep: Standby)
    plls_on: tuple[int, ...] = ()           # PLLs running (RCC_CR PLLxRDY)


@dataclass
class RunResult:
    exit_reason: str
    exit_code: int
    cycles: int
    instructions: int
    core_hz: float
    seconds: float
    sleep_cycles: int
    console: dict[str, bytes]
    diagnostic: str | None
    fault: dict | None
    segments: list[Segment]
    wall_seconds: float
    exceptions_taken: dict[int, int]
    dp_emulated: int
    unmodelled_accesses: dict[str, int]
    log: list[str]
    timing: dict = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    # accesses to blocks without a model, by register name (TIM6.CNT, MPU+0x0...)
    unmodelled_registers: dict[str, int] = field(default_factory=dict)
    # writes that changed a field the model declares without an effect (BLOCK.REG.FIELD)
    unmodelled_fields: dict[str, int] = field(default_factory=dict)
    # a signal ended the run early: {signal, pc, where, cycle, seconds}; the figures are partial
    interrupted: dict | None = None
    resets: list[dict] = field(default_factory=list)   # system resets in order, with causes
    host: dict = field(default_factory=dict)   # how the host got there (fast paths used)


@dataclass(frozen=True)
class ClockOverride:
    """--cpu-freq: the core and AXI clocks, VOS and flash wait states that frequency needs
    (DS12110 operating points and RM0433 Table 17), applied once the firmware has switched
    its system clock to PLL1. Peripheral kernel clocks keep what the firmware configured."""

    cpu_hz: float
    axi_hz: float
    vos: int
    flash_wait_states: int


class MachineContext:
    """The PeripheralContext that peripherals see (see peripherals/base.py)."""

    def __init__(self, machine: "Machine") -> None:
        self.m = machine

    def now(self) -> int:
        return self.m.access_now()

    def schedule(self, cycle: int, callback: Callable[[int], None]) -> int:
        return self.m.schedule(cycle, callback)

    def cancel(self, handle: int) -> None:
        self.m.time.cancel(handle)

    def now_seconds(self) -> float:
        return self.m.now_seconds()

    def schedule_seconds(self, seconds: float, callback: Callable[[float], None]) -> int:
        return self.m.schedule_seconds(seconds, callback)

    def set_irq(self, irq: int, level: bool, source: str = "") -> None:
        self.m.engine.set_irq_level(irq, self.m.irq_lines.drive(irq, source, level))
        self.m.request_dispatch()

    def pend_exception(self, number: int) -> None:
        self.m.engine.set_pending(number)
        self.m.request_dispatch()

    def request_reset(self, cause: str, rsr_flag: str | None = None) -> None:
        self.m.request_reset(cause, rsr_flag)

    def clock_hz(self, name: str) -> float:
        override = self.m.clock_override()
        if override is not None and name in ("cpu", "hclk"):
            return override.cpu_hz if name == "cpu" else override.axi_hz
        clocks = self.m.clocks
        if clocks is not None:
            return float(clocks.clock_hz(name))
        return float(self.m.platform.chip["hsi_hz"])

    def log(self, message: str) -> None:
        self.m.log(message)

    def warn(self, message: str) -> None:
        self.m.warn(message)

    def mem_read(self, address: int, size: int) -> bytes:
        watches = self.m.read_watches
        if not watches:
            return bytes(self.m.uc.mem_read(address, size))
        running = [w.cpu_running for w in watches]      # a DMA read is not the CPU's
        for w in watches:
            w.set_cpu_running(False)
        try:
            return bytes(self.m.uc.mem_read(address, size))
        finally:
            for w, r in zip(watches, running):
                w.set_cpu_running(r)

    def mem_write(self, address: int, data: bytes) -> None:
        self.m.uc.mem_write(address, data)

    def peripheral_at(self, address: int) -> Peripheral | None:
        return self.m.bus.window(address)

    def watch_reads(self, lo: int, hi: int, segments: int):
        from .read_watch import ReadWatch
        m = self.m
        w = ReadWatch(m.uc, lo, hi, segments, m.defer_hook_change, m.bus.host_address)
        m.read_watches = [x for x in m.read_watches if not x.closed] + [w]
        return w


# Machines whose Unicorn instance is still open. A machine lives in reference cycles (its
# hooks hold it), so one nobody uses any more is freed only when the garbage collector runs;
# each holds ~1 GiB of address space (Unicorn's translation buffer) until then. A process
# that builds machine after machine (batch workers, the fuzz campaign, API loops) would grow
# by that much per run: past MAX_OPEN_MACHINES open ones, building another collects first.
_OPEN_MACHINES: weakref.WeakSet[Machine] = weakref.WeakSet()
MAX_OPEN_MACHINES = 2


class Machine:
    """The chip: CPU (Unicorn), bus, peripherals, exception engine, timebase and the run
    loop. Faults (simulator/faults.py) and Sleep/Stop/Standby (simulator/lowpower.py) are
    their own modules, mixed in."""

    def __init__(self, firmware: Firmware, platform: Platform, config: RunConfig | None = None,
                 attachments: Sequence[Attachment] = ()) -> None:
        if len(_OPEN_MACHINES) >= MAX_OPEN_MACHINES:
            gc.collect()
        self.fw = firmware
        self.platform = platform
        self.config = config or RunConfig()
        self.lowpower = LowPower(self)     # Sleep/Stop/Standby: mode, wake-up costs
        self._log: list[str] = []
        self.console: dict[str, bytearray] = {"semihosting": bytearray()}
        # what attachments subscribe to (simulator/attachments)
        self.attachments: list[Attachment] = []
        self._exec_hooks: tuple[int, list, list] = (0, [], [])   # see _execute_hooks
        self.exception_entered = Signal("exception_entered")   # (number, cycle it began | None)
        self.going_to_sleep = Signal("going_to_sleep")         # WFI/WFE executed
        self.audio = None                  # set by an AudioFeed attachment
        self.uc = uc = Uc(UC_ARCH_ARM, UC_MODE_THUMB | UC_MODE_MCLASS)
        _OPEN_MACHINES.add(self)
        uc.ctl_set_cpu_model(UC_CPU_ARM_CORTEX_M7)
        self.reg = RegReader(uc)            # one 32-bit register, ~4x cheaper than uc.reg_read
        # Hooks go in before any code is translated.
        self.counter = NativeCounter(uc)
        self.time = Timebase(self.counter)
        self.events = self.time.events
        self.lp_events = self.time.lp_events
        if self.config.poll_skip:
            self.counter.enable_poll_skip(uc)
        self.bus = Bus(uc, platform, self.counter, log=self.log, fast=self.config.fast_mmio)
        self.bus.map_memory()
        uc_mapping.install(uc)             # Unicorn's region lookup, cached per page
        # RAM no code runs from gets non-executable TLB entries: its stores leave Unicorn's
        # slow path (simulator/tlb_fill.py)
        self.tlb = tlb_fill.install(uc, platform.data_only_ranges())
        self.memory = self.bus.memory
        self.bus.load_segments(firmware)
        from .memory import MemoryTracker
        self.ram = MemoryTracker(self)
        self.ram.paint()
        self.engine = ExceptionEngine(uc, platform.n_irqs, platform.nvic_priority_bits,
                                      self._charge, self.now)
        self.irq_lines = IrqLines()        # shared NVIC lines: OR of their sources
        self.ctx = MachineContext(self)
        self.faults = Faults(self)          # fault state, fault log, CCR trap hooks
        self._override: ClockOverride | None = None
        if self.config.cpu_freq_hz is not None:
            from .power import load, operating_point
            op = operating_point(self.config.cpu_freq_hz / 1e6, platform.revision,
                                 data=load(platform.power_data))
            self._override = ClockOverride(self.config.cpu_freq_hz, op.axi_hz, op.vos,
                                           op.flash_wait_states)
        self.peripherals: dict[str, Peripheral] = {}
        # the blocks the platform wires as the chip's clock tree, power controller and flash
        # interface ([wiring], peripherals/ports.py): the machine reads published values
        # from them (clocks, voltage scale, low-power state), never register fields
        self.clocks: ClockTree | None = None
        self.power_control: PowerControl | None = None
        self.flash_interface: FlashInterface | None = None
        self.wakeup_controller: WakeupController | None = None      # what ends Stop (EXTI)
        self.consoles: dict[str, Console] = {}          # console = true blocks
        self.uart_consoles: dict[str, UartConsole] = {}  # those the host types into
        from .timing.dynamic import M7DynamicParams, PeripheralLatency
        self.dyn = M7DynamicParams()
        self._periph_latency = PeripheralLatency()
        self._fill_key: tuple | None = None
        if self.config.dynamic_timing:
            buses = platform.peripheral_buses
            self.bus.latency = lambda addr: self._periph_latency.cycles(
                addr, self.ctx.clock_hz, self.core_hz, buses)
            self.bus.timing_key = lambda: (self.core_hz, self._fill_key)
        self.bus.after_write = self.request_dispatch
        self.bus.on_python_access = self._check_wall
        self._make_peripherals()
        self.engine.on_enter.append(
            lambda n, vec, started: self.exception_entered.emit(n, started))
        for attachment in attachments:
            self.attach(attachment)
        self.code_tables = build_code_tables(firmware, platform, self.config.cost_model)
        from . import cache
        self._locator = AccessLocator(self.code_tables, cache.key(
            firmware.sha256, cache.source_hash("access_sites.py"), cache.dist_version("capstone"),
            "sites"))
        self.bus.locator = self._locator
        for t in self.code_tables:
            self.counter.add_region(t.region())
        if self.ram.stack is not None and self.config.watch_stack:
            self.counter.watch_stack(self.ram.stack.start)
            self.counter.stop_on_new_stack_minimum()
        if self.config.profile:
            self.counter.enable_profile()
            self.counter.enable_shadow_stack()
            self.engine.on_enter.append(
                lambda n, vec, started: self.counter.shadow_exception_enter(vec, started))
            self.engine.on_return.append(lambda n: self.counter.shadow_exception_return())
            self.engine.on_returned.append(self.counter.shadow_exception_returned)
        sbrk = firmware.symbol("_sbrk")
        if sbrk is not None and sbrk.kind == "FUNC":
            self.uc.hook_add(UC_HOOK_CODE, self.ram.on_heap_growth, begin=sbrk.addr,
                             end=sbrk.addr)
        self.warnings: list[str] = []
        self._console_baud: dict[str, float] = {}
        self._fill_key: tuple | None = None
        self._fill_pre: tuple | None = None       # see _update_fill_cycles
        if self.config.dynamic_timing:
            d = self.dyn
            self.counter.enable_dynamic(
                d.cache_sets(platform.chip["icache_bytes"], d.icache_ways),
                d.predictor_entries, d.mispredict_penalty, d.icache_ways, d.line_bytes)
            scb = self.core.scb
            if scb is not None:
                scb.ccr_listeners.append(lambda old, new: self.counter.set_icache(bool(new & (1 << 17))))
            fc = self.core.fpu_cache
            if fc is not None:
                fc.listeners.append(self._on_cache_maintenance)
        self.dcache = None
        if self.config.dynamic_timing and self.config.dcache != "off":
            from .dcache import DataCache, memory_map
            d = self.dyn
            self.dcache = DataCache(uc, self.counter,
                                    d.cache_sets(platform.chip["dcache_bytes"], d.dcache_ways),
                                    d.dcache_ways, self.config.dcache, d.dcache_sample_period,
                                    d.dcache_sample_window, d.dcache_sample_warmup,
                                    memory_map(platform), d.line_bytes)
            scb = self.core.scb
            if scb is not None:
                scb.ccr_listeners.append(
                    lambda old, new: self.dcache.set_enabled(bool(new & (1 << 16))))
        scb = self.core.scb
        if scb is not None:
            scb.ccr_listeners.append(self.faults.on_ccr_traps)
        self._native_cache_maintenance()
        self.mpu_map = None
        mpu = self.core.mpu
        if mpu is not None:
            from .mpu_map import MpuMap
            self.mpu_map = MpuMap(self, mpu)
        self._dp = _make_dp_fpu()
        self.lowpower.hook_sev()
        uc.hook_add(UC_HOOK_INTR, self.faults.on_interrupt)
        uc.hook_add(UC_HOOK_INSN_INVALID, self.faults.on_invalid)
        self.faults.hook_invalid(self.tlb.data_only if self.tlb is not None else ())
        self._hook_mask_changes()
        self._hook_control_reads()
        if self.mpu_map is not None:
            self.engine.stack_guard = self._stack_guard
        self.engine.request_dispatch = self.request_dispatch
        self._fp_defaults = None            # fp_context.FpContextDefaults, at the first write
        if self.core.fpu_cache is not None:
            self.core.fpu_cache.default_listeners.append(self._on_fp_defaults)
        self.semihosting = Semihosting(
            Memory(lambda a, n: bytes(uc.mem_read(a, n)), lambda a, d: uc.mem_write(a, d),
                   platform.is_memory),
            self._semihost_out, self.now_seconds, self.now, lambda: self.core_hz,
            self.config.semihosting_root, heapinfo=self._heapinfo(), cmdline=firmware.path.name)
        self.time.core_hz = self.ctx.clock_hz("cpu")
        if self.clocks is not None:
            self.clocks.clock_changed.connect(self._on_clock_change)
        self.segments: list[Segment] = []
        self._seg_start = 0
        self._seg_code: dict[int, int] = {}
        self._seg_wake_from: str | None = None
        self._seg_power = self._power_state()
        self._seg_hz = self.core_hz
        self._seg_state = "run"
        self._seg_seconds_start = 0.0
        self.sleeping = False
        self._stop_requested = False
        self._hook_changes: list[Callable[[], None]] = []   # defer_hook_change
        self.read_watches: list = []            # simulator/read_watch.py: told when the CPU runs
        self._exit: tuple[str, int, str | None] | None = None
        self._interrupt_info: dict | None = None      # set when a signal ended the run
        self.resets: list[dict] = []       # system resets: cause, RSR flag, cycle, where
        self._resets = 0
        self._reset_requested = False
        self._mmio_count = 0
        self._wall0 = time.monotonic()
        self._boot()
        if self.config.profile:
            self.counter.shadow_push_root(self.reg(UC_ARM_REG_PC) & ~1)

    @property
    def fault_log(self) -> list[dict]:
        """Every fault raised, as its handler sees it (the report's ``faults``)."""
        return self.faults.log

    # --- construction ------------------------------------------------------------------------
    def _make_peripherals(self) -> None:
        windows: list[tuple[int, int, Peripheral]] = []
        operating = self.platform.operating          # one file lookup, not one per block
        for w in self.platform.peripherals:
            try:
                cls = model_class(w.model)
            except LookupError as exc:
                from .platform import PlatformError
                raise PlatformError(str(exc)) from exc
            params = dict(w.params)
            if w.irqs:
                params["irqs"] = w.irqs
            params.setdefault("chip", self.platform.chip)
            params.setdefault("operating", operating)
            params.setdefault("revision", self.platform.revision)
            p = cls(w.name, w.base, w.size, self.ctx, **params)
            self.peripherals[w.name] = p
            windows.append((w.base, w.end, p))
        from .platform import PlatformError
        try:
            wire(self.peripherals, self.platform.wiring)
        except WiringError as exc:
            raise PlatformError(f"{self.platform.source}: {exc}") from exc
        ports = self.platform.wiring.ports
        self.clocks = self.peripherals.get(ports.get("clocks", ""))  # type: ignore[assignment]
        self.power_control = self.peripherals.get(ports.get("power", ""))  # type: ignore
        self.flash_interface = self.peripherals.get(ports.get("flash", ""))  # type: ignore
        self.wakeup_controller = self.peripherals.get(  # type: ignore[assignment]
            ports.get("wakeup_controller", ""))
        self.core = CoreBlocks.resolve(self.platform.core_ports, self.peripherals,
                                       self.platform.source)
        for block in (self.core.nvic, self.core.scb, self.core.stir):
            if block is not None:
                block.engine = self.engine
        scb = self.core.scb
        if scb is not None:
            scb.reset_requests.append(self._on_reset_request)
            scb.ccr_listeners.append(lambda old, new: self._close_segment())
        if self.power_control is not None:
            self.power_control.vos_changed.connect(self._close_segment)
        for p in self.peripherals.values():
            if p.params.get("console"):
                if not isinstance(p, Console):
                    raise PlatformError(f"{self.platform.source}: {p.name} is marked console "
                                        f"but its model ({type(p).__name__}) has no host side")
                p.attach_host(lambda b, name=p.name: self._uart_out(name, b))
                self.consoles[p.name] = p
                if isinstance(p, UartConsole):
                    self.uart_consoles[p.name] = p
                self.console.setdefault(p.name, bytearray())
        self.bus.map_peripherals(windows)

    def _hook_mask_changes(self) -> None:
        """Python hooks just after the few instructions that lower the interrupt masks (CPSIE,
        MSR to PRIMASK/BASEPRI/FAULTMASK), so that an interrupt that became pending while
        masked is taken right after the mask drops, as on silicon. The hook sits on the
        *next* instruction: stopping there leaves the mask change executed. After MSR BASEPRI
        and BASEPRI_MAX it also drops the unimplemented BASEPRI bits."""
        def lowers_mask(h: np.ndarray, nxt: np.ndarray) -> np.ndarray:
            cpsie = np.isin(h, (0xB662, 0xB661, 0xB663))            # CPSIE i / f / if
            msr = ((h & 0xFFF0) == 0xF380) & ((nxt & 0xFF00) == 0x8800) \
                & np.isin(nxt & 0xFF, (16, 17, 18, 19))            # MSR PRIMASK..FAULTMASK
            return cpsie | msr

        for t, i in instruction_sites(self.code_tables, lowers_mask):
            after = t.base + 2 * i + thumb.size(int(t.halfwords[i]))
            # MSR BASEPRI / BASEPRI_MAX: QEMU keeps all 8 bits written; silicon implements the
            # priority bits only (the others read as zero and ignore writes)
            h = int(t.halfwords[i])
            basepri = h & 0xFFF0 == 0xF380 and int(t.halfwords[i + 1]) & 0xFF in (17, 18)
            self.uc.hook_add(UC_HOOK_CODE, self._on_mask_lowered, user_data=basepri,
                             begin=after, end=after)

    def _hook_control_reads(self) -> None:
        """A code hook on each `MRS Rd, CONTROL`: QEMU's CONTROL has a bit 3 (ARMv8-M SFPA),
        which this M7 model sets with FPCA at a new FP context and which MRS returns; on
        ARMv7-M CONTROL[31:3] read as zero (B1.4.4). The hook clears it before the MRS
        executes (writable at any privilege), so the program reads 0, 4 for FPCA."""
        def mrs_control(h: np.ndarray, nxt: np.ndarray) -> np.ndarray:
            return (h == 0xF3EF) & ((nxt & 0xF0FF) == 0x8014)      # MRS Rd, CONTROL (SYSm 20)

        for t, i in instruction_sites(self.code_tables, mrs_control):
            at = t.base + 2 * i
            self.uc.hook_add(UC_HOOK_CODE, self._on_control_read, begin=at, end=at)

    def _on_control_read(self, uc, address: int, size: int, user_data) -> None:
        control = self.engine.read_control()
        if control & 8:
            uc.reg_write(UC_ARM_REG_CONTROL, control & ~8)

    def _heapinfo(self) -> tuple[int, int, int, int]:
        def sym(*names: str) -> int:
            for n in names:
                s = self.fw.symbol(n)
                if s is not None:
                    return s.addr
            return 0
        return (sym("__heap_start", "__heap_start__", "end"), sym("__heap_end", "__HeapLimit"),
                sym("_estack", "__stack"), sym("__stack_start", "__StackLimit"))

    def _boot(self) -> None:
        """Reset the core as silicon does: SP and PC from the vector table at the boot
        address; VTOR starts at the boot address on the STM32H7 (RM0433 2.6)."""
        boot = self.platform.boot_address
        try:
            sp, pc = struct.unpack("<II", self.uc.mem_read(boot, 8))
        except UcError as exc:
            raise FirmwareError(f"no vector table at the boot address {boot:#010x}") from exc
        if pc == 0xFFFFFFFF or pc == 0 or not pc & 1:
            raise FirmwareError(
                f"{self.fw.path.name}: the reset vector at {boot + 4:#010x} is {pc:#010x}, "
                "not a Thumb code address: is the vector table at the boot address?")
        self.engine.vtor = boot
        self.engine.active.clear()
        self.engine.pending.clear()
        self.uc.reg_write(UC_ARM_REG_MSP, sp)
        self.uc.reg_write(UC_ARM_REG_SP, sp)
        self.uc.reg_write(UC_ARM_REG_PC, pc)

    # --- time ----------------------------------------------------------------------------
    # --- time (simulator/timebase.py) ------------------------------------------------------
    def now(self) -> int:
        return self.counter.cycles

    def now_seconds(self) -> float:
        return self.time.seconds()

    @property
    def core_hz(self) -> float:
        return self.time.core_hz

    @property
    def sleep_cycles(self) -> int:
        return self.time.sleep_cycles

    def schedule(self, cycle: int, callback: Callable[[int], None]) -> int:
        return self.time.schedule(cycle, callback)

    def schedule_seconds(self, seconds: float, callback: Callable[[float], None]) -> int:
        """An event of a clock that runs in Stop/Standby (see events.TimeQueue)."""
        return self.time.schedule_seconds(seconds, callback)

    # --- attachments (simulator/attachments) ----------------------------------------------
    def attach(self, attachment: Attachment) -> None:
        """Add an attachment: it subscribes to the machine's signals now."""
        self.attachments.append(attachment)
        attachment.attach(self)

    def _charge(self, cycles: int) -> None:
        self.counter.cycles = self.counter.cycles + cycles
        self.counter.forget_previous_block()

    def _on_cache_maintenance(self, op: str, value: int) -> None:
        # I-cache invalidation by address is modelled as a whole invalidation (documented).
        if op in ("ICIALLU", "ICIMVAU"):
            self.counter.invalidate_icache()
        elif self.dcache is not None:
            cost = self.dcache.maintain(op, value)      # write-backs of cleaned dirty lines
            if cost:
                self.counter.charge_in_block(cost)

    def _native_cache_maintenance(self) -> None:
        """DCIMVAC (invalidate the D-cache line of an address; the aligner writes it 10,749
        times a run, for its DMA buffers) is served by the native MMIO callback on the D-cache
        model's tags (mmio_native._dcimvac, the same as DataCache.maintain) when this
        machine's maintenance listener is the only one: no Python call per write."""
        fc = self.core.fpu_cache
        if self.dcache is None or fc is None or fc.listeners != [self._on_cache_maintenance]:
            return
        from .mmio_native import WRITE_DCIMVAC
        self.bus.serve_natively(fc.operation_address("DCIMVAC"), WRITE_DCIMVAC)

    def _set_flash_buffer(self, hclk: float) -> None:
        """The flash banks' read data buffers ([chip] flash_read_buffer_bytes, one I-cache line;
        flash_bank_bytes) over the flash region the banks tile."""
        chip = self.platform.chip
        buf = int(chip.get("flash_read_buffer_bytes", 0))
        bank = int(chip.get("flash_bank_bytes", 0))
        region = next((r for r in self.platform.regions if r.kind == "flash" and bank
                       and r.size % bank == 0), None)
        if not buf or region is None:
            self.counter.set_flash_buffer(0, 0, 1, 0)
            return
        if buf != self.dyn.line_bytes:
            raise ValueError(f"{chip['name']}: flash_read_buffer_bytes {buf} is not one "
                             f"{self.dyn.line_bytes}-byte line (the only size modelled)")
        self.counter.set_flash_buffer(region.base, region.end, bank,
                                      self.dyn.flash_buffer_hit_cycles(self.core_hz, hclk))

    def _update_fill_cycles(self) -> None:
        """Instruction line fill costs follow FLASH_ACR.LATENCY and the CPU/AXI clock ratio;
        a latency below the datasheet table is reported (silicon would read garbage).
        Nothing is recomputed while the wait states, the clock tree's registers (when every
        write to them reaches Python, its ``values.version`` counts them), the regulator's VOS
        and the core clock are as at the last call (this runs at every stop)."""
        fl = self.flash_interface
        pre = (int(fl.latency) if fl is not None else None, _version(self.clocks),
               self.power_control.vos if self.power_control is not None else None, self.core_hz)
        if None not in pre[:2] and pre == self._fill_pre:
            return
        self._fill_pre = pre
        latency = int(fl.latency) if fl is not None else 7
        hclk = self.ctx.clock_hz("hclk")
        pwr = self.power_control
        vos = int(pwr.vos) if pwr is not None else 1
        ov = self.clock_override()
        if ov is not None:
            latency, vos = ov.flash_wait_states, ov.vos
        key = (latency, self.core_hz, hclk, vos)
        if key == self._fill_key:
            return
        self._fill_key = key
        self.bus.timing_changed()
        self.counter.set_fill_cycles(self.dyn.fetch_fill_cycles(latency, self.core_hz, hclk))
        self._set_flash_buffer(hclk)
        if self.dcache is not None:
            self.dcache.set_costs(*self.dyn.data_costs(latency, self.core_hz, hclk))
        if fl is not None and ov is None:
            warning = fl.check_latency(hclk, vos)
            if warning and warning not in self.warnings:
                self.warnings.append(warning)
                self.log(warning)
                if self.config.strict:
                    self._finish(ExitReason.FAULT, 4, f"--strict: {warning}")

    def _on_clock_change(self) -> None:
        hz = self.ctx.clock_hz("cpu")
        if hz != self.core_hz:
            self.bus.timing_changed()
        self.time.set_core_hz(hz)
        self._close_segment()

    def _close_segment(self, new_state: str | None = None) -> None:
        now = self.now()
        secs = self.now_seconds()
        by_region = self.counter.cycles_by_region()
        if now > self._seg_start or secs > self._seg_seconds_start:   # Stop: seconds, no cycles
            names = self.__dict__.get("_region_names")
            if names is None:
                names = self._region_names = {
                    t.base: (self.platform.region_at(t.base).name
                             if self.platform.region_at(t.base) else hex(t.base))
                    for t in self.code_tables}
            code = {names[b]: c - self._seg_code.get(b, 0) for b, c in by_region.items()
                    if c - self._seg_code.get(b, 0)}
            self.segments.append(Segment(
                self._seg_start, now, self._seg_state, self._seg_hz,
                secs - self._seg_seconds_start, **self._seg_power, code_cycles=code,
                wake_from=self._seg_wake_from if self._seg_state == "wakeup" else None))
        self._seg_code = by_region
        self._seg_power = self._power_state()
        self._seg_hz = self.core_hz
        self._seg_start = now
        self._seg_seconds_start = secs
        if new_state is not None:
            self._seg_state = new_state

    def clock_override(self) -> ClockOverride | None:
        """The --cpu-freq override, in force once the system clock runs from PLL1."""
        if self._override is None:
            return None
        clocks = getattr(self, "clocks", None)
        if clocks is None or not clocks.system_clock_from_pll():
            return None
        return self._override

    def _power_state(self) -> dict:
        """What the power model needs to know about the chip right now: the values the clock
        tree, power controller, SCB and flash interface publish, a function of their register
        values, the regulator's VOS and the --cpu-freq override: remembered for the last such
        state (segments close at every sleep)."""
        pwr = self.power_control
        blocks = [self.clocks, pwr, self.core.scb, self.flash_interface]
        key = (tuple(p.values.words.tobytes() if p is not None else b"" for p in blocks),
               getattr(pwr, "vos", None), self._override)
        memo = self.__dict__.get("_power_memo")
        if memo is None or memo[0] != key:
            memo = self._power_memo = (key, self._compute_power_state())
        out = dict(memo[1])
        if "clocks" in out:
            out["clocks"] = dict(out["clocks"])
        return out

    def _compute_power_state(self) -> dict:
        out: dict = {}
        pwr = self.power_control
        if pwr is not None:
            out["vos"] = int(pwr.vos)
        try:
            out["hclk_hz"] = self.ctx.clock_hz("hclk")
        except Exception:
            pass
        scb = self.core.scb
        if scb is not None:
            out["icache"], out["dcache"] = scb.caches
        fl = self.flash_interface
        if fl is not None:
            out["flash_latency"] = int(fl.latency)
        ov = self.clock_override()
        if ov is not None:
            out["vos"], out["flash_latency"] = ov.vos, ov.flash_wait_states
        if self.clocks is not None:
            out.update(self.clocks.power_state())
        if pwr is not None:
            out.update(pwr.power_state())
        return out

    # --- logging and console ---------------------------------------------------------------
    def log(self, message: str) -> None:
        if len(self._log) < 10_000:
            self._log.append(f"[{self.now():>12}] {message}")

    def warn(self, message: str) -> None:
        """A condition the user must not miss (out-of-spec clocks or voltage scale, a console
        baud rate the host does not use): in the summary; with --strict it ends the run."""
        if message in self.warnings:
            return
        self.warnings.append(message)
        self.log(f"warning: {message}")
        if self.config.strict:
            self._finish(ExitReason.FAULT, 4, f"--strict: {message}")
            self.counter.stop_soon()

    def _check_console_baud(self, name: str) -> None:
        """The console's baud rate against the host terminal's (--baud): beyond the receiver
        tolerance a board's terminal shows garbage (RM0433 48.5.8, Table 'Tolerance of the
        USART receiver': 3.75 % with 16x oversampling, 8 data bits, 1 stop bit)."""
        p = self.uart_consoles.get(name)
        baud = float(p.baud()) if p is not None else 0.0
        if not baud or baud == self._console_baud.get(name):
            return
        self._console_baud[name] = baud
        host = self.config.baud
        if abs(baud - host) > 0.0375 * host:
            self.warn(f"{name} (console) transmits at {baud:,.0f} baud but the host terminal "
                      f"runs at {host:,} (--baud): a board would show garbage")

    def _uart_out(self, name: str, byte: int) -> None:
        self._check_console_baud(name)
        self.console[name].append(byte)
        if self.config.echo:
            self.config.echo(name, bytes([byte]))

    def _semihost_out(self, fd: int, data: bytes) -> None:
        self.console["semihosting"] += data
        if self.config.echo:
            self.config.echo("semihosting", data)

    # --- MMIO (simulator/bus.py) -------------------------------------------------------------
    def _check_wall(self) -> None:
        """Peripheral accesses that reach Python: look at the host clock now and then so
        --timeout holds in loops that poll such a register too."""
        self._mmio_count += 1
        if self._mmio_count & 0xFFF == 0 and self.config.timeout_s is not None \
                and time.monotonic() - self._wall0 > self.config.timeout_s:
            self._stop_requested = True
            self.counter.stop_soon()

    def _window(self, addr: int) -> Peripheral | None:
        """The peripheral whose window holds ``addr`` (Bus.window)."""
        return self.bus.window(addr)

    def access_now(self) -> int:
        """The cycle count as a peripheral sees it (Bus.access_now)."""
        return self.bus.access_now()

    def _access_pc(self, address: int, write: bool) -> int | None:
        return self.bus.access_pc(address, write)

    def defer_hook_change(self, change: Callable[[], None]) -> None:
        """Add or delete a Unicorn hook (and flush translations) between blocks, before the
        next ``emu_start``, never inside a callback; stop the CPU at the next block start
        so it happens at once (simulator/read_watch.py says why)."""
        self._hook_changes.append(change)
        self._stop_requested = True
        self.counter.stop_soon()

    def request_dispatch(self) -> None:
        """Something may have made an exception pending: if it can be taken now, stop the
        CPU at the end of the current block so the run loop enters it."""
        if self._reset_requested or (self.engine.pending and self.engine.preempting() is not None):
            self._stop_requested = True
            self.counter.stop_soon()

    def _stack_guard(self, frame: int, size: int, write: bool) -> bool:
        """Whether the MPU forbids pushing (``write``) or popping any part of an exception
        frame (regions are at least 32 bytes: one check per 32 bytes and the last word)."""
        mpu = self.mpu_map
        if mpu is None or not mpu.mpu.enabled:
            return False
        return any(mpu.violation(False, write, a) is not None
                   for a in (*range(frame, frame + size, 32), frame + size - 4))

    def _on_fp_defaults(self, fpccr: int, fpdscr: int) -> None:
        """The firmware wrote FPCCR or FPDSCR: between blocks, into the CPU model's own copy
        (simulator/fp_context.py), which gives a handler's first FP instruction its FPSCR."""
        def apply() -> None:
            if self._fp_defaults is None:
                from .fp_context import FpContextDefaults
                self._fp_defaults = FpContextDefaults(self.uc)
            self._fp_defaults.set(fpccr, fpdscr)
        self.defer_hook_change(apply)

    def _on_mask_lowered(self, uc, address: int, size: int, basepri: bool) -> None:
        if basepri:
            self.engine.mask_basepri()
        if self.engine.pending and self.engine.preempting() is not None:
            self._stop_requested = True
            uc.emu_stop()

    def console_usart_feed(self, data: bytes) -> None:
        for p in self.uart_consoles.values():
            p.feed_rx(data)

    def _on_reset_request(self) -> None:
        self.request_reset("AIRCR.SYSRESETREQ", "SFTRSTF")

    def request_reset(self, cause: str, rsr_flag: str | None = None) -> None:
        """A system reset at the end of the current block: SYSRESETREQ, a watchdog.
        ``rsr_flag`` names the RCC_RSR flag the reset sets (RM0433 8.4.4)."""
        if not self._reset_requested:
            pc = self.reg(UC_ARM_REG_PC)
            self.resets.append({"cause": cause, "rsr_flag": rsr_flag, "cycle": self.now(),
                                "simulated_s": self.now_seconds(), "pc": pc,
                                "where": self.fw.describe(pc)})
        self._reset_requested = True
        self._stop_requested = True
        self.counter.stop_soon()

    # --- CPU exceptions ------------------------------------------------------------------
    def _finish(self, reason: str, code: int, diagnostic: str | None) -> None:
        if self._exit is None:
            self._exit = (reason, code, diagnostic)

    def _dispatch(self) -> None:
        n = self.engine.preempting()
        if n is not None and self._exit is None:
            # the branch that ended the last block resolved to the return address
            self.counter.branch_before_exception(self.reg(UC_ARM_REG_PC))
        while n is not None and self._exit is None:
            try:
                self.engine.check_async_handler(n)
                self.engine.take(n)
            except (Lockup, UnhandledFault) as ex:
                self.faults.on_fatal(ex)
                return
            n = self.engine.preempting()

    # --- the run loop ---------------------------------------------------------------------
    def run(self) -> RunResult:
        """Run until the firmware exits, faults, sleeps for good or a limit is reached.

        simavr's loop: service the events due; if the core sleeps, idle to the next event;
        else take the exceptions that can preempt and execute to the deadline. Between the
        two, every attachment's ``before_execute`` runs: the one place where a debugger halts
        or single-steps (simulator/attachments). A SIGINT/SIGTERM (simulator/interrupt.py)
        is noted by its handler and acted on at the top of the loop, between blocks."""
        from . import interrupt

        uc_mapping.claim(self.uc)          # the engine that runs is served by the cache
        with interrupt.on_signal(self._on_signal):
            return self._run_loop(interrupt)

    def release(self) -> None:
        """Free the CPU model now (Unicorn's translation buffer is ~1 GiB of address space)
        instead of whenever the garbage collector reaches this machine's reference cycles;
        a sweep runs one machine per clock. The machine cannot run or read memory after."""
        finalizer = getattr(self.uc, "_Uc__finalizer", None)   # unicorn 2.1: weakref.finalize
        if finalizer is not None:
            finalizer()
        _OPEN_MACHINES.discard(self)

    def _on_signal(self) -> None:
        """From the signal handler: only note it; the loop acts between blocks."""
        self._stop_requested = True
        self.counter.stop_soon()

    def _interrupted(self, signum: int) -> None:
        from . import interrupt
        pc = self.reg(UC_ARM_REG_PC)
        self._interrupt_info = {"signal": interrupt.name(signum), "pc": pc,
                                "where": self.fw.describe(pc), "cycle": self.now(),
                                "simulated_s": self.now_seconds()}
        self._finish(ExitReason.INTERRUPTED, interrupt.exit_code(signum),
                     f"interrupted by {interrupt.name(signum)} at {self.fw.describe(pc)}, "
                     f"cycle {self.now()}: the report is incomplete")

    def _run_loop(self, interrupt) -> RunResult:
        cfg = self.config
        wall0 = self._wall0 = time.monotonic()
        if cfg.uart_input:
            self.console_usart_feed(cfg.uart_input)
        self._next_report = wall0
        while self._exit is None:
            signum = interrupt.requested()
            if signum is not None:
                self._interrupted(signum)
                break
            self._service()
            if self._reset_requested:
                self._system_reset()
                continue
            if self._exit is not None:
                break
            if self.sleeping and not self._idle():
                continue
            self._dispatch()
            if self._exit is not None or self._limit_reached():
                break
            self._execute(self._deadline())
        result = self._result(time.monotonic() - wall0)
        for attachment in self.attachments:
            attachment.finish(self, result)
        return result

    def _service(self) -> None:
        """Everything due at this point between blocks: progress, both event queues, the
        stack watch, the RAM sample, the flash/SRAM fill costs of the current clocks."""
        cfg = self.config
        if cfg.progress is not None and time.monotonic() >= self._next_report:
            self._next_report = time.monotonic() + PROGRESS_S
            cfg.progress(self.now_seconds())
        self.time.run_due()
        if self.counter.take_stack_event():
            self.ram.on_new_stack_minimum()
        self.ram.sample()
        if cfg.dynamic_timing:
            self._update_fill_cycles()

    def _idle(self) -> bool:
        """The core sleeps: stay in Stop/Standby, sleep to the next event, or end the run
        when nothing can ever wake it. True when it woke up and runs now."""
        cfg = self.config
        if self.lowpower.mode is not None:
            self.lowpower.stay_stopped()
            return False
        if self.engine.can_wake():
            self.lowpower.wake()
            return True
        nxt = self.time.next_event_cycle()
        if nxt is None or (cfg.max_cycles is not None and nxt >= cfg.max_cycles):
            if cfg.max_cycles is not None and nxt is not None:
                self.time.sleep_until(cfg.max_cycles)
                self._finish(ExitReason.MAX_CYCLES, 4,
                             f"--max-cycles {cfg.max_cycles} reached while asleep")
            else:
                self._finish(ExitReason.IDLE, 0,
                             "the core sleeps (WFI/WFE) and no interrupt can ever wake it")
            return False
        self.time.sleep_until(nxt)
        return False

    def _limit_reached(self) -> bool:
        """--max-cycles or --timeout: finish the run and say so."""
        cfg = self.config
        if cfg.max_cycles is not None and self.now() >= cfg.max_cycles:
            self._finish(ExitReason.MAX_CYCLES, 4, f"--max-cycles {cfg.max_cycles} reached")
            return True
        if cfg.timeout_s is not None and time.monotonic() - self._wall0 > cfg.timeout_s:
            self._finish(ExitReason.TIMEOUT, 4, f"--timeout {cfg.timeout_s:g} s of host time "
                         "reached")
            return True
        return False

    def _deadline(self) -> int:
        """The cycle the CPU must stop at: the next event, --max-cycles, the D-cache model's
        next window switch, the next host-time check."""
        cfg = self.config
        limits = [d for d in (self.time.next_event_cycle(), cfg.max_cycles) if d is not None]
        if self.dcache is not None:
            active = self.active_cycles()
            self.dcache.poll(active)
            switch = self.dcache.next_switch(active)
            if switch is not None:
                limits.append(self.now() + switch - active)
        if cfg.timeout_s is not None or cfg.progress is not None:
            limits.append(self.now() + WALL_CHECK_CYCLES)
        if _interrupt.active():
            limits.append(self.now() + INTERRUPT_CHECK_CYCLES)
        return min(limits) if limits else int(np.iinfo(np.int64).max)

    def _execute(self, deadline: int) -> None:
        """Run the CPU until the deadline or something it does needs the loop: an exception
        became takeable, a fault, the firmware exits, WFI/WFE. Before it runs, every
        attachment's ``before_execute`` (the hook point: a debugger halts here, may set a
        one-instruction deadline or end the run); after each ``emu_start``, ``cpu_stopped``
        (an attachment that stopped the CPU mid-block resumes it there: no event may fire
        inside a block)."""
        self.counter.set_deadline(deadline)
        self._stop_requested = False
        before, stopped = self._execute_hooks()
        for attachment in before:
            attachment.before_execute(self)
        if self._exit is not None:
            return
        while self._hook_changes:
            self._hook_changes.pop(0)()
        pc = self.reg(UC_ARM_REG_PC)
        for w in self.read_watches:
            w.set_cpu_running(True)
        try:
            self.uc.emu_start(pc | 1, UNTIL)
            while stopped and any([a.cpu_stopped(self) for a in stopped]):
                self.uc.emu_start(self.reg(UC_ARM_REG_PC) | 1, UNTIL)
        except UcError as err:
            self.faults.from_error(err)
            return
        finally:
            for w in self.read_watches:
                w.set_cpu_running(False)
        if self._exit is not None or self._stop_requested or self.counter.stopped_by_deadline():
            return
        kind = self.lowpower.stopped_at_wfx()
        if kind == "wfe" and self.engine.event_register:
            self.engine.event_register = False
            return
        if kind is not None:
            self.lowpower.enter_sleep()
            return
        pc = self.reg(UC_ARM_REG_PC)
        self._finish(ExitReason.LOCKUP, 4, f"the CPU stopped unexpectedly at "
                     f"{self.fw.describe(pc)}")

    def _execute_hooks(self) -> tuple[list[Attachment], list[Attachment]]:
        """The attachments whose before_execute / cpu_stopped do something (not the base
        class's no-ops): found again whenever the attachment list changed."""
        got = self._exec_hooks
        if got[0] != len(self.attachments):      # attach() only appends
            got = self._exec_hooks = (len(self.attachments), [
                a for a in self.attachments if _overrides(a, "before_execute")],
                [a for a in self.attachments if _overrides(a, "cpu_stopped")])
        return got[1], got[2]

    # --- Stop and Standby ----------------------------------------------------------------
    def _reset_core_registers(self) -> None:
        """Core state a reset restores that _boot does not write (ARMv7-M B1.5.5)."""
        from unicorn import arm_const as a

        from . import privilege
        privilege.make_privileged(self.uc)     # a reset from an unprivileged thread
        for reg in (a.UC_ARM_REG_PRIMASK, a.UC_ARM_REG_FAULTMASK, a.UC_ARM_REG_BASEPRI,
                    a.UC_ARM_REG_CONTROL):
            self.uc.reg_write(reg, 0)
        e = self.engine
        e.enabled_irq.clear()
        e.irq_level.clear()
        self.irq_lines = IrqLines()
        e.irq_priority[:] = bytes(len(e.irq_priority))
        e.shpr[:] = bytes(len(e.shpr))
        e.prigroup = 0
        e.event_register = False
        e.async_fault = None
        if self._fp_defaults is not None:       # FPCCR, FPDSCR reset values (B3.2.20/22)
            from .fp_context import ASPEN, LSPEN
            self._fp_defaults.set(ASPEN | LSPEN, 0)

    def active_cycles(self) -> int:
        """Cycles the core has not spent asleep."""
        return self.now() - self.counter.sleep_cycles

    def _system_reset(self) -> None:
        self._reset_requested = False
        self._resets += 1
        last = self.resets[-1] if self.resets else {"cause": "AIRCR.SYSRESETREQ",
                                                     "rsr_flag": None, "where": "?"}
        if last["rsr_flag"] and last["rsr_flag"].startswith(("IWDG", "WWDG")):
            msg = f"watchdog reset: {last['cause']}; the firmware was at {last['where']}"
            if msg not in self.warnings:
                self.warnings.append(msg)
        if self._resets > self.config.max_resets:
            self._finish(ExitReason.RESET_LOOP, 4, f"the firmware reset itself {self._resets} "
                         f"times (last: {last['cause']} at {last['where']})")
            return
        self.log(f"system reset: {last['cause']}")
        self.lowpower.mode = None
        self._reset_chip()
        self._reset_core_registers()
        if last["rsr_flag"] and self.clocks is not None:
            self.clocks.note_reset(last["rsr_flag"])
        self.sleeping = False
        self._boot()

    def _reset_chip(self) -> None:
        """A system reset of the peripherals (the backup domain, RTC and RCC_BDCR, survives)
        and of the D-cache."""
        for p in self.peripherals.values():
            p.system_reset()
        if self.dcache is not None:
            self.dcache.reset()

    def _result(self, wall: float) -> RunResult:
        self._locator.save()
        self._close_segment()
        if self.dcache is not None:
            self.dcache.finish(self.active_cycles())
        if self.config.profile:
            self.counter.shadow_finish()
        reason, code, diag = self._exit or (ExitReason.LOCKUP, 4, "no exit")
        self.semihosting.close_all()
        unmodelled: dict[str, int] = {}
        registers: dict[str, int] = {}
        for p in self.peripherals.values():
            counts = getattr(p, "register_counts", None)
            if counts:
                unmodelled[p.name] = sum(counts.values())
                for reg, n in counts.items():
                    registers[reg] = registers.get(reg, 0) + n
        return RunResult(
            exit_reason=reason, exit_code=code, cycles=self.now(),
            instructions=self.counter.instructions, core_hz=self.core_hz,
            seconds=self.now_seconds(), sleep_cycles=self.sleep_cycles,
            console={k: bytes(v) for k, v in self.console.items()}, diagnostic=diag,
            fault=self.faults.info, segments=self.segments, wall_seconds=wall,
            exceptions_taken=dict(self.engine.stats.taken),
            dp_emulated=getattr(self._dp, "executed", 0) if self._dp else 0,
            unmodelled_accesses=unmodelled, log=list(self._log),
            timing=({**self.counter.dynamic_stats(),
                     "stall_peripheral_cycles": self.bus.total_cycles,
                     **({"dcache": self.dcache.stats(self.active_cycles())} if self.dcache else {})}
                    if self.config.dynamic_timing else {}),
            warnings=list(self.warnings), interrupted=self._interrupt_info,
            resets=list(self.resets),
            unmodelled_registers=dict(sorted(registers.items(), key=lambda kv: -kv[1])),
            unmodelled_fields=dict(sorted(
                ((k, v) for p in self.peripherals.values() for k, v in p.unmodelled_fields.items()),
                key=lambda kv: -kv[1])),
            host={**self.bus.stats(), **self.counter.poll_stats()})


def _version(block: object) -> int | None:
    """The register version of a peripheral whose every register write reaches Python (its
    class overrides ``write``, so the bus serves none of its writes natively: the clock
    trees), else None."""
    if not isinstance(block, Peripheral) or type(block).write is Peripheral.write:
        return None
    return block.values.version


def _overrides(attachment: Attachment, name: str) -> bool:
    """Whether ``attachment``'s method ``name`` is not the base class's no-op."""
    method = getattr(attachment, name)
    return getattr(method, "__func__", None) is not getattr(Attachment, name)


def default_cost_model() -> CostModel:
    """The Cortex-M7 static timing model (simulator/timing)."""
    from .timing import CortexM7CostModel
    return CortexM7CostModel()


def _make_dp_fpu():
    try:
        from .fpu_dp import DoublePrecisionFpu
    except ImportError:
        return None
    return DoublePrecisionFpu()


def echo_to(stream=sys.stdout) -> Callable[[str, bytes], None]:
    """Live console output to ``stream``. It runs inside Unicorn callbacks, where an
    exception would be swallowed or corrupt the run: a stream that fails (a closed pipe, a
    full disk) is dropped instead (simulator/cli/streams.py handles stdout for the CLI)."""
    dead = False

    def echo(source: str, data: bytes) -> None:
        nonlocal dead
        if dead:
            return
        try:
            stream.write(data.decode("utf-8", errors="replace"))
            stream.flush()
        except (OSError, ValueError):
            dead = True
    return echo
