/* aligner.c - see aligner.h. Owns the static instances of the three stages. */
#include "aligner.h"

static struct {
    const al_model_t *m;
    al_fe_t fe;
    al_nn_t nn;
    uint8_t done;          /* al_finish() ran: the next input starts a new utterance */
    uint32_t n_frames;
} g_al;
/* The Viterbi state on its own (AL_VIT_SECTION, al_config.h): a firmware may put it in cached
 * RAM and keep the zero-wait TCM for the network, whose rings and weights are read per MAC. */
static al_vit_t g_vit AL_VIT_SECTION;

static void on_logits(void *ctx, const int8_t *logits)
{
    (void)ctx;
    al_vit_push(&g_vit, logits);
}

static void on_feature(void *ctx, const int8_t *feat)
{
    (void)ctx;
    g_al.n_frames++;
    al_nn_push(&g_al.nn, feat, on_logits, 0);
}

int al_init(const al_model_t *m)
{
    int r;
    g_al.m = 0;
    if ((r = al_fe_init(&g_al.fe, m)) != AL_OK) return r;
    if ((r = al_nn_init(&g_al.nn, m)) != AL_OK) return r;
    if ((r = al_vit_init(&g_vit, m)) != AL_OK) return r;
    g_al.m = m;
    al_reset();
    return AL_OK;
}

void al_set_word_callback(al_word_cb cb, void *ctx) { al_vit_set_callback(&g_vit, cb, ctx); }
void al_set_params(float beam, int32_t nf_min_conf) { al_vit_set_params(&g_vit, beam, nf_min_conf); }

void al_reset(void)
{
    if (!g_al.m) return;
    al_fe_reset(&g_al.fe);
    al_nn_reset(&g_al.nn);
    al_vit_reset(&g_vit);
    g_al.done = 0;
    g_al.n_frames = 0;
}

static void new_utterance_if_done(void) { if (g_al.done) al_reset(); }

int al_begin_transcript(uint32_t n_words)
{
    if (!g_al.m) return AL_E_STATE;
    new_utterance_if_done();
    return al_vit_begin(&g_vit, n_words);
}

int al_add_word(uint32_t index, const uint16_t *ids, uint32_t n)
{
    if (!g_al.m || g_al.done) return AL_E_STATE;
    return al_vit_add_word(&g_vit, index, ids, n);
}

int al_end_transcript(void)
{
    if (!g_al.m || g_al.done) return AL_E_STATE;
    return al_vit_end(&g_vit);
}

int al_set_transcript(const uint16_t *ids, const uint16_t *word_len, uint32_t n_words)
{
    int r = al_begin_transcript(n_words), worst = r;
    if (r != AL_OK) return r;
    for (uint32_t i = 0; i < n_words; i++) {
        r = al_add_word(i, ids, word_len[i]);
        if (r != AL_OK) worst = r;                 /* that word will be NF; keep going */
        ids += word_len[i];
    }
    r = al_end_transcript();
    return r != AL_OK ? r : worst;
}

void al_push_audio(const int16_t *s, uint32_t n)
{
    if (!g_al.m) return;
    new_utterance_if_done();
    al_vit_block(&g_vit);                          /* a new block: the search's credit */
    al_fe_push(&g_al.fe, s, n, on_feature, 0);
}

uint32_t al_finish(void)
{
    if (!g_al.m || g_al.done) return g_al.n_frames;
    al_nn_flush(&g_al.nn, on_logits, 0);
    al_vit_finish(&g_vit);
    g_al.done = 1;
    return g_al.n_frames;
}

uint32_t al_n_frames(void) { return g_al.n_frames; }
uint32_t al_n_words(void) { return g_vit.n_words; }
const al_vit_stats_t *al_stats(void) { return &g_vit.st; }
uint32_t al_latency_frames(void) { return g_al.m ? al_nn_latency(&g_al.nn) : 0; }
