"""Stack and heap found from what firmware does, for the linker layouts firmware ships with.

Expected figures are the program's own arithmetic: a 10-deep recursion of 32-byte frames uses
320 bytes of stack, whatever the layout; a heap of 777 written bytes counts 780 (words)."""

from __future__ import annotations

from simulator.elf import load_firmware
from simulator.machine import Machine, RunConfig
from simulator.platform import load_platform

from .conftest import build_asm

# STM32CubeIDE's generated STM32H743ZITX_FLASH.ld, reduced to its layout: _estack at the top
# of DTCM; ._user_heap_stack right after .bss as a size check; the heap from `end` (_sbrk).
CUBEIDE_LD = """
_estack = ORIGIN(DTCMRAM) + LENGTH(DTCMRAM);
_Min_Heap_Size = 0x200;
_Min_Stack_Size = 0x400;
MEMORY { FLASH (rx) : ORIGIN = 0x08000000, LENGTH = 2048K
         DTCMRAM (xrw) : ORIGIN = 0x20000000, LENGTH = 128K }
SECTIONS {
  .isr_vector : { . = ALIGN(4); KEEP(*(.vectors)) . = ALIGN(4); } > FLASH
  .text : { *(.text*) } > FLASH
  .bss (NOLOAD) : { _sbss = .; *(.bss*) *(COMMON) _ebss = .; } > DTCMRAM
  ._user_heap_stack : {
    . = ALIGN(8);
    PROVIDE ( end = . );
    PROVIDE ( _end = . );
    . = . + _Min_Heap_Size;
    . = . + _Min_Stack_Size;
    . = ALIGN(8);
  } > DTCMRAM
}
"""

# CMSIS gcc_arm.ld: .heap holds the heap, .stack_dummy is a size check placed after it, the
# stack is __StackLimit..__StackTop at the top of the RAM.
CMSIS_LD = """
MEMORY { FLASH (rx) : ORIGIN = 0x08000000, LENGTH = 2048K
         RAM (rwx) : ORIGIN = 0x20000000, LENGTH = 128K }
SECTIONS {
  .text : { KEEP(*(.vectors)) *(.text*) } > FLASH
  .bss (NOLOAD) : { *(.bss*) } > RAM
  .heap (COPY) : { __HeapBase = .; __end__ = .; end = __end__; . += 0x1000; __HeapLimit = .; } > RAM
  .stack_dummy (COPY) : { . += 0x800; } > RAM
  __StackTop = ORIGIN(RAM) + LENGTH(RAM);
  __StackLimit = __StackTop - SIZEOF(.stack_dummy);
  PROVIDE(__stack = __StackTop);
}
"""

PROGRAM = """
    .section .vectors, "a"
    .word {sp}
    .word reset
    .text
    .thumb_func
reset:
    movs r0, #10
    bl recurse
    movs r0, #0
    b exit_here
    .thumb_func
recurse:
    push {r4, lr}
    sub sp, #24
    movs r4, #0
    str r4, [sp]
    str r4, [sp, #4]
    str r4, [sp, #8]
    str r4, [sp, #12]
    str r4, [sp, #16]
    str r4, [sp, #20]
    subs r0, #1
    beq 2f
    bl recurse
2:  add sp, #24
    pop {r4, pc}
    .thumb_func
exit_here:
    ldr r1, =0x20026
    ldr r2, =args
    str r1, [r2]
    str r0, [r2, #4]
    mov r1, r2
    movs r0, #0x20
    bkpt 0xab
    b .
    .bss
args: .space 8
buffer: .space 1000
"""


def run(tmp_path, linker: str, sp: str, program: str = PROGRAM):
    elf = build_asm(tmp_path, program.replace("{sp}", sp), linker=linker)
    m = Machine(load_firmware(elf), load_platform(), RunConfig())
    r = m.run()
    assert r.exit_reason == "exit", r.diagnostic
    return m, m.ram.report()


