"""The static Cortex-M7 cost model (CostModel protocol of simulator/code_map.py)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .decode import FLAGS, Decoder, Insn, reg_name
from .params import M7Params
from ..thumb import is_32bit
from .scoreboard import Step, walk


def alone(s: Step) -> bool:
    """The instruction issued in a cycle of its own, its younger slot free (single-issue and
    multi-cycle instructions hold both)."""
    return not s.paired and s.cost == 1 and s.insn.issue == 1 and not s.insn.single

# The per-halfword penalty table the native hook reads (code_map.CodeTable.penalties): the
# low byte is the mispredict penalty of the branch ending at that halfword; two flag bits say
# whether that branch issued alone (its younger issue slot free) and whether the instruction
# starting there may issue as the younger of a pair with a branch (taken-branch pairing).
PENALTY_MASK = 0xFF
BRANCH_ALONE = 1 << 8                # the branch ending here issued alone (block entered
                                     # normally)
BRANCH_ALONE_PAIRED_ENTRY = 1 << 9   # ... when its block was entered with its first
                                     # instruction paired with the entering branch
CREDIT_SHIFT = 12                    # bits 12..15 at a block start: cycles saved when its
CREDIT_MASK = 0xF                    # first instruction pairs with the entering branch


@dataclass
class _Analysis:
    idx: np.ndarray            # halfword index of each instruction start
    insns: list[Insn]
    addrs: list[int]
    reset_before: list[bool]


@dataclass
class CortexM7CostModel:
    """Per-instruction issue costs from an in-order dual-issue scoreboard.

    Static only: caches, flash wait states, bus latencies and the branch predictor are
    dynamic and belong to the native hook (see docs/timing-model.md).
    """

    params: M7Params = field(default_factory=M7Params)
    name: str = "cortex-m7 static v1"

    def __post_init__(self) -> None:
        self._decoder = Decoder(self.params)

    # --- CostModel protocol -------------------------------------------------------------
    def static_costs(self, base: int, halfwords: np.ndarray, starts: np.ndarray) -> np.ndarray:
        """One scoreboard walk gives the costs, and for static_stalls and
        mispredict_penalties (kept for them, by region) the stall parts and the penalties."""
        an = self._analyse(base, halfwords, starts)
        stalls: list = []
        costs, steps = walk(an.insns, an.addrs, an.reset_before, self.params, trace=True,
                            stalls=stalls)
        out = np.zeros(len(halfwords), dtype=np.int64)
        out[an.idx] = np.asarray(costs, dtype=np.int64)
        dep = np.zeros(len(halfwords), dtype=np.int64)
        iss = np.zeros(len(halfwords), dtype=np.int64)
        dep[an.idx] = np.asarray(stalls[0], dtype=np.int64)
        iss[an.idx] = np.asarray(stalls[1], dtype=np.int64)
        key = (base, len(halfwords))
        self._stalls = getattr(self, "_stalls", {})
        self._stalls[key] = (dep, iss)
        self._penalties = getattr(self, "_penalties", {})
        self._penalties[key] = self._mispredict_penalties(an, steps, len(halfwords))
        if self.params.branch_pairs_with_next:
            self._branch_pairing(an, costs, steps, self._penalties[key])
        return out

    def static_stalls(self, base: int, halfwords: np.ndarray,
                      starts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per halfword, the stall part of each instruction's static cost: (operand/unit
        waits such as load-use and MAC/FP latencies, issue restrictions)."""
        key = (base, len(halfwords))
        if key not in getattr(self, "_stalls", {}):
            self.static_costs(base, halfwords, starts)
        return self._stalls[key]

    def mispredict_penalties(self, base: int, halfwords: np.ndarray,
                             starts: np.ndarray) -> np.ndarray:
        """Per halfword index j (0..n): the mispredict penalty of the instruction that ends
        at j, when it ends a block. [HW] 8 cycles, 6 when the flags a conditional branch
        reads were set at least ``early_flags_cycles`` before it issues (the branch resolves
        early). Flags set in an earlier block, CBZ/CBNZ and indirect branches: 8 (chosen,
        the measured common case)."""
        key = (base, len(halfwords))
        if key not in getattr(self, "_penalties", {}):
            self.static_costs(base, halfwords, starts)
        return self._penalties[key]

    def _mispredict_penalties(self, an: _Analysis, steps: list[Step], n: int) -> np.ndarray:
        p = self.params
        out = np.zeros(n + 1, dtype=np.int64)
        flags_at: int | None = None
        for k, s in enumerate(steps):
            if s.window_start:
                flags_at = None
            x = s.insn
            if x.ends:
                early = (any(r == FLAGS for r, _ in x.srcs) and flags_at is not None
                         and s.issue - flags_at >= p.early_flags_cycles)
                j = an.idx[k] + x.size // 2
                out[j] = (out[j] & ~PENALTY_MASK) | (p.mispredict_early_penalty if early
                                                     else p.mispredict_penalty)
            if any(r == FLAGS for r, _ in x.dsts):
                flags_at = s.issue
        return out

    def _branch_pairing(self, an: _Analysis, costs: list[int], steps: list[Step],
                        out: np.ndarray) -> None:
        """[HW] a correctly predicted branch that issued alone dual issues with the first
        instruction of the path it predicted (taken: at its target; not taken: the next
        one). Per block start, the cycles that saves (the block costed both ways, so the
        pairings inside it shift as they do on silicon); per block-ending branch, whether
        it issued alone in either case. The native hook applies them per executed edge."""
        p = self.params
        costs2, steps2 = walk(an.insns, an.addrs, an.reset_before, p, trace=True,
                              first_with_branch=True)
        start = 0
        for k, (s1, s2) in enumerate(zip(steps, steps2)):
            if s1.window_start:
                start = k
            x = s1.insn
            if not x.ends:
                continue
            j = an.idx[k] + x.size // 2
            if alone(s1):
                out[j] |= BRANCH_ALONE
            if alone(s2):
                out[j] |= BRANCH_ALONE_PAIRED_ENTRY
            if steps2[start].why.startswith("dual issued with the predicted branch"):
                saved = sum(costs[start:k + 1]) - sum(costs2[start:k + 1])
                if saved > 0:
                    out[an.idx[start]] |= min(saved, CREDIT_MASK) << CREDIT_SHIFT

    # --- debugging ----------------------------------------------------------------------
    def explain(self, base: int, halfwords: np.ndarray, starts: np.ndarray, addr: int) -> str:
        """Why the instruction at ``addr`` costs what it costs: its class, latencies, the
        window it is scheduled in (from the last scoreboard reset) and the pairing/stall
        decision."""
        an = self._analyse(base, halfwords, starts)
        _, steps = walk(an.insns, an.addrs, an.reset_before, self.params, trace=True)
        try:
            k = an.addrs.index(addr)
        except ValueError:
            return f"{addr:#x}: not an instruction start of this region"
        s0 = k
        while s0 > 0 and not steps[s0].window_start:
            s0 -= 1
        lines = [f"window from {steps[s0].addr:#x} (scoreboard reset there)"]
        for s in steps[s0:k + 1]:
            lines.append(_fmt_step(s, mark=s.addr == addr))
        s = steps[k]
        x = s.insn
        lines.append("")
        lines.append(f"{addr:#010x}  {_text(x, addr)}")
        lines.append(f"  class {x.cls}; issue cycle {s.issue}; cost {s.cost}")
        if x.dsts:
            lines.append("  writes " + ", ".join(f"{reg_name(r)} (latency {lat})"
                                                 for r, lat in x.dsts))
        if x.srcs:
            lines.append("  reads " + ", ".join(
                f"{reg_name(r)}" + (f" (advance {adv:+d})" if adv else "") for r, adv in x.srcs))
        flags = [n for n, v in (("single issue", x.single), ("slot 0 only", x.slot0),
                                ("ends the window", x.ends)) if v]
        if x.issue != 1:
            flags.append(f"holds issue {x.issue} cycles")
        if x.fpdiv:
            flags.append(f"iterative FP divide/sqrt, {x.fpdiv} cycles")
        if flags:
            lines.append("  " + ", ".join(flags))
        lines.append("  " + (s.why or "issued at the frontier (no stall, no pairing partner)"))
        return "\n".join(lines)

    def classify(self, base: int, halfwords: np.ndarray, starts: np.ndarray) -> list[Insn]:
        return self._analyse(base, halfwords, starts).insns

    # --- internals ----------------------------------------------------------------------
    def _analyse(self, base: int, halfwords: np.ndarray, starts: np.ndarray) -> _Analysis:
        hw = np.asarray(halfwords, dtype=np.int64) & 0xFFFF
        idx = np.flatnonzero(np.asarray(starts, dtype=bool))
        wide = is_32bit(hw)
        nxt = np.zeros_like(hw)
        nxt[:-1] = hw[1:]
        keys = np.where(wide, hw | (nxt << 16), hw)[idx]
        sizes = np.where(wide, 4, 2)[idx]
        get = self._decoder.get
        insns = [get(k, s) for k, s in zip(keys.tolist(), sizes.tolist())]
        addrs = (base + 2 * idx).tolist()
        pos = {a: j for j, a in enumerate(addrs)}
        reset_before = [False] * len(insns)
        for j, x in enumerate(insns):
            if x.target_rel is not None:
                t = pos.get(addrs[j] + x.target_rel)
                if t is not None:
                    reset_before[t] = True
        return _Analysis(idx, insns, addrs, reset_before)


def _text(x: Insn, addr: int) -> str:
    """Disassembly with direct branch targets made absolute (insns are decoded at 0)."""
    if x.target_rel is not None and "#" in x.text:
        return x.text[:x.text.rindex("#")] + f"{(addr + x.target_rel) & 0xFFFFFFFF:#x}"
    return x.text


def _fmt_step(s: Step, mark: bool = False) -> str:
    tag = ">" if mark else " "
    return (f"{tag} {s.addr:#010x}  {_text(s.insn, s.addr):<32s} {s.insn.cls:<12s} t={s.issue:<3d} "
            f"cost={s.cost}  {s.why}")
