"""One test per fault class: the fault reaches the firmware's handler with CFSR/HFSR/BFAR set
as on silicon, escalates to HardFault when its handler is disabled, and is diagnosed (function
and source line) when the firmware has no handler."""

from __future__ import annotations

import pytest
from unicorn.arm_const import UC_ARM_REG_R4, UC_ARM_REG_R5, UC_ARM_REG_R6

from simulator.elf import load_firmware
from simulator.machine import Machine, RunConfig
from simulator.platform import load_platform

from .conftest import SEMIHOST_EXIT, build_asm

VECTORS = """
    .section .vectors, "a"
    .word 0x20020000
    .word reset
    .word handler_nmi
    .word {hardfault}
    .word handler_mm
    .word handler_bus
    .word handler_usage
    .text
"""

HANDLERS = """
    .thumb_func
handler_nmi:
    movs r0, #2
    b report
    .thumb_func
handler_hf:
    movs r0, #3
    b report
    .thumb_func
handler_mm:
    movs r0, #4
    b report
    .thumb_func
handler_bus:
    movs r0, #5
    b report
    .thumb_func
handler_usage:
    movs r0, #6
    b report
    .thumb_func
handler_loop:
    b handler_loop
    .thumb_func
report:
    ldr r1, =0xE000ED28
    ldr r4, [r1]          @ CFSR
    ldr r5, [r1, #4]      @ HFSR
    ldr r6, [r1, #16]     @ BFAR
    b exit_r0
"""

ENABLE_ALL = """
    ldr r1, =0xE000ED24   @ SHCSR: MEMFAULTENA | BUSFAULTENA | USGFAULTENA
    ldr r2, =0x70000
    str r2, [r1]
"""

CASES = {
    "undefined": ("udf #0", 1 << 16),
    "invstate": ("ldr r0, =even_target\n    bx r0\n    .align 2\neven_target: nop", 1 << 17),
    "bus_read": ("ldr r0, =0x60000000\n    ldr r0, [r0]", (1 << 9) | (1 << 15)),
    "flash_write": ("ldr r0, =0x08100000\n    str r0, [r0]", 1 << 10),
    "execute_never": ("ldr r0, =0x40000001\n    bx r0", 1 << 0),
}
EXPECTED_HANDLER = {"undefined": 6, "invstate": 6, "bus_read": 5, "flash_write": 5,
                    "execute_never": 4}


def _program(body: str, enable: bool, hardfault: str = "handler_hf") -> str:
    return (VECTORS.format(hardfault=hardfault) + "    .thumb_func\nreset:\n"
            + (ENABLE_ALL if enable else "") + "    " + body + "\n    movs r0, #99\n    b exit_r0\n"
            + HANDLERS + SEMIHOST_EXIT)


def _run(elf):
    m = Machine(load_firmware(elf), load_platform(), RunConfig(max_cycles=10_000_000))
    return m, m.run()


@pytest.mark.parametrize("case", sorted(CASES))
def test_fault_escalates_to_hardfault_when_disabled(tmp_path, case):
    body, cfsr = CASES[case]
    m, r = _run(build_asm(tmp_path, _program(body, enable=False)))
    assert r.exit_reason == "exit"
    assert r.exit_code == 3, r.diagnostic          # HardFault handler ran
    assert m.uc.reg_read(UC_ARM_REG_R4) & cfsr == cfsr
    assert m.uc.reg_read(UC_ARM_REG_R5) & (1 << 30)  # HFSR.FORCED
    if case == "bus_read":
        assert m.uc.reg_read(UC_ARM_REG_R6) == 0x60000000


@pytest.mark.parametrize("case", sorted(CASES))
def test_fault_reaches_its_own_handler_when_enabled(tmp_path, case):
    body, cfsr = CASES[case]
    m, r = _run(build_asm(tmp_path, _program(body, enable=True)))
    assert r.exit_code == EXPECTED_HANDLER[case], r.diagnostic
    assert m.uc.reg_read(UC_ARM_REG_R4) & cfsr == cfsr
    assert not m.uc.reg_read(UC_ARM_REG_R5) & (1 << 30)


def test_fault_without_handler_is_diagnosed_with_source_line(tmp_path):
    elf = build_asm(tmp_path, _program("ldr r0, =0x60000000\n    ldr r0, [r0]", False,
                                       hardfault="handler_loop"))
    m, r = _run(elf)
    assert r.exit_reason == "fault"
    assert r.exit_code == 4
    assert "PRECISERR" in r.diagnostic and "0x60000000" in r.diagnostic
    assert "reset+" in r.diagnostic and "t.s:" in r.diagnostic   # function and source line
    assert r.fault["exception"] == "HardFault"


def test_fault_inside_hardfault_locks_up(tmp_path):
    src = _program("udf #0", False, hardfault="handler_bad")
    src += "\n    .thumb_func\nhandler_bad:\n    udf #1\n"
    m, r = _run(build_asm(tmp_path, src))
    assert r.exit_reason == "lockup"
    assert r.exit_code == 4


def test_vtor_pointing_at_unmapped_memory_locks_up(tmp_path):
    """VTOR moved to the FMC bank (0x60000000, nothing mapped): the SVC's vector fetch is a
    bus error -> HardFault with HFSR.VECTTBL, whose own vector fetch fails too: the core
    locks up (ARMv7-M B1.5.6 / B3.2.16), and the run says so instead of crashing."""
    body = ("ldr r1, =0xE000ED08\n    ldr r2, =0x60000000\n    str r2, [r1]\n"
            "    dsb\n    svc #0")
    m, r = _run(build_asm(tmp_path, _program(body, enable=True)))
    assert r.exit_reason == "lockup" and r.exit_code == 4
    assert "VECTTBL" in r.diagnostic and "0x6000002c" in r.diagnostic   # vector 11 = SVCall
    assert m.engine.hfsr & (1 << 1)
