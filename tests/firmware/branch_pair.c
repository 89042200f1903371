/* A predicted branch dual issues with the first instruction of the path it predicted
 * (tests/test_branch_pair.py). [HW] jnk0le/random "pipeline cycle test/doc/cortex_m7.md"
 * (STM32H743): "Predicted (any direction and length) taken branch is capable of dual issuing
 * with one instruction at destination address" (20 instructions of which one is a branch
 * execute in exactly 10 cycles) and "not-taken branch can dual issue with following
 * instruction". Loops of independent ALU instructions, timed with DWT CYCCNT; each loop runs
 * N and 2N iterations, the difference is N iterations in steady state. Code in ITCM (no fetch
 * stalls). Self-contained. */
#include <stdint.h>
#include "semihost_exit.h"
#include "dwt.h"

#define DWT_CYCCNT (*(volatile uint32_t *)0xE0001004)
#define N 200

volatile uint32_t results[8];

#define A2 "  add.w r1, r1, #1\n  add.w r2, r2, #1\n"
#define A4 A2 "  add.w r3, r3, #1\n  add.w r12, r12, #1\n"
#define A8 A4 "  add.w r1, r1, #1\n  add.w r2, r2, #1\n  add.w r3, r3, #1\n  add.w r12, r12, #1\n"
/* r0 = iterations */
#define LOOP(name, body)                                                    \
    __attribute__((noinline, naked, section(".itcm"))) uint32_t name(uint32_t n) { \
        __asm__ volatile(                                                   \
            "  push {r4, r5, r6, lr}\n"                                     \
            "  movs r5, #1\n"                                               \
            "  ldr r4, =0xE0001004\n"                                       \
            "  ldr r6, [r4]\n"                                              \
            "  .p2align 3\n"                                                \
            "1:\n" body                                                     \
            "  ldr r0, [r4]\n"                                              \
            "  subs r0, r0, r6\n"                                           \
            "  pop {r4, r5, r6, pc}\n"                                      \
            "  .ltorg\n");                                                  \
    }
/* 19 ALU instructions + the loop branch: the branch pairs with the last ALU instruction */
LOOP(even20, "  subs.w r0, r0, #1\n" A8 A8 A2 "  bne 1b\n")
/* 20 ALU instructions + the loop branch: the branch issues alone, then pairs with the first
 * instruction at its target */
LOOP(odd21, "  subs.w r0, r0, #1\n" A8 A8 A2 "  add.w r3, r3, #1\n  bne 1b\n")
/* a never-taken branch inside the loop issues alone and pairs with the next instruction */
LOOP(not_taken, A2 "  add.w r3, r3, #1\n  cmp r5, #0\n  beq 2f\n" A4 "  subs.w r0, r0, #1\n"
     "  bne 1b\n2:\n")

extern uint32_t __itcm_load, __itcm_start, __itcm_end;

void reset(void) {
    volatile uint32_t *s = &__itcm_load, *d = &__itcm_start;
    while (d < &__itcm_end) *d++ = *s++;
    dwt_init();
    results[0] = even20(N);
    results[1] = even20(2 * N);
    results[2] = odd21(N);
    results[3] = odd21(2 * N);
    results[4] = not_taken(N);
    results[5] = not_taken(2 * N);
    results[7] = 1;
    semihost_exit(0);
}

__attribute__((section(".vectors"), used)) const void *vectors[2] = {(void *)0x20020000, (void *)reset};
