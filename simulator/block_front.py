"""The block hook's common case in LLVM IR, in front of the numba hook (native._block_hook).

Unicorn calls the block hook at every translated block: 36 M times on benchmarks/speed.py's
kernel. numba's ``cfunc`` puts a C wrapper around the compiled body (~1.6 ns a call, measured
on the memory hooks: simulator/llvm_ir.py) and cannot keep a state slot in a register across
a store through another pointer (the tables are reached through int64 addresses, so every
store may alias every slot): the dynamic accounting reloaded the state around each store.

``h7sim_block_front(uc, address, size, user_data)``, written here by hand, does what
``native._block_hook`` does for the common block, all of it or none of it: no skip, no SP read
pending, the deadline not reached, the poll tracker backing off or idle, no profile or shadow
stack, the block's memo entry filled and in an analysed region, an uncached fetch whose memo
constants are current (or no fetch accounting: TCM, dynamic timing off), an I-cache that is
off, and a D-side estimate that exists (or a measurement window, or the D-cache model off).
Then it counts the block exactly as ``native._account`` does (static cost, operand and issue
stalls, the SP-lowering mark, the uncached fetch in closed form, the branch predictor and
pairing, the D-side estimate or the window's execution count). A block entered by the taken
branch that ends it (a loop of one block: PREV_END is its own end) whose predictor entry is
saturated on it takes a shorter path (``repeated``): the prediction holds and changes nothing,
no sequential continuation is possible, so only the fetch, the pairing and the counters are
left to do (89 % of the blocks of benchmarks/speed.py's kernel). Every other block is passed,
untouched, to ``native._block_hook`` (a tail call), which counts it and takes every decision
(stops, stack reads, memo fills, poll tracking, profiling) as before. The oracle is the
numba hook alone: tests/test_block_front.py runs firmware both ways.

``H7SIM_BLOCK_FRONT=0`` installs ``native._block_hook`` itself.
"""

from __future__ import annotations

import ctypes
import os

from llvmlite import ir

from . import llvm_ir
from . import native_layout as n
from .native import (M_BANK, M_BITS, M_BUSYN, M_COST, M_COUNT, M_DEP, M_FILL, M_INDEX,
                     M_ISSUE, M_KEY, M_OVER, M_OVER_SEQ, M_ROW, MB_END_SHIFT, MB_ENTRY_MASK,
                     MB_REGION_SHIFT, MB_SP_LOWER, MB_START_SHIFT, MEMO_ENTRIES, MEMO_WIDTH)
from .timing.model import (BRANCH_ALONE, BRANCH_ALONE_PAIRED_ENTRY, CREDIT_MASK, CREDIT_SHIFT,
                           PENALTY_MASK)

_FRONT, _WORD, _PASSED = "h7sim_block_front", "h7sim_block_front_word", "h7sim_block_front_passed"
# what the IR is built from (its constants): the cache key of the compiled code
_SOURCES = ("block_front.py", "native.py", "native_layout.py", "timing/model.py", "llvm_ir.py")


