/* fft.c - see fft.h. Cost on the M7: 8 radix-2 stages (first two fused into a multiply-free
 * radix-4 pass), 768 general butterflies, plus 128 split butterflies for the real post-pass.
 * The butterflies of stages 3..8 are computed four at a time (independent, interleaved by the
 * compiler) so the 3-cycle FP latencies of one hide behind the others; every output value is
 * computed by exactly the same float operations as in a plain radix-2 loop. The front end
 * windows straight into bit-reversed order and calls the _br entry points (no permutation). */
#include "fft.h"
#include "al_config.h"
#include "al_tables.h"

/* b = a - W b', a = a + W b' with W = wr - i*s (s = sin; tr = wr*b0 - (-s)*b1 is the same
 * IEEE operation as wr*b0 + s*b1, ti likewise), four independent butterflies side by side */
#define AL_BFLY4(a1, b1, w1, s1, a2, b2, w2, s2, a3, b3, w3, s3, a4, b4, w4, s4) do {        \
        float *A1 = a1, *B1 = b1, *A2 = a2, *B2 = b2, *A3 = a3, *B3 = b3, *A4 = a4, *B4 = b4;  \
        float tr1 = w1 * B1[0] + s1 * B1[1], tr2 = w2 * B2[0] + s2 * B2[1];                 \
        float tr3 = w3 * B3[0] + s3 * B3[1], tr4 = w4 * B4[0] + s4 * B4[1];                 \
        float ti1 = w1 * B1[1] - s1 * B1[0], ti2 = w2 * B2[1] - s2 * B2[0];                 \
        float ti3 = w3 * B3[1] - s3 * B3[0], ti4 = w4 * B4[1] - s4 * B4[0];                 \
        float a1r = A1[0], a1i = A1[1], a2r = A2[0], a2i = A2[1];                           \
        float a3r = A3[0], a3i = A3[1], a4r = A4[0], a4i = A4[1];                           \
        B1[0] = a1r - tr1; B1[1] = a1i - ti1; B2[0] = a2r - tr2; B2[1] = a2i - ti2;         \
        B3[0] = a3r - tr3; B3[1] = a3i - ti3; B4[0] = a4r - tr4; B4[1] = a4i - ti4;         \
        A1[0] = a1r + tr1; A1[1] = a1i + ti1; A2[0] = a2r + tr2; A2[1] = a2i + ti2;         \
        A3[0] = a3r + tr3; A3[1] = a3i + ti3; A4[0] = a4r + tr4; A4[1] = a4i + ti4;         \
    } while (0)

static inline __attribute__((always_inline)) void fft_stage_wide(float *z, const int h,
                                                                  const int step)
{
    for (int g0 = 0; g0 < 256; g0 += 2 * h) {
        const float *tc = al_tw256_c, *ts = al_tw256_s;
        float *a1 = z + 2 * g0;
        for (int j = 0; j < h; j += 4, tc += 4 * step, ts += 4 * step, a1 += 8) {
            const float wr1 = tc[0], s1 = ts[0], wr2 = tc[step], s2 = ts[step];
            const float wr3 = tc[2 * step], s3 = ts[2 * step];
            const float wr4 = tc[3 * step], s4 = ts[3 * step];
            float *b1 = a1 + 2 * h;
            AL_BFLY4(a1, b1, wr1, s1, (a1 + 2), (b1 + 2), wr2, s2,
                     (a1 + 4), (b1 + 4), wr3, s3, (a1 + 6), (b1 + 6), wr4, s4);
        }
    }
}

AL_HOT void al_cfft256_br(float *z)
{
    /* stages 1+2: radix-4 butterflies without multiplications, two groups per step */
    for (int g = 0; g < 512; g += 16) {
        float *p = z + g, *q = z + g + 8;
        float s01r = p[0] + p[2], s01i = p[1] + p[3];
        float t01r = q[0] + q[2], t01i = q[1] + q[3];
        float d01r = p[0] - p[2], d01i = p[1] - p[3];
        float e01r = q[0] - q[2], e01i = q[1] - q[3];
        float s23r = p[4] + p[6], s23i = p[5] + p[7];
        float t23r = q[4] + q[6], t23i = q[5] + q[7];
        float d23r = p[4] - p[6], d23i = p[5] - p[7];
        float e23r = q[4] - q[6], e23i = q[5] - q[7];
        p[0] = s01r + s23r; p[1] = s01i + s23i;
        q[0] = t01r + t23r; q[1] = t01i + t23i;
        p[4] = s01r - s23r; p[5] = s01i - s23i;
        q[4] = t01r - t23r; q[5] = t01i - t23i;
        /* t = -i * d23 = (d23i, -d23r) */
        p[2] = d01r + d23i; p[3] = d01i - d23r;
        q[2] = e01r + e23i; q[3] = e01i - e23r;
        p[6] = d01r - d23i; p[7] = d01i + d23r;
        q[6] = e01r - e23i; q[7] = e01i + e23r;
    }
    /* stages 3..5 (h = 4, 8, 16): per twiddle j, groups g, g + 2h, g + 4h, g + 6h together */
    for (int h = 4, step = 32; h <= 16; h <<= 1, step >>= 1) {
        for (int j = 0; j < h; j++) {
            const float wr = al_tw256_c[j * step], s = al_tw256_s[j * step];
            for (int g = j; g < 256; g += 8 * h) {
                float *a1 = z + 2 * g, *b1 = z + 2 * (g + h);
                float *a2 = a1 + 4 * h, *b2 = b1 + 4 * h;
                float *a3 = a2 + 4 * h, *b3 = b2 + 4 * h;
                float *a4 = a3 + 4 * h, *b4 = b3 + 4 * h;
                AL_BFLY4(a1, b1, wr, s, a2, b2, wr, s, a3, b3, wr, s, a4, b4, wr, s);
            }
        }
    }
    /* stages 6..8 (h = 32, 64, 128): twiddles j .. j + 3 together; h and the twiddle step
     * are constants in each call, so the twiddle loads use immediate offsets */
    fft_stage_wide(z, 32, 4);
    fft_stage_wide(z, 64, 2);
    fft_stage_wide(z, 128, 1);
}

