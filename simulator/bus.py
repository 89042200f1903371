"""The bus as the CPU sees it: memory regions, peripheral windows, MMIO dispatch and the time
each peripheral register access takes.

Memory regions are NumPy buffers mapped into Unicorn with ``mem_map_ptr`` (aliases share the
buffer). Peripheral windows are mapped as MMIO in runs of 1 KB pages, served by compiled
callbacks (simulator/mmio_native.py) over one uint32 array that holds every register's value:

- a read of a register without side effects (no ``on_read_`` hook, no read override; see
  ``Peripheral.plain_registers``) is answered from the array, a write to one without side
  effects lands in it (with its field access kinds: rw, w1c, w1s, toggle, read-only), and the
  access time is charged, all without calling Python. The peripheral models see the values
  through ``Peripheral.values``, a view of that same array;
- every other access (hooks, overrides, reserved offsets, unaligned or wide accesses, the
  first access to a page after a clock change) calls :meth:`Bus.python_read` /
  :meth:`Bus.python_write`, which do what the machine always did: time the access, find the
  instruction that made it (for ``ctx.now()``), run the peripheral's Python model.

``RunConfig.fast_mmio = False`` sends every access to Python (same results, slower).
"""

from __future__ import annotations

import bisect
import ctypes
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
from unicorn import UC_PROT_EXEC, UC_PROT_READ, UC_PROT_WRITE, UcError
from unicorn.unicorn_py3 import unicorn as _ucmod
from unicorn.unicorn_py3.unicorn import uccallback

from peripherals.base import RW, W1C, W1S, WO, WT, Peripheral

from .elf import Firmware, FirmwareError
from .native import NativeCounter, uc_handle
from .regbatch import RegReader

if TYPE_CHECKING:
    from .access_sites import AccessLocator
    from .platform import Platform

PAGE = 0x400                    # MMIO mapping granule
WORDS_PER_PAGE = PAGE >> 2
READ_PLAIN, WRITE_PLAIN = 1, 2  # bits of the per-word kind table

_READ_CB = ctypes.CFUNCTYPE(ctypes.c_uint64, ctypes.c_void_p, ctypes.c_uint64, ctypes.c_uint,
                            ctypes.c_void_p)
_WRITE_CB = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_uint64, ctypes.c_uint,
                             ctypes.c_uint64, ctypes.c_void_p)


