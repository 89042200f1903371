/* nnet.h - streaming int8 inference of the conv stack (CONTRACT.md "Network").
 * Each layer keeps a ring of its last (K-1)*dil+1 input frames. Pushing input frame j into a
 * layer with half-width h = (K-1)/2*dil yields its output frame j-h at once (frames before 0 are
 * zero); al_nn_flush() feeds h zero frames per layer (frames after the end are zero), so each
 * of the T input frames yields exactly one logits frame, in order, with a latency of sum(h). */
#ifndef AL_NNET_H
#define AL_NNET_H

#include <stdint.h>
#include "al_config.h"
#include "model_format.h"

#ifndef AL_NN_MAX_K
#define AL_NN_MAX_K 31
#endif

/* Ring layout: with the DSP kernel, each group of 4 int8 inputs is stored pre-unpacked as two
 * words of int16 pairs, {x0,x2} and {x1,x3} (what SXTB16 / SXTB16 ROR #8 give), so the inner
 * loop unpacks only the weights. The plain-C kernel keeps raw int8. */
#if defined(__ARM_FEATURE_DSP) || defined(AL_EMULATE_DSP)
#define AL_NN_DSP 1
#define AL_NN_WORDS_PER_4 2
#else
#define AL_NN_DSP 0
#define AL_NN_WORDS_PER_4 1
#endif

/* output frames computed together per layer (see nnet.c): 8, or 4 / 2 / 1 when the rings of
 * span + 2 * (batch - 1) frames plus batch - 1 mirror slots would not fit AL_NN_POOL_BYTES */
#define AL_NN_BATCH 8

typedef void (*al_nn_cb)(void *ctx, const int8_t *logits);
typedef void (*al_nn_tap)(void *ctx, int layer, const int8_t *out);

typedef struct {
    const al_model_t *m;
    uint16_t span[AL_NN_MAX_LAYERS];    /* ring length in frames: (K-1)*dil + 1 + 2*(batch-1)
                                           (+ batch-1 mirror slots after it) */
    uint16_t half[AL_NN_MAX_LAYERS];    /* (K-1)/2*dil: look-ahead of the layer in frames */
    uint16_t wslot[AL_NN_MAX_LAYERS];   /* ring slot the next input frame goes to */
    uint16_t stride[AL_NN_MAX_LAYERS];  /* 32-bit words per stored frame */
    uint32_t off[AL_NN_MAX_LAYERS];     /* ring start in pool (words) */
    uint16_t rslot[AL_NN_MAX_LAYERS];   /* ring slot of the first tap of the next output */
    uint32_t n_in[AL_NN_MAX_LAYERS];    /* frames pushed into the layer */
    uint32_t n_out[AL_NN_MAX_LAYERS];   /* output frames computed by the layer */
    uint32_t pool_used;                 /* words of pool in use by this model */
    uint8_t batch;                      /* output frames computed together (4, 2 or 1) */
    uint8_t hi_shift[AL_NN_MAX_LAYERS]; /* every requant shift of the layer is > 32 */
    int8_t out[AL_NN_BATCH][AL_NN_MAX_CH] __attribute__((aligned(4))); /* the output frames
                                        being passed down (word aligned: al_nn_pack reads words) */
    al_nn_tap tap;                      /* host tests: sees every layer's output (may be 0) */
    void *tap_ctx;
    uint32_t pool[AL_NN_POOL_BYTES / 4];
} al_nn_t;

int  al_nn_init(al_nn_t *nn, const al_model_t *m);  /* AL_E_MODEL if it does not fit */
void al_nn_reset(al_nn_t *nn);
void al_nn_push(al_nn_t *nn, const int8_t *feat, al_nn_cb cb, void *ctx);
void al_nn_flush(al_nn_t *nn, al_nn_cb cb, void *ctx);
uint32_t al_nn_latency(const al_nn_t *nn);          /* sum of half widths, frames */

/* The dot-product kernel on one stored frame (exposed for tests/benchmarks):
 * returns acc + sum_i w[i] * x[i] with int32 wrap-around, x in ring layout. */
int32_t al_nn_dot(const int8_t *w, const uint32_t *x, int n, int32_t acc);
/* store n int8 values in ring layout (zero padded to a multiple of 4) */
void al_nn_pack(uint32_t *dst, const int8_t *src, int n);

#endif
