/* frontend.c - see frontend.h. Per frame: window 400 mults, 512-pt real FFT, 257 power bins,
 * mel sums (one mult-add per table weight), 40 al_logf, 40 normalise + quantise. */
#include "frontend.h"
#include "fft.h"
#include "al_math.h"
#include "al_tables.h"

int al_fe_init(al_fe_t *fe, const al_model_t *m)
{
    if (m->n_mels == 0 || m->n_mels > AL_MAX_MELS) return AL_E_MODEL;
    for (int i = 0; i < m->n_mels; i++)
        if ((uint32_t)m->mel_first[i] + m->mel_count[i] > AL_FFT_BINS) return AL_E_MODEL;
    if (m->cmn_level_frames &&             /* level floor: a band range inside the mel bands */
        (m->cmn_level_b0 >= m->cmn_level_b1 || m->cmn_level_b1 > m->n_mels)) return AL_E_MODEL;
    fe->m = m;
    fe->dbg_g = 0;
    fe->dbg_f = 0;
    al_fe_reset(fe);
    return AL_OK;
}

void al_fe_reset(al_fe_t *fe)
{
    for (int i = 0; i < AL_FRAME_LEN; i++) fe->ring[i] = 0.0f;
    fe->x_prev = 0.0f;
    fe->pos = 0;
    fe->to_next = AL_FRAME_LEN;
    fe->n_samples = 0;
    fe->n_frames = 0;
    for (int i = 0; i < fe->m->n_mels; i++) fe->mu[i] = fe->m->feat_mean[i];
    fe->floor = 3.0e38f;
    fe->n_upd = 0;
    fe->lsum = 0.0f;
    fe->lrem = 1.0f;
    fe->lmoved = 0;
}

static float fe_buf[AL_FFT_LEN + 2];   /* FFT work buffer, in place (2056 B) */

/* The windowed, zero-padded frame goes into fe_buf already in the bit-reversed order of the
 * 256-point complex FFT (sample pair n = (x[2n], x[2n+1]) at fe_buf[2 * al_bitrev256[n]]),
 * so the FFT skips its permutation pass. */
static void fe_zero_pad(void)
{
    for (int n = AL_FRAME_LEN / 2; n < AL_FFT_LEN / 2; n++) {
        float *d = fe_buf + 2 * al_bitrev256[n];
        d[0] = 0.0f; d[1] = 0.0f;
    }
}

