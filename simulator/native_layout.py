"""The native state array: one int64 array shared by the numba hooks and Python.

Every slot has a name, is numbered here in declaration order (``_slot``), and is checked for
uniqueness when this module is imported. Region rows (one per code region, ``REGION_STRIDE``
slots each, starting at ``REGION_TABLE``) have named columns (``R_*``) numbered the same way.
Only the native layer (native.py, dcache.py) indexes the array; the rest of the simulator
goes through ``NativeCounter`` methods.

Adding a slot: declare it below (``NAME = _slot("NAME", "what it holds")``). numba's on-disk
cache is keyed by the source file of each compiled function, not by the globals it reads, so
a layout change must also change native.py and dcache.py: both check ``FINGERPRINT`` at import
and tell you the new value to write into their ``_LAYOUT`` constant.
"""

from __future__ import annotations

import hashlib


class _Allocator:
    """Hands out consecutive indexes to unique names."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.index: dict[str, int] = {}
        self.doc: dict[str, str] = {}
        self.size = 0

    def __call__(self, name: str, doc: str, count: int = 1) -> int:
        if name in self.index:
            raise ValueError(f"native layout: {self.what} {name} declared twice")
        self.index[name] = self.size
        self.doc[name] = doc
        self.size += count
        return self.index[name]

    def verify(self, namespace: dict) -> None:
        """Each declared name is bound to its own index (catches ``A = _slot("B")``)."""
        for name, i in self.index.items():
            if namespace.get(name) != i:
                raise ValueError(f"native layout: {self.what} {name} is not bound to its index")


_slot = _Allocator("slot")
_col = _Allocator("region column")

# --- counting and stopping -------------------------------------------------------------------
CYCLES = _slot("CYCLES", "core cycles, including the block being entered")
INSNS = _slot("INSNS", "instructions, likewise")
DEADLINE = _slot("DEADLINE", "stop when CYCLES >= DEADLINE")
STOPPED = _slot("STOPPED", "set to 1 by the hook when it requested a stop")
STOP_FN = _slot("STOP_FN", "address of uc_emu_stop")
BLOCKS = _slot("BLOCKS", "blocks executed")
UNKNOWN_BYTES = _slot("UNKNOWN_BYTES", "bytes executed outside any analysed code region")
N_REGIONS = _slot("N_REGIONS", "number of code regions in the table")
SLEEP_TOTAL = _slot("SLEEP_TOTAL", "cycles the core slept (WFI/WFE) so far, kept by the machine")
SKIP_BLOCK = _slot("SKIP_BLOCK", "a debugger resumes here in the middle of a block counted on "
                   "entry: the block hook ignores one block starting at this address (-1: none)")
# the block being executed, for costs charged inside it and the time of an access in it
BLOCK_ADDR = _slot("BLOCK_ADDR", "start address of the block being executed")
BLOCK_SIZE = _slot("BLOCK_SIZE", "its size in bytes")
BLOCK_CYCLES = _slot("BLOCK_CYCLES", "CYCLES before that block")
BLOCK_PRE = _slot("BLOCK_PRE", "cycles charged at its start beyond its static cost (I-fetch, "
                  "mispredict, estimated D-side stalls): before its first instruction")
BLOCK_EXTRA = _slot("BLOCK_EXTRA", "cycles charged while it runs (peripheral bus, measured "
                    "D-side stalls)")
CUR_ROW = _slot("CUR_ROW", "region row offset of the block (REGION_TABLE + r * REGION_STRIDE), "
                "-1: none")
CUR_INDEX = _slot("CUR_INDEX", "halfword index of its start in that region")
STALL_DEP = _slot("STALL_DEP", "static stall cycles: operand / unit waits")
STALL_ISSUE = _slot("STALL_ISSUE", "static stall cycles: issue restrictions")

# --- dynamic timing: I-cache and branch predictor (simulator/timing/dynamic.py) -------------------
DYNAMIC_ON = _slot("DYNAMIC_ON", "0: static costs only")
IC_ENABLED = _slot("IC_ENABLED", "SCB CCR.IC")
IC_TAGS = _slot("IC_TAGS", "pointer: int64[sets * 2] line tags (-1 invalid), 2 ways")
IC_LRU = _slot("IC_LRU", "pointer: int64[sets] way to replace next")
IC_SETS = _slot("IC_SETS", "I-cache sets")
IC_LINE_SHIFT = _slot("IC_LINE_SHIFT", "log2 of the I-cache line size")
IC_HITS = _slot("IC_HITS", "I-cache line hits")
IC_MISSES = _slot("IC_MISSES", "I-cache line misses")
UNCACHED_FETCHES = _slot("UNCACHED_FETCHES", "line fetches with the I-cache off")
FLASH_BUF_BASE = _slot("FLASH_BUF_BASE", "flash: first address with a per-bank read buffer")
FLASH_BUF_END = _slot("FLASH_BUF_END", "flash: end of that range (0: no read buffer modelled)")
FLASH_BANK_SHIFT = _slot("FLASH_BANK_SHIFT", "log2 of the flash bank size")
FLASH_BUF_HIT = _slot("FLASH_BUF_HIT", "cycles of a line fetch served by the bank's read buffer")
FLASH_BUF_LINE = _slot("FLASH_BUF_LINE", "line held by each bank's read buffer (-1: none)", 2)
FLASH_BUF_HITS = _slot("FLASH_BUF_HITS", "uncached line fetches served by a flash read buffer")
SEQ_PREV_EXEC = _slot("SEQ_PREV_EXEC", "issue cycles per line of the last uncached block (its "
                      "last line's share of execution)")
SEQ_LINES = _slot("SEQ_LINES", "uncached lines not refetched: a block that continues "
                  "sequentially where the prefetch queue already holds its first line")
STALL_ICACHE = _slot("STALL_ICACHE", "cycles waiting for instruction lines")
BP_TABLE = _slot("BP_TABLE", "pointer: int64[entries * 2] (2-bit counter, last target)")
BP_ENTRIES = _slot("BP_ENTRIES", "predictor entries (power of two)")
BP_PENALTY = _slot("BP_PENALTY", "default mispredict penalty")
PREV_END = _slot("PREV_END", "end address of the previous block (-1: none, e.g. after an "
                 "exception)")
BR_PREDICTED = _slot("BR_PREDICTED", "branches predicted")
BR_MISPREDICTED = _slot("BR_MISPREDICTED", "branches mispredicted")
STALL_BRANCH = _slot("STALL_BRANCH", "mispredict cycles")
BR_PAIRED = _slot("BR_PAIRED", "predicted branches that dual issued with the first instruction "
                  "of their path")
BR_SAVED = _slot("BR_SAVED", "cycles those pairings saved")
ENTERED_PAIRED = _slot("ENTERED_PAIRED", "1: the current block's first instruction issued with "
                       "the branch that entered it")
PREV_FLAGS = _slot("PREV_FLAGS", "penalty-table entry (R_PENALTY) of the instruction ending at "
                   "PREV_END")

# --- block memo (native.py _memo): the static accounting of each block, looked up once ------
MEMO_TABLE = _slot("MEMO_TABLE", "pointer: int64[MEMO_ENTRIES * MEMO_WIDTH], direct mapped by "
                   "block start address (native.py)")
MEMO_FILLS = _slot("MEMO_FILLS", "memo entries computed (first execution or eviction)")

# --- stack watch ---------------------------------------------------------------------------
SP_LIMIT = _slot("SP_LIMIT", "stack area start: SP below it is an overflow (0: not watched)")
SP_MIN = _slot("SP_MIN", "lowest SP seen after a block that lowers SP")
SP_CHECK = _slot("SP_CHECK", "1: the previous block lowered SP, read SP now")
SP_OVERFLOW_AT = _slot("SP_OVERFLOW_AT", "block after which SP was first below SP_LIMIT "
                       "(-1: none)")
REG_READ_FN = _slot("REG_READ_FN", "address of uc_reg_read")
SP_VALUE = _slot("SP_VALUE", "scratch slot uc_reg_read writes SP into")
SP_VALUE_PTR = _slot("SP_VALUE_PTR", "its address")
PREV_BLOCK = _slot("PREV_BLOCK", "address of the last SP-lowering block")
SP_STOP_ON_MIN = _slot("SP_STOP_ON_MIN", "1: stop the CPU at each new lowest SP")
SP_EVENT = _slot("SP_EVENT", "set with that stop; Python clears it")
SP_MIN_AT = _slot("SP_MIN_AT", "block after which the lowest SP was seen")

# --- shadow call stack and profile (simulator/profile.py) -----------------------------------
SS_ON = _slot("SS_ON", "shadow call stack on (with profiling)")
SS_DEPTH = _slot("SS_DEPTH", "frames open")
SS_MAX = _slot("SS_MAX", "frames the arrays hold")
SS_OVERFLOW = _slot("SS_OVERFLOW", "calls not recorded because the stack was full")
SS_RET_PTR = _slot("SS_RET_PTR", "int64[SS_MAX] return address of each frame "
                   "(-2: exception frame)")
SS_CYC_PTR = _slot("SS_CYC_PTR", "int64[SS_MAX] cycle count when the frame was entered")
SS_CALLEE_PTR = _slot("SS_CALLEE_PTR", "int64[SS_MAX] entry address of the frame's function")
SS_INS_PTR = _slot("SS_INS_PTR", "int64[SS_MAX] instruction count when the frame was entered")
SS_EXC_PTR = _slot("SS_EXC_PTR", "int64[SS_MAX] EXC_TOTAL when the frame was entered")
SS_SLP_PTR = _slot("SS_SLP_PTR", "int64[SS_MAX] SLEEP_TOTAL when the frame was entered")
LAST_END = _slot("LAST_END", "end address of the previous block, for call/return detection")
EXC_TOTAL = _slot("EXC_TOTAL", "cycles spent inside (outermost) exception frames so far")
EXC_DEPTH = _slot("EXC_DEPTH", "exception frames open")
EXC_START = _slot("EXC_START", "cycle the outermost open exception frame began")
PROFILE_ON = _slot("PROFILE_ON", "1: per-block counters and the edge table are updated")
EDGE_TABLE = _slot("EDGE_TABLE", "pointer: int64[entries * 3] (from, to, count), open "
                   "addressing")
EDGE_ENTRIES = _slot("EDGE_ENTRIES", "power of two")
LAST_BLOCK = _slot("LAST_BLOCK", "start address of the previous block (-1 after an exception)")
EDGE_DROPPED = _slot("EDGE_DROPPED", "transitions not recorded because the table was full")

# --- D-cache and data-side memory (simulator/dcache.py) --------------------------------------
MEM_FLASH, MEM_AXI, MEM_D2, MEM_D3 = 1, 2, 3, 4      # data-side memory kinds (index 0: TCM)
MEM_KINDS = {"tcm": 0, "flash": MEM_FLASH, "axi": MEM_AXI, "d2": MEM_D2, "d3": MEM_D3}
N_MEM_KINDS = 5
DC_OFF, DC_ESTIMATE, DC_WARM, DC_MEASURE = 0, 1, 2, 3
EST_SHIFT = 8       # estimates are fixed point, 1/256 cycle per block execution
DC_MODE = _slot("DC_MODE", "DC_OFF | DC_ESTIMATE | DC_WARM | DC_MEASURE")
DC_ENABLED = _slot("DC_ENABLED", "SCB CCR.DC")
DC_TAGS = _slot("DC_TAGS", "pointer: int64[sets * ways] line numbers (-1 invalid)")
DC_STAMPS = _slot("DC_STAMPS", "pointer: int64[sets * ways] last use (LRU)")
DC_DIRTY = _slot("DC_DIRTY", "pointer: int64[sets * ways]")
DC_SETS = _slot("DC_SETS", "D-cache sets")
DC_WAYS = _slot("DC_WAYS", "D-cache ways")
DC_LINE_SHIFT = _slot("DC_LINE_SHIFT", "log2 of the D-cache line size")
DC_CLOCK = _slot("DC_CLOCK", "access counter for the LRU stamps")
DC_HITS = _slot("DC_HITS", "measured accesses that hit")
DC_MISSES = _slot("DC_MISSES", "measured accesses that missed (line fills)")
DC_WRITEBACKS = _slot("DC_WRITEBACKS", "dirty lines written back on eviction (measured)")
DC_UNCACHED = _slot("DC_UNCACHED", "measured accesses that went to memory uncached")
STALL_DCACHE = _slot("STALL_DCACHE", "measured cycles: line fills and write-backs")
STALL_DMEM = _slot("STALL_DMEM", "measured cycles: uncached accesses to AXI/D2/D3 SRAM, flash")
STALL_DEST = _slot("STALL_DEST", "estimated D-side cycles charged outside measured windows")
DC_FILL = _slot("DC_FILL", "[DC_FILL + kind]: line fill cycles by memory kind", N_MEM_KINDS)
DC_UNC_READ = _slot("DC_UNC_READ", "[DC_UNC_READ + kind]: uncached read cycles", N_MEM_KINDS)
DC_UNC_WRITE = _slot("DC_UNC_WRITE", "[DC_UNC_WRITE + kind]: uncached write cycles",
                     N_MEM_KINDS)
DC_WB = _slot("DC_WB", "write-back cycles of a dirty line")
EST_FRAC = _slot("EST_FRAC", "fraction (1/256 cycle) of estimated stalls carried to the next "
                 "block")
DC_NEW_CODE = _slot("DC_NEW_CODE", "set (with a stop) when a block never measured runs "
                    "between windows")
DC_UNALIGNED = _slot("DC_UNALIGNED", "extra cycles of an unaligned halfword/word access")
DC_UNALIGNED_N = _slot("DC_UNALIGNED_N", "measured unaligned accesses")
DC_NC_TABLE = _slot("DC_NC_TABLE", "pointer: int64[1 + 2n]: n, then [start, end) pairs the MPU "
                    "makes non-cacheable (0: none)")
MEM_MAP = _slot("MEM_MAP", "pointer: int64[MEM_MAP_N * 3] (start, end, MEM_* kind) of the "
                "platform's non-TCM memories, from Region.data_kind, then the kind of each "
                "64 KB page (-1: mixed; dcache.kind_pages)")
MEM_MAP_N = _slot("MEM_MAP_N", "rows in MEM_MAP")

# --- peripheral bus (simulator/mmio_native.py) ----------------------------------------------
BUS_CYCLES = _slot("BUS_CYCLES", "peripheral register access cycles charged natively")

# --- poll-loop skipping (native.py: _poll_track) ----------------------------------------------
PS_ON = _slot("PS_ON", "1: skipping enabled")
PS_GEN = _slot("PS_GEN", "bumped whenever Python runs (hooks, Python MMIO, emu_start)")
PS_REC_GEN = _slot("PS_REC_GEN", "PS_GEN when the current recording started")
PS_HEAD = _slot("PS_HEAD", "first block of the loop being recorded (-1: none)")
PS_LEN = _slot("PS_LEN", "blocks recorded in the current iteration")
PS_PREV_LEN = _slot("PS_PREV_LEN", "blocks of the previous iteration (-1: none)")
PS_SEQ = _slot("PS_SEQ", "pointer: int64[4 * PS_MAX] (address, size, bus cycles, cycles from "
               "the head) per block of the current iteration")
PS_PREV = _slot("PS_PREV", "pointer: the same for the previous iteration")
PS_SNAP = _slot("PS_SNAP", "pointer: int64[PS_NREGS] registers at the previous head visit")
PS_CUR = _slot("PS_CUR", "pointer: int64[PS_NREGS] registers now")
PS_BATCH_FN = _slot("PS_BATCH_FN", "address of uc_reg_read_batch")
PS_IDS = _slot("PS_IDS", "pointer: int32[PS_NREGS] register ids")
PS_VALS = _slot("PS_VALS", "pointer: void*[PS_NREGS] into PS_CUR")
PS_NREGS = _slot("PS_NREGS", "registers compared (core, SP, LR, xPSR, FPSCR, D0-D15)")
PS_SNAP_OK = _slot("PS_SNAP_OK", "PS_SNAP holds the registers of the previous head visit")
PS_START_CYC = _slot("PS_START_CYC", "CYCLES when the current iteration began")
PS_ITER_CYC = _slot("PS_ITER_CYC", "cycles of the previous iteration")
PS_START_MISS = _slot("PS_START_MISS", "I-cache misses + mispredictions at the iteration start")
PS_ITERS = _slot("PS_ITERS", "iterations skipped (statistics)")
PS_SKIPS = _slot("PS_SKIPS", "skips made (statistics)")
PS_BACKOFF = _slot("PS_BACKOFF", "pointer: int64[3 * PS_BK] (head, failures, visits to wait)")
PS_TMP = _slot("PS_TMP", "pointer: int64[2 * STATE_SIZE] scratch copies of the state")
PS_ERRORS = _slot("PS_ERRORS", "skipped iterations whose deadline check failed (must stay 0)")
PS_QUIET = _slot("PS_QUIET", "blocks to let pass unrecorded (back-off after a loop that did "
                 "not repeat, and after an impure block)")

# --- code regions: one row each -----------------------------------------------------------
R_BASE = _col("R_BASE", "start address")
R_SIZE = _col("R_SIZE", "size in bytes")
R_COST = _col("R_COST", "pointer: static cost prefix sums (per halfword)")
R_COUNT = _col("R_COUNT", "pointer: instruction count prefix sums")
R_KIND = _col("R_KIND", "KIND_TCM | KIND_CACHEABLE (fetched through the I-cache)")
R_FILL = _col("R_FILL", "I-side line fill cycles")
R_SP_LOWER = _col("R_SP_LOWER", "pointer: SP-lowering instruction prefix counts (0: none)")
R_EXECS = _col("R_EXECS", "pointer: block executions per start halfword (profiling)")
R_BLOCK_CYCLES = _col("R_BLOCK_CYCLES", "pointer: block cycles per start halfword (profiling)")
R_END_KIND = _col("R_END_KIND", "pointer: per halfword END_CALL / END_RETURN ends there")
R_INCL_CYCLES = _col("R_INCL_CYCLES", "pointer: inclusive cycles per function entry halfword")
R_ACTIVE = _col("R_ACTIVE", "pointer: active frames per function entry halfword")
R_INCL_INSNS = _col("R_INCL_INSNS", "pointer: inclusive instructions per function entry")
R_DEP = _col("R_DEP", "pointer: static operand-wait stall prefix sums")
R_ISSUE = _col("R_ISSUE", "pointer: static issue-restriction stall prefix sums")
R_FETCH_STALL = _col("R_FETCH_STALL", "pointer: I-fetch stall cycles per block (profiling)")
R_MISPREDICT = _col("R_MISPREDICT", "pointer: mispredict cycles per block (profiling)")
R_DSIDE_EST = _col("R_DSIDE_EST", "pointer: estimated D-side stall per block start "
                   "(fixed point, -1: never measured)")
R_DSIDE_MEASURED = _col("R_DSIDE_MEASURED", "pointer: measured D-side stall in the window")
R_WINDOW_EXECS = _col("R_WINDOW_EXECS", "pointer: executions in the current window")
R_PENALTY = _col("R_PENALTY", "pointer: per halfword, the mispredict penalty of the branch "
                 "ending there and the branch-pairing fields (timing/model.py PENALTY_MASK...)")
R_DSIDE_PROFILE = _col("R_DSIDE_PROFILE", "pointer: D-side stall cycles per block (profiling)")
R_IMPURE = _col("R_IMPURE", "pointer: prefix counts of instructions that may change memory or "
                "need Python (code_map.impure; poll skipping)")
REGION_STRIDE = _col.size
END_CALL, END_RETURN = 1, 2
KIND_TCM, KIND_CACHEABLE = 0, 1
MAX_REGIONS = 8
REGION_TABLE = _slot("REGION_TABLE", "MAX_REGIONS rows of REGION_STRIDE columns",
                     REGION_STRIDE * MAX_REGIONS)
REGION_CYCLES = _slot("REGION_CYCLES", "[REGION_CYCLES + r]: cycles spent in region r",
                      MAX_REGIONS)
STATE_SIZE = _slot.size

_slot.verify(globals())
_col.verify(globals())

FINGERPRINT = hashlib.sha1(repr((sorted(_slot.index.items()), sorted(_col.index.items()),
                                 MAX_REGIONS, N_MEM_KINDS)).encode()).hexdigest()[:12]


def check(layout: str, module: str) -> None:
    """Raise ImportError when ``module`` was written for another layout (its numba cache
    would read the wrong slots)."""
    if layout != FINGERPRINT:
        raise ImportError(f"the native state layout changed: set _LAYOUT = {FINGERPRINT!r} in "
                          f"{module} (this also invalidates numba's cache of its hooks)")
