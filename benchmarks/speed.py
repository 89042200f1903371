"""Simulation speed: the issue-14 targets, each measured in this one run.

    python benchmarks/speed.py [--iterations N] [--repeat R] [--only kernel,hal,startup,aligner]
                               [--clip WAV --text TEXT]

kernel   benchmarks/workload.c (a compute kernel, no peripheral access) on bare Unicorn
         (memory map + a stop on the semihosting BKPT) and through the simulator (native
         block hook, events, full platform): instructions per second and their ratio.
         Target: ratio >= 0.6 with everything on. The kernel runs from flash with the
         caches off (the TARGET line); also shown: data in AXI SRAM, and the I- and D-caches
         on as CMSIS start-up code leaves them (-DCACHES_ON).
startup  CPU seconds from a fresh interpreter to a machine ready to run the aligner ELF, with
         an empty and a warm cache (simulator/cache.py).
hal      firmware/build/hal_poll.elf (HAL-style: clock set-up polling ready flags, UART
         printf polling TXE, SysTick delays): simulated instructions per host second of the
         run, with poll-loop skipping on (default) and off. Target: >= 20 M/s.
aligner  firmware/build/aligner.elf on a ~10 s clip (espeak-ng, or --clip/--text) through
         the CLI in a fresh process, start-up included: clip seconds per host second
         (the best of --repeat runs, after one that warms the caches; the .pyc files of
         the simulator's modules are written first, as an installed package has them).
         Target: >= 4x real time.
dside    the same clip's run (simulator.api.simulate, CPU s, in this process) with the D-cache
         model off, sampled (default) and measuring every access, and with the DMA buffer's
         read watch as a Unicorn memory hook (how it was before its pages were remapped:
         simulator/read_watch.py): what the D-side windows and the watch cost.

Host time is shown two ways: wall clock, and the CPU time of this process (or of the CLI
child): on a shared machine the CPU time is the one that does not depend on the load.
Build the firmware first (make -C firmware).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from unicorn import UC_ARCH_ARM, UC_HOOK_INTR, UC_MODE_MCLASS, UC_MODE_THUMB, Uc  # noqa: E402
from unicorn.arm_const import UC_ARM_REG_MSP, UC_CPU_ARM_CORTEX_M7  # noqa: E402

import numpy as np  # noqa: E402

from simulator.elf import load_firmware  # noqa: E402
from simulator.machine import Machine, RunConfig  # noqa: E402
from simulator.platform import load_platform  # noqa: E402


def build(iterations: int, out: Path, data_in_axi: bool = False, caches_on: bool = False) -> Path:
    elf = out / f"workload{'_axi' if data_in_axi else ''}{'_cached' if caches_on else ''}.elf"
    defines = [*(["-DDATA_IN_AXI_SRAM"] if data_in_axi else []),
               *(["-DCACHES_ON"] if caches_on else [])]
    subprocess.run(["arm-none-eabi-gcc", *defines, "-mcpu=cortex-m7", "-mthumb", "-mfpu=fpv5-d16",
                    "-mfloat-abi=hard", "-O2", "-g", "-nostdlib", "-nostartfiles",
                    f"-DITERATIONS={iterations}", "-I", str(ROOT / "firmware/common"), "-T", str(ROOT / "benchmarks/workload.ld"),
                    str(ROOT / "benchmarks/workload.c"), "-o", str(elf)], check=True)
    return elf


def _counting_hook() -> int:
    """Address of the least a native block hook can do: count the block. Written in LLVM IR
    by hand (simulator/llvm_ir.py), like the simulator's own block hook (block_front.py), so
    no numba C wrapper is measured: raw Unicorn plus this hook is the ceiling of any simulator
    that accounts time per block through a Unicorn block hook."""
    from llvmlite import ir

    from simulator import llvm_ir

    def module() -> ir.Module:
        i64, i8p = ir.IntType(64), ir.IntType(8).as_pointer()
        mod = ir.Module(name="h7sim_counting_hook")
        fn = ir.Function(mod, ir.FunctionType(ir.VoidType(), [i8p, i64, ir.IntType(32), i8p]),
                         "h7sim_count_block")
        b = ir.IRBuilder(fn.append_basic_block("entry"))
        count = b.bitcast(fn.args[3], i64.as_pointer())
        b.store(b.add(b.load(count), ir.Constant(i64, 1)), count)
        b.ret_void()
        return mod

    import llvmlite.binding as ll
    tm = llvm_ir.host_target_machine()             # compiled each time (~10 ms): not cached
    out = llvm_ir.load_object(tm.emit_object(ll.parse_assembly(str(module()))), tm,
                              ("h7sim_count_block",))
    assert out is not None, "llvmlite cannot compile the counting hook"
    _KEEP.append(out["h7sim_count_block"])
    return out["h7sim_count_block"]


_KEEP: list = []                        # compiled hooks stay alive while Unicorn may call them


def raw_unicorn(elf: Path, counting_hook: bool = False) -> float:
    """CPU seconds of the kernel on bare Unicorn (its memory map, a stop at the semihosting
    BKPT), optionally with a native block hook that only counts blocks."""
    fw = load_firmware(elf)
    platform = load_platform()
    uc = Uc(UC_ARCH_ARM, UC_MODE_THUMB | UC_MODE_MCLASS)
    uc.ctl_set_cpu_model(UC_CPU_ARM_CORTEX_M7)
    for r in platform.regions:
        uc.mem_map(r.base, r.size)
    uc.mem_map(0xE0000000, 0x100000)    # the PPB as plain memory: cache enable writes land there
    for seg in fw.segments:
        if seg.data:
            uc.mem_write(seg.paddr, seg.data)
    sp, pc = __import__("struct").unpack("<II", uc.mem_read(platform.boot_address, 8))
    uc.reg_write(UC_ARM_REG_MSP, sp)
    uc.hook_add(UC_HOOK_INTR, lambda u, n, d: u.emu_stop())
    blocks = np.zeros(1, dtype=np.int64)
    if counting_hook:
        from unicorn import UC_HOOK_BLOCK

        from simulator.native import add_native_hook
        address = _KEEP[-1] if _KEEP else _counting_hook()
        add_native_hook(uc, UC_HOOK_BLOCK, address, blocks.ctypes.data)
    t = time.process_time()
    uc.emu_start(pc, 0xFFFFFF00)
    dt = time.process_time() - t
    _BLOCKS[0] = int(blocks[0])
    return dt


_BLOCKS = [0]                           # blocks the counting hook saw in its last run


def simulated(elf: Path, **config) -> tuple[float, int]:
    m = Machine(load_firmware(elf), load_platform(), RunConfig(**config))
    t = time.process_time()
    r = m.run()
    dt = time.process_time() - t
    assert r.exit_reason == "exit" and r.exit_code == 0, r.diagnostic
    return dt, r.instructions


FIRMWARE = ROOT / "firmware/build"
CLIP_TEXT = ("the quick brown fox jumps over the lazy dog while the small cat sleeps near the "
             "warm fire and the old man reads a long book about the history of the northern "
             "mountains")


def verdict(value: float, target: float) -> str:
    return f"target >= {target:g}: {'MET' if value >= target else 'NOT MET'}"


def hal(repeat: int) -> None:
    """HAL-style polling program: simulated instructions per host second of the run."""
    elf = FIRMWARE / "hal_poll.elf"
    if not elf.exists():
        print("hal: firmware/build/hal_poll.elf missing (make -C firmware)")
        return
    simulated(elf)                                   # warm-up
    rows = []
    for name, cfg in (("poll skipping on", {}), ("poll skipping off", {"poll_skip": False})):
        best = None
        for _ in range(repeat):
            m = Machine(load_firmware(elf), load_platform(), RunConfig(**cfg))
            w0, c0 = time.perf_counter(), time.process_time()
            r = m.run()
            wall, cpu = time.perf_counter() - w0, time.process_time() - c0
            assert r.exit_reason == "exit" and r.exit_code == 0, r.diagnostic
            if best is None or cpu < best[1]:
                best = (wall, cpu, r)
        rows.append((name, *best))
    w = 33
    print(f"{'hal_poll instructions':<{w}} {rows[0][3].instructions:,} "
          f"({rows[0][3].seconds * 1e3:.1f} ms simulated)")
    for name, wall, cpu, r in rows:
        print(f"{'hal_poll, ' + name:<{w}} wall {wall:.3f} s  {r.instructions / wall / 1e6:7.1f} M "
              f"instr/s   cpu {cpu:.3f} s  {r.instructions / cpu / 1e6:7.1f} M instr/s")
    wall, cpu, r = rows[0][1:]
    print(f"TARGET hal_poll simulated instructions/s: {r.instructions / cpu / 1e6:.1f} M "
          f"(cpu; wall {r.instructions / wall / 1e6:.1f} M)  {verdict(r.instructions / cpu, 20e6)}")


def aligner(clip: Path | None, text: str | None, tmp: Path, repeat: int = 1) -> None:
    """The aligner on a ~10 s clip through the CLI, start-up included (the run of least CPU
    time of ``repeat``, after one that warms the caches)."""
    elf = FIRMWARE / "aligner.elf"
    if not elf.exists():
        print("aligner: firmware/build/aligner.elf missing (make -C firmware)")
        return
    clip, text = _clip(clip, text, tmp)
    if clip is None:
        return
    import soundfile
    info = soundfile.info(str(clip))
    seconds = info.frames / info.samplerate
    cmd = [sys.executable, "-m", "simulator.cli", str(elf), "--audio", str(clip), "-q",
           "--json", str(tmp / "aligner.json")]
    if text:
        cmd += ["--text", text]
    compile_bytecode()
    subprocess.run(cmd, cwd=ROOT, check=False, capture_output=True)      # warm the caches
    import json
    cpu = wall = float("inf")
    rep: dict = {}
    for _ in range(max(repeat, 1)):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        w0 = time.perf_counter()
        p = subprocess.run(cmd, cwd=ROOT, check=False, capture_output=True, text=True)
        w = time.perf_counter() - w0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        c = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        if p.returncode != 0:
            print(f"aligner: the CLI exited {p.returncode}: {p.stderr.strip()[-300:]}")
        if c < cpu and (tmp / "aligner.json").exists():
            cpu, wall = c, w
            rep = json.loads((tmp / "aligner.json").read_text())
    run_wall = rep["host"]["wall_s"]
    print(f"{'aligner clip':<33} {seconds:.2f} s audio, {rep['summary']['instructions']:,} "
          f"instructions")
    print(f"{'aligner, whole CLI process':<33} best of {max(repeat, 1)}: "
          f"wall {wall:.2f} s ({seconds / wall:.2f}x real "
          f"time)   cpu {cpu:.2f} s ({seconds / cpu:.2f}x real time)")
    print(f"{'  of which the run':<33} wall {run_wall:.2f} s; start-up and report "
          f"{wall - run_wall:.2f} s")
    print(f"TARGET aligner real-time factor incl. start-up: {seconds / cpu:.2f}x (cpu; wall "
          f"{seconds / wall:.2f}x)  {verdict(seconds / cpu, 4)}")


# the source trees a simulator run imports from (firmware/model: the aligner app's text
# front end, simulator/apps/aligner.py)
SOURCE_DIRS = ("simulator", "peripherals", "firmware/model")


def compile_bytecode() -> None:
    """Write the .pyc files of the simulator's own modules, as ``pip install`` does for an
    installed package (compileall writes them even under PYTHONDONTWRITEBYTECODE=1, which
    otherwise leaves a source checkout recompiling every module at every start-up: ~0.15 CPU s
    of an aligner run, docs/speed.md round 5). Files already up to date are left alone."""
    import compileall
    for d in SOURCE_DIRS:
        compileall.compile_dir(str(ROOT / d), quiet=1)


def _clip(clip: Path | None, text: str | None, tmp: Path) -> tuple[Path | None, str | None]:
    if clip is not None:
        return clip, text
    if shutil.which("espeak-ng") is None:
        print("aligner: no --clip given and espeak-ng is not installed")
        return None, None
    clip = tmp / "clip10.wav"
    if not clip.exists():
        subprocess.run(["espeak-ng", "-v", "en-us", "-s", "150", "-w", str(clip), CLIP_TEXT],
                       check=True)
    return clip, CLIP_TEXT


def dside(clip: Path | None, text: str | None, tmp: Path) -> None:
    """CPU seconds of the aligner's run by D-side variant (see the module docstring)."""
    from simulator import api
    from simulator.bus import Bus
    clip, text = _clip(clip, text, tmp)
    elf = FIRMWARE / "aligner.elf"
    if clip is None or not elf.exists():
        return

    inside = [0.0]                                   # CPU s inside Uc.emu_start
    emu_start = Uc.emu_start

    def timed_emu_start(self, *args, **kwargs):
        t0 = time.process_time()
        try:
            return emu_start(self, *args, **kwargs)
        finally:
            inside[0] += time.process_time() - t0

    def run(dcache: str) -> tuple[float, int, float]:
        inputs = api.load_inputs(elf, audio=clip, text=text)
        inside[0] = 0.0
        Uc.emu_start = timed_emu_start
        try:
            t = time.process_time()
            r = api.simulate(inputs, api.Options(dcache=dcache)).result
            return time.process_time() - t, r.cycles, inside[0]
        finally:
            Uc.emu_start = emu_start

    run("off")                                       # warm-up: caches, numba
    rows = {mode: run(mode) for mode in ("off", "sampled", "exact")}
    remap = Bus.host_address
    Bus.host_address = lambda self, base, size: None   # the watch falls back to a hook
    try:
        rows["sampled, read watch as a hook"] = run("sampled")
    finally:
        Bus.host_address = remap
    off = rows["off"][0]
    for name, (cpu, cycles, emu) in rows.items():
        print(f"{'aligner run, D-cache ' + name:<45} cpu {cpu:6.2f} s  {cpu / off:5.2f}x the run "
              f"without the D-cache model  ({cycles:,} cycles; {emu:.2f} s inside emu_start: "
              f"Unicorn, the native hooks and the Python callbacks made from inside it)")


