"""ITM printf: CMSIS ITM_SendChar's sequence reaches the host console, and --swo writes the ITM
packet stream (ARMv7-M ARM D4.2.8: header (port << 3) | size code 01/10/11, payload LE)."""

from __future__ import annotations

from simulator.cli import main

from .conftest import SEMIHOST_EXIT, build_asm

PROGRAM = """
    .section .vectors, "a"
    .word 0x20010000
    .word reset
    .text
    .thumb_func
reset:
    ldr r1, =0xE000EDFC       @ DEMCR: TRCENA
    mov r0, #(1 << 24)
    str r0, [r1]
    ldr r1, =0xE0000FB0       @ ITM_LAR unlock
    ldr r0, =0xC5ACCE55
    str r0, [r1]
    ldr r1, =0xE0000E80       @ ITM_TCR: ITMENA
    movs r0, #1
    str r0, [r1]
    ldr r1, =0xE0000E00       @ ITM_TER: ports 0 and 1
    movs r0, #3
    str r0, [r1]
    ldr r4, =text
1:  ldrb r0, [r4], #1
    cbz r0, 3f
    ldr r1, =0xE0000000       @ ITM_SendChar: wait for FIFOREADY, write port 0
2:  ldr r2, [r1]
    cmp r2, #0
    beq 2b
    strb r0, [r1]
    b 1b
3:  ldr r1, =0xE0000004       @ a 32-bit word on port 1
    ldr r0, =0xDEADBEEF
    str r0, [r1]
    ldr r1, =0xE0000008       @ port 2 is not enabled in TER: nothing
    str r0, [r1]
    movs r0, #0
    b exit_r0
text: .asciz "Hi\\n"
    .align 2
"""


def test_itm_sendchar_to_console_and_swo_file(tmp_path, capsys):
    elf = build_asm(tmp_path, PROGRAM + SEMIHOST_EXIT)
    swo = tmp_path / "trace.swo"
    assert main([str(elf), "--swo", str(swo)]) == 0
    assert "Hi\n" in capsys.readouterr().out
    assert swo.read_bytes() == bytes([0x01, ord("H"), 0x01, ord("i"), 0x01, ord("\n"),
                                      1 << 3 | 3, 0xEF, 0xBE, 0xAD, 0xDE])
