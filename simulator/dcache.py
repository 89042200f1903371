"""L1 data cache and data-side memory latencies, measured in sampled windows.

Why sampled: Unicorn calls memory hooks only from its slow path, and a memory hook makes it
generate the slow path for *every* load and store (tcg backend: "fast path if hookmem is not
enable"). Measured with benchmarks/speed.py's workload (Unicorn 2.1.3): 3.2x slower with a hook
whose range excludes every access, 3.5x with a native callback on each one. So the hook is
installed only for measurement windows, and the translated code is flushed at each switch:

* **measure** — a native (numba) memory hook runs every load and store to flash, AXI SRAM and
  D2/D3 SRAM through a 4-way, 32-byte-line, write-back/write-allocate D-cache with LRU
  replacement (or, with CCR.DC clear, charges an uncached access), charges unaligned halfword
  and word accesses anywhere (TCM included), and adds the stall to the cycle count at once. It
  also sums, per basic block, the stall and the executions.
* **estimate** — no hook; every block execution is charged the mean D-side stall that block
  had over all measured windows so far (fixed point, the fraction carried over). A block never
  measured (new code: a new phase of the program) stops the CPU and a window starts at once.
  If that window measures no block for the first time (the block ran just before it opened,
  as the first block of a rarely called function does, and not again inside it), blocks never
  measured are charged nothing, without stopping the CPU, until the next scheduled window:
  otherwise each call of such a function would open a whole window.
* **warm** — the hook keeps the cache contents current but charges nothing; blocks are
  charged estimates. Used at the start of each window but the first, so a window does not
  start from the stale contents the cache had when the previous window ended.

Windows are laid out on *active* (non-sleeping) CPU cycles: the first window starts at reset,
then one every ``period``. A change of what data accesses cost (CCR.DC, the clocks or flash
wait states) makes the estimates stale: they are dropped and a window starts at once. What
sampling cannot see is the same code working on other data between windows (a block's
estimate is its mean over the windows); ``exact`` measures the whole run. Parameters and the
latencies are in :class:`simulator.timing.dynamic.M7DynamicParams` and docs/timing-model.md.

Cache maintenance (SCB DCISW/DCCSW/DCCISW by set/way, DCIMVAC/DCCMVAC/DCCIMVAC by address)
and CCR.DC act on the model whatever the mode. Accesses take the default memory map attributes
(ARMv7-M ARM B3.1: Code region write-through, SRAM region write-back write-allocate) except
where an MPU region makes memory non-cacheable (simulator/mpu_map.py: ``set_uncached``): those
go to memory uncached. MPU write-through regions are treated as write-back; TCM is never
cached.
"""

from __future__ import annotations

import ctypes
import os

import numpy as np
from llvmlite import ir
from .jit import carray, cfunc, njit, types  # numba's, or the cache's (jit.py)
from unicorn import UC_HOOK_MEM_READ, UC_HOOK_MEM_WRITE
from unicorn.unicorn_py3 import unicorn as _ucmod

from . import llvm_ir
from . import native_layout as n
from .native import _i64_ptr, add_native_hook, uc_handle

_LAYOUT = "c5c09ea796ad"       # native_layout.FINGERPRINT this file's compiled hooks were built for
n.check(_LAYOUT, __name__)

UC_MEM_WRITE = 17            # uc_mem_type (unicorn.h)

# Address ranges the hook covers: all memory (TCM only for unaligned accesses); peripherals
# are MMIO, timed by the machine.
HOOK_RANGES = ((0x00000000, 0x3FFFFFFF),)


# A page table in front of the rows: the kind of each 64 KB page of the hooked range, or -1
# where a page holds more than one kind (then the rows are searched). Most accesses are TCM
# (stack, .bss): without it each one scanned every row.
KIND_PAGE_SHIFT = 16
KIND_PAGES = (HOOK_RANGES[-1][1] + 1) >> KIND_PAGE_SHIFT


