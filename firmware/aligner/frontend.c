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
}

static float fe_buf[AL_FFT_LEN + 2];   /* FFT work buffer, in place (2056 B) */

/* fe_buf[0..399] holds the windowed frame */
static void fe_finish_frame(const al_model_t *m, int8_t *q, float *g_out, float *f_out)
{
    float *buf = fe_buf;
    for (int i = AL_FRAME_LEN; i < AL_FFT_LEN; i++) buf[i] = 0.0f;
    al_rfft512(buf);
    /* power spectrum, in place: P[k] -> buf[k] (k <= 2k, so reading ahead of writing is safe) */
    for (int k = 0; k < AL_FFT_BINS; k++) {
        float re = buf[2 * k], im = buf[2 * k + 1];
        buf[k] = re * re + im * im;
    }
    const float *w = m->mel_weights;
    for (int i = 0; i < m->n_mels; i++) {
        const float *p = buf + m->mel_first[i];
        int cnt = m->mel_count[i];
        float acc = 0.0f;
        for (int j = 0; j < cnt; j++) acc = acc + w[j] * p[j];
        w += cnt;
        if (!(acc > 1e-10f)) acc = 1e-10f;
        float f = al_logf(acc);
        float g = (f - m->feat_mean[i]) * m->feat_inv_std[i];
        float v = g / m->in_scale;      /* contract: divide, not multiply by the inverse */
        if (v > 1000.0f) v = 1000.0f;   /* keeps the int conversion defined; same after clamp */
        if (v < -1000.0f) v = -1000.0f;
        int iq = (int)(v + (v >= 0.0f ? 0.5f : -0.5f));
        if (iq > 127) iq = 127;
        if (iq < -127) iq = -127;
        q[i] = (int8_t)iq;
        if (g_out) g_out[i] = g;
        if (f_out) f_out[i] = f;
    }
}

void al_fe_frame(const al_model_t *m, const float *y400, int8_t *q, float *g_out, float *f_out)
{
    for (int i = 0; i < AL_FRAME_LEN; i++) fe_buf[i] = y400[i] * al_hann400[i];
    fe_finish_frame(m, q, g_out, f_out);
}

void al_fe_push(al_fe_t *fe, const int16_t *s, uint32_t n, al_fe_cb cb, void *ctx)
{
    int8_t q[AL_MAX_MELS];
    for (uint32_t i = 0; i < n; i++) {
        float x = (float)s[i] / 32768.0f;
        float y = x - 0.97f * fe->x_prev;
        fe->x_prev = x;
        fe->ring[fe->pos] = y;
        if (++fe->pos == AL_FRAME_LEN) fe->pos = 0;
        /* frame t is complete when sample 160 t + 399 has arrived */
        if (--fe->to_next == 0) {
            fe->to_next = AL_FRAME_HOP;
            uint32_t r = fe->pos;               /* oldest sample = first of the frame */
            for (int j = 0; j < AL_FRAME_LEN; j++) {
                fe_buf[j] = fe->ring[r] * al_hann400[j];
                if (++r == AL_FRAME_LEN) r = 0;
            }
            fe_finish_frame(fe->m, q, fe->dbg_g, fe->dbg_f);
            fe->n_frames++;
            if (cb) cb(ctx, q);
        }
    }
    fe->n_samples += n;
}