STARTUP = ("import time; t = time.process_time(); import sys; sys.path.insert(0, {root!r}); "
           "from simulator.elf import load_firmware; from simulator.platform import load_platform; "
           "from simulator.machine import Machine, RunConfig; "
           "m = Machine(load_firmware({elf!r}), load_platform(), RunConfig()); "
           "m.fw.describe(m.fw.symbol('main').addr); print(time.process_time() - t)")


IMPORTS = ("import time; t = time.process_time(); import sys; sys.path.insert(0, {root!r}); "
           "import numpy, unicorn; import simulator.native, simulator.dcache, "
           "simulator.mmio_native; print(time.process_time() - t)")


def startup(tmp: Path) -> None:
    """CPU seconds from a fresh interpreter to a machine ready to run the aligner (imports,
    ELF, code tables, peripherals, first DWARF lookup), with an empty and a warm cache."""
    elf = FIRMWARE / "aligner.elf"
    compile_bytecode()
    code = STARTUP.format(root=str(ROOT), elf=str(elf))
    env = {**os.environ, "H7SIM_CACHE_DIR": str(tmp / "cache")}
    cold = float(subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                                text=True, check=True).stdout)
    warm = float(subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                                text=True, check=True).stdout)
    floor = float(subprocess.run([sys.executable, "-c", IMPORTS.format(root=str(ROOT))], env=env,
                                 capture_output=True, text=True, check=True).stdout)
    print(f"{'start-up (aligner ELF), cpu':<33} empty cache {cold:.2f} s, warm cache {warm:.2f} s")
    print(f"{'  of which imports alone':<33} {floor:.2f} s (numpy, unicorn and the compiled "
          "hooks from the cache, simulator/jit.py: the floor of any process)")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--iterations", type=int, default=400, help="kernel repetitions (400 ~ 190 M instructions)")
    ap.add_argument("--repeat", type=int, default=3, help="runs of each; the best is kept")
    ap.add_argument("--only", default="kernel,hal,startup,aligner,dside",
                    help="comma-separated parts to run")
    ap.add_argument("--clip", type=Path, help="aligner clip (default: a 10.7 s espeak-ng clip)")
    ap.add_argument("--text", help="transcript of --clip")
    args = ap.parse_args()
    parts = set(args.only.split(","))
    with tempfile.TemporaryDirectory() as tmp:
        if "hal" in parts:
            hal(args.repeat)
        if "startup" in parts:
            startup(Path(tmp))
        if "aligner" in parts:
            aligner(args.clip, args.text, Path(tmp), args.repeat)
        if "dside" in parts:
            dside(args.clip, args.text, Path(tmp))
        if "kernel" in parts:
            kernel(args, Path(tmp))
    return 0


