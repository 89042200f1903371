"""Profiles from the native block counters (simulator/profile.py) and their exports
(simulator/exports.py) on a small C firmware with a known call structure and known loops."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from simulator.elf import load_firmware
from simulator.machine import Machine, RunConfig
from simulator.platform import load_platform
from simulator.cli.profile import main as profile_main
from simulator.profile import PSEUDO_OTHER, annotate, build_profile, context_tree

ROOT = Path(__file__).resolve().parent.parent

SOURCE = r"""
#include <stdint.h>

volatile uint32_t sink;

__attribute__((noinline)) uint32_t leaf(uint32_t x) {
    uint32_t s = 0;
    for (uint32_t i = 0; i < 40; i++)      /* LEAF LOOP */
        s += (x ^ i) * 3u + (s >> 3);      /* LEAF BODY */
    return s;
}

__attribute__((noinline)) uint32_t mid(uint32_t x) {
    return leaf(x) + leaf(x + 1);
}

__attribute__((noinline)) uint32_t cold(uint32_t x) { return x * 7u + 1u; }

__attribute__((noinline)) uint32_t fact(uint32_t n) {
    return n <= 1 ? 1 : n * fact(n - 1);
}

__attribute__((noinline)) uint32_t is_odd(uint32_t n);
__attribute__((noinline)) uint32_t is_even(uint32_t n) { return n == 0 ? 1 : is_odd(n - 1) + 0; }
__attribute__((noinline)) uint32_t is_odd(uint32_t n) { return n == 0 ? 0 : is_even(n - 1) + 0; }

__attribute__((noinline)) uint32_t svc_work(uint32_t x) { return x * 3u; }

void SVC_Handler(void) { sink = svc_work(sink); }

static void exit_semihosting(uint32_t code) {
    uint32_t block[2] = {0x20026, code};
    register uint32_t r0 __asm__("r0") = 0x20;
    register uint32_t *r1 __asm__("r1") = block;
    __asm__ volatile("bkpt 0xab" : : "r"(r0), "r"(r1) : "memory");
    for (;;) {}
}

__attribute__((noinline)) int main(void) {
    uint32_t acc = 0;
    for (uint32_t i = 0; i < 50; i++)      /* MAIN LOOP */
        acc += mid(i);                     /* MAIN BODY */
    acc += cold(acc);
    acc += fact(6);
    acc += is_even(7);
    sink = acc;
    __asm__ volatile("svc 0");
    return 0;
}

void Reset_Handler(void) {
    main();
    exit_semihosting(0);
}

void Default_Handler(void) { for (;;) {} }

__attribute__((section(".vectors"), used)) const void *vectors[16] = {
    (void *)0x20020000, (void *)Reset_Handler, Default_Handler, Default_Handler,
    Default_Handler, Default_Handler, Default_Handler, 0, 0, 0, 0, (void *)SVC_Handler,
    Default_Handler, 0, Default_Handler, Default_Handler};
