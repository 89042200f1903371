"""Compiled MMIO callbacks: registers without side effects served with no Python call.

Unicorn calls ``_mmio_read`` / ``_mmio_write`` (numba ``cfunc``s, cached on disk) for every
access to a mapped peripheral run. Their user data is a small int64 array
``[bus state address, run base address, first page slot]``; the bus state (int64, layout
below) points at the register-value array, the per-word tables built by simulator/bus.py
and the native counter's state array (simulator/native.py), where the access time is charged
exactly as ``NativeCounter.charge_in_block`` does. Anything not plain goes to the Python
callbacks whose addresses sit in the bus state.
"""

from __future__ import annotations

import numpy as np
from llvmlite import ir
from .jit import carray, cfunc, intrinsic, njit, types  # numba's, or the cache's (jit.py)

from . import native_layout
from .native import NativeCounter, _i64_ptr
from .native_layout import (
    BLOCK_EXTRA,
    BUS_CYCLES,
    CUR_INDEX,
    CUR_ROW,
    CYCLES,
    DC_DIRTY,
    DC_LINE_SHIFT,
    DC_SETS,
    DC_TAGS,
    DC_WAYS,
    PROFILE_ON,
    PS_GEN,
    R_BLOCK_CYCLES,
    STATE_SIZE,
)

_LAYOUT = "c5c09ea796ad"       # native_layout.FINGERPRINT its compiled callbacks were built for
native_layout.check(_LAYOUT, __name__)

# --- bus state layout (int64 slots) ----------------------------------------------------------
B_COUNTER = 0     # address of the native counter's state array
B_WORDS = 1       # uint32[words]: register values
B_SRC = 2         # int64[words]: the word whose value a word shows (itself, or an alias target)
B_RMASK = 3       # uint32[words]: readable bits (write-only fields read as 0)
B_MRW = 4         # uint32[words]: bits a write stores (rw, w)
B_MW1C = 5        # uint32[words]: bits a written 1 clears
B_MW1S = 6        # uint32[words]: bits a written 1 sets
B_MWT = 7         # uint32[words]: bits a written 1 toggles
B_KIND = 8        # uint8[words]: 1 read is plain, 2 write is plain, 4 write is DCIMVAC
B_LAT = 9         # int64[pages]: access time in core cycles (-1: ask Python)
B_PY_READ = 10    # address of the Python read callback (absolute address, size)
B_PY_WRITE = 11   # address of the Python write callback
B_DCIMVAC = 12    # DCIMVAC writes served natively (also counted in B_WRITES)
B_READS = 13      # native reads served
B_WRITES = 14     # native writes served
B_PY_CALLS = 15   # accesses handed to Python
B_SIZE = 16

# a word whose write is "invalidate the D-cache line holding this address" (DCIMVAC, ARMv7-M
# ARM B2.2.7): served here on the D-cache model's tag arrays (Machine wires it: bus.py kinds)
WRITE_DCIMVAC = 4

def _ptr(typ):
    @intrinsic
    def cast(typingctx, addr):
        sig = types.CPointer(typ)(types.int64)

        def codegen(context, builder, signature, args):
            return builder.inttoptr(args[0], context.get_value_type(types.CPointer(typ)))
        return sig, codegen
    return cast


_u32_ptr = _ptr(types.uint32)
_u8_ptr = _ptr(types.uint8)


@intrinsic
def _call_py_read(typingctx, fn_addr, uc, addr, size):
    """Call ``uint64 read(uc, uint64 address, unsigned size, void *unused)``."""
    sig = types.uint64(types.int64, types.voidptr, types.int64, types.uint32)

    def codegen(context, builder, signature, args):
        i8p = ir.IntType(8).as_pointer()
        fnty = ir.FunctionType(ir.IntType(64), [i8p, ir.IntType(64), ir.IntType(32), i8p])
        fn = builder.inttoptr(args[0], fnty.as_pointer())
        return builder.call(fn, [args[1], args[2], args[3], ir.Constant(i8p, None)])
    return sig, codegen


