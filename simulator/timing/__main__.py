"""Command line for the static Cortex-M7 cost model.

    python -m simulator.timing bench [firmware/build/timing.elf]
        run the microbenchmark firmware with the model; print a Markdown table against
        the published figures (the table in docs/timing-model.md)
    python -m simulator.timing explain ELF (ADDRESS | SYMBOL[+OFFSET]) ...
        why the instruction there costs what it costs (window, class, pairing, stalls)
    python -m simulator.timing costs ELF SYMBOL
        per-instruction costs of one function
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from . import CortexM7CostModel
from .model import _text

# name -> (published cycles per iteration, source). Used by tests/test_timing.py too.
PUBLISHED: dict[str, tuple[float, str]] = {
    "alu_indep_pair": (1.0, "HW: two independent ALU ops issue in one cycle"),
    "alu_dep_pair": (2.0, "LLVM: ALU latency 1"),
    "load_use": (1.0, "HW: word load consumed by late ALU in the next cycle; LLVM WriteLd 1"),
    "load_use_narrow": (2.0, "HW: byte/half load one more cycle; LLVM M7SlowLoad 2"),
    "load_mul": (2.0, "HW: a multiply can't consume an LDR result from the previous cycle"),
    "two_loads": (1.0, "HW: two loads in different banks dual issue"),
    "two_loads_same_bank": (2.0, "HW: two loads in the same bank do not"),
    "mac_chain": (1.0, "HW: MAC chains on the accumulator every cycle"),
    "mul_chain": (2.0, "LLVM: MUL latency 2; HW: one cycle later than ALU"),
    "vfma_chain": (3.0, "HW: VFMA chain 3 cycles per step"),
    "vadd_chain": (3.0, "LLVM: VADD.F32 latency 3"),
    "vdiv": (16.0, "HW: VDIV.F32 16"),
    "vsqrt": (14.0, "HW: VSQRT.F32 14"),
    "ldm8": (4.0, "HW: LDM ceil(n/2)"),
    "stm8": (4.0, "HW: STM ceil(n/2)"),
    "sdiv": (7.0, "LLVM: SDIV 7, single issue (HW: data dependent, up to 7)"),
    "strb": (2.0, "HW: byte stores 2-4 cycles of throughput (lower bound)"),
}


def run_bench(elf: Path) -> tuple[dict[str, float], object]:
    from ..elf import load_firmware
    from ..machine import Machine, RunConfig
    from ..platform import load_platform
    m = Machine(load_firmware(elf), load_platform(),
                RunConfig(cost_model=CortexM7CostModel(), max_cycles=50_000_000))
    r = m.run()
    out = r.console["semihosting"].decode()
    if r.exit_reason != "exit" or r.exit_code != 0:
        raise SystemExit(f"{elf}: {r.exit_reason} {r.exit_code}\n{out}")
    return {k: float(v) for k, v in re.findall(r"^(\w+) (\d+\.\d+)$", out, re.M)}, r


def _tables(elf: Path, model: CortexM7CostModel):
    from ..code_map import build_code_tables
    from ..elf import load_firmware
    from ..platform import load_platform
    fw = load_firmware(elf)
    return fw, build_code_tables(fw, load_platform(), model)


def _resolve(fw, spec: str) -> int:
    if re.fullmatch(r"0x[0-9a-fA-F]+|\d+", spec):
        return int(spec, 0)
    name, _, off = spec.partition("+")
    sym = fw.symbol(name)
    if sym is None:
        raise SystemExit(f"no symbol {name!r}")
    return (sym.addr & ~1) + (int(off, 0) if off else 0)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m simulator.timing", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("bench")
    b.add_argument("elf", nargs="?", default="firmware/build/timing.elf", type=Path)
    e = sub.add_parser("explain")
    e.add_argument("elf", type=Path)
    e.add_argument("where", nargs="+")
    c = sub.add_parser("costs")
    c.add_argument("elf", type=Path)
    c.add_argument("symbol")
    a = ap.parse_args(argv)

    if a.cmd == "bench":
        got, r = run_bench(a.elf)
        print("| benchmark | simulated cycles/iteration | published | source |")
        print("|---|---|---|---|")
        for name, (exp, src) in PUBLISHED.items():
            print(f"| {name} | {got.get(name, float('nan')):.2f} | {exp:g} | {src} |")
        return 0

    model = CortexM7CostModel()
    fw, tables = _tables(a.elf, model)
    if a.cmd == "explain":
        for spec in a.where:
            addr = _resolve(fw, spec)
            t = next((t for t in tables if t.base <= addr < t.base + 2 * len(t.halfwords)), None)
            if t is None:
                print(f"{addr:#x}: not in an analysed code region")
                continue
            print(model.explain(t.base, t.halfwords, t.starts, addr))
            print()
        return 0
    sym = fw.symbol(a.symbol)
    if sym is None:
        raise SystemExit(f"no symbol {a.symbol!r}")
    lo = sym.addr & ~1
    t = next(t for t in tables if t.base <= lo < t.base + 2 * len(t.halfwords))
    insns = model.classify(t.base, t.halfwords, t.starts)
    import numpy as np
    idx = np.flatnonzero(t.starts)
    for k, i in enumerate(idx):
        addr = t.base + 2 * int(i)
        if lo <= addr < lo + max(sym.size, 2):
            print(f"{addr:#010x}  {int(t.costs[i]):3d}  {insns[k].cls:<12s} {_text(insns[k], addr)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
