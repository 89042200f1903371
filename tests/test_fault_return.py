"""Faults taken inside a program whose handler fixes the cause up and returns.

Oracle: ARMv7-M Architecture Reference Manual (DDI 0403E.e):
- B1.5.6: the stacked PC of a synchronous fault is the faulting instruction's address, so a
  handler that skips it adds 2 or 4 to the stacked PC and returns; the program goes on;
- B3.2.15 CFSR (UFSR UNDEFINSTR 1 << 16, UNALIGNED 1 << 24, DIVBYZERO 1 << 25; BFSR PRECISERR
  1 << 9, IMPRECISERR 1 << 10, BFARVALID 1 << 15; MMFSR DACCVIOL 1 << 1, MMARVALID 1 << 7),
  B3.2.16 HFSR (FORCED 1 << 30), B3.2.17 MMFAR, B3.2.18 BFAR;
- A3.2.1: LDRD/STRD, LDM/STM and LDREX/STREX fault (UNALIGNED) on an unaligned address
  whatever CCR.UNALIGN_TRP says; LDR/STR only with UNALIGN_TRP;
- A7.7.127 SDIV: a divide by zero gives 0 unless CCR.DIV_0_TRP, then a UsageFault;
- B1.5.15 (priority escalation): a synchronous fault whose handler is disabled, or whose group
  priority does not preempt the execution priority (an active handler, PRIMASK), is taken as
  HardFault with HFSR.FORCED.
- Cortex-M7 Devices Generic User Guide (DUI 0646C) 2.4.3: an asynchronous (imprecise) BusFault
  is pended; when its handler is disabled HardFault is pended instead, and that HardFault never
  escalates to lockup; Cortex-M4 Devices Generic User Guide 4.3.10 (IMPRECISERR): "if it is
  detected when the priority of the current process is higher than the BusFault priority, the
  BusFault becomes pending and becomes active only when the processor returns from all higher
  priority processes".

Every handler logs IPSR, CFSR, HFSR, MMFAR, BFAR and the stacked PC, clears CFSR/HFSR (W1C),
skips the instruction at the stacked PC when it is the faulting one and returns.
"""

from __future__ import annotations

import struct

import pytest

from simulator.elf import load_firmware
from simulator.machine import Machine, RunConfig
from simulator.platform import load_platform

from .conftest import (SEMIHOST_EXIT, SEMIHOST_EXIT_AND_LOG, build_asm, mpu_region, run_log,
                       vector_table)

UNDEFINSTR, UNALIGNED, DIVBYZERO = 1 << 16, 1 << 24, 1 << 25
PRECISERR, IMPRECISERR, BFARVALID = 1 << 9, 1 << 10, 1 << 15
DACCVIOL, MMARVALID = 1 << 1, 1 << 7
FORCED = 1 << 30

LOGW_MACRO = """
    .macro LOGW reg
    ldr r12, =logp
    ldr r3, [r12]
    str \\reg, [r3], #4
    str r3, [r12]
    .endm
"""

# A handler's log of what it was entered for: IPSR, CFSR, HFSR (three words).
LOG_FAULT_STATE = """
    mrs r1, ipsr
    LOGW r1
    ldr r2, =0xE000ED28
    ldr r1, [r2]                @ CFSR
    LOGW r1
    ldr r1, [r2, #4]            @ HFSR
    LOGW r1
"""

HANDLER = LOGW_MACRO + """
    .thumb_func
fault:                          @ every fault vector: log, clear, skip, return
    tst lr, #4
    ite eq
    mrseq r0, msp
    mrsne r0, psp
    mrs r1, ipsr
    LOGW r1
    ldr r2, =0xE000ED28
    ldr r1, [r2]                @ CFSR
    LOGW r1
    str r1, [r2]                @ W1C
    ldr r1, [r2, #4]            @ HFSR
    LOGW r1
    str r1, [r2, #4]
    ldr r1, [r2, #12]           @ MMFAR
    LOGW r1
    ldr r1, [r2, #16]           @ BFAR
    LOGW r1
    ldr r1, [r0, #24]           @ stacked PC
    LOGW r1
    ldr r2, =skip_from
    ldr r2, [r2]
    cmp r1, r2                  @ only the faulting instruction is skipped (not after an
    bne 1f                      @ imprecise fault, whose stacked PC is after the store)
    ldrh r2, [r1]
    lsrs r2, r2, #11
    cmp r2, #0x1D               @ 0b11101.. and above: a 32-bit instruction
    ite hs
    addhs r1, r1, #4
    addlo r1, r1, #2
    str r1, [r0, #24]
1:  bx lr
    .ltorg
"""

