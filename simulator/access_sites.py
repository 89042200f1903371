"""Which instruction of a basic block made a memory access, found from the access itself.

Unicorn does not keep the PC up to date inside a translated block, so an MMIO callback knows
the address accessed but not the instruction. It does write the general registers back
before every load and store (TCG syncs globals before an op that may fault), so the
effective address of each load/store of the block can be recomputed from the registers as
they are at the access: the instruction whose address matches, in program order after the
last one found in this execution of the block, is the one. This gives peripherals the cycle
of the access inside the block (NativeCounter.cycle_at) rather than the block's end.

Decoding is capstone's, once per block; the sites of the blocks a run decoded are kept in the
on-disk cache by the ELF's hash (simulator/cache.py, kind ``sites``), so a later run of the
same firmware neither decodes nor imports capstone (~25 ms of start-up).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from unicorn import arm_const as ucarm

NO_REG = -1          # a base or index register whose value cannot be read (PC: a literal)
_CS_TO_UC: dict[int, int] = {}   # capstone register id -> unicorn's, bound by _capstone()


def _capstone() -> Any:
    """capstone's ARM module, imported on the first decode (not with this module)."""
    from capstone import arm as csarm
    if not _CS_TO_UC:
        _CS_TO_UC.update({getattr(csarm, f"ARM_REG_R{i}"): getattr(ucarm, f"UC_ARM_REG_R{i}")
                          for i in range(13)})
        _CS_TO_UC[csarm.ARM_REG_SP] = ucarm.UC_ARM_REG_SP
        _CS_TO_UC[csarm.ARM_REG_LR] = ucarm.UC_ARM_REG_LR
    return csarm

_CONDS = ("eq", "ne", "cs", "cc", "mi", "pl", "vs", "vc", "hi", "ls", "ge", "lt", "gt", "le",
          "hs", "lo")
_LOAD_SIZES = {"ldr": 4, "ldrh": 2, "ldrsh": 2, "ldrb": 1, "ldrsb": 1, "ldrex": 4,
               "ldrexh": 2, "ldrexb": 1, "ldrt": 4, "ldrht": 2, "ldrsht": 2, "ldrbt": 1,
               "ldrsbt": 1, "ldrd": 8, "vldr": 4, "lda": 4, "ldah": 2, "ldab": 1}
_STORE_SIZES = {"str": 4, "strh": 2, "strb": 1, "strex": 4, "strexh": 2, "strexb": 1,
                "strt": 4, "strht": 2, "strbt": 1, "strd": 8, "vstr": 4}
_MULTIPLE = {"ldm": (False, True), "ldmia": (False, True), "ldmdb": (False, False),
             "pop": (False, True), "stm": (True, True), "stmia": (True, True),
             "stmdb": (True, False), "push": (True, False), "vldmia": (False, True),
             "vstmia": (True, True), "vstmdb": (True, False), "vpush": (True, False),
             "vpop": (False, True)}


@dataclass(frozen=True)
class Site:
    """One load or store and how to compute its address range from the registers."""

    pc: int
    write: bool
    nbytes: int          # bytes accessed (all registers of a multiple transfer)
    base: int            # unicorn register id; NO_REG: PC (a literal) or not a core register
    index: int = 0       # unicorn register id of a register offset, 0: none, NO_REG: unreadable
    subtract: bool = False
    shift: int = 0
    disp: int = 0
    post_indexed: bool = False   # the address is the base; the offset updates it afterwards
    descending: bool = False     # STMDB / PUSH: the range ends at the base
    multiple: bool = False       # LDM/STM/PUSH/POP/VLDM/VSTM
    exclusive: bool = False      # LDREX/STREX (unaligned: always a fault)

    def address(self, read_reg) -> int | None:
        """Lowest address accessed, given a function reading a unicorn register."""
        if self.base == NO_REG:
            return None
        ea = read_reg(self.base)
        if self.descending:
            return (ea - self.nbytes) & 0xFFFFFFFF
        if not self.post_indexed:
            if self.index:
                if self.index == NO_REG:
                    return None
                off = read_reg(self.index) << self.shift
                ea += -off if self.subtract else off
            ea += self.disp
        return ea & 0xFFFFFFFF


def _uc_reg(cs_reg: int) -> int:
    return _CS_TO_UC.get(cs_reg, NO_REG)


