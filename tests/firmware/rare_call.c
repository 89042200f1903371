/* A compute kernel on cacheable AXI SRAM data that calls a small function only every
 * RARE_EVERY iterations (a few million cycles apart, longer than a D-cache sampling window):
 * the shape of a firmware's periodic, rarely run code (the aligner's search runs such
 * functions every few hundred milliseconds of audio). No peripheral access; exit through
 * semihosting. */
#include <stdint.h>
#include "semihost_exit.h"

#ifndef ITERATIONS
#define ITERATIONS 240
#endif
#ifndef RARE_EVERY
#define RARE_EVERY 8
#endif

__attribute__((section(".axi_bss"))) static int32_t a[32][32], b[32][32], c[32][32];
__attribute__((section(".axi_bss"))) static int32_t hist[64];
volatile uint32_t sink;
volatile uint32_t rare_calls;

__attribute__((noinline)) static void rare(int32_t v) {
    rare_calls++;
    for (int i = 0; i < 64; i++) hist[i] += (v >> (i & 7)) & 0xFF;
}

void reset(void) {
    for (int i = 0; i < 32; i++)
        for (int j = 0; j < 32; j++) { a[i][j] = i + j; b[i][j] = i - j; }
    for (int it = 0; it < ITERATIONS; it++) {
        for (int i = 0; i < 32; i++)
            for (int j = 0; j < 32; j++) {
                int32_t s = 0;
                for (int k = 0; k < 32; k++) s += a[i][k] * b[k][j];
                c[i][j] = s + it;
            }
        if (it % RARE_EVERY == RARE_EVERY - 1) rare(c[it & 31][3]);
    }
    sink = (uint32_t)hist[5] + rare_calls;
    semihost_exit(0);
}

__attribute__((section(".vectors"), used)) const void *vectors[2] = {(void *)0x20020000, (void *)reset};