SHCSR_ALL = 0x70000


def run_fault(tmp_path, body: str, shcsr: int = SHCSR_ALL, ccr: int = 0x200,
              shpr1: int = 0, extra: str = "", handlers: dict[int, str] | None = None):
    """``body`` runs in thread mode; ``fault_at:`` labels the faulting instruction. Returns
    (log words, address of fault_at, address of after_fault, machine)."""
    vec = {3: "fault", 4: "fault", 5: "fault", 6: "fault", **(handlers or {})}
    src = vector_table(vec) + f"""
    .thumb_func
reset:
    ldr r0, =logp
    ldr r1, =log
    str r1, [r0]
    ldr r0, =skip_from
    ldr r1, =fault_at
    str r1, [r0]
    ldr r0, =0xE000ED14         @ CCR
    ldr r1, ={ccr:#x}
    str r1, [r0]
    ldr r0, =0xE000ED18         @ SHPR1: MemManage, BusFault, UsageFault
    ldr r1, ={shpr1:#x}
    str r1, [r0]
    ldr r0, =0xE000ED24         @ SHCSR enables
    ldr r1, ={shcsr:#x}
    str r1, [r0]
    dsb
    isb
{body}
after_fault:
    ldr r12, =logp
    ldr r3, [r12]
    ldr r1, =0xC0FFEE           @ the program went on
    str r1, [r3], #4
    str r0, [r3], #4            @ and r0 as the program left it
    str r3, [r12]
    movs r0, #0
    b exit_r0
    .ltorg
{extra}
""" + HANDLER + SEMIHOST_EXIT + """
    .bss
    .align 2
logp: .space 4
skip_from: .space 4
log: .space 256
"""
    m, log = run_log(build_asm(tmp_path, src), max_cycles=2_000_000)
    words = list(struct.unpack(f"<{len(log) // 4}I", log))
    return words, m.fw.symbol("fault_at").addr, m.fw.symbol("after_fault").addr, m


def entry(exc: int, cfsr: int, hfsr: int = 0, mmfar: int | None = None,
          bfar: int | None = None) -> tuple:
    return exc, cfsr, hfsr, mmfar, bfar


def check(words: list[int], fault_at: int, want: list[tuple], pcs: list[int] | None = None,
          r0: int | None = None) -> None:
    """``want``: one (IPSR, CFSR, HFSR, MMFAR or None, BFAR or None) per handler entry, then
    the program's own 0xC0FFEE."""
    got = [words[i:i + 6] for i in range(0, 6 * len(want), 6)]
    assert len(words) == 6 * len(want) + 2, [hex(w) for w in words]
    for (exc, cfsr, hfsr, mmfar, bfar), g, pc in zip(want, got, pcs or [fault_at] * len(want)):
        assert (g[0], hex(g[1]), hex(g[2])) == (exc, hex(cfsr), hex(hfsr))
        if mmfar is not None:
            assert g[3] == mmfar
        if bfar is not None:
            assert g[4] == bfar
        assert g[5] == pc, f"stacked PC {g[5]:#x}, expected {pc:#x}"
    assert words[6 * len(want)] == 0xC0FFEE
    if r0 is not None:
        assert words[-1] == r0


@pytest.mark.parametrize("insn", ["udf #1", "udf.w #300"])
def test_undefined_instruction_is_skipped_by_the_usagefault_handler(tmp_path, insn):
    words, at, _, _ = run_fault(tmp_path, f"fault_at:\n    {insn}")
    check(words, at, [entry(6, UNDEFINSTR)])


def test_divide_by_zero_traps_only_with_div_0_trp(tmp_path):
    body = "    movs r1, #7\n    movs r2, #0\n    movs r0, #5\nfault_at:\n    sdiv r0, r1, r2"
    words, at, _, _ = run_fault(tmp_path, body)            # no trap: the quotient is 0
    check(words, at, [], r0=0)
    words, at, _, _ = run_fault(tmp_path, body, ccr=0x210)  # DIV_0_TRP: skipped, r0 kept
    check(words, at, [entry(6, DIVBYZERO)], r0=5)


def test_unaligned_word_load_traps_only_with_unalign_trp(tmp_path):
    body = ("    ldr r1, =0x20000101\n    ldr r2, =0x44332211\n    ldr r3, =0x20000100\n"
            "    str r2, [r3]\n    movs r2, #0\n    str r2, [r3, #4]\n    movs r0, #0\n"
            "fault_at:\n    ldr r0, [r1]")
    words, at, _, _ = run_fault(tmp_path, body)
    check(words, at, [], r0=0x443322)
    words, at, _, _ = run_fault(tmp_path, body, ccr=0x208)   # UNALIGN_TRP
    check(words, at, [entry(6, UNALIGNED)], r0=0)