@njit(cache=True, inline="always")
def memory_kind(st, a):
    """Which memory a data address is in (MEM_* from the platform's regions, see
    memory_map), 0 for TCM or nothing we time."""
    nrows = st[n.MEM_MAP_N]
    rows = carray(_i64_ptr(st[n.MEM_MAP]), 3 * nrows + KIND_PAGES)
    page = a >> KIND_PAGE_SHIFT
    if page < KIND_PAGES:
        k = rows[3 * nrows + page]
        if k >= 0:
            return k
    for i in range(nrows):
        if a >= rows[3 * i] and a < rows[3 * i + 1]:
            return rows[3 * i + 2]
    return 0


def kind_pages(rows: np.ndarray) -> np.ndarray:
    """memory_kind's page table for these (start, end, kind) rows: a page's kind when every
    address in it has that kind (0 where no row covers it), else -1."""
    pages = np.zeros(KIND_PAGES, dtype=np.int64)
    size = 1 << KIND_PAGE_SHIFT
    for start, end, kind in rows:
        first, last = int(start) >> KIND_PAGE_SHIFT, (int(end) - 1) >> KIND_PAGE_SHIFT
        for p in range(first, min(last, KIND_PAGES - 1) + 1):
            whole = start <= p * size and end >= (p + 1) * size
            pages[p] = kind if whole and pages[p] == 0 else -1
    return pages


def memory_map(platform) -> np.ndarray:
    """(start, end, MEM_* kind) of every non-TCM memory of the platform, aliases included:
    the D-side counterpart of the I-side's Region.kind / Region.cached (Region.data_kind)."""
    rows = [(r.base, r.end, n.MEM_KINDS[r.data_kind]) for r in platform.regions
            if r.data_kind != "tcm"]
    for al in platform.aliases:
        target = platform.region_at(al.target)
        if target is not None and target.data_kind != "tcm":
            rows.append((al.base, al.base + al.size, n.MEM_KINDS[target.data_kind]))
    return np.asarray(rows, dtype=np.int64).reshape(-1, 3)


@njit(cache=True, inline="always")
def mpu_uncached(st, a):
    """True if ``a`` lies in a range the MPU makes non-cacheable (simulator/mpu_map.py)."""
    p = st[n.DC_NC_TABLE]
    if p == 0:
        return False
    count = carray(_i64_ptr(p), 1)[0]
    table = carray(_i64_ptr(p), 1 + 2 * count)
    for i in range(count):
        if table[1 + 2 * i] <= a < table[2 + 2 * i]:
            return True
    return False


@njit(cache=True, inline="always")
def flash_read(st, a, cost):
    """A data read from flash goes through its bank's read data buffer (RM0433 4.3.8), the one
    instruction fetches use (native._fetch_stall): it replaces the flash word the buffer holds,
    so the next fetch of the code line that was there reads the flash again. It is charged
    ``cost`` even when the buffer holds its word (chosen: instruction fetches from the same bank
    interleave with data reads more finely than the model sees, per block; crediting such data
    hits puts the caches-off FFT anchor 8 % above the board, docs/timing-model.md)."""
    if st[n.FLASH_BUF_END] != 0 and a >= st[n.FLASH_BUF_BASE] and a < st[n.FLASH_BUF_END]:
        st[n.FLASH_BUF_LINE + ((a - st[n.FLASH_BUF_BASE]) >> st[n.FLASH_BANK_SHIFT])] = \
            a >> st[n.IC_LINE_SHIFT]
    return cost


