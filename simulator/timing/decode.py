"""Load-time classification of Thumb-2 instructions for the Cortex-M7 cost model.

Every distinct encoding is decoded once with capstone (detail on) into an :class:`Insn`:
its class, the registers it reads (with the pipeline point where it reads them) and writes
(with the result latency), the issue constraints (single issue, slot 0 only, issue cycles,
which execution unit it needs) and whether it may end a basic block. The scoreboard
(:mod:`.scoreboard`) only looks at these records.

Register numbering: 0-12 r0-r12, 13 sp, 14 lr, 15 pc, 16-47 s0-s31 (d<n> = s<2n>, s<2n+1>),
48 the APSR flags, 49 the FPSCR flags.
"""

from __future__ import annotations

from typing import Any

from .params import M7Params

SP, LR, PC = 13, 14, 15
FLAGS, FPFLAGS = 48, 49
N_REGS = 50

_CORE = {f"r{i}": i for i in range(13)}
_CORE.update(sb=9, sl=10, fp=11, ip=12, sp=SP, lr=LR, pc=PC)


def reg_indices(name: str) -> tuple[int, ...]:
    """Scoreboard indices of a capstone register name ('' for ones we do not track)."""
    if name in _CORE:
        return (_CORE[name],)
    if name[0] == "s" and name[1:].isdigit():
        return (16 + int(name[1:]),)
    if name[0] == "d" and name[1:].isdigit():
        n = int(name[1:])
        return (16 + 2 * n, 17 + 2 * n) if n < 16 else ()
    if name in ("cpsr", "apsr", "apsr_nzcv", "apsr_nzcvq", "apsr_g", "apsr_nzcvqg"):
        return (FLAGS,)
    if name in ("fpscr", "fpscr_nzcv"):
        return (FPFLAGS,)
    return ()


# ---- class names (also what explain() prints) ---------------------------------------------
ALU, ALU_SHIFT, MUL, MAC, DSP, DIV = "alu", "alu+shift", "mul", "mac", "dsp(slot0)", "div"
LOAD, LOAD_NARROW, STORE, STORE_NARROW = "load", "load.narrow", "store", "store.narrow"
LDM, STM, LDRD, STRD, TB = "ldm", "stm", "ldrd", "strd", "tbb/tbh"
BRANCH, IT, SYS, BARRIER, HINT, WFI, TRAP = ("branch", "it", "sys", "barrier", "hint", "wfi",
                                             "svc/bkpt/udf")
EXCL_LOAD, EXCL_STORE = "ldrex", "strex"
FP, FP_FMA, FP_MLA, FP_DIV, FP_SQRT, FP_CMP = ("fp", "fp.fma", "fp.mla", "fp.div", "fp.sqrt",
                                               "fp.cmp")
DP, DP_MUL, DP_FMA, DP_DIV, DP_SQRT = "dp", "dp.mul", "dp.fma", "dp.div", "dp.sqrt"
FP_MOV, VMOV_CORE, VMRS, FP_LOAD, FP_STORE, FP_LDM, FP_STM = (
    "fp.mov", "vmov.core", "vmrs/vmsr", "vldr", "vstr", "vldm", "vstm")
UNKNOWN = "unknown"

# units (structural hazards between the two instructions of a pair)
U_LOAD, U_STORE, U_MAC, U_FP, U_BRANCH = 1, 2, 4, 8, 16

_MUL = {"mul", "smull", "umull", "smulbb", "smulbt", "smultb", "smultt", "smulwb", "smulwt",
        "smmul", "smmulr"}
_MAC = {"mla", "mls", "smlal", "umlal", "umaal", "smlabb", "smlabt", "smlatb", "smlatt",
        "smlawb", "smlawt", "smlalbb", "smlalbt", "smlaltb", "smlaltt", "smmla", "smmlar",
        "smmls", "smmlsr"}
_DSP_MAC = {"smlad", "smladx", "smlsd", "smlsdx", "smuad", "smuadx", "smusd", "smusdx",
            "smlald", "smlaldx", "smlsld", "smlsldx"}
