/* The same compute kernel timed (DWT CYCCNT) from flash with the I-cache off, from flash with
 * the I-cache on, and from ITCM. Results land in `results` (read by tests/test_cache_timing.py).
 * Self-contained: own vector table, no clock setup (runs at the 64 MHz HSI reset clock with the
 * reset flash latency), data in DTCM. */
#include <stdint.h>
#include "semihost_exit.h"

#define DWT_CTRL   (*(volatile uint32_t *)0xE0001000)
#define DWT_CYCCNT (*(volatile uint32_t *)0xE0001004)
#define DWT_LAR    (*(volatile uint32_t *)0xE0001FB0)
#define DEMCR      (*(volatile uint32_t *)0xE000EDFC)
#define SCB_CCR    (*(volatile uint32_t *)0xE000ED14)
#define ICIALLU    (*(volatile uint32_t *)0xE000EF50)

int32_t a[16][16], b[16][16], c[16][16];   /* global: the kernel cannot be optimised away */
volatile uint32_t results[4];

#define KERNEL_BODY                                                   \
    for (int rep = 0; rep < 8; rep++)                                 \
        for (int i = 0; i < 16; i++)                                  \
            for (int j = 0; j < 16; j++) {                            \
                int32_t s = 0;                                        \
                for (int k = 0; k < 16; k++) s += a[i][k] * b[k][j];  \
                c[i][j] = s ^ rep;                                    \
            }

__attribute__((noinline)) void kernel_flash(void) { KERNEL_BODY }
__attribute__((noinline, section(".itcm"))) void kernel_itcm(void) { KERNEL_BODY }

static uint32_t timed(void (*f)(void)) {
    uint32_t t0 = DWT_CYCCNT;
    __asm__ volatile("b 1f\n1:" ::: "memory");
    f();
    __asm__ volatile("b 1f\n1:" ::: "memory");
    return DWT_CYCCNT - t0;
}

extern uint32_t __itcm_load, __itcm_start, __itcm_end;


void reset(void) {
    volatile uint32_t *s = &__itcm_load, *d = &__itcm_start;
    while (d < &__itcm_end) *d++ = *s++;
    for (int i = 0; i < 16; i++)
        for (int j = 0; j < 16; j++) { a[i][j] = i + 2 * j; b[i][j] = i - j; }
    DEMCR |= 1u << 24;
    DWT_LAR = 0xC5ACCE55;
    DWT_CYCCNT = 0;
    DWT_CTRL |= 1;
    results[0] = timed(kernel_flash);            /* I-cache off */
    ICIALLU = 0;
    __asm__ volatile("dsb\nisb");
    SCB_CCR |= 1u << 17;                          /* I-cache on */
    __asm__ volatile("dsb\nisb");
    (void)timed(kernel_flash);                    /* warm the cache */
    results[1] = timed(kernel_flash);
    results[2] = timed(kernel_itcm);
    results[3] = 1;
    semihost_exit(0);
}

__attribute__((section(".vectors"), used)) const void *vectors[2] = {(void *)0x20020000, (void *)reset};
