"""Simulation speed against raw Unicorn on the same ELF, in the same run.

    python benchmarks/speed.py [--iterations N] [--repeat R]

Builds benchmarks/workload.c (a compute kernel with no peripheral access), runs it
(1) on bare Unicorn with only the memory map and a stop on the semihosting BKPT, and
(2) through the simulator (native block hook, events, full platform), and prints the
instructions per second of each and their ratio. Both runs execute the same instructions.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from unicorn import UC_ARCH_ARM, UC_HOOK_INTR, UC_MODE_MCLASS, UC_MODE_THUMB, Uc  # noqa: E402
from unicorn.arm_const import UC_ARM_REG_MSP, UC_CPU_ARM_CORTEX_M7  # noqa: E402

from simulator.elf import load_firmware  # noqa: E402
from simulator.machine import Machine, RunConfig  # noqa: E402
from simulator.platform import load_platform  # noqa: E402


def build(iterations: int, out: Path, data_in_axi: bool = False) -> Path:
    elf = out / ("workload_axi.elf" if data_in_axi else "workload.elf")
    subprocess.run(["arm-none-eabi-gcc", *(["-DDATA_IN_AXI_SRAM"] if data_in_axi else []), "-mcpu=cortex-m7", "-mthumb", "-mfpu=fpv5-d16",
                    "-mfloat-abi=hard", "-O2", "-g", "-nostdlib", "-nostartfiles",
                    f"-DITERATIONS={iterations}", "-I", str(ROOT / "firmware/common"), "-T", str(ROOT / "benchmarks/workload.ld"),
                    str(ROOT / "benchmarks/workload.c"), "-o", str(elf)], check=True)
    return elf


def raw_unicorn(elf: Path) -> float:
    fw = load_firmware(elf)
    platform = load_platform()
    uc = Uc(UC_ARCH_ARM, UC_MODE_THUMB | UC_MODE_MCLASS)
    uc.ctl_set_cpu_model(UC_CPU_ARM_CORTEX_M7)
    for r in platform.regions:
        uc.mem_map(r.base, r.size)
    for seg in fw.segments:
        if seg.data:
            uc.mem_write(seg.paddr, seg.data)
    sp, pc = __import__("struct").unpack("<II", uc.mem_read(platform.boot_address, 8))
    uc.reg_write(UC_ARM_REG_MSP, sp)
    uc.hook_add(UC_HOOK_INTR, lambda u, n, d: u.emu_stop())
    t = time.perf_counter()
    uc.emu_start(pc, 0xFFFFFF00)
    return time.perf_counter() - t


def simulated(elf: Path, **config) -> tuple[float, int]:
    m = Machine(load_firmware(elf), load_platform(), RunConfig(**config))
    t = time.perf_counter()
    r = m.run()
    dt = time.perf_counter() - t
    assert r.exit_reason == "exit" and r.exit_code == 0, r.diagnostic
    return dt, r.instructions


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--iterations", type=int, default=400, help="kernel repetitions (400 ~ 190 M instructions)")
    ap.add_argument("--repeat", type=int, default=3, help="runs of each; the best is kept")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        elf = build(args.iterations, Path(tmp))
        simulated(elf)                      # warm-up: numba cache, page faults
        raw = min(raw_unicorn(elf) for _ in range(args.repeat))
        variants = {
            "simulator, everything on": {},
            "  without stack tracking": {"watch_stack": False},
            "  without dynamic timing": {"dynamic_timing": False},
            "  with profiling": {"profile": True},
            "  without the D-cache model": {"dcache": "off"},
            "  D-cache measured throughout": {"dcache": "exact"},
        }
        times = {}
        for name, cfg in variants.items():
            runs = [simulated(elf, **cfg) for _ in range(args.repeat)]
            times[name] = min(r[0] for r in runs)
            n = runs[0][1]
        # the same kernel with its data in cacheable AXI SRAM: every load and store of a
        # measurement window goes through the D-cache model's memory hook
        axi = build(args.iterations, Path(tmp), data_in_axi=True)
        raw_axi = min(raw_unicorn(axi) for _ in range(args.repeat))
        axi_times = {name: min(simulated(axi, **cfg)[0] for _ in range(args.repeat))
                     for name, cfg in (("data in AXI SRAM, everything on", {}),
                                       ("  D-cache measured throughout", {"dcache": "exact"}))}
    full = times["simulator, everything on"]
    w = 33
    print(f"{'instructions':<{w}} {n:,}")
    print(f"{'raw unicorn':<{w}} {raw:.3f} s  {n / raw / 1e6:7.1f} M instr/s")
    for name, t in times.items():
        print(f"{name:<{w}} {t:.3f} s  {n / t / 1e6:7.1f} M instr/s  ratio to raw {raw / t:.2f}")
    print(f"{'raw unicorn, data in AXI SRAM':<{w}} {raw_axi:.3f} s  {n / raw_axi / 1e6:7.1f} M instr/s")
    for name, t in axi_times.items():
        print(f"{name:<{w}} {t:.3f} s  {n / t / 1e6:7.1f} M instr/s  ratio to raw {raw_axi / t:.2f}")
    mem_cost = full / times["  without stack tracking"] - 1
    prof_cost = times["  with profiling"] / full
    print(f"memory tracking costs {100 * mem_cost:.1f} % (RAM painting itself costs nothing per "
          "instruction)")
    print(f"profiling costs {prof_cost:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
