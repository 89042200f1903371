/* Benchmark workload: a compute kernel with no peripheral access, so raw Unicorn can run the
 * very same ELF. Vector table, stack and exit through semihosting are self-contained. */
#include <stdint.h>
#include "semihost_exit.h"

#ifndef ITERATIONS
#define ITERATIONS 400
#endif

#ifdef DATA_IN_AXI_SRAM   /* the matrices in AXI SRAM (cacheable) instead of DTCM */
__attribute__((section(".axi_bss")))
#endif
static int32_t a[32][32], b[32][32], c[32][32];
volatile uint32_t sink;

#ifdef RARE_EVERY
/* A small function called only every RARE_EVERY iterations, a few million cycles apart (longer
 * than a D-cache sampling window): the shape of a firmware's rarely run code
 * (tests/test_cache_timing.py; the benchmark builds without it). */
static int32_t hist[64];
volatile uint32_t rare_calls;
__attribute__((noinline)) static void rare(int32_t v) {
    rare_calls++;
    for (int i = 0; i < 64; i++) hist[i] += (v >> (i & 7)) & 0xFF;
}
#endif

static uint32_t crc32(const uint8_t *p, uint32_t n, uint32_t crc) {
    crc = ~crc;
    while (n--) {
        crc ^= *p++;
        for (int k = 0; k < 8; k++) crc = (crc >> 1) ^ (0xEDB88320u & -(crc & 1));
    }
    return ~crc;
}


#ifdef CACHES_ON
/* I-cache and D-cache on, as CMSIS SCB_EnableICache()/SCB_EnableDCache() do at start-up
 * (ICIALLU, then D-cache invalidate by set/way, then CCR.IC/DC; ARMv7-M ARM B2.2.7) */
#define SCB_CCR (*(volatile uint32_t *)0xE000ED14u)
#define SCB_CSSELR (*(volatile uint32_t *)0xE000ED84u)
#define SCB_CCSIDR (*(volatile uint32_t *)0xE000ED80u)
#define SCB_ICIALLU (*(volatile uint32_t *)0xE000EF50u)
#define SCB_DCISW (*(volatile uint32_t *)0xE000EF60u)
static void caches_on(void) {
    __asm__ volatile("dsb\n isb" ::: "memory");
    SCB_ICIALLU = 0;
    __asm__ volatile("dsb\n isb" ::: "memory");
    SCB_CCR |= 1u << 17;                                 /* IC */
    SCB_CSSELR = 0;
    __asm__ volatile("dsb" ::: "memory");
    uint32_t ccsidr = SCB_CCSIDR;
    uint32_t sets = (ccsidr >> 13) & 0x7FFFu, ways0 = (ccsidr >> 3) & 0x3FFu;
    do {
        uint32_t ways = ways0;
        do { SCB_DCISW = ((sets << 5) & 0x3FE0u) | ((ways << 30) & 0xC0000000u); } while (ways-- != 0u);
    } while (sets-- != 0u);
    __asm__ volatile("dsb" ::: "memory");
    SCB_CCR |= 1u << 16;                                 /* DC */
    __asm__ volatile("dsb\n isb" ::: "memory");
}
#endif

void reset(void) {
#ifdef CACHES_ON
    caches_on();
#endif
    for (int i = 0; i < 32; i++)
        for (int j = 0; j < 32; j++) { a[i][j] = i + j; b[i][j] = i - j; }
    uint32_t crc = 0;
    for (int it = 0; it < ITERATIONS; it++) {
        for (int i = 0; i < 32; i++)
            for (int j = 0; j < 32; j++) {
                int32_t s = 0;
                for (int k = 0; k < 32; k++) s += a[i][k] * b[k][j];
                c[i][j] = s + it;
            }
        crc = crc32((const uint8_t *)c, 256, crc);
#ifdef RARE_EVERY
        if (it % RARE_EVERY == RARE_EVERY - 1) rare(c[it & 31][3]);
#endif
    }
    sink = crc;
    semihost_exit(0);
}

extern uint32_t _estack;
__attribute__((section(".vectors"), used)) const void *vectors[2] = {(void *)0x20020000, (void *)reset};
