"""In-order dual-issue scoreboard over a straight-line instruction stream.

Each instruction gets an issue cycle ``t``. The *frontier* is the earliest cycle at which a new
issue group may start (``t + issue cycles`` of the last group's first instruction). The cost of
an instruction is how far it moves the frontier, so the costs of a window sum to the cycles it
takes to issue, a dual-issued second instruction costs 0, and a stall is charged to the
instruction that waits.

The scoreboard is reset (all registers ready, all units free) after every instruction that may
end a basic block (branches, writes to PC, SVC/BKPT/UDF, WFI/WFE) and before every direct
branch target, so the cost of any executed block depends only on the instructions of that block
(path independent, as the native prefix-sum hook requires). Results still in flight at a block
end are therefore not charged to the next block (documented approximation).
"""

from __future__ import annotations

from dataclasses import dataclass

from .decode import (N_REGS, PC, U_BRANCH, U_FP, U_LOAD, U_MAC, U_STORE, FLAGS, IT, Insn,
                     reg_name)
from .params import M7Params

_NEVER_READY = -1000      # "ready since long ago": also satisfies early (EX1) readers
_SHARED = U_STORE | U_MAC | U_FP | U_BRANCH   # units with one instance


@dataclass
class Step:
    """What the scoreboard decided for one instruction (kept only when tracing)."""

    addr: int
    insn: Insn
    issue: int            # issue cycle within the window
    cost: int
    paired: bool
    window_start: bool
    why: str


def _bank(addr: int) -> int:
    return (addr >> 2) & 1


def pair_block_reason(f: Insn, fa: int, x: Insn, xa: int, p: M7Params) -> str:
    """'' if ``x`` may issue together with the older ``f``; else why not."""
    if f.single:
        return f"previous instruction ({f.cls}) is single issue"
    if f.issue != 1:
        return f"previous instruction holds issue for {f.issue} cycles"
    if x.single:
        return f"{x.cls} is single issue"
    if x.slot0:
        return f"{x.cls} may only issue in slot 0 (as the older of a pair)"
    both = f.unit & x.unit
    if both & U_STORE:
        return "two stores never dual issue (one store port)"
    if both & U_MAC:
        return "one MAC unit"
    if both & U_FP:
        return "no dual issue between two FP pipe operations"
    if both & U_BRANCH:
        return "one branch unit"
    if both & U_LOAD:
        if f.mem_index or x.mem_index:
            return "" if p.pair_loads_unknown_bank else \
                "two loads: register-offset address, bank unknown (chosen: do not pair)"
        if f.mem_base == PC and x.mem_base == PC:
            ba = _bank(((fa + 4) & ~3) + f.mem_disp)
            bb = _bank(((xa + 4) & ~3) + x.mem_disp)
            if ba != bb and p.pair_loads_known_other_bank:
                return ""
            return "two literal loads in the same word bank"
        if f.mem_base == x.mem_base and f.mem_base >= 0 and not f.base_written:
            if _bank(f.mem_disp) != _bank(x.mem_disp) and p.pair_loads_known_other_bank:
                return ""
            return "two loads from the same base in the same word bank"
        return "" if p.pair_loads_unknown_bank else \
            "two loads, banks unknown statically (chosen: do not pair)"
    return ""


def may_pair_after_branch(x: Insn) -> bool:
    """Whether ``x`` may issue as the younger instruction of a pair whose older one is a
    branch (the rules of :func:`pair_block_reason` with a branch as the older)."""
    return not (x.single or x.slot0 or x.issue != 1 or x.unit & U_BRANCH)


class _State:
    """Scoreboard state of one window (cycles are relative to the window start)."""

    __slots__ = ("ready", "producer", "frontier", "cur", "first", "first_addr", "store_free",
                 "fpdiv_free", "it_left", "wload", "agu_wb")

    def __init__(self) -> None:
        self.ready = [_NEVER_READY] * N_REGS
        self.producer = [-1] * N_REGS       # trace only: index of the last writer
        self.frontier = 0
        self.cur = -1                       # issue cycle of the open group
        self.first: Insn | None = None      # first instruction of the open group (None: closed)
        self.first_addr = 0
        self.store_free = 0
        self.fpdiv_free = 0
        self.it_left = 0
        self.wload = [False] * N_REGS       # last writer of the register was a word load
        self.agu_wb = [False] * N_REGS      # ... was a load/store base write-back (AGU)


