/* The flash read data buffer and the prefetch queue on a not-taken branch
 * (tests/test_flash_buffer.py), I- and D-cache off (reset state), reset clock (HSI 64 MHz,
 * FLASH_ACR.LATENCY 7), timed with DWT CYCCNT.
 *
 * RM0433 4.3.8 (text read in RM0399 Rev 4 4.3.8, the same H7 flash interface): per flash
 * bank "the read commands ... are associated with a 256-bit read data buffer"; "if several
 * consecutive read accesses request data that belong to the same flash data word (256 bits),
 * the data are read directly from the current data read buffer, without triggering
 * additional flash read operations".
 * - tight:  a loop inside one 32-byte flash word; each taken branch back refetches that word.
 * - two:    a loop over two flash words; the branch target's word is never the buffered one.
 * - ld1:    tight + a load from another flash word of bank 1 (replaces the buffered word).
 * - ld2:    tight + a load from bank 2 (0x0810 0000): its own buffer, bank 1's stays.
 * Each loop runs from flash and from AXI SRAM (no buffer, no wait states).
 *
 * [TRM] Cortex-M7 prefetch unit: the 4 x 64-bit queue runs ahead of execution on sequential
 * code; a branch predicted not taken does not redirect it:
 * - nt:     4 lines of execution-bound multiplies with a never-taken beq in the second line,
 *           from flash and from ITCM, against the same loop without it (flat).
 * Self-contained. */
#include <stdint.h>
#include "semihost_exit.h"
#include "dwt.h"

#define N 100

volatile uint32_t results[24];
__attribute__((aligned(32), used)) const uint32_t bank1_word[8] = {1, 2, 3, 4, 5, 6, 7, 8};
__attribute__((aligned(32), used, section(".bank2"))) const uint32_t bank2_word[8] = {1};

#define M2 "  mul.w r1, r1, r2\n  mul.w r1, r1, r2\n"
#define LINE M2 M2 M2 M2                                /* 8 x 4 bytes: one 32-byte line */
#define CLOSE "  subs.w r0, r0, #1\n  bne.w 1b\n"
/* r0 = iterations; r5 = a word to load; the loop starts on a flash word boundary */
#define LOOP(name, sec, word, body)                                         \
    __attribute__((noinline, naked, aligned(32), section(sec))) uint32_t name(uint32_t n) { \
        __asm__ volatile(                                                   \
            "  push {r4, r5, r6, r7, lr}\n"                                 \
            "  movs r1, #3\n"                                               \
            "  movs r2, #5\n"                                               \
            "  movs r7, #0\n"                                               \
            "  ldr r5, =" word "\n"                                         \
            "  ldr r4, =0xE0001004\n"                                       \
            "  ldr r6, [r4]\n"                                              \
            "  .p2align 5\n"                                                \
            "1:\n" body                                                     \
            "  ldr r0, [r4]\n"                                              \
            "  subs r0, r0, r6\n"                                           \
            "  pop {r4, r5, r6, r7, pc}\n"                                  \
            "  .ltorg\n");                                                  \
    }
/* 16 bytes: inside one flash word */
#define TIGHT M2 CLOSE
#define TIGHT_LD M2 "  ldr r3, [r5]\n" CLOSE
#define TWO LINE M2 CLOSE
/* the never-taken branch ends a block in the second line; the rest of the loop continues it */
#define NT LINE M2 "  cmp r7, #1\n  beq.w 2f\n" M2 LINE M2 M2 M2 CLOSE "2:\n"
#define FLAT LINE M2 "  cmp r7, #1\n  nop.w\n" M2 LINE M2 M2 M2 CLOSE

LOOP(flash_tight, ".text.f1", "bank1_word", TIGHT)
LOOP(axi_tight, ".axi_text.a1", "bank1_word", TIGHT)
LOOP(flash_two, ".text.f2", "bank1_word", TWO)
LOOP(axi_two, ".axi_text.a2", "bank1_word", TWO)
LOOP(flash_ld1, ".text.f3", "bank1_word", TIGHT_LD)
LOOP(axi_ld1, ".axi_text.a3", "bank1_word", TIGHT_LD)
LOOP(flash_ld2, ".text.f4", "bank2_word", TIGHT_LD)
LOOP(axi_ld2, ".axi_text.a4", "bank2_word", TIGHT_LD)
LOOP(flash_nt, ".text.f5", "bank1_word", NT)
LOOP(itcm_nt, ".itcm.i5", "bank1_word", NT)
LOOP(flash_flat, ".text.f6", "bank1_word", FLAT)
LOOP(itcm_flat, ".itcm.i6", "bank1_word", FLAT)

extern uint32_t __itcm_load, __itcm_start, __itcm_end, __axi_load, __axi_start, __axi_end;

#include "loop_timing.h"

void reset(void) {
    copy(&__itcm_load, &__itcm_start, &__itcm_end);
    copy(&__axi_load, &__axi_start, &__axi_end);
    dwt_init();
    time_loop(flash_tight, &results[0]);
    time_loop(axi_tight, &results[2]);
    time_loop(flash_two, &results[4]);
    time_loop(axi_two, &results[6]);
    time_loop(flash_ld1, &results[8]);
    time_loop(axi_ld1, &results[10]);
    time_loop(flash_ld2, &results[12]);
    time_loop(axi_ld2, &results[14]);
    time_loop(flash_nt, &results[16]);
    time_loop(itcm_nt, &results[18]);
    time_loop(flash_flat, &results[20]);
    time_loop(itcm_flat, &results[22]);
    semihost_exit(0);
}

__attribute__((section(".vectors"), used)) const void *vectors[2] = {(void *)0x20020000, (void *)reset};
