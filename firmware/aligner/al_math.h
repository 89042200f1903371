/* al_math.h - float32 ln/exp built from + - * / only, so that the host build and the M7 build
 * (both -ffp-contract=off, no FMA contraction) give bit-identical results; libm's logf/expf are
 * not guaranteed to agree between glibc and newlib. Max error about 1 ulp over the used range. */
#ifndef AL_MATH_H
#define AL_MATH_H

#include <stdint.h>
#include <string.h>

float al_logf(float x);   /* x > 0 and normal (callers clamp to >= 1e-10) */
float al_expf(float x);   /* clamps x to [-87, 88] */

/* The same two as inline functions (al_logf/al_expf are these), so hot loops can evaluate two
 * of them side by side and the compiler can interleave their latency-bound chains. */
static inline float al_bits_to_f(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }
static inline uint32_t al_f_to_bits(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }

static inline float al_logf_inl(float x)
{
    /* x = m * 2^e, m in (sqrt(.5), sqrt(2)];  ln m = 2 atanh(s), s = (m-1)/(m+1), |s| <= 0.1716 */
    uint32_t u = al_f_to_bits(x);
    int e = (int)((u >> 23) & 0xffu) - 127;
    float m = al_bits_to_f((u & 0x007fffffu) | 0x3f800000u);
    const int big = m > 1.41421356f;         /* select, not branch: two logs can interleave */
    const float mh = m * 0.5f;
    m = big ? mh : m;
    e += big;
    float s = (m - 1.0f) / (m + 1.0f);
    float s2 = s * s;
    float p = s2 * (0.333333343f + s2 * (0.2f + s2 * (0.142857149f + s2 * (0.111111112f
              + s2 * 0.0909090936f))));
    float ls = (s + s) + (s + s) * p;
    float fe = (float)e;
    return fe * 0.693145751953125f + (ls + fe * 1.42860682e-6f);
}

static inline float al_expf_inl(float x)
{
    x = x > 88.0f ? 88.0f : x;
    x = x < -87.0f ? -87.0f : x;
    float kf = x * 1.44269504f;
    const float half = kf >= 0.0f ? 0.5f : -0.5f;
    int k = (int)(kf + half);
    float fk = (float)k;
    float r = (x - fk * 0.693145751953125f) - fk * 1.42860682e-6f;   /* |r| <= 0.347 */
    float p = 1.0f + r * (1.0f + r * (0.5f + r * (0.166666672f + r * (0.0416666679f
              + r * (0.00833333377f + r * (0.00138888892f + r * 0.000198412701f))))));
    return p * al_bits_to_f((uint32_t)(k + 127) << 23);
}

/* Four al_logf / al_expf at once, statement by statement interleaved (the same operations on
 * each element as al_logf_inl / al_expf_inl, so bit-identical), so the 3-cycle FP latencies
 * and the iterative divider of one element hide behind the others. */
#define AL_X4(stmt) do { { enum { I = 0 }; stmt; } { enum { I = 1 }; stmt; } \
                         { enum { I = 2 }; stmt; } { enum { I = 3 }; stmt; } } while (0)

static inline void al_logf4(const float *x, float *out)
{
    uint32_t u[4];
    int e[4], big[4];
    float m[4], mh[4], s[4], s2[4], p[4], ls[4], fe[4];
    AL_X4(u[I] = al_f_to_bits(x[I]));
    AL_X4(e[I] = (int)((u[I] >> 23) & 0xffu) - 127);
    AL_X4(m[I] = al_bits_to_f((u[I] & 0x007fffffu) | 0x3f800000u));
    AL_X4(big[I] = m[I] > 1.41421356f);
    AL_X4(mh[I] = m[I] * 0.5f);
    AL_X4(m[I] = big[I] ? mh[I] : m[I]);
    AL_X4(e[I] += big[I]);
    AL_X4(s[I] = (m[I] - 1.0f) / (m[I] + 1.0f));
    AL_X4(s2[I] = s[I] * s[I]);
    AL_X4(p[I] = 0.111111112f + s2[I] * 0.0909090936f);
    AL_X4(p[I] = 0.142857149f + s2[I] * p[I]);
    AL_X4(p[I] = 0.2f + s2[I] * p[I]);
    AL_X4(p[I] = 0.333333343f + s2[I] * p[I]);
    AL_X4(p[I] = s2[I] * p[I]);
    AL_X4(ls[I] = (s[I] + s[I]) + (s[I] + s[I]) * p[I]);
    AL_X4(fe[I] = (float)e[I]);
    AL_X4(out[I] = fe[I] * 0.693145751953125f + (ls[I] + fe[I] * 1.42860682e-6f));
}

static inline void al_expf4(const float *xin, float *out)
{
    float x[4], kf[4], half[4], fk[4], r[4], p[4];
    int k[4];
    AL_X4(x[I] = xin[I] > 88.0f ? 88.0f : xin[I]);
    AL_X4(x[I] = x[I] < -87.0f ? -87.0f : x[I]);
    AL_X4(kf[I] = x[I] * 1.44269504f);
    AL_X4(half[I] = kf[I] >= 0.0f ? 0.5f : -0.5f);
    AL_X4(k[I] = (int)(kf[I] + half[I]));
    AL_X4(fk[I] = (float)k[I]);
    AL_X4(r[I] = (x[I] - fk[I] * 0.693145751953125f) - fk[I] * 1.42860682e-6f);
    AL_X4(p[I] = 0.00138888892f + r[I] * 0.000198412701f);
    AL_X4(p[I] = 0.00833333377f + r[I] * p[I]);
    AL_X4(p[I] = 0.0416666679f + r[I] * p[I]);
    AL_X4(p[I] = 0.166666672f + r[I] * p[I]);
    AL_X4(p[I] = 0.5f + r[I] * p[I]);
    AL_X4(p[I] = 1.0f + r[I] * p[I]);
    AL_X4(p[I] = 1.0f + r[I] * p[I]);
    AL_X4(out[I] = p[I] * al_bits_to_f((uint32_t)(k[I] + 127) << 23));
}

#endif
