"""Stores to RAM that never holds code, off Unicorn's slow path: Unicorn's virtual TLB, filled
by a compiled callback.

Why. Unicorn 2.1.3 stubs QEMU's dirty-memory tracking (``cpu_physical_memory_is_clean`` is
always true), so every writable RAM page enters the TLB with ``TLB_NOTDIRTY`` and its stores
take the slow path (``store_helper`` -> ``notdirty_write``: the self-modifying-code check and
a region lookup). ``notdirty_write`` takes a page off it (``tlb_set_dirty``) only when the
page's TLB entry is not executable (``addr_code == -1``) and no memory hook covers the address
(``uc_mem_hook_installed``, which counts the UNMAPPED and PROT event hooks too;
qemu/accel/tcg/cputlb.c, qemu/include/exec/exec-all.h). QEMU's own M-profile fill
(``arm_cpu_tlb_fill`` -> ``get_phys_addr_pmsav7_default``, the MPU being the simulator's and
not QEMU's) makes all of 0x00000000-0x3FFFFFFF executable whatever the platform maps, and the
machine's fault hook covered the whole address space: so every store to the DTCM (mapped
``exec = false``; the stack and .bss of most firmware) stayed slow, ~8 M stores of an aligner
run (docs/speed.md round 6).

What. :func:`install` switches the engine to ``UC_TLB_VIRTUAL`` and adds a
``UC_HOOK_TLB_FILL`` callback written in LLVM IR (:func:`_module`; object code in the on-disk
cache, simulator/llvm_ir.py). It maps every page to itself (QEMU's M-profile without an MPU is
flat too), readable and writable, and executable - except, for a data access, a page inside
one of the ``data_only`` ranges the machine gives (RAM regions the platform maps without
execute permission). An instruction fetch always gets an executable entry: whether a fetch
may run is decided, as before, by Unicorn from the region's permissions (UC_ERR_FETCH_PROT,
UC_ERR_FETCH_UNMAPPED; simulator/faults.py turns them into IACCVIOL/IBUSERR following the
architecture's default memory map), and nothing can be translated from a ``data_only`` page,
so no translated code can miss a store there. Unicorn's other checks (region permissions,
unmapped addresses, memory hooks) look at the region, never at the TLB, and run as before.
The machine leaves the ``data_only`` ranges out of its fault hook (Faults.hook_invalid) until
the firmware's MPU restricts a page there (then the hook covers them again, so the fault
address is known). Cycle counts do not depend on any of this: it only decides which of
Unicorn's paths a store takes.

The IT state. Unicorn 2.1.3's virtual-TLB fill (qemu/softmmu/unicorn_vtlb.c) calls
``cpu_restore_state(cs, retaddr, false)`` on every miss: in the middle of a translated block
that writes the IT state of the load or store that missed into ``env->condexec_bits``, which
QEMU's Arm translator keeps 0 inside a block (translate.c ``arm_tr_tb_start``) and does not
write back when the block ends after its IT block, so the next block would be translated as
if inside an IT block (session 8's first version: tests/test_tlb_fill.py's IT program left
r5/r6 at 0). A data fill therefore writes that 0 back (the callback's user data holds the
address of this engine's ``condexec_bits``: simulator/env_layout.py); a fetch fill restores
nothing and writes nothing. The same restore leaves the PC of a refused access at that
instruction rather than at its block's first (reports name the instruction itself).

Not installed (QEMU's fill kept) when ``H7SIM_VIRTUAL_TLB=0``, when llvmlite cannot compile
the callback, when env_layout cannot find and check the CPU state, or when the platform maps
executable memory inside a range the default memory map makes never-execute (QEMU's fill
would refuse fetches there; this one would not).
"""

from __future__ import annotations

import ctypes
import os
from collections.abc import Sequence

import numpy as np
from llvmlite import ir
from unicorn import UC_HOOK_TLB_FILL, UC_MEM_FETCH, UC_PROT_EXEC, UC_PROT_READ, UC_PROT_WRITE
from unicorn import UC_TLB_VIRTUAL

from . import env_layout, llvm_ir
from .native import add_native_hook

_KIND = "tlb_fill"
_FILL = "h7sim_tlb_fill"
MAX_RANGES = 16
_CONDEXEC = 1 + 2 * MAX_RANGES          # ranges[]: the address of env->condexec_bits
RW = UC_PROT_READ | UC_PROT_WRITE
RWX = RW | UC_PROT_EXEC
# ARMv7-M ARM (DDI 0403E) B3.1, Table B3-1 "The default memory map": the Peripheral, Device
# and System parts are Execute Never; everything else may hold code.
NEVER_EXECUTE = ((0x40000000, 0x5FFFFFFF), (0xA0000000, 0xFFFFFFFF))


def never_execute(address: int) -> bool:
    """Does the default memory map make ``address`` Execute Never?"""
    return any(lo <= address <= hi for lo, hi in NEVER_EXECUTE)


