"""Fuzz target ``prio``: the order in which exceptions run, against the ARM ARM's rules.

A generated firmware sets a random AIRCR.PRIGROUP and random 4-bit priorities for NVIC IRQs
0-5 and PendSV, leaves some IRQs disabled, and from thread code pends sets of them with PRIMASK
and BASEPRI raised, lowered, and IRQs enabled later; each handler logs its entry and, on its
first entry only, pends further sets (DSB + ISB after each write, so the pended exception is
recognised before the next instruction; the NVIC_ISPR0 and ICSR writes of one set are two
steps: an IRQ may be taken between them), or executes UDF (UsageFault at a random level,
enabled or not: taken when its group priority preempts, else escalated to HardFault, B1.5.15;
both handlers skip the UDF and return), logging after each. The log of entries and steps is
compared with :func:`expected_log`, a model of ARMv7-M ARM (DDI 0403E.e) B1.5.4 written here
from its pseudocode, independent of simulator/exceptions.py:

- ExecutionPriority(): the highest group priority among active exceptions, boosted by BASEPRI
  (its group priority: BASEPRI - BASEPRI MOD groupvalue, groupvalue = 2 << PRIGROUP) and
  PRIMASK (0);
- a pending enabled exception preempts when its group priority is below (higher than) that;
- among pending exceptions the lowest priority value wins (group, then sub-priority), then the
  lowest exception number;
- on return the next pending exception that preempts the returned-to context is taken
  (tail-chaining, B1.5.12: the same order as returning then taking it).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path

from .fuzz_targets import Defect, _assemble, _firmware, _platform

N_IRQ = 6
PENDSV = 14
UDF = -1                                  # a step that executes UDF instead of pending
HARDFAULT, USAGEFAULT = 3, 6
AIRCR, ICSR, SHPR3, ISER0, ISPR0, IPR0 = (0xE000ED0C, 0xE000ED04, 0xE000ED20, 0xE000E100,
                                          0xE000E200, 0xE000E400)
SHPR1, SHCSR = 0xE000ED18, 0xE000ED24
LOG_MACRO = """
    .macro LOG v
    ldr r0, =logp
    ldr r1, [r0]
    movs r2, #\\v
    strb r2, [r1], #1
    str r1, [r0]
    .endm