def _module() -> ir.Module:
    """``void h7sim_block_front(i8* uc, i64 address, i32 size, i8* user_data)``; ``i64
    h7sim_block_front_word()``: the address of the word holding ``native._block_hook``'s
    address; ``i64 h7sim_block_front_passed()``: the address of the count of blocks passed on
    to it. Branches rather than selects wherever the outcome is usually the same from one
    block to the next (the host predicts them; a select waits for both operands' loads), and
    a store only where a value changes."""
    i64, i32, i8p = ir.IntType(64), ir.IntType(32), ir.IntType(8).as_pointer()
    i64p = i64.as_pointer()
    mod = ir.Module(name="h7sim_block_front")
    hook_word = ir.GlobalVariable(mod, i64, "h7sim_block_hook_address")
    hook_word.linkage = "internal"
    hook_word.initializer = ir.Constant(i64, 0)
    passed = ir.GlobalVariable(mod, i64, "h7sim_block_front_passed_count")
    passed.linkage = "internal"
    passed.initializer = ir.Constant(i64, 0)
    fnty = ir.FunctionType(ir.VoidType(), [i8p, i64, i32, i8p])
    fn = ir.Function(mod, fnty, _FRONT)
    uc, address, size, user = fn.args
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    full = fn.append_basic_block("full")

    def c(v: int) -> ir.Constant:
        return ir.Constant(i64, v)

    st = b.bitcast(user, i64p)

    def at(slot) -> ir.Value:
        return b.gep(st, [slot if isinstance(slot, ir.Value) else c(slot)])

    def ld(slot) -> ir.Value:
        return b.load(at(slot))

    def put(slot, value: ir.Value) -> None:
        b.store(value, at(slot))

    def add(slot, value: ir.Value) -> None:
        put(slot, b.add(ld(slot), value))

    def elem(ptr: ir.Value, index: ir.Value) -> ir.Value:
        return b.gep(ptr, [index])

    def unless(bad: ir.Value) -> None:
        """Pass the block on to the numba hook when ``bad``; go on here otherwise."""
        ok = fn.append_basic_block()
        b.cbranch(bad, full, ok)
        b.position_at_end(ok)

    def choose(cond: ir.Value, then, otherwise) -> ir.Value:
        """``then()`` or ``otherwise()`` (each emits its code and returns an i64) by a branch."""
        with b.if_else(cond) as (yes, no):
            with yes:
                v1, b1 = then(), b.block
            with no:
                v2, b2 = otherwise(), b.block
        phi = b.phi(i64)
        phi.add_incoming(v1, b1)
        phi.add_incoming(v2, b2)
        return phi

    def sgt(x, y): return b.icmp_signed(">", x, y)      # noqa: E704
    def sge(x, y): return b.icmp_signed(">=", x, y)     # noqa: E704
    def slt(x, y): return b.icmp_signed("<", x, y)      # noqa: E704
    def eq(x, y): return b.icmp_signed("==", x, y)      # noqa: E704
    def ne(x, y): return b.icmp_signed("!=", x, y)      # noqa: E704

    # --- native._block_hook's tests, in its order; any other path passes the block on ------
    a = address
    sz = b.zext(size, i64)
    unless(eq(sz, c(0)))                # (Unicorn's invalid-block call: the hook decides)
    unless(sge(ld(n.SKIP_BLOCK), c(0)))
    unless(ne(ld(n.SP_CHECK), c(0)))
    cyc = ld(n.CYCLES)
    unless(sge(cyc, ld(n.DEADLINE)))
    unless(ne(b.or_(ld(n.PROFILE_ON), ld(n.SS_ON)), c(0)))
    mode = ld(n.DC_MODE)
    with b.if_then(ne(ld(n.PS_ON), c(0))):
        quiet = ld(n.PS_QUIET)
        with b.if_else(sgt(quiet, c(0))) as (backing_off, other):
            with backing_off:
                pass                    # (PS_QUIET counts down at the commit below)
            with other:                 # recording nothing, nothing to record
                unless(b.not_(b.and_(slt(ld(n.PS_HEAD), c(0)),
                                     sgt(mode, c(n.DC_ESTIMATE)))))
    memo = b.inttoptr(ld(n.MEMO_TABLE), i64p)
    e = b.mul(b.and_(b.ashr(a, c(1)), c(MEMO_ENTRIES - 1)), c(MEMO_WIDTH))

    def m(field: int) -> ir.Value:
        return b.load(elem(memo, b.add(e, c(field))))

    unless(ne(m(M_KEY), b.or_(b.shl(a, c(16)), sz)))
    o = m(M_ROW)
    unless(slt(o, c(0)))
    dynamic = ne(ld(n.DYNAMIC_ON), c(0))
    fetches = b.and_(dynamic, eq(ld(b.add(o, c(n.R_KIND))), c(n.KIND_CACHEABLE)))
    fill = ld(b.add(o, c(n.R_FILL)))
    icache = ne(ld(n.IC_ENABLED), c(0))
    with b.if_then(b.and_(fetches, b.not_(icache))):
        unless(ne(m(M_FILL), fill))
        unless(slt(m(M_BANK), c(0)))
    i0 = m(M_INDEX)
    estimates = b.or_(eq(mode, c(n.DC_ESTIMATE)), eq(mode, c(n.DC_WARM)))

    def estimate() -> ir.Value:
        est = b.load(elem(b.inttoptr(ld(b.add(o, c(n.R_DSIDE_EST))), i64p), i0))
        unless(slt(est, c(0)))
        return est

    e2 = choose(estimates, estimate, lambda: c(0))

    # --- from here on the block is ours: native._account --------------------------------------
    with b.if_then(ne(ld(n.PS_ON), c(0))):
        quiet = ld(n.PS_QUIET)
        with b.if_then(sgt(quiet, c(0))):
            put(n.PS_QUIET, b.sub(quiet, c(1)))
    put(n.BLOCK_ADDR, a)
    put(n.BLOCK_CYCLES, cyc)
    put(n.BLOCK_SIZE, sz)
    add(n.BLOCKS, c(1))
    bits = m(M_BITS)
    region = b.and_(b.ashr(bits, c(MB_REGION_SHIFT)), c(0xFF))
    cost = m(M_COST)
    add(n.STALL_DEP, m(M_DEP))
    add(n.STALL_ISSUE, m(M_ISSUE))
    with b.if_then(ne(b.and_(bits, c(MB_SP_LOWER)), c(0))):
        with b.if_then(ne(ld(n.SP_LIMIT), c(0))):
            put(n.SP_CHECK, c(1))
            put(n.PREV_BLOCK, a)

    def uncached_fetch(prev: ir.Value, bp: ir.Value, entries: ir.Value) -> ir.Value:
        """native._uncached_fetch (and _fetch_stall's STALL_ICACHE) for a current memo entry
        whose lines are all in one flash bank or not in flash (M_BANK >= 0)."""
        shift = ld(n.IC_LINE_SHIFT)
        first = b.ashr(a, shift)
        last = b.ashr(b.sub(b.add(a, sz), c(1)), shift)

        def shared() -> ir.Value:           # the previous block ended in this line: taken?
            def untaken() -> ir.Value:
                slot = b.shl(b.and_(b.ashr(a, c(1)), b.sub(entries, c(1))), c(1))
                return b.zext(slt(b.load(elem(bp, slot)), c(2)), i64)
            return choose(eq(b.ashr(b.sub(a, c(1)), shift), first), untaken, lambda: c(0))

        cont = choose(eq(a, prev), shared, lambda: c(0))
        is_cont = ne(cont, c(0))
        with b.if_then(is_cont):
            add(n.SEQ_LINES, c(1))
        line = b.add(first, cont)
        busy_n = m(M_BUSYN)

        def lines() -> ir.Value:
            bank = m(M_BANK)

            def flash() -> ir.Value:
                hit = eq(ld(bank), line)

                def buffered() -> ir.Value:
                    add(n.FLASH_BUF_HITS, c(1))
                    return ld(n.FLASH_BUF_HIT)

                f = choose(hit, buffered, lambda: fill)
                with b.if_then(ne(ld(bank), last)):
                    put(bank, last)
                return f

            f = choose(sgt(bank, c(0)), flash, lambda: fill)
            add(n.UNCACHED_FETCHES, b.add(b.sub(last, line), c(1)))

            def sequential() -> ir.Value:
                behind = b.sub(b.sub(f, ld(n.SEQ_PREV_EXEC)), busy_n)
                behind = b.select(sgt(behind, c(0)), behind, c(0))
                return b.add(behind, m(M_OVER_SEQ))

            return choose(is_cont, sequential, lambda: b.add(f, m(M_OVER)))

        stall = choose(b.icmp_signed("<=", line, last), lines, lambda: c(0))
        put(n.SEQ_PREV_EXEC, busy_n)
        add(n.STALL_ICACHE, stall)
        return stall

    def cached_fetch() -> ir.Value:
        """native._fetch_stall with the I-cache on: each line of the block looked up in the
        2-way set (LRU), a miss costs the fill."""
        shift = ld(n.IC_LINE_SHIFT)
        first = b.ashr(a, shift)
        last = b.ashr(b.sub(b.add(a, sz), c(1)), shift)
        sets = ld(n.IC_SETS)
        tags = b.inttoptr(ld(n.IC_TAGS), i64p)
        lru = b.inttoptr(ld(n.IC_LRU), i64p)
        before = b.block
        loop, after = fn.append_basic_block("icache_line"), fn.append_basic_block("icache_end")
        b.branch(loop)
        b.position_at_end(loop)
        line, hits, stall = b.phi(i64), b.phi(i64), b.phi(i64)
        for phi, v in ((line, first), (hits, c(0)), (stall, c(0))):
            phi.add_incoming(v, before)
        s_ = b.and_(line, b.sub(sets, c(1)))
        way0, way1, used = elem(tags, b.shl(s_, c(1))), elem(tags, b.add(b.shl(s_, c(1)), c(1))), \
            elem(lru, s_)

        def set_lru(value: ir.Value) -> None:
            with b.if_then(ne(b.load(used), value)):
                b.store(value, used)

        def in_way0() -> ir.Value:
            set_lru(c(1))
            return c(0)

        def not_way0() -> ir.Value:
            def in_way1() -> ir.Value:
                set_lru(c(0))
                return c(0)

            def miss() -> ir.Value:
                w = b.load(used)
                b.store(line, elem(tags, b.add(b.shl(s_, c(1)), w)))
                b.store(b.sub(c(1), w), used)
                return c(1)

            return choose(eq(b.load(way1), line), in_way1, miss)

        missed = choose(eq(b.load(way0), line), in_way0, not_way0)
        hits2 = b.add(hits, b.sub(c(1), missed))
        stall2 = b.add(stall, b.mul(missed, fill))
        line2 = b.add(line, c(1))
        end = b.block
        for phi, v in ((line, line2), (hits, hits2), (stall, stall2)):
            phi.add_incoming(v, end)
        b.cbranch(b.icmp_signed("<=", line2, last), loop, after)
        b.position_at_end(after)
        n_lines = b.add(b.sub(last, first), c(1))
        with b.if_then(ne(hits2, c(0))):
            add(n.IC_HITS, hits2)
        with b.if_then(ne(hits2, n_lines)):
            add(n.IC_MISSES, b.sub(n_lines, hits2))
        add(n.STALL_ICACHE, stall2)
        return stall2

    def branch(prev: ir.Value, bp: ir.Value, entries: ir.Value) -> ir.Value:
        """native._branch (with _predict, _mispredicted) for a previous block that exists."""
        i = b.shl(b.and_(b.ashr(prev, c(1)), b.sub(entries, c(1))), c(1))
        ctr_at, target_at = elem(bp, i), elem(bp, b.add(i, c(1)))
        ctr = b.load(ctr_at)
        taken = ne(a, prev)

        def went() -> ir.Value:
            target = b.load(target_at)
            with b.if_then(slt(ctr, c(3))):
                b.store(b.add(ctr, c(1)), ctr_at)
            with b.if_then(ne(target, a)):
                b.store(a, target_at)
            return b.zext(b.and_(sge(ctr, c(2)), eq(target, a)), i64)

        def fell() -> ir.Value:
            with b.if_then(sgt(ctr, c(0))):
                b.store(b.sub(ctr, c(1)), ctr_at)
            return b.zext(slt(ctr, c(2)), i64)

        ok = ne(choose(taken, went, fell), c(0))
        flags = ld(n.PREV_FLAGS)
        entered_paired = ld(n.ENTERED_PAIRED)

        def mispredicted() -> ir.Value:
            with b.if_then(ne(entered_paired, c(0))):
                put(n.ENTERED_PAIRED, c(0))
            add(n.BR_MISPREDICTED, c(1))
            own = b.and_(flags, c(PENALTY_MASK))
            penalty = b.select(eq(own, c(0)), ld(n.BP_PENALTY), own)
            add(n.STALL_BRANCH, penalty)
            return penalty

        return choose(ok, lambda: predicted(flags, entered_paired), mispredicted)

    def predicted(flags: ir.Value, entered_paired: ir.Value) -> ir.Value:
        """native._branch for a predicted branch: the pairing with the path's first
        instruction."""
        add(n.BR_PREDICTED, c(1))
        alone = b.select(ne(entered_paired, c(0)), c(BRANCH_ALONE_PAIRED_ENTRY),
                         c(BRANCH_ALONE))

        def pairs() -> ir.Value:
            start_entry = b.and_(b.ashr(bits, c(MB_START_SHIFT)), c(MB_ENTRY_MASK))
            saved = b.and_(b.ashr(start_entry, c(CREDIT_SHIFT)), c(CREDIT_MASK))
            put(n.ENTERED_PAIRED, c(1))
            add(n.BR_PAIRED, c(1))
            add(n.BR_SAVED, saved)
            return b.sub(c(0), saved)

        def alone_not() -> ir.Value:
            with b.if_then(ne(entered_paired, c(0))):
                put(n.ENTERED_PAIRED, c(0))
            return c(0)

        return choose(ne(b.and_(flags, alone), c(0)), pairs, alone_not)

    def repeated_fetch() -> ir.Value:
        """uncached_fetch when the previous block ended at this block's end (so not at its
        start: no sequential continuation, and every line of the block is fetched)."""
        shift = ld(n.IC_LINE_SHIFT)
        first = b.ashr(a, shift)
        last = b.ashr(b.sub(b.add(a, sz), c(1)), shift)
        busy_n = m(M_BUSYN)
        bank = m(M_BANK)

        def flash() -> ir.Value:
            def buffered() -> ir.Value:
                add(n.FLASH_BUF_HITS, c(1))
                return ld(n.FLASH_BUF_HIT)

            f = choose(eq(ld(bank), first), buffered, lambda: fill)
            with b.if_then(ne(ld(bank), last)):
                put(bank, last)
            return f

        f = choose(sgt(bank, c(0)), flash, lambda: fill)
        add(n.UNCACHED_FETCHES, b.add(b.sub(last, first), c(1)))
        stall = b.add(f, m(M_OVER))
        with b.if_then(ne(ld(n.SEQ_PREV_EXEC), busy_n)):
            put(n.SEQ_PREV_EXEC, busy_n)
        add(n.STALL_ICACHE, stall)
        return stall

    def repeated() -> ir.Value:
        """dynamic_costs for a block entered by the taken branch that ended it (a loop of one
        block: PREV_END == its end) whose predictor entry is saturated on it (counter 3,
        target this block): the prediction holds and changes nothing, PREV_END stays."""
        fs = choose(fetches, lambda: choose(icache, cached_fetch, repeated_fetch), lambda: c(0))
        bpc = predicted(ld(n.PREV_FLAGS), ld(n.ENTERED_PAIRED))
        flags = b.and_(b.ashr(bits, c(MB_END_SHIFT)), c(MB_ENTRY_MASK))
        with b.if_then(ne(ld(n.PREV_FLAGS), flags)):
            put(n.PREV_FLAGS, flags)
        return b.add(fs, bpc)

    def dynamic_costs() -> ir.Value:
        prev = ld(n.PREV_END)
        entries = ld(n.BP_ENTRIES)
        bp = b.inttoptr(ld(n.BP_TABLE), i64p)
        fs = choose(fetches, lambda: choose(icache, cached_fetch,
                                            lambda: uncached_fetch(prev, bp, entries)),
                    lambda: c(0))

        def no_previous() -> ir.Value:
            put(n.ENTERED_PAIRED, c(0))
            return c(0)

        bpc = choose(slt(prev, c(0)), no_previous, lambda: branch(prev, bp, entries))
        put(n.PREV_END, b.add(a, sz))
        put(n.PREV_FLAGS, b.and_(b.ashr(bits, c(MB_END_SHIFT)), c(MB_ENTRY_MASK)))
        return b.add(fs, bpc)

    def dynamic_any() -> ir.Value:
        prev = ld(n.PREV_END)
        loop = eq(prev, b.add(a, sz))

        def saturated() -> ir.Value:
            entries = ld(n.BP_ENTRIES)
            bp = b.inttoptr(ld(n.BP_TABLE), i64p)
            i = b.shl(b.and_(b.ashr(prev, c(1)), b.sub(entries, c(1))), c(1))
            hit = b.and_(eq(b.load(elem(bp, i)), c(3)), eq(b.load(elem(bp, b.add(i, c(1)))), a))
            return b.zext(hit, i64)

        same = ne(choose(loop, saturated, lambda: c(0)), c(0))
        return choose(same, repeated, dynamic_costs)

    pre0 = choose(dynamic, dynamic_any, lambda: c(0))

    # --- the D-side: a window's execution count, or the block's estimate -------------------
    put(n.CUR_ROW, o)
    put(n.CUR_INDEX, i0)

    def measured() -> ir.Value:
        execs = elem(b.inttoptr(ld(b.add(o, c(n.R_WINDOW_EXECS))), i64p), i0)
        b.store(b.add(b.load(execs), c(1)), execs)
        return pre0

    def estimated() -> ir.Value:
        def charge() -> ir.Value:
            frac = b.add(ld(n.EST_FRAC), e2)
            put(n.EST_FRAC, b.and_(frac, c((1 << n.EST_SHIFT) - 1)))
            extra = b.ashr(frac, c(n.EST_SHIFT))
            add(n.STALL_DEST, extra)
            return b.add(pre0, extra)

        return choose(ne(e2, c(0)), charge, lambda: pre0)

    pre = choose(eq(mode, c(n.DC_MEASURE)), measured, estimated)
    put(n.BLOCK_PRE, pre)
    put(n.BLOCK_EXTRA, c(0))
    total = b.add(cost, pre)
    put(n.CYCLES, b.add(cyc, total))
    add(b.add(region, c(n.REGION_CYCLES)), total)
    add(n.INSNS, m(M_COUNT))
    b.ret_void()

    # --- everything else: native._block_hook --------------------------------------------
    b.position_at_end(full)
    b.store(b.add(b.load(passed), c(1)), passed)
    hook = b.inttoptr(b.load(hook_word), fnty.as_pointer())
    b.call(hook, fn.args, tail=True)
    b.ret_void()

    for name, var in ((_WORD, hook_word), (_PASSED, passed)):
        where = ir.Function(mod, ir.FunctionType(i64, []), name)
        wb = ir.IRBuilder(where.append_basic_block("entry"))
        wb.ret(wb.ptrtoint(var, i64))
    return mod


_ADDRESS: list[int] = []
_PASSED_AT: list[int] = []


def hook_address(numba_hook: int) -> int:
    """The block hook to install: the IR front of ``numba_hook`` (native._block_hook's address;
    compiled once per process), or ``numba_hook`` itself when llvmlite cannot compile the
    front or ``H7SIM_BLOCK_FRONT=0``."""
    if os.environ.get("H7SIM_BLOCK_FRONT", "1") == "0":
        return numba_hook
    if not _ADDRESS:
        try:
            out = llvm_ir.compile_functions("block_front", _SOURCES, _module,
                                            (_FRONT, _WORD, _PASSED))
        except Exception:  # noqa: BLE001  e.g. an llvmlite without MCJIT
            out = None
        if out is None:
            return numba_hook
        ctypes.c_int64.from_address(llvm_ir.call_i64(out[_WORD])).value = numba_hook
        _PASSED_AT.append(llvm_ir.call_i64(out[_PASSED]))
        _ADDRESS.append(out[_FRONT])
    return _ADDRESS[0]


def passed_on() -> int:
    """Blocks the front passed on to the numba hook in this process so far (0 without it)."""
    return ctypes.c_int64.from_address(_PASSED_AT[0]).value if _PASSED_AT else 0