/* fe_buf holds the windowed frame in bit-reversed order (see above) */
/* fe: running means (updated here) when the model asks for them, else 0 */
static void fe_finish_frame(const al_model_t *m, al_fe_t *fe, int8_t *q, float *g_out,
                            float *f_out)
{
    float *buf = fe_buf;
    fe_zero_pad();
    al_rfft512_br(buf);
    /* power spectrum, in place: P[k] -> buf[k] (k <= 2k, so reading ahead of writing is safe;
     * two bins per step, both read before either is written) */
    int k = 0;
    for (; k + 2 <= AL_FFT_BINS; k += 2) {
        float re0 = buf[2 * k], im0 = buf[2 * k + 1], re1 = buf[2 * k + 2], im1 = buf[2 * k + 3];
        float p0 = re0 * re0 + im0 * im0, p1 = re1 * re1 + im1 * im1;
        buf[k] = p0;
        buf[k + 1] = p1;
    }
    for (; k < AL_FFT_BINS; k++) {
        float re = buf[2 * k], im = buf[2 * k + 1];
        buf[k] = re * re + im * im;
    }
    /* mel sums in table order, two bands side by side (two independent add chains) */
    float mel[AL_MAX_MELS];
    const float *w = m->mel_weights;
    int i = 0;
    for (; i + 2 <= m->n_mels; i += 2) {
        const int c0 = m->mel_count[i], c1 = m->mel_count[i + 1];
        const float *p0 = buf + m->mel_first[i], *p1 = buf + m->mel_first[i + 1];
        const float *w0 = w, *w1 = w + c0;
        const int cm = c0 < c1 ? c0 : c1;
        float a0 = 0.0f, a1 = 0.0f;
        int j = 0;
        for (; j < cm; j++) { a0 = a0 + w0[j] * p0[j]; a1 = a1 + w1[j] * p1[j]; }
        for (int j0 = j; j0 < c0; j0++) a0 = a0 + w0[j0] * p0[j0];
        for (int j1 = j; j1 < c1; j1++) a1 = a1 + w1[j1] * p1[j1];
        mel[i] = a0;
        mel[i + 1] = a1;
        w += c0 + c1;
    }
    for (; i < m->n_mels; i++) {
        const float *p = buf + m->mel_first[i];
        const int cnt = m->mel_count[i];
        float acc = 0.0f;
        for (int j = 0; j < cnt; j++) acc = acc + w[j] * p[j];
        w += cnt;
        mel[i] = acc;
    }
    /* ln of the clamped sums, four at a time (independent chains, interleaved) */
    float *lnm = mel;                   /* in place (al_logf4 reads all 4 before writing) */
    for (i = 0; i < m->n_mels; i++) if (!(mel[i] > 1e-10f)) mel[i] = 1e-10f;
    for (i = 0; i + 4 <= m->n_mels; i += 4) al_logf4(mel + i, lnm + i);
    for (; i < m->n_mels; i++) lnm[i] = al_logf_inl(mel[i]);
    /* running mean (CONTRACT.md): one reciprocal per frame, then a multiply per band */
    const float *mean = m->feat_mean;
    if (fe && m->cmn_frames > 0.0f) {
        float *mu = fe->mu;
        int upd = 1;
        if (m->cmn_gate > 0.0f) {           /* speech gate: skip frames near the noise floor */
            float e = 0.0f;
            for (i = 0; i < m->n_mels; i++) e = e + lnm[i];
            e = e / (float)m->n_mels;
            float fl = fe->floor + m->cmn_rise;
            fe->floor = e < fl ? e : fl;
            upd = e > fe->floor + m->cmn_gate;
        }
        if (upd) {
            float c = m->cmn_prior + (float)fe->n_upd;
            c = c < m->cmn_frames ? c : m->cmn_frames;
            const float a = 1.0f / (c + 1.0f);
            for (i = 0; i < m->n_mels; i++) mu[i] = mu[i] + (lnm[i] - mu[i]) * a;
            fe->n_upd++;
            const uint32_t kl = m->cmn_level_frames;
            const uint32_t kr = kl && m->cmn_level_recheck > kl ? m->cmn_level_recheck : kl;
            if (fe->n_upd <= kr && !fe->lmoved) {   /* level floor (CONTRACT.md) */
                float el = 0.0f;
                for (i = m->cmn_level_b0; i < m->cmn_level_b1; i++) el = el + lnm[i];
                el = el / (float)(m->cmn_level_b1 - m->cmn_level_b0);
                fe->lsum = fe->lsum + el;
                fe->lrem = fe->lrem - fe->lrem * a;   /* the initial mean's share left in mu */
                if (fe->n_upd == kl || fe->n_upd == kr) {
                    const float lev = fe->lsum / (float)fe->n_upd;
                    if (lev < m->cmn_level_floor) {
                        const float s = (lev - (m->cmn_level_floor + m->cmn_level_lift)) * fe->lrem;
                        for (i = 0; i < m->n_mels; i++) mu[i] = mu[i] + s;
                        fe->lmoved = 1;
                    }
                }
            }
        }
        mean = mu;
    }
    /* normalise and divide (the divider is iterative: two bands per step keep it busy) */
    float vq[AL_MAX_MELS];
    const float in_scale = m->in_scale;
    for (i = 0; i + 2 <= m->n_mels; i += 2) {
        const float g0 = (lnm[i] - mean[i]) * m->feat_inv_std[i];
        const float g1 = (lnm[i + 1] - mean[i + 1]) * m->feat_inv_std[i + 1];
        vq[i] = g0 / in_scale;          /* contract: divide, not multiply by the inverse */
        vq[i + 1] = g1 / in_scale;
        if (g_out) { g_out[i] = g0; g_out[i + 1] = g1; }
    }
    for (; i < m->n_mels; i++) {
        const float g = (lnm[i] - mean[i]) * m->feat_inv_std[i];
        vq[i] = g / in_scale;
        if (g_out) g_out[i] = g;
    }
    for (i = 0; i < m->n_mels; i++) {
        float v = vq[i];
        v = v > 1000.0f ? 1000.0f : v;  /* keeps the int conversion defined; same after clamp */
        v = v < -1000.0f ? -1000.0f : v;
        int iq = (int)(v + (v >= 0.0f ? 0.5f : -0.5f));
        iq = iq > 127 ? 127 : iq;
        iq = iq < -127 ? -127 : iq;
        q[i] = (int8_t)iq;
        if (f_out) f_out[i] = lnm[i];
    }
}

void al_fe_frame(const al_model_t *m, const float *y400, int8_t *q, float *g_out, float *f_out)
{
    for (int n = 0; n < AL_FRAME_LEN / 2; n++) {
        float *d = fe_buf + 2 * al_bitrev256[n];
        d[0] = y400[2 * n] * al_hann400[2 * n];
        d[1] = y400[2 * n + 1] * al_hann400[2 * n + 1];
    }
    fe_finish_frame(m, 0, q, g_out, f_out);
}

/* The windowed frame from the ring (oldest sample at r0), into fe_buf in bit-reversed order. pos
 * is even at every frame (400 + 160 t mod 400), so the ring wraps between pairs only. */
