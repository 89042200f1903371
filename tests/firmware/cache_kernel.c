/* One compute kernel timed (DWT CYCCNT) with its code in flash or ITCM, its data in DTCM or
 * AXI SRAM, and the I- and D-caches off or on. Results land in `results` (read by
 * tests/test_cache_timing.py, which names each slot). Self-contained: own vector table, no
 * clock setup (runs at the 64 MHz HSI reset clock with the reset flash latency). */
#include <stdint.h>
#include "semihost_exit.h"
#include "dwt.h"

#define DWT_CYCCNT (*(volatile uint32_t *)0xE0001004)
#define SCB_CCR    (*(volatile uint32_t *)0xE000ED14)
#define ICIALLU    (*(volatile uint32_t *)0xE000EF50)
#define DCISW      (*(volatile uint32_t *)0xE000EF60)

#define N 16
typedef int32_t mat[N][N];
mat a, b, c;                                        /* DTCM */
__attribute__((section(".axi_bss"))) mat xa, xb, xc; /* AXI SRAM: 3 x 1 KB, 96 lines */
volatile uint32_t results[11];

#define KERNEL_BODY                                                       \
    for (int rep = 0; rep < 8; rep++)                                     \
        for (int i = 0; i < N; i++)                                       \
            for (int j = 0; j < N; j++) {                                 \
                int32_t s = 0;                                            \
                for (int k = 0; k < N; k++) s += A[i][k] * B[k][j];       \
                C[i][j] = s ^ rep;                                        \
            }

/* A 256-point complex radix-2 FFT (float), the workload of the published caches on/off
 * figure (arm_cfft_f32, about 3.05x). Twiddles by recurrence: no libm in this build. */
#define FN 256
__attribute__((section(".axi_bss"))) float fx[2 * FN], tw[FN];

__attribute__((noinline)) void fft_flash(float *x) {
    for (uint32_t i = 1, j = 0; i < FN; i++) {          /* bit reversal */
        uint32_t bit = FN >> 1;
        for (; j & bit; bit >>= 1) j ^= bit;
        j ^= bit;
        if (i < j) {
            float t = x[2 * i]; x[2 * i] = x[2 * j]; x[2 * j] = t;
            t = x[2 * i + 1]; x[2 * i + 1] = x[2 * j + 1]; x[2 * j + 1] = t;
        }
    }
    for (uint32_t len = 2; len <= FN; len <<= 1) {
        uint32_t step = FN / len;
        for (uint32_t i = 0; i < FN; i += len)
            for (uint32_t k = 0; k < len / 2; k++) {
                float wr = tw[2 * k * step], wi = tw[2 * k * step + 1];
                float *u = &x[2 * (i + k)], *v = &x[2 * (i + k + len / 2)];
                float vr = v[0] * wr - v[1] * wi, vi = v[0] * wi + v[1] * wr;
                v[0] = u[0] - vr; v[1] = u[1] - vi;
                u[0] += vr; u[1] += vi;
            }
    }
}

static uint32_t timed_fft(void) {
    uint32_t t0 = DWT_CYCCNT;
    __asm__ volatile("b 1f\n1:" ::: "memory");
    for (int r = 0; r < 4; r++) fft_flash(fx);
    __asm__ volatile("b 1f\n1:" ::: "memory");
    return DWT_CYCCNT - t0;
}

typedef void kernel_fn(const mat A, const mat B, mat C);
__attribute__((noinline)) void kernel_flash(const mat A, const mat B, mat C) { KERNEL_BODY }
__attribute__((noinline, section(".itcm"))) void kernel_itcm(const mat A, const mat B, mat C) { KERNEL_BODY }

static uint32_t timed(kernel_fn *f, const mat A, const mat B, mat C) {
    uint32_t t0 = DWT_CYCCNT;
    __asm__ volatile("b 1f\n1:" ::: "memory");
    f(A, B, C);
    __asm__ volatile("b 1f\n1:" ::: "memory");
    return DWT_CYCCNT - t0;
}

static void dcache_invalidate(void) {      /* by set/way: 128 sets x 4 ways (CMSIS idiom) */
    for (uint32_t set = 0; set < 128; set++)
        for (uint32_t way = 0; way < 4; way++) DCISW = (way << 30) | (set << 5);
    __asm__ volatile("dsb\nisb");
}

extern uint32_t __itcm_load, __itcm_start, __itcm_end;

void reset(void) {
    volatile uint32_t *s = &__itcm_load, *d = &__itcm_start;
    while (d < &__itcm_end) *d++ = *s++;
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) { a[i][j] = xa[i][j] = i + 2 * j; b[i][j] = xb[i][j] = i - j; }
    float cr = 1.0f, ci = 0.0f;                      /* e^(-2 pi i k / FN), k < FN/2 */
    const float c1 = 0.99969881869620425f, s1 = -0.024541228522912288f;
    for (int k = 0; k < FN / 2; k++) {
        tw[2 * k] = cr; tw[2 * k + 1] = ci;
        float t = cr * c1 - ci * s1; ci = cr * s1 + ci * c1; cr = t;
    }
    for (int k = 0; k < 2 * FN; k++) fx[k] = (float)((k * 37) % 17) - 8.0f;
    dwt_init();
    results[0] = timed(kernel_flash, a, b, c);      /* caches off, data in DTCM */
    results[6] = timed(kernel_flash, xa, xb, xc);   /* caches off, data in AXI SRAM */
    results[3] = timed(kernel_itcm, xa, xb, xc);    /* ITCM code, AXI data, D-cache off */
    results[8] = timed_fft();                       /* FFT, caches off (AXI data) */
    ICIALLU = 0;
    __asm__ volatile("dsb\nisb");
    SCB_CCR |= 1u << 17;                            /* I-cache on */
    __asm__ volatile("dsb\nisb");
    (void)timed(kernel_flash, a, b, c);             /* warm the I-cache */
    results[1] = timed(kernel_flash, a, b, c);      /* I-cache on (warm), data in DTCM */
    results[2] = timed(kernel_itcm, a, b, c);       /* ITCM code, DTCM data */
    dcache_invalidate();
    SCB_CCR |= 1u << 16;                            /* D-cache on */
    __asm__ volatile("dsb\nisb");
    results[4] = timed(kernel_itcm, xa, xb, xc);    /* AXI data, D-cache cold */
    results[5] = timed(kernel_itcm, xa, xb, xc);    /* AXI data, D-cache warm */
    results[7] = timed(kernel_flash, xa, xb, xc);   /* both caches on (warm), AXI data */
    (void)timed_fft();                              /* warm both caches */
    results[10] = timed_fft();                      /* FFT, caches on */
    results[9] = 1;
    semihost_exit(0);
}

__attribute__((section(".vectors"), used)) const void *vectors[2] = {(void *)0x20020000, (void *)reset};
