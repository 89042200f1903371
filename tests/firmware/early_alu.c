/* Early ALU (tests/test_early_alu.py). [HW] jnk0le/random "pipeline cycle test/doc/
 * cortex_m7.md" (STM32H743): "there is an early and late ALU one cycle apart"; add/sub
 * (register or simple constant) and non-shifting mov "can enter early alu from older op only";
 * an early ALU result "can be forwarded to late alu in 0 cycles, or early alu next cycle", the
 * address generation included: "add.w r0, r2 / eor.w r6, r0, r6, ror #22 / ldr.w r4, [r14, r0]
 * / ldr.w r5, [r14, r1]" does not stall. Two loops of four such groups (the second load of
 * the published snippet replaced by an independent add: the bank of a register-offset load is
 * not known statically), one led by add (early ALU), one by eor (late ALU only), timed with
 * DWT CYCCNT; each runs N and 2N iterations. Code in ITCM. Self-contained. */
#include <stdint.h>
#include "semihost_exit.h"
#include "dwt.h"

#define DWT_CYCCNT (*(volatile uint32_t *)0xE0001004)
#define N 200

volatile uint32_t results[8];
uint32_t buffer[4];

/* add in the older slot, its dependent eor (late ALU) in the younger one; the next cycle a
 * load addressed by the add's result, with an independent add */
#define ADD_GROUP "  add.w r0, r2, r3\n  eor.w r6, r0, r6, ror #22\n" \
                  "  ldr.w r4, [r1, r0]\n  add.w r5, r5, #1\n"
/* the same with the address produced by eor (late ALU only): the load waits a cycle */
#define EOR_GROUP "  eor.w r0, r2, r3\n  add.w r6, r6, #1\n" \
                  "  ldr.w r4, [r1, r0]\n  add.w r5, r5, #1\n"
/* r0 = iterations, r1 = buffer */
#define LOOP(name, group)                                                   \
    __attribute__((noinline, naked, section(".itcm"))) uint32_t name(uint32_t n, uint32_t *b) { \
        __asm__ volatile(                                                   \
            "  push {r4, r5, r6, r7, r8, r9, lr}\n"                         \
            "  mov r9, r0\n"                                                \
            "  movs r2, #0\n"                                               \
            "  movs r3, #4\n"                                               \
            "  ldr r7, =0xE0001004\n"                                       \
            "  ldr r8, [r7]\n"                                              \
            "  .p2align 3\n"                                                \
            "1:\n" group group group group                                  \
            "  subs.w r9, r9, #1\n"                                         \
            "  bne.w 1b\n"                                                  \
            "  ldr r0, [r7]\n"                                              \
            "  subs r0, r0, r8\n"                                           \
            "  pop {r4, r5, r6, r7, r8, r9, pc}\n"                          \
            "  .ltorg\n");                                                  \
    }
LOOP(add_led, ADD_GROUP)
LOOP(eor_led, EOR_GROUP)

extern uint32_t __itcm_load, __itcm_start, __itcm_end;

static void time_loop(uint32_t (*loop)(uint32_t, uint32_t *), volatile uint32_t *out) {
    out[0] = loop(N, buffer);
    out[1] = loop(2 * N, buffer);
}

void reset(void) {
    volatile uint32_t *s = &__itcm_load, *d = &__itcm_start;
    while (d < &__itcm_end) *d++ = *s++;
    dwt_init();
    time_loop(add_led, &results[0]);
    time_loop(eor_led, &results[2]);
    results[7] = 1;
    semihost_exit(0);
}

__attribute__((section(".vectors"), used)) const void *vectors[2] = {(void *)0x20020000, (void *)reset};