static void fe_window(const float *ring, uint32_t r0)
{
    const int p1 = (int)(AL_FRAME_LEN - r0) / 2;     /* pairs before the wrap */
    const float *src = ring + r0;
    int p = 0;
    for (int run = 0; run < 2; run++) {
        const int end = run == 0 ? p1 : AL_FRAME_LEN / 2;
        for (; p + 4 <= end; p += 4, src += 8) {
            const float *h = al_hann400 + 2 * p;
            const unsigned b0 = al_bitrev256[p], b1 = al_bitrev256[p + 1];
            const unsigned b2 = al_bitrev256[p + 2], b3 = al_bitrev256[p + 3];
            const float v0 = src[0] * h[0], v1 = src[1] * h[1], v2 = src[2] * h[2];
            const float v3 = src[3] * h[3], v4 = src[4] * h[4], v5 = src[5] * h[5];
            const float v6 = src[6] * h[6], v7 = src[7] * h[7];
            float *d0 = fe_buf + 2 * b0, *d1 = fe_buf + 2 * b1;
            float *d2 = fe_buf + 2 * b2, *d3 = fe_buf + 2 * b3;
            d0[0] = v0; d0[1] = v1; d1[0] = v2; d1[1] = v3;
            d2[0] = v4; d2[1] = v5; d3[0] = v6; d3[1] = v7;
        }
        for (; p + 2 <= end; p += 2, src += 4) {
            float *d0 = fe_buf + 2 * al_bitrev256[p], *d1 = fe_buf + 2 * al_bitrev256[p + 1];
            const float v0 = src[0] * al_hann400[2 * p], v1 = src[1] * al_hann400[2 * p + 1];
            const float v2 = src[2] * al_hann400[2 * p + 2], v3 = src[3] * al_hann400[2 * p + 3];
            d0[0] = v0; d0[1] = v1; d1[0] = v2; d1[1] = v3;
        }
        if (p < end) {
            float *d = fe_buf + 2 * al_bitrev256[p];
            d[0] = src[0] * al_hann400[2 * p];
            d[1] = src[1] * al_hann400[2 * p + 1];
            p++;
            src += 2;
        }
        src = ring;
    }
}

void al_fe_push(al_fe_t *fe, const int16_t *s, uint32_t n, al_fe_cb cb, void *ctx)
{
    int8_t q[AL_MAX_MELS];
    float *ring = fe->ring;
    float x_prev = fe->x_prev;
    uint32_t pos = fe->pos, to_next = fe->to_next;
    uint32_t i = 0;
    while (i < n) {
        /* a run without a frame boundary or a ring wrap inside */
        uint32_t run = n - i;
        if (run > to_next) run = to_next;
        if (run > AL_FRAME_LEN - pos) run = AL_FRAME_LEN - pos;
        const int16_t *src = s + i;
        float *dst = ring + pos;
        uint32_t j = 0;
        for (; j + 4 <= run; j += 4) {
            const float x0 = (float)src[j] / 32768.0f, x1 = (float)src[j + 1] / 32768.0f;
            const float x2 = (float)src[j + 2] / 32768.0f, x3 = (float)src[j + 3] / 32768.0f;
            const float y0 = x0 - 0.97f * x_prev, y1 = x1 - 0.97f * x0;
            const float y2 = x2 - 0.97f * x1, y3 = x3 - 0.97f * x2;
            dst[j] = y0;
            dst[j + 1] = y1;
            dst[j + 2] = y2;
            dst[j + 3] = y3;
            x_prev = x3;
        }
        for (; j + 2 <= run; j += 2) {
            const float x0 = (float)src[j] / 32768.0f, x1 = (float)src[j + 1] / 32768.0f;
            const float y0 = x0 - 0.97f * x_prev, y1 = x1 - 0.97f * x0;
            dst[j] = y0;
            dst[j + 1] = y1;
            x_prev = x1;
        }
        if (j < run) {
            const float x = (float)src[j] / 32768.0f;
            dst[j] = x - 0.97f * x_prev;
            x_prev = x;
        }
        i += run;
        pos += run;
        if (pos == AL_FRAME_LEN) pos = 0;
        to_next -= run;
        /* frame t is complete when sample 160 t + 399 has arrived */
        if (to_next == 0) {
            to_next = AL_FRAME_HOP;
            fe_window(ring, pos);               /* oldest sample = first of the frame */
            fe_finish_frame(fe->m, fe, q, fe->dbg_g, fe->dbg_f);
            fe->n_frames++;
            if (cb) cb(ctx, q);
        }
    }
    fe->x_prev = x_prev;
    fe->pos = pos;
    fe->to_next = to_next;
    fe->n_samples += n;
}
