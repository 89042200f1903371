"""Exceptions taken from an unprivileged thread (CONTROL.nPRIV = 1), as RTOS MPU ports run tasks.

Oracle: ARMv7-M Architecture Reference Manual (DDI 0403E.e) B1.4.4 (CONTROL.nPRIV: Thread
mode privilege; Handler mode is always privileged), B1.5.6/B1.5.8 (exception entry and return
push and pop the frame on the stack CONTROL.SPSEL selects and leave nPRIV as it was), B5.2.3
MSR (an unprivileged write to BASEPRI is ignored) and B5.2.2 MRS (CONTROL reads back).

The same program runs privileged and unprivileged, on MSP and on PSP, with SysTick every 301
cycles and an SVC per loop iteration: its results must be equal. Unicorn's reads and writes of
MSP/PSP/CONTROL apply the program's privilege (QEMU's MRS/MSR helpers), so before the fix the
first exception from an unprivileged thread pushed its frame at 0 - 0x20 (a lockup), and the
stack watch saw SP = 0 (a main-stack overflow that never happened).
"""

from __future__ import annotations

import struct

import pytest

from simulator.elf import load_firmware
from simulator.machine import Machine, RunConfig
from simulator.platform import load_platform

from .conftest import SEMIHOST_EXIT, build_asm, vector_table

PROGRAM = vector_table({11: "svc", 15: "systick"}) + """
    .thumb_func
reset:
    ldr r0, =ticks
    movs r1, #0
    str r1, [r0]
    str r1, [r0, #4]
    ldr r0, =0x2001D000
    msr psp, r0
    ldr r0, =0xE000E010          @ SysTick: reload 301, core clock, interrupt
    ldr r1, =301
    str r1, [r0, #4]
    movs r1, #7
    str r1, [r0]
    movs r0, #CONTROL
    msr control, r0
    isb
    movs r4, #0
    movs r5, #0
    ldr r6, =1000
1:  adds r4, r4, r6
    bl leaf                      @ lowers SP: the stack watch reads it
    eor r5, r5, r4, lsl #3
    svc #0
    subs r6, r6, #1
    bne 1b
    mrs r7, control
    movs r0, #0x40
    msr basepri, r0              @ ignored when unprivileged
    mrs r8, basepri
    mov r9, sp
    svc #1                       @ raise privilege (the handler clears nPRIV)
    movs r0, #0x40
    msr basepri, r0              @ privileged now: written
    mrs r10, basepri
    movs r0, #0
    msr basepri, r0
    ldr r0, =res
    stmia r0!, {r4-r10}
    ldr r1, =ticks
    ldm r1, {r1, r2}
    stmia r0!, {r1, r2}
    movs r0, #0
    b exit_r0
    .thumb_func
leaf:
    push {r4-r7, lr}
    sub sp, sp, #64
    b.n 3f                       @ the block ends with SP 84 bytes lower
3:  add sp, sp, #64
    pop {r4-r7, pc}
    .thumb_func
systick:
    ldr r0, =ticks
    ldr r1, [r0]
    adds r1, #1
    str r1, [r0]
    bx lr
    .thumb_func
svc:
    tst lr, #4
    ite eq
    mrseq r0, msp
    mrsne r0, psp
    ldr r1, [r0, #24]
    ldrb r1, [r1, #-2]           @ the SVC number
    cbz r1, 2f
    mrs r0, control
    bic r0, r0, #1               @ SVC 1: Thread mode privileged from now on
    msr control, r0
    bx lr
2:  ldr r0, =ticks
    ldr r1, [r0, #4]
    adds r1, #1
    str r1, [r0, #4]
    bx lr
    .ltorg
""" + SEMIHOST_EXIT + """
    .bss
    .align 2
ticks: .space 8
res: .space 36
"""


def run(tmp_path, control: int):
    src = PROGRAM.replace("#CONTROL", f"#{control}")
    fw = load_firmware(build_asm(tmp_path, src, f"np{control}"))
    m = Machine(fw, load_platform(), RunConfig(max_cycles=3_000_000))
    try:
        r = m.run()
        assert (r.exit_reason, r.exit_code) == ("exit", 0), r.diagnostic
        res = struct.unpack("<9I", m.uc.mem_read(fw.symbol("res").addr, 36))
        return dict(zip(("r4", "r5", "r6", "control", "basepri_unpriv", "sp", "basepri_priv",
                         "ticks", "svcs"), res)), m.counter.stack_watch()
    finally:
        m.release()


@pytest.mark.parametrize("spsel", [0, 2])
def test_unprivileged_thread_is_interrupted_transparently(tmp_path, spsel):
    ref, ref_watch = run(tmp_path, spsel)
    got, (lowest, overflow_at) = run(tmp_path, spsel | 1)
    assert got["ticks"] > 100 and got["svcs"] == 1000
    for k in ("r4", "r5", "r6", "sp", "basepri_priv", "svcs"):
        assert got[k] == ref[k], k
    assert got["control"] & 3 == spsel | 1           # nPRIV kept across 1,000 SVCs and ticks
    assert got["basepri_unpriv"] == 0 and ref["basepri_unpriv"] == 0x40   # B5.2.3
    assert got["basepri_priv"] == 0x40               # SVC 1 made the thread privileged
    assert overflow_at is None                       # no main-stack overflow was seen
    if spsel == 0:                                   # leaf's frame on the main stack
        assert lowest == ref_watch[0] == 0x20020000 - 84
