/* fft.c - see fft.h. Cost on the M7: 8 radix-2 stages (first two fused into a multiply-free
 * radix-4 pass), 768 general butterflies, plus 128 split butterflies for the real post-pass. */
#include "fft.h"
#include "al_tables.h"

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
    /* stages 1+2: radix-4 butterflies without multiplications */
    for (int g = 0; g < 512; g += 8) {
        float *p = z + g;
        float s01r = p[0] + p[2], s01i = p[1] + p[3];
        float d01r = p[0] - p[2], d01i = p[1] - p[3];
        float s23r = p[4] + p[6], s23i = p[5] + p[7];
        float d23r = p[4] - p[6], d23i = p[5] - p[7];
        p[0] = s01r + s23r; p[1] = s01i + s23i;
        p[4] = s01r - s23r; p[5] = s01i - s23i;
        /* t = -i * d23 = (d23i, -d23r) */
        p[2] = d01r + d23i; p[3] = d01i - d23r;
        p[6] = d01r - d23i; p[7] = d01i + d23r;
    }
    /* stages 3..8: half-size h = 4..128, twiddle W_{2h}^j = W256^{j * 128/h} */
    for (int h = 4, step = 32; h < 256; h <<= 1, step >>= 1) {
        for (int j = 0; j < h; j++) {
            float wr = al_tw256_c[j * step], wi = -al_tw256_s[j * step];
            for (int g = j; g < 256; g += 2 * h) {
                float *a = z + 2 * g, *b = z + 2 * (g + h);
                float tr = wr * b[0] - wi * b[1];
                float ti = wr * b[1] + wi * b[0];
                b[0] = a[0] - tr; b[1] = a[1] - ti;
                a[0] = a[0] + tr; a[1] = a[1] + ti;
            }
        }
    }
}

void al_rfft512(float *buf)
{
    /* z[n] = x[2n] + i x[2n+1] is the input itself read as interleaved complex */
    al_cfft256(buf);
    float z0r = buf[0], z0i = buf[1];
    buf[0] = z0r + z0i; buf[1] = 0.0f;          /* X[0]   */
    buf[512] = z0r - z0i; buf[513] = 0.0f;      /* X[256] */
    buf[257] = -buf[257];                       /* X[128] = conj(Z[128]) */
    for (int k = 1; k < 128; k++) {
        float *a = buf + 2 * k, *b = buf + 2 * (256 - k);
        float ar = a[0], ai = a[1], br = b[0], bi = -b[1];   /* B = conj(Z[256-k]) */
        float er = 0.5f * (ar + br), ei = 0.5f * (ai + bi);  /* even-sample spectrum */
        float dr = 0.5f * (ar - br), di = 0.5f * (ai - bi);  /* O = -i D */
        float c = al_tw512_c[k], s = al_tw512_s[k];
        float tr = c * di - s * dr;                          /* T = W512^k * O */
        float ti = -c * dr - s * di;
        a[0] = er + tr; a[1] = ei + ti;                      /* X[k]       = E + T */
        b[0] = er - tr; b[1] = -(ei - ti);                   /* X[256 - k] = conj(E - T) */
    }
}
