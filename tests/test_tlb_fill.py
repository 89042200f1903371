"""The virtual TLB (simulator/tlb_fill.py; H7SIM_VIRTUAL_TLB=0 turns it off) must change which
of Unicorn's paths a store takes, never what the program sees. Each test runs with QEMU's own
TLB fill and with the virtual TLB: code written to executable RAM runs as written (ARMv7-M
A3.5.4: after DSB/ISB the new instructions execute), a fetch from the default memory map's
Device region is a MemManage IACCVIOL (B3.1 Table B3-1: Device is Execute Never; B3.5.1), an
MPU no-access region over DTCM - RAM the fault hook leaves out while nothing restricts it -
raises DACCVIOL with MMFAR = the address (B3.5.8), and the instructions after an IT block run
unconditionally (A7.3.3) even when a load inside the block missed the TLB (Unicorn's fill
restores the IT state in the middle of a block; the callback puts QEMU's 0 back: the test
fails without that)."""

from __future__ import annotations

import pytest
from unicorn import UC_ARCH_ARM, UC_MODE_MCLASS, UC_MODE_THUMB, Uc
from unicorn.arm_const import (
    UC_ARM_REG_PC, UC_ARM_REG_R0, UC_ARM_REG_R1, UC_ARM_REG_R3, UC_ARM_REG_R4, UC_ARM_REG_R5,
    UC_ARM_REG_R6, UC_ARM_REG_R7, UC_CPU_ARM_CORTEX_M7,
)

from simulator import tlb_fill
from simulator.elf import load_firmware
from simulator.machine import Machine, RunConfig
from simulator.platform import load_platform

from .conftest import SEMIHOST_EXIT, build_asm, mmfar_handler, mpu_region

HEAD = """
    .section .vectors, "a"
    .word 0x20010000
    .word reset
    .word 0, 0
    .word memmanage
    .text
    .thumb_func
reset:
    ldr r1, =0xE000ED24       @ SHCSR: MEMFAULTENA
    mov r0, #(1 << 16)
    str r0, [r1]
"""

# movs r0, #N ; bx lr  (Thumb: 0x2000 | N, 0x4770)
SELF_MODIFYING = HEAD + """
    ldr r4, ={code}
    ldr r0, =0x47702001       @ movs r0, #1; bx lr
    str r0, [r4]
    dsb
    isb
    orr r5, r4, #1
    blx r5                    @ r0 = 1
    mov r6, r0
    ldr r0, =0x47702002       @ movs r0, #2; bx lr
    str r0, [r4]
    dsb
    isb
    blx r5                    @ r0 = 2: the new code
    lsl r6, r6, #4
    orr r0, r0, r6            @ 0x12 when both calls ran what was written
    b exit_r0
    .thumb_func
memmanage:
    movs r0, #0xEE
    b exit_r0
"""

DEVICE_FETCH = HEAD + """
    ldr r0, =0xC0000001
    blx r0                    @ Device region: Execute Never
    movs r0, #0xEE
    b exit_r0
    .thumb_func
memmanage:
    ldr r1, =0xE000ED28       @ CFSR
    ldr r0, [r1]
    and r0, r0, #0xFF         @ MMFSR: IACCVIOL = 0x01
    b exit_r0
"""

# RASR: XN 28, AP 26:24 (000 = no access), SIZE 5:1 (2^(SIZE+1) bytes), ENABLE 0
DTCM_NO_ACCESS = HEAD + """
    ldr r2, =0x20000100
    ldr r3, =2000
1:  str r3, [r2]              @ stores to DTCM first (their TLB entry leaves the slow path)
    subs r3, #1
    bne 1b
""" + mpu_region("0x20000000", "((1 << 28) | (14 << 1) | 1)", "DTCM, 32 KB, no access, XN") + """
    str r3, [r2]              @ no access: MemManage
    movs r0, #0xEE
    b exit_r0
""" + mmfar_handler(0x20000100, 0xDD)


MODES = ["qemu", "virtual"]


@pytest.fixture(params=MODES)
def tlb_mode(request, monkeypatch):
    monkeypatch.setenv("H7SIM_VIRTUAL_TLB", "1" if request.param == "virtual" else "0")
    return request.param


def run(tmp_path, src: str) -> tuple[Machine, object]:
    m = Machine(load_firmware(build_asm(tmp_path, src + SEMIHOST_EXIT)), load_platform(),
                RunConfig(max_cycles=10_000_000))
    return m, m.run()


