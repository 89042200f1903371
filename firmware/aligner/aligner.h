/* aligner.h - the top-level aligner: front end -> int8 conv stack -> banded Viterbi.
 * One static instance (no malloc). Typical use from the app:
 *   al_init(&al_model); al_set_word_callback(cb, ctx);
 *   per utterance: transcript lines via protocol.c (or al_begin/add/end_transcript),
 *   al_push_audio() for every DMA block, al_finish() at the end; cb() receives every word
 *   once in word order as soon as the search has placed it, and again (r->revised = 1) when
 *   a later pass moves it: the last answer of a word counts (CONTRACT.md).
 * Audio may start before the transcript is complete (frames wait in a bounded logits ring).
 * After al_finish(), the next transcript header or audio block starts a new utterance. */
#ifndef AL_ALIGNER_H
#define AL_ALIGNER_H

#include <stdint.h>
#include "al_config.h"
#include "model_format.h"
#include "frontend.h"
#include "nnet.h"
#include "viterbi.h"

typedef al_word_result_t al_result_t;

int  al_init(const al_model_t *m);                 /* AL_OK or AL_E_MODEL */
void al_set_word_callback(al_word_cb cb, void *ctx);
void al_set_params(float beam, int32_t nf_min_conf);
void al_reset(void);                               /* drop the current utterance */

int  al_begin_transcript(uint32_t n_words);
int  al_add_word(uint32_t index, const uint16_t *ids, uint32_t n);
int  al_end_transcript(void);
/* convenience: whole transcript at once, word i has word_len[i] ids (flat array ids) */
int  al_set_transcript(const uint16_t *ids, const uint16_t *word_len, uint32_t n_words);

void al_push_audio(const int16_t *s, uint32_t n);
uint32_t al_finish(void);                          /* returns the number of frames */

uint32_t al_n_frames(void);                        /* feature frames so far */
uint32_t al_n_words(void);                         /* words declared by the header */
const al_vit_stats_t *al_stats(void);
uint32_t al_latency_frames(void);                  /* network look-ahead in frames */

#endif
