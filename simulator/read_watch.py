"""Has the CPU read this buffer since it was refilled? One flag per segment (a half) of an
address range (a DMA circular buffer), set on the first CPU load from it. No Python runs per
access; the DMA model clears a flag when it completes the segment and looks at it when it is
about to overwrite the segment (peripherals/dma.py, lost audio for --strict).

How loads are seen. A Unicorn memory-read hook would do, but while any memory hook is linked
Unicorn translates *every* load and store of the program onto its slow path (a helper call and
a memory-region lookup per access, whatever the hook's address range): on the aligner that
doubled the emulation time (docs/speed.md). So the pages holding the buffer (Unicorn pages:
1 KB on ARM) are remapped as MMIO for as long as the watch is open: two compiled callbacks
serve the CPU's loads and stores from the same host memory the RAM region is mapped from
(Bus.memory: aliases, RAM scans and the DMA model see one copy), marking a segment when the
CPU loads from it. Only accesses to those pages leave Unicorn's fast path. When the watch
closes, the pages are mapped as RAM again onto that memory, with the permissions they had.
Reads made by the simulator itself between blocks (RAM scans, reports, a debugger) and DMA
reads are not the CPU's and mark nothing; reads it makes for the CPU while it runs
(semihosting, an emulated double-precision load) are the CPU's. If the pages cannot be
remapped (not inside one RAM region, already remapped by another watch) the watch falls back
to a native memory-read hook.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable

import numpy as np

from .jit import carray, cfunc, types  # numba's, or the cache's (jit.py)
from unicorn import UC_HOOK_MEM_READ
from unicorn.unicorn_py3 import unicorn as _ucmod

from .mmio_native import _u8_ptr
from .native import add_native_hook, uc_handle

LO, HI, SEG, NSEG, BASE, BYTES, CPU, FLAGS = range(8)
MAX_SEGMENTS = 8
UC_PAGE = 1024          # Unicorn's ARM page (uc.ctl_get_page_size()): remapping granule


@cfunc(types.void(types.voidptr, types.int32, types.uint64, types.int32, types.int64,
                  types.voidptr), nopython=True, cache=True)
def _read_hook(uc, typ, address, size, value, user_data):
    st = carray(user_data, FLAGS + MAX_SEGMENTS, dtype=np.int64)
    a = np.int64(address)
    if a < st[LO] or a >= st[HI]:
        return
    st[FLAGS + (a - st[LO]) // st[SEG]] = 1


@cfunc(types.uint64(types.voidptr, types.uint64, types.uint32, types.voidptr),
       nopython=True, cache=True)
def _page_read(uc, offset, size, user_data):
    st = carray(user_data, FLAGS + MAX_SEGMENTS, dtype=np.int64)
    off = np.int64(offset)
    a = st[BASE] + off
    if st[CPU] != 0 and a >= st[LO] and a < st[HI]:
        st[FLAGS + (a - st[LO]) // st[SEG]] = 1
    mem = carray(_u8_ptr(st[BYTES]), off + size)
    v = np.uint64(0)
    for i in range(size):
        v |= np.uint64(mem[off + i]) << np.uint64(8 * i)
    return v


@cfunc(types.void(types.voidptr, types.uint64, types.uint32, types.uint64, types.voidptr),
       nopython=True, cache=True)
def _page_write(uc, offset, size, value, user_data):
    st = carray(user_data, FLAGS + MAX_SEGMENTS, dtype=np.int64)
    off = np.int64(offset)
    mem = carray(_u8_ptr(st[BYTES]), off + size)
    for i in range(size):
        mem[off + i] = np.uint8((value >> np.uint64(8 * i)) & np.uint64(0xFF))


class ReadWatch:
    """Read flags for ``segments`` equal parts of [lo, hi).

    A watch is usually created and closed by a DMA register write, i.e. inside a Unicorn MMIO
    callback in the middle of a translated block; changing the memory map, adding or deleting
    a hook or flushing the translation cache there corrupts Unicorn 2.1.3 (a segfault on long
    runs). So those changes go through ``defer``: the machine applies them between blocks,
    before its next ``emu_start`` (Machine.defer_hook_change), and stops the CPU at the next
    block start so that happens at once. Loads in between are not seen: the buffer is being
    refilled then."""

    def __init__(self, uc, lo: int, hi: int, segments: int,
                 defer: Callable[[Callable[[], None]], None],
                 host: Callable[[int, int], int | None] | None = None) -> None:
        """``host(base, size)``: the host address of RAM [base, base + size) when it lies in
        one memory region (None: not RAM, or unknown; the watch then uses a memory hook)."""
        if not 1 <= segments <= MAX_SEGMENTS or hi <= lo:
            raise ValueError("bad read watch")
        self.uc = uc
        self._defer = defer
        self.state = np.zeros(FLAGS + MAX_SEGMENTS, dtype=np.int64)
        seg = max(1, (hi - lo) // segments)
        self.state[[LO, HI, SEG, NSEG]] = lo, lo + seg * segments, seg, segments
        self._hook: int | None = None
        self._host = host
        self._pages: tuple[int, int, int] | None = None     # (base, size, host) remapped
        self._orig: list[tuple[int, int, int]] = []           # the RAM pieces it replaced
        self._closed = False
        defer(self._install)

    def set_cpu_running(self, running: bool) -> None:
        """Machine._execute: loads from the pages are the CPU's only while it runs (and
        the bus-master reads of the DMA model are not: PeripheralContext.mem_read)."""
        self.state[CPU] = 1 if running else 0

    @property
    def cpu_running(self) -> bool:
        return bool(self.state[CPU])

    @property
    def remapped(self) -> bool:
        return self._pages is not None

    @property
    def closed(self) -> bool:
        return self._closed

    def _install(self) -> None:
        if self._closed or self._hook is not None or self._pages is not None:
            return
        lo, hi = int(self.state[LO]), int(self.state[HI])
        base = lo & ~(UC_PAGE - 1)
        size = ((hi + UC_PAGE - 1) & ~(UC_PAGE - 1)) - base
        host = self._host(base, size) if self._host is not None else None
        if host is not None and self._remap(base, size, host):
            return
        self._hook = add_native_hook(self.uc, UC_HOOK_MEM_READ, _read_hook.address,
                                     self.state.ctypes.data, lo, hi - 1)
        self.uc.ctl_flush_tb()          # translated loads take the hook path from now on

    def _pieces(self, base: int, size: int) -> list[tuple[int, int, int]]:
        """(start, length, perms) of the mapped pieces covering [base, base + size)."""
        out = []
        for b, e, p in sorted(self.uc.mem_regions()):
            s, t = max(b, base), min(e + 1, base + size)
            if s < t:
                out.append((s, t - s, p))
        return out

    def _remap(self, base: int, size: int, host: int) -> bool:
        pieces = self._pieces(base, size)
        taken = self.uc.__dict__.setdefault("_h7sim_remapped", set())   # by any watch
        if sum(n for _, n, _ in pieces) != size or any(
                p in taken for p in range(base, base + size, UC_PAGE)):
            return False
        uch = ctypes.c_void_p(uc_handle(self.uc))
        self.state[BASE] = base
        self.state[BYTES] = host
        self.uc.mem_unmap(base, size)
        err = _ucmod.uclib.uc_mmio_map(
            uch, ctypes.c_uint64(base), ctypes.c_size_t(size),
            ctypes.c_void_p(_page_read.address), ctypes.c_void_p(self.state.ctypes.data),
            ctypes.c_void_p(_page_write.address), ctypes.c_void_p(self.state.ctypes.data))
        if err != 0:
            self._map_back(pieces, base, host)
            return False
        for s, n, p in pieces:                      # an MPU-protected page stays so
            if p & 3 != 3:
                self.uc.mem_protect(s, n, p & 3)
        self._pages = (base, size, host)
        self._orig = pieces
        taken.update(range(base, base + size, UC_PAGE))
        return True

    def _map_back(self, pieces: list[tuple[int, int, int]], base: int, host: int) -> None:
        for s, n, p in pieces:
            self.uc.mem_map_ptr(s, n, p, host + (s - base))

    def _remove(self) -> None:
        if self._pages is not None:
            base, size, host = self._pages
            self._pages = None
            pieces = []
            for s, n, p in self._pieces(base, size):
                if p == 3:          # untouched since: the permissions the RAM had (EXEC too)
                    pieces += [(max(s, a), min(s + n, a + m) - max(s, a), q)
                               for a, m, q in self._orig if max(s, a) < min(s + n, a + m)]
                else:               # changed meanwhile (MPU): keep that
                    pieces.append((s, n, p))
            self.uc.mem_unmap(base, size)
            self._map_back(pieces, base, host)       # RAM again, onto the same storage
            self.uc.__dict__["_h7sim_remapped"].difference_update(
                range(base, base + size, UC_PAGE))
        if self._hook is not None:
            _ucmod.uclib.uc_hook_del(ctypes.c_void_p(uc_handle(self.uc)),
                                     ctypes.c_size_t(self._hook))
            self._hook = None
            self.uc.ctl_flush_tb()

    def was_read(self, segment: int) -> bool:
        return bool(self.state[FLAGS + segment])

    def clear(self, segment: int) -> None:
        self.state[FLAGS + segment] = 0

    def close(self) -> None:
        """Stop watching (the state array must stay alive until Unicorn unlinks the hook:
        the caller keeps the object)."""
        if not self._closed:
            self._closed = True
            self._defer(self._remove)