"""


def _line(marker: str) -> int:
    for n, text in enumerate(SOURCE.splitlines()[1:], start=1):
        if marker in text:
            return n
    raise AssertionError(marker)


@pytest.fixture(scope="module")
def elf(tmp_path_factory) -> Path:
    if shutil.which("arm-none-eabi-gcc") is None:
        pytest.skip("arm-none-eabi-gcc not installed")
    d = tmp_path_factory.mktemp("profile")
    src = d / "prog.c"
    src.write_text(SOURCE.lstrip("\n"))
    out = d / "prog.elf"
    subprocess.run(["arm-none-eabi-gcc", "-mcpu=cortex-m7", "-mthumb", "-mfpu=fpv5-d16",
                    "-mfloat-abi=hard", "-O1", "-g", "-fno-inline", "-fno-optimize-sibling-calls",
                    "-nostdlib", "-nostartfiles", "-T", str(ROOT / "benchmarks/workload.ld"),
                    str(src), "-o", str(out)], check=True)
    return out


@pytest.fixture(scope="module")
def run(elf):
    m = Machine(load_firmware(elf), load_platform(), RunConfig(profile=True))
    r = m.run()
    assert r.exit_reason == "exit" and r.exit_code == 0, r.diagnostic
    return m, r, build_profile(m, r)


def test_hot_function_first(run):
    _, _, p = run
    hot = p.hot_functions()
    assert hot[0].name == "leaf"
    assert hot[0].self_cycles > 0.9 * p.total_cycles


def test_call_counts_exact(run):
    _, _, p = run
    assert p.calls_between("main", "mid") == 50
    assert p.calls_between("mid", "leaf") == 100
    assert p.calls_between("main", "cold") == 1
    assert p.calls_between("main", "fact") == 1
    assert p.calls_between("fact", "fact") == 5
    assert p.calls_between("Reset_Handler", "main") == 1
    assert p.calls_between("SVC_Handler", "svc_work") == 1
    assert p.calls_between("main", "is_even") == 1
    assert p.calls_between("is_even", "is_odd") == 4     # 7 -> 6 -> ... -> 0: is_odd(6,4,2,0)
    assert p.calls_between("is_odd", "is_even") == 3
    assert p.function("leaf").calls == 100
    assert p.function("mid").calls == 50
    # two call sites in mid, 50 calls each
    sites = [c for c in p.calls if c.caller == p.function("mid").key]
    assert sorted(c.count for c in sites) == [50, 50]


def test_loop_iterations_exact(run):
    _, _, p = run
    (leaf_loop,) = p.loops_in("leaf")
    assert leaf_loop.iterations == 4000          # 100 calls x 40
    assert leaf_loop.back_edges == 3900
    assert leaf_loop.entries == 100
    (main_loop,) = p.loops_in("main")
    assert (main_loop.iterations, main_loop.back_edges, main_loop.entries) == (50, 49, 1)
    assert p.hot_loops()[0] is leaf_loop
    assert leaf_loop.location in (f"leaf:{_line('LEAF LOOP')}", f"leaf:{_line('LEAF BODY')}")
    # the body's cycles per iteration: all of leaf but its prologue/epilogue, per iteration
    assert 0.9 * p.function("leaf").self_cycles < leaf_loop.cycles <= p.function("leaf").self_cycles
    # main's loop costs its calls when they are included
    assert main_loop.incl_per_iteration > 0.95 * p.function("mid").incl_cycles / 50
    assert main_loop.cycles_per_iteration < main_loop.incl_per_iteration


def test_self_cycles_sum_to_total(run):
    _, r, p = run
    assert sum(f.self_cycles for f in p.functions.values()) == r.cycles
    # what no block carries is exception entry / return (SVC): small and named
    other = p.function(PSEUDO_OTHER)
    assert other is not None and 0 < other.self_cycles < 0.01 * r.cycles
    assert p.block_cycles + other.self_cycles == r.cycles
    assert sum(f.self_ir for f in p.functions.values()) == r.instructions


def test_inclusive(run):
    _, r, p = run
    main = p.function("main")
    assert main.incl_cycles == pytest.approx(r.cycles, rel=0.01)
    assert main.incl_cycles <= r.cycles
    assert p.function("mid").incl_cycles == pytest.approx(
        p.function("mid").self_cycles + p.function("leaf").incl_cycles)
    reset = p.function("Reset_Handler")
    assert reset.incl_cycles == pytest.approx(
        reset.self_cycles + main.incl_cycles + p.function("exit_semihosting").incl_cycles)
    # roots (reset, the SVC handler, the pseudo entry) partition the run
    roots = sum(p.functions[k].incl_cycles for k in p.roots)
    assert roots == pytest.approx(r.cycles)


def test_handlers_are_roots(run):
    _, _, p = run
    svc = p.function("SVC_Handler")
    assert svc.handler and svc.key in p.roots and svc.calls == 0
    assert svc.incl_cycles == pytest.approx(svc.self_cycles + p.function("svc_work").self_cycles)


def test_recursion_cycle_collapsed(run):
    _, _, p = run
    ev, od = p.function("is_even"), p.function("is_odd")
    assert ev.cycle_group is not None and ev.cycle_group == od.cycle_group
    assert ev.incl_cycles == pytest.approx(ev.self_cycles + od.self_cycles)
    assert p.function("fact").incl_cycles == p.function("fact").self_cycles


def test_lines_and_instructions(run):
    m, _, p = run
    assert sum(v[0] for v in p.lines.values()) == pytest.approx(p.block_cycles)
    body = [v for (f, ln), v in p.lines.items() if ln == _line("LEAF BODY")]
    assert body and body[0][0] > 0.5 * p.total_cycles
    header = p.loops_in("leaf")[0].header
    assert p.executions_at(header) == 4000
    assert sum(float(c.sum()) for _, _, c, _ in p.per_insn) == pytest.approx(p.block_cycles)
    text = annotate(p, "leaf")
    assert "eor" in text and "4,000" in text


def test_context_tree_keeps_totals(run):
    _, r, p = run

    def total(n):
        return n.self_cycles + sum(total(c) for c in n.children)
    assert sum(total(n) for n in context_tree(p)) == pytest.approx(r.cycles)


@pytest.mark.skipif(shutil.which("callgrind_annotate") is None,
                    reason="valgrind's callgrind_annotate not installed")
def test_callgrind_annotate_reads_export(run, tmp_path):
    from simulator.exports import write_callgrind
    _, r, p = run
    out = tmp_path / "callgrind.out.1"
    write_callgrind(p, out)
    res = subprocess.run(["callgrind_annotate", str(out)], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert f"{r.cycles:,}" in res.stdout and "PROGRAM TOTALS" in res.stdout
    assert ":leaf" in res.stdout
    inc = subprocess.run(["callgrind_annotate", "--inclusive=yes", str(out)],
                         capture_output=True, text=True)
    assert inc.returncode == 0, inc.stderr
    first = [ln for ln in inc.stdout.splitlines() if ":Reset_Handler" in ln or ":main" in ln]
    assert first, inc.stdout


# speedscope's own schema, from its npm package (tests/data/README.md)
SPEEDSCOPE_SCHEMA = json.loads(
    (ROOT / "tests/data/speedscope-file-format-schema.json").read_text())

CHROME_TRACE_SCHEMA = {
    "type": "object", "required": ["traceEvents"],
    "properties": {"traceEvents": {"type": "array", "items": {
        "type": "object", "required": ["ph", "name", "pid"],
        "properties": {"ph": {"enum": ["X", "C", "M"]}, "name": {"type": "string"},
                       "ts": {"type": "number"}, "dur": {"type": "number", "minimum": 0},
                       "pid": {"type": "integer"}, "tid": {"type": "integer"}},
        "if": {"properties": {"ph": {"const": "X"}}},
        "then": {"required": ["ts", "dur", "tid"]}}}},
}


def test_speedscope_validates(run, tmp_path):
    import jsonschema
    from simulator.exports import write_speedscope
    _, r, p = run
    out = tmp_path / "p.speedscope.json"
    write_speedscope(p, out, name="prog")
    doc = json.loads(out.read_text())
    jsonschema.validate(doc, SPEEDSCOPE_SCHEMA)
    prof = doc["profiles"][0]
    n = len(doc["shared"]["frames"])
    assert len(prof["samples"]) == len(prof["weights"])
    assert all(0 <= i < n for s in prof["samples"] for i in s)
    assert sum(prof["weights"]) == pytest.approx(r.cycles)
    names = [doc["shared"]["frames"][i]["name"] for i in
             prof["samples"][max(range(len(prof["weights"])), key=prof["weights"].__getitem__)]]
    assert names == ["Reset_Handler", "main", "mid", "leaf"]


def test_chrome_trace_validates_and_nests(run, tmp_path):
    import jsonschema
    from simulator.exports import write_chrome_trace
    _, r, p = run
    out = tmp_path / "p.trace.json"
    write_chrome_trace(p, out, name="prog")
    doc = json.loads(out.read_text())
    jsonschema.validate(doc, CHROME_TRACE_SCHEMA)
    xs = sorted((e for e in doc["traceEvents"] if e["ph"] == "X"),
                key=lambda e: (e["ts"], -e["dur"]))
    stack: list[tuple[float, float]] = []
    for e in xs:                                # complete events nest properly
        while stack and e["ts"] >= stack[-1][1]:
            stack.pop()
        if stack:       # exactly, in doubles, as readers add ts + dur
            assert e["ts"] + e["dur"] <= stack[-1][1]
        stack.append((e["ts"], e["ts"] + e["dur"]))
    top = sum(e["dur"] for e in xs if e["name"] in ("Reset_Handler", "SVC_Handler", PSEUDO_OTHER))
    assert top == pytest.approx(r.cycles / r.core_hz * 1e6, rel=1e-6)


def test_profile_command(elf, tmp_path, capsys):
    cg, ss, tr, js = (tmp_path / n for n in ("cg.out", "p.json", "t.json", "report.json"))
    code = profile_main([str(elf), "-q", "--top", "5", "--callgrind", str(cg),
                         "--speedscope", str(ss), "--perfetto", str(tr), "--json", str(js)])
    assert code == 0
    assert cg.read_text().startswith("# callgrind format")
    rep = json.loads(js.read_text())
    assert rep["profile"]["functions"][0]["name"] == "leaf"
    assert len(rep["profile"]["functions"]) == 5
    code = profile_main([str(elf), "--top", "3", "--annotate", "leaf"])
    out = capsys.readouterr().err          # tables: the simulator speaks on stderr
    assert code == 0
    assert "hot functions" in out and "hot loops" in out and "leaf" in out and "eor" in out


def test_profile_command_usage_errors(elf, tmp_path, capsys):
    assert profile_main([str(elf), "--callgrind", str(tmp_path / "no" / "x")]) == 2
    assert profile_main([str(tmp_path / "missing.elf")]) == 2


def test_unprofiled_run_is_refused(elf):
    m = Machine(load_firmware(elf), load_platform(), RunConfig())
    r = m.run()
    with pytest.raises(ValueError, match="profile=True"):
        build_profile(m, r)


def test_trace_function_window(elf, tmp_path):
    from simulator.trace import TraceRecorder, dump_text, read_trace
    m = Machine(load_firmware(elf), load_platform(), RunConfig(profile=True))
    rec = TraceRecorder(m, function="leaf")
    r = m.run()
    assert r.exit_reason == "exit"
    p = build_profile(m, r)
    t = rec.write(tmp_path / "leaf.trace")
    back = read_trace(tmp_path / "leaf.trace")
    leaf = p.function("leaf")
    sym = m.fw.symbol("leaf")
    assert len(back) == leaf.self_ir == 28_400          # every instruction of leaf, no other
    assert ((back.pcs >= sym.addr) & (back.pcs < sym.addr + sym.size)).all()
    assert (back.pcs == t.pcs).all() and (back.cycles == t.cycles).all()
    assert (back.cycles[1:] >= back.cycles[:-1]).all()
    header = p.loops_in("leaf")[0].header
    assert int((back.pcs == header).sum()) == 4000
    import io
    buf = io.StringIO()
    dump_text(back, m.fw, limit=12, out=buf)
    lines = buf.getvalue().splitlines()
    assert len(lines) == 12 and "leaf+0x0" in lines[0] and "mov" in lines[0]


def test_trace_cycle_window_and_limit(elf, tmp_path):
    from simulator.trace import TraceRecorder, read_trace
    m = Machine(load_firmware(elf), load_platform(), RunConfig())
    rec = TraceRecorder(m, start_cycle=50_000, cycles=3_000)
    m.run()
    t = rec.write(tmp_path / "w.trace")
    assert len(t) > 100
    assert 50_000 <= int(t.cycles[0]) and int(t.cycles[-1]) < 53_000
    m2 = Machine(load_firmware(elf), load_platform(), RunConfig())
    rec2 = TraceRecorder(m2, max_insns=500)
    r2 = m2.run()
    assert r2.exit_reason == "exit"
    t2 = read_trace(rec2.write(tmp_path / "n.trace") and tmp_path / "n.trace")
    assert len(t2) == 500 and t2.header["truncated"]


def test_trace_command(elf, tmp_path, capsys):
    from simulator.cli.trace_dump import main as trace_main
    out = tmp_path / "c.trace"
    assert profile_main([str(elf), "-q", "--trace", str(out), "--trace-function", "mid"]) == 0
    assert trace_main([str(out), "--elf", str(elf), "--limit", "5"]) == 0
    text = capsys.readouterr().out
    assert "mid+0x0" in text and "push" in text
    assert profile_main([str(elf), "-q", "--trace", str(out), "--trace-function", "nope"]) == 2


ASM = """
    .section .vectors, "a"
    .word 0x20010000
    .word reset
    .text
    .type reset, %function
    .thumb_func