def windows(insns: list[Insn], addrs: list[int], reset_before: list[bool]
            ) -> list[tuple[int, int, bool]]:
    """(first, last, self_loop) index ranges between scoreboard resets; ``self_loop`` when
    the last instruction is a direct branch back to the first (a one-block loop)."""
    out = []
    n = len(insns)
    s = 0
    for i in range(n):
        if i > s and reset_before[i]:
            out.append((s, i - 1))
            s = i
        if insns[i].ends:
            out.append((s, i))
            s = i + 1
    if s < n:
        out.append((s, n - 1))
    res = []
    for s, e in out:
        x = insns[e]
        res.append((s, e, x.target_rel is not None and addrs[e] + x.target_rel == addrs[s]))
    return res


def walk(insns: list[Insn], addrs: list[int], reset_before: list[bool], p: M7Params,
         trace: bool = False, stalls: list | None = None,
         first_with_branch: bool = False) -> tuple[list[int], list[Step] | None]:
    """Costs (one per instruction, in order) and, if ``trace``, the decisions. With
    ``stalls`` (a list of two lists), also the part of each cost that is a stall: waiting for
    an operand or a busy unit (load-use, MAC/FP latencies), and issue restrictions (a
    multi-cycle issue, or a pair the rules forbade). With ``first_with_branch``, every window
    is costed as entered through a predicted branch that issued alone: its first instruction
    issued one cycle early in the branch's free slot (cost 0)."""
    costs = [0] * len(insns)
    steps: list[Step] | None = [] if trace else None
    if stalls is not None:
        stalls[:] = [[0] * len(insns), [0] * len(insns)]
    for s, e, loop in windows(insns, addrs, reset_before):
        st = _State()
        if loop and p.loop_steady_state:
            # A block that branches back to its own start: cost it in steady state, i.e. with
            # the previous iteration of itself in flight (loop-carried latencies).
            _run(insns, addrs, s, e, st, p, None, None, False, None)
            # Keep the registers and units in flight but close the issue group: pairing the
            # branch with the first instruction at its target is the dynamic predictor's job
            # (and would make the charged phase of a period-2 pairing pattern arbitrary).
            st.first = None
        _run(insns, addrs, s, e, st, p, costs, steps, loop and p.loop_steady_state, stalls,
             first_with_branch and may_pair_after_branch(insns[s]))
    return costs, steps


