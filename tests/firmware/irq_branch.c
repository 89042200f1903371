/* An interrupt does not un-execute the branch it follows (tests/test_irq_branch.py): a loop
 * around one conditional branch whose direction alternates, with SysTick firing every few
 * iterations (-DSYSTICK) or not at all. Code in ITCM. Self-contained. */
#include <stdint.h>
#include "semihost_exit.h"

#define SYST_CSR (*(volatile uint32_t *)0xE000E010)
#define SYST_RVR (*(volatile uint32_t *)0xE000E014)
#define SYST_CVR (*(volatile uint32_t *)0xE000E018)
#define N 4000

volatile uint32_t results[4];
volatile uint32_t ticks;

void systick(void) { ticks++; }

/* r0 = iterations (even); the branch's direction is bit 0 of the counter */
__attribute__((noinline, naked, section(".itcm"))) void loop(uint32_t n) {
    __asm__ volatile(
        "1:\n"
        "  lsls r2, r0, #31\n"
        "  beq 2f\n"
        "  add r3, r3, #1\n"
        "2:\n"
        "  subs r0, r0, #1\n"
        "  bne 1b\n"
        "  bx lr\n");
}

extern uint32_t __itcm_load, __itcm_start, __itcm_end;

void reset(void) {
    volatile uint32_t *s = &__itcm_load, *d = &__itcm_start;
    while (d < &__itcm_end) *d++ = *s++;
    ticks = 0;
#ifdef SYSTICK
    SYST_RVR = 97;          /* an interrupt every 98 cycles of the core clock */
    SYST_CVR = 0;
    SYST_CSR = 7;           /* processor clock, interrupt, enabled */
#endif
    loop(N);
    SYST_CSR = 0;
    results[0] = ticks;
    results[3] = 1;
    semihost_exit(0);
}

__attribute__((section(".vectors"), used)) const void *vectors[16] = {
    (void *)0x20020000, (void *)reset, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (void *)systick};