def decode_site(insn) -> Site | None:
    """The Site of a capstone instruction (detail on), or None if it is no load/store."""
    csarm = _capstone()
    name = insn.mnemonic.split(".")[0]
    if name not in _LOAD_SIZES and name not in _STORE_SIZES and name not in _MULTIPLE \
            and name[-2:] in _CONDS:
        name = name[:-2]
    if name in _MULTIPLE:
        write, ascending = _MULTIPLE[name]
        ops = insn.operands
        if name in ("push", "pop", "vpush", "vpop"):
            base, regs = csarm.ARM_REG_SP, len(ops)
        else:
            base, regs = ops[0].reg, len(ops) - 1
        width = 8 if name.startswith("v") and insn.reg_name(ops[-1].reg).startswith("d") else 4
        return Site(insn.address, write, regs * width, _uc_reg(base), descending=not ascending,
                    multiple=True)
    if name in _LOAD_SIZES or name in _STORE_SIZES:
        write = name in _STORE_SIZES
        nbytes = _STORE_SIZES[name] if write else _LOAD_SIZES[name]
        if name in ("vldr", "vstr") and insn.reg_name(insn.operands[0].reg).startswith("d"):
            nbytes = 8
        mem = [op for op in insn.operands if op.type == csarm.ARM_OP_MEM]
        if not mem:
            return None
        m = mem[0].mem
        shift = m.lshift or (mem[0].shift.value if mem[0].shift.type else 0)
        post = bool(insn.writeback) and mem[0] is not insn.operands[-1]
        subtract = m.scale < 0 or bool(getattr(mem[0], "subtracted", False))
        index = _uc_reg(m.index) if m.index else 0
        return Site(insn.address, write, nbytes, _uc_reg(m.base), index, subtract, shift, m.disp,
                    post, exclusive="ex" in name)
    return None


class AccessLocator:
    """Finds the instruction of the current block that made an MMIO access."""

    def __init__(self, code_tables, cache_key: str | None = None) -> None:
        """``cache_key``: the on-disk cache entry of the firmware's decoded blocks (None:
        decode every block this run)."""
        self.tables = code_tables
        self._md: Any = None
        self._cache_key = cache_key
        stored = None
        if cache_key is not None:
            from . import cache
            stored = cache.load("sites", cache_key)
        self._blocks: dict[tuple[int, int], list[Site]] = \
            dict(stored) if isinstance(stored, dict) else {}
        self._stored = len(self._blocks)
        self._last: tuple[int, int] = (-1, -1)      # (block execution, pc found last)

    def disasm(self, data: bytes, address: int):
        """Capstone instructions (detail on) of ``data`` at ``address``."""
        if self._md is None:
            from capstone import CS_ARCH_ARM, CS_MODE_MCLASS, CS_MODE_THUMB, Cs
            self._md = Cs(CS_ARCH_ARM, CS_MODE_THUMB | CS_MODE_MCLASS)
            self._md.detail = True
        return self._md.disasm(data, address)

    def sites(self, start: int, size: int) -> list[Site]:
        key = (start, size)
        got = self._blocks.get(key)
        if got is None:
            got = []
            data = self._code(start, size)
            if data is not None:
                for insn in self.disasm(data, start):
                    s = decode_site(insn)
                    if s is not None:
                        got.append(s)
            self._blocks[key] = got
        return got

    def save(self) -> None:
        """Store the decoded blocks when this run decoded new ones (see the module doc)."""
        if self._cache_key is not None and len(self._blocks) > self._stored:
            from . import cache
            cache.store("sites", self._cache_key, self._blocks)
            self._stored = len(self._blocks)

    def _code(self, start: int, size: int) -> bytes | None:
        for t in self.tables:
            if t.base <= start and start + size <= t.base + 2 * len(t.halfwords):
                i = (start - t.base) >> 1
                return np.asarray(t.halfwords[i:i + (size + 1) // 2], dtype="<u2").tobytes()[:size]
        return None

    def locate(self, read_reg, start: int, size: int, execution: int, address: int,
               write: bool) -> int | None:
        """PC of the load/store that accessed ``address`` in this ``execution`` of the block
        at ``start``, or None when no instruction of the block can have made it."""
        after = self._last[1] if self._last[0] == execution else -1
        for s in self.sites(start, size):
            if s.pc <= after or s.write != write:
                continue
            lo = s.address(read_reg)
            if lo is not None and lo <= address < lo + s.nbytes:
                self._last = (execution, s.pc)
                return s.pc
        return None