DEVIATION = pytest.mark.xfail(strict=True, reason=(
    "known deviation (docs/architecture.md 'Exceptions'): Unicorn 2.1.3's QEMU does unaligned "
    "LDRD/STRD/LDM/STM without a fault; its STREX compares the monitor's address first"))


@pytest.mark.parametrize("insn", [pytest.param("ldrd r0, r2, [r1]", marks=DEVIATION),
                                  pytest.param("ldm r1, {r0, r2}", marks=DEVIATION),
                                  pytest.param("strd r0, r2, [r1]", marks=DEVIATION),
                                  pytest.param("strex r0, r2, [r1]", marks=DEVIATION),
                                  "ldrex r0, [r1]", "ldrexh r0, [r3]"])
def test_unaligned_multiword_access_always_faults(tmp_path, insn):
    """A3.2.1: unaligned LDRD/STRD, LDM and LDREX/STREX UsageFault even with UNALIGN_TRP clear
    (LDREX was reported as a precise BusFault: QEMU raises its alignment check as a data
    abort)."""
    body = (f"    ldr r1, =0x20000102\n    ldr r3, =0x20000101\n    movs r0, #9\n    movs r2, #1\n"
            f"fault_at:\n    {insn}")
    words, at, _, _ = run_fault(tmp_path, body)
    check(words, at, [entry(6, UNALIGNED)], r0=9)


def test_precise_bus_fault_sets_bfar(tmp_path):
    body = "    ldr r1, =0x60000000\n    movs r0, #3\nfault_at:\n    ldr r0, [r1]"
    words, at, _, _ = run_fault(tmp_path, body)
    check(words, at, [entry(5, PRECISERR | BFARVALID, bfar=0x60000000)], r0=3)


def test_imprecise_bus_fault_returns_after_the_store(tmp_path):
    body = ("    ldr r1, =0x08100000\n    movs r0, #4\nfault_at:\n    str r0, [r1]\n"
            "next_insn:\n    nop")
    words, at, _, m = run_fault(tmp_path, body)
    # the stacked PC is past the store (B3.2.15: "not related to the instruction that caused
    # the error"; the simulator stacks the next instruction's address)
    check(words, at, [entry(5, IMPRECISERR)], pcs=[m.fw.symbol("next_insn").addr], r0=4)


def test_mpu_no_access_is_memmanage_with_mmfar(tmp_path):
    body = """
""" + mpu_region(0x24000000, 0x1000001D,
                       "AXI SRAM, 32 KB, AP = 0 (no access), XN, enabled") + """
    ldr r1, =0x24000104
    movs r0, #6
fault_at:
    ldr r0, [r1]
"""
    words, at, _, _ = run_fault(tmp_path, body)
    check(words, at, [entry(4, DACCVIOL | MMARVALID, mmfar=0x24000104)], r0=6)


def test_disabled_handler_escalates_to_hardfault_which_returns(tmp_path):
    words, at, _, _ = run_fault(tmp_path, "fault_at:\n    udf #2", shcsr=0)
    check(words, at, [entry(3, UNDEFINSTR, FORCED)])


def test_primask_escalates_a_synchronous_fault(tmp_path):
    """PRIMASK raises the execution priority to 0: a UsageFault at priority 0 cannot preempt,
    so it is taken as HardFault (B1.5.15)."""
    words, at, _, _ = run_fault(tmp_path, "    cpsid i\nfault_at:\n    udf #3\n    cpsie i")
    check(words, at, [entry(3, UNDEFINSTR, FORCED)])


IRQ_THEN_FAULT = """
    ldr r0, =0xE000ED0C         @ AIRCR.PRIGROUP
    ldr r1, ={aircr:#x}
    str r1, [r0]
    ldr r0, =0xE000E400         @ NVIC_IPR0: IRQ 0's priority
    movs r1, #{irq_prio:#x}
    strb r1, [r0]
    ldr r0, =0xE000E100         @ enable and pend IRQ 0
    movs r1, #1
    str r1, [r0]
    ldr r0, =0xE000E200
    str r1, [r0]
    dsb
    isb
"""
IRQ0 = """
    .thumb_func
irq0:
    push {r4, lr}
fault_at:
    udf #4
    pop {r4, pc}
    .ltorg
"""


