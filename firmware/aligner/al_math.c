#include "al_math.h"
#include <stdint.h>
#include <string.h>

static float bits_to_f(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }
static uint32_t f_to_bits(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }

float al_logf(float x)
{
    /* x = m * 2^e, m in (sqrt(.5), sqrt(2)];  ln m = 2 atanh(s), s = (m-1)/(m+1), |s| <= 0.1716 */
    uint32_t u = f_to_bits(x);
    int e = (int)((u >> 23) & 0xffu) - 127;
    float m = bits_to_f((u & 0x007fffffu) | 0x3f800000u);
    if (m > 1.41421356f) { m = m * 0.5f; e += 1; }
    float s = (m - 1.0f) / (m + 1.0f);
    float s2 = s * s;
    float p = s2 * (0.333333343f + s2 * (0.2f + s2 * (0.142857149f + s2 * (0.111111112f
              + s2 * 0.0909090936f))));
    float ls = (s + s) + (s + s) * p;
    float fe = (float)e;
    return fe * 0.693145751953125f + (ls + fe * 1.42860682e-6f);
}

float al_expf(float x)
{
    if (x > 88.0f) x = 88.0f;
    if (x < -87.0f) x = -87.0f;
    float kf = x * 1.44269504f;
    int k = (int)(kf + (kf >= 0.0f ? 0.5f : -0.5f));
    float fk = (float)k;
    float r = (x - fk * 0.693145751953125f) - fk * 1.42860682e-6f;   /* |r| <= 0.347 */
    float p = 1.0f + r * (1.0f + r * (0.5f + r * (0.166666672f + r * (0.0416666679f
              + r * (0.00833333377f + r * (0.00138888892f + r * 0.000198412701f))))));
    return p * bits_to_f((uint32_t)(k + 127) << 23);
}
