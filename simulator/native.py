# ruff: noqa: F405  (slot names come from native_layout)
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
from .jit import carray, cfunc, intrinsic, njit, types  # numba's, or the cache's (jit.py)
from unicorn import UC_HOOK_BLOCK
from unicorn.unicorn_py3 import unicorn as _ucmod

from . import native_layout
from .native_layout import *  # noqa: F403  (the slot names are this layer's vocabulary)
from .timing.model import (BRANCH_ALONE, BRANCH_ALONE_PAIRED_ENTRY, CREDIT_MASK, CREDIT_SHIFT,
                           PENALTY_MASK)

_LAYOUT = "c5c09ea796ad"       # native_layout.FINGERPRINT this file's compiled hooks were built for
native_layout.check(_LAYOUT, __name__)
# poll-loop skipping (here, not in the layout: numba's cache of this file compiles them in)
PS_MAX = 32           # blocks per loop iteration at most
PS_BK = 256           # back-off table entries
PS_BK_MAX = 16        # a loop head whose registers differed n times waits 2**min(n, 16) loops
PS_QUIET_IMPURE = 64  # blocks left unrecorded after an impure block
UC_SP = 115         # UC_ARM_REG_MSP (a Unicorn register id, not a slot): the main stack
                    # only; RTOS task stacks (PSP) must not count as main-stack overflows
UC_CONTROL = 117    # UC_ARM_REG_CONTROL (readable unprivileged)
UC_R13 = 12         # UC_ARM_REG_SP: the current SP (not privilege-checked)


@intrinsic
def _i64_ptr(typingctx, addr):
    """Reinterpret an int64 as a pointer to int64 (table addresses live in the state array)."""
    sig = types.CPointer(types.int64)(types.int64)

    def codegen(context, builder, signature, args):
        return builder.inttoptr(args[0], context.get_value_type(types.CPointer(types.int64)))

    return sig, codegen


@intrinsic
def _call_reg_read(typingctx, fn_addr, uc, regid, out):
    """Call ``int uc_reg_read(uc_engine *, int regid, void *value)`` through its address."""
    sig = types.int32(types.int64, types.voidptr, types.int32, types.int64)

    def codegen(context, builder, signature, args):
        i8p = ir.IntType(8).as_pointer()
        fnty = ir.FunctionType(ir.IntType(32), [i8p, ir.IntType(32), i8p])
        fn = builder.inttoptr(args[0], fnty.as_pointer())
        return builder.call(fn, [args[1], args[2], builder.inttoptr(args[3], i8p)])

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


@njit(cache=True, inline="always")
def _fetch_stall(st, m, e, a, size, fill, busy):
    """Instruction lines of a block: I-cache lookups (2-way, LRU) or uncached fetches.

    Uncached, the prefetch unit's 4 x 64-bit queue ([TRM] Cortex-M7 PFU: one 32-byte line)
    fetches the next sequential line while the core executes the current one: the first line
    of the block costs its whole fetch (a taken branch refills the queue), each further line
    only what its fetch outlasts the execution of the line before it (the block's ``busy``
    issue cycles spread evenly over its n lines). Two refinements:
    - a block that continues sequentially (it starts where the previous one ended, and that
      block's branch was predicted not taken, so the queue was not redirected) does not
      refetch the line the previous block already brought in;
    - flash (RM0433 4.3.8): each bank keeps the 256-bit flash word of its last read in a read
      data buffer, and a read of that word is served from it without a flash access: such a
      line costs ``FLASH_BUF_HIT`` instead of the whole fill (wait states).
    The uncached case is _fetch_lines; its per-block constants come from the block's memo
    entry ``m[e:]`` (_uncached_fetch)."""
    stall = 0
    shift = st[IC_LINE_SHIFT]
    first = a >> shift
    last = (a + size - 1) >> shift
    if st[IC_ENABLED] != 0:
        sets = st[IC_SETS]
        tags = carray(_i64_ptr(st[IC_TAGS]), 2 * sets)
        lru = carray(_i64_ptr(st[IC_LRU]), sets)
        for line in range(first, last + 1):
            s = line & (sets - 1)
            if tags[2 * s] == line:
                lru[s] = 1
                st[IC_HITS] += 1
            elif tags[2 * s + 1] == line:
                lru[s] = 0
                st[IC_HITS] += 1
            else:
                w = lru[s]
                tags[2 * s + w] = line
                lru[s] = 1 - w
                st[IC_MISSES] += 1
                stall += fill
    else:
        stall = _uncached_fetch(st, m, e, a, first, last, fill, busy)
    st[STALL_ICACHE] += stall
    return stall