@pytest.mark.parametrize("prigroup,irq_prio,usage_prio,taken", [
    (3, 0x40, 0x20, 6),     # UsageFault's group 0x20 preempts the IRQ's 0x40
    (3, 0x40, 0x40, 3),     # equal: escalated
    (3, 0x20, 0x40, 3),     # lower: escalated
    (5, 0x60, 0x40, 3),     # PRIGROUP 5: both group 0x40: escalated although 0x40 < 0x60
    (4, 0x60, 0x40, 6),     # PRIGROUP 4: groups 0x40 vs 0x60: taken
])
def test_fault_in_a_handler_escalates_by_group_priority(tmp_path, prigroup, irq_prio,
                                                        usage_prio, taken):
    body = IRQ_THEN_FAULT.format(aircr=0x05FA0000 | prigroup << 8, irq_prio=irq_prio)
    words, at, _, _ = run_fault(tmp_path, body, shpr1=usage_prio << 16, extra=IRQ0,
                                handlers={16: "irq0"})
    check(words, at, [entry(taken, UNDEFINSTR, FORCED if taken == 3 else 0)])


def test_imprecise_bus_fault_waits_for_the_priority_to_drop(tmp_path):
    """A buffered store's bus error under PRIMASK: BusFault (priority 0) cannot preempt, so it
    is pended, not escalated, and taken once PRIMASK is cleared (DUI 0646C 2.4.3)."""
    body = ("    ldr r1, =0x08100000\n    movs r0, #4\n    cpsid i\nfault_at:\n    str r0, [r1]\n"
            "    ldr r12, =logp\n    ldr r3, [r12]\n    ldr r2, =0xBEFORE\n"
            "    str r2, [r3], #4\n    str r3, [r12]\n    cpsie i\nafter_cpsie:\n    nop")
    body = body.replace("0xBEFORE", "0xB0F0E")
    words, at, _, m = run_fault(tmp_path, body)
    assert words[0] == 0xB0F0E, [hex(w) for w in words]     # the program went on first
    check(words[1:], at, [entry(5, IMPRECISERR)], pcs=[m.fw.symbol("after_cpsie").addr])


def test_imprecise_bus_fault_with_busfault_disabled_pends_hardfault(tmp_path):
    """BusFault disabled: the imprecise fault pends HardFault (FORCED), taken at once here."""
    body = ("    ldr r1, =0x08100000\n    movs r0, #4\nfault_at:\n    str r0, [r1]\n"
            "next_insn:\n    nop")
    words, at, _, m = run_fault(tmp_path, body, shcsr=0)
    check(words, at, [entry(3, IMPRECISERR, FORCED)], pcs=[m.fw.symbol("next_insn").addr])


def test_pended_imprecise_fault_into_a_default_handler_is_diagnosed(tmp_path):
    """The pended BusFault's handler is the default `b .` loop: the run ends with the fault's
    diagnostic when it is taken (after CPSIE), not in an endless loop."""
    body = ("    ldr r1, =0x08100000\n    movs r0, #4\n    cpsid i\nfault_at:\n    str r0, [r1]\n"
            "    cpsie i\n    nop")
    src = vector_table({5: "hang"}) + f"""
    .thumb_func
reset:
    ldr r0, =0xE000ED24
    ldr r1, ={SHCSR_ALL:#x}
    str r1, [r0]
{body}
    movs r0, #0
    b exit_r0
    .ltorg
""" + SEMIHOST_EXIT
    m = Machine(load_firmware(build_asm(tmp_path, src)), load_platform(),
                RunConfig(max_cycles=2_000_000))
    try:
        r = m.run()
    finally:
        m.release()
    assert (r.exit_reason, r.exit_code) == ("fault", 4), r.diagnostic
    assert "BusFault" in r.diagnostic and "IMPRECISERR" in r.diagnostic



STACK_GUARD = vector_table({3: "stk_fault", 4: "stk_fault", 11: "svc_handler"}) + """
    .thumb_func
reset:
    ldr r0, =logp
    ldr r1, =log
    str r1, [r0]
    ldr r0, =0xE000ED18         @ SHPR1: MemManage's priority
    ldr r1, ={mm_prio:#x}
    str r1, [r0]
    ldr r0, =0xE000ED1C         @ SHPR2: SVCall at 0x80
    ldr r1, =0x80000000
    str r1, [r0]
    ldr r0, =0xE000ED24         @ SHCSR enables
    ldr r1, ={shcsr:#x}
    str r1, [r0]
""" + mpu_region(0x2001F000, 0x10000013,
                       "a 1 KB guard, AP = 0 (no access), XN, enabled") + """
    ldr r0, =0x2001F410         @ SP 16 bytes above the guard: the SVC's frame reaches into it
    mov sp, r0
    svc #0
    movs r0, #1                 @ never here: both handlers end the run
    b exit_r0
    .ltorg
""" + LOGW_MACRO + """    .thumb_func
stk_fault:                      @ the frame is not readable (the guard): log and end the run
    ldr r0, =0x20020000
    mov sp, r0
""" + LOG_FAULT_STATE + """    movs r0, #0
    b exit_r0
    .thumb_func
svc_handler:
    ldr r0, =0x20020000
    mov sp, r0
    ldr r1, =0x5FC
    LOGW r1
    movs r0, #0
    b exit_r0
    .ltorg
""" + SEMIHOST_EXIT_AND_LOG