@njit(cache=True, inline="always")
def access(st, a, kind, write, count):
    """One load or store through the D-cache model: returns its stall in CPU cycles and keeps
    the cache contents (and, with ``count``, the statistics) up to date."""
    if st[n.DC_ENABLED] == 0 or (write and kind == n.MEM_FLASH) or mpu_uncached(st, a):
        # D-cache off, or a write to the write-through Code region (flash programming):
        # straight to memory
        if count:
            st[n.DC_UNCACHED] += 1
        if write:
            return st[n.DC_UNC_WRITE + kind]
        if kind == n.MEM_FLASH:
            return flash_read(st, a, st[n.DC_UNC_READ + kind])
        return st[n.DC_UNC_READ + kind]
    ways = st[n.DC_WAYS]
    sets = st[n.DC_SETS]
    tags = carray(_i64_ptr(st[n.DC_TAGS]), sets * ways)
    stamps = carray(_i64_ptr(st[n.DC_STAMPS]), sets * ways)
    dirty = carray(_i64_ptr(st[n.DC_DIRTY]), sets * ways)
    line = a >> st[n.DC_LINE_SHIFT]
    base = (line & (sets - 1)) * ways
    st[n.DC_CLOCK] += 1
    invalid = -1
    lru = base
    for w in range(base, base + ways):
        if tags[w] == line:
            stamps[w] = st[n.DC_CLOCK]
            if write:
                dirty[w] = 1
            if count:
                st[n.DC_HITS] += 1
            return 0
        if tags[w] < 0:
            if invalid < 0:
                invalid = w
        elif stamps[w] < stamps[lru]:
            lru = w
    victim = invalid if invalid >= 0 else lru
    stall = st[n.DC_FILL + kind]
    if kind == n.MEM_FLASH:
        stall = flash_read(st, a, stall)
    if tags[victim] >= 0 and dirty[victim] != 0:
        stall += st[n.DC_WB]
        if count:
            st[n.DC_WRITEBACKS] += 1
    tags[victim] = line
    stamps[victim] = st[n.DC_CLOCK]
    dirty[victim] = 1 if write else 0
    if count:
        st[n.DC_MISSES] += 1
    return stall


@cfunc(types.void(types.voidptr, types.int32, types.uint64, types.int32, types.int64,
                  types.voidptr), nopython=True, cache=True)
