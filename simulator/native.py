"""Native (numba-compiled) Unicorn hooks: no Python runs per instruction or per block.

The block hook is a C-callable ``cfunc`` registered through libunicorn's own ``uc_hook_add``.
Its only argument besides the block address and size is a pointer to one int64 state array
(layout below). Per block it adds the block's precomputed static cost and instruction count
(prefix sums over the code regions, so each block costs O(1)), and calls ``uc_emu_stop`` when
the cycle count reaches the next event deadline. Python only sees events.

The cfunc is compiled once and cached on disk (numba ``cache=True``); nothing machine-specific
is baked into it: function and table addresses travel in the state array.
"""

from __future__ import annotations

import ctypes
from dataclasses import dataclass

import numpy as np
from llvmlite import ir
from numba import carray, cfunc, types
from numba.extending import intrinsic
from unicorn import UC_HOOK_BLOCK
from unicorn.unicorn_py3 import unicorn as _ucmod

# --- state array layout (int64 slots) ------------------------------------------------------
CYCLES = 0          # core cycles, including the block being entered
INSNS = 1           # instructions, likewise
DEADLINE = 2        # stop when CYCLES >= DEADLINE
STOPPED = 3         # set to 1 by the hook when it requested a stop
STOP_FN = 4         # address of uc_emu_stop
BLOCK_ADDR = 5      # start address of the block being executed
BLOCK_CYCLES = 6    # CYCLES before that block
N_REGIONS = 7       # number of code regions in the table
BLOCKS = 8          # blocks executed
UNKNOWN_BYTES = 9   # bytes executed outside any analysed code region
BLOCK_SIZE = 10     # size in bytes of the block being executed
REGION_TABLE = 16   # per region: base, size, cost prefix pointer, count prefix pointer
REGION_STRIDE = 4
MAX_REGIONS = 8
REGION_CYCLES = REGION_TABLE + REGION_STRIDE * MAX_REGIONS   # cycles spent in each region
STATE_SIZE = REGION_CYCLES + MAX_REGIONS


@intrinsic
def _i64_ptr(typingctx, addr):
    """Reinterpret an int64 as a pointer to int64 (table addresses live in the state array)."""
    sig = types.CPointer(types.int64)(types.int64)

    def codegen(context, builder, signature, args):
        return builder.inttoptr(args[0], context.get_value_type(types.CPointer(types.int64)))

    return sig, codegen


@intrinsic
def _call_stop(typingctx, fn_addr, uc):
    """Call ``int uc_emu_stop(uc_engine *)`` through its address."""
    sig = types.int32(types.int64, types.voidptr)

    def codegen(context, builder, signature, args):
        fnty = ir.FunctionType(ir.IntType(32), [ir.IntType(8).as_pointer()])
        fn = builder.inttoptr(args[0], fnty.as_pointer())
        return builder.call(fn, [args[1]])

    return sig, codegen


@cfunc(types.void(types.voidptr, types.uint64, types.uint32, types.voidptr),
       nopython=True, cache=True)
def _block_hook(uc, address, size, user_data):
    st = carray(user_data, STATE_SIZE, dtype=np.int64)
    st[BLOCK_ADDR] = address
    st[BLOCK_CYCLES] = st[CYCLES]
    st[BLOCK_SIZE] = size
    st[BLOCKS] += 1
    a = np.int64(address)
    found = False
    for r in range(st[N_REGIONS]):
        o = REGION_TABLE + r * REGION_STRIDE
        base = st[o]
        if a >= base and a + size <= base + st[o + 1]:
            i0 = (a - base) >> 1
            i1 = (a + size - base) >> 1
            cost = carray(_i64_ptr(st[o + 2]), i1 + 1)
            count = carray(_i64_ptr(st[o + 3]), i1 + 1)
            c = cost[i1] - cost[i0]
            st[CYCLES] += c
            st[REGION_CYCLES + r] += c
            st[INSNS] += count[i1] - count[i0]
            found = True
            break
    if not found:
        # Code outside any analysed region (e.g. generated at run time): one cycle per
        # halfword, one instruction per 3 bytes on average (documented approximation).
        st[CYCLES] += size >> 1
        st[INSNS] += (size + 2) // 3
        st[UNKNOWN_BYTES] += size
    if st[CYCLES] >= st[DEADLINE]:
        st[STOPPED] = 1
        _call_stop(st[STOP_FN], uc)


