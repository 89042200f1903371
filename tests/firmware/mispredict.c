/* Branch mispredict penalties, timed with DWT CYCCNT (tests/test_mispredict.py).
 * A counted loop around one conditional branch over one instruction; its direction is bit 0
 * of the loop counter (alternating, taken first: a 2-bit counter that starts weakly
 * not-taken mispredicts every time), or of a constant (always / never taken: predicted).
 * "late": the flags are set right before the branch; "early": four dependent adds (no flags)
 * between. cycles(alternating) - mean(cycles(always), cycles(never)) = one mispredict per
 * iteration. Few branches, so no predictor entry is shared. Loops run from ITCM (no fetch
 * stalls). Self-contained. */
#include <stdint.h>
#include "semihost_exit.h"
#include "dwt.h"

#define DWT_CYCCNT (*(volatile uint32_t *)0xE0001004)
#define ITERS 256

volatile uint32_t results[8];

#define FILL "  add r3, r3, #1\n  add r3, r3, #1\n  add r3, r3, #1\n  add r3, r3, #1\n"
/* r0 = iterations (even), r1 = value whose bit 0 decides when the counter does not */
#define LOOP(name, flags_then_branch)                                       \
    __attribute__((noinline, naked, section(".itcm"))) uint32_t name(uint32_t n, uint32_t v) { \
        __asm__ volatile(                                                   \
            "  push {r4, r5, r8, lr}\n"                                     \
            "  ldr r4, =0xE0001004\n"                                       \
            "  ldr r2, [r4]\n"                                              \
            "1:\n" flags_then_branch                                        \
            "  add r8, r8, #1\n"                                            \
            "2:\n"                                                          \
            "  subs r0, r0, #1\n"                                           \
            "  bne 1b\n"                                                    \
            "  ldr r0, [r4]\n"                                              \
            "  subs r0, r0, r2\n"                                           \
            "  pop {r4, r5, r8, pc}\n"                                      \
            "  .ltorg\n");                                                  \
    }
/* "late": the branch shares its issue cycle with an independent add, as the loop branch of
 * jnk0le's test template does (a branch issued alone would, when predicted, also dual issue
 * with the first instruction of its path, and the difference would hold that cycle too) */
LOOP(late_counter, FILL "  lsls r5, r0, #31\n  add.w r12, r12, #0\n  beq 2f\n")
LOOP(late_value, FILL "  lsls r5, r1, #31\n  add.w r12, r12, #0\n  beq 2f\n")
LOOP(early_counter, "  lsls r5, r0, #31\n" FILL "  beq 2f\n")
LOOP(early_value, "  lsls r5, r1, #31\n" FILL "  beq 2f\n")

extern uint32_t __itcm_load, __itcm_start, __itcm_end;

void reset(void) {
    volatile uint32_t *s = &__itcm_load, *d = &__itcm_start;  /* code in ITCM: no fetch stalls */
    while (d < &__itcm_end) *d++ = *s++;
    dwt_init();
    results[0] = late_counter(ITERS, 0);
    results[1] = late_value(ITERS, 0);        /* always taken */
    results[2] = late_value(ITERS, 1);        /* never taken */
    results[3] = early_counter(ITERS, 0);
    results[4] = early_value(ITERS, 0);
    results[5] = early_value(ITERS, 1);
    results[7] = 1;
    semihost_exit(0);
}

__attribute__((section(".vectors"), used)) const void *vectors[2] = {(void *)0x20020000, (void *)reset};