@intrinsic
def _call_py_write(typingctx, fn_addr, uc, addr, size, value):
    """Call ``void write(uc, uint64 address, unsigned size, uint64 value, void *unused)``."""
    sig = types.void(types.int64, types.voidptr, types.int64, types.uint32, types.uint64)

    def codegen(context, builder, signature, args):
        i8p = ir.IntType(8).as_pointer()
        fnty = ir.FunctionType(ir.VoidType(), [i8p, ir.IntType(64), ir.IntType(32),
                                               ir.IntType(64), i8p])
        fn = builder.inttoptr(args[0], fnty.as_pointer())
        builder.call(fn, [args[1], args[2], args[3], args[4], ir.Constant(i8p, None)])
        return context.get_dummy_value()
    return sig, codegen


@njit(cache=True)
def _charge_impl(b, lat):
    st = carray(_i64_ptr(b[B_COUNTER]), STATE_SIZE)
    st[CYCLES] += lat
    st[BLOCK_EXTRA] += lat
    st[BUS_CYCLES] += lat
    if st[PROFILE_ON] != 0 and st[CUR_ROW] >= 0:
        o = st[CUR_ROW]
        cyc = carray(_i64_ptr(st[o + R_BLOCK_CYCLES]), st[CUR_INDEX] + 1)
        cyc[st[CUR_INDEX]] += lat


@njit(cache=True)
def _locate(user_data, offset):
    """The callbacks' common start: the bus arrays, and the access's offset in the run, bus
    address, register word index, page access time and register kind."""
    run = carray(user_data, 3, dtype=np.int64)
    b = carray(_i64_ptr(run[0]), B_SIZE)
    off = np.int64(offset)
    addr = run[1] + off
    page = run[2] + (off >> 10)
    word = (run[2] << 8) + (off >> 2)
    lat = carray(_i64_ptr(b[B_LAT]), page + 1)[page]
    kind = carray(_u8_ptr(b[B_KIND]), word + 1)[word]
    return b, off, addr, word, lat, kind


@njit(cache=True)
def _python_runs(b):
    st = carray(_i64_ptr(b[B_COUNTER]), STATE_SIZE)
    st[PS_GEN] += 1


@njit(cache=True)
def _dcimvac(b, value):
    """dcache.DataCache.maintain("DCIMVAC", value): the line holding ``value`` leaves the
    cache, dirty or not (no write-back: invalidation only)."""
    st = carray(_i64_ptr(b[B_COUNTER]), STATE_SIZE)
    if st[DC_TAGS] == 0:
        return
    ways = st[DC_WAYS]
    n = st[DC_SETS] * ways
    tags = carray(_i64_ptr(st[DC_TAGS]), n)
    dirty = carray(_i64_ptr(st[DC_DIRTY]), n)
    line = np.int64(value) >> st[DC_LINE_SHIFT]
    base = (line & (st[DC_SETS] - 1)) * ways
    for w in range(base, base + ways):
        if tags[w] == line:
            tags[w] = -1
            dirty[w] = 0


@cfunc(types.uint64(types.voidptr, types.uint64, types.uint32, types.voidptr),
       nopython=True, cache=True)
def _mmio_read(uc, offset, size, user_data):
    b, off, addr, word, lat, kind = _locate(user_data, offset)
    if (kind & 1) == 0 or lat < 0 or (off & 3) + size > 4:
        b[B_PY_CALLS] += 1
        _python_runs(b)
        return _call_py_read(b[B_PY_READ], uc, addr, size)
    _charge_impl(b, lat)
    b[B_READS] += 1
    src = carray(_i64_ptr(b[B_SRC]), word + 1)[word]
    v = np.uint64(carray(_u32_ptr(b[B_WORDS]), src + 1)[src])
    v &= np.uint64(carray(_u32_ptr(b[B_RMASK]), word + 1)[word])
    v >>= np.uint64((off & 3) * 8)
    if size == 1:
        return v & np.uint64(0xFF)
    if size == 2:
        return v & np.uint64(0xFFFF)
    return v


@cfunc(types.void(types.voidptr, types.uint64, types.uint32, types.uint64, types.voidptr),
       nopython=True, cache=True)
