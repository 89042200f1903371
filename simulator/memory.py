"""Peak RAM per region: static sections, stack, heap and everything else the firmware touches.

How it is measured, at no cost per instruction: before boot, every byte of RAM that the ELF
does not load is painted with a 32-bit pattern (silicon RAM holds garbage at power-up, so a
correct firmware cannot depend on it). A word that no longer holds the pattern has been
written. The deepest written word of the stack area is the stack peak; the highest written
word of the heap area is the heap peak; written words outside every section are "other"
(buffers placed by address, DMA targets). A write of the pattern value itself would go
unseen; the pattern is chosen to make that vanishingly rare.

Between events the run loop calls :meth:`MemoryTracker.sample`, which reads SP (one register
read) and, at most every ``scan_every_cycles``, scans the stack and heap areas with NumPy: that
gives the timeline, and for each new peak the code location at which it was observed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from unicorn.arm_const import UC_ARM_REG_MSP, UC_ARM_REG_PC, UC_ARM_REG_PSP

from . import privilege
from .thumb import is_32bit, is_call

if TYPE_CHECKING:
    from .machine import Machine

from .stack_layout import (
    HEAP_SECTIONS,
    SIZE_CHECK_SECTIONS,
    STACK_SECTIONS,
    Area,
    find_heap,
    find_stack,
    shares_gap,
)

PATTERN = 0xC5A3E1D7           # painted into untouched RAM (little-endian words)
_PAT_BYTES = np.frombuffer(PATTERN.to_bytes(4, "little"), dtype=np.uint8)
# sections that are not static data: the stack and heap areas and size-check reservations
_NOT_STATIC = set(STACK_SECTIONS) | set(HEAP_SECTIONS) | set(SIZE_CHECK_SECTIONS)


@dataclass
class Sample:
    cycle: int
    seconds: float
    sp: int
    stack_bytes: int
    heap_bytes: int
    pc: int


@dataclass
class Peak:
    bytes: int
    cycle: int
    seconds: float
    location: str
    # the PC the location is described from (a DWARF line lookup, ~0.4 ms) when the report
    # asks: most peaks of a run are overtaken before then
    pc: int | None = None

    def where(self, describe) -> str:
        if self.pc is not None:
            self.location, self.pc = describe(self.pc), None
        return self.location


MAX_SAMPLES = 100_000       # samples held during a run (thinned 2:1 when reached)
TIMELINE_POINTS = 500       # memory.timeline points in the report (evenly sampled)


@dataclass
class MemoryTracker:
    machine: Machine
    scan_every_cycles: int = 1_000_000
    stack: Area | None = None
    heap: Area | None = None
    initial_sp: int = 0
    samples: list[Sample] = field(default_factory=list)
    samples_seen: int = 0         # scans taken; samples keeps every sample_stride-th one
    sample_stride: int = 1
    stack_peak: Peak | None = None
    heap_peak: Peak | None = None
    live_peak: Peak | None = None
    overflow: str | None = None
    min_sp: int = 0xFFFFFFFF      # lowest MSP (main stack; thread stacks use PSP)
    min_psp: int | None = None    # lowest PSP seen at events (RTOS task stacks)
    brk: int | None = None        # heap break from the _sbrk increments (None: no _sbrk)
    deepest: dict[str, Any] | None = None     # where the lowest SP was reached, with a call stack
    heap_growth: dict[str, Any] | None = None # where the heap last grew (_sbrk), with a call stack
    _last_scan: int = -(1 << 62)
    # words written before a power loss (Standby), per region: the RAM was repainted since
    _written: dict[str, np.ndarray] = field(default_factory=dict)

    def paint(self) -> None:
        """Paint all RAM not loaded from the ELF; find the stack and heap areas."""
        m = self.machine
        loaded: dict[str, list[tuple[int, int]]] = {}
        for seg in m.fw.segments:
            r = m.platform.region_at(seg.paddr, max(len(seg.data), 1))
            if r is not None and r.ram and seg.data:
                loaded.setdefault(r.name, []).append((seg.paddr - r.base, len(seg.data)))
        for r in m.platform.regions:
            if not r.ram:
                continue
            buf = m.memory[r.name]
            keep = [(o, bytes(buf[o:o + n])) for o, n in loaded.get(r.name, [])]
            buf.view(np.uint32)[:] = PATTERN
            for o, data in keep:
                buf[o:o + len(data)] = np.frombuffer(data, np.uint8)
        try:
            self.initial_sp = int.from_bytes(bytes(m.uc.mem_read(m.platform.boot_address, 4)),
                                             "little")
        except Exception:  # noqa: BLE001 - nothing at the boot address: Machine._boot says so
            self.initial_sp = 0
        self.stack = find_stack(m.fw, m.platform, self.initial_sp)
        self.heap = find_heap(m.fw, m.platform, self.stack)
        self._shared = shares_gap(self.stack, self.heap)

    def power_loss(self, keep: tuple[str, ...] = ()) -> None:
        """The RAM lost its contents (exit from Standby): repaint every RAM region but
        ``keep`` — silicon holds garbage again, and the ELF's RAM-loaded segments are gone too
        (no debugger reloads them). The words written so far still count for the peaks."""
        m = self.machine
        self.sample(force=True)
        for r in m.platform.regions:
            if not r.ram or r.name in keep:
                continue
            words = m.memory[r.name].view(np.uint32)
            written = words != PATTERN
            prev = self._written.get(r.name)
            self._written[r.name] = written if prev is None else (prev | written)
            words[:] = PATTERN
        regions = (m.platform.region_at(seg.paddr, len(seg.data)) for seg in m.fw.segments
                   if seg.data)
        if any(r is not None and r.ram for r in regions):
            m.log("warning: the ELF loads data straight into RAM; it is lost in Standby "
                  "(as on silicon: nothing reloads it)")

    def _written_words(self, name: str, lo: int, hi: int) -> np.ndarray:
        """Boolean per word of region ``name``, bytes [lo, hi): written since boot."""
        m = self.machine
        touched = m.memory[name][lo:hi].view(np.uint32) != PATTERN
        prev = self._written.get(name)
        if prev is not None:
            touched |= prev[lo // 4:hi // 4]
        return touched

    # --- measurements ----------------------------------------------------------------------
    def _touched(self, area: Area) -> np.ndarray:
        """Indices (words) of written words of an area."""
        m = self.machine
        r = m.platform.region(area.region)
        lo = (area.start - r.base + 3) & ~3
        hi = (area.end - r.base) & ~3
        if hi <= lo:
            return np.zeros(0, dtype=np.int64)
        return np.flatnonzero(self._written_words(r.name, lo, hi))

    def _heap_top(self) -> int | None:
        """Where the heap ends now: its area's end when it has one of its own; in a gap shared
        with the stack (CubeIDE), the _sbrk break (None before any allocation)."""
        if self.heap is None:
            return None
        if not self._shared:
            return self.heap.end
        if self.brk is None:
            return None
        return min(max(self.brk, self.heap.start), self.heap.end)

    def stack_bytes(self) -> int:
        """Deepest main-stack use: the lowest written word of the stack area (above the heap's
        break when heap and stack share one gap). With a shared gap and no _sbrk seen, the
        lowest MSP, the only sure figure. Never negative."""
        if self.stack is None:
            return 0
        lo = self.stack.start
        if self._shared:
            top = self._heap_top()
            if top is None:
                return max(self.stack.end - self.min_sp, 0) if self.min_sp < self.stack.end else 0
            lo = max(lo, top)
        t = self._touched(Area(self.stack.region, lo, self.stack.end, ""))
        if not len(t):
            return 0
        r = self.machine.platform.region(self.stack.region)
        first = r.base + ((lo - r.base + 3) & ~3) + 4 * int(t[0])
        return max(self.stack.end - first, 0)

    def heap_bytes(self) -> int:
        """Highest written word of the heap, below its break (so stack words in a shared gap
        never count as heap)."""
        if self.heap is None:
            return 0
        top = self._heap_top()
        if top is None:          # shared gap, no _sbrk seen: nothing was allocated from it
            return 0
        t = self._touched(Area(self.heap.region, self.heap.start, top, ""))
        if not len(t):
            return 0
        r = self.machine.platform.region(self.heap.region)
        last = r.base + ((self.heap.start - r.base + 3) & ~3) + 4 * int(t[-1]) + 4
        return max(last - self.heap.start, 0)

    def sample(self, force: bool = False) -> None:
        """Cheap: SP every call; a NumPy scan of stack and heap when enough time passed."""
        m = self.machine
        sp = m.reg(UC_ARM_REG_MSP)
        psp = m.reg(UC_ARM_REG_PSP)
        if not sp:          # an unprivileged thread reads them as 0 (simulator/privilege.py)
            with privilege.lift(m.uc):
                sp, psp = m.reg(UC_ARM_REG_MSP), m.reg(UC_ARM_REG_PSP)
        if psp and (self.min_psp is None or psp < self.min_psp):
            self.min_psp = psp
        now = m.now()
        if sp < self.min_sp:
            self.min_sp = sp
            if self.stack is not None and sp < self.stack.start and self.overflow is None:
                pc = m.reg(UC_ARM_REG_PC)
                self.overflow = (f"stack overflow: SP {sp:#010x} is below the stack area "
                                 f"{self.stack.start:#010x}..{self.stack.end:#010x} at "
                                 f"{m.fw.describe(pc)}, cycle {now}")
        if not force and now - self._last_scan < self.scan_every_cycles:
            return
        self._last_scan = now
        st, hp = self.stack_bytes(), self.heap_bytes()
        pc = m.reg(UC_ARM_REG_PC)
        secs = m.now_seconds()
        if self.samples_seen % self.sample_stride == 0:
            self.samples.append(Sample(now, secs, sp, st, hp, pc))
            if len(self.samples) >= MAX_SAMPLES:
                # bounded memory over any run length, still covering the whole run: keep every
                # other sample and take half as many from now on
                del self.samples[1::2]
                self.sample_stride *= 2
        self.samples_seen += 1
        # a new peak keeps the PC; its location is described when the report is built
        if self.stack_peak is None or st > self.stack_peak.bytes:
            self.stack_peak = Peak(st, now, secs, "", pc)
        if self.heap_peak is None or hp > self.heap_peak.bytes:
            self.heap_peak = Peak(hp, now, secs, "", pc)
        if self.live_peak is None or st + hp > self.live_peak.bytes:
            self.live_peak = Peak(st + hp, now, secs, "", pc)

    # --- the report ------------------------------------------------------------------------
    def on_new_stack_minimum(self) -> None:
        """The native watch stopped the CPU right after the block that took SP to a new low:
        record where, with a call stack recovered by scanning the stack for return addresses
        (words that point just after a BL/BLX in the firmware's code)."""
        from unicorn.arm_const import UC_ARM_REG_LR, UC_ARM_REG_MSP, UC_ARM_REG_PC

        m = self.machine
        sp = m.reg(UC_ARM_REG_MSP)
        if not sp:
            with privilege.lift(m.uc):
                sp = m.reg(UC_ARM_REG_MSP)
        if self.stack is None or sp < 0:
            return
        block = m.counter.stack_minimum_block       # the block that lowered SP
        frames = self.call_stack(block, sp, m.reg(UC_ARM_REG_LR))
        self.deepest = {"sp": sp, "bytes": self.stack.end - sp, "cycle": m.now(),
                        "seconds": m.now_seconds(), "where": frames[0],
                        "pc": m.reg(UC_ARM_REG_PC), "call_stack": frames}
        self._live(self.stack.end - sp, self.heap_bytes(), frames[0])

    def _live(self, stack: int, heap: int, where: str) -> None:
        """Stack and heap both grow only at the moments we stop for (a new lowest SP, a heap
        growth): their sum there gives the peak of bytes live at the same moment."""
        m = self.machine
        if self.live_peak is None or stack + heap > self.live_peak.bytes:
            self.live_peak = Peak(stack + heap, m.now(), m.now_seconds(), where)

    def on_heap_growth(self, uc, address: int, size: int, _ud) -> None:
        """Code hook on the firmware's _sbrk: remember where the heap last grew (the heap
        peak is reached by the latest growth), with its call stack."""
        from unicorn.arm_const import UC_ARM_REG_LR, UC_ARM_REG_R0, UC_ARM_REG_SP

        incr = uc.reg_read(UC_ARM_REG_R0)
        if incr == 0 or incr >= 0x80000000:
            return
        if self.heap is not None:
            self.brk = (self.heap.start if self.brk is None else self.brk) + incr
        m = self.machine
        lr = uc.reg_read(UC_ARM_REG_LR)
        frames = self.call_stack(address, uc.reg_read(UC_ARM_REG_SP), lr)
        self.heap_growth = {"increment": incr, "cycle": m.now(), "seconds": m.now_seconds(),
                            "where": frames[1] if len(frames) > 1 else frames[0],
                            "call_stack": frames}
        if self.stack is not None:
            sp = uc.reg_read(UC_ARM_REG_SP)
            self._live(max(self.stack.end - sp, 0), self.heap_bytes(),
                       self.heap_growth["where"])

    def call_stack(self, pc: int, sp: int, lr: int) -> list[str]:
        """Frames from ``pc`` outwards, recovered by scanning the stack for return addresses."""
        m = self.machine
        block = pc
        frames = [m.fw.describe(block)]
        if self.stack is None:
            return frames
        # Accept a return address only if its call site calls the function of the frame
        # found so far (BL immediate: target checked; BLX register: accepted), so stale
        # return addresses left deeper in the stack by earlier calls are skipped.
        current = m.fw.function_at(block)
        cands = []
        for ret in self._stack_words(sp):
            site = self._call_site(ret)
            if site is not None:
                cands.append((site, self._bl_target(site)))
        # LR holds the caller's return address until the function pushes it: count it only
        # when the stack does not already start with that very return address
        lr_site = self._call_site(lr)
        if lr_site is not None and (not cands or cands[0][0] != lr_site):
            cands.insert(0, (lr_site, self._bl_target(lr_site)))
        k = 0
        while current is not None and len(frames) < 32:
            # prefer the nearest BL that provably calls the current function; an indirect
            # call (BLX Rm) is taken only when no such BL is left
            j = next((i for i in range(k, len(cands)) if cands[i][1] == current.addr), None)
            if j is None:
                j = next((i for i in range(k, len(cands)) if cands[i][1] is None), None)
            if j is None:
                break
            site = cands[j][0]
            frames.append(m.fw.describe(site))
            current = m.fw.function_at(site)
            k = j + 1
        return frames

    def _stack_words(self, sp: int) -> list[int]:
        m = self.machine
        r = m.platform.region(self.stack.region)
        lo = max(sp, self.stack.start) - r.base
        hi = self.stack.end - r.base
        lo &= ~3
        return [int(w) for w in m.memory[r.name][lo:hi].view("<u4")]

    def _call_site(self, ret: int) -> int | None:
        """Address of the BL/BLX that ``ret`` returns to, if ``ret`` is such a return address."""
        if not ret & 1:
            return None
        a = ret & ~1
        for t in self.machine.code_tables:
            i = (a - t.base) >> 1
            if 2 <= i <= len(t.halfwords) and t.base <= a:
                h1, h2 = int(t.halfwords[i - 2]), int(t.halfwords[i - 1])
                if is_32bit(h1) and is_call(h1, h2) and t.starts[i - 2]:
                    return a - 4                     # BL, 32-bit
                if is_call(h2, 0) and t.starts[i - 1]:
                    return a - 2                     # BLX Rm, 16-bit
                return None
        return None

    def _bl_target(self, site: int) -> int | None:
        """Destination of the 32-bit BL at ``site`` (ARMv7-M A7.7.18), None for BLX Rm."""
        for t in self.machine.code_tables:
            i = (site - t.base) >> 1
            if t.base <= site and i + 1 < len(t.halfwords):
                h1, h2 = int(t.halfwords[i]), int(t.halfwords[i + 1])
                if (h1 & 0xF800) != 0xF000:
                    return None
                s_ = (h1 >> 10) & 1
                i1 = 1 - (((h2 >> 13) & 1) ^ s_)
                i2 = 1 - (((h2 >> 11) & 1) ^ s_)
                imm = (s_ << 24) | (i1 << 23) | (i2 << 22) | ((h1 & 0x3FF) << 12) | ((h2 & 0x7FF) << 1)
                if s_:
                    imm -= 1 << 25
                return (site + 4 + imm) & 0xFFFFFFFF
        return None

    def _native_watch(self) -> None:
        """Fold in the native SP watch (checked after every block that lowers SP)."""
        m = self.machine
        low, at = m.counter.stack_watch()
        if low is not None and low < self.min_sp:
            self.min_sp = low
        if at is not None and self.overflow is None and self.stack is not None:
            self.overflow = (f"stack overflow: SP {low:#010x} went below the stack area "
                             f"{self.stack.start:#010x}..{self.stack.end:#010x} after "
                             f"{m.fw.describe(at)}")

    def report(self) -> dict[str, Any]:
        self.sample(force=True)
        self._native_watch()
        m = self.machine
        fw, platform = m.fw, m.platform
        regions: dict[str, dict[str, Any]] = {}
        covered: dict[str, list[tuple[int, int]]] = {}
        for s in fw.sections:
            if not s.alloc or not s.size:
                continue
            r = platform.region_at(s.addr, s.size)
            if r is None or not r.ram:
                continue
            if s.name in SIZE_CHECK_SECTIONS:
                continue          # a size reservation: the stack/heap areas cover what is used
            covered.setdefault(r.name, []).append((s.addr, s.end))
            if s.name in _NOT_STATIC:
                continue
            info = regions.setdefault(r.name, _empty(r.size))
            kind = "data" if s.name.startswith(".data") else ("bss" if s.nobits else "other")
            info["static"][s.name] = s.size
            info["static_by_kind"][kind] += s.size
            info["static_bytes"] += s.size
        if self.stack is not None:
            regions.setdefault(self.stack.region, _empty(platform.region(self.stack.region).size))
            regions[self.stack.region]["stack_bytes"] = self.stack_bytes()
            regions[self.stack.region]["stack_reserved"] = (
                self.stack.reserved if self.stack.reserved is not None
                else self.stack.end - self.stack.start)
        if self.heap is not None:
            regions.setdefault(self.heap.region, _empty(platform.region(self.heap.region).size))
            regions[self.heap.region]["heap_bytes"] = self.heap_bytes()
            regions[self.heap.region]["heap_reserved"] = (
                self.heap.reserved if self.heap.reserved is not None
                else self.heap.end - self.heap.start)
        for r in platform.regions:
            if not r.ram:
                continue
            touched = self._written_words(r.name, 0, r.size & ~3)
            areas = [(a.start, a.end) for a in (self.stack, self.heap)
                     if a is not None and a.region == r.name]
            for a, b in covered.get(r.name, []) + areas:
                touched[max(a - r.base, 0) // 4:(b - r.base + 3) // 4] = False
            other = int(touched.sum()) * 4
            if other:
                regions.setdefault(r.name, _empty(r.size))["other_touched_bytes"] = other
        total = 0
        for info in regions.values():
            info["peak_bytes"] = (info["static_bytes"] + info["stack_bytes"] + info["heap_bytes"]
                                  + info["other_touched_bytes"])
            total += info["peak_bytes"]
        flash = {"code": 0, "rodata": 0, "data_load": 0}
        for s in fw.sections:
            if not s.alloc or s.nobits or not s.size:
                continue
            r = platform.region_at(s.load_addr, s.size)
            if r is None or r.kind != "flash":
                continue
            if s.addr != s.load_addr:
                flash["data_load"] += s.size
            elif s.execute:
                flash["code"] += s.size
            else:
                flash["rodata"] += s.size

        def peak(p: Peak | None) -> dict[str, Any] | None:
            return None if p is None else {"bytes": p.bytes, "cycle": p.cycle,
                                           "seconds": p.seconds,
                                           "observed_at": p.where(self.machine.fw.describe)}
        return {
            "method": "RAM painted before boot; written words found by scanning "
                      "(sampled at events, final scan at the end)",
            "peak_ram_bytes": total,
            "regions": {k: v for k, v in regions.items() if v["peak_bytes"]},
            "stack": None if self.stack is None else {
                "region": self.stack.region, "start": self.stack.start, "end": self.stack.end,
                "found_from": self.stack.source, "peak": peak(self.stack_peak),
                "reserved_bytes": self.stack.reserved,
                "min_sp": self.min_sp if self.min_sp != 0xFFFFFFFF else None,
                "min_psp": self.min_psp,
                "deepest": self.deepest},
            "heap": None if self.heap is None else {
                "region": self.heap.region, "start": self.heap.start, "end": self.heap.end,
                "found_from": self.heap.source, "peak": peak(self.heap_peak),
                "reserved_bytes": self.heap.reserved, "break": self.brk,
                "last_growth": self.heap_growth},
            "live_peak": peak(self.live_peak),
            "overflow": self.overflow,
            "rtos": self._rtos(),
            "timeline": [s.__dict__ for s in _thin(self.samples, TIMELINE_POINTS)],
            "flash_bytes": sum(flash.values()),
            "flash": flash,
        }


    def _rtos(self) -> dict[str, Any] | None:
        """FreeRTOS tasks (stack high-water marks) and heap, when the firmware is FreeRTOS."""
        from .rtos import freertos_report

        m = self.machine

        def is_ram(addr: int) -> bool:
            r = m.platform.region_at(addr, 4)
            return r is not None and r.ram
        return freertos_report(m.fw, lambda a, n: bytes(m.uc.mem_read(a, n)), is_ram)


def _empty(size: int) -> dict[str, Any]:
    return {"size": size, "static": {}, "static_by_kind": {"data": 0, "bss": 0, "other": 0},
            "static_bytes": 0, "stack_bytes": 0, "heap_bytes": 0, "other_touched_bytes": 0}


def _thin(samples: list[Sample], n: int) -> list[Sample]:
    if len(samples) <= n:
        return samples
    step = len(samples) / n
    return [samples[int(i * step)] for i in range(n)]


# --- budgets -------------------------------------------------------------------------------
_UNITS = {"": 1, "b": 1, "k": 1024, "kb": 1000, "kib": 1024, "m": 1 << 20, "mb": 1_000_000,
          "mib": 1 << 20}


def parse_size(text: str) -> int:
    """'1MiB', '512K', '131072', '64 KB' -> bytes (K/M and KiB/MiB are binary, kB/MB decimal)."""
    mt = re.fullmatch(r"\s*(\d{1,12}(?:\.\d{1,12})?)\s*([a-zA-Z]*)\s*", text)
    if not mt or mt.group(2).lower() not in _UNITS:
        raise ValueError(f"not a size: {text[:40]!r} (examples: 1MiB, 512K, 131072)")
    value = int(float(mt.group(1)) * _UNITS[mt.group(2).lower()])
    if value > 1 << 32:
        raise ValueError(f"{text.strip()[:40]!r} is more than the 4 GiB address space")
    return value


@dataclass
class RamBudget:
    total: int | None = None
    regions: dict[str, int] = field(default_factory=dict)

    def add(self, spec: str) -> None:
        """'1MiB' (total) or 'DTCM=64K' (one region)."""
        if "=" in spec:
            name, size = spec.split("=", 1)
            self.regions[name.strip().upper()] = parse_size(size)
        else:
            self.total = parse_size(spec)

    def validate(self, region_names: set[str]) -> None:
        for name in self.regions:
            if name not in region_names:
                raise ValueError(f"--max-ram: no RAM region named {name} "
                                 f"(regions: {', '.join(sorted(region_names))})")

    def check(self, mem: dict[str, Any], region_names: set[str]) -> list[str]:
        """One line per exceeded budget."""
        self.validate(region_names)
        out = []
        if self.total is not None and mem["peak_ram_bytes"] > self.total:
            out.append(f"peak RAM {mem['peak_ram_bytes']:,} B exceeds the budget of "
                       f"{self.total:,} B (total)")
        for name, limit in self.regions.items():
            used = mem["regions"].get(name, {}).get("peak_bytes", 0)
            if used > limit:
                out.append(f"peak RAM in {name} {used:,} B exceeds its budget of {limit:,} B")
        return out
