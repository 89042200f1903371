"""The report's stall breakdown by cause, on code whose stalls are known."""

from __future__ import annotations

from simulator.elf import load_firmware
from simulator.machine import Machine, RunConfig
from simulator.platform import load_platform

from .conftest import SEMIHOST_EXIT, build_asm

N = 1000
LOOP = f"""
    .section .vectors, "a"
    .word 0x20020000
    .word reset
    .text
    .thumb_func
reset:
    ldr r1, =0x20000000
    ldr r4, ={N}
1:  ldrb r0, [r1]         @ byte load (result latency 2: jnk0le, LLVM M7SlowLoad) ...
    adds r2, r0, #1       @ ... used by the next instruction: one load-use stall
    sdiv r3, r2, r4       @ single issue, multi-cycle: issue restriction cycles
    subs r4, #1
    bne 1b
    movs r0, #0
    b exit_r0
""" + SEMIHOST_EXIT


def test_load_use_and_divide_stalls_are_attributed(tmp_path):
    elf = build_asm(tmp_path, LOOP)
    m = Machine(load_firmware(elf), load_platform(), RunConfig(max_cycles=10**7))
    r = m.run()
    assert r.exit_code == 0
    t = r.timing
    # each iteration: the add waits for the byte load (>= 1 cycle) and the divide issues for
    # several cycles (div_cycles - 1 beyond its own issue slot)
    assert t["stall_operand_cycles"] >= N
    assert t["stall_issue_cycles"] >= N * 5
    assert t["stall_operand_cycles"] + t["stall_issue_cycles"] < r.cycles
