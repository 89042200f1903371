"""Instruction boundaries and static per-instruction costs of the firmware's code.

Computed once at load time for every executable byte of the ELF (at run addresses, so code
that startup copies into ITCM is included), then handed to the native block hook as prefix
sums. Which cost each instruction gets is the job of a :class:`CostModel`.
"""

from __future__ import annotations

from dataclasses import dataclass
from collections.abc import Callable, Iterable, Iterator
from typing import Protocol

import numpy as np

from .elf import Firmware
from .native import CodeRegion
from .platform import Platform
from .thumb import is_32bit, is_call, is_return


class CostModel(Protocol):
    name: str

    def static_costs(self, base: int, halfwords: np.ndarray, starts: np.ndarray) -> np.ndarray:
        """Per-halfword static cycle cost (int64): non-zero only where ``starts`` is true."""


@dataclass
class OneCyclePerInstruction:
    """The placeholder model: every instruction costs one cycle."""

    name: str = "1 cycle per instruction"

    def static_costs(self, base: int, halfwords: np.ndarray, starts: np.ndarray) -> np.ndarray:
        return starts.astype(np.int64)


def lowers_sp(halfwords: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """True at instructions that move SP down (PUSH, SUB SP, STMDB SP!, STR [SP,#-n]!, VPUSH)
    (ARMv7-M ARM A7.7): the native hook checks SP after blocks that contain one."""
    h = halfwords
    nxt = np.zeros_like(h)
    nxt[:-1] = h[1:]
    m = ((h & 0xFE00) == 0xB400)                                  # PUSH (T1)
    m |= (h & 0xFF80) == 0xB080                                   # SUB SP, SP, #imm (T1)
    m |= h == 0xE92D                                              # PUSH.W / STMDB SP!
    m |= (h == 0xF84D) & ((nxt & 0x0F00) == 0x0D00)               # STR Rt, [SP, #-imm]!
    m |= ((h & 0xFBEF) == 0xF1AD) & ((nxt & 0x0F00) == 0x0D00)    # SUB.W SP, SP, #imm
    m |= ((h & 0xFBFF) == 0xF2AD) & ((nxt & 0x0F00) == 0x0D00)    # SUBW SP, SP, #imm
    m |= (h & 0xFFEF) == 0xEBAD                                   # SUB.W SP, SP, Rm
    m |= (h & 0xFFBF) == 0xED2D                                   # VPUSH
    return m & starts


def instruction_sites(tables: Iterable[CodeTable],
                      match: Callable[[np.ndarray, np.ndarray], np.ndarray]
                      ) -> Iterator[tuple[CodeTable, int]]:
    """(table, halfword index) of every instruction start where ``match(h, nxt)`` holds,
    ``h`` the halfwords and ``nxt`` the halfword after each (0 past the end): one vectorised
    test per table instead of Python per instruction (the hooks a machine puts on a few
    instruction kinds are found at every start-up)."""
    for t in tables:
        h = t.halfwords
        nxt = np.zeros_like(h)
        nxt[:-1] = h[1:]
        for i in np.flatnonzero(t.starts & match(h, nxt)):
            yield t, int(i)


def impure(halfwords: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """True at instructions that may change anything but registers, or that Python handles:
    stores of every kind (STR*, STM*, PUSH, STREX*, STRD, VSTR, VSTM, VPUSH, coprocessor
    stores), SVC, BKPT, UDF, CPS, MSR, WFI/WFE/SEV and 32-bit hints (ARMv7-M ARM A5, A7.7).
    A loop made only of other instructions changes nothing but registers, so once two of its
    iterations start from the same registers it will repeat until an event changes memory or
    a register value: the native hook may skip it (simulator/native.py, poll skipping).
    Conservative: a few register-only instructions (VMOV to two core registers) count too."""
    h = halfwords
    nxt = np.zeros_like(h)
    nxt[:-1] = h[1:]
    wide = is_32bit(h)
    m16 = ((h & 0xFE00) == 0x5000) | ((h & 0xFE00) == 0x5200)        # STR, STRH (register)
    m16 |= (h & 0xFE00) == 0x5400                                    # STRB (register)
    m16 |= ((h & 0xF800) == 0x6000) | ((h & 0xF800) == 0x7000) | ((h & 0xF800) == 0x8000)  # imm
    m16 |= ((h & 0xF800) == 0x9000) | ((h & 0xF800) == 0xC000)           # STR SP-relative, STM
    m16 |= (h & 0xFE00) == 0xB400                                      # PUSH
    m16 |= ((h & 0xFF00) == 0xDF00) | ((h & 0xFF00) == 0xDE00)           # SVC, UDF
    m16 |= (h & 0xFF00) == 0xBE00                                      # BKPT
    m16 |= (h & 0xFFE8) == 0xB660                                      # CPS
    m16 |= (h == 0xBF20) | (h == 0xBF30) | (h == 0xBF40)             # WFE, WFI, SEV
    m32 = (h & 0xFF10) == 0xF800                                     # STR/STRB/STRH (all)
    m32 |= (h & 0xFE10) == 0xE800                                    # STM, STMDB, SRS
    m32 |= (h & 0xFE50) == 0xE840                                    # STREX*, STRD
    m32 |= (h & 0xEE10) == 0xEC00                                    # VSTR/VSTM/VPUSH, STC
    m32 |= ((h & 0xFFE0) == 0xF380) & ((nxt & 0xD000) == 0x8000)     # MSR
    m32 |= h == 0xF3AF                                               # 32-bit hints
    m32 |= ((h & 0xFFF0) == 0xF7F0) & ((nxt & 0xF000) == 0xA000)     # UDF.W
    return starts & np.where(wide, m32, m16)


def end_kinds(halfwords: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Per halfword index j: 1 when a call ends at j, 2 when a return ends there (the
    predicates of simulator/thumb.py), for the shadow call stack of the profiler."""
    n = len(halfwords)
    out = np.zeros(n + 1, dtype=np.int64)
    h = halfwords
    nxt = np.zeros_like(h)
    nxt[:-1] = h[1:]
    wide = is_32bit(h)
    call = is_call(h, nxt)
    ret = is_return(h, nxt)
    idx = np.flatnonzero(starts)
    for i in idx:
        length = 2 if wide[i] else 1
        if call[i]:
            out[i + length] = 1
        elif ret[i]:
            out[i + length] = 2
    return out


def instruction_starts(halfwords: np.ndarray, code_mask: np.ndarray) -> np.ndarray:
    """Linear sweep over Thumb code: True at each halfword that starts an instruction."""
    n = len(halfwords)
    starts = np.zeros(n, dtype=bool)
    wide = is_32bit(halfwords)
    i = 0
    cm = code_mask
    while i < n:
        if not cm[i]:
            i += 1
            continue
        starts[i] = True
        i += 2 if wide[i] else 1
    return starts


@dataclass
class CodeTable:
    """One contiguous span of code: halfwords, instruction starts, static costs."""

    base: int
    halfwords: np.ndarray
    starts: np.ndarray
    costs: np.ndarray
    kind: str = "tcm"          # fetch path (platform Region.data_kind): tcm|flash|axi|d2|d3
    stall_dep: np.ndarray | None = None     # static stall part: operand / unit waits
    stall_issue: np.ndarray | None = None   # static stall part: issue restrictions
    penalties: np.ndarray | None = None     # per end halfword: mispredict penalty there
    cached: bool = False       # fetched through the I-cache (platform Region.cached)

    def region(self) -> CodeRegion:
        cost_prefix = np.zeros(len(self.costs) + 1, dtype=np.int64)
        np.cumsum(self.costs, out=cost_prefix[1:])
        count_prefix = np.zeros(len(self.costs) + 1, dtype=np.int64)
        np.cumsum(self.starts.astype(np.int64), out=count_prefix[1:])
        sp_prefix = np.zeros(len(self.costs) + 1, dtype=np.int64)
        np.cumsum(lowers_sp(self.halfwords, self.starts).astype(np.int64), out=sp_prefix[1:])
        def prefix(a):
            if a is None:
                return None
            out = np.zeros(len(a) + 1, dtype=np.int64)
            np.cumsum(a, out=out[1:])
            return out
        impure_prefix = prefix(impure(self.halfwords, self.starts).astype(np.int64))
        return CodeRegion(self.base, 2 * len(self.costs), cost_prefix, count_prefix,
                          cacheable=self.cached, kind=self.kind, sp_lower_prefix=sp_prefix,
                          end_kind=end_kinds(self.halfwords, self.starts),
                          dep_prefix=prefix(self.stall_dep), issue_prefix=prefix(self.stall_issue),
                          penalties=self.penalties, impure_prefix=impure_prefix)


def build_code_tables(fw: Firmware, platform: Platform, model: CostModel) -> list[CodeTable]:
    """One table per platform region that holds executable sections of the firmware; cached
    on disk by the ELF's hash, the memory map, the cost model and its source
    (simulator/cache.py)."""
    from . import cache
    if not getattr(fw, "_elf_bytes", b""):
        return _build_code_tables(fw, platform, model)
    regions = tuple((r.name, r.base, r.size, r.kind) for r in platform.regions)
    entry = cache.key(fw.sha256, regions, getattr(model, "name", type(model).__name__),
                      type(model).__module__, type(model).__qualname__,
                      repr(getattr(model, "params", None)),
                      cache.source_hash("code_map.py", "timing"),
                      cache.dist_version("capstone"))
    return cache.cached("code", entry, lambda: _build_code_tables(fw, platform, model))


def _build_code_tables(fw: Firmware, platform: Platform, model: CostModel) -> list[CodeTable]:
    spans: dict[str, list[tuple[int, bytes]]] = {}
    kinds: dict[str, tuple[str, bool]] = {}
    for addr, data in fw.code_ranges():
        region = platform.region_at(addr, len(data))
        key = region.name if region else f"{addr:#x}"
        kinds[key] = (region.data_kind, region.cached) if region else ("axi", True)
        spans.setdefault(key, []).append((addr, data))
    tables = []
    for key, parts in spans.items():
        lo = min(a for a, _ in parts) & ~1
        hi = max(a + len(d) for a, d in parts)
        hi += hi & 1
        buf = bytearray(hi - lo)
        code_mask = np.zeros((hi - lo) // 2, dtype=bool)
        for a, d in parts:
            buf[a - lo:a - lo + len(d)] = d
            for s, e in fw.thumb_ranges(a, a + len(d)):
                code_mask[(s - lo) // 2:(e - lo + 1) // 2] = True
        hws = np.frombuffer(bytes(buf), dtype="<u2").astype(np.int64)
        starts = instruction_starts(hws, code_mask)
        costs = np.asarray(model.static_costs(lo, hws, starts), dtype=np.int64)
        dep = iss = None
        if hasattr(model, "static_stalls"):
            dep, iss = model.static_stalls(lo, hws, starts)
        pen = None
        if hasattr(model, "mispredict_penalties"):
            pen = np.asarray(model.mispredict_penalties(lo, hws, starts), dtype=np.int64)
        tables.append(CodeTable(lo, hws, starts, costs, kinds[key][0], dep, iss, pen,
                                kinds[key][1]))
    return tables
