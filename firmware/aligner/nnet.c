/* nnet.c - see nnet.h.
 * Cost per frame: sum over layers of cout*K*cin MACs. DSP kernel: per 4 MACs one LDR (weights),
 * SXTB16 + SXTB16 ROR8, two 32-bit ring loads and two SMLAD; 16 MACs per unrolled iteration. */
#include "nnet.h"
#include <string.h>

/* ---- dual 16-bit MAC primitives -------------------------------------------------------- */
#if defined(__ARM_FEATURE_DSP)
static inline uint32_t sxtb16(uint32_t x)
{ uint32_t r; __asm__ ("sxtb16 %0, %1" : "=r"(r) : "r"(x)); return r; }
static inline uint32_t sxtb16_ror8(uint32_t x)
{ uint32_t r; __asm__ ("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(x)); return r; }
static inline int32_t smlad(uint32_t a, uint32_t b, int32_t acc)
{ int32_t r; __asm__ ("smlad %0, %1, %2, %3" : "=r"(r) : "r"(a), "r"(b), "r"(acc)); return r; }
#elif defined(AL_EMULATE_DSP)
/* bit-exact C models of the instructions (host test of the DSP code path) */
static inline uint32_t sxtb16(uint32_t x)
{
    return (uint32_t)(uint16_t)(int16_t)(int8_t)(x & 0xffu)
         | ((uint32_t)(uint16_t)(int16_t)(int8_t)((x >> 16) & 0xffu) << 16);
}
static inline uint32_t sxtb16_ror8(uint32_t x) { return sxtb16((x >> 8) | (x << 24)); }
static inline int32_t smlad(uint32_t a, uint32_t b, int32_t acc)
{
    int32_t p0 = (int32_t)(int16_t)(a & 0xffffu) * (int32_t)(int16_t)(b & 0xffffu);
    int32_t p1 = (int32_t)(int16_t)(a >> 16) * (int32_t)(int16_t)(b >> 16);
    return (int32_t)((uint32_t)acc + (uint32_t)p0 + (uint32_t)p1);
}
#endif

static inline uint32_t ld32(const int8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }

#if AL_NN_DSP
void al_nn_pack(uint32_t *dst, const int8_t *src, int n)
{
    int i = 0;
    for (; i + 4 <= n; i += 4) {
        uint32_t v = ld32(src + i);
        *dst++ = sxtb16(v);
        *dst++ = sxtb16_ror8(v);
    }
    if (i < n) {
        int8_t t[4] = {0, 0, 0, 0};
        for (int j = 0; i + j < n; j++) t[j] = src[i + j];
        uint32_t v = ld32(t);
        *dst++ = sxtb16(v);
        *dst++ = sxtb16_ror8(v);
    }
}

int32_t al_nn_dot(const int8_t *w, const uint32_t *x, int n, int32_t acc)
{
    int i = 0;
    for (; i + 16 <= n; i += 16, x += 8) {
        uint32_t w0 = ld32(w + i), w1 = ld32(w + i + 4), w2 = ld32(w + i + 8), w3 = ld32(w + i + 12);
        acc = smlad(sxtb16(w0), x[0], acc);
        acc = smlad(sxtb16_ror8(w0), x[1], acc);
        acc = smlad(sxtb16(w1), x[2], acc);
        acc = smlad(sxtb16_ror8(w1), x[3], acc);
        acc = smlad(sxtb16(w2), x[4], acc);
        acc = smlad(sxtb16_ror8(w2), x[5], acc);
        acc = smlad(sxtb16(w3), x[6], acc);
        acc = smlad(sxtb16_ror8(w3), x[7], acc);
    }
    for (; i + 4 <= n; i += 4, x += 2) {
        uint32_t w0 = ld32(w + i);
        acc = smlad(sxtb16(w0), x[0], acc);
        acc = smlad(sxtb16_ror8(w0), x[1], acc);
    }
    if (i < n) {   /* 1..3 left: x[0] = {x0, x2}, x[1] = {x1, x3}; padding is zero */
        uint32_t a = 0, b = 0;
        a |= (uint32_t)(uint16_t)(int16_t)w[i];
        if (i + 1 < n) b |= (uint32_t)(uint16_t)(int16_t)w[i + 1];
        if (i + 2 < n) a |= (uint32_t)(uint16_t)(int16_t)w[i + 2] << 16;
        acc = smlad(a, x[0], acc);
        acc = smlad(b, x[1], acc);
    }
    return acc;
}
#else
void al_nn_pack(uint32_t *dst, const int8_t *src, int n)
{
    int8_t *d = (int8_t *)dst;   /* char-type access: no aliasing issue */
    int i = 0;
    for (; i < n; i++) d[i] = src[i];
    for (; i & 3; i++) d[i] = 0;
}

int32_t al_nn_dot(const int8_t *w, const uint32_t *x, int n, int32_t acc)
{
    const int8_t *xb = (const int8_t *)x;
    uint32_t a = (uint32_t)acc;
    for (int i = 0; i < n; i++) a += (uint32_t)((int32_t)w[i] * (int32_t)xb[i]);
    return (int32_t)a;
}
#endif

/* ---- stack ------------------------------------------------------------------------------ */
int al_nn_init(al_nn_t *nn, const al_model_t *m)
{
    if (m->n_layers == 0 || m->n_layers > AL_NN_MAX_LAYERS) return AL_E_MODEL;
    uint32_t off = 0;
    uint16_t prev_out = m->n_mels;
    for (int l = 0; l < m->n_layers; l++) {
        const al_layer_t *L = &m->layers[l];
        if (L->k == 0 || (L->k & 1) == 0 || L->k > AL_NN_MAX_K || L->dil == 0) return AL_E_MODEL;
        if (L->cin == 0 || L->cin > AL_NN_MAX_CH || L->cout == 0 || L->cout > AL_NN_MAX_CH)
            return AL_E_MODEL;
        if (L->cin != prev_out) return AL_E_MODEL;
        for (int c = 0; c < L->cout; c++)
            if (L->shift[c] < 1 || L->shift[c] > 62 || L->mult[c] <= 0) return AL_E_MODEL;
        prev_out = L->cout;
        nn->span[l] = (uint16_t)((L->k - 1) * L->dil + 1);
        nn->half[l] = (uint16_t)((L->k - 1) / 2 * L->dil);
        nn->stride[l] = (uint16_t)((L->cin + 3) / 4 * AL_NN_WORDS_PER_4);
        nn->off[l] = off;
        off += (uint32_t)nn->span[l] * nn->stride[l];
        if (off > AL_NN_POOL_BYTES / 4) return AL_E_MODEL;
    }
    if (prev_out != m->n_classes) return AL_E_MODEL;
    nn->pool_used = off;
    nn->m = m;
    nn->tap = 0;
    nn->tap_ctx = 0;
    al_nn_reset(nn);
    return AL_OK;
}

void al_nn_reset(al_nn_t *nn)
{
    for (uint32_t i = 0; i < nn->pool_used; i++) nn->pool[i] = 0;   /* frames < 0 are zero */
    for (int l = 0; l < nn->m->n_layers; l++) { nn->wslot[l] = 0; nn->n_in[l] = 0; }
}

uint32_t al_nn_latency(const al_nn_t *nn)
{
    uint32_t s = 0;
    for (int l = 0; l < nn->m->n_layers; l++) s += nn->half[l];
    return s;
}

static inline int8_t requant(int32_t acc, int32_t mult, int shift, int relu)
{
    int64_t v = ((int64_t)acc * mult + ((int64_t)1 << (shift - 1))) >> shift;
    if (relu && v < 0) v = 0;
    if (v > 127) v = 127;
    if (v < -128) v = -128;
    return (int8_t)v;
}

/* Feed one frame into layer l and let it ripple down the stack. */
static void nn_push_from(al_nn_t *nn, int l, const int8_t *frame, al_nn_cb cb, void *ctx)
{
    const al_model_t *m = nn->m;
    const uint32_t *xk[AL_NN_MAX_K];
    for (;;) {
        const al_layer_t *L = &m->layers[l];
        uint32_t *ring = nn->pool + nn->off[l];
        int span = nn->span[l], stride = nn->stride[l];
        int ws = nn->wslot[l];
        al_nn_pack(ring + ws * stride, frame, L->cin);
        nn->wslot[l] = (uint16_t)(ws + 1 == span ? 0 : ws + 1);
        if (++nn->n_in[l] <= nn->half[l]) return;        /* output frame j - half < 0 */
        /* tap k reads input frame j - (K-1)*dil + k*dil; the oldest sits in the next write slot */
        int s = nn->wslot[l];
        for (int k = 0; k < L->k; k++) {
            xk[k] = ring + s * stride;
            s += L->dil;
            if (s >= span) s -= span;
        }
        const int8_t *w = L->w;
        int kc = L->k * L->cin;
        for (int c = 0; c < L->cout; c++, w += kc) {
            int32_t acc = L->bias[c];
            for (int k = 0; k < L->k; k++) acc = al_nn_dot(w + k * L->cin, xk[k], L->cin, acc);
            nn->scratch[c] = requant(acc, L->mult[c], L->shift[c], L->relu);
        }
        if (nn->tap) nn->tap(nn->tap_ctx, l, nn->scratch);
        if (l + 1 == m->n_layers) { if (cb) cb(ctx, nn->scratch); return; }
        frame = nn->scratch;
        l++;
    }
}

void al_nn_push(al_nn_t *nn, const int8_t *feat, al_nn_cb cb, void *ctx)
{
    nn_push_from(nn, 0, feat, cb, ctx);
}

void al_nn_flush(al_nn_t *nn, al_nn_cb cb, void *ctx)
{
    static const int8_t zeros[AL_NN_MAX_CH];   /* frames after the end are zero */
    for (int l = 0; l < nn->m->n_layers; l++)
        for (int i = 0; i < nn->half[l]; i++) nn_push_from(nn, l, zeros, cb, ctx);
}
