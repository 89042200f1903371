"""Priority grouping, BASEPRI and the order of pending exceptions, run as firmware.

Oracle: ARMv7-M Architecture Reference Manual (DDI 0403E.e) B1.5.4 "Exception priorities and
preemption": AIRCR.PRIGROUP splits each priority into a group priority (bits [7:PRIGROUP+1])
and a sub-priority (bits [PRIGROUP:0]); only the group priority decides preemption ("an
exception preempts when its group priority is higher than the execution priority"); among
pending exceptions the one with the highest group priority, then the highest sub-priority,
then the lowest exception number is taken first; BASEPRI masks by its group priority too
(ExecutionPriority(): boostedpri = BASEPRI - (BASEPRI MOD groupvalue)). B5.2.3 MSR: a write to
BASEPRI_MAX changes BASEPRI only when the value is non-zero and BASEPRI is zero or higher.
The STM32H7 implements 4 priority bits (RM0433 / PM0253 4.3.7: bits [7:4]; [3:0] read as
zero). HAL_Init() sets NVIC_PRIORITYGROUP_4 (PRIGROUP = 3: all four bits are group bits).

Each handler and the thread append a letter to `log` (LOG macro); the test compares the log.
"""

from __future__ import annotations

import pytest

from .conftest import SEMIHOST_EXIT_AND_LOG, build_asm, vector_table
from .conftest import run_log as run_elf_log
from .fuzz_priority import LOG_MACRO as FUZZ_LOG_MACRO

LOG_MACRO = FUZZ_LOG_MACRO + """
    .macro PEND mask                @ NVIC_ISPR0, then DSB + ISB: taken before what follows
    ldr r0, =0xE000E200
    ldr r1, =\\mask
    str r1, [r0]
    dsb
    isb
    .endm
"""

AIRCR, SHPR3, IPR0, ISER0 = 0xE000ED0C, 0xE000ED20, 0xE000E400, 0xE000E100


def setup(prigroup: int, irq_prios: dict[int, int], shpr3: int = 0) -> str:
    """Thread code: PRIGROUP, the IRQs' priorities (NVIC_IPR bytes), enable them (ISER0)."""
    lines = [f"    ldr r0, ={AIRCR:#x}", f"    ldr r1, ={0x05FA0000 | prigroup << 8:#x}",
             "    str r1, [r0]", f"    ldr r0, ={IPR0:#x}"]
    for irq, p in irq_prios.items():
        lines += [f"    movs r1, #{p:#x}", f"    strb r1, [r0, #{irq}]"]
    lines += [f"    ldr r0, ={SHPR3:#x}", f"    ldr r1, ={shpr3:#x}", "    str r1, [r0]",
              f"    ldr r0, ={ISER0:#x}", f"    ldr r1, ={sum(1 << i for i in irq_prios):#x}",
              "    str r1, [r0]", "    ldr r0, =logp", "    ldr r1, =log", "    str r1, [r0]"]
    return "\n".join(lines) + "\n"


def run_log(tmp_path, thread: str, handlers: dict[int, str]) -> str:
    """Build and run: ``handlers`` maps an exception number to its body (``bx lr`` added);
    the log as text."""
    src = (LOG_MACRO + vector_table({n: f"h{n}" for n in handlers}) + "    .thumb_func\nreset:\n"
           + thread + "\n    movs r0, #0\n    b exit_r0\n    .ltorg\n")
    for n, body in handlers.items():
        src += f"    .thumb_func\nh{n}:\n{body}\n    bx lr\n    .ltorg\n"
    src += SEMIHOST_EXIT_AND_LOG
    _, logged = run_elf_log(build_asm(tmp_path, src), max_cycles=2_000_000)
    return logged.decode("latin-1")


def log(letter: str) -> str:
    return f"    LOG {ord(letter)}\n"


@pytest.mark.parametrize("prigroup,expected", [
    (3, "acb"),    # NVIC_PRIORITYGROUP_4 (HAL_Init): groups 0x60, 0x40: IRQ 1 preempts
    (4, "acb"),    # group bits [7:5]: 0x60 vs 0x40 still differ
    (5, "abc"),    # group bits [7:6]: both group 0x40 (sub-priorities 0x20, 0x00): no preemption
    (7, "abc"),    # no group bits: nothing preempts anything
])
def test_group_priority_alone_decides_preemption(tmp_path, prigroup, expected):
    """IRQ 0 (priority 0x60) pends IRQ 1 (0x40). B1.5.4: with PRIGROUP = 5 the two share group
    priority 0x40 and IRQ 1 waits for IRQ 0 to return, although its priority value is lower;
    with PRIGROUP <= 4 its group priority is higher and it preempts at once."""
    thread = setup(prigroup, {0: 0x60, 1: 0x40}) + "    PEND 1\n" + log("z")
    got = run_log(tmp_path, thread, {16: log("a") + "    PEND 2\n" + log("b"), 17: log("c")})
    assert got == expected + "z"