@pytest.mark.parametrize("code", [0x24000000, 0x00000400])     # AXI SRAM, ITCM
def test_code_written_to_executable_ram_runs_as_written(tmp_path, code, tlb_mode):
    m, r = run(tmp_path, SELF_MODIFYING.replace("{code}", hex(code)))
    assert (m.tlb is not None) == (tlb_mode == "virtual")
    assert (r.exit_reason, r.exit_code) == ("exit", 0x12), r.diagnostic


def test_fetch_from_the_device_region_is_a_memmanage_iaccviol(tmp_path, tlb_mode):
    _, r = run(tmp_path, DEVICE_FETCH)
    assert (r.exit_reason, r.exit_code) == ("exit", 0x01), r.diagnostic


def test_mpu_no_access_over_dtcm_gives_mmfar(tmp_path, tlb_mode):
    m, r = run(tmp_path, DTCM_NO_ACCESS)
    if tlb_mode == "virtual":
        assert m.tlb is not None and (0x20000000, 0x2001FFFF) in m.tlb.data_only
    assert (r.exit_reason, r.exit_code) == ("exit", 0), r.diagnostic


# Thumb: movs r2,#0; cmp r2,#0; itt eq; ldreq r0,[r1] (the page's first access: a TLB miss
# inside the IT block); addeq r3,#1; adds r4,#1 (after the block); b next; next: movs r5,#5;
# movs r6,#6; movs r7,#7 - a new block, no IT state; bkpt
IT_PROGRAM = bytes.fromhex("0022002a04bf0868013301 34ffe70525062607 2700be".replace(" ", ""))


@pytest.mark.parametrize("mode", MODES)
def test_a_tlb_miss_inside_an_it_block_leaves_no_it_state(mode, monkeypatch):
    uc = Uc(UC_ARCH_ARM, UC_MODE_THUMB | UC_MODE_MCLASS)
    uc.ctl_set_cpu_model(UC_CPU_ARM_CORTEX_M7)
    uc.mem_map(0x08000000, 0x10000, 5)
    uc.mem_map(0x20000000, 0x10000, 3)
    uc.mem_write(0x08000000, IT_PROGRAM)
    uc.mem_write(0x20000400, (42).to_bytes(4, "little"))
    monkeypatch.setenv("H7SIM_VIRTUAL_TLB", "1" if mode == "virtual" else "0")
    keep = tlb_fill.install(uc, [(0x20000000, 0x2000FFFF)])
    uc.reg_write(UC_ARM_REG_R1, 0x20000400)
    uc.emu_start(0x08000001, 0x08000000 + len(IT_PROGRAM) - 2)
    assert (keep is not None) == (mode == "virtual")
    got = [uc.reg_read(r) for r in (UC_ARM_REG_R0, UC_ARM_REG_R3, UC_ARM_REG_R4, UC_ARM_REG_R5,
                                    UC_ARM_REG_R6, UC_ARM_REG_R7)]
    assert got == [42, 1, 1, 5, 6, 7] and uc.reg_read(UC_ARM_REG_PC) == 0x08000014


# The irq fuzz campaign's minimised case (session 8, seed 5000386): an unprivileged thread has
# its own MMU index, so its first load from a page misses the TLB even where privileged code
# ran; here the miss is inside an IT block. With the IT state left behind, the next block ran
# as if inside that IT block (the campaign saw lost stores, SP off by 4 and an UNDEFINSTR on a
# plain BNE). ARMv7-M A7.3.3: after the IT block every instruction runs: r0 = 5 + 6.
UNPRIVILEGED_IT = HEAD + """
    movs r0, #1
    msr control, r0           @ CONTROL.nPRIV: the thread runs unprivileged
    isb
    mov r11, #0               @ ITCM page 0
    movs r4, #0
    cmp r4, #0                @ V = 0: VC holds
    itett vc
    ldrvc r12, [r11, #16]     @ the unprivileged index's first access to the page: a TLB miss
    eorvs r0, r4, r5
    bicvc r4, r5, r5
    ldrvc r4, [r11, #80]
    b 1f
1:  movs r5, #5               @ a new block, outside any IT block
    movs r6, #6
    adds r0, r5, r6
    b exit_r0
    .thumb_func
memmanage:
    movs r0, #0xEE
    b exit_r0
"""


def test_an_unprivileged_tlb_miss_inside_an_it_block_leaves_no_it_state(tmp_path, tlb_mode):
    _, r = run(tmp_path, UNPRIVILEGED_IT)
    assert (r.exit_reason, r.exit_code) == ("exit", 11), r.diagnostic
