/* Conditional stores inside IT blocks, run many times (tests/test_cache_timing.py): with a
 * memory hook installed, Unicorn 2.1.4 leaves the IT state of a TB's last IT block in the CPU
 * after the TB and the next TB is translated as if inside an IT block (instructions skipped).
 * The simulator pins a Unicorn without that bug; this firmware must run the same instructions
 * and compute the same result whether or not the D-cache model's memory hook is installed. */
#include <stdint.h>
#include "semihost_exit.h"

volatile uint32_t results[4];
float v[40];
int32_t w[40];

__attribute__((noinline)) void clamp(float *x, int n, float lo) {
    for (int i = 0; i < n; i++) if (!(x[i] > lo)) x[i] = lo;      /* it le; vstrle */
}

__attribute__((noinline)) void clampi(int32_t *x, int n, int32_t lo) {
    for (int i = 0; i < n; i++) if (x[i] < lo) x[i] = lo;          /* it lt; strlt */
}

void reset(void) {
    uint32_t h = 0;
    for (int rep = 0; rep < 200; rep++) {
        for (int i = 0; i < 40; i++) {
            v[i] = (float)((i * 7 + rep * 13) % 23) - 11.0f;
            w[i] = (i * 5 + rep * 11) % 19 - 9;
        }
        clamp(v, 40, 0.5f);
        clampi(w, 40, 1);
        for (int i = 0; i < 40; i++) h = h * 31u + (uint32_t)(v[i] * 4.0f) + (uint32_t)w[i];
    }
    results[0] = h;
    results[1] = 1;
    semihost_exit(0);
}

__attribute__((section(".vectors"), used)) const void *vectors[2] = {(void *)0x20020000, (void *)reset};
