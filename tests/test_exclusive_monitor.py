"""Exception entry and return clear the local exclusive monitor.

Oracle: ARMv7-M Architecture Reference Manual (DDI 0403E): B1.5.6 ExceptionTaken() and B1.5.8
ExceptionReturn() both call ClearExclusiveLocal(), and A3.4 says a STREX to an address the
local monitor does not hold (Open Access) does not store and returns 1. So a STREX after an
exception was taken between it and its LDREX fails even when the handler left the location
alone (an RTOS relies on this instead of a CLREX in its context switch), and an LDREX left open
by a handler does not let the interrupted code's STREX succeed. Found by the interrupt
transparency fuzz target's review (tests/fuzz_targets.py, target 'irq'): the simulator stacks
exception frames itself and bypassed QEMU's own clearing (QEMU commit dc3c4c14).
"""

from __future__ import annotations

import struct

from unicorn.arm_const import UC_ARM_REG_R4, UC_ARM_REG_R5, UC_ARM_REG_R6

from simulator.elf import load_firmware
from simulator.machine import Machine, RunConfig
from simulator.platform import load_platform

from .conftest import SEMIHOST_EXIT, build_asm, vector_table

VECTORS = vector_table({11: "svc"})


def _run(tmp_path, body: str, svc: str) -> Machine:
    src = (VECTORS + "    .thumb_func\nsvc:\n" + svc + "\n    .thumb_func\nreset:\n"
           + "    ldr r2, =0x20000100\n    movs r0, #5\n    str r0, [r2]\n" + body
           + "\n    movs r0, #0\n    b exit_r0\n" + SEMIHOST_EXIT)
    m = Machine(load_firmware(build_asm(tmp_path, src)), load_platform(),
                RunConfig(max_cycles=100_000))
    r = m.run()
    assert (r.exit_reason, r.exit_code) == ("exit", 0), r.diagnostic
    assert m.engine.stats.taken.get(11) == 1        # the SVC ran once
    return m


def test_exception_entry_clears_the_monitor(tmp_path):
    m = _run(tmp_path, """
    ldrex r0, [r2]
    svc #0                   @ B1.5.6: ClearExclusiveLocal()
    strex r4, r0, [r2]       @ fails: 1, nothing stored
    adds r0, r0, #1
    ldrex r1, [r2]
    strex r5, r0, [r2]       @ no exception in between: 0, stored
    ldr r6, [r2]
""", """
    movs r0, #7
    strex r3, r0, [r2]       @ the handler's STREX, before any return: fails too
    str r3, [r2, #4]
    bx lr""")
    assert [m.uc.reg_read(r) for r in (UC_ARM_REG_R4, UC_ARM_REG_R5, UC_ARM_REG_R6)] == [1, 0, 6]
    assert struct.unpack("<I", m.uc.mem_read(0x20000104, 4))[0] == 1


def test_exception_return_clears_the_monitor(tmp_path):
    m = _run(tmp_path, """
    svc #0                   @ the handler's LDREX of r2 stays open until it returns
    movs r0, #9
    strex r4, r0, [r2]       @ B1.5.8: the return cleared it: 1, nothing stored
    ldr r6, [r2]
""", "    ldrex r3, [r2]\n    bx lr")
    assert m.uc.reg_read(UC_ARM_REG_R4) == 1
    assert m.uc.reg_read(UC_ARM_REG_R6) == 5
    assert struct.unpack("<I", m.uc.mem_read(0x20000100, 4))[0] == 5