_DSP2 = {"qadd", "qsub", "qdadd", "qdsub", "qadd16", "qadd8", "qsub16", "qsub8", "qasx",
         "qsax", "uqadd16", "uqadd8", "uqsub16", "uqsub8", "uqasx", "uqsax", "usad8", "usada8",
         "ssat", "usat", "ssat16", "usat16"}
_DSP1 = {"sadd16", "sadd8", "ssub16", "ssub8", "sasx", "ssax", "uadd16", "uadd8", "usub16",
         "usub8", "uasx", "usax", "shadd16", "shadd8", "shsub16", "shsub8", "shasx", "shsax",
         "uhadd16", "uhadd8", "uhsub16", "uhsub8", "uhasx", "uhsax", "sel", "sxtb", "sxth",
         "uxtb", "uxth", "sxtb16", "uxtb16", "sxtab", "sxtah", "uxtab", "uxtah", "sxtab16",
         "uxtab16", "rbit", "rev", "rev16", "revsh", "sbfx", "ubfx", "pkhbt", "pkhtb", "clz",
         "bfi", "bfc"}
_EARLY_ALL = {"sbfx", "ubfx", "rbit", "rev", "rev16", "revsh"}       # [HW] jnk0le
_EARLY_LAST = {"bfi", "pkhbt", "pkhtb", "sxtab", "sxtah", "uxtab", "uxtah", "sxtab16",
               "uxtab16"}                                             # [HW] jnk0le
_EARLY_ALU = {"add", "sub", "mov", "movw"}   # [HW] jnk0le: execute in early ALU (below)
_LOAD_W = {"ldr", "ldrt", "pld", "pli", "pldw"}
_LOAD_N = {"ldrb", "ldrh", "ldrsb", "ldrsh", "ldrbt", "ldrht", "ldrsbt", "ldrsht"}
_STORE_W = {"str", "strt"}
_STORE_N = {"strb", "strh", "strbt", "strht"}
_LDM = {"ldm", "ldmdb", "ldmia", "pop"}
_STM = {"stm", "stmdb", "stmia", "push"}
_BRANCH = {"b", "bl", "bx", "blx", "cbz", "cbnz"}
_SYS = {"mrs", "msr", "cps", "clrex"}
_BARRIER = {"dmb", "dsb", "isb"}
_TRAP = {"svc", "bkpt", "udf"}
_FP_MAC = {"vfma", "vfms", "vfnma", "vfnms"}
_FP_MLA = {"vmla", "vmls", "vnmla", "vnmls"}
_FP_LDM = {"vldmia", "vldmdb", "vpop"}
_FP_STM = {"vstmia", "vstmdb", "vpush"}

_RD, _WR = 1, 2        # capstone operand access bits
# capstone is imported by the first decode, not with this module: a run whose code tables
# come from the on-disk cache (simulator/code_map.py) decodes nothing (~25 ms of imports)
A: Any = None                               # capstone.arm, bound by _capstone()
_IMM_SHIFTS: frozenset[int] = frozenset()   # shifts by an immediate, bound by _capstone()


def _capstone() -> Any:
    """A Thumb/M-class capstone disassembler with operand details; binds ``A`` and
    ``_IMM_SHIFTS`` on the first call."""
    global A, _IMM_SHIFTS
    from capstone import CS_ARCH_ARM, CS_MODE_MCLASS, CS_MODE_THUMB, Cs
    from capstone import arm
    A = arm
    _IMM_SHIFTS = frozenset({arm.ARM_SFT_ASR, arm.ARM_SFT_LSL, arm.ARM_SFT_LSR, arm.ARM_SFT_ROR,
                             arm.ARM_SFT_RRX})
    md = Cs(CS_ARCH_ARM, CS_MODE_THUMB | CS_MODE_MCLASS)
    md.detail = True
    return md