def kernel(args: argparse.Namespace, tmp: Path) -> None:
    elf = build(args.iterations, tmp)
    simulated(elf)                      # warm-up: numba cache, page faults
    # raw Unicorn and the simulator alternate, so that both see the same load on a shared
    # machine (a load that slows only the raw runs inflates the ratio)
    load = os.getloadavg()[0]
    raws, fulls = [], []
    for _ in range(args.repeat):
        raws.append(raw_unicorn(elf))
        fulls.append(simulated(elf))
    raw = min(raws)
    hooked = min(raw_unicorn(elf, counting_hook=True) for _ in range(args.repeat))
    blocks = _BLOCKS[0]
    variants = {
        "  without stack tracking": {"watch_stack": False},
        "  without dynamic timing": {"dynamic_timing": False},
        "  with profiling": {"profile": True},
        "  without the D-cache model": {"dcache": "off"},
        "  D-cache measured throughout": {"dcache": "exact"},
    }
    times = {"simulator, everything on": min(t for t, _ in fulls)}
    n = fulls[0][1]
    for name, cfg in variants.items():
        runs = [simulated(elf, **cfg) for _ in range(args.repeat)]
        times[name] = min(r[0] for r in runs)
        n = runs[0][1]
    # the same kernel with its data in cacheable AXI SRAM: every load and store of a
    # measurement window goes through the D-cache model's memory hook
    axi = build(args.iterations, tmp, data_in_axi=True)
    raw_axi = min(raw_unicorn(axi) for _ in range(args.repeat))
    axi_times = {name: min(simulated(axi, **cfg)[0] for _ in range(args.repeat))
                 for name, cfg in (("data in AXI SRAM, everything on", {}),
                                   ("  D-cache measured throughout", {"dcache": "exact"}))}
    # the same kernel with the I- and D-caches on, as CMSIS start-up code (SystemInit,
    # SCB_EnableICache/DCache) leaves a real H743 program: cached instruction fetch
    cached = build(args.iterations, tmp, caches_on=True)
    raw_cached = min(raw_unicorn(cached) for _ in range(args.repeat))
    cached_times = {name: min(simulated(cached, **cfg) for _ in range(args.repeat))
                    for name, cfg in (("caches on, everything on", {}),
                                      ("  without the D-cache model", {"dcache": "off"}))}
    n_cached = next(iter(cached_times.values()))[1]
    full = times["simulator, everything on"]
    w = 33
    print(f"{'load average (1 min) at start':<{w}} {load:.1f} (raw Unicorn's time rises with "
          "it: compare its line with an idle run before quoting the ratio)")
    print(f"{'instructions':<{w}} {n:,}")
    print(f"{'raw unicorn':<{w}} {raw:.3f} s  {n / raw / 1e6:7.1f} M instr/s")
    print(f"{'raw unicorn + a counting hook':<{w}} {hooked:.3f} s  {n / hooked / 1e6:7.1f} M "
          f"instr/s  ratio to raw {raw / hooked:.2f} (the ceiling of a per-block hook; "
          f"{blocks:,} blocks)")
    for name, t in times.items():
        print(f"{name:<{w}} {t:.3f} s  {n / t / 1e6:7.1f} M instr/s  ratio to raw {raw / t:.2f}")
    print(f"{'raw unicorn, data in AXI SRAM':<{w}} {raw_axi:.3f} s  {n / raw_axi / 1e6:7.1f} M instr/s")
    for name, t in axi_times.items():
        print(f"{name:<{w}} {t:.3f} s  {n / t / 1e6:7.1f} M instr/s  ratio to raw {raw_axi / t:.2f}")
    print(f"{'raw unicorn, caches on':<{w}} {raw_cached:.3f} s  "
          f"{n_cached / raw_cached / 1e6:7.1f} M instr/s")
    for name, (t, _) in cached_times.items():
        print(f"{name:<{w}} {t:.3f} s  {n_cached / t / 1e6:7.1f} M instr/s  ratio to raw "
              f"{raw_cached / t:.2f}")
    mem_cost = full / times["  without stack tracking"] - 1
    prof_cost = times["  with profiling"] / full
    print(f"memory tracking costs {100 * mem_cost:.1f} % (RAM painting itself costs nothing per "
          "instruction)")
    print(f"profiling costs {prof_cost:.2f}x")
    if blocks:
        print(f"simulator's cost per block beyond counting it: "
              f"{(full - hooked) / blocks * 1e9:.1f} ns everything on, "
              f"{(times['  without the D-cache model'] - hooked) / blocks * 1e9:.1f} ns without "
              f"the D-cache model")
    print(f"TARGET integer kernel, everything on, ratio to raw Unicorn: {raw / full:.2f}  "
          f"{verdict(raw / full, 0.6)}")


if __name__ == "__main__":
    sys.exit(main())