reset:
    movs r4, #0
1:  movs r0, r4
    bl f                  @ 10 calls; f tail-calls g
    cmp r4, #5
    it eq
    bleq h                @ taken once: one call, nine fall-throughs
    adds r4, #1
    cmp r4, #10
    bne 1b
    movs r0, #0
    b exit_r0
    .size reset, . - reset

    .type f, %function
    .thumb_func
f:  adds r0, #1
    b.w g                 @ tail call
    .size f, . - f

    .type g, %function
    .thumb_func
g:  movs r1, #3
2:  subs r1, #1
    bne 2b                @ 3 iterations per call
    bx lr
    .size g, . - g

    .type h, %function
    .thumb_func
h:  bx lr
    .size h, . - h
"""


def test_tail_calls_and_conditional_calls(tmp_path):
    from conftest import SEMIHOST_EXIT, build_asm
    elf = build_asm(tmp_path, ASM + SEMIHOST_EXIT, name="calls")
    m = Machine(load_firmware(elf), load_platform(), RunConfig(profile=True))
    r = m.run()
    assert r.exit_reason == "exit" and r.exit_code == 0, r.diagnostic
    p = build_profile(m, r)
    assert p.calls_between("reset", "f") == 10
    assert p.calls_between("f", "g") == 10
    assert all(c.tail for c in p.calls if c.caller == p.function("f").key)
    assert p.calls_between("reset", "h") == 1
    assert p.function("h").calls == 1
    (outer,) = p.loops_in("reset")
    assert (outer.iterations, outer.back_edges, outer.entries) == (10, 9, 1)
    (inner,) = p.loops_in("g")
    assert (inner.iterations, inner.back_edges, inner.entries) == (30, 20, 10)
    assert p.function("f").incl_cycles == pytest.approx(
        p.function("f").self_cycles + p.function("g").self_cycles)
    assert sum(f.self_cycles for f in p.functions.values()) == r.cycles


def test_inferred_block_extents_match_unicorn(elf):
    """The counters give block starts only; the extents build_profile infers must be the
    sizes Unicorn reports to a (Python) block hook."""
    from unicorn import UC_HOOK_BLOCK
    m = Machine(load_firmware(elf), load_platform(), RunConfig(profile=True))
    sizes: dict[int, set[int]] = {}
    m.uc.hook_add(UC_HOOK_BLOCK, lambda uc, a, size, ud: sizes.setdefault(a, set()).add(size))
    r = m.run()
    p = build_profile(m, r)
    assert p.blocks
    for b in p.blocks:
        assert sizes[b.start] == {b.end - b.start}, m.fw.describe(b.start)


def test_trace_from_symbol_starts_at_its_first_instruction_and_changes_no_cycle(
        firmware_build, tmp_path):
    from simulator.cli import main as cli_main
    from simulator.trace import read_trace

    fw = str(firmware_build / "hello.elf")
    plain = tmp_path / "plain.json"
    traced = tmp_path / "traced.json"
    out = tmp_path / "t.trace"
    assert cli_main([fw, "-q", "--json", str(plain)]) == 0
    assert cli_main(["profile", fw, "-q", "--json", str(traced), "--trace", str(out),
                     "--trace-from", "main", "--trace-max", "500",
                     "--trace-range", "0x08000000:0x081FFFFF"]) == 0
    t = read_trace(out)
    main_addr = load_firmware(firmware_build / "hello.elf").symbol("main").addr
    assert int(t.pcs[0]) == main_addr
    assert len(t) == 500 and all(0x08000000 <= int(p) <= 0x081FFFFF for p in t.pcs)
    a = json.loads(plain.read_text())["summary"]
    b = json.loads(traced.read_text())["summary"]
    assert (a["cycles"], a["instructions"]) == (b["cycles"], b["instructions"])


def test_inclusive_is_measured_by_the_shadow_call_stack(run):
    _, r, p = run
    for name in ("main", "mid", "leaf", "SVC_Handler", "Reset_Handler"):
        assert p.function(name).incl_measured, name
    # the SVC handler's time is its own: main's inclusive excludes it
    svc = p.function("SVC_Handler")
    main = p.function("main")
    assert main.incl_cycles + svc.incl_cycles <= r.cycles


def test_trace_records_register_writes_and_memory_accesses(firmware_build, tmp_path):
    from simulator.cli import main as cli_main
    from simulator.trace import REG_NAMES, read_trace

    out = tmp_path / "t.trace"
    assert cli_main(["profile", str(firmware_build / "hello.elf"), "-q", "--trace", str(out),
                     "--trace-from", "main", "--trace-max", "40", "--trace-registers",
                     "--trace-memory"]) == 0
    t = read_trace(out)
    assert len(t) == 40
    # main starts with push {..., lr}: SP goes down by the pushed words, which are written
    first = [r for r in t.registers if r["insn"] == 0]
    assert [REG_NAMES[int(r["reg"])] for r in first] == ["sp"]
    writes = [m for m in t.memory if m["insn"] == 0]
    assert writes and all(m["write"] == 1 for m in writes)
    assert {int(m["address"]) for m in writes} == {
        int(first[0]["value"]) + 4 * i for i in range(len(writes))}
    assert all(int(m["insn"]) < 40 for m in t.memory)


def test_stall_causes_per_function_and_loop_add_up(run):
    m, r, p = run
    t = r.timing
    assert sum(f.icache_cycles for f in p.functions.values()) == t["stall_icache_cycles"]
    assert sum(f.mispredict_cycles for f in p.functions.values()) == t["stall_branch_cycles"]
    for lp in p.loops:
        assert lp.icache_cycles + lp.mispredict_cycles <= lp.cycles
