/* frontend.h - streaming log-mel front end (CONTRACT.md "Audio and front end").
 * Push int16 blocks of any size; each complete 400-sample frame (hop 160) is turned into n_mels
 * int8 features and handed to the callback at once. State: pre-emphasis memory and a 400-sample
 * ring of pre-emphasised float samples. */
#ifndef AL_FRONTEND_H
#define AL_FRONTEND_H

#include <stdint.h>
#include "al_config.h"
#include "model_format.h"

typedef void (*al_fe_cb)(void *ctx, const int8_t *feat);

typedef struct {
    const al_model_t *m;
    float ring[AL_FRAME_LEN];   /* pre-emphasised samples y[n], slot n % 400 */
    float x_prev;               /* x[n-1] for the pre-emphasis */
    uint32_t pos;               /* next ring slot to write */
    uint32_t to_next;           /* samples still missing for the next frame */
    uint32_t n_samples;         /* samples pushed so far (statistics only) */
    uint32_t n_frames;          /* frames emitted so far */
    float mu[AL_MAX_MELS];      /* running mean of each band (model cmn_frames > 0) */
    float floor;                /* speech gate: tracked floor of the mean log-mel (cmn_gate) */
    uint32_t n_upd;             /* frames that updated the running mean */
    float lsum;                 /* level floor: sum of the level bands' mean over the first updates */
    float lrem;                 /* level floor: share of feat_mean still in mu (starts at 1) */
    uint32_t lmoved;            /* level floor: mu was moved (no recheck) */
    float *dbg_g;               /* host tests: if set, normalised float features g of the last frame */
    float *dbg_f;               /* host tests: if set, log-mel f of the last frame */
} al_fe_t;

int  al_fe_init(al_fe_t *fe, const al_model_t *m);   /* also resets */
void al_fe_reset(al_fe_t *fe);
void al_fe_push(al_fe_t *fe, const int16_t *s, uint32_t n, al_fe_cb cb, void *ctx);

/* One frame from 400 pre-emphasised samples (frame order, oldest first). Exposed for tests. */
void al_fe_frame(const al_model_t *m, const float *y400, int8_t *q, float *g_out, float *f_out);

#endif