@dataclass
class CodeRegion:
    """Static per-instruction data for one range of executable memory.

    ``cost_prefix[i]`` is the summed static cost of the instructions starting at halfwords
    below index i of the range; ``count_prefix`` likewise counts instructions.
    """

    base: int
    size: int
    cost_prefix: np.ndarray
    count_prefix: np.ndarray


class NativeCounter:
    """Owns the state array and registers the block hook on one Unicorn instance."""

    def __init__(self, uc) -> None:
        self.state = np.zeros(STATE_SIZE, dtype=np.int64)
        self.state[DEADLINE] = np.iinfo(np.int64).max
        lib = _ucmod.uclib
        self.state[STOP_FN] = ctypes.cast(lib.uc_emu_stop, ctypes.c_void_p).value
        self._regions: list[CodeRegion] = []
        self._handle = ctypes.c_size_t()
        add = lib.uc_hook_add
        err = add.__call__(  # variadic C function: pass exact C types
            ctypes.c_void_p(uc._uch.value if hasattr(uc._uch, "value") else uc._uch),
            ctypes.byref(self._handle), ctypes.c_int(UC_HOOK_BLOCK),
            ctypes.c_void_p(_block_hook.address), ctypes.c_void_p(self.state.ctypes.data),
            ctypes.c_uint64(1), ctypes.c_uint64(0))
        if err != 0:
            raise RuntimeError(f"uc_hook_add(UC_HOOK_BLOCK) failed: {err}")

    def add_region(self, region: CodeRegion) -> None:
        if len(self._regions) >= MAX_REGIONS:
            raise ValueError("too many code regions")
        for arr in (region.cost_prefix, region.count_prefix):
            if arr.dtype != np.int64 or not arr.flags.c_contiguous:
                raise ValueError("prefix tables must be contiguous int64")
        self._regions.append(region)  # keeps the arrays alive
        o = REGION_TABLE + REGION_STRIDE * (len(self._regions) - 1)
        self.state[o] = region.base
        self.state[o + 1] = region.size
        self.state[o + 2] = region.cost_prefix.ctypes.data
        self.state[o + 3] = region.count_prefix.ctypes.data
        self.state[N_REGIONS] = len(self._regions)

    # --- views ---------------------------------------------------------------------------
    @property
    def cycles(self) -> int:
        return int(self.state[CYCLES])

    @cycles.setter
    def cycles(self, value: int) -> None:
        self.state[CYCLES] = value

    def cycles_by_region(self) -> dict[int, int]:
        """Cycles spent executing code in each code region (by region base address)."""
        return {int(self.state[REGION_TABLE + REGION_STRIDE * i]):
                int(self.state[REGION_CYCLES + i]) for i in range(len(self._regions))}

    @property
    def instructions(self) -> int:
        return int(self.state[INSNS])

    def set_deadline(self, cycle: int) -> None:
        self.state[DEADLINE] = cycle
        self.state[STOPPED] = 0

    def stopped_by_deadline(self) -> bool:
        return bool(self.state[STOPPED])

    def cost_between(self, start: int, end: int) -> tuple[int, int]:
        """Static (cycles, instructions) of the straight-line code in [start, end)."""
        for r in self._regions:
            if r.base <= start and end <= r.base + r.size:
                i0, i1 = (start - r.base) >> 1, (end - r.base) >> 1
                return (int(r.cost_prefix[i1] - r.cost_prefix[i0]),
                        int(r.count_prefix[i1] - r.count_prefix[i0]))
        return ((end - start) >> 1, (end - start + 2) // 3)

    def cycle_at(self, pc: int) -> int:
        """Cycle count at the instruction at ``pc`` inside the current block (exact time of a
        peripheral access made by that instruction)."""
        start = int(self.state[BLOCK_ADDR])
        before = int(self.state[BLOCK_CYCLES])
        if start <= pc < start + 0x10000:
            return before + self.cost_between(start, pc)[0]
        return int(self.state[CYCLES])

    def undo_rest_of_block(self, pc: int) -> None:
        """The current block was cut short at ``pc`` (a fault, or an exception taken by the
        instruction at ``pc``): take back the cost of the instructions from ``pc`` to its end,
        which the block hook had counted in advance."""
        start = int(self.state[BLOCK_ADDR])
        end = start + int(self.state[BLOCK_SIZE])
        if start <= pc < end:
            cyc, n = self.cost_between(pc, end)
            self.state[CYCLES] -= cyc
            self.state[INSNS] -= n
            self.state[BLOCK_SIZE] = pc - start
