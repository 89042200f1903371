"""What exception entry and return do with the parts of xPSR that are not the exception number.

Oracle: ARMv7-M Architecture Reference Manual (DDI 0403E), B1.5.6 "Exception entry behavior":
PushStack stores xPSR with its IT bits (EPSR.IT) and ExceptionTaken then sets EPSR.IT to zero,
so a handler entered from inside an IT block runs unconditionally; B1.5.8 "Exception return
behavior": PopStack restores APSR<31:27>, APSR<19:16> (the GE bits, with the DSP extension the
Cortex-M7 has) and EPSR.IT from the stacked xPSR, so the interrupted IT block goes on where it
stopped and the interrupted code sees its own GE flags.

A firmware found this: a USART interrupt taken right after an IT instruction in newlib's
_svfprintf_r ran its handler's `push {r3-r7, lr}` under the leftover IT condition (skipped),
so the handler's `pop {..., pc}` returned into a stale stack word and the firmware faulted.
"""

from __future__ import annotations

from unicorn.arm_const import (
    UC_ARM_REG_R4,
    UC_ARM_REG_R5,
    UC_ARM_REG_R6,
    UC_ARM_REG_R8,
    UC_ARM_REG_R9,
    UC_ARM_REG_R10,
    UC_ARM_REG_R11,
)

from simulator.elf import load_firmware
from simulator.machine import Machine, RunConfig
from simulator.platform import load_platform

from .conftest import SEMIHOST_EXIT, build_asm, vector_table

VECTORS = vector_table({14: "pendsv"})

PEND_PENDSV = """
    ldr r0, =0xE000ED04      @ ICSR
    ldr r1, =0x10000000      @ PENDSVSET
"""


def _run(tmp_path, body: str, handler: str) -> Machine:
    src = (VECTORS + "    .thumb_func\nreset:\n" + body + "\n    movs r0, #0\n    b exit_r0\n"
           + "    .thumb_func\npendsv:\n" + handler + SEMIHOST_EXIT
           + "\n    .bss\n    .align 2\nmarks: .space 16\n")
    m = Machine(load_firmware(build_asm(tmp_path, src)), load_platform(),
                RunConfig(max_cycles=1_000_000))
    r = m.run()
    assert (r.exit_reason, r.exit_code) == ("exit", 0), r.diagnostic
    assert m.engine.stats.taken.get(14) == 1        # PendSV ran once
    return m


N_LOOP = 20_000


def test_interrupts_inside_it_blocks_leave_both_handler_and_block_intact(tmp_path):
    """SysTick every 97 cycles over a loop whose first IT block straddles a page boundary:
    Unicorn ends a translation block where a page ends, and the simulator takes interrupts
    between blocks, so about every other interrupt lands inside that IT block (as one did in
    newlib's _svfprintf_r, whose IT block crossed 0x08008000). The handler's four adds must
    all run on every entry (with kept ITSTATE the first three run under the interrupted
    block's conditions), and the loop's sums must be what the architecture gives without
    interrupts (the return restores ITSTATE)."""
    src = vector_table({14: "pendsv", 15: "systick"}) + f"""
    .thumb_func
reset:
    movs r3, #0
    movs r5, #0
    movs r6, #0
    mov r8, #0
    mov r9, #0
    mov r10, #0
    mov r11, #0
    ldr r7, ={N_LOOP}
    ldr r0, =0xE000E010      @ SYST_CSR
    movs r1, #96             @ SYST_RVR: a tick every 97 cycles
    str r1, [r0, #4]
    movs r1, #7              @ ENABLE | TICKINT | CLKSOURCE (the core clock)
    str r1, [r0]
    b.w loop
    .ltorg
    .p2align 12
    .space 4096 - 12         @ the loop starts 12 bytes before a 4 KB (so also 1 KB) boundary
loop:
    adds.n r3, r3, #1
    ands.w r4, r3, #1        @ Z: i even
    itete eq                 @ 6 bytes before the boundary
    addeq.w r5, r5, #3
    addne.w r6, r6, #5       @ the first instruction of the next page (and block)
    addeq.w r5, r5, #7
    addne.w r6, r6, #11
    tst r3, #2
    ittee ne
    addne r5, r5, #13
    addne r5, r5, #17
    addeq r6, r6, #19
    addeq r6, r6, #23
    cmp r3, r7
    bne loop
    movs r1, #0
    str r1, [r0]             @ SysTick off
    movs r0, #0
    b exit_r0
    .thumb_func
systick:
    add r8, r8, #1
    add r9, r9, #1
    add r10, r10, #1
    add r11, r11, #1
    bx lr
    .thumb_func
pendsv:
    bx lr
""" + SEMIHOST_EXIT
    m = Machine(load_firmware(build_asm(tmp_path, src)), load_platform(),
                RunConfig(max_cycles=50_000_000))
    r = m.run()
    assert (r.exit_reason, r.exit_code) == ("exit", 0), r.diagnostic
    uc = m.uc
    ticks = m.engine.stats.taken.get(15, 0)
    assert ticks > 1000
    assert [uc.reg_read(x) for x in (UC_ARM_REG_R8, UC_ARM_REG_R9, UC_ARM_REG_R10,
                                     UC_ARM_REG_R11)] == [ticks] * 4
    # the loop's sums, computed here the way the IT blocks define them
    r5 = r6 = 0
    for i in range(1, N_LOOP + 1):
        if i % 2 == 0:
            r5 += 3 + 7
        else:
            r6 += 5 + 11
        if i & 2:
            r5 += 13 + 17
        else:
            r6 += 19 + 23
    assert (uc.reg_read(UC_ARM_REG_R5), uc.reg_read(UC_ARM_REG_R6)) == (r5, r6)


def test_exception_return_restores_the_ge_flags(tmp_path):
    m = _run(tmp_path, """
    ldr r1, =0x000A0000      @ GE = 0b1010
    msr APSR_g, r1
""" + PEND_PENDSV + """
    str r1, [r0]
    dsb
    isb
    mrs r4, apsr
""", """
    ldr r1, =0x00050000      @ the handler leaves GE = 0b0101
    msr APSR_g, r1
    bx lr
""")
    assert (m.uc.reg_read(UC_ARM_REG_R4) >> 16) & 0xF == 0b1010
