"""A WFI that nothing can end is recognised: SysTick counting with TICKINT off (what
HAL_SuspendTick leaves) cannot wake the core, so the run ends idle, not at --max-cycles."""

from __future__ import annotations

from simulator.elf import load_firmware
from simulator.machine import Machine, RunConfig
from simulator.platform import load_platform

from .conftest import build_asm

PROGRAM = """
    .section .vectors, "a"
    .word 0x20010000
    .word reset
    .text
    .thumb_func
reset:
    ldr r2, =systick_count    @ .bss is not zeroed by anyone else here
    movs r1, #0
    str r1, [r2]
    ldr r0, =0xE000E010       @ SYST_CSR
    ldr r1, =63999            @ 1 ms at 64 MHz (HSI)
    str r1, [r0, #4]          @ SYST_RVR
    movs r1, #0
    str r1, [r0, #8]          @ SYST_CVR
    movs r1, #{csr}
    str r1, [r0]              @ ENABLE | CLKSOURCE (| TICKINT)
1:  wfi
    b 1b
    .thumb_func
systick:
    ldr r2, =systick_count
    ldr r3, [r2]
    adds r3, #1
    str r3, [r2]
    cmp r3, #3
    bne 2f
    ldr r0, =0xE000E010
    movs r1, #5               @ HAL_SuspendTick: TICKINT off, counter keeps running
    str r1, [r0]
2:  bx lr
    .bss
systick_count: .space 4
"""

def run(tmp_path, csr: int):
    src = PROGRAM.replace("{csr}", str(csr))
    # the vector table: SP, reset, 13 words, SysTick (exception 15)
    src = src.replace('    .word reset\n', '    .word reset\n    .rept 13\n    .word 0\n'
                      '    .endr\n    .word systick\n', 1)
    elf = build_asm(tmp_path, src)
    m = Machine(load_firmware(elf), load_platform(), RunConfig(max_cycles=640_000_000))
    return m, m.run()


def test_wfi_with_systick_interrupt_off_ends_idle(tmp_path):
    _, r = run(tmp_path, 5)                     # ENABLE | CLKSOURCE, TICKINT off
    assert r.exit_reason == "idle" and r.exit_code == 0
    assert r.cycles < 1_000                     # not 10 s of wraps


def test_tick_interrupts_then_suspend_ends_idle_after_three_ticks(tmp_path):
    m, r = run(tmp_path, 7)                     # TICKINT on: three 1 ms ticks, then off
    assert r.exit_reason == "idle"
    count = int.from_bytes(bytes(m.uc.mem_read(m.fw.symbol("systick_count").addr, 4)), "little")
    assert count == 3
    assert 3 * 64_000 <= r.cycles < 4 * 64_000  # idle right after the third tick (1 ms each)
