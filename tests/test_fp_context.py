"""The FP context a handler starts with: FPSCR takes FPDSCR's defaults, whatever the thread's.

Oracle: ARMv7-M Architecture Reference Manual (DDI 0403E.e) B1.5.6 (exception entry clears
CONTROL.FPCA), ExecuteFPCheck() and B3.2.22 FPDSCR ("the default values for the floating-point
status control data that the processor assigns to the FPSCR when it creates a new
floating-point context": AHP, DN, FZ, RMode, bits 26:22), B3.2.20 FPCCR.ASPEN, and B1.5.8 (the
thread's FPSCR comes back from the extended frame). A thread running with RMode = round towards
zero (RZ) and flush-to-zero calls an SVC whose handler reads FPSCR and computes 1.0f / 3.0f:
0x3EAAAAAB rounded to nearest, 0x3EAAAAAA towards zero.
"""

from __future__ import annotations

import struct

import pytest

from simulator.elf import load_firmware
from simulator.machine import Machine, RunConfig
from simulator.platform import load_platform

from .conftest import SEMIHOST_EXIT, build_asm, vector_table

RZ_FZ = 0x03000000 | 0x00C00000          # FZ (bit 24) | RMode = RZ (bits 23:22)
THIRD_RN, THIRD_RZ = 0x3EAAAAAB, 0x3EAAAAAA


def program(fpdscr: int, thread_fp: bool) -> str:
    thread = (f"    ldr r0, ={RZ_FZ:#x}\n    vmsr fpscr, r0\n" if thread_fp else "")
    after = "    vmrs r2, fpscr\n" if thread_fp else "    movs r2, #0\n"
    return vector_table({11: "svc"}) + f"""
    .thumb_func
reset:
    ldr r0, =0xE000ED88          @ CPACR: CP10/CP11 full access
    ldr r1, [r0]
    orr r1, r1, #0x00F00000
    str r1, [r0]
    ldr r0, =0xE000EF3C          @ FPDSCR
    ldr r1, ={fpdscr:#x}
    str r1, [r0]
    dsb
    isb
{thread}    svc #0
{after}    ldr r0, =res
    str r2, [r0, #8]
    movs r0, #0
    b exit_r0
    .thumb_func
svc:
    vmrs r0, fpscr
    ldr r1, =res
    str r0, [r1]
    vmov.f32 s0, #1.0
    vmov.f32 s1, #3.0
    vdiv.f32 s2, s0, s1
    vstr s2, [r1, #4]
    bx lr
    .ltorg
""" + SEMIHOST_EXIT + """
    .bss
    .align 2
res: .space 12
"""


def run_res(tmp_path, src: str, words: int) -> tuple[int, ...]:
    """Build and run to a clean exit; the first ``words`` words of the program's `res`."""
    fw = load_firmware(build_asm(tmp_path, src))
    m = Machine(fw, load_platform(), RunConfig(max_cycles=1_000_000))
    try:
        r = m.run()
        assert (r.exit_reason, r.exit_code) == ("exit", 0), r.diagnostic
        return struct.unpack(f"<{words}I", m.uc.mem_read(fw.symbol("res").addr, 4 * words))
    finally:
        m.release()


@pytest.mark.parametrize("fpdscr,thread_fp", [(0, True), (0x00C00000, True),
                                              (0x00C00000, False), (RZ_FZ | 1 << 26, True)])
def test_handler_fpscr_comes_from_fpdscr(tmp_path, fpdscr, thread_fp):
    handler_fpscr, third, thread_after = run_res(tmp_path, program(fpdscr, thread_fp), 3)
    assert handler_fpscr & (0x1F << 22) == fpdscr & (0x1F << 22)
    rz = (fpdscr >> 22) & 3 == 3
    assert third == (THIRD_RZ if rz else THIRD_RN)
    if thread_fp:
        assert thread_after == RZ_FZ                 # the thread's own FPSCR came back


@pytest.mark.parametrize("fpccr,exc_return,fpca", [(0xC0000000, 0xFFFFFFE9, 4),
                                                   (0x00000000, 0xFFFFFFF9, 0)])
def test_aspen_decides_whether_fp_use_makes_an_extended_frame(tmp_path, fpccr, exc_return,
                                                              fpca):
    """B3.2.20 FPCCR.ASPEN = 0: an FP instruction no longer sets CONTROL.FPCA, so the next
    exception pushes a basic frame (EXC_RETURN bit 4 set) - firmware that clears ASPEN saves
    the FP context itself."""
    src = vector_table({11: "svc"}) + f"""
    .thumb_func
reset:
    ldr r0, =0xE000ED88
    ldr r1, [r0]
    orr r1, r1, #0x00F00000
    str r1, [r0]
    ldr r0, =0xE000EF34          @ FPCCR
    ldr r1, ={fpccr:#x}
    str r1, [r0]
    dsb
    isb
    vmov.f32 s0, #1.0            @ the thread's first FP instruction
    mrs r4, control
    svc #0
    ldr r0, =res
    str r4, [r0, #4]
    movs r0, #0
    b exit_r0
    .thumb_func
svc:
    ldr r0, =res
    str lr, [r0]
    bx lr
    .ltorg
""" + SEMIHOST_EXIT + """
    .bss
    .align 2
res: .space 8
"""
    lr, control = run_res(tmp_path, src, 2)
    assert lr == exc_return and control & 4 == fpca


@pytest.mark.parametrize("thread_fp,control", [(True, 4), (False, 0)])
def test_control_reads_back_armv7m_bits_only(tmp_path, thread_fp, control):
    """B1.4.4: CONTROL[31:3] read as zero on ARMv7-M. QEMU's model also keeps ARMv8-M's SFPA
    (bit 3), set with FPCA at a new FP context - by the thread's own FP instruction or by a
    handler's, after which a thread that never used FP read CONTROL = 8."""
    thread = "    vmov.f32 s0, #1.0\n" if thread_fp else ""
    src = vector_table({11: "svc"}) + f"""
    .thumb_func
reset:
{thread}    svc #0
    mrs r4, control
    ldr r0, =res
    str r4, [r0]
    movs r0, #0
    b exit_r0
    .thumb_func
svc:
    vmov.f32 s1, #2.0            @ the handler's FP instruction: a new FP context
    mrs r0, control
    ldr r1, =res
    str r0, [r1, #4]
    bx lr
    .ltorg
""" + SEMIHOST_EXIT + """
    .bss
    .align 2
res: .space 8
"""
    thread_control, handler_control = run_res(tmp_path, src, 2)
    assert (thread_control, handler_control) == (control, 4)