def _mmio_write(uc, offset, size, value, user_data):
    b, off, addr, word, lat, kind = _locate(user_data, offset)
    if (kind & WRITE_DCIMVAC) != 0 and lat >= 0 and size == 4 and (off & 3) == 0:
        _charge_impl(b, lat)
        b[B_WRITES] += 1
        b[B_DCIMVAC] += 1
        _python_runs(b)                 # as the Python path's counter.touch()
        _dcimvac(b, value)
        return
    if (kind & 2) == 0 or lat < 0 or (off & 3) + size > 4:
        b[B_PY_CALLS] += 1
        _python_runs(b)
        _call_py_write(b[B_PY_WRITE], uc, addr, size, value)
        return
    _charge_impl(b, lat)
    b[B_WRITES] += 1
    shift = np.uint64((off & 3) * 8)
    if size == 1:
        lane = np.uint64(0xFF)
    elif size == 2:
        lane = np.uint64(0xFFFF)
    else:
        lane = np.uint64(0xFFFFFFFF)
    lane = (lane << shift) & np.uint64(0xFFFFFFFF)
    v = (value << shift) & lane
    src = carray(_i64_ptr(b[B_SRC]), word + 1)[word]
    words = carray(_u32_ptr(b[B_WORDS]), src + 1)
    new = np.uint64(words[src])
    m = np.uint64(carray(_u32_ptr(b[B_MRW]), word + 1)[word]) & lane
    new = (new & ~m) | (v & m)
    m = np.uint64(carray(_u32_ptr(b[B_MW1C]), word + 1)[word]) & lane
    new &= ~(v & m)
    m = np.uint64(carray(_u32_ptr(b[B_MW1S]), word + 1)[word]) & lane
    new |= v & m
    m = np.uint64(carray(_u32_ptr(b[B_MWT]), word + 1)[word]) & lane
    new ^= v & m
    words[src] = np.uint32(new & np.uint64(0xFFFFFFFF))


class NativeMmio:
    """The arrays behind the compiled callbacks, for ``pages`` mapped 1 KB pages."""

    def __init__(self, pages: int, counter: NativeCounter) -> None:
        n = pages * 256
        self.words = np.zeros(n, dtype=np.uint32)
        self.src = np.arange(n, dtype=np.int64)
        self.rmask = np.zeros(n, dtype=np.uint32)
        self.m_rw = np.zeros(n, dtype=np.uint32)
        self.m_w1c = np.zeros(n, dtype=np.uint32)
        self.m_w1s = np.zeros(n, dtype=np.uint32)
        self.m_wt = np.zeros(n, dtype=np.uint32)
        self.kind = np.zeros(n, dtype=np.uint8)
        self.lat = np.full(pages, -1, dtype=np.int64)
        self.state = b = np.zeros(B_SIZE, dtype=np.int64)
        self._counter = counter
        b[B_COUNTER] = counter.state.ctypes.data
        for slot, arr in ((B_WORDS, self.words), (B_SRC, self.src), (B_RMASK, self.rmask),
                          (B_MRW, self.m_rw), (B_MW1C, self.m_w1c), (B_MW1S, self.m_w1s),
                          (B_MWT, self.m_wt), (B_KIND, self.kind), (B_LAT, self.lat)):
            b[slot] = arr.ctypes.data
        self._runs: list[np.ndarray] = []
        self.read_fn = _mmio_read.address
        self.write_fn = _mmio_write.address

    def set_python(self, read_fn: int, write_fn: int) -> None:
        self.state[B_PY_READ] = read_fn
        self.state[B_PY_WRITE] = write_fn

    def run_data(self, base: int, first_page_slot: int) -> int:
        """User data for one mapped run of pages: its address (kept alive here)."""
        arr = np.array([self.state.ctypes.data, base, first_page_slot], dtype=np.int64)
        self._runs.append(arr)
        return arr.ctypes.data

    @property
    def total_cycles(self) -> int:
        return int(self._counter.state[BUS_CYCLES])

    @property
    def reads(self) -> int:
        return int(self.state[B_READS])

    @property
    def writes(self) -> int:
        return int(self.state[B_WRITES])

    @property
    def python_calls(self) -> int:
        return int(self.state[B_PY_CALLS])

    @property
    def dcimvac_writes(self) -> int:
        return int(self.state[B_DCIMVAC])
