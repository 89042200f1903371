/* Peripheral reads in the middle of a basic block: DWT CYCCNT and SysTick VAL read twice in
 * one block with known work between the reads (tests/test_access_time.py); and the same loop
 * of word loads from DTCM, aligned and unaligned (tests/test_cache_timing.py). Self-contained. */
#include <stdint.h>
#include "semihost_exit.h"

#define DWT_CTRL   (*(volatile uint32_t *)0xE0001000)
#define DWT_LAR    (*(volatile uint32_t *)0xE0001FB0)
#define DEMCR      (*(volatile uint32_t *)0xE000EDFC)
#define SYST_CSR   (*(volatile uint32_t *)0xE000E010)
#define SYST_RVR   (*(volatile uint32_t *)0xE000E014)
#define SYST_CVR   (*(volatile uint32_t *)0xE000E018)

volatile uint32_t results[8];
uint32_t words[80] __attribute__((aligned(8)));

__attribute__((noinline)) uint32_t load_loop(const uint8_t *p) {   /* 64 word loads */
    uint32_t t0 = *(volatile uint32_t *)0xE0001004, s = 0;
    for (int i = 0; i < 64; i++) {
        uint32_t v;
        __asm__ volatile("ldr %0, [%1]" : "=r"(v) : "r"(p + 4 * i) : "memory");
        s += v;
    }
    return *(volatile uint32_t *)0xE0001004 - t0 + (s & 0);
}

void reset(void) {
    DEMCR |= 1u << 24;
    DWT_LAR = 0xC5ACCE55;
    DWT_CTRL |= 1;
    SYST_RVR = 0xFFFFFF;
    SYST_CVR = 0;
    SYST_CSR = 5;                                   /* processor clock, no interrupt */
    uint32_t t0, t1, t2, t3, t4, t5;
    /* 1. CYCCNT, 8 dependent adds, CYCCNT: one block, the same base register */
    __asm__ volatile(
        "ldr %0, [%2, #4]\n"
        "adds r3, r3, #1\n adds r3, r3, #1\n adds r3, r3, #1\n adds r3, r3, #1\n"
        "adds r3, r3, #1\n adds r3, r3, #1\n adds r3, r3, #1\n adds r3, r3, #1\n"
        "ldr %1, [%2, #4]\n"
        : "=&r"(t0), "=&r"(t1) : "r"(0xE0001000) : "r3", "cc", "memory");
    /* 2. the same with 16 dependent adds and the second read through another register */
    __asm__ volatile(
        "ldr %0, [%2, #4]\n"
        ".rept 16\n adds r3, r3, #1\n .endr\n"
        "ldr %1, [%3]\n"
        : "=&r"(t2), "=&r"(t3) : "r"(0xE0001000), "r"(0xE0001004) : "r3", "cc", "memory");
    /* 3. SysTick VAL (counts down), 12 dependent adds between, register-offset address */
    __asm__ volatile(
        "ldr %0, [%2, %3]\n"
        ".rept 12\n adds r3, r3, #1\n .endr\n"
        "ldr %1, [%2, %3]\n"
        : "=&r"(t4), "=&r"(t5) : "r"(0xE000E000), "r"(0x18) : "r3", "cc", "memory");
    results[0] = t1 - t0;
    results[1] = t3 - t2;
    results[2] = t4 - t5;
    (void)load_loop((const uint8_t *)words);
    results[3] = load_loop((const uint8_t *)words);
    results[4] = load_loop((const uint8_t *)words + 1);
    results[7] = 1;
    semihost_exit(0);
}

__attribute__((section(".vectors"), used)) const void *vectors[2] = {(void *)0x20020000, (void *)reset};
