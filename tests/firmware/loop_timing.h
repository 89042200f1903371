/* What the loop-timing test programs share (include it where these functions belong in the
 * program's own order): copy() fills a RAM section from its flash image, time_loop() runs a
 * loop for N and 2N iterations (define N first) so the difference is N iterations in steady
 * state. */
#ifndef LOOP_TIMING_H
#define LOOP_TIMING_H
#include <stdint.h>

static void copy(volatile uint32_t *s, volatile uint32_t *d, volatile uint32_t *end) {
    while (d < end) *d++ = *s++;                       /* volatile: not a memcpy call */
}

/* N and 2N iterations: the difference is N iterations in steady state */
static void time_loop(uint32_t (*loop)(uint32_t), volatile uint32_t *out) {
    out[0] = loop(N);
    out[1] = loop(2 * N);
}
#endif