def test_pending_order_is_group_then_subpriority_then_number(tmp_path):
    """PRIGROUP 5 (group [7:6]); PRIMASK held while IRQ 0-3 (0x70, 0x50, 0x40, 0x50) and
    PendSV (0x50) are pended, then released. B1.5.4: all share group priority 0x40, so none
    preempts another; they run by sub-priority (0x40 first, 0x70 last) and, at equal priority,
    by exception number: PendSV (14) before IRQ 1 (17) before IRQ 3 (19)."""
    thread = (setup(5, {0: 0x70, 1: 0x50, 2: 0x40, 3: 0x50}, shpr3=0x50 << 16) + "    cpsid i\n"
              "    ldr r0, =0xE000ED04\n    ldr r1, =0x10000000\n    str r1, [r0]\n"  # PENDSVSET
              "    PEND 0xF\n" + log("y") + "    cpsie i\n    isb\n" + log("z"))
    got = run_log(tmp_path, thread, {14: log("p"), 16: log("a"), 17: log("b"), 18: log("c"),
                                     19: log("d")})
    assert got == "ycpbdaz"


@pytest.mark.parametrize("prigroup,expected", [
    (3, "baxz"),   # BASEPRI 0x60 masks 0x60 and lower: IRQ 0 (0x50) is taken at once
    (5, "bxaz"),   # BASEPRI's group is 0x40: IRQ 0 (0x50, group 0x40) waits for BASEPRI = 0
])
def test_basepri_masks_by_group_priority(tmp_path, prigroup, expected):
    """BASEPRI = 0x60 with IRQ 0 at 0x50 and IRQ 1 at 0x30 both pending. B1.5.4
    ExecutionPriority(): BASEPRI counts with its group priority, so with PRIGROUP = 5 (group
    [7:6]) it masks everything of group 0x40, 0x50 included; IRQ 1 (group 0) is taken."""
    thread = (setup(prigroup, {0: 0x50, 1: 0x30}) + "    movs r0, #0x60\n    msr basepri, r0\n"
              "    PEND 3\n" + log("x") + "    movs r0, #0\n    msr basepri, r0\n    isb\n"
              + log("z"))
    assert run_log(tmp_path, thread, {16: log("a"), 17: log("b")}) == expected


def test_basepri_max_only_raises_the_priority(tmp_path):
    """B5.2.3 MSR BASEPRI_MAX: written only when non-zero and BASEPRI is 0 or higher; the
    values read back (MRS BASEPRI) go to the log area as bytes."""
    thread = setup(3, {0: 0x30}) + """
    ldr r3, =log
    movs r0, #0x40
    msr basepri_max, r0         @ BASEPRI 0 -> 0x40
    mrs r1, basepri
    strb r1, [r3], #1
    movs r0, #0x80
    msr basepri_max, r0         @ lower priority: ignored
    mrs r1, basepri
    strb r1, [r3], #1
    movs r0, #0
    msr basepri_max, r0         @ zero: ignored
    mrs r1, basepri
    strb r1, [r3], #1
    movs r0, #0x20
    msr basepri_max, r0         @ higher: 0x40 -> 0x20
    mrs r1, basepri
    strb r1, [r3], #1
    ldr r0, =logp
    str r3, [r0]
    PEND 1                      @ IRQ 0 at 0x30 is masked by 0x20
    LOG 'x'
    movs r0, #0
    msr basepri, r0
    isb
    LOG 'z'
"""
    assert run_log(tmp_path, thread, {16: log("a")}) == "\x40\x40\x40\x20xaz"


def test_basepri_reads_back_only_the_implemented_bits(tmp_path):
    """PM0253 (STM32F7/H7 Cortex-M7 programming manual) 2.1.3 BASEPRI: like the priority
    fields, only bits [7:4] are implemented; bits [3:0] read as zero and ignore writes."""
    thread = setup(3, {}) + """
    ldr r3, =log
    movs r0, #0x4F
    msr basepri, r0
    mrs r1, basepri
    strb r1, [r3], #1
    ldr r0, =logp
    str r3, [r0]
    movs r0, #0
    msr basepri, r0
"""
    assert run_log(tmp_path, thread, {}) == "\x40"


def test_return_tail_chains_to_what_preempts_the_interrupted_handler(tmp_path):
    """IRQ 0 (0x80) is preempted by IRQ 1 (0x40), which pends IRQ 2 (0x60): IRQ 2 cannot
    preempt IRQ 1 but has a higher group priority than IRQ 0, so IRQ 1's return goes straight
    to IRQ 2 (B1.5.12 tail-chaining) before IRQ 0 resumes."""
    thread = setup(3, {0: 0x80, 1: 0x40, 2: 0x60}) + "    PEND 1\n" + log("z")
    got = run_log(tmp_path, thread, {16: log("a") + "    PEND 2\n" + log("b"),
                                     17: log("c") + "    PEND 4\n" + log("d"), 18: log("e")})
    assert got == "acdebz"