class Insn:
    """Timing-relevant facts of one instruction encoding (address independent)."""

    __slots__ = ("size", "text", "cls", "dsts", "srcs", "single", "slot0", "issue", "unit",
                 "mem_base", "mem_disp", "mem_index", "narrow_store", "fpdiv", "ends",
                 "target_rel", "it_len", "sets_flags", "base_written", "pair_note",
                 "word_load", "wl_srcs", "early")

    def __init__(self, size: int, text: str, cls: str) -> None:
        self.size = size
        self.text = text
        self.cls = cls
        self.dsts: tuple[tuple[int, int], ...] = ()      # (register, latency)
        self.srcs: tuple[tuple[int, int], ...] = ()      # (register, read advance)
        self.single = False        # never dual issued
        self.slot0 = False         # may only be the older instruction of a pair
        self.issue = 1             # cycles the instruction holds the issue stage
        self.unit = 0              # U_* bits
        self.mem_base = -1         # base register of a single load (bank rule), PC for literal
        self.mem_disp = 0
        self.mem_index = False     # register offset: bank unknown
        self.narrow_store = False
        self.fpdiv = 0             # latency of a VDIV/VSQRT (iterative unit), else 0
        self.ends = False          # may end a basic block (branch, writes PC, trap, WFI)
        self.target_rel: int | None = None   # direct branch target minus instruction address
        self.it_len = 0            # IT: instructions in the block
        self.sets_flags = False
        self.base_written = False
        self.pair_note = ""
        self.word_load = False     # its register results come from a word load (LDR/LDRD/LDM)
        self.wl_srcs: tuple[int, ...] = ()   # sources that wait one more cycle when a word
                                             # load produced them (word_load_early_penalty)
        self.early = False         # may execute in the early ALU (simple add/sub/mov/movw)


def _simple_constant(imm: int, size: int, mnem: str) -> bool:
    """[HW] jnk0le: add/sub/mov reach the early ALU with "simple and constructed constants
    (not shifted ones)": an 8-bit value, the 12-bit ADDW/SUBW/16-bit MOVW immediates, or a
    repeated-byte pattern 0x00XY00XY / 0xXY00XY00 / 0xXYXYXYXY."""
    v = imm & 0xFFFFFFFF
    if v <= 0xFF or (size == 4 and mnem.rstrip(".w").endswith("w") and v <= 0xFFFF):
        return True
    b = v & 0xFF
    return v in (b | b << 16, (b | b << 16) << 8, b * 0x01010101) or \
        (v >> 8 & 0xFF) * 0x01000100 == v


def _is_d(name: str) -> bool:
    return name[0] == "d" and name[1:].isdigit()


def _is_s(name: str) -> bool:
    return name[0] == "s" and name[1:].isdigit()


