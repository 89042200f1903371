"""LPTIM1 on the LSI wakes the chip from Stop: three 0.1 s periods (ARR 3199 at the LSI's
32 kHz, DS12110 Table 60 typical) pass in Stop, the core only waking for each interrupt.

The wake-up goes through the EXTI: LPTIM1 is direct event input 47 (RM0433 Table 90), unmasked
by EXTI_CPUIMR2 bit 15 (0x5800 0090; reset value 0 per ST's SVD). Masked, the interrupt is
pending in the NVIC but Stop does not end."""

from __future__ import annotations

from simulator.elf import load_firmware
from simulator.machine import Machine, RunConfig
from simulator.platform import load_platform

from .conftest import SEMIHOST_EXIT, build_asm

LSI_HZ = 32_000
PROGRAM = """
    .section .vectors, "a"
    .word 0x20010000
    .word reset
    .rept 107                 @ exceptions 2..15 and IRQs 0..92
    .word 0
    .endr
    .word lptim1_irq          @ IRQ 93: LPTIM1 (RM0433 Table 145)
    .text
    .thumb_func
reset:
    ldr r4, =count
    movs r0, #0
    str r0, [r4]
    ldr r1, =0x58024474       @ RCC_CSR: LSION
    movs r0, #1
    str r0, [r1]
1:  ldr r0, [r1]
    tst r0, #2                @ LSIRDY
    beq 1b
    ldr r1, =0x58024454       @ RCC_D2CCIP2R: LPTIM1SEL = 100 (LSI)
    ldr r0, [r1]
    orr r0, r0, #(4 << 28)
    str r0, [r1]
    ldr r1, =0x580244E8       @ RCC_APB1LENR: LPTIM1EN
    ldr r0, [r1]
    orr r0, r0, #(1 << 9)
    str r0, [r1]
    ldr r1, =0x40002400       @ LPTIM1
    movs r0, #2
    str r0, [r1, #0x08]       @ IER: ARRMIE
    movs r0, #1
    str r0, [r1, #0x10]       @ CR: ENABLE
    ldr r0, =3199
    str r0, [r1, #0x18]       @ ARR
2:  ldr r0, [r1]
    tst r0, #0x10             @ ARROK
    beq 2b
    movs r0, #0x10
    str r0, [r1, #0x04]       @ ICR
    movs r0, #5
    str r0, [r1, #0x10]       @ CR: ENABLE | CNTSTRT
    ldr r1, =0x58000090       @ EXTI_CPUIMR2: input 47 (LPTIM1 wake-up) = bit 15
    ldr r0, [r1]
    orr r0, r0, #UNMASK
    str r0, [r1]
    ldr r1, =0xE000E108       @ NVIC_ISER2: IRQ 93 = bit 29
    mov r0, #(1 << 29)
    str r0, [r1]
    ldr r1, =0xE000ED10       @ SCB_SCR: SLEEPDEEP -> Stop
    movs r0, #4
    str r0, [r1]
3:  wfi
    ldr r0, [r4]
    cmp r0, #3
    blo 3b
    movs r0, #0
    b exit_r0
    .thumb_func
lptim1_irq:
    ldr r1, =0x40002400
    movs r0, #2
    str r0, [r1, #0x04]       @ ICR: ARRMCF
    ldr r1, =count
    ldr r0, [r1]
    adds r0, #1
    str r0, [r1]
    bx lr
    .bss
count: .space 4
    .text
"""


def test_lptim_on_lsi_wakes_from_stop_three_times(tmp_path):
    elf = build_asm(tmp_path, ".equ UNMASK, 1 << 15\n" + PROGRAM + SEMIHOST_EXIT)
    m = Machine(load_firmware(elf), load_platform(), RunConfig(max_cycles=10**9))
    r = m.run()
    assert r.exit_reason == "exit" and r.exit_code == 0, r.diagnostic
    period = 3200 / LSI_HZ                                   # ARR + 1 counts
    first = 3199 / LSI_HZ
    assert first + 2 * period <= r.seconds < first + 2 * period + 0.01
    stop = sum(s.seconds for s in r.segments if s.state == "stop")
    assert stop > 0.9 * (first + 2 * period)                 # the waits were spent in Stop
    assert r.exceptions_taken.get(16 + 93) == 3


def test_masked_exti_line_keeps_the_chip_in_stop(tmp_path):
    elf = build_asm(tmp_path, ".equ UNMASK, 0\n" + PROGRAM + SEMIHOST_EXIT)
    m = Machine(load_firmware(elf), load_platform(), RunConfig(max_cycles=10**9))
    r = m.run()
    assert r.exit_reason == "idle", r.diagnostic
    assert not r.exceptions_taken.get(16 + 93)               # never woke for the interrupt
    # once ARRM is pending nothing in Stop can change: the run ends at the first match (0.1 s)
    # instead of charging Stop current until the idle guard gives up
    assert r.seconds < 2 * 3200 / LSI_HZ
