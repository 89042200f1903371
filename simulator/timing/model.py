"""The static Cortex-M7 cost model (CostModel protocol of simulator/code_map.py)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .decode import FLAGS, Decoder, Insn, reg_name
from .params import M7Params
from .scoreboard import Step, walk


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
                out[an.idx[k] + x.size // 2] = (p.mispredict_early_penalty if early
                                                 else p.mispredict_penalty)
            if any(r == FLAGS for r, _ in x.dsts):
                flags_at = s.issue
        return out

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
        wide = (hw >> 11) >= 0x1D
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