def _run(insns, addrs, s, e, st: _State, p: M7Params, costs, steps, warmed: bool,
         stalls=None, pre_issued: bool = False) -> None:
    trace = steps is not None
    ready = st.ready
    producer = st.producer
    frontier, cur, first, first_addr = st.frontier, st.cur, st.first, st.first_addr
    store_free, fpdiv_free, it_left = st.store_free, st.fpdiv_free, st.it_left
    narrow_iv = p.narrow_store_interval
    wload = st.wload
    agu_wb = st.agu_wb
    wl_pen = p.word_load_early_penalty
    for i in range(s, e + 1):
        x = insns[i]
        a = addrs[i]
        window_start = i == s
        # earliest cycle allowed by operands and busy units
        earliest = 0
        crit = -1
        crit_adv = 0
        operands_at = _NEVER_READY      # when the last operand is ready (no floor at 0)
        for r, adv in x.srcs:
            t = ready[r] - adv
            if wload[r] and r in x.wl_srcs:
                t += wl_pen
            if t > operands_at:
                operands_at = t
            if t > earliest:
                earliest, crit, crit_adv = t, r, adv
        if it_left:
            it_left -= 1
            t = ready[FLAGS] - (p.branch_flag_read_advance if x.unit & U_BRANCH else 0)
            if t > earliest:
                earliest, crit, crit_adv = t, FLAGS, 0
        unit_wait = ""
        if x.unit & U_STORE and store_free > earliest:
            earliest, unit_wait = store_free, "store port busy"
        if x.fpdiv and p.fp_divider_blocking and fpdiv_free > earliest:
            earliest, unit_wait = fpdiv_free, "FP divide/sqrt unit busy"
        # dual issue with the open group?
        why = ""
        paired = False
        block = ""
        if first is not None:
            block = pair_block_reason(first, first_addr, x, a, p)
            if not block and earliest <= cur:
                paired = True
            elif trace:
                if block:
                    why = f"not paired: {block}"
                elif unit_wait and crit < 0:
                    why = f"not paired: {unit_wait}"
                else:
                    why = (f"not paired: {reg_name(crit)} ready at cycle {ready[crit]}"
                           + (f" (read {crit_adv:+d})" if crit_adv else ""))
        # the rules, not an operand, kept it from pairing: an issue-restriction cycle
        lost_pair = bool(block) and earliest <= cur
        paired_with_branch = False
        if pre_issued and window_start and not unit_wait and operands_at <= frontier - 1:
            # issued with the branch that entered the window, in its younger slot
            t = frontier - 1
            cost = 0
            first = None
            paired_with_branch = True
            if trace:
                why = "dual issued with the predicted branch into this block"
        elif paired:
            t = cur
            cost = 0
            first = None
            if trace:
                why = "dual issued with the previous instruction"
        else:
            t = frontier if frontier > earliest else earliest
            cost = t + x.issue - frontier
            if trace and t > frontier:
                if unit_wait and (crit < 0 or ready[crit] - crit_adv < earliest):
                    why += f"; stalled {t - frontier}: {unit_wait}"
                else:
                    src = producer[crit]
                    by = f" written by {insns[src].text!r} at {addrs[src]:#x}" if src >= 0 else ""
                    why += (f"; stalled {t - frontier}: {reg_name(crit)} ready at cycle "
                            f"{ready[crit]}{by}" + (f", read {crit_adv:+d}" if crit_adv else ""))
            frontier = t + x.issue
            cur = t
            first, first_addr = x, a
        if costs is not None:
            costs[i] = cost
        if stalls is not None and not paired:
            stalls[0][i] = cost - x.issue               # waited for operands or a unit
            stalls[1][i] = (x.issue - 1) + (1 if lost_pair else 0)
        # [HW] early ALU: a simple add/sub/mov issued as the older of its group, with its
        # operands ready a cycle early, has its register result a cycle early: for a late-ALU
        # reader in its own cycle (the younger of the pair) and an early reader (address,
        # shifted operand) the next cycle. Flags still come from the late ALU.
        # (an AGU write-back "can't be used by add, sub and non shifting mov in early ALU
        # next cycle": such a source must be ready one cycle earlier still)
        early = (x.early and not paired and not paired_with_branch
                 and all(ready[r] + (1 if agu_wb[r] else 0) <= t - 1 for r, _ in x.srcs))
        for r, lat in x.dsts:
            ready[r] = t + lat - (1 if early and r != FLAGS else 0)
            producer[r] = i
            wload[r] = x.word_load and not (x.base_written and r == x.mem_base)
            agu_wb[r] = x.base_written and r == x.mem_base
        if x.unit & U_STORE:
            busy = narrow_iv if x.narrow_store else x.issue
            store_free = t + busy
        if x.fpdiv:
            fpdiv_free = t + x.fpdiv
        if x.cls == IT:
            it_left = x.it_len
        if trace:
            if window_start and warmed:
                why = (why + "; " if why else "") + "(loop body costed in steady state)"
            steps.append(Step(a, x, t, cost, paired, window_start, why.lstrip("; ")))
    st.frontier, st.cur, st.first, st.first_addr = frontier, cur, first, first_addr
    st.store_free, st.fpdiv_free, st.it_left = store_free, fpdiv_free, it_left