@pytest.mark.parametrize("shcsr,mm_prio,first,hfsr", [
    (SHCSR_ALL, 0x00, 4, 0),          # MemManage (0x00) above SVCall (0x80): taken first
    (SHCSR_ALL, 0xC0, 0x5FC, 0),      # below SVCall: the SVC handler runs first
    (0, 0x00, 3, FORCED),             # MemManage disabled: HardFault
])
def test_stacking_into_an_mpu_guard_is_a_derived_memmanage(tmp_path, shcsr, mm_prio, first,
                                                           hfsr):
    """B1.5.6 (derived exceptions), B3.2.15 MSTKERR ("the processor has not written a fault
    address to the MMFAR"): an SVC whose frame reaches into a no-access MPU region. Entry goes
    on (SP moved, the frame not written), CFSR.MSTKERR is set and MemManage is pended: taken
    before the SVC handler runs when its priority is higher, escalated to HardFault
    (HFSR.FORCED) when disabled. Before, the frame was written through the MPU."""
    src = STACK_GUARD.replace("{mm_prio:#x}", f"{mm_prio:#x}").replace(
        "{shcsr:#x}", f"{shcsr:#x}")
    _, log = run_log(build_asm(tmp_path, src), max_cycles=1_000_000)
    words = struct.unpack(f"<{len(log) // 4}I", log)
    assert words[0] == first
    if first != 0x5FC:
        assert words[1] & 0xFF == 1 << 4          # MSTKERR; MMARVALID clear
        assert words[2] == hfsr


UNSTACK = vector_table({3: "ustk_fault", 4: "ustk_fault", 5: "ustk_fault",
                        11: "svc_handler"}) + """
    .thumb_func
reset:
    ldr r0, =logp
    ldr r1, =log
    str r1, [r0]
    ldr r0, =0xE000ED24         @ SHCSR enables
    ldr r1, ={shcsr:#x}
    str r1, [r0]
""" + mpu_region(0x2001C000, 0x10000013, "a 1 KB no-access region") + """
    ldr r0, =0x2001D000         @ thread mode on PSP
    msr psp, r0
    movs r0, #2
    msr control, r0
    isb
    svc #0
    movs r0, #1                 @ never here
    b exit_r0
    .ltorg
""" + LOGW_MACRO + """    .thumb_func
svc_handler:                    @ returns to a frame it moved to {target:#x}
    ldr r0, ={target:#x}
    msr psp, r0
    bx lr
    .thumb_func
ustk_fault:
""" + LOG_FAULT_STATE + """    mrs r1, psp         @ not adjusted: the frame is still "there"
    LOGW r1
    movs r0, #0
    b exit_r0
    .ltorg
""" + SEMIHOST_EXIT_AND_LOG


@pytest.mark.parametrize("target,shcsr,want_exc,want_cfsr,want_hfsr", [
    (0x2001C100, SHCSR_ALL, 4, 1 << 3, 0),          # MPU no access: MemManage MUNSTKERR
    (0x60000000, SHCSR_ALL, 5, 1 << 11, 0),         # no memory: BusFault UNSTKERR
    (0x60000000, 0, 3, 1 << 11, FORCED),            # BusFault disabled: HardFault
])
def test_unstacking_fault_chains_to_the_fault_handler(tmp_path, target, shcsr, want_exc,
                                                      want_cfsr, want_hfsr):
    """B3.2.15 MUNSTKERR / UNSTKERR: an exception return whose frame cannot be read is
    "chained to the handler": the fault handler is entered as by tail-chaining, SP not
    adjusted, no MMFAR/BFAR. Before, an unreadable frame was a lockup and one in an MPU
    no-access region was read anyway."""
    src = UNSTACK.replace("{shcsr:#x}", f"{shcsr:#x}").replace("{target:#x}", f"{target:#x}")
    _, log = run_log(build_asm(tmp_path, src), max_cycles=1_000_000)
    words = struct.unpack_from("<4I", log)
    assert words == (want_exc, want_cfsr, want_hfsr, target)