@njit(cache=True)
def _fetch_lines(st, a, first, last, fill, busy):
    """The uncached fetch of the lines first..last of the block at ``a``, line by line (the
    definition _uncached_fetch's closed form must equal; used where it does not apply)."""
    shift = st[IC_LINE_SHIFT]
    stall = 0
    n = last - first + 1
    line = first
    cont = a == st[PREV_END] and ((a - 1) >> shift) == first and not _predicted_taken(st, a)
    if cont:
        line = first + 1                       # already in the prefetch queue
        st[SEQ_LINES] += 1
    flash = st[FLASH_BUF_END] != 0 and a >= st[FLASH_BUF_BASE] and a < st[FLASH_BUF_END]
    over = 0                                   # fetch time beyond execution, x n
    while line <= last:
        f = fill
        if flash:
            bank = FLASH_BUF_LINE + (((line << shift) - st[FLASH_BUF_BASE])
                                     >> st[FLASH_BANK_SHIFT])
            if st[bank] == line:
                f = st[FLASH_BUF_HIT]
                st[FLASH_BUF_HITS] += 1
            st[bank] = line
        st[UNCACHED_FETCHES] += 1
        if line == first:
            stall += f
        elif cont and line == first + 1:
            # fetched while the shared line executed, in the previous block and this one
            stall += max(0, f - st[SEQ_PREV_EXEC] - busy // n)
        elif n * f > busy:
            over += n * f - busy
        line += 1
    stall += -(-over // n)
    st[SEQ_PREV_EXEC] = busy // n
    return stall


@njit(cache=True)
def _uncached_memo_fill(st, m, e, a, first, last, fill, busy):
    """The per-block constants of _uncached_fetch for this ``fill``: the issue cycles per line,
    the rounded-up fetch time beyond execution of the lines after the first fetched one (the
    first line fetched, or the second when the first is shared with the previous block), and
    the flash bank's buffer slot (0: not flash; -1: the lines are not all in one bank, so
    _fetch_lines runs)."""
    shift = st[IC_LINE_SHIFT]
    n = last - first + 1
    x = max(0, n * fill - busy)
    m[e + M_FILL] = fill
    m[e + M_BUSYN] = busy // n
    m[e + M_OVER] = -(-((n - 1) * x) // n)
    m[e + M_OVER_SEQ] = -(-(max(0, n - 2) * x) // n)
    bank = 0
    if st[FLASH_BUF_END] != 0 and a >= st[FLASH_BUF_BASE] and a < st[FLASH_BUF_END]:
        b0 = ((first << shift) - st[FLASH_BUF_BASE]) >> st[FLASH_BANK_SHIFT]
        b1 = ((last << shift) - st[FLASH_BUF_BASE]) >> st[FLASH_BANK_SHIFT]
        end_bank = (st[FLASH_BUF_END] - 1 - st[FLASH_BUF_BASE]) >> st[FLASH_BANK_SHIFT]
        bank = FLASH_BUF_LINE + b0 if b0 == b1 and b1 <= end_bank and b0 <= 1 else -1
    m[e + M_BANK] = bank


@njit(cache=True, inline="always")
def _uncached_fetch(st, m, e, a, first, last, fill, busy):
    """_fetch_lines in closed form: within one bank only the first line fetched can be in the
    bank's read buffer (each fetch leaves its own line there), every later line costs the
    fill, so the block's stall is the first line's (whole, or beyond the shared line's
    execution) plus a per-block constant (_uncached_memo_fill)."""
    if m[e + M_FILL] != fill:
        _uncached_memo_fill(st, m, e, a, first, last, fill, busy)
    bank = m[e + M_BANK]
    if bank < 0:
        return _fetch_lines(st, a, first, last, fill, busy)
    line = first
    cont = (a == st[PREV_END] and ((a - 1) >> st[IC_LINE_SHIFT]) == first
            and not _predicted_taken(st, a))
    if cont:
        line = first + 1                       # already in the prefetch queue
        st[SEQ_LINES] += 1
    stall = 0
    busy_n = m[e + M_BUSYN]
    if line <= last:
        f = fill
        if bank > 0:
            if st[bank] == line:
                f = st[FLASH_BUF_HIT]
                st[FLASH_BUF_HITS] += 1
            st[bank] = last
        st[UNCACHED_FETCHES] += last - line + 1
        if cont:
            # fetched while the shared line executed, in the previous block and this one
            stall = max(0, f - st[SEQ_PREV_EXEC] - busy_n) + m[e + M_OVER_SEQ]
        else:
            stall = f + m[e + M_OVER]
    st[SEQ_PREV_EXEC] = busy_n
    return stall


@njit(cache=True, inline="always")
def _predicted_taken(st, a):
    """Did the predictor expect the branch that ended at ``a`` to be taken (read only)?"""
    n = st[BP_ENTRIES]
    bp = carray(_i64_ptr(st[BP_TABLE]), 2 * n)
    return bp[2 * ((a >> 1) & (n - 1))] >= 2


@njit(cache=True, inline="always")
def _predict(st, prev, a):
    """Look up and train the predictor entry of the branch that ended at ``prev`` with its
    outcome (the next block starts at ``a``): a 2-bit counter and the last target per entry;
    fall-through is 'not taken'. True when it was predicted."""
    n = st[BP_ENTRIES]
    bp = carray(_i64_ptr(st[BP_TABLE]), 2 * n)
    i = (prev >> 1) & (n - 1)
    ctr = bp[2 * i]
    taken = a != prev
    predicted_taken = ctr >= 2
    ok = (predicted_taken == taken) and (not taken or bp[2 * i + 1] == a)
    if taken:
        if ctr < 3:
            bp[2 * i] = ctr + 1
        bp[2 * i + 1] = a
    elif ctr > 0:
        bp[2 * i] = ctr - 1
    return ok


@njit(cache=True, inline="always")
def _mispredicted(st, flags):
    """Count a mispredict; its penalty: the branch's own (6 or 8) or the default."""
    st[BR_MISPREDICTED] += 1
    pen = flags & PENALTY_MASK
    if pen == 0:
        pen = st[BP_PENALTY]
    st[STALL_BRANCH] += pen
    return pen


@njit(cache=True, inline="always")
def _branch(st, a, start_entry):
    """Dynamic prediction of the branch that ended the previous block (_predict); a
    predicted branch that issued alone pairs with the first instruction of its path.
    ``start_entry``: the penalty-table entry of the instruction at ``a`` (_at_start); the
    entry of the branch that ended the previous block is PREV_FLAGS."""
    prev = st[PREV_END]
    if prev < 0:
        st[ENTERED_PAIRED] = 0
        return 0
    ok = _predict(st, prev, a)
    flags = st[PREV_FLAGS]
    entered_paired = st[ENTERED_PAIRED]
    st[ENTERED_PAIRED] = 0
    if ok:
        st[BR_PREDICTED] += 1
        alone = BRANCH_ALONE_PAIRED_ENTRY if entered_paired != 0 else BRANCH_ALONE
        if (flags & alone) != 0:
            # the predicted branch issued alone: the first instruction of its path takes
            # the free slot; the block costs what its start entry says it saves
            st[ENTERED_PAIRED] = 1
            st[BR_PAIRED] += 1
            saved = (start_entry >> CREDIT_SHIFT) & CREDIT_MASK
            st[BR_SAVED] += saved
            return -saved
        return 0
    return _mispredicted(st, flags)


@njit(cache=True)
def _branch_before_exception(st, a):
    """An interrupt is taken between blocks: the branch that ended the last block resolved
    to ``a`` (the return address) before the entry; train the predictor with that outcome
    and charge its mispredict, but nothing pairs with it (the handler comes next)."""
    prev = st[PREV_END]
    st[ENTERED_PAIRED] = 0
    if prev < 0:
        return 0
    st[PREV_END] = -1
    if _predict(st, prev, a):
        st[BR_PREDICTED] += 1
        return 0
    return _mispredicted(st, _at_end(st, prev, R_PENALTY))


@njit(cache=True)
def _at_end(st, end, which):
    """Entry of the per-halfword table in slot ``which`` of the region row, for the
    instruction that ends at ``end`` (0: no region or no table there)."""
    for r in range(st[N_REGIONS]):
        o = REGION_TABLE + r * REGION_STRIDE
        base = st[o + R_BASE]
        if end > base and end <= base + st[o + R_SIZE]:
            if st[o + which] == 0:
                return 0
            return carray(_i64_ptr(st[o + which]), (st[o + R_SIZE] >> 1) + 1)[(end - base) >> 1]
    return 0


@njit(cache=True)
def _at_start(st, start):
    """Entry of the penalty table for the instruction that starts at ``start``."""
    for r in range(st[N_REGIONS]):
        o = REGION_TABLE + r * REGION_STRIDE
        base = st[o + R_BASE]
        if start >= base and start < base + st[o + R_SIZE]:
            if st[o + R_PENALTY] == 0:
                return 0
            return carray(_i64_ptr(st[o + R_PENALTY]),
                          (st[o + R_SIZE] >> 1) + 1)[(start - base) >> 1]
    return 0


@njit(cache=True)
def _frame_slot(st, addr, which):
    """Pointer array in column ``which`` (R_INCL_CYCLES, R_ACTIVE, R_INCL_INSNS) of the region
    holding addr, and addr's index."""
    for r in range(st[N_REGIONS]):
        o = REGION_TABLE + r * REGION_STRIDE
        base = st[o + R_BASE]
        if addr >= base and addr < base + st[o + R_SIZE] and st[o + which] != 0:
            return carray(_i64_ptr(st[o + which]), (st[o + R_SIZE] >> 1) + 1), (addr - base) >> 1
    return carray(_i64_ptr(st[SS_RET_PTR]), 1), -1


@njit(cache=True)
def _pop_frame(st):
    k = st[SS_DEPTH] - 1
    callee = carray(_i64_ptr(st[SS_CALLEE_PTR]), st[SS_MAX])
    cyc = carray(_i64_ptr(st[SS_CYC_PTR]), st[SS_MAX])
    ins = carray(_i64_ptr(st[SS_INS_PTR]), st[SS_MAX])
    exc = carray(_i64_ptr(st[SS_EXC_PTR]), st[SS_MAX])
    slp = carray(_i64_ptr(st[SS_SLP_PTR]), st[SS_MAX])
    c = callee[k]
    act, i = _frame_slot(st, c, R_ACTIVE)
    if i >= 0:
        act[i] -= 1
        if act[i] == 0:                     # outermost activation: recursion counted once
            incl, _ = _frame_slot(st, c, R_INCL_CYCLES)
            # time spent in interrupt handlers meanwhile is theirs, not this function's
            incl[i] += (st[CYCLES] - cyc[k] - (st[EXC_TOTAL] - exc[k])
                        - (st[SLEEP_TOTAL] - slp[k]))    # CPU cycles: not asleep
            inci, _ = _frame_slot(st, c, R_INCL_INSNS)
            inci[i] += st[INSNS] - ins[k]
    st[SS_DEPTH] = k


@njit(cache=True)
def _shadow(st, a):
    """Shadow call stack: a block entered after a taken BL/BLX pushes a frame; a block
    entered after a return pops frames down to the one whose return address it is (so
    tail calls and longjmp-like unwinding close every frame they skip)."""
    prev_end = st[LAST_END]
    if prev_end < 0:
        return
    kind = _at_end(st, prev_end, R_END_KIND)
    if kind == END_CALL:
        if a == prev_end:                   # a conditional call not taken
            return
        d = st[SS_DEPTH]
        if d >= st[SS_MAX]:
            st[SS_OVERFLOW] += 1
            return
        carray(_i64_ptr(st[SS_RET_PTR]), st[SS_MAX])[d] = prev_end
        carray(_i64_ptr(st[SS_CYC_PTR]), st[SS_MAX])[d] = st[CYCLES]
        carray(_i64_ptr(st[SS_CALLEE_PTR]), st[SS_MAX])[d] = a
        carray(_i64_ptr(st[SS_INS_PTR]), st[SS_MAX])[d] = st[INSNS]
        carray(_i64_ptr(st[SS_EXC_PTR]), st[SS_MAX])[d] = st[EXC_TOTAL]
        carray(_i64_ptr(st[SS_SLP_PTR]), st[SS_MAX])[d] = st[SLEEP_TOTAL]
        st[SS_DEPTH] = d + 1
        act, i = _frame_slot(st, a, R_ACTIVE)
        if i >= 0:
            act[i] += 1
    elif kind == END_RETURN:
        ret = carray(_i64_ptr(st[SS_RET_PTR]), st[SS_MAX])
        j = st[SS_DEPTH] - 1
        while j >= 0 and ret[j] != a:
            if ret[j] == -2:                # never unwind through an exception frame
                return
            j -= 1
        if j < 0:
            return
        while st[SS_DEPTH] > j:
            _pop_frame(st)


@njit(cache=True)
def _edge(st, a):
    """Count the transition from the previous block to this one (dynamic CFG)."""
    prev = st[LAST_BLOCK]
    st[LAST_BLOCK] = a
    if prev < 0:
        return
    n = st[EDGE_ENTRIES]
    t = carray(_i64_ptr(st[EDGE_TABLE]), 3 * n)
    h = ((prev * 0x9E3779B1) ^ (a * 0x85EBCA77)) & (n - 1)
    for _ in range(64):
        k = 3 * h
        if t[k + 2] == 0:
            t[k] = prev
            t[k + 1] = a
            t[k + 2] = 1
            return
        if t[k] == prev and t[k + 1] == a:
            t[k + 2] += 1
            return
        h = (h + 1) & (n - 1)
    st[EDGE_DROPPED] += 1


# --- block memo -----------------------------------------------------------------------------
# Everything the block hook derives from the static tables for a block [a, a + size) is the
# same at every execution (the tables never change once the regions are added): its region
# row, static cost, instruction count, operand and issue stalls, whether it lowers SP or has an
# impure instruction, and the penalty-table entries at its start and end. The first execution
# computes them (_memo_fill, the same lookups as before); later ones read one direct-mapped
# entry (a collision just recomputes it). Dynamic state (I-cache, predictor, D-side estimates,
# profile counters) is never memoised.
MEMO_ENTRIES = 4096                 # power of two
MEMO_WIDTH = 16                     # int64 per entry: two 64-byte lines
(M_KEY, M_ROW, M_INDEX, M_COST, M_COUNT, M_DEP, M_ISSUE, M_BITS,
 M_FILL, M_BUSYN, M_OVER, M_OVER_SEQ, M_BANK) = range(13)
# M_FILL..M_BANK: the uncached fetch's constants for the fill cycles in M_FILL (-1: none yet;
# _uncached_memo_fill; recomputed when the region's fill changes or the flash buffer moves)
MB_SP_LOWER = 1                     # M_BITS: the block lowers SP (R_SP_LOWER differs)
MB_IMPURE = 2                       # ... has an impure instruction, or no R_IMPURE table
MB_REGION_SHIFT = 2                 # bits 2..9: region index
MB_END_SHIFT = 16                   # bits 16..31: _at_end(a + size, R_PENALTY)
MB_START_SHIFT = 32                 # bits 32..47: _at_start(a)
MB_ENTRY_MASK = 0xFFFF


@njit(cache=True)
def _memo_fill(st, m, e, a, size):
    """Compute the memo entry at ``m[e:]`` for the block [a, a + size)."""
    st[MEMO_FILLS] += 1
    m[e + M_KEY] = (a << 16) | size
    m[e + M_ROW] = -1
    m[e + M_INDEX] = 0
    m[e + M_COST] = size >> 1       # outside any analysed region (see _account)
    m[e + M_COUNT] = (size + 2) // 3
    m[e + M_DEP] = 0
    m[e + M_ISSUE] = 0
    bits = MB_IMPURE
    for r in range(st[N_REGIONS]):
        o = REGION_TABLE + r * REGION_STRIDE
        base = st[o + R_BASE]
        if a >= base and a + size <= base + st[o + R_SIZE]:
            i0 = (a - base) >> 1
            i1 = (a + size - base) >> 1
            cost = carray(_i64_ptr(st[o + R_COST]), i1 + 1)
            count = carray(_i64_ptr(st[o + R_COUNT]), i1 + 1)
            m[e + M_ROW] = o
            m[e + M_INDEX] = i0
            m[e + M_COST] = cost[i1] - cost[i0]
            m[e + M_COUNT] = count[i1] - count[i0]
            if st[o + R_DEP] != 0:
                dep = carray(_i64_ptr(st[o + R_DEP]), i1 + 1)
                iss = carray(_i64_ptr(st[o + R_ISSUE]), i1 + 1)
                m[e + M_DEP] = dep[i1] - dep[i0]
                m[e + M_ISSUE] = iss[i1] - iss[i0]
            bits = r << MB_REGION_SHIFT
            if st[o + R_SP_LOWER] != 0:
                spd = carray(_i64_ptr(st[o + R_SP_LOWER]), i1 + 1)
                if spd[i1] != spd[i0]:
                    bits |= MB_SP_LOWER
            if st[o + R_IMPURE] == 0:
                bits |= MB_IMPURE
            else:
                imp = carray(_i64_ptr(st[o + R_IMPURE]), i1 + 1)
                if imp[i1] != imp[i0]:
                    bits |= MB_IMPURE
            break
    bits |= (_at_end(st, a + size, R_PENALTY) & MB_ENTRY_MASK) << MB_END_SHIFT
    bits |= (_at_start(st, a) & MB_ENTRY_MASK) << MB_START_SHIFT
    m[e + M_BITS] = bits
    m[e + M_FILL] = -1


@njit(cache=True, inline="always")
def _memo(st, a, size):
    """The memo table and the offset of the (filled) entry of block [a, a + size)."""
    m = carray(_i64_ptr(st[MEMO_TABLE]), MEMO_ENTRIES * MEMO_WIDTH)
    e = ((a >> 1) & (MEMO_ENTRIES - 1)) * MEMO_WIDTH
    if m[e + M_KEY] != ((a << 16) | size):
        _memo_fill(st, m, e, a, size)
    return m, e


@njit(cache=True, inline="always")
def _account(st, a, size):
    """Everything the block hook counts for the block [a, a + size) (no stop decision)."""
    if st[SS_ON] != 0:
        _shadow(st, a)
        st[LAST_END] = a + size
    st[BLOCK_ADDR] = a
    st[BLOCK_CYCLES] = st[CYCLES]
    st[BLOCK_SIZE] = size
    st[BLOCKS] += 1
    m, e = _memo(st, a, size)
    o = m[e + M_ROW]
    bits = m[e + M_BITS]
    dynamic = st[DYNAMIC_ON] != 0
    if o >= 0:
        r = (bits >> MB_REGION_SHIFT) & 0xFF
        i0 = m[e + M_INDEX]
        c = m[e + M_COST]
        st[STALL_DEP] += m[e + M_DEP]
        st[STALL_ISSUE] += m[e + M_ISSUE]
        if (bits & MB_SP_LOWER) != 0 and st[SP_LIMIT] != 0:
            st[SP_CHECK] = 1
            st[PREV_BLOCK] = a
        fs = 0
        bp = 0
        if dynamic:
            if st[o + R_KIND] == KIND_CACHEABLE:
                fs = _fetch_stall(st, m, e, a, size, st[o + R_FILL], c)
            bp = _branch(st, a, (bits >> MB_START_SHIFT) & MB_ENTRY_MASK)
        pre = fs + bp
        st[CUR_ROW] = o
        st[CUR_INDEX] = i0
        mode = st[DC_MODE]
        if mode == DC_MEASURE:
            carray(_i64_ptr(st[o + R_WINDOW_EXECS]), i0 + 1)[i0] += 1
        elif mode != DC_OFF:
            e2 = carray(_i64_ptr(st[o + R_DSIDE_EST]), i0 + 1)[i0]
            if e2 < 0:                      # never measured: ask for a window now
                if mode == DC_ESTIMATE and st[DC_NEW_CODE] == 0:
                    st[DC_NEW_CODE] = 1
                    st[DEADLINE] = 0
            elif e2 != 0:
                f = st[EST_FRAC] + e2
                st[EST_FRAC] = f & ((1 << EST_SHIFT) - 1)
                extra = f >> EST_SHIFT
                st[STALL_DEST] += extra
                pre += extra
                if extra != 0 and st[PROFILE_ON] != 0:
                    carray(_i64_ptr(st[o + R_DSIDE_PROFILE]), i0 + 1)[i0] += extra
        st[BLOCK_PRE] = pre
        st[BLOCK_EXTRA] = 0
        c += pre
        st[CYCLES] += c
        st[REGION_CYCLES + r] += c
        st[INSNS] += m[e + M_COUNT]
        if st[PROFILE_ON] != 0:
            execs = carray(_i64_ptr(st[o + R_EXECS]), i0 + 1)
            cycles = carray(_i64_ptr(st[o + R_BLOCK_CYCLES]), i0 + 1)
            execs[i0] += 1
            cycles[i0] += c
            if fs != 0:
                carray(_i64_ptr(st[o + R_FETCH_STALL]), i0 + 1)[i0] += fs
            if bp > 0:
                carray(_i64_ptr(st[o + R_MISPREDICT]), i0 + 1)[i0] += bp
    elif dynamic:
        st[CYCLES] += _branch(st, a, (bits >> MB_START_SHIFT) & MB_ENTRY_MASK)
    if dynamic:
        st[PREV_END] = a + size
        st[PREV_FLAGS] = (bits >> MB_END_SHIFT) & MB_ENTRY_MASK
    if st[PROFILE_ON] != 0:
        _edge(st, a)
    if o < 0:
        st[CUR_ROW] = -1
        st[BLOCK_PRE] = 0
        st[BLOCK_EXTRA] = 0
        # Code outside any analysed region (e.g. generated at run time): one cycle per
        # halfword, one instruction per 3 bytes on average (documented approximation).
        st[CYCLES] += m[e + M_COST]
        st[INSNS] += m[e + M_COUNT]
        st[UNKNOWN_BYTES] += size


# --- poll-loop skipping ------------------------------------------------------------------------
# A loop whose blocks only read (no store, no SVC/BKPT/WFI/CPS/MSR: code_map.impure) and
# that reaches its first block twice in a row with the same registers (core, FP, flags)
# without Python running in between (no event, no Python MMIO access, no Python hook:
# PS_GEN unchanged) will repeat exactly until an event: nothing else can change the memory or
# register values it reads. The hook then accounts the iterations the CPU would run before
# the next deadline without running them: each block through _account (the same counting as
# when it executes: I-cache, predictor, D-side estimates) plus the bus cycles its register
# reads cost, iteration for iteration; once two accounted iterations change the state by the
# same amounts, the rest is extrapolated. An iteration in which the deadline would fall
# inside the loop (not at its first block) is left to the CPU, so the stop happens where it
# would have. Cycle counts, instruction counts, DWT reads and energy are the same with and
# without skipping (tests/test_poll_skip.py).


@intrinsic
def _call_reg_batch(typingctx, fn_addr, uc, ids, vals, count):
    """Call ``int uc_reg_read_batch(uc_engine *, int *regs, void **vals, int count)``."""
    sig = types.int32(types.int64, types.voidptr, types.int64, types.int64, types.int64)

    def codegen(context, builder, signature, args):
        i8p = ir.IntType(8).as_pointer()
        fnty = ir.FunctionType(ir.IntType(32), [i8p, i8p, i8p, ir.IntType(32)])
        fn = builder.inttoptr(args[0], fnty.as_pointer())
        return builder.call(fn, [args[1], builder.inttoptr(args[2], i8p),
                                 builder.inttoptr(args[3], i8p),
                                 builder.trunc(args[4], ir.IntType(32))])

    return sig, codegen


@njit(cache=True, inline="always")
def _pure(st, a, size):
    """The block [a, a + size) lies in an analysed region, has no impure instruction and
    does not lower SP (the SP watch reads SP after such blocks)."""
    m, e = _memo(st, a, size)
    if m[e + M_ROW] < 0:
        return False
    bits = m[e + M_BITS]
    if (bits & MB_IMPURE) != 0:
        return False
    return not ((bits & MB_SP_LOWER) != 0 and st[SP_LIMIT] != 0)


@njit(cache=True)
def _ps_start(st, a, size):
    seq = carray(_i64_ptr(st[PS_SEQ]), 4 * PS_MAX)
    st[PS_HEAD] = a
    st[PS_REC_GEN] = st[PS_GEN]
    st[PS_LEN] = 1
    st[PS_PREV_LEN] = -1
    st[PS_SNAP_OK] = 0
    seq[0] = a
    seq[1] = size
    seq[2] = 0
    seq[3] = 0
    st[PS_START_CYC] = st[CYCLES]
    st[PS_START_MISS] = st[IC_MISSES] + st[BR_MISPREDICTED]


@njit(cache=True)
def _backoff(st, a, outcome):
    """outcome -1: 1 if the head ``a`` must wait this visit; 0: its registers differed: the
    number of iterations to let pass (twice as many as last time); 1: it was skipped."""
    tab = carray(_i64_ptr(st[PS_BACKOFF]), 3 * PS_BK)
    e = 3 * ((a >> 1) & (PS_BK - 1))
    if tab[e] != a:
        tab[e] = a
        tab[e + 1] = 0
        tab[e + 2] = 0
    if outcome < 0:
        if tab[e + 2] > 0:
            tab[e + 2] -= 1
            return np.int64(1)
        return np.int64(0)
    if outcome == 0:
        f = min(tab[e + 1] + 1, PS_BK_MAX)
        tab[e + 1] = f
        tab[e + 2] = 0
        return np.int64(1) << f                 # iterations to let pass
    tab[e + 1] = 0
    tab[e + 2] = 0
    return np.int64(0)


@njit(cache=True)
def _replay(st, seq, n):
    """Account one iteration of the recorded loop as if it had run."""
    for k in range(n):
        if k > 0 and st[CYCLES] >= st[DEADLINE]:
            st[PS_ERRORS] += 1                  # cannot happen: _skip checked the room
        _account(st, seq[4 * k], seq[4 * k + 1])
        x = seq[4 * k + 2]
        if x != 0:
            st[CYCLES] += x
            st[BLOCK_EXTRA] += x
            st[BUS_CYCLES] += x


@njit(cache=True)
def _skip(st, seq, n):
    """At the loop head with the loop proven to repeat: account every whole iteration whose
    block starts all fall before the deadline. True if the deadline is reached (stop at the
    head, as the CPU would)."""
    period = st[PS_ITER_CYC]
    if period <= 0:
        return False
    last = seq[4 * (n - 1) + 3]                 # cycles from the head to the last block start
    room = st[DEADLINE] - 1 - st[CYCLES] - last
    if room < 0:
        return False
    whole = room // period + 1
    if whole < 4:
        return False
    tmp = carray(_i64_ptr(st[PS_TMP]), 2 * STATE_SIZE)
    _replay(st, seq, n)
    _replay(st, seq, n)                         # the I-cache and predictor are settled now
    for k in range(STATE_SIZE):
        tmp[k] = st[k]
    _replay(st, seq, n)
    for k in range(STATE_SIZE):
        tmp[STATE_SIZE + k] = st[k] - tmp[k]    # what one iteration changes
        tmp[k] = st[k]
    _replay(st, seq, n)
    linear = st[CYCLES] - tmp[CYCLES] == period
    for k in range(STATE_SIZE):
        if st[k] - tmp[k] != tmp[STATE_SIZE + k]:
            linear = False
            break
    rest = whole - 4
    if linear:
        for k in range(STATE_SIZE):
            d = tmp[STATE_SIZE + k]
            if d != 0:
                st[k] += rest * d
    else:
        for _ in range(rest):
            _replay(st, seq, n)
    st[PS_ITERS] += whole
    st[PS_SKIPS] += 1
    return st[CYCLES] >= st[DEADLINE]


@njit(cache=True)
def _poll_track(st, uc, a, size):
    """Record the pure blocks since Python last ran; at each return to the first one, check
    whether the loop repeats and skip it if so. True: stop the CPU now (deadline reached)."""
    q = st[PS_QUIET]
    if q > 0:                                   # backing off: nothing to record
        st[PS_QUIET] = q - 1
        return False
    seq = carray(_i64_ptr(st[PS_SEQ]), 4 * PS_MAX)
    n = st[PS_LEN]
    if st[PS_HEAD] >= 0 and n > 0:
        seq[4 * n - 2] = st[BLOCK_EXTRA]        # the previous block's bus cycles are final
    if st[PROFILE_ON] != 0 or st[SS_ON] != 0 or st[DC_MODE] > DC_ESTIMATE:
        st[PS_HEAD] = -1
        return False
    if not _pure(st, a, size):
        st[PS_HEAD] = -1
        st[PS_QUIET] = PS_QUIET_IMPURE
        return False
    if st[PS_HEAD] < 0 or st[PS_GEN] != st[PS_REC_GEN]:
        _ps_start(st, a, size)
        return False
    if a != st[PS_HEAD]:
        if n >= PS_MAX:
            _ps_start(st, a, size)
            return False
        seq[4 * n] = a
        seq[4 * n + 1] = size
        seq[4 * n + 2] = 0
        seq[4 * n + 3] = st[CYCLES] - st[PS_START_CYC]
        st[PS_LEN] = n + 1
        return False
    prev = carray(_i64_ptr(st[PS_PREV]), 4 * PS_MAX)
    period = st[CYCLES] - st[PS_START_CYC]
    misses = st[IC_MISSES] + st[BR_MISPREDICTED]
    same = st[PS_PREV_LEN] == n and period == st[PS_ITER_CYC] and misses == st[PS_START_MISS]
    if same:
        for k in range(4 * n):
            if seq[k] != prev[k]:
                same = False
                break
    stop = False
    if not same and st[PS_PREV_LEN] >= 0:
        # iterations that differ (warming up, or a data-dependent loop): look again later
        st[PS_QUIET] = 2 * n
        st[PS_HEAD] = -1
        return False
    if not same or _backoff(st, a, -1):
        st[PS_SNAP_OK] = 0
    else:
        nr = st[PS_NREGS]
        cur = carray(_i64_ptr(st[PS_CUR]), nr)
        snap = carray(_i64_ptr(st[PS_SNAP]), nr)
        _call_reg_batch(st[PS_BATCH_FN], uc, st[PS_IDS], st[PS_VALS], nr)
        if st[PS_SNAP_OK] != 0:
            equal = True
            for k in range(nr):
                if cur[k] != snap[k]:
                    equal = False
                    break
            if equal:
                _backoff(st, a, 1)
                stop = _skip(st, seq, n)
            else:
                st[PS_QUIET] = _backoff(st, a, 0) * n
                st[PS_HEAD] = -1
                return False
        for k in range(nr):
            snap[k] = cur[k]
        st[PS_SNAP_OK] = 1
    for k in range(4 * n):
        prev[k] = seq[k]
    st[PS_PREV_LEN] = n
    st[PS_ITER_CYC] = period
    st[PS_LEN] = 1
    seq[2] = 0
    st[PS_START_CYC] = st[CYCLES]
    st[PS_START_MISS] = st[IC_MISSES] + st[BR_MISPREDICTED]
    return stop


@cfunc(types.int64(types.voidptr, types.int64), nopython=True, cache=True)
def _branch_before_exception_c(state, a):
    """_branch_before_exception for Python (through ctypes: see jit.py)."""
    return _branch_before_exception(carray(state, STATE_SIZE, dtype=np.int64), a)


_BRANCH_BEFORE_EXCEPTION = ctypes.CFUNCTYPE(ctypes.c_int64, ctypes.c_void_p, ctypes.c_int64)


@cfunc(types.void(types.voidptr, types.uint64, types.uint32, types.voidptr),
       nopython=True, cache=True)
def _block_hook(uc, address, size, user_data):
    st = carray(user_data, STATE_SIZE, dtype=np.int64)
    if st[SKIP_BLOCK] >= 0:
        skip = st[SKIP_BLOCK] == np.int64(address)
        st[SKIP_BLOCK] = -1
        if skip:
            return
    if st[SP_CHECK] != 0:
        # the previous block lowered SP: read it now that it has run
        st[SP_CHECK] = 0
        st[SP_VALUE] = 0
        _call_reg_read(st[REG_READ_FN], uc, UC_SP, st[SP_VALUE_PTR])
        sp = st[SP_VALUE]
        if sp == 0:
            # Unicorn reads MSP as 0 in an unprivileged thread (simulator/privilege.py): on
            # the main stack (CONTROL.SPSEL = 0) it is the current SP; on PSP it did not move
            _call_reg_read(st[REG_READ_FN], uc, UC_CONTROL, st[SP_VALUE_PTR])
            if st[SP_VALUE] & 2:
                sp = st[SP_MIN]
            else:
                st[SP_VALUE] = 0
                _call_reg_read(st[REG_READ_FN], uc, UC_R13, st[SP_VALUE_PTR])
                sp = st[SP_VALUE]
        if sp < st[SP_MIN]:
            st[SP_MIN] = sp
            st[SP_MIN_AT] = st[PREV_BLOCK]
            if sp < st[SP_LIMIT] and st[SP_OVERFLOW_AT] < 0:
                st[SP_OVERFLOW_AT] = st[PREV_BLOCK]
            if st[SP_STOP_ON_MIN] != 0:
                st[SP_EVENT] = 1
                st[STOPPED] = 1
                _call_stop(st[STOP_FN], uc)
                return
    # A stop requested at this deadline leaves this block unexecuted (Unicorn stops before
    # it runs and resumes at its start), so nothing of it may be counted yet.
    if st[CYCLES] >= st[DEADLINE]:
        st[STOPPED] = 1
        _call_stop(st[STOP_FN], uc)
        return
    a = np.int64(address)
    if st[PS_ON] != 0:
        q = st[PS_QUIET]
        if q > 0:                            # backing off (_poll_track's first test, inline)
            st[PS_QUIET] = q - 1
        elif st[PS_HEAD] < 0 and (st[PROFILE_ON] != 0 or st[SS_ON] != 0
                                  or st[DC_MODE] > DC_ESTIMATE):
            pass                             # nothing recorded, nothing to record (inline)
        elif _poll_track(st, uc, a, np.int64(size)):
            st[STOPPED] = 1                  # the skip reached the deadline at the loop head
            _call_stop(st[STOP_FN], uc)
            return
    _account(st, a, np.int64(size))


@dataclass
class CodeRegion:
    """Static per-instruction data for one range of executable memory.

    ``cost_prefix[i]`` is the summed static cost of the instructions starting at halfwords
    below index i of the range; ``count_prefix`` likewise counts instructions. ``cacheable``
    regions (flash, SRAM) fetch through the I-cache; TCM does not.
    """

    base: int
    size: int
    cost_prefix: np.ndarray
    count_prefix: np.ndarray
    cacheable: bool = False
    kind: str = "tcm"
    sp_lower_prefix: np.ndarray | None = None   # prefix count of SP-lowering instructions
    end_kind: np.ndarray | None = None          # per halfword: a call / return ends there
    dep_prefix: np.ndarray | None = None        # prefix sums of static operand-wait stalls
    issue_prefix: np.ndarray | None = None      # prefix sums of static issue-restriction stalls
    penalties: np.ndarray | None = None         # per end halfword: mispredict penalty (0: default)
    impure_prefix: np.ndarray | None = None     # prefix count of code_map.impure instructions


def uc_handle(uc) -> int:
    """The uc_engine pointer of a unicorn.Uc, for calls into libunicorn."""
    h = uc._uch
    return h.value if hasattr(h, "value") else h


def add_native_hook(uc, kind: int, fn_address: int, user_data: int, begin: int = 1,
                    end: int = 0) -> int:
    """Register a compiled callback (a numba cfunc's address) with libunicorn's own
    uc_hook_add, for addresses [begin, end] (begin > end: all); returns the hook handle."""
    handle = ctypes.c_size_t()
    err = _ucmod.uclib.uc_hook_add(  # variadic C function: pass exact C types
        ctypes.c_void_p(uc_handle(uc)), ctypes.byref(handle), ctypes.c_int(kind),
        ctypes.c_void_p(fn_address), ctypes.c_void_p(user_data),
        ctypes.c_uint64(begin), ctypes.c_uint64(end))
    if err != 0:
        raise RuntimeError(f"uc_hook_add({kind:#x}) failed: {err}")
    return handle.value


def _mark_python_hooks(uc, st: np.ndarray) -> None:
    """Wrap ``uc.hook_add`` (this instance only) so that every Python hook added through it
    bumps PS_GEN when it runs: a loop in which any Python hook fires (traces, debugger
    breakpoints, trap checks, the interrupt hook) is never skipped."""
    add = uc.hook_add

    def hook_add(htype, callback, user_data=None, begin=1, end=0, *args):
        def marked(*cb_args):
            st[PS_GEN] += 1
            return callback(*cb_args)
        return add(htype, marked, user_data, begin, end, *args)

    uc.hook_add = hook_add


class NativeCounter:
    """Owns the state array and registers the block hook on one Unicorn instance."""

    def __init__(self, uc) -> None:
        self.state = np.zeros(STATE_SIZE, dtype=np.int64)
        self.state[DEADLINE] = np.iinfo(np.int64).max
        self.state[SKIP_BLOCK] = -1
        lib = _ucmod.uclib
        self.state[STOP_FN] = ctypes.cast(lib.uc_emu_stop, ctypes.c_void_p).value
        self._regions: list[CodeRegion] = []
        self._memo = np.full(MEMO_ENTRIES * MEMO_WIDTH, -1, dtype=np.int64)
        self.state[MEMO_TABLE] = self._memo.ctypes.data
        from .block_front import hook_address     # (imports this module)
        self._handle = add_native_hook(uc, UC_HOOK_BLOCK, hook_address(_block_hook.address),
                                       self.state.ctypes.data)
        self._branch_before_exception = _BRANCH_BEFORE_EXCEPTION(
            _branch_before_exception_c.address)

    def add_region(self, region: CodeRegion) -> None:
        if len(self._regions) >= MAX_REGIONS:
            raise ValueError("too many code regions")
        for arr in (region.cost_prefix, region.count_prefix):
            if arr.dtype != np.int64 or not arr.flags.c_contiguous:
                raise ValueError("prefix tables must be contiguous int64")
        self._regions.append(region)  # keeps the arrays alive
        o = REGION_TABLE + REGION_STRIDE * (len(self._regions) - 1)
        self.state[o + R_BASE] = region.base
        self.state[o + R_SIZE] = region.size
        self.state[o + R_COST] = region.cost_prefix.ctypes.data
        self.state[o + R_COUNT] = region.count_prefix.ctypes.data
        self.state[o + R_KIND] = KIND_CACHEABLE if region.cacheable else KIND_TCM
        if region.sp_lower_prefix is not None:
            self.state[o + R_SP_LOWER] = region.sp_lower_prefix.ctypes.data
        if region.dep_prefix is not None and region.issue_prefix is not None:
            self.state[o + R_DEP] = region.dep_prefix.ctypes.data
            self.state[o + R_ISSUE] = region.issue_prefix.ctypes.data
        if region.penalties is not None:
            self.state[o + R_PENALTY] = region.penalties.ctypes.data
        if region.impure_prefix is not None:
            self.state[o + R_IMPURE] = region.impure_prefix.ctypes.data
        self.state[N_REGIONS] = len(self._regions)
        self._memo[:] = -1                  # entries computed without this region

    def enable_dynamic(self, icache_sets: int, predictor_entries: int, penalty: int,
                       icache_ways: int = 2, line_bytes: int = 32) -> None:
        if icache_ways != 2:
            raise ValueError("the native I-cache model is 2-way (Cortex-M7 TRM 5.4)")
        self._ic_tags = np.full(2 * icache_sets, -1, dtype=np.int64)
        self._ic_lru = np.zeros(icache_sets, dtype=np.int64)
        self._bp = np.zeros(2 * predictor_entries, dtype=np.int64)
        self._bp[0::2] = 1                      # weakly not taken
        self._bp[1::2] = -1
        st = self.state
        st[IC_TAGS] = self._ic_tags.ctypes.data
        st[IC_LRU] = self._ic_lru.ctypes.data
        st[IC_SETS] = icache_sets
        st[IC_LINE_SHIFT] = line_bytes.bit_length() - 1
        st[BP_TABLE] = self._bp.ctypes.data
        st[BP_ENTRIES] = predictor_entries
        st[BP_PENALTY] = penalty
        st[PREV_END] = -1
        st[FLASH_BUF_LINE] = -1
        st[FLASH_BUF_LINE + 1] = -1
        st[DYNAMIC_ON] = 1

    def set_fill_cycles(self, fill_by_kind: dict[str, int]) -> None:
        for i, r in enumerate(self._regions):
            self.state[REGION_TABLE + REGION_STRIDE * i + R_FILL] = fill_by_kind.get(r.kind, 0)
        # (the memo's uncached-fetch constants are keyed by the fill: _uncached_fetch)

    def set_flash_buffer(self, base: int, end: int, bank_bytes: int, hit_cycles: int) -> None:
        """Flash banks of ``bank_bytes`` in [base, end), each with a one-line read data buffer
        whose line a fetch gets in ``hit_cycles`` (end == base: none)."""
        if end > base and (end - base) > 2 * bank_bytes:
            raise ValueError("the native flash read buffer model has at most 2 banks")
        st = self.state
        st[FLASH_BUF_BASE] = base
        st[FLASH_BUF_END] = end if end > base else 0
        st[FLASH_BANK_SHIFT] = max(bank_bytes, 1).bit_length() - 1
        st[FLASH_BUF_HIT] = hit_cycles
        self._memo[M_FILL::MEMO_WIDTH] = -1     # the memoised flash banks may have moved

    def set_icache(self, enabled: bool) -> None:
        self.state[IC_ENABLED] = 1 if enabled else 0

    def invalidate_icache(self) -> None:
        if hasattr(self, "_ic_tags"):
            self._ic_tags[:] = -1

    def watch_stack(self, limit: int) -> None:
        """Check SP after every block that lowers it; SP below ``limit`` is an overflow."""
        lib = _ucmod.uclib
        self.state[REG_READ_FN] = ctypes.cast(lib.uc_reg_read, ctypes.c_void_p).value
        self.state[SP_VALUE_PTR] = self.state.ctypes.data + 8 * SP_VALUE
        self.state[SP_MIN] = np.iinfo(np.int64).max
        self.state[SP_OVERFLOW_AT] = -1
        self.state[SP_LIMIT] = limit

    def stop_on_new_stack_minimum(self, on: bool = True) -> None:
        self.state[SP_STOP_ON_MIN] = 1 if on else 0

    def take_stack_event(self) -> bool:
        """True once after the hook stopped the CPU at a new lowest SP."""
        if self.state[SP_EVENT]:
            self.state[SP_EVENT] = 0
            return True
        return False

    def stack_watch(self) -> tuple[int | None, int | None]:
        """(lowest SP seen, block address after which SP first crossed the limit)."""
        st = self.state
        low = int(st[SP_MIN]) if st[SP_LIMIT] and st[SP_MIN] != np.iinfo(np.int64).max else None
        at = int(st[SP_OVERFLOW_AT]) if st[SP_LIMIT] and st[SP_OVERFLOW_AT] >= 0 else None
        return low, at

    def branch_before_exception(self, return_address: int) -> None:
        """An interrupt is about to be taken between blocks: the branch that ended the last
        block went to ``return_address``; the predictor learns it (and a mispredict costs)
        as if the next block had run (exception entry then forgets the previous block)."""
        if self.state[DYNAMIC_ON]:
            self.cycles = self.cycles + int(self._branch_before_exception(
                self.state.ctypes.data, return_address & ~1))

    def forget_previous_block(self) -> None:
        """The next block does not follow a branch (exception entry or return)."""
        self.state[PREV_END] = -1
        self.state[LAST_BLOCK] = -1
        self.state[LAST_END] = -1

    # --- shadow call stack (with profiling) ------------------------------------------------
    def enable_shadow_stack(self, max_depth: int = 4096) -> None:
        st = self.state
        self._ss = {k: np.zeros(max_depth, dtype=np.int64)
                    for k in ("ret", "cyc", "callee", "ins", "exc", "slp")}
        st[SS_EXC_PTR] = self._ss["exc"].ctypes.data
        st[SS_SLP_PTR] = self._ss["slp"].ctypes.data
        st[SS_RET_PTR] = self._ss["ret"].ctypes.data
        st[SS_CYC_PTR] = self._ss["cyc"].ctypes.data
        st[SS_CALLEE_PTR] = self._ss["callee"].ctypes.data
        st[SS_INS_PTR] = self._ss["ins"].ctypes.data
        st[SS_MAX] = max_depth
        st[SS_DEPTH] = 0
        self._frames = []
        for i, r in enumerate(self._regions):
            n = len(r.cost_prefix)
            arrs = (r.end_kind if r.end_kind is not None else np.zeros(n, np.int64),
                    np.zeros(n, np.int64), np.zeros(n, np.int64), np.zeros(n, np.int64))
            self._frames.append(arrs)
            o = REGION_TABLE + REGION_STRIDE * i
            for k, arr in enumerate(arrs):
                st[o + R_END_KIND + k] = arr.ctypes.data
        st[LAST_END] = -1
        st[SS_ON] = 1

    def _slot(self, addr: int, which: int):
        for r, arrs in zip(self._regions, getattr(self, "_frames", [])):
            if r.base <= addr < r.base + r.size:
                return arrs[which], (addr - r.base) >> 1
        return None, -1

    def shadow_push_root(self, entry: int) -> None:
        """The frame of the reset handler: the run starts inside it."""
        self._push(entry, -3)

    def shadow_exception_enter(self, handler: int, started: int | None) -> None:
        """An exception frame: its handler gets inclusive time until the matching return;
        the functions it interrupted do not (nor the entry/return cycles, which belong to
        the exception mechanism)."""
        st = self.state
        if not st[SS_ON]:
            return
        if st[EXC_DEPTH] == 0 and started is not None:
            st[EXC_START] = started
        st[EXC_DEPTH] += 1
        self._push(handler, -2)

    def shadow_exception_returned(self, tail_chained: bool) -> None:
        st = self.state
        if st[SS_ON] and st[EXC_DEPTH] == 0 and not tail_chained:
            st[EXC_TOTAL] += st[CYCLES] - st[EXC_START]

    def _push(self, handler: int, marker: int) -> None:
        st = self.state
        if not st[SS_ON] or st[SS_DEPTH] >= st[SS_MAX]:
            return
        d = int(st[SS_DEPTH])
        self._ss["exc"][d] = st[EXC_TOTAL]
        self._ss["slp"][d] = st[SLEEP_TOTAL]
        self._ss["ret"][d] = marker
        self._ss["cyc"][d] = st[CYCLES]
        self._ss["callee"][d] = handler & ~1
        self._ss["ins"][d] = st[INSNS]
        st[SS_DEPTH] = d + 1
        act, i = self._slot(handler & ~1, 2)
        if act is not None:
            act[i] += 1

    def _pop(self) -> None:
        st = self.state
        k = int(st[SS_DEPTH]) - 1
        c = int(self._ss["callee"][k])
        act, i = self._slot(c, 2)
        if act is not None:
            act[i] -= 1
            if act[i] == 0:
                self._slot(c, 1)[0][i] += (st[CYCLES] - self._ss["cyc"][k]
                                           - (st[EXC_TOTAL] - self._ss["exc"][k])
                                           - (st[SLEEP_TOTAL] - self._ss["slp"][k]))
                self._slot(c, 3)[0][i] += st[INSNS] - self._ss["ins"][k]
        st[SS_DEPTH] = k

    def shadow_exception_return(self) -> None:
        """Pop the frames of the handler being left, its exception frame included."""
        st = self.state
        if not st[SS_ON]:
            return
        ret = self._ss["ret"]
        d = int(st[SS_DEPTH])
        if not any(ret[j] == -2 for j in range(d)):
            return
        while st[SS_DEPTH] > 0:
            last = ret[int(st[SS_DEPTH]) - 1]
            self._pop()
            if last == -2:
                break
        st[EXC_DEPTH] = max(int(st[EXC_DEPTH]) - 1, 0)

    def shadow_finish(self) -> None:
        """Close the frames still open when the run ends (main, an interrupted handler)."""
        while self.state[SS_ON] and self.state[SS_DEPTH] > 0:
            self._pop()

    def inclusive(self) -> dict[int, tuple[int, int]]:
        """Measured {function entry address: (inclusive cycles, inclusive instructions)} for
        every function that was entered through a call or an exception."""
        out = {}
        for r, arrs in zip(self._regions, getattr(self, "_frames", [])):
            for i in np.flatnonzero(arrs[1] | arrs[3]):
                out[r.base + 2 * int(i)] = (int(arrs[1][i]), int(arrs[3][i]))
        return out

    def enable_profile(self, edge_entries: int = 1 << 16) -> None:
        """Per-block execution counts and cycles, and block-to-block transition counts."""
        self._profile = []
        for i, r in enumerate(self._regions):
            n = len(r.cost_prefix)
            execs = np.zeros(n, dtype=np.int64)
            cycles = np.zeros(n, dtype=np.int64)
            fetch = np.zeros(n, dtype=np.int64)
            mispredict = np.zeros(n, dtype=np.int64)
            dside = np.zeros(n, dtype=np.int64)
            self._profile.append((execs, cycles, fetch, mispredict, dside))
            o = REGION_TABLE + REGION_STRIDE * i
            self.state[o + R_EXECS] = execs.ctypes.data
            self.state[o + R_BLOCK_CYCLES] = cycles.ctypes.data
            self.state[o + R_FETCH_STALL] = fetch.ctypes.data
            self.state[o + R_MISPREDICT] = mispredict.ctypes.data
            self.state[o + R_DSIDE_PROFILE] = dside.ctypes.data
        self._edges = np.zeros(3 * edge_entries, dtype=np.int64)
        self.state[EDGE_TABLE] = self._edges.ctypes.data
        self.state[EDGE_ENTRIES] = edge_entries
        self.state[LAST_BLOCK] = -1
        self.state[PROFILE_ON] = 1

    def profile(self) -> dict:
        """{'blocks': [(start address, executions, cycles)], 'edges': [(from, to, count)],
        'edges_dropped': n} from the native counters."""
        blocks = []
        block_stalls = {}
        for r, (execs, cycles, fetch, mis, ds) in zip(self._regions, getattr(self, "_profile", [])):
            for i in np.flatnonzero(execs):
                a = r.base + 2 * int(i)
                blocks.append((a, int(execs[i]), int(cycles[i])))
                if fetch[i] or mis[i] or ds[i]:
                    block_stalls[a] = (int(fetch[i]), int(mis[i]), int(ds[i]))
        edges = []
        if hasattr(self, "_edges"):
            t = self._edges.reshape(-1, 3)
            for f, to, c in t[t[:, 2] > 0]:
                edges.append((int(f), int(to), int(c)))
        return {"blocks": blocks, "edges": edges, "block_stalls": block_stalls,
                "edges_dropped": int(self.state[EDGE_DROPPED])}

    def dynamic_stats(self) -> dict[str, int]:
        st = self.state
        return {"icache_hits": int(st[IC_HITS]), "icache_misses": int(st[IC_MISSES]),
                "uncached_line_fetches": int(st[UNCACHED_FETCHES]),
                "flash_buffer_hits": int(st[FLASH_BUF_HITS]),
                "sequential_lines_not_refetched": int(st[SEQ_LINES]),
                "stall_icache_cycles": int(st[STALL_ICACHE]),
                "branches_predicted": int(st[BR_PREDICTED]),
                "branches_mispredicted": int(st[BR_MISPREDICTED]),
                "branches_paired_with_next": int(st[BR_PAIRED]),
                "branch_pairing_saved_cycles": int(st[BR_SAVED]),
                "stall_branch_cycles": int(st[STALL_BRANCH]),
                "stall_operand_cycles": int(st[STALL_DEP]),
                "stall_issue_cycles": int(st[STALL_ISSUE])}

    # --- views ---------------------------------------------------------------------------
    def lower_deadline(self, cycle: int) -> None:
        """Stop at ``cycle`` at the latest (an event due earlier than the current deadline)."""
        if cycle < int(self.state[DEADLINE]):
            self.state[DEADLINE] = max(cycle, 0)

    @property
    def sleep_cycles(self) -> int:
        """Cycles the core slept so far (``add_sleep``)."""
        return int(self.state[SLEEP_TOTAL])

    def current_block(self) -> tuple[int, int, int]:
        """(start address, size in bytes, blocks executed so far) of the block executing now."""
        st = self.state
        return int(st[BLOCK_ADDR]), int(st[BLOCK_SIZE]), int(st[BLOCKS])

    @property
    def stack_minimum_block(self) -> int:
        """The block after which the lowest SP so far was seen."""
        return int(self.state[SP_MIN_AT])

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
        self.state[PS_GEN] += 1            # Python ran: a loop recording starts over

    # --- poll-loop skipping ------------------------------------------------------------------
    def enable_poll_skip(self, uc, on: bool = True) -> None:
        """Skip loops that provably repeat until the next event (see _poll_track). Every
        Python hook added through ``uc.hook_add`` afterwards marks that Python ran."""
        from unicorn import arm_const as a
        st = self.state
        if not hasattr(self, "_ps"):
            ids = ([getattr(a, f"UC_ARM_REG_R{i}") for i in range(13)]
                   + [a.UC_ARM_REG_SP, a.UC_ARM_REG_LR, a.UC_ARM_REG_XPSR, a.UC_ARM_REG_FPSCR]
                   + [getattr(a, f"UC_ARM_REG_D{i}") for i in range(16)])
            n = len(ids)
            self._ps = {"seq": np.zeros(4 * PS_MAX, np.int64),
                        "prev": np.zeros(4 * PS_MAX, np.int64),
                        "snap": np.zeros(n, np.int64), "cur": np.zeros(n, np.int64),
                        "ids": np.array(ids, np.int32),
                        "backoff": np.zeros(3 * PS_BK, np.int64),
                        "tmp": np.zeros(2 * STATE_SIZE, np.int64)}
            cur = self._ps["cur"]
            self._ps["vals"] = np.array([cur.ctypes.data + 8 * i for i in range(n)], np.int64)
            lib = _ucmod.uclib
            st[PS_BATCH_FN] = ctypes.cast(lib.uc_reg_read_batch, ctypes.c_void_p).value
            for slot, key in ((PS_SEQ, "seq"), (PS_PREV, "prev"), (PS_SNAP, "snap"),
                              (PS_CUR, "cur"), (PS_IDS, "ids"), (PS_VALS, "vals"),
                              (PS_BACKOFF, "backoff"), (PS_TMP, "tmp")):
                st[slot] = self._ps[key].ctypes.data
            st[PS_NREGS] = n
            st[PS_HEAD] = -1
            _mark_python_hooks(uc, st)
        st[PS_ON] = 1 if on else 0

    def touch(self) -> None:
        """Python changed something the CPU may read: no loop recorded so far may be skipped."""
        self.state[PS_GEN] += 1

    def poll_stats(self) -> dict[str, int]:
        st = self.state
        return {"poll_skips": int(st[PS_SKIPS]), "poll_iterations_skipped": int(st[PS_ITERS]),
                "poll_skip_errors": int(st[PS_ERRORS])}

    def charge_in_block(self, cycles: int) -> None:
        """Cycles spent by the block executing now beyond its precomputed cost (a peripheral
        bus access): counted in time and, when profiling, in that block's cycles."""
        st = self.state
        st[CYCLES] += cycles
        st[BLOCK_EXTRA] += cycles
        if st[PROFILE_ON] and hasattr(self, "_profile"):
            a = int(st[BLOCK_ADDR])
            for r, arrs in zip(self._regions, self._profile):
                if r.base <= a < r.base + r.size:
                    arrs[1][(a - r.base) >> 1] += cycles
                    break

    def add_sleep(self, cycles: int) -> None:
        """The core slept ``cycles`` (time jumped): not part of any function's CPU time."""
        self.state[CYCLES] += cycles
        self.state[SLEEP_TOTAL] += cycles

    def stop_soon(self) -> None:
        """Stop at the start of the next block. The only safe way to stop from a memory or
        MMIO callback: Unicorn's uc_emu_stop there abandons the block with the PC still at
        its start, so the instructions before the access would run twice."""
        self.state[DEADLINE] = 0

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
        st = self.state
        start = int(st[BLOCK_ADDR])
        if start <= pc < start + int(st[BLOCK_SIZE]):
            return (int(st[BLOCK_CYCLES]) + int(st[BLOCK_PRE]) + int(st[BLOCK_EXTRA])
                    + self.cost_between(start, pc)[0])
        return int(st[CYCLES])

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