"""


@dataclass
class PrioProgram:
    prigroup: int
    prio: dict[int, int]                  # exception number -> priority byte (4 bits used)
    enabled: set[int]                     # exception numbers enabled at the start
    thread: list[tuple[str, int]]         # (kind, argument): pend / basepri / cpsie / enable
    steps: dict[int, list[int]] = field(default_factory=dict)  # handler -> sets it pends
    primask: bool = False                 # the thread starts with CPSID i
    basepri: int = 0                      # ... and this BASEPRI
    usage: int = 0                        # UsageFault's priority byte (SHPR1)
    usage_enabled: bool = False           # SHCSR.USGFAULTENA


def entry_mark(n: int) -> int:
    if n in (HARDFAULT, USAGEFAULT):
        return ord("H" if n == HARDFAULT else "U")
    return ord("A") + (n - 16 if n >= 16 else N_IRQ)


def step_mark(n: int) -> int:
    return ord("a") + (n - 16 if n >= 16 else N_IRQ)


def prio_program(seed: int) -> PrioProgram:
    rng = random.Random(seed)
    prigroup = rng.choice([0, 3, 3, 4, 4, 5, 5, 6, 7])
    levels = rng.sample(range(16), rng.randrange(2, 5))     # few levels: ties are common
    numbers = [16 + i for i in range(N_IRQ)] + [PENDSV]
    prio = {n: rng.choice(levels) << 4 for n in numbers}
    enabled = {n for n in numbers if n == PENDSV or rng.random() < 0.8}

    def some() -> int:                                       # a set of exceptions, as a mask
        return sum(1 << (n - 16 if n >= 16 else 31) for n in numbers if rng.random() < 0.35)

    thread: list[tuple[str, int]] = [("pend", some() or 1)]
    for _ in range(rng.randrange(2, 6)):
        kind = rng.choice(["pend", "basepri", "cpsie", "enable"])
        if kind == "basepri":
            thread.append(("basepri", rng.choice([0, 0, rng.randrange(1, 16) << 4])))
        elif kind == "enable":
            thread.append(("enable", rng.randrange(N_IRQ)))
        else:
            thread.append((kind, some() if kind == "pend" else 0))
    thread += [("basepri", 0), ("cpsie", 0)]
    steps = {n: [some() for _ in range(rng.randrange(3))] for n in numbers}
    p = PrioProgram(prigroup, prio, enabled, thread, steps, rng.random() < 0.5,
                    rng.choice([0, rng.randrange(1, 16) << 4]))
    # faults, from their own generator (the programs above stay as they were): UDF in the
    # thread and in handlers, UsageFault at one of the levels, enabled or not
    more = random.Random(seed * 7919 + 29)
    p.usage = more.choice(levels) << 4
    p.usage_enabled = more.random() < 0.7
    if more.random() < 0.5:
        p.thread.insert(more.randrange(len(p.thread) + 1), ("udf", 0))
    for n in numbers:
        if more.random() < 0.3:
            p.steps[n].insert(more.randrange(len(p.steps[n]) + 1), UDF)
    return p


def _pend(mask: int) -> list[str]:
    if mask == UDF:
        return ["    udf #0"]
    # two stores are two moments: an IRQ pended by the first may be taken before the second
    # (nothing makes them one), so each is followed by DSB + ISB and the model pends in order
    out = []
    if mask & 0x3F:
        out += [f"    ldr r0, ={ISPR0:#x}", f"    ldr r1, ={mask & 0x3F:#x}", "    str r1, [r0]",
                "    dsb", "    isb"]
    if mask >> 31:
        out += [f"    ldr r0, ={ICSR:#x}", "    ldr r1, =0x10000000", "    str r1, [r0]",
                "    dsb", "    isb"]
    return out or ["    dsb", "    isb"]


def prio_source(p: PrioProgram) -> str:
    from .conftest import vector_table
    numbers = sorted(p.prio)
    src = LOG_MACRO + vector_table({HARDFAULT: "hfault", USAGEFAULT: "ufault",
                                    **{n: f"h{n}" for n in numbers}}) + "    .thumb_func\nreset:\n"
    lines = ["    ldr r0, =logp", "    ldr r1, =log", "    str r1, [r0]",
             "    ldr r0, =count", "    movs r1, #0"]
    lines += [f"    str r1, [r0, #{4 * i}]" for i in range(8)]
    lines += [f"    ldr r0, ={AIRCR:#x}", f"    ldr r1, ={0x05FA0000 | p.prigroup << 8:#x}",
              "    str r1, [r0]", f"    ldr r0, ={IPR0:#x}"]
    for n in numbers:
        if n >= 16:
            lines += [f"    movs r1, #{p.prio[n]:#x}", f"    strb r1, [r0, #{n - 16}]"]
    lines += [f"    ldr r0, ={SHPR3:#x}", f"    ldr r1, ={p.prio[PENDSV] << 16:#x}",
              "    str r1, [r0]", f"    ldr r0, ={SHPR1:#x}", f"    ldr r1, ={p.usage << 16:#x}",
              "    str r1, [r0]", f"    ldr r0, ={SHCSR:#x}",
              f"    ldr r1, ={(1 << 18) if p.usage_enabled else 0:#x}", "    str r1, [r0]"]
    if p.primask:
        lines.append("    cpsid i")
    lines += [f"    movs r0, #{p.basepri:#x}", "    msr basepri, r0"]
    en = sum(1 << (n - 16) for n in p.enabled if n >= 16)
    lines += [f"    ldr r0, ={ISER0:#x}", f"    ldr r1, ={en:#x}", "    str r1, [r0]",
              "    dsb", "    isb"]
    for k, (kind, arg) in enumerate(p.thread):
        if kind == "pend":
            lines += _pend(arg)
        elif kind == "basepri":
            lines += [f"    movs r0, #{arg:#x}", "    msr basepri, r0", "    isb"]
        elif kind == "cpsie":
            lines += ["    cpsie i", "    isb"]
        elif kind == "udf":
            lines += ["    udf #0"]
        else:
            lines += [f"    ldr r0, ={ISER0:#x}", f"    ldr r1, ={1 << arg:#x}", "    str r1, [r0]",
                      "    dsb", "    isb"]
        lines.append(f"    LOG {ord('0') + k}")
    src += "\n".join(lines) + "\n    movs r0, #0\n    b exit_r0\n    .ltorg\n"
    for i, n in enumerate(numbers):
        body = [f"    LOG {entry_mark(n)}", "    ldr r3, =count", f"    ldr r2, [r3, #{4 * i}]",
                "    adds r2, r2, #1", f"    str r2, [r3, #{4 * i}]", "    cmp r2, #1",
                f"    bne h{n}_end"]
        for mask in p.steps[n]:
            body += _pend(mask) + [f"    LOG {step_mark(n)}"]
        src += (f"    .thumb_func\nh{n}:\n" + "\n".join(body) + f"\nh{n}_end:\n    bx lr\n"
                "    .ltorg\n")
    # the fault handlers log, skip the UDF (stacked PC + 2; the thread runs on MSP) and clear
    # CFSR/HFSR (write one to clear)
    src += f"""    .thumb_func