void al_cfft256(float *z)
{
    /* bit-reversal permutation */
    for (int i = 0; i < 256; i++) {
        int j = al_bitrev256[i];
        if (j > i) {
            float tr = z[2 * i], ti = z[2 * i + 1];
            z[2 * i] = z[2 * j]; z[2 * i + 1] = z[2 * j + 1];
            z[2 * j] = tr; z[2 * j + 1] = ti;
        }
    }
    al_cfft256_br(z);
}

/* split post-pass: Z = FFT256 of x[2n] + i x[2n+1] -> X[0..256] */
AL_HOT static void rfft512_post(float *buf)
{
    float z0r = buf[0], z0i = buf[1];
    buf[0] = z0r + z0i; buf[1] = 0.0f;          /* X[0]   */
    buf[512] = z0r - z0i; buf[513] = 0.0f;      /* X[256] */
    buf[257] = -buf[257];                       /* X[128] = conj(Z[128]) */
    /* k and k + 1 side by side (disjoint data; independent chains interleave) */
    int k = 1;
    for (; k + 2 <= 128; k += 2) {
        float *a = buf + 2 * k, *b = buf + 2 * (256 - k);
        float *a1 = a + 2, *b1 = b - 2;
        float ar = a[0], ai = a[1], br = b[0], bi = -b[1];   /* B = conj(Z[256-k]) */
        float ar1 = a1[0], ai1 = a1[1], br1 = b1[0], bi1 = -b1[1];
        float er = 0.5f * (ar + br), ei = 0.5f * (ai + bi);  /* even-sample spectrum */
        float er1 = 0.5f * (ar1 + br1), ei1 = 0.5f * (ai1 + bi1);
        float dr = 0.5f * (ar - br), di = 0.5f * (ai - bi);  /* O = -i D */
        float dr1 = 0.5f * (ar1 - br1), di1 = 0.5f * (ai1 - bi1);
        float c = al_tw512_c[k], s = al_tw512_s[k];
        float c1 = al_tw512_c[k + 1], s1 = al_tw512_s[k + 1];
        float tr = c * di - s * dr;                          /* T = W512^k * O */
        float tr1 = c1 * di1 - s1 * dr1;
        float ti = -c * dr - s * di;
        float ti1 = -c1 * dr1 - s1 * di1;
        a[0] = er + tr; a[1] = ei + ti;                      /* X[k]       = E + T */
        a1[0] = er1 + tr1; a1[1] = ei1 + ti1;
        b[0] = er - tr; b[1] = -(ei - ti);                   /* X[256 - k] = conj(E - T) */
        b1[0] = er1 - tr1; b1[1] = -(ei1 - ti1);
    }
    for (; k < 128; k++) {
        float *a = buf + 2 * k, *b = buf + 2 * (256 - k);
        float ar = a[0], ai = a[1], br = b[0], bi = -b[1];
        float er = 0.5f * (ar + br), ei = 0.5f * (ai + bi);
        float dr = 0.5f * (ar - br), di = 0.5f * (ai - bi);
        float c = al_tw512_c[k], s = al_tw512_s[k];
        float tr = c * di - s * dr;
        float ti = -c * dr - s * di;
        a[0] = er + tr; a[1] = ei + ti;
        b[0] = er - tr; b[1] = -(ei - ti);
    }
}

void al_rfft512(float *buf)
{
    /* z[n] = x[2n] + i x[2n+1] is the input itself read as interleaved complex */
    al_cfft256(buf);
    rfft512_post(buf);
}

void al_rfft512_br(float *buf)
{
    al_cfft256_br(buf);
    rfft512_post(buf);
}
