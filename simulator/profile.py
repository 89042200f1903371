"""Profiles from the native block counters: functions (self / inclusive), call graph, source
lines, loops and annotated instructions; the ``simulate profile`` command.

Input is what :meth:`simulator.native.NativeCounter.profile` returns when the run had
``RunConfig(profile=True)``: per translated block its start address, executions and cycles
(static costs plus I-cache / flash stalls plus branch-mispredict penalties charged to the block
that was entered), and the dynamic CFG (block -> block transition counts). No Python runs per
instruction; everything here is post-processing. See docs/profiling.md for the approximations.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .thumb import is_32bit, is_call, is_return

# QEMU ends a translation block at the end of the guest page it started in (1 KB on this core)
# and after at most 512 instructions.
PAGE = 0x400
MAX_TB_INSNS = 512

PSEUDO_SLEEP = "[sleep]"
PSEUDO_OTHER = "[exception entry/return]"


# --- results ---------------------------------------------------------------------------------
@dataclass
class Block:
    start: int
    end: int
    executions: int
    cycles: int
    table: int                 # index into code_tables
    func: int                  # function key (symbol address, or the block address)
    last: int                  # address of the last instruction
    kind: str                  # call | return | other


@dataclass
class FunctionStats:
    key: int
    name: str
    file: str | None
    line: int | None
    self_cycles: int = 0
    self_ir: int = 0            # instructions executed in the function itself
    stall_cycles: int = 0       # of self_cycles: beyond the static costs (fills, mispredicts)
    icache_cycles: int = 0      # of those: instruction fetch (I-cache miss / flash line fill)
    mispredict_cycles: int = 0  # of those: branch mispredict penalties
    dside_cycles: int = 0       # of those: D-cache misses and uncached data accesses
    incl_cycles: float = 0.0
    incl_ir: float = 0.0
    calls: int = 0              # calls into it (from other functions, recursion included)
    handler: bool = False       # a vector-table target
    cycle_group: int | None = None   # SCC id when it is part of a recursion cycle
    pseudo: bool = False
    incl_measured: bool = False # inclusive from the shadow call stack (else gprof estimate)
    # gprof estimate (self + call-count shares of the callees' estimates): consistent along
    # the call graph, so the synthetic calling contexts of the exports nest exactly
    est_incl_cycles: float = 0.0
    est_incl_ir: float = 0.0


@dataclass
class CallSite:
    caller: int
    callee: int
    site: int                   # address of the call instruction (or of the tail branch)
    count: int
    tail: bool = False
    incl_cycles: float = 0.0    # callee's inclusive cost attributed to this site
    incl_ir: float = 0.0


@dataclass
class LoopStats:
    func: int
    header: int
    end: int                     # end of the latest latch block: body is [header, end)
    iterations: int              # executions of the header instruction
    back_edges: int
    entries: int
    cycles: float                # cycles of the instructions in [header, end)
    incl_cycles: float           # plus the inclusive cost of calls made from the body
    location: str
    icache_cycles: int = 0       # of `cycles`: instruction fetch stalls in the body
    mispredict_cycles: int = 0   # of `cycles`: branch mispredict penalties in the body
    dside_cycles: int = 0        # of `cycles`: D-cache misses / uncached data accesses

    @property
    def cycles_per_iteration(self) -> float:
        return self.cycles / self.iterations if self.iterations else 0.0

    @property
    def incl_per_iteration(self) -> float:
        return self.incl_cycles / self.iterations if self.iterations else 0.0


@dataclass
class Profile:
    total_cycles: int
    block_cycles: int
    sleep_cycles: int
    instructions: int
    core_hz: float
    functions: dict[int, FunctionStats]
    calls: list[CallSite]
    loops: list[LoopStats]
    blocks: list[Block]
    lines: dict[tuple[str, int], list]        # (file, line) -> [cycles, executions, func key]
    edges_dropped: int
    roots: list[int]
    cycle_groups: dict[int, list[int]] = field(default_factory=dict)
    # per code table: (base, executions per halfword, cycles per halfword, stall per halfword)
    per_insn: list[tuple[int, np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=list)
    # executed instructions: (address, function key, file, line, cycles, executions)
    insn_rows: list[tuple[int, int, str, int, float, int]] = field(default_factory=list)
    tables: list = field(default_factory=list)
    fw: object = None
    block_stalls: dict = field(default_factory=dict)   # block start -> (I-fetch, mispredict, D-side)

    # -- views ----------------------------------------------------------------------------
    def hot_functions(self, n: int | None = None) -> list[FunctionStats]:
        fs = sorted(self.functions.values(), key=lambda f: (-f.self_cycles, f.name))
        return fs[:n] if n else fs

    def hot_loops(self, n: int | None = None) -> list[LoopStats]:
        ls = sorted(self.loops, key=lambda lp: -lp.cycles)
        return ls[:n] if n else ls

    def function(self, name: str) -> FunctionStats | None:
        for f in self.functions.values():
            if f.name == name:
                return f
        return None

    def calls_between(self, caller: str, callee: str) -> int:
        a, b = self.function(caller), self.function(callee)
        if a is None or b is None:
            return 0
        return sum(c.count for c in self.calls if c.caller == a.key and c.callee == b.key)

    def loops_in(self, name: str) -> list[LoopStats]:
        f = self.function(name)
        return [] if f is None else sorted((lp for lp in self.loops if lp.func == f.key),
                                           key=lambda lp: lp.header)

    def executions_at(self, addr: int) -> int:
        for base, ex, _, _ in self.per_insn:
            i = (addr - base) >> 1
            if 0 <= i < len(ex):
                return int(ex[i])
        return 0

    def to_dict(self, top: int | None = None) -> dict:
        tot = self.total_cycles or 1
        return {
            "total_cycles": self.total_cycles, "block_cycles": self.block_cycles,
            "sleep_cycles": self.sleep_cycles, "edges_dropped": self.edges_dropped,
            "functions": [{
                "name": f.name, "address": f.key, "file": f.file, "line": f.line,
                "self_cycles": f.self_cycles, "self_instructions": f.self_ir,
                "stall_cycles": f.stall_cycles,
                "icache_stall_cycles": f.icache_cycles,
                "mispredict_cycles": f.mispredict_cycles,
                "dside_stall_cycles": f.dside_cycles,
                "inclusive_cycles": round(f.incl_cycles, 3), "calls": f.calls,
                "inclusive_measured": f.incl_measured,
                "self_percent": 100.0 * f.self_cycles / tot, "handler": f.handler,
                "cycle_group": f.cycle_group} for f in self.hot_functions(top)],
            "loops": [{
                "function": self.functions[lp.func].name, "header": lp.header,
                "location": lp.location, "iterations": lp.iterations,
                "back_edges": lp.back_edges, "entries": lp.entries,
                "cycles": round(lp.cycles, 3),
                "cycles_per_iteration": round(lp.cycles_per_iteration, 3),
                "inclusive_cycles_per_iteration": round(lp.incl_per_iteration, 3),
                "icache_stall_cycles": lp.icache_cycles,
                "mispredict_cycles": lp.mispredict_cycles,
                "dside_stall_cycles": lp.dside_cycles}
                for lp in self.hot_loops(top)],
            "calls": [{"caller": self.functions[c.caller].name,
                       "callee": self.functions[c.callee].name, "site": c.site,
                       "count": c.count, "tail": c.tail} for c in self.calls],
        }


# --- construction ----------------------------------------------------------------------------
def build_profile(machine, result) -> Profile:
    """Turn the native counters of a finished ``Machine`` run (``RunConfig(profile=True)``)
    into a :class:`Profile`."""
    from .timing.decode import Decoder
    from .timing.params import M7Params

    raw = machine.counter.profile()
    if not hasattr(machine.counter, "_profile"):
        raise ValueError("the run was not profiled: use RunConfig(profile=True)")
    fw = machine.fw
    tables = machine.code_tables
    decoder = Decoder(M7Params())
    succ: dict[int, list[tuple[int, int]]] = {}
    for f, t, n in raw["edges"]:
        succ.setdefault(f, []).append((t, n))

    def table_of(a: int) -> int | None:
        for k, t in enumerate(tables):
            if t.base <= a < t.base + 2 * len(t.halfwords):
                return k
        return None

    def hw_at(t, i: int) -> int:
        return int(t.halfwords[i]) & 0xFFFF if 0 <= i < len(t.halfwords) else 0

    # function keys: symbol address, else the block address (no symbol)
    funcs: dict[int, FunctionStats] = {}
    func_cache: dict[int, int] = {}

    def func_key(a: int) -> int:
        k = func_cache.get(a)
        if k is not None:
            return k
        s = fw.function_at(a)
        k = s.addr if s is not None else a
        if k not in funcs:
            line = fw.function_line(k)
            funcs[k] = FunctionStats(k, s.name if s is not None else f"0x{a:08x}",
                                     line[0] if line else None, line[1] if line else None)
        func_cache[a] = k
        return k

    blocks: list[Block] = []
    for start, execs, cyc in raw["blocks"]:
        k = table_of(start)
        if k is None:
            continue
        t = tables[k]
        base = t.base
        i = (start - base) >> 1
        page_end = (start & ~(PAGE - 1)) + PAGE
        last = start
        n = 0
        end = start
        while i < len(t.halfwords):
            a = base + 2 * i
            h1 = hw_at(t, i)
            size = 4 if is_32bit(h1) else 2
            if n and (a >= page_end or (size == 4 and a + 2 >= page_end)):
                break
            h2 = hw_at(t, i + 1) if size == 4 else 0
            ins = decoder.get(h1 | (h2 << 16) if size == 4 else h1, size)
            last, end = a, a + size
            n += 1
            if ins.ends or n >= MAX_TB_INSNS:
                break
            i += size // 2
        # a successor strictly inside the range that is not the last instruction's direct
        # target means QEMU ended the block earlier (MSR, CPS, ISB...): cut it there
        h1 = hw_at(t, (last - base) >> 1)
        h2 = hw_at(t, ((last - base) >> 1) + 1)
        ins = decoder.get(h1 | (h2 << 16) if is_32bit(h1) else h1, 4 if is_32bit(h1) else 2)
        target = last + ins.target_rel if ins.target_rel is not None else None
        inside = [x for x, _ in succ.get(start, ()) if start < x < end and x != target]
        if inside:
            end = min(inside)
            # the new last instruction: walk again up to `end`
            j = (start - base) >> 1
            while True:
                hh = hw_at(t, j)
                sz = 4 if is_32bit(hh) else 2
                if base + 2 * j + sz >= end:
                    last = base + 2 * j
                    break
                j += sz // 2
            h1 = hw_at(t, (last - base) >> 1)
            h2 = hw_at(t, ((last - base) >> 1) + 1)
        if not is_32bit(h1):
            h2 = 0
        kind = "call" if is_call(h1, h2) else "return" if is_return(h1, h2) else "other"
        blocks.append(Block(start, end, execs, cyc, k, func_key(start), last, kind))

    # per instruction: executions, cycles (block cycles split by static cost), stall share
    per_insn = []
    owners: list[np.ndarray] = []        # per halfword: function key of the covering block
    block_cycles = 0
    for k, t in enumerate(tables):
        nh = len(t.halfwords)
        d_ex = np.zeros(nh + 1, dtype=np.int64)
        d_rate = np.zeros(nh + 1)
        d_rate_n = np.zeros(nh + 1)
        d_stall = np.zeros(nh + 1)
        d_stall_n = np.zeros(nh + 1)
        cp = np.zeros(nh + 1, dtype=np.int64)
        np.cumsum(t.costs, out=cp[1:])
        npf = np.zeros(nh + 1, dtype=np.int64)
        np.cumsum(t.starts.astype(np.int64), out=npf[1:])
        for b in blocks:
            if b.table != k:
                continue
            i0, i1 = (b.start - t.base) >> 1, (b.end - t.base) >> 1
            d_ex[i0] += b.executions
            d_ex[i1] -= b.executions
            static = int(cp[i1] - cp[i0])
            stall = b.cycles - b.executions * static
            if static > 0:
                d_rate[i0] += b.cycles / static
                d_rate[i1] -= b.cycles / static
                d_stall[i0] += stall / static
                d_stall[i1] -= stall / static
            else:
                cnt = max(int(npf[i1] - npf[i0]), 1)
                d_rate_n[i0] += b.cycles / cnt
                d_rate_n[i1] -= b.cycles / cnt
                d_stall_n[i0] += stall / cnt
                d_stall_n[i1] -= stall / cnt
            block_cycles += b.cycles
        starts = t.starts.astype(np.float64)
        ex = np.cumsum(d_ex)[:nh] * t.starts
        cyc = t.costs * np.cumsum(d_rate)[:nh] + starts * np.cumsum(d_rate_n)[:nh]
        stl = t.costs * np.cumsum(d_stall)[:nh] + starts * np.cumsum(d_stall_n)[:nh]
        per_insn.append((t.base, ex, cyc, stl))
        owner = np.full(nh, np.iinfo(np.int64).min, dtype=np.int64)
        for b in blocks:
            if b.table == k:
                owner[(b.start - t.base) >> 1:(b.end - t.base) >> 1] = b.func
        owners.append(owner)

    # self cost per function; instructions from the count prefix
    for b in blocks:
        t = tables[b.table]
        i0, i1 = (b.start - t.base) >> 1, (b.end - t.base) >> 1
        n_insn = int(np.count_nonzero(t.starts[i0:i1]))
        f = funcs[b.func]
        f.self_cycles += b.cycles
        f.self_ir += n_insn * b.executions
        f.stall_cycles += b.cycles - b.executions * int(t.costs[i0:i1].sum())
        fs, mp, ds = raw.get("block_stalls", {}).get(b.start, (0, 0, 0))
        f.icache_cycles += fs
        f.mispredict_cycles += mp
        f.dside_cycles += ds

    # per source line
    lines: dict[tuple[str, int], list] = {}
    insn_rows: list[tuple[int, int, str, int, float, int]] = []
    for (base, ex, cyc, _), owner in zip(per_insn, owners):
        for i in np.flatnonzero(ex):
            a = base + 2 * int(i)
            ln = fw.line_at(a)
            key = (ln[0], ln[1]) if ln else ("???", 0)
            fk = int(owner[i])
            row = lines.get(key)
            if row is None:
                row = lines[key] = [0.0, 0, fk]
            row[0] += float(cyc[i])
            row[1] += int(ex[i])
            insn_rows.append((a, fk, key[0], key[1], float(cyc[i]), int(ex[i])))

    # exception handlers (vector-table targets)
    handlers: set[int] = set()
    try:
        vtor = machine.engine.vtor
        n_vec = 16 + int(machine.platform.n_irqs)
        vec = np.frombuffer(bytes(machine.uc.mem_read(vtor, 4 * n_vec)), dtype="<u4")
        handlers = {int(v) & ~1 for v in vec[1:] if int(v) & 1}
    except Exception:
        pass
    for k, f in funcs.items():
        if k in handlers:
            f.handler = True

    # calls: edges from a block ending in BL/BLX, or tail branches to another function's entry
    by_start = {b.start: b for b in blocks}
    sites: dict[tuple[int, int, int], CallSite] = {}
    back: dict[tuple[int, int], list] = {}
    for f_addr, t_addr, n in raw["edges"]:
        b = by_start.get(f_addr)
        if b is None:
            continue
        tf = func_key(t_addr)
        if t_addr == b.end:
            kind = "other"              # not-taken conditional call/return: falls through
        else:
            kind = b.kind
        if kind == "call":
            key = (b.func, tf, b.last)
            cs = sites.get(key)
            if cs is None:
                cs = sites[key] = CallSite(b.func, tf, b.last, 0)
            cs.count += n
            continue
        if kind == "other" and tf != b.func and t_addr == tf and tf in funcs \
                and fw.function_at(t_addr) is not None:
            key = (b.func, tf, b.last)
            cs = sites.get(key)
            if cs is None:
                cs = sites[key] = CallSite(b.func, tf, b.last, 0, tail=True)
            cs.count += n
            continue
        if kind != "return" and tf == b.func and t_addr <= b.last:
            lp = back.setdefault((b.func, t_addr), [0, b.end, set()])
            lp[0] += n
            lp[1] = max(lp[1], b.end)
            lp[2].add(b.last)
    calls = sorted(sites.values(), key=lambda c: (c.caller, c.site, c.callee))
    for c in calls:
        funcs[c.callee].calls += c.count

    # inclusive cost, gprof style, over the SCCs of the call graph
    groups, group_of = _sccs(list(funcs), [(c.caller, c.callee) for c in calls])
    ext_calls: dict[int, int] = {}
    out_edges: dict[int, dict[int, int]] = {}
    for c in calls:
        gs, gt = group_of[c.caller], group_of[c.callee]
        if gs != gt:
            ext_calls[gt] = ext_calls.get(gt, 0) + c.count
            out_edges.setdefault(gs, {})
            out_edges[gs][gt] = out_edges[gs].get(gt, 0) + c.count
    g_incl: dict[int, tuple[float, float]] = {}
    for g, members in enumerate(groups):          # Tarjan order: callees before callers
        cyc = float(sum(funcs[m].self_cycles for m in members))
        ir = float(sum(funcs[m].self_ir for m in members))
        for gt, n in out_edges.get(g, {}).items():
            share = n / ext_calls[gt]
            cyc += g_incl[gt][0] * share
            ir += g_incl[gt][1] * share
        g_incl[g] = (cyc, ir)
    cycle_groups = {}
    for g, members in enumerate(groups):
        for m in members:
            funcs[m].incl_cycles, funcs[m].incl_ir = g_incl[g]
            funcs[m].est_incl_cycles, funcs[m].est_incl_ir = g_incl[g]
            if len(members) > 1:
                funcs[m].cycle_group = g
        if len(members) > 1:
            cycle_groups[g] = list(members)
    for c in calls:
        gs, gt = group_of[c.caller], group_of[c.callee]
        if gs != gt:
            share = c.count / ext_calls[gt]
            c.incl_cycles = g_incl[gt][0] * share
            c.incl_ir = g_incl[gt][1] * share

    roots = [k for k, f in funcs.items() if ext_calls.get(group_of[k], 0) == 0]

    # Measured inclusive time from the native shadow call stack (calls, returns, tail calls
    # and exception frames) replaces the gprof estimate for every function it saw entered.
    # A function also entered by a tail call (B.W into it, no frame pushed) has only part of
    # its activations measured: its time then shows in the tail-calling function's frame, and
    # its own inclusive stays the estimate (a measured figure below its self time is wrong).
    measured = machine.counter.inclusive() if hasattr(machine.counter, "inclusive") else {}
    tail_entered = {c.callee for c in calls if c.tail and c.count}
    for addr, (cyc, ins) in measured.items():
        f = funcs.get(addr)
        if f is not None and addr not in tail_entered and cyc >= f.self_cycles \
                and ins >= f.self_ir:
            f.incl_cycles, f.incl_ir, f.incl_measured = float(cyc), float(ins), True

    # loops: keep a backward edge only if it closes a cycle of the function's dynamic CFG
    # (the header reaches the latch instruction again); a backward jump to a join point of
    # an if/else laid out below is not a loop
    adj: dict[int, list[int]] = {}
    for f_addr, t_addr, n in raw["edges"]:
        b = by_start.get(f_addr)
        if b is not None and (b.kind != "return" or t_addr == b.end) \
                and by_start.get(t_addr) is not None \
                and by_start[t_addr].func == b.func:
            adj.setdefault(f_addr, []).append(t_addr)
    for b in blocks:                  # a call returns to the instruction after it
        if b.kind == "call" and b.end in by_start and by_start[b.end].func == b.func:
            adj.setdefault(b.start, []).append(b.end)
    reach_cache: dict[int, set[int]] = {}

    def latches_reached(h: int) -> set[int]:
        got = reach_cache.get(h)
        if got is None:
            got, seen, todo = set(), {h}, [h]
            while todo:
                x = todo.pop()
                got.add(by_start[x].last)
                for y in adj.get(x, ()):
                    if y not in seen:
                        seen.add(y)
                        todo.append(y)
            reach_cache[h] = got
        return got

    calls_by_caller: dict[int, list[CallSite]] = {}
    for c in calls:
        calls_by_caller.setdefault(c.caller, []).append(c)
    loops = []
    for (fk, header), (nback, end, lasts) in back.items():
        if header not in by_start or not (lasts & latches_reached(header)):
            continue
        execs = 0
        cyc_body = 0.0
        for (base, ex, cyc, _), t in zip(per_insn, tables):
            i0 = (header - base) >> 1
            if 0 <= i0 < len(ex):
                i1 = min((end - base) >> 1, len(ex))
                execs = int(ex[i0])
                cyc_body = float(cyc[i0:i1].sum())
        if execs <= nback:              # never entered from outside: not a loop header
            continue
        incl = cyc_body + sum(c.incl_cycles for c in calls_by_caller.get(fk, ())
                              if header <= c.site < end)
        ln = fw.line_at(header)
        loc = f"{funcs[fk].name}:{ln[1]}" if ln else f"{funcs[fk].name}+{header - fk:#x}"
        fs = mp = ds = 0
        for a, (f_, m_, d_) in raw.get("block_stalls", {}).items():
            if header <= a < end:
                fs += f_
                mp += m_
                ds += d_
        loops.append(LoopStats(fk, header, end, execs, nback, execs - nback, cyc_body, incl, loc,
                               fs, mp, ds))

    total = int(result.cycles)
    sleep = int(result.sleep_cycles)
    if sleep:
        funcs[-1] = FunctionStats(-1, PSEUDO_SLEEP, None, None, self_cycles=sleep,
                                  incl_cycles=sleep, est_incl_cycles=sleep, pseudo=True)
        roots.append(-1)
    other = total - sleep - block_cycles
    if other:
        funcs[-2] = FunctionStats(-2, PSEUDO_OTHER, None, None, self_cycles=other,
                                  incl_cycles=other, est_incl_cycles=other, pseudo=True)
        roots.append(-2)
    return Profile(total, block_cycles, sleep, int(result.instructions), float(result.core_hz),
                   funcs, calls, loops, blocks, lines, int(raw["edges_dropped"]), roots,
                   cycle_groups, per_insn, insn_rows, tables, fw,
                   dict(raw.get("block_stalls", {})))


def _sccs(nodes: list[int], edges: list[tuple[int, int]]) -> tuple[list[list[int]], dict[int, int]]:
    """Tarjan's strongly connected components, iteratively. Components come out in reverse
    topological order (every component after the ones it calls)."""
    adj: dict[int, list[int]] = {n: [] for n in nodes}
    for a, b in edges:
        if b not in adj[a]:
            adj[a].append(b)
    index: dict[int, int] = {}
    low: dict[int, int] = {}
    on: set[int] = set()
    stack: list[int] = []
    groups: list[list[int]] = []
    group_of: dict[int, int] = {}
    counter = 0
    for root in nodes:
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            v, i = work.pop()
            if i == 0:
                index[v] = low[v] = counter
                counter += 1
                stack.append(v)
                on.add(v)
            recurse = False
            for j in range(i, len(adj[v])):
                w = adj[v][j]
                if w not in index:
                    work.append((v, j + 1))
                    work.append((w, 0))
                    recurse = True
                    break
                if w in on:
                    low[v] = min(low[v], index[w])
            if recurse:
                continue
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    group_of[w] = len(groups)
                    comp.append(w)
                    if w == v:
                        break
                groups.append(comp)
            if work:
                u = work[-1][0]
                low[u] = min(low[u], low[v])
    return groups, group_of


# --- calling-context tree (for speedscope / trace exports) ------------------------------------
@dataclass
class ContextNode:
    name: str
    key: int
    self_cycles: float
    incl_cycles: float
    children: list["ContextNode"] = field(default_factory=list)


def context_tree(p: Profile, min_cycles: float = 0.5,
                 max_nodes: int = 200_000) -> list[ContextNode]:
    """Synthetic calling contexts: each function's cost is spread over its callers in
    proportion to the call counts (the gprof assumption, applied recursively). Recursion
    cycles are one node. Contexts below ``min_cycles`` are folded into their parent's self
    time so the totals are kept."""
    groups = {}
    for k, f in p.functions.items():
        groups.setdefault(f.cycle_group if f.cycle_group is not None else ("f", k), []).append(k)
    gkey = {k: g for g, ms in groups.items() for k in ms}
    ext: dict = {}
    out: dict = {}
    for c in p.calls:
        gs, gt = gkey[c.caller], gkey[c.callee]
        if gs == gt:
            continue
        ext[gt] = ext.get(gt, 0) + c.count
        out.setdefault(gs, {})
        out[gs][gt] = out[gs].get(gt, 0) + c.count

    def name(g) -> str:
        ms = groups[g]
        if len(ms) == 1:
            return p.functions[ms[0]].name
        return "<cycle: " + ", ".join(sorted(p.functions[m].name for m in ms)) + ">"

    def self_of(g) -> float:
        return float(sum(p.functions[m].self_cycles for m in groups[g]))

    def incl_of(g) -> float:
        return float(p.functions[groups[g][0]].est_incl_cycles)

    budget = [max_nodes]

    def build(g, frac: float) -> ContextNode:
        budget[0] -= 1
        node = ContextNode(name(g), groups[g][0], self_of(g) * frac, incl_of(g) * frac)
        for gt, n in sorted(out.get(g, {}).items(), key=lambda kv: str(kv[0])):
            f2 = frac * n / ext[gt]
            w = incl_of(gt) * f2
            if w < min_cycles or budget[0] <= 0:
                node.self_cycles += w
                continue
            node.children.append(build(gt, f2))
        return node

    roots = []
    seen = set()
    for k in p.roots:
        g = gkey[k]
        if g in seen:
            continue
        seen.add(g)
        roots.append(build(g, 1.0))
    roots.sort(key=lambda n: -n.incl_cycles)
    return roots


# --- annotated disassembly -------------------------------------------------------------------
def annotate(p: Profile, name: str) -> str:
    """Per-instruction listing of one function: executions, static cost, attributed cycles,
    the share of those that are stalls (I-cache/flash fill, branch mispredicts), source line
    and disassembly."""
    from capstone import CS_ARCH_ARM, CS_MODE_MCLASS, CS_MODE_THUMB, Cs

    f = p.function(name)
    if f is None or f.pseudo:
        return f"{name}: no such function in the profile"
    sym = p.fw.function_at(f.key)
    lo = f.key
    hi = lo + sym.size if sym is not None and sym.size else max(
        (b.end for b in p.blocks if b.func == f.key), default=lo)
    from .timing.decode import Decoder
    from .timing.params import M7Params

    md = Cs(CS_ARCH_ARM, CS_MODE_THUMB | CS_MODE_MCLASS)
    dec = Decoder(M7Params())
    out = [f"{f.name}: self {f.self_cycles:,} cycles, inclusive {f.incl_cycles:,.0f}, "
           f"{f.calls:,} calls; I-fetch stalls {f.icache_cycles:,}, mispredicts "
           f"{f.mispredict_cycles:,}, D-side {f.dside_cycles:,} cycles (charged to the block "
           "they occur in, at its first instruction)",
           f"{'address':>10}  {'execs':>10} {'cost':>4} {'cycles':>12} {'stall%':>6} "
           f"{'I-fetch':>8} {'mispred':>8} {'D-side':>8}  {'class':<10} {'line':<18} instruction"]
    block_stalls = getattr(p, "block_stalls", {})
    for (base, ex, cyc, stl), t in zip(p.per_insn, p.tables):
        if not (base <= lo < base + 2 * len(ex)):
            continue
        i0 = (lo - base) >> 1
        i1 = min((hi - base) >> 1, len(ex))
        code = t.halfwords[i0:i1].astype("<u2").tobytes()
        insns = {i.address: i for i in md.disasm(code, lo)}
        for i in range(i0, i1):
            if not t.starts[i]:
                continue
            a = base + 2 * i
            ins = insns.get(a)
            text = f"{ins.mnemonic} {ins.op_str}".strip() if ins else "?"
            ln = p.fw.line_at(a)
            where = f"{Path(ln[0]).name}:{ln[1]}" if ln else ""
            c = float(cyc[i])
            stall = 100.0 * float(stl[i]) / c if c > 0 else 0.0
            mark = "" if ex[i] else "  "
            h1 = int(t.halfwords[i]) & 0xFFFF
            wide = is_32bit(h1)
            h2 = int(t.halfwords[i + 1]) & 0xFFFF if wide and i + 1 < len(t.halfwords) else 0
            cls = dec.get(h1 | (h2 << 16) if wide else h1, 4 if wide else 2).cls
            fs, mp, ds = block_stalls.get(a, (0, 0, 0))
            out.append(f"{a:#010x}  {int(ex[i]):>10,} {int(t.costs[i]):>4} {c:>12,.0f} "
                       f"{stall:>5.1f}% {fs:>8,} {mp:>8,} {ds:>8,}  {cls:<10} {where:<18} "
                       f"{mark}{text}")
    return "\n".join(out)


# --- printing --------------------------------------------------------------------------------
def _table(title: str, cols: list[str], rows: list[list[str]], text_cols: int):
    """A rich table whose numbers never get cut: the first ``text_cols`` columns (names,
    locations) fold when the terminal is narrow, the numeric ones keep their width."""
    from rich.markup import escape
    from rich.table import Table

    t = Table(title=title, title_justify="left")
    for k, col in enumerate(cols):
        if k < text_cols:
            t.add_column(col, justify="left", overflow="fold", min_width=8)
        else:
            w = max([len(col)] + [len(r[k]) for r in rows]) if col.endswith("%") else \
                max([min(len(col), 7)] + [len(r[k]) for r in rows])
            t.add_column(col, justify="right", no_wrap=True, min_width=w)
    for r in rows:
        t.add_row(*[escape(c) if k < text_cols else c for k, c in enumerate(r)])
    return t


def print_profile(p: Profile, console, top: int = 15) -> None:
    tot = p.total_cycles or 1
    rows = []
    for f in p.hot_functions(top):
        name = f.name + (" (handler)" if f.handler else "") + \
            (f" <cycle {f.cycle_group}>" if f.cycle_group is not None else "")
        loc = f"{Path(f.file).name}:{f.line}" if f.file else ""
        stall = f"{100 * f.stall_cycles / f.self_cycles:.0f}" \
            if f.self_cycles and not f.pseudo else ""
        rows.append([name, loc, f"{f.self_cycles:,}", f"{100 * f.self_cycles / tot:.1f}",
                     f"{f.incl_cycles:,.0f}", f"{100 * f.incl_cycles / tot:.1f}",
                     f"{f.calls:,}", f"{f.self_ir:,}",
                     f"{f.self_cycles / f.self_ir:.2f}" if f.self_ir else "", stall])
    console.print(_table(
        f"hot functions ({p.total_cycles:,} cycles, {p.instructions:,} instructions)",
        ["function", "location", "self cycles", "self %", "inclusive", "incl %", "calls",
         "instructions", "CPI", "stall %"], rows, 2))
    if p.loops:
        rows = [[lp.location, f"{lp.iterations:,}", f"{lp.entries:,}", f"{lp.cycles:,.0f}",
                 f"{100 * lp.cycles / tot:.1f}", f"{lp.cycles_per_iteration:,.1f}",
                 f"{lp.incl_per_iteration:,.1f}",
                 f"{lp.icache_cycles / max(lp.iterations, 1):,.1f}",
                 f"{lp.mispredict_cycles / max(lp.iterations, 1):,.1f}",
                 f"{lp.dside_cycles / max(lp.iterations, 1):,.1f}"]
                for lp in p.hot_loops(top)]
        console.print(_table("hot loops (function:line of the loop header)",
                             ["loop", "iterations", "entries", "cycles", "% total",
                              "cycles/iter", "incl. calls/iter", "I-fetch stall/iter",
                              "mispredict/iter", "D-side stall/iter"], rows, 1))
    if p.lines:
        rows = [[f"{Path(file).name}:{line}", p.functions[fk].name, f"{cyc:,.0f}",
                 f"{100 * cyc / tot:.1f}", f"{ex:,}"]
                for (file, line), (cyc, ex, fk) in
                sorted(p.lines.items(), key=lambda kv: -kv[1][0])[:top]]
        console.print(_table("hot source lines", ["line", "function", "cycles", "% total",
                                                  "executions"], rows, 2))
    if p.edges_dropped:
        console.print(f"[yellow]warning: {p.edges_dropped:,} block transitions were not recorded "
                      "(edge table full): call and loop counts are lower bounds[/]")