class Bus:
    """Memory map, peripheral windows and register access for one Unicorn instance."""

    def __init__(self, uc, platform: Platform, counter: NativeCounter, *,
                 log: Callable[[str], None], fast: bool = True) -> None:
        self.uc = uc
        self._reg = RegReader(uc)
        self.platform = platform
        self.counter = counter
        self.log = log
        self.fast = fast
        self.memory: dict[str, np.ndarray] = {}
        self._windows: list[tuple[int, int, Peripheral]] = []
        self._window_starts: list[int] = []
        self.locator: AccessLocator | None = None
        # access timing (set by the machine): latency(addr) -> cycles, and the key under
        # which computed latencies stay valid (core clock, flash/bus settings)
        self.latency: Callable[[int], int] | None = None
        self.timing_key: Callable[[], tuple] = lambda: ()
        self._lat_cache: dict[int, int] = {}
        self._lat_key: tuple | None = None
        self.python_total = 0          # bus cycles charged on the Python path
        # called after every Python-path write (an interrupt may have become takeable)
        self.after_write: Callable[[], None] = lambda: None
        # called on every Python-path access (the --timeout check of polling loops)
        self.on_python_access: Callable[[], None] = lambda: None
        self._access: list | None = None    # [address, write, cycle] of the access now
        self._native = None

    # --- memory ------------------------------------------------------------------------------
    def map_memory(self) -> None:
        uc = self.uc
        for r in self.platform.regions:
            buf = np.zeros(r.size, dtype=np.uint8)
            perms = UC_PROT_READ
            if r.kind != "flash":
                perms |= UC_PROT_WRITE
            if r.exec:
                perms |= UC_PROT_EXEC
            try:
                uc.mem_map_ptr(r.base, r.size, perms, buf.ctypes.data)
            except UcError as exc:
                from .platform import PlatformError
                raise PlatformError(f"platform region {r.name} at {r.base:#x} cannot be "
                                    f"mapped ({exc})") from exc
            self.memory[r.name] = buf
        for a in self.platform.aliases:
            if self.platform.region_at(a.target) is None:
                continue
            # An alias may span several regions (SRAM1..3): map each piece onto its storage.
            off = 0
            while off < a.size:
                r = self.platform.region_at(a.target + off)
                if r is None:
                    break
                start = a.target + off - r.base
                n = min(r.size - start, a.size - off)
                buf = self.memory[r.name]
                try:
                    uc.mem_map_ptr(a.base + off, n, UC_PROT_READ | UC_PROT_WRITE | UC_PROT_EXEC,
                                   buf.ctypes.data + start)
                except UcError as exc:
                    from .platform import PlatformError
                    raise PlatformError(f"platform alias {a.name} at {a.base + off:#x} cannot "
                                        f"be mapped ({exc})") from exc
                off += n

    def host_address(self, base: int, size: int) -> int | None:
        """Host address of the storage of [base, base + size) when it lies in one writable
        memory region (not an alias address): what a remapping of those pages serves from."""
        for r in self.platform.regions:
            if r.base <= base and base + size <= r.base + r.size and r.kind != "flash":
                return self.memory[r.name].ctypes.data + (base - r.base)
        return None

    def load_segments(self, fw: Firmware) -> None:
        for seg in fw.segments:
            if not seg.data:
                continue
            region = self.platform.region_at(seg.paddr, len(seg.data))
            if region is None:
                raise FirmwareError(
                    f"{fw.path.name}: segment at {seg.paddr:#010x} ({len(seg.data)} bytes) "
                    f"lies outside the {self.platform.name} memory map")
            # a segment linked at an alias (code at the F746's flash ITCM address) is stored
            # in the region the alias shows
            off = self.platform.physical(seg.paddr) - region.base
            self.memory[region.name][off:off + len(seg.data)] = np.frombuffer(seg.data, np.uint8)

    # --- peripheral windows ----------------------------------------------------------------
    def map_peripherals(self, windows: list[tuple[int, int, Peripheral]]) -> None:
        """Map the pages of every window (base, end, model) as MMIO and, on the fast path,
        move each model's register values into the shared array."""
        self._windows = sorted(windows, key=lambda t: t[0])
        self._window_starts = [w[0] for w in self._windows]
        pages = sorted({page for base, end, _ in self._windows
                        for page in range(base & ~(PAGE - 1), end, PAGE)})
        runs: list[tuple[int, int]] = []          # (first page, number of pages)
        for page in pages:
            if runs and runs[-1][0] + runs[-1][1] * PAGE == page:
                runs[-1] = (runs[-1][0], runs[-1][1] + 1)
            else:
                runs.append((page, 1))
        if not self.fast:
            for first, n in runs:
                self.uc.mmio_map(first, n * PAGE, self._slow_read, first, self._slow_write, first)
            return
        from .mmio_native import NativeMmio
        self._native = nm = NativeMmio(len(pages), self.counter)
        slot = 0
        page_slot: dict[int, int] = {}
        for first, n in runs:
            for k in range(n):
                page_slot[first + k * PAGE] = slot + k
            slot += n
        for base, end, p in self._windows:
            w0 = page_slot[base & ~(PAGE - 1)] * WORDS_PER_PAGE + ((base & (PAGE - 1)) >> 2)
            nwords = (end - base + 3) >> 2
            p.values.rebind(nm.words[w0:w0 + nwords])
            reads, writes = p.plain_registers()
            aliased = type(p).alias_of is not Peripheral.alias_of
            for offset in (range(0, end - base, 4) if aliased else sorted(p._by_offset)):
                if offset >= end - base:
                    continue
                reg = p._by_offset.get(p.alias_of(offset))
                if reg is None:
                    continue
                w = w0 + (offset >> 2)
                nm.src[w] = w0 + (p.alias_of(offset) >> 2)
                nm.rmask[w] = ~reg.mask_of(WO) & 0xFFFFFFFF
                nm.m_rw[w] = reg.mask_of(RW, WO)
                nm.m_w1c[w] = reg.mask_of(W1C)
                nm.m_w1s[w] = reg.mask_of(W1S)
                nm.m_wt[w] = reg.mask_of(WT)
                nm.kind[w] = (READ_PLAIN if offset in reads else 0) | \
                    (WRITE_PLAIN if offset in writes else 0)
        self._py_read = uccallback(self.uc, _READ_CB)(
            lambda uc, addr, size, ud: self.python_read(addr, size))
        self._py_write = uccallback(self.uc, _WRITE_CB)(
            lambda uc, addr, size, value, ud: self.python_write(addr, size, value))
        nm.set_python(ctypes.cast(self._py_read, ctypes.c_void_p).value,
                      ctypes.cast(self._py_write, ctypes.c_void_p).value)
        if self.latency is None:
            nm.lat[:] = 0                        # no access timing: never unknown
        for first, n in runs:
            user = nm.run_data(first, page_slot[first])
            err = _ucmod.uclib.uc_mmio_map(
                ctypes.c_void_p(uc_handle(self.uc)), ctypes.c_uint64(first),
                ctypes.c_size_t(n * PAGE), ctypes.c_void_p(nm.read_fn), ctypes.c_void_p(user),
                ctypes.c_void_p(nm.write_fn), ctypes.c_void_p(user))
            if err != 0:
                raise UcError(err)
        self._page_slot = page_slot

    def serve_natively(self, addr: int, kind: int) -> bool:
        """Writes to the word at ``addr`` are served by the native callback as ``kind``
        (mmio_native.WRITE_DCIMVAC); False when this bus has no native path there."""
        page = addr & ~(PAGE - 1)
        if self._native is None or page not in self._page_slot:
            return False
        self._native.kind[self._page_slot[page] * WORDS_PER_PAGE + ((addr & (PAGE - 1)) >> 2)] \
            = kind
        return True

    def window(self, addr: int) -> Peripheral | None:
        i = bisect.bisect_right(self._window_starts, addr) - 1
        if i >= 0:
            _, end, p = self._windows[i]
            if addr < end:
                return p
        return None

    # --- access time -------------------------------------------------------------------------
    def timing_changed(self) -> None:
        """The core clock or the flash/bus settings may have changed: the natively cached
        latencies are dropped (the Python path recomputes them when its key differs)."""
        if self._native is not None and self.latency is not None:
            self._native.lat[:] = -1

    def _charge(self, addr: int) -> None:
        """Charge the bus latency of one peripheral register access (timing model)."""
        if self.latency is None:
            return
        page = addr & ~(PAGE - 1)
        key = self.timing_key()
        if self._lat_key != key:
            self._lat_cache.clear()
            self._lat_key = key
            if self._native is not None:
                self._native.lat[:] = -1
        c = self._lat_cache.get(page)
        if c is None:
            c = self._lat_cache[page] = self.latency(addr)
        if self._native is not None:
            self._native.lat[self._page_slot[page]] = c
        self.counter.charge_in_block(c)
        self.python_total += c

    @property
    def total_cycles(self) -> int:
        """Cycles charged for peripheral register accesses, both paths."""
        native = self._native.total_cycles if self._native is not None else 0
        return self.python_total + native

    def stats(self) -> dict[str, int]:
        n = self._native
        return {"native_reads": n.reads if n else 0, "native_writes": n.writes if n else 0,
                "python_accesses": n.python_calls if n else 0}

    # --- the Python path ---------------------------------------------------------------------
    def _slow_read(self, uc, offset: int, size: int, page_base: int) -> int:
        return self.python_read(page_base + offset, size)

    def _slow_write(self, uc, offset: int, size: int, value: int, page_base: int) -> None:
        self.python_write(page_base + offset, size, value)

    def python_read(self, addr: int, size: int) -> int:
        self.counter.touch()
        self.on_python_access()
        self._charge(addr)
        p = self.window(addr)
        if p is None:
            self.log(f"read of reserved peripheral address {addr:#010x}")
            return 0
        self._access = [addr, False, None]
        try:
            return p.read(addr - p.base, size)
        finally:
            self._access = None

    def python_write(self, addr: int, size: int, value: int) -> None:
        self.counter.touch()
        self.on_python_access()
        self._charge(addr)
        p = self.window(addr)
        if p is None:
            self.log(f"write {value:#x} to reserved peripheral address {addr:#010x}")
            return
        self._access = [addr, True, None]
        try:
            p.write(addr - p.base, size, value)
        finally:
            self._access = None
        self.after_write()

    def access_now(self) -> int:
        """The cycle count as a peripheral sees it: inside an MMIO access, the cycle of the
        instruction that made it (simulator/access_sites.py); otherwise now()."""
        acc = self._access
        if acc is None:
            return self.counter.cycles
        if acc[2] is None:
            pc = self.access_pc(acc[0], acc[1])
            acc[2] = self.counter.cycle_at(pc) if pc is not None else self.counter.cycles
        return acc[2]

    def access_pc(self, address: int, write: bool) -> int | None:
        """The load/store of the block executing now that accessed ``address`` (Unicorn does
        not keep the PC current inside a block; simulator/access_sites.py)."""
        if self.locator is None:
            return None
        start, size, blocks = self.counter.current_block()
        return self.locator.locate(self._reg, start, size, blocks, address, write)