def _mem_hook(uc, typ, address, size, value, user_data):
    st = carray(user_data, n.STATE_SIZE, dtype=np.int64)
    mode = st[n.DC_MODE]
    if mode < n.DC_WARM:
        return
    a = np.int64(address)
    measure = mode == n.DC_MEASURE
    stall = 0
    if size > 1 and (a & (min(size, 4) - 1)) != 0:      # [HW] unaligned: 3-4 extra cycles
        stall = st[n.DC_UNALIGNED]
        if measure:
            st[n.DC_UNALIGNED_N] += 1
            st[n.STALL_DMEM] += stall
    kind = memory_kind(st, a)
    if kind != 0:
        mem = access(st, a, kind, typ == UC_MEM_WRITE, measure)
        if measure and mem != 0:
            if st[n.DC_ENABLED] != 0:
                st[n.STALL_DCACHE] += mem
            else:
                st[n.STALL_DMEM] += mem
        stall += mem
    if not measure or stall == 0:
        return
    st[n.CYCLES] += stall
    st[n.BLOCK_EXTRA] += stall
    o = st[n.CUR_ROW]
    if o >= 0:
        i0 = st[n.CUR_INDEX]
        carray(_i64_ptr(st[o + n.R_DSIDE_MEASURED]), i0 + 1)[i0] += stall
        st[n.REGION_CYCLES + (o - n.REGION_TABLE) // n.REGION_STRIDE] += stall
        if st[n.PROFILE_ON] != 0:
            carray(_i64_ptr(st[o + n.R_BLOCK_CYCLES]), i0 + 1)[i0] += stall
            carray(_i64_ptr(st[o + n.R_DSIDE_PROFILE]), i0 + 1)[i0] += stall


_FRONT, _FRONT_WORD = "h7sim_mem_hook_front", "h7sim_mem_hook_front_word"


def _front_module() -> ir.Module:
    """``void h7sim_mem_hook_front(uc, type, address, size, value, user_data)``, in LLVM IR
    by hand: what :func:`_mem_hook` does for an aligned access to TCM (or to nothing timed)
    while the hooks are in, i.e. nothing, without numba's C wrapper and the hook's prologue;
    every other access (unaligned, a cacheable memory, a page of mixed kinds, a phase that
    does not measure) goes on to :func:`_mem_hook`, whose address is the word
    ``h7sim_mem_hook_front_word()`` returns the address of."""
    i64, i32, i8p = ir.IntType(64), ir.IntType(32), ir.IntType(8).as_pointer()
    mod = ir.Module(name="h7sim_mem_hook_front")
    hook_word = ir.GlobalVariable(mod, i64, "h7sim_mem_hook_address")
    hook_word.linkage = "internal"
    hook_word.initializer = ir.Constant(i64, 0)
    fnty = ir.FunctionType(ir.VoidType(), [i8p, i32, i64, i32, i64, i8p])
    fn = ir.Function(mod, fnty, _FRONT)
    uc, typ, address, size, value, user = fn.args

    def c(v: int) -> ir.Constant:
        return ir.Constant(i64, v)

    b = ir.IRBuilder(fn.append_basic_block("entry"))
    st = b.bitcast(user, i64.as_pointer())
    done, aligned, look, full = (fn.append_basic_block(x) for x in
                                 ("done", "aligned", "look", "full"))
    mode = b.load(b.gep(st, [c(n.DC_MODE)]))
    active = b.icmp_signed(">=", mode, c(n.DC_WARM))
    sz = b.sext(size, i64)
    wide = b.icmp_signed(">", sz, c(1))
    mask = b.sub(b.select(b.icmp_signed("<", sz, c(4)), sz, c(4)), c(1))
    odd = b.and_(wide, b.icmp_unsigned("!=", b.and_(address, mask), c(0)))
    b.cbranch(active, aligned, done)
    b.position_at_end(aligned)
    page = b.lshr(address, c(KIND_PAGE_SHIFT))
    b.cbranch(b.or_(odd, b.icmp_unsigned(">=", page, c(KIND_PAGES))), full, look)
    b.position_at_end(look)
    rows = b.inttoptr(b.load(b.gep(st, [c(n.MEM_MAP)])), i64.as_pointer())
    nrows = b.load(b.gep(st, [c(n.MEM_MAP_N)]))
    kind = b.load(b.gep(rows, [b.add(b.mul(nrows, c(3)), page)]))
    b.cbranch(b.icmp_signed("==", kind, c(0)), done, full)
    b.position_at_end(full)
    hook = b.inttoptr(b.load(hook_word), fnty.as_pointer())
    b.call(hook, fn.args, tail=True)
    b.ret_void()
    b.position_at_end(done)
    b.ret_void()
    where = ir.Function(mod, ir.FunctionType(i64, []), _FRONT_WORD)
    wb = ir.IRBuilder(where.append_basic_block("entry"))
    wb.ret(wb.ptrtoint(hook_word, i64))
    return mod


_HOOK_ADDRESS: list[int] = []


def hook_address() -> int:
    """The memory hook to install: the IR front of :func:`_mem_hook` (once per process), or
    :func:`_mem_hook` itself when llvmlite cannot compile it or ``H7SIM_HOOK_FRONT=0``."""
    if not _HOOK_ADDRESS:
        address = _mem_hook.address
        if os.environ.get("H7SIM_HOOK_FRONT", "1") != "0":
            try:
                out = llvm_ir.compile_functions(
                    "mem_hook_front", ("dcache.py", "native_layout.py", "llvm_ir.py"),
                    _front_module, (_FRONT, _FRONT_WORD))
            except Exception:  # noqa: BLE001  e.g. an llvmlite without MCJIT
                out = None
            if out is not None:
                ctypes.c_int64.from_address(llvm_ir.call_i64(out[_FRONT_WORD])).value = address
                address = out[_FRONT]
        _HOOK_ADDRESS.append(address)
    return _HOOK_ADDRESS[0]


class DataCache:
    """Owns the D-cache arrays, the memory hooks and the measurement windows of one machine.

    ``mode``: "sampled" (default) or "exact" (measure the whole run). Without a DataCache
    (``--dcache off``) data accesses cost what the static model says, as if everything were
    TCM."""

    def __init__(self, uc, counter, sets: int, ways: int, mode: str = "sampled",
                 period: int = 1 << 25, window: int = 1 << 22, warmup: int = 1 << 18,
                 memories: np.ndarray | None = None, line_bytes: int = 32) -> None:
        if mode not in ("sampled", "exact"):
            raise ValueError(f"D-cache mode {mode!r}: expected sampled or exact")
        if not 0 < warmup < window <= period:
            raise ValueError("D-cache sampling needs 0 < warmup < window <= period")
        self.uc = uc
        self.counter = counter
        self.mode = mode
        self.period, self.window, self.warmup = period, window, warmup
        self.sets, self.ways = sets, ways
        st = counter.state
        self.tags = np.full(sets * ways, -1, dtype=np.int64)
        self.stamps = np.zeros(sets * ways, dtype=np.int64)
        self.dirty = np.zeros(sets * ways, dtype=np.int64)
        st[n.DC_TAGS] = self.tags.ctypes.data
        st[n.DC_STAMPS] = self.stamps.ctypes.data
        st[n.DC_DIRTY] = self.dirty.ctypes.data
        st[n.DC_SETS] = sets
        st[n.DC_WAYS] = ways
        self.line_shift = line_bytes.bit_length() - 1
        st[n.DC_LINE_SHIFT] = self.line_shift
        rows = np.ascontiguousarray(
            memories if memories is not None else np.zeros((0, 3)), dtype=np.int64)
        # the rows, then memory_kind's page table
        self.memories = np.concatenate([rows.reshape(-1), kind_pages(rows)])
        st[n.MEM_MAP] = self.memories.ctypes.data
        st[n.MEM_MAP_N] = len(rows)
        # per region: (estimate, window stall, window executions, total stall, total executions)
        self._blocks: list[tuple[np.ndarray, ...]] = []
        for i, r in enumerate(counter._regions):
            k = len(r.cost_prefix)
            arrs = tuple(np.zeros(k, dtype=np.int64) for _ in range(5))
            arrs[0][:] = -1                        # no estimate yet
            self._blocks.append(arrs)
            o = n.REGION_TABLE + n.REGION_STRIDE * i
            st[o + n.R_DSIDE_EST] = arrs[0].ctypes.data
            st[o + n.R_DSIDE_MEASURED] = arrs[1].ctypes.data
            st[o + n.R_WINDOW_EXECS] = arrs[2].ctypes.data
        self._hooks: list[int] = []
        self._phase = "estimate"
        self._start = 0             # active cycle the current or next window starts at
        self._restart = False       # a cost change is waiting for the CPU to stop
        self._costs: tuple | None = None
        self.windows = 0            # measurement windows completed or open
        self._triggered = False     # the open window was started by code never measured
        self._backoff = False       # new code waits for the next scheduled window (poll)
        self.measured_cycles = 0    # active cycles inside measurement windows
        self._measure_from: int | None = None
        self._begin_measure(0)

    # --- costs and state the firmware sets ---------------------------------------------------
    def set_costs(self, fill: dict[int, int], uncached_read: dict[int, int],
                  uncached_write: dict[int, int], writeback: int, unaligned: int) -> None:
        key = (tuple(fill.items()), tuple(uncached_read.items()), tuple(uncached_write.items()),
               writeback, unaligned)
        if key == self._costs:
            return
        if self._costs is not None:
            self._stale()
        self._costs = key
        st = self.counter.state
        for kind in (n.MEM_FLASH, n.MEM_AXI, n.MEM_D2, n.MEM_D3):
            st[n.DC_FILL + kind] = fill[kind]
            st[n.DC_UNC_READ + kind] = uncached_read[kind]
            st[n.DC_UNC_WRITE + kind] = uncached_write[kind]
        st[n.DC_WB] = writeback
        st[n.DC_UNALIGNED] = unaligned

    def set_uncached(self, ranges: list[tuple[int, int]]) -> None:
        """Address ranges the MPU makes non-cacheable: accesses there bypass the cache."""
        table = np.zeros(1 + 2 * len(ranges), dtype=np.int64)
        table[0] = len(ranges)
        for i, (a, b) in enumerate(ranges):
            table[1 + 2 * i], table[2 + 2 * i] = a, b
        self._nc_table = table                   # kept alive: the hook reads it by pointer
        self.counter.state[n.DC_NC_TABLE] = table.ctypes.data if ranges else 0
        self._stale()

    def set_enabled(self, on: bool) -> None:
        st = self.counter.state
        if bool(st[n.DC_ENABLED]) != on:
            st[n.DC_ENABLED] = 1 if on else 0
            self._stale()

    def _stale(self) -> None:
        """Data accesses now cost something else: measure again as soon as the CPU stops
        (hooks cannot change while it runs; this may be called from an MMIO callback)."""
        if self.mode == "sampled":
            self._restart = True
            self.counter.stop_soon()

    def reset(self) -> None:
        """System reset: the cache is off and its contents are gone (Cortex-M7 TRM 5.4)."""
        self.set_enabled(False)
        self.tags[:] = -1
        self.dirty[:] = 0

    def maintain(self, op: str, value: int) -> int:
        """A cache maintenance write (ARMv7-M ARM B2.2.7); returns the write-back cycles of
        the dirty lines it cleaned."""
        if op in ("DCISW", "DCCSW", "DCCISW"):
            # set/way format: way in the top log2(ways) bits, set from bit log2(line bytes)
            way = (value >> (32 - (self.ways - 1).bit_length())) & (self.ways - 1)
            s = (value >> self.line_shift) & (self.sets - 1)
            slots = [s * self.ways + way]
        elif op in ("DCIMVAC", "DCCMVAC", "DCCIMVAC"):
            line = value >> self.line_shift
            base = (line & (self.sets - 1)) * self.ways
            slots = [w for w in range(base, base + self.ways) if self.tags[w] == line]
        else:
            return 0
        cost = 0
        for w in slots:
            if self.tags[w] < 0:
                continue
            if op != "DCISW" and op != "DCIMVAC" and self.dirty[w]:
                cost += int(self.counter.state[n.DC_WB])
                self.dirty[w] = 0
            if op not in ("DCCSW", "DCCMVAC"):
                self.tags[w] = -1
                self.dirty[w] = 0
        return cost

    # --- sampling windows ------------------------------------------------------------------
    def next_switch(self, active: int) -> int | None:
        """Active cycle at which the current phase ends (None: never)."""
        if self.mode != "sampled":
            return None
        if self._restart:
            return active
        start = self._start
        if self._phase == "warm":
            return start + self.warmup
        if self._phase == "measure":
            return start + self.window
        return start

    def poll(self, active: int) -> None:
        """Switch phases whose end has passed (called between runs of the CPU)."""
        if self._restart and self.mode == "sampled":
            self._restart = False
            if self._phase == "measure":
                # the open window ends and a new one starts at once: the hooks stay (removing
                # and installing them would retranslate all code twice for nothing)
                self._close_window(active)
            for arrs in self._blocks:
                for a in arrs:
                    a[:] = 0
                arrs[0][:] = -1
            self._start = active
            self._begin_measure(active)
        st = self.counter.state
        if st[n.DC_NEW_CODE] and not self._backoff:
            st[n.DC_NEW_CODE] = 0
            if self.mode == "sampled" and self._phase == "estimate":
                # new code: measure it now (no warm-up, so a short phase is not missed)
                self._start = active
                self._begin_measure(active)
                self._triggered = True
        while self.mode == "sampled":
            end = self.next_switch(active)
            if end is None or active < end:
                return
            if self._phase == "estimate":
                self._install_hooks()
                self._phase = "warm"
                self.counter.state[n.DC_MODE] = n.DC_WARM
            elif self._phase == "warm":
                self._begin_measure(active)
            else:
                self._end_measure(active)

    def _begin_measure(self, active: int) -> None:
        self.counter.state[n.DC_NEW_CODE] = 0
        self._backoff = False
        self._triggered = False
        self._install_hooks()
        self._phase = "measure"
        self.counter.state[n.DC_MODE] = n.DC_MEASURE
        self._measure_from = active
        self.windows += 1

    def _end_measure(self, active: int) -> None:
        fresh = self._close_window(active)
        self._remove_hooks()
        self._phase = "estimate"
        self.counter.state[n.DC_MODE] = n.DC_ESTIMATE
        if self._triggered and fresh == 0:
            # The block that asked for this window ran before it opened and not again inside
            # it (a rarely called function): it would ask again at its next call, every call
            # a whole window. Blocks never measured are charged nothing, without stopping the
            # CPU, until the next scheduled window (the flag stays set: the hooks only set it).
            self.counter.state[n.DC_NEW_CODE] = 1
            self._backoff = True
        self._triggered = False
        self._start += self.period
        if self._start <= active:      # a long phase skipped whole windows
            self._start += -(-(active - self._start) // self.period) * self.period

    def finish(self, active: int) -> None:
        """End of run: count the open window."""
        if self._phase == "measure":
            self._close_window(active)

    def _close_window(self, active: int) -> int:
        """Fold the open window's per-block sums into the estimates and count its cycles;
        returns how many blocks this window measured for the first time."""
        if self._measure_from is None:
            return 0
        fresh = 0
        self.measured_cycles += active - self._measure_from
        self._measure_from = None
        for est, wsum, wexec, tsum, texec in self._blocks:
            hit = np.flatnonzero(wexec)
            if len(hit):
                fresh += int(np.count_nonzero(texec[hit] == 0))
                tsum[hit] += wsum[hit]
                texec[hit] += wexec[hit]
                est[hit] = (tsum[hit] << n.EST_SHIFT) // texec[hit]
                wsum[hit] = 0
                wexec[hit] = 0
        return fresh

    def _install_hooks(self) -> None:
        if self._hooks:
            return
        for begin, end in HOOK_RANGES:
            self._hooks.append(add_native_hook(self.uc, UC_HOOK_MEM_READ | UC_HOOK_MEM_WRITE,
                                               hook_address(),
                                               self.counter.state.ctypes.data, begin, end))
        self.uc.ctl_flush_tb()           # retranslate: loads and stores now take the hook path

    def _remove_hooks(self) -> None:
        if not self._hooks:
            return
        lib = _ucmod.uclib
        for h in self._hooks:
            lib.uc_hook_del(ctypes.c_void_p(uc_handle(self.uc)), ctypes.c_size_t(h))
        self._hooks = []
        # Unicorn only unlinks deleted hooks when uc_emu_start returns, and generates the
        # slow path while any memory hook is linked: an empty run (until == start, nothing
        # executes; the deadline makes the block hook stop at once) unlinks them, then the
        # flush retranslates on the fast path.
        st = self.counter.state
        deadline, stopped = int(st[n.DEADLINE]), int(st[n.STOPPED])
        st[n.DEADLINE] = 0
        from unicorn.arm_const import UC_ARM_REG_PC
        pc = self.uc.reg_read(UC_ARM_REG_PC)
        self.uc.emu_start(pc | 1, pc & ~1)
        st[n.DEADLINE], st[n.STOPPED] = deadline, stopped
        self.uc.ctl_flush_tb()

    # --- report ------------------------------------------------------------------------------
    def stats(self, active: int) -> dict:
        st = self.counter.state
        hits, misses = int(st[n.DC_HITS]), int(st[n.DC_MISSES])
        measured = self.measured_cycles
        if self._measure_from is not None:
            measured += active - self._measure_from
        return {
            "mode": self.mode,
            "hits": hits, "misses": misses,
            "hit_rate": round(hits / (hits + misses), 4) if hits + misses else None,
            "writebacks": int(st[n.DC_WRITEBACKS]),
            "uncached_accesses": int(st[n.DC_UNCACHED]),
            "unaligned_accesses": int(st[n.DC_UNALIGNED_N]),
            "windows": self.windows,
            "measured_fraction": round(measured / active, 4) if active else None,
            "stall_measured_cycles": int(st[n.STALL_DCACHE] + st[n.STALL_DMEM]),
            "stall_estimated_cycles": int(st[n.STALL_DEST]),
        }

