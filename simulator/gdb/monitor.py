"""``monitor`` commands (gdb's qRcmd): what the run has cost so far, read while halted.

None of them changes the run: the RAM figures are computed on a copy of the tracker's
bookkeeping, the energy on a copy of the open time segment.
"""

from __future__ import annotations

import copy

from unicorn.arm_const import UC_ARM_REG_PC, UC_ARM_REG_XPSR

from .. import native

HELP = """monitor commands:
  cycles    core cycles and instructions so far (before the instruction at the PC)
  time      simulated seconds so far, and the core clock
  ram       peak RAM so far, per region (static + stack + heap + other written words)
  energy    energy and average power so far (datasheet current tables)
  profile   top functions by cycles so far (needs: simulate profile FIRMWARE.elf --gdb)
  isr-step into|over
            what a single step does when an exception is entered during it: 'over' (default)
            runs the handler to its return unseen and stops after the stepped instruction;
            'into' stops at the handler's first instruction
  reset     system reset (peripherals and core; RAM keeps its contents); stays halted
  halt-clock real|frozen|SECONDS
            how long a halt lasts for the timers and watchdogs whose DBGMCU freeze bit is 0
            (they keep counting on silicon, e.g. an IWDG expires at a long breakpoint):
            'real' (default) the halt's wall time, 'frozen' none, or SECONDS per halt
  help      this text
"""


def monitor(server, text: str) -> str:
    words = text.split()
    if not words:
        return HELP
    cmd = words[0].lower()
    fn = {"cycles": _cycles, "time": _time, "ram": _ram, "energy": _energy,
          "profile": _profile, "reset": _reset, "isr-step": _isr_step,
          "halt-clock": _halt_clock,
          "help": lambda s, w: HELP}.get(cmd)
    if fn is None:
        return f"unknown monitor command {cmd!r}\n" + HELP
    return fn(server, words[1:])


def _now(server) -> tuple[int, int]:
    """(cycles, instructions) before the instruction at the PC: halted in the middle of a
    block, the rest of the block (counted when it began) is taken back."""
    m = server.m
    c = m.counter
    cycles, insns = c.cycles, c.instructions
    if server._mid_block:
        pc = int(m.uc.reg_read(UC_ARM_REG_PC)) & ~1
        start = int(c.state[native.BLOCK_ADDR])
        end = start + int(c.state[native.BLOCK_SIZE])
        if start <= pc < end:
            _, rest_insns = c.cost_between(pc, end)
            cycles, insns = c.cycle_at(pc), insns - rest_insns
    return cycles, insns


def _cycles(server, _args) -> str:
    cycles, insns = _now(server)
    return f"cycles {cycles:,}  instructions {insns:,}\n"


def _time(server, _args) -> str:
    m = server.m
    cycles, _ = _now(server)
    secs = m.now_seconds() - (m.now() - cycles) / m.core_hz
    return f"time {secs:.9f} s  core clock {m.core_hz / 1e6:g} MHz\n"


def _ram(server, _args) -> str:
    ram = server.m.ram
    saved = copy.copy(vars(ram))
    samples = list(ram.samples)
    try:
        rep = ram.report()
    finally:
        vars(ram).clear()
        vars(ram).update(saved)
        ram.samples[:] = samples
    lines = [f"peak RAM so far {rep['peak_ram_bytes']:,} B"]
    for name, info in rep["regions"].items():
        lines.append(f"  {name:<10} {info['peak_bytes']:>10,} B  (static {info['static_bytes']:,}"
                     f", stack {info['stack_bytes']:,}, heap {info['heap_bytes']:,}, other "
                     f"{info['other_touched_bytes']:,})")
    return "\n".join(lines) + "\n"


SEGMENT_STATE = ("segments", "_seg_code", "_seg_power", "_seg_hz", "_seg_start",
                 "_seg_seconds_start", "_seg_state", "_seg_wake_from")


def _energy(server, _args) -> str:
    from ..power import PowerModelError, energy
    m = server.m
    saved = {k: copy.copy(getattr(m, k)) for k in SEGMENT_STATE}
    try:
        m._close_segment()
        segments = list(m.segments)
    finally:
        for k, v in saved.items():
            setattr(m, k, v)
    try:
        e = energy(segments, m.platform.revision)
    except PowerModelError as exc:
        return f"energy: the power model cannot say: {exc}\n"
    return (f"energy {e.total_joules * 1e3:.6f} mJ over {e.seconds:.6f} s  "
            f"average power {e.average_power_w * 1e3:.3f} mW (VDD {e.vdd:g} V)\n")


def _profile(server, args) -> str:
    m = server.m
    if not m.config.profile:
        return ("profile: this run has no profiling counters; start it with "
                "`simulate profile FIRMWARE.elf --gdb`\n")
    top = int(args[0]) if args and args[0].isdigit() else 10
    by_fn: dict[str, int] = {}
    total = 0
    for addr, _execs, cycles in m.counter.profile()["blocks"]:
        f = m.fw.function_at(addr)
        name = f.name if f is not None else f"{addr:#010x}"
        by_fn[name] = by_fn.get(name, 0) + cycles
        total += cycles
    rows = sorted(by_fn.items(), key=lambda kv: -kv[1])[:top]
    lines = [f"top functions by self cycles so far ({total:,} cycles in code):"]
    for name, cyc in rows:
        lines.append(f"  {cyc:>14,}  {100.0 * cyc / max(total, 1):5.1f} %  {name}")
    return "\n".join(lines) + "\n"


def _isr_step(server, args) -> str:
    if args and args[0] in ("into", "over"):
        server.isr_step = args[0]
    elif args:
        return "isr-step takes 'into' or 'over'\n"
    return f"isr-step {server.isr_step}\n"


def _reset(server, _args) -> str:
    """A system reset as SYSRESETREQ does it (machine._system_reset without the reset
    counting): peripherals, NVIC and core registers, then the reset vector."""
    m = server.m
    m._reset_chip()
    m._reset_core_registers()
    m.sleeping = False
    m.lowpower.mode = None
    m._boot()
    m.uc.reg_write(UC_ARM_REG_XPSR, 1 << 24)
    m.counter.forget_previous_block()
    server._moved = True
    m.uc.ctl_flush_tb()
    return f"reset: pc {int(m.uc.reg_read(UC_ARM_REG_PC)):#010x}\n"


def _halt_clock(server, args) -> str:
    if args:
        mode = args[0].lower()
        if mode in ("real", "frozen"):
            server.halt_clock = mode
        else:
            try:
                value = float(mode)
            except ValueError:
                return "halt-clock: real, frozen or a number of seconds\n"
            if not value >= 0 or value == float("inf"):
                return "halt-clock: real, frozen or a number of seconds\n"
            server.halt_clock = value
    return f"halt-clock {server.halt_clock}\n"