hfault:
    LOG {ord("H")}
    b fskip
    .thumb_func
ufault:
    LOG {ord("U")}
fskip:
    tst lr, #4
    ite eq
    mrseq r0, msp
    mrsne r0, psp
    ldr r1, [r0, #24]
    adds r1, r1, #2
    str r1, [r0, #24]
    ldr r2, =0xE000ED28
    ldr r1, [r2]
    str r1, [r2]
    ldr r1, [r2, #4]
    str r1, [r2, #4]
    bx lr
    .ltorg
"""
    from .conftest import SEMIHOST_EXIT
    return (src + SEMIHOST_EXIT
            + "\n    .bss\n    .align 2\nlogp: .space 4\ncount: .space 32\nlog: .space 1024\n")


def expected_log(p: PrioProgram) -> str:
    """The ARM ARM's order (B1.5.4 pseudocode, see the module docstring)."""
    groupvalue = 2 << p.prigroup

    def group(pri: int) -> int:
        return pri - pri % groupvalue

    pending: set[int] = set()
    active: list[int] = []
    enabled = set(p.enabled)
    count: dict[int, int] = {}
    st = {"basepri": p.basepri, "primask": p.primask}
    log: list[str] = []

    def execution_priority() -> int:
        highest = min((group(p.prio[a]) for a in active), default=256)
        boosted = 256
        if st["basepri"]:
            boosted = group(st["basepri"])
        if st["primask"]:
            boosted = 0
        return min(highest, boosted)

    def fault() -> None:
        """UDF: a synchronous UsageFault, taken when enabled and its group priority preempts,
        else escalated to HardFault (B1.5.15); its handler returns at once."""
        if p.usage_enabled and group(p.usage) < execution_priority():
            n = USAGEFAULT
        else:
            n = HARDFAULT
        active.append(n)
        log.append(chr(entry_mark(n)))
        active.pop()
        check()

    def check() -> None:
        while True:
            cands = [n for n in pending if n in enabled]
            if not cands:
                return
            n = min(cands, key=lambda x: (p.prio[x], x))
            if group(p.prio[n]) >= execution_priority():
                return
            pending.discard(n)
            active.append(n)
            log.append(chr(entry_mark(n)))
            count[n] = count.get(n, 0) + 1
            if count[n] == 1:
                for mask in p.steps[n]:
                    if mask == UDF:
                        fault()
                    else:
                        pend(mask)
                    log.append(chr(step_mark(n)))
            active.pop()

    def pend(mask: int) -> None:
        if mask & 0x3F:
            pending.update(16 + i for i in range(N_IRQ) if mask >> i & 1)
            check()
        if mask >> 31:
            pending.add(PENDSV)
            check()

    check()
    for k, (kind, arg) in enumerate(p.thread):
        if kind == "pend":
            pend(arg)
        elif kind == "basepri":
            st["basepri"] = arg
            check()
        elif kind == "cpsie":
            st["primask"] = False
            check()
        elif kind == "udf":
            fault()
        else:
            enabled.add(16 + arg)
            check()
        log.append(chr(ord("0") + k))
    return "".join(log)


def prio_case(seed: int, workdir: Path) -> str:
    """Case ``seed``: run the program; its log must be :func:`expected_log`'s. Returns
    'same' (a :class:`Defect` otherwise)."""
    from simulator.machine import Machine, RunConfig

    p = prio_program(seed)
    elf = _assemble(workdir, prio_source(p), f"prio{seed}")
    fw = _firmware(elf, elf.stat().st_mtime_ns)
    m = Machine(fw, _platform(), RunConfig(max_cycles=2_000_000, timeout_s=60, dcache="off"))
    try:
        r = m.run()
        if r.exit_reason != "exit" or r.exit_code != 0:
            raise Defect(f"prio seed {seed}: ended with {r.exit_reason} {r.exit_code}: "
                         f"{r.diagnostic}")
        start = fw.symbol("log").addr
        end = int.from_bytes(m.uc.mem_read(fw.symbol("logp").addr, 4), "little")
        got = bytes(m.uc.mem_read(start, end - start)).decode("latin-1")
    finally:
        m.release()
    want = expected_log(p)
    if got != want:
        raise Defect(f"prio seed {seed} (PRIGROUP {p.prigroup}): log {got!r}, the ARM ARM's "
                     f"order {want!r}")
    for ext in ("s", "o", "ld", "elf"):
        elf.with_suffix(f".{ext}").unlink(missing_ok=True)
    return "same"