class Decoder:
    def __init__(self, params: M7Params) -> None:
        self.p = params
        self._md: Any = None
        self.cache: dict[int, Insn] = {}

    @property
    def md(self) -> Any:
        if self._md is None:
            self._md = _capstone()
        return self._md

    def get(self, key: int, size: int) -> Insn:
        """Insn for the encoding ``key`` (first halfword in the low 16 bits)."""
        ins = self.cache.get(key)
        if ins is None:
            ins = self.cache[key] = self._decode(key, size)
        return ins

    # ---------------------------------------------------------------------------------------
    def _decode(self, key: int, size: int) -> Insn:
        code = key.to_bytes(4, "little")[:size]
        got = next(self.md.disasm(code, 0, 1), None)
        if got is None or got.size != size:
            ins = Insn(size, f".inst {key:#x}", UNKNOWN)
            ins.single = True
            return ins
        try:
            return self._classify(got, size)
        except Exception:  # noqa: BLE001 - capstone detail quirks: never fail the load
            ins = Insn(size, f"{got.mnemonic} {got.op_str}", UNKNOWN)
            ins.single = True
            return ins

    def _classify(self, c, size: int) -> Insn:
        p = self.p
        name = c.insn_name()
        mnem = c.mnemonic
        text = f"{mnem} {c.op_str}".strip()
        rn = c.reg_name
        ops = c.operands
        rd_names, wr_names = c.regs_access()
        rd_names = [rn(r) for r in rd_names]
        wr_names = [rn(r) for r in wr_names]
        writes_pc = "pc" in wr_names
        reg_ops = [(rn(o.reg), o.access, o.shift.type) for o in ops if o.type == A.ARM_OP_REG]
        mem_op = next((o for o in ops if o.type == A.ARM_OP_MEM), None)
        mem = mem_op.mem if mem_op is not None else None
        cond = c.cc not in (A.ARM_CC_AL, A.ARM_CC_INVALID)
        names = set(rd_names) | set(wr_names) | {r for r, _, _ in reg_ops}
        has_d = any(_is_d(n) for n in names)
        has_fp = has_d or any(_is_s(n) for n in names)
        has_core = any(n in _CORE and n != "pc" for n in names)

        srcs: dict[int, int] = {}     # reg -> advance (the most demanding read wins)
        dsts: dict[int, int] = {}     # reg -> latency

        def read(name_: str, adv: int = 0) -> None:
            for r in reg_indices(name_):
                if r == PC:
                    continue
                srcs[r] = min(srcs.get(r, adv), adv)

        def write(name_: str, lat: int) -> None:
            for r in reg_indices(name_):
                if r == PC:
                    continue
                dsts[r] = max(dsts.get(r, lat), lat)

        # ---- class ------------------------------------------------------------------------
        cls = ALU
        if name in _BRANCH:
            cls = BRANCH
        elif name in ("tbb", "tbh"):
            cls = TB
        elif name == "it":
            cls = IT
        elif name == "hint":
            cls = WFI if mnem in ("wfi", "wfe") else HINT
        elif name in _TRAP:
            cls = TRAP
        elif name in _BARRIER:
            cls = BARRIER
        elif name in _SYS or name == "cpsie" or name == "cpsid":
            cls = SYS
        elif name in ("sdiv", "udiv"):
            cls = DIV
        elif name in _MUL:
            cls = MUL
        elif name in _MAC:
            cls = MAC
        elif name in _DSP_MAC:
            cls = MAC
        elif name in _DSP1 or name in _DSP2:
            cls = DSP
        elif name in ("ldrex", "ldrexb", "ldrexh"):
            cls = EXCL_LOAD
        elif name in ("strex", "strexb", "strexh"):
            cls = EXCL_STORE
        elif name in _LOAD_W:
            cls = LOAD
        elif name in _LOAD_N:
            cls = LOAD_NARROW
        elif name in _STORE_W:
            cls = STORE
        elif name in _STORE_N:
            cls = STORE_NARROW
        elif name in _LDM:
            cls = LDM
        elif name in _STM:
            cls = STM
        elif name == "ldrd":
            cls = LDRD
        elif name == "strd":
            cls = STRD
        elif name in _FP_LDM:
            cls = FP_LDM
        elif name in _FP_STM:
            cls = FP_STM
        elif name == "vldr":
            cls = FP_LOAD
        elif name == "vstr":
            cls = FP_STORE
        elif name in ("vmrs", "vmsr", "fmstat"):
            cls = VMRS
        elif (name == "vmov" or name.startswith("fm")) and has_core:
            cls = VMOV_CORE     # core <-> FP register (fmdhr/fmdlr are VMOV.32 Dd[x], Rt)
        elif name in ("vmov", "fconsts", "fconstd", "fconsth"):
            cls = FP_MOV
        elif name in ("vcmp", "vcmpe"):
            cls = FP_CMP
        elif name in _FP_MAC:
            cls = DP_FMA if has_d else FP_FMA
        elif name in _FP_MLA:
            cls = DP_FMA if has_d else FP_MLA
        elif name == "vdiv":
            cls = DP_DIV if has_d else FP_DIV
        elif name == "vsqrt":
            cls = DP_SQRT if has_d else FP_SQRT
        elif name in ("vmul", "vnmul"):
            cls = DP_MUL if has_d else FP
        elif name.startswith("v") and has_fp:
            cls = DP if has_d else FP
        elif any(s in _IMM_SHIFTS for _, _, s in reg_ops):
            cls = ALU_SHIFT

        ins = Insn(size, text, cls)

        # ---- generic register reads / writes ----------------------------------------------
        if cls in (LDM, STM, FP_LDM, FP_STM):
            self._multiple(ins, c, name, reg_ops, read, write)
        else:
            for k, (n_, acc, sh) in enumerate(reg_ops):
                if acc & _RD or (acc == 0 and k > 0):   # capstone leaves some access unset
                    read(n_, p.shift_read_advance if sh in _IMM_SHIFTS and cls in (
                        ALU_SHIFT, DSP) else 0)
                if acc & _WR:
                    write(n_, p.alu_latency)
            for n_ in rd_names:
                if n_ not in ("cpsr",):
                    read(n_, 0)
            for n_ in wr_names:
                if n_ not in ("cpsr", "itstate"):
                    write(n_, p.alu_latency)
        if mem is not None:
            if mem.base:
                read(rn(mem.base), p.addr_read_advance)
            if mem.index:
                read(rn(mem.index), p.addr_read_advance)
                ins.mem_index = True
            ins.mem_base = reg_indices(rn(mem.base))[0] if mem.base else -1
            ins.mem_disp = -mem.disp if getattr(mem_op, "subtracted", False) else mem.disp
            if c.writeback and mem.base:
                ins.base_written = True

        # flags
        if c.update_flags or "cpsr" in wr_names:
            ins.sets_flags = True
        if cond or "cpsr" in rd_names:
            srcs[FLAGS] = 0

        # ---- per class latencies, reads and issue constraints ------------------------------
        def dst_lat(lat: int) -> None:
            for r in list(dsts):
                dsts[r] = lat

        base = ins.mem_base
        if cls in (ALU, ALU_SHIFT):
            if ins.sets_flags and cls == ALU_SHIFT and name in ("cmp", "cmn", "tst", "teq"):
                dsts[FLAGS] = p.cmp_shift_flags_latency
        elif cls == MUL:
            dst_lat(p.mul_latency)
            ins.unit = U_MAC
        elif cls == MAC:
            dst_lat(p.mul_latency)
            ins.unit = U_MAC
            # accumulator(s): Ra (4th register operand) or RdLo/RdHi of the long forms
            if name in ("smlal", "umlal", "umaal", "smlald", "smlaldx", "smlsld", "smlsldx") \
                    or name.startswith("smlal"):
                for n_, _, _ in reg_ops[:2]:
                    read(n_, p.mac_acc_advance)
                    for r in reg_indices(n_):
                        srcs[r] = p.mac_acc_advance
            elif len(reg_ops) >= 4:
                for r in reg_indices(reg_ops[3][0]):
                    srcs[r] = p.mac_acc_advance
            if name in _DSP_MAC:
                ins.slot0 = True
        elif cls == DSP:
            ins.slot0 = True
            dst_lat(p.dsp_sat_latency if name in _DSP2 else p.dsp_latency)
            if name in _EARLY_ALL:          # every source read in early ALU
                for n_, acc, _ in reg_ops:
                    if acc & _RD:
                        read(n_, p.early_alu_read_advance)
            elif name in _EARLY_LAST and reg_ops:   # the extracted / shifted register
                last = [n_ for n_, acc, _ in reg_ops if acc & _RD or acc == 0][-1:]
                for n_ in last:
                    read(n_, p.early_alu_read_advance)
                if name == "pkhtb" and len(reg_ops) >= 2:
                    read(reg_ops[1][0], p.early_alu_read_advance)
        elif cls == DIV:
            ins.single = True
            ins.issue = p.div_cycles
            dst_lat(p.alu_latency)
        elif cls in (LOAD, LOAD_NARROW, EXCL_LOAD):
            lat = p.load_latency if cls == LOAD or name == "ldrex" else p.load_narrow_latency
            for r in list(dsts):
                dsts[r] = p.base_update_latency if (ins.base_written and r == base) else lat
            ins.unit = U_LOAD
            if cls == EXCL_LOAD:
                ins.slot0 = True
        elif cls in (STORE, STORE_NARROW, EXCL_STORE):
            for n_, acc, _ in reg_ops:
                if acc & _RD:
                    for r in reg_indices(n_):
                        if r != base:       # data register: read late (EX2)
                            srcs[r] = p.store_data_advance
            for r in list(dsts):
                dsts[r] = p.base_update_latency
            ins.unit = U_STORE
            ins.narrow_store = cls == STORE_NARROW or name in ("strexb", "strexh")
            if cls == EXCL_STORE:
                ins.single = True
                for r in list(dsts):
                    if r != base:
                        dsts[r] = p.load_latency    # status result
        elif cls == LDRD:
            for r in list(dsts):
                dsts[r] = p.base_update_latency if (ins.base_written and r == base) \
                    else p.load_latency
            ins.single = True
            ins.unit = U_LOAD
        elif cls == STRD:
            for n_, acc, _ in reg_ops:
                for r in reg_indices(n_):
                    if r != base:
                        srcs[r] = p.store_data_advance
            for r in list(dsts):
                dsts[r] = p.base_update_latency
            ins.single = True
            ins.unit = U_STORE
        elif cls == TB:
            ins.single = True
            ins.issue = p.tb_issue_cycles
            ins.unit = U_LOAD | U_BRANCH
        elif cls == BRANCH:
            ins.unit = U_BRANCH
            for r in list(srcs):
                srcs[r] = p.branch_flag_read_advance
            if name in ("b", "bl", "cbz", "cbnz"):
                imm = next((o.imm for o in ops if o.type == A.ARM_OP_IMM), None)
                if imm is not None:
                    imm &= 0xFFFFFFFF
                    ins.target_rel = imm - (1 << 32) if imm & 0x80000000 else imm
        elif cls == IT:
            ins.it_len = len(mnem) - 1     # "it", "itt", "ite", "ittee", ...
            srcs.clear()
            dsts.clear()
            if not p.it_takes_slot:
                ins.issue = 0
        elif cls in (SYS, HINT, BARRIER, TRAP, WFI):
            ins.single = True
            dst_lat(p.nongp_latency)
            if cls == BARRIER:
                ins.issue = p.barrier_cycles
            if cls == WFI:
                ins.issue = p.wfi_cycles
        elif cls in (FP, FP_FMA, FP_MLA, FP_DIV, FP_SQRT, FP_CMP, DP, DP_MUL, DP_FMA, DP_DIV,
                     DP_SQRT):
            ins.unit = U_FP
            lat = {FP: p.fp_latency, FP_FMA: p.fp_fma_latency, FP_MLA: p.fp_mla_latency,
                   FP_DIV: p.fp_div_latency, FP_SQRT: p.fp_sqrt_latency, FP_CMP: p.fp_latency,
                   DP: p.dp_add_latency, DP_MUL: p.dp_mul_latency, DP_FMA: p.dp_fma_latency,
                   DP_DIV: p.dp_div_latency, DP_SQRT: p.dp_sqrt_latency}[cls]
            if name.startswith("vcvt") and has_core:
                lat = p.vmov_core_latency
            dst_lat(lat)
            if cls == FP_CMP:
                dsts.clear()
                dsts[FPFLAGS] = p.vcmp_flags_latency
            if cls in (FP_FMA, FP_MLA, DP_FMA) and reg_ops:
                adv = {FP_FMA: p.fp_fma_acc_advance, FP_MLA: p.fp_mla_acc_advance,
                       DP_FMA: p.dp_fma_acc_advance}[cls]
                for r in reg_indices(reg_ops[0][0]):
                    srcs[r] = adv
            if cls in (FP_DIV, FP_SQRT, DP_DIV, DP_SQRT):
                ins.fpdiv = lat
            if has_d or name.startswith("vsel"):
                ins.slot0 = True
        elif cls == FP_MOV:
            dst_lat(p.fp_mov_latency)
            if has_d:
                ins.slot0 = True
        elif cls == VMOV_CORE:
            dst_lat(p.vmov_core_latency)
            ins.single = True
        elif cls == VMRS:
            ins.single = True
            if name == "fmstat" or "apsr_nzcv" in [n_ for n_, _, _ in reg_ops]:
                dsts.clear()
                dsts[FLAGS] = p.alu_latency
                srcs[FPFLAGS] = 0
            else:
                dst_lat(p.nongp_latency)
        elif cls in (FP_LOAD, FP_STORE):
            if cls == FP_LOAD:
                for r in list(dsts):
                    dsts[r] = p.fp_load_latency
                ins.unit = U_LOAD
            else:
                for n_, acc, _ in reg_ops:
                    for r in reg_indices(n_):
                        srcs[r] = p.fp_store_data_advance
                dsts.clear()
                ins.unit = U_STORE
            if has_d:
                ins.single = True
        elif cls == UNKNOWN:
            ins.single = True

        ins.word_load = cls in (LOAD, LDRD, LDM) or name == "ldrex"
        ins.early = (p.early_alu and cls == ALU and name in _EARLY_ALU and not cond
                     and mem is None and not writes_pc
                     and all(o.type == A.ARM_OP_REG or _simple_constant(o.imm, size, mnem)
                             for o in ops if o.type in (A.ARM_OP_REG, A.ARM_OP_IMM)))
        if cls in (MUL, MAC):
            # multiplicands (not the accumulator, read late) cannot take a word load's result
            # from the previous cycle
            ins.wl_srcs = tuple(r for r, adv in srcs.items() if adv <= 0 and r != FLAGS)
        elif cls == ALU_SHIFT or name in _EARLY_LAST:
            # an operand consumed in early ALU holds back the late ones too
            ins.wl_srcs = tuple(r for r, adv in srcs.items() if adv == 0 and r != FLAGS)
        if writes_pc:
            ins.ends = True
        if cls in (BRANCH, TB, TRAP, WFI):
            ins.ends = True
        dsts.pop(PC, None)
        srcs.pop(PC, None)
        ins.srcs = tuple(sorted(srcs.items()))
        ins.dsts = tuple(sorted(dsts.items()))
        if ins.sets_flags and FLAGS not in dsts:
            lat = p.mul_latency if cls in (MUL, MAC) else p.alu_latency
            ins.dsts = ins.dsts + ((FLAGS, lat),)
        return ins

    def _multiple(self, ins: Insn, c, name: str, reg_ops, read, write) -> None:
        """LDM/STM/PUSH/POP/VLDM/VSTM/VPUSH/VPOP: ceil(words / 2) issue cycles."""
        p = self.p
        ins.single = True
        if name in ("push", "pop", "vpush", "vpop"):
            base_name, lst = "sp", [n for n, _, _ in reg_ops]
            wb = True
        else:
            base_name, lst = reg_ops[0][0], [n for n, _, _ in reg_ops[1:]]
            wb = bool(c.writeback)
        base = reg_indices(base_name)[0]
        read(base_name, p.addr_read_advance)
        ins.mem_base = base
        words: list[int] = []
        for n_ in lst:
            words.extend(reg_indices(n_) if n_ != "pc" else (PC,))
        per = p.multiple_regs_per_cycle
        ins.issue = max(1, -(-len(words) // per))
        loads = ins.cls in (LDM, FP_LDM)
        ins.unit = U_LOAD if loads else U_STORE
        for i, r in enumerate(words):
            if r == PC:
                continue
            if loads:
                # register i arrives with the (i // per)-th transfer cycle
                _set_dst(write, r, (p.fp_load_latency if r >= 16 else p.load_latency) + i // per)
            else:
                _set_src(read, r, i // per + (p.fp_store_data_advance if r >= 16 else 0))
        if wb:
            _set_dst(write, base, p.base_update_latency)
        ins.base_written = wb


_IDX_NAME = {i: f"r{i}" for i in range(13)}
_IDX_NAME.update({SP: "sp", LR: "lr", PC: "pc", FLAGS: "flags", FPFLAGS: "fpscr.flags"})
_IDX_NAME.update({16 + i: f"s{i}" for i in range(32)})


def reg_name(r: int) -> str:
    return _IDX_NAME.get(r, f"?{r}")


def _set_dst(write, r: int, lat: int) -> None:
    write(_IDX_NAME[r], lat)


def _set_src(read, r: int, adv: int) -> None:
    read(_IDX_NAME[r], adv)
