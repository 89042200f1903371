/* Uncached instruction fetch overlaps with execution (tests/test_uncached_fetch.py).
 * [TRM] Cortex-M7 prefetch unit: "64-bit instruction fetch bandwidth" and a "4x64-bit pre-fetch
 * queue to decouple instruction pre-fetch from DPU pipeline operation": with the I-cache off,
 * the next 32 bytes of straight-line code are fetched while the current ones execute; only
 * the line after a taken branch (the queue refilled from the branch target) waits for the
 * memory. Loops of dependent 32-bit multiplies (2 cycles each, 16 per 32-byte line: longer
 * than a flash line fetch) of 4 and 8 lines, timed with DWT CYCCNT from flash with the caches
 * off (reset state) and from ITCM; each runs N and 2N iterations, the difference is N
 * iterations. The 4-line loop also runs from AXI SRAM, SRAM1 (D2) and SRAM4 (D3): RM0433
 * Figure 1, instruction fetches from D2 / D3 cross the same AXI-to-AHB bridge as data.
 * Self-contained. */
#include <stdint.h>
#include "semihost_exit.h"
#include "dwt.h"

#define DWT_CYCCNT (*(volatile uint32_t *)0xE0001004)
#define N 100

volatile uint32_t results[16];

#define M2 "  mul.w r1, r1, r2\n  mul.w r1, r1, r2\n"
#define LINE M2 M2 M2 M2                               /* 8 x 4 bytes: one 32-byte line */
#define LAST M2 M2 M2 "  subs.w r0, r0, #1\n  bne.w 1b\n"  /* the last line closes the loop */
/* r0 = iterations; the loop starts on a line boundary */
#define LOOP(name, sec, body)                                               \
    __attribute__((noinline, naked, aligned(32), section(sec))) uint32_t name(uint32_t n) { \
        __asm__ volatile(                                                   \
            "  push {r4, r6, r7, lr}\n"                                     \
            "  movs r1, #3\n"                                               \
            "  movs r2, #5\n"                                               \
            "  ldr r4, =0xE0001004\n"                                       \
            "  ldr r6, [r4]\n"                                              \
            "  .p2align 5\n"                                                \
            "1:\n" body                                                     \
            "  ldr r0, [r4]\n"                                              \
            "  subs r0, r0, r6\n"                                           \
            "  pop {r4, r6, r7, pc}\n"                                      \
            "  .ltorg\n");                                                  \
    }
LOOP(flash4, ".text.flash4", LINE LINE LINE LAST)
LOOP(flash8, ".text.flash8", LINE LINE LINE LINE LINE LINE LINE LAST)
LOOP(itcm4, ".itcm.itcm4", LINE LINE LINE LAST)
LOOP(itcm8, ".itcm.itcm8", LINE LINE LINE LINE LINE LINE LINE LAST)
LOOP(axi4, ".axi_text", LINE LINE LINE LAST)
LOOP(sram1_4, ".sram1_text", LINE LINE LINE LAST)
LOOP(sram4_4, ".sram4_text", LINE LINE LINE LAST)

extern uint32_t __itcm_load, __itcm_start, __itcm_end;
extern uint32_t __axi_load, __axi_start, __axi_end, __sram1_load, __sram1_start, __sram1_end,
    __sram4_load, __sram4_start, __sram4_end;

#include "loop_timing.h"

void reset(void) {
    copy(&__itcm_load, &__itcm_start, &__itcm_end);
    copy(&__axi_load, &__axi_start, &__axi_end);
    copy(&__sram1_load, &__sram1_start, &__sram1_end);
    copy(&__sram4_load, &__sram4_start, &__sram4_end);
    dwt_init();
    time_loop(flash4, &results[0]);
    time_loop(flash8, &results[2]);
    time_loop(itcm4, &results[4]);
    time_loop(itcm8, &results[6]);
    time_loop(axi4, &results[10]);
    time_loop(sram1_4, &results[12]);
    time_loop(sram4_4, &results[14]);
    results[9] = 1;
    semihost_exit(0);
}

__attribute__((section(".vectors"), used)) const void *vectors[2] = {(void *)0x20020000, (void *)reset};