# CubeIDE's sysmem.c _sbrk, reduced: the break starts at _end; 777 bytes are written there.
CUBEIDE_PROGRAM = PROGRAM.replace("""reset:
    movs r0, #10
    bl recurse""", """reset:
    ldr r1, =heap_brk
    movs r0, #0
    str r0, [r1]              @ .bss is not zeroed by anyone else here
    ldr r0, =780
    bl _sbrk
    movs r1, #0
    ldr r2, =777
3:  strb r1, [r0], #1
    subs r2, #1
    bne 3b
    movs r0, #10
    bl recurse""").replace("""    .thumb_func
exit_here:""", """    .thumb_func
    .type _sbrk, %function
_sbrk:
    ldr r1, =heap_brk
    ldr r2, [r1]
    cbnz r2, 1f
    ldr r2, =_end
1:  adds r3, r2, r0
    str r3, [r1]
    mov r0, r2
    bx lr
    .size _sbrk, . - _sbrk
    .thumb_func
exit_here:""").replace("args: .space 8", "args: .space 8\nheap_brk: .space 4")


def test_cubeide_layout_stack_is_at_estack_not_the_reservation(tmp_path):
    m, mem = run(tmp_path, CUBEIDE_LD, "_estack", CUBEIDE_PROGRAM)
    st = mem["stack"]
    assert st["end"] == 0x20020000                      # _estack: top of DTCM
    assert st["peak"]["bytes"] == 320 == mem["regions"]["DTCM"]["stack_bytes"]
    assert st["reserved_bytes"] == 0x400                      # _Min_Stack_Size
    assert mem["heap"]["start"] == m.fw.symbol("_end").addr
    assert mem["heap"]["end"] == 0x20020000 - 0x400     # CubeIDE _sbrk limit
    assert mem["regions"]["DTCM"]["heap_bytes"] == 780  # 777 written bytes, in words
    dtcm = mem["regions"]["DTCM"]
    assert "._user_heap_stack" not in dtcm["static"]   # a size check, not data
    assert dtcm["other_touched_bytes"] == 0             # the real stack is not "other"
    assert mem["overflow"] is None
    assert all(v >= 0 for v in (dtcm["stack_bytes"], dtcm["heap_bytes"], dtcm["peak_bytes"]))


def test_cmsis_layout_stack_between_stacklimit_and_stacktop(tmp_path):
    m, mem = run(tmp_path, CMSIS_LD, "__StackTop")
    st = mem["stack"]
    assert (st["start"], st["end"]) == (0x20020000 - 0x800, 0x20020000)
    assert st["peak"]["bytes"] == 320
    assert mem["heap"]["start"] == m.fw.symbol("__HeapBase").addr
    assert mem["heap"]["end"] == m.fw.symbol("__HeapLimit").addr
    assert mem["overflow"] is None


ZEPHYR_LIKE = PROGRAM.replace("""buffer: .space 1000
""", """buffer: .space 1000
    .balign 8
    .global z_main_stack
    .type z_main_stack, %object
z_main_stack: .space 2048
    .size z_main_stack, 2048
z_main_stack_top:
""")


def test_zephyr_like_stack_object_holding_the_initial_sp(tmp_path):
    m, mem = run(tmp_path, CMSIS_LD.replace("__StackLimit", "__NoLimit"), "z_main_stack_top",
                 ZEPHYR_LIKE)
    st = mem["stack"]
    assert st["start"] == m.fw.symbol("z_main_stack").addr and st["reserved_bytes"] == 2048
    assert st["peak"]["bytes"] == 320


# A thread on PSP with its stack in .bss, far below the main stack area: no overflow.
PSP_PROGRAM = PROGRAM.replace("""reset:
    movs r0, #10
    bl recurse""", """reset:
    ldr r0, =task_stack + 1024
    msr psp, r0
    movs r0, #2
    msr control, r0           @ thread mode on PSP, as an RTOS task runs
    isb
    movs r0, #10
    bl recurse""").replace("""buffer: .space 1000
""", """buffer: .space 1000
task_stack: .space 1024
""")


def test_task_stack_on_psp_is_not_a_main_stack_overflow(tmp_path):
    m, mem = run(tmp_path, CUBEIDE_LD, "_estack", PSP_PROGRAM)
    assert mem["overflow"] is None
    base = m.fw.symbol("task_stack").addr
    assert base <= mem["stack"]["min_psp"] <= base + 1024   # PSP tracked apart (at events)
    assert mem["stack"]["peak"]["bytes"] == 0           # the main stack was never used
