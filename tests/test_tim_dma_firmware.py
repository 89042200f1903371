"""Timer DMA through the whole machine: firmware sets up TIM3 PWM with its CC1 request routed by
DMAMUX1 (request 23 = TIM3_CH1, RM0433 Table 121) to DMA1 stream 0, memory-to-peripheral from
AXI SRAM into TIM3_CCR1 (0x4000 0434), as HAL_TIM_PWM_Start_DMA does. At reset the timer
clock is the 64 MHz HSI (no APB prescaler), PSC 0, ARR 999: one period is 1000 core cycles.
The firmware waits for TCIF0 (DMA1_LISR bit 5) and checks CCR1 = 400 (the last item) and
NDTR = 0; the four items move at the CC1 matches of periods 0-3 (CCR1 50, 100, 200, 300:
the preloaded value changes one update event after each write), so TCIF0 is set 3,300 timer
clocks after the counter starts."""

from __future__ import annotations

from simulator.elf import load_firmware
from simulator.machine import Machine, RunConfig
from simulator.platform import load_platform

from .conftest import SEMIHOST_EXIT, build_asm

PROGRAM = """
    .section .vectors, "a"
    .word 0x20010000
    .word reset
    .text
    .thumb_func
reset:
    ldr r1, =0x580244D8       @ RCC_AHB1ENR: DMA1EN
    movs r0, #1
    str r0, [r1]
    ldr r1, =0x580244E8       @ RCC_APB1LENR: TIM3EN
    movs r0, #2
    str r0, [r1]
    ldr r1, =0x24000000       @ the pulse table in AXI SRAM
    movs r0, #100
    str r0, [r1]
    movs r0, #200
    str r0, [r1, #4]
    mov r0, #300
    str r0, [r1, #8]
    mov r0, #400
    str r0, [r1, #12]
    ldr r1, =0x40020800       @ DMAMUX1_C0CR = 23 (TIM3_CH1)
    movs r0, #23
    str r0, [r1]
    ldr r1, =0x40020010       @ DMA1 stream 0
    ldr r0, =0x40000434
    str r0, [r1, #0x08]       @ S0PAR = &TIM3_CCR1
    ldr r0, =0x24000000
    str r0, [r1, #0x0C]       @ S0M0AR
    movs r0, #4
    str r0, [r1, #0x04]       @ S0NDTR
    ldr r0, =(1 << 6) | (1 << 10) | (2 << 11) | (2 << 13) | 1
    str r0, [r1]              @ S0CR: M2P, MINC, 32-bit, EN
    ldr r1, =0x40000400       @ TIM3
    ldr r0, =999
    str r0, [r1, #0x2C]       @ ARR
    movs r0, #0x68
    str r0, [r1, #0x18]       @ CCMR1: PWM mode 1, OC1PE
    movs r0, #1
    str r0, [r1, #0x20]       @ CCER: CC1E
    movs r0, #50
    str r0, [r1, #0x34]       @ CCR1
    movs r0, #1
    str r0, [r1, #0x14]       @ EGR: UG
    movs r0, #0
    str r0, [r1, #0x10]       @ SR
    mov r0, #(1 << 9)
    str r0, [r1, #0x0C]       @ DIER: CC1DE
    ldr r2, =0x40020000       @ DMA1_LISR
    movs r0, #1
    str r0, [r1]              @ CR1: CEN
1:  ldr r0, [r2]
    tst r0, #(1 << 5)         @ TCIF0
    beq 1b
    ldr r0, [r1, #0x34]
    cmp r0, #400
    bne fail
    ldr r0, [r2, #0x14]       @ S0NDTR
    cmp r0, #0
    bne fail
    movs r0, #0
    b exit_r0
fail:
    movs r0, #1
    b exit_r0
"""


def test_pwm_dma_rewrites_ccr1_through_dmamux(tmp_path):
    elf = build_asm(tmp_path, PROGRAM + SEMIHOST_EXIT)
    m = Machine(load_firmware(elf), load_platform(), RunConfig(max_cycles=10**7))
    r = m.run()
    assert r.exit_reason == "exit" and r.exit_code == 0, r.diagnostic
    assert m.peripherals["TIM3"].dma_requests["CC1"] == 4
    assert 3_300 <= r.cycles < 3_300 + 400          # TCIF0 at 3,300 counts, then the checks