def _module() -> ir.Module:
    """``i1 h7sim_tlb_fill(i8* uc, i64 vaddr, i32 type, {i64, i32}* entry, i64* ranges)``:
    ``entry`` = (vaddr, RWX), or RW for a data access to a page inside one of the ranges
    (``ranges[0]`` = n, then n inclusive (first, last) pairs); a data fill first writes 0 to
    the address in ``ranges[_CONDEXEC]`` when there is one; always true (filled)."""
    i1, i32, i64, i8p = ir.IntType(1), ir.IntType(32), ir.IntType(64), ir.IntType(8).as_pointer()
    entry_t = ir.LiteralStructType([i64, i32])
    mod = ir.Module(name="h7sim_tlb_fill")
    fn = ir.Function(mod, ir.FunctionType(i1, [i8p, i64, i32, entry_t.as_pointer(),
                                               i64.as_pointer()]), _FILL)
    _uc, vaddr, kind, entry, ranges = fn.args
    start, scan, step, data_only, fill = (fn.append_basic_block(n) for n in
                                          ("start", "scan", "step", "data_only", "fill"))
    b = ir.IRBuilder(start)
    b.store(vaddr, b.gep(entry, [ir.Constant(i32, 0), ir.Constant(i32, 0)]))
    perms = b.gep(entry, [ir.Constant(i32, 0), ir.Constant(i32, 1)])
    n = b.load(ranges)
    fetch = b.icmp_unsigned("==", kind, ir.Constant(i32, UC_MEM_FETCH))
    fetch_fill, data = fn.append_basic_block("fetch_fill"), fn.append_basic_block("data")
    b.cbranch(fetch, fetch_fill, data)

    b.position_at_end(fetch_fill)                   # no state was restored: nothing to undo
    b.store(ir.Constant(i32, RWX), perms)
    b.ret(ir.Constant(i1, 1))

    # a data access missed in the middle of a translated block: Unicorn has just written that
    # instruction's IT state into env->condexec_bits (cpu_restore_state), which QEMU keeps 0
    # inside a block: put the 0 back (ranges[_CONDEXEC]: its address, 0 = unknown)
    b.position_at_end(data)
    cx = b.load(b.gep(ranges, [ir.Constant(i64, _CONDEXEC)]))
    reset, ranged = fn.append_basic_block("reset"), fn.append_basic_block("ranged")
    b.cbranch(b.icmp_unsigned("!=", cx, ir.Constant(i64, 0)), reset, ranged)
    b.position_at_end(reset)
    b.store(ir.Constant(i32, 0), b.inttoptr(cx, i32.as_pointer()))
    b.branch(ranged)
    b.position_at_end(ranged)
    b.cbranch(b.icmp_unsigned("==", n, ir.Constant(i64, 0)), fill, scan)

    b.position_at_end(scan)
    i = b.phi(i64)
    i.add_incoming(ir.Constant(i64, 0), ranged)
    first = b.load(b.gep(ranges, [b.add(b.shl(i, ir.Constant(i64, 1)), ir.Constant(i64, 1))]))
    last = b.load(b.gep(ranges, [b.add(b.shl(i, ir.Constant(i64, 1)), ir.Constant(i64, 2))]))
    inside = b.and_(b.icmp_unsigned(">=", vaddr, first), b.icmp_unsigned("<=", vaddr, last))
    b.cbranch(inside, data_only, step)

    b.position_at_end(step)
    nxt = b.add(i, ir.Constant(i64, 1))
    i.add_incoming(nxt, step)
    b.cbranch(b.icmp_unsigned("<", nxt, n), scan, fill)

    b.position_at_end(data_only)
    b.store(ir.Constant(i32, RW), perms)
    b.ret(ir.Constant(i1, 1))

    b.position_at_end(fill)
    b.store(ir.Constant(i32, RWX), perms)
    b.ret(ir.Constant(i1, 1))
    return mod


_ADDRESS: list[int] = []


def _fill_address() -> int:
    """The compiled callback (once per process); 0 when llvmlite cannot give it."""
    if not _ADDRESS:
        try:
            out = llvm_ir.compile_functions(_KIND, ("tlb_fill.py", "llvm_ir.py"), _module,
                                            (_FILL,))
        except Exception:  # noqa: BLE001  e.g. an llvmlite without MCJIT
            out = None
        _ADDRESS.append(out[_FILL] if out else 0)
    return _ADDRESS[0]


class TlbFill:
    """The virtual TLB of one engine (kept alive by its machine: the ranges are the
    callback's user data)."""

    def __init__(self, uc, data_only: Sequence[tuple[int, int]], condexec: int) -> None:
        self.data_only = tuple(data_only)
        self.ranges = np.zeros(2 + 2 * MAX_RANGES, dtype=np.int64)
        self.ranges[0] = len(self.data_only)
        for k, (first, last) in enumerate(self.data_only):
            self.ranges[1 + 2 * k], self.ranges[2 + 2 * k] = first, last
        self.ranges[_CONDEXEC] = condexec
        uc.ctl_set_tlb_mode(UC_TLB_VIRTUAL)
        self.handle = add_native_hook(uc, UC_HOOK_TLB_FILL, _fill_address(),
                                      self.ranges.ctypes.data_as(ctypes.c_void_p).value)


def install(uc, data_only: Sequence[tuple[int, int]]) -> TlbFill | None:
    """The virtual TLB on this engine (before anything runs on it), with ``data_only``
    (inclusive (first, last) page-aligned ranges) filled without execute permission for
    data accesses; None and nothing changed when it cannot or should not be used."""
    if os.environ.get("H7SIM_VIRTUAL_TLB", "1") == "0" or len(data_only) > MAX_RANGES:
        return None
    for first, last, perms in uc.mem_regions():
        if perms & UC_PROT_EXEC and any(first <= hi and last >= lo for lo, hi in NEVER_EXECUTE):
            return None
    if not _fill_address():
        return None
    condexec = env_layout.condexec_address(uc)
    if condexec is None:
        return None
    return TlbFill(uc, data_only, condexec)
