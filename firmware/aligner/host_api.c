/* host_api.c - flat C entry points for the ctypes binding (host.py). Host build only; the
 * firmware links aligner.c / protocol.c directly. Not thread safe (static instances). */
#include <string.h>
#include "aligner.h"
#include "protocol.h"
#include "fft.h"

static int g_inited;
static int ensure_init(void)
{
    if (!g_inited) {
        int r = al_init(&al_model);
        if (r != AL_OK) return r;
        g_inited = 1;
    }
    return AL_OK;
}

const al_model_t *alh_model(void) { return &al_model; }
int alh_init(void) { g_inited = 0; return ensure_init(); }

void alh_rfft512(float *buf) { al_rfft512(buf); }

void alh_sizes(uint32_t *out)
{
    out[0] = (uint32_t)sizeof(al_fe_t);
    out[1] = (uint32_t)sizeof(al_nn_t);
    out[2] = (uint32_t)sizeof(al_vit_t);
    out[3] = (uint32_t)sizeof(al_proto_t);
    out[4] = AL_VIT_BAND;
    out[5] = AL_VIT_LAG;
    out[6] = AL_NN_DSP;
    out[7] = (uint32_t)(sizeof(al_coro_t) + AL_VIT_CO_STACK);   /* per build (al_config.h) */
    out[8] = AL_CORO ? AL_VIT_BLOCK_CELLS : 0u;                   /* the firmware's budget */
    out[9] = AL_VIT_PASS2_STATES;   /* the most one column of a pass charges at once */
}

/* ---- features --------------------------------------------------------------------------- */
static al_fe_t h_fe;
static struct { int8_t *q; float *g; float *gsrc; int n, max, nm; } fcol;

static void on_feat(void *ctx, const int8_t *q)
{
    (void)ctx;
    if (fcol.n < fcol.max) {
        memcpy(fcol.q + (size_t)fcol.n * fcol.nm, q, (size_t)fcol.nm);
        if (fcol.g) memcpy(fcol.g + (size_t)fcol.n * fcol.nm, fcol.gsrc, sizeof(float) * (size_t)fcol.nm);
    }
    fcol.n++;
}

int alh_features(const int16_t *s, int n, int block, int8_t *q, float *g, int max_frames)
{
    static float gbuf[AL_MAX_MELS];
    if (al_fe_init(&h_fe, &al_model) != AL_OK) return -1;
    fcol.q = q; fcol.g = g; fcol.gsrc = gbuf; fcol.n = 0; fcol.max = max_frames;
    fcol.nm = al_model.n_mels;
    h_fe.dbg_g = g ? gbuf : 0;
    if (block <= 0) block = n > 0 ? n : 1;
    for (int i = 0; i < n; i += block)
        al_fe_push(&h_fe, s + i, (uint32_t)(n - i < block ? n - i : block), on_feat, 0);
    return fcol.n;
}

void alh_frame(const float *y400, int8_t *q, float *g, float *f)
{
    al_fe_frame(&al_model, y400, q, g, f);
}

/* ---- network ---------------------------------------------------------------------------- */
static al_nn_t h_nn;
static struct { int8_t *out; int n, max, layer, width; } ncol;

static void on_tap(void *ctx, int layer, const int8_t *o)
{
    (void)ctx;
    if (layer != ncol.layer) return;
    if (ncol.n < ncol.max) memcpy(ncol.out + (size_t)ncol.n * ncol.width, o, (size_t)ncol.width);
    ncol.n++;
}

/* layer < 0: final logits. Returns frames written (== T) or < 0. */
int alh_layer_outputs(const int8_t *feats, int T, int layer, int8_t *out, int max_frames)
{
    if (al_nn_init(&h_nn, &al_model) != AL_OK) return -1;
    if (layer < 0) layer = al_model.n_layers - 1;
    if (layer >= al_model.n_layers) return -2;
    ncol.out = out; ncol.n = 0; ncol.max = max_frames; ncol.layer = layer;
    ncol.width = al_model.layers[layer].cout;
    h_nn.tap = on_tap;
    for (int t = 0; t < T; t++) al_nn_push(&h_nn, feats + (size_t)t * al_model.n_mels, 0, 0);
    al_nn_flush(&h_nn, 0, 0);
    return ncol.n;
}

int32_t alh_dot(const int8_t *w, const int8_t *x, int n, int32_t acc)
{
    uint32_t packed[(AL_NN_MAX_CH + 3) / 4 * AL_NN_WORDS_PER_4];
    if (n > AL_NN_MAX_CH) return 0;
    al_nn_pack(packed, x, n);
    return al_nn_dot(w, packed, n, acc);
}

/* ---- alignment -------------------------------------------------------------------------- */
static struct { al_word_result_t *res; int n, max; } rcol;

/* Every answer of the last alignment in the order the library sent them (A and R lines). */
#define ALH_LOG_MAX 16384
static struct { al_word_result_t r[ALH_LOG_MAX]; int n; } alog;

/* Copies up to max answers; returns their number, -1 if there were more than the log holds. */
int alh_answers(al_word_result_t *out, int max)
{
    if (alog.n > ALH_LOG_MAX) return -1;
    for (int i = 0; i < alog.n && i < max; i++) out[i] = alog.r[i];
    return alog.n;
}

static void on_word(void *ctx, const al_word_result_t *r)
{
    (void)ctx;
    if (alog.n < ALH_LOG_MAX) alog.r[alog.n] = *r;
    alog.n++;
    if (r->revised) {                  /* a word answered before: the last answer counts */
        if (r->word >= 0 && r->word < rcol.n && r->word < rcol.max) rcol.res[r->word] = *r;
        return;
    }
    if (rcol.n < rcol.max) rcol.res[rcol.n] = *r;
    rcol.n++;
}

static float g_beam = AL_VIT_BEAM;
static int32_t g_nf = AL_NF_MIN_CONF;
void alh_set_params(float beam, int32_t nf_min_conf) { g_beam = beam; g_nf = nf_min_conf; }

/* The statistics in ViterbiStats order (host.py); n_frames: frames searched. */
static void put_stats(const al_vit_stats_t *s, uint32_t n_frames, uint32_t *out)
{
    out[0] = s->max_band; out[1] = s->max_lag; out[2] = s->n_converged;
    out[3] = s->n_forced; out[4] = s->n_band_cut; out[5] = s->n_overrun;
    out[6] = n_frames; out[7] = s->n_reanchor; out[8] = s->n_filled;
    out[9] = s->n_second; out[10] = s->n_back;
    out[11] = s->max_block_work; out[12] = s->max_backlog; out[13] = s->co_stack_used;
    out[14] = s->n_revised; out[15] = s->n_answered; out[16] = s->sum_answer_lag;
    out[17] = s->max_answer_lag;
}

void alh_stats(uint32_t *out) { put_stats(al_stats(), al_n_frames(), out); }

/* Whole pipeline. pre: samples pushed before the transcript is given (audio-first case). */
int alh_align(const int16_t *s, int n, int block, int pre, const uint16_t *ids,
              const uint16_t *lens, int n_words, al_word_result_t *res, int max_res)
{
    if (ensure_init() != AL_OK) return -1;
    al_reset();
    al_set_params(g_beam, g_nf);
    al_set_word_callback(on_word, 0);
    rcol.res = res; rcol.n = 0; rcol.max = max_res;
    alog.n = 0;
    if (block <= 0) block = n > 0 ? n : 1;
    if (pre < 0) pre = 0;
    if (pre > n) pre = n;
    for (int i = 0; i < pre; i += block)
        al_push_audio(s + i, (uint32_t)(pre - i < block ? pre - i : block));
    al_set_transcript(ids, lens, (uint32_t)n_words);
    for (int i = pre; i < n; i += block)
        al_push_audio(s + i, (uint32_t)(n - i < block ? n - i : block));
    al_finish();
    return rcol.n;
}

/* Block budget of align_logits (README.md "Block budget"): `cells` work units per block of
 * `block_frames` frames (0 cells: no budget, every frame searched as it comes). Default: the
 * firmware's, 2 frames (20 ms) a block. */
static uint32_t g_cells = AL_CORO ? AL_VIT_BLOCK_CELLS : 0u, g_block_frames = 2;
void alh_set_budget(uint32_t cells, uint32_t block_frames)
{
    g_cells = cells;
    g_block_frames = block_frames ? block_frames : 1u;
}

/* Viterbi alone on given int8 logits [T][n_classes] (synthetic posteriors). */
static al_vit_t h_vit;
int alh_align_logits(const int8_t *logits, int T, int pre, const uint16_t *ids,
                     const uint16_t *lens, int n_words, al_word_result_t *res, int max_res,
                     uint32_t *stats)
{
    if (al_vit_init(&h_vit, &al_model) != AL_OK) return -1;
    al_vit_set_params(&h_vit, g_beam, g_nf);
    al_vit_set_callback(&h_vit, on_word, 0);
    al_vit_set_budget(&h_vit, g_cells);
    rcol.res = res; rcol.n = 0; rcol.max = max_res;
    alog.n = 0;
    int C = al_model.n_classes;
    if (pre < 0) pre = 0;
    if (pre > T) pre = T;
    for (int t = 0; t < pre; t++) al_vit_push(&h_vit, logits + (size_t)t * C);
    al_vit_begin(&h_vit, (uint32_t)n_words);
    for (int i = 0; i < n_words; i++) { al_vit_add_word(&h_vit, (uint32_t)i, ids, lens[i]); ids += lens[i]; }
    al_vit_end(&h_vit);
    for (int t = pre; t < T; t++) {
        if ((uint32_t)(t - pre) % g_block_frames == 0) al_vit_block(&h_vit);
        al_vit_push(&h_vit, logits + (size_t)t * C);
    }
    al_vit_finish(&h_vit);
    if (stats) put_stats(&h_vit.st, (uint32_t)T, stats);
    return rcol.n;
}

/* ---- protocol session ------------------------------------------------------------------- */
static struct { char *out; int len, cap; } pcol;
static void out_str(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) if (pcol.len < pcol.cap) pcol.out[pcol.len++] = s[i];
}
static void on_word_line(void *ctx, const al_word_result_t *r)
{
    (void)ctx;
    char b[64];
    out_str(b, al_fmt_result(b, sizeof b, r));
}

/* Feeds `text` (host->firmware lines) byte by byte after `pre` samples, then the rest of the
 * audio, then finishes; the firmware->host lines are written to out. Returns their length. */
int alh_protocol(const char *text, int text_len, const int16_t *s, int n, int block, int pre,
                 char *out, int cap)
{
    static al_proto_t p;
    if (ensure_init() != AL_OK) return -1;
    al_reset();
    al_set_params(g_beam, g_nf);
    al_set_word_callback(on_word_line, 0);
    al_proto_init(&p);
    pcol.out = out; pcol.len = 0; pcol.cap = cap;
    if (block <= 0) block = n > 0 ? n : 1;
    if (pre < 0) pre = 0;
    if (pre > n) pre = n;
    for (int i = 0; i < pre; i += block)
        al_push_audio(s + i, (uint32_t)(pre - i < block ? pre - i : block));
    for (int i = 0; i < text_len; i++) {
        if (al_proto_putc(&p, text[i]) == AL_MSG_ERROR) out_str("# bad line\n", 11);
    }
    for (int i = pre; i < n; i += block)
        al_push_audio(s + i, (uint32_t)(n - i < block ? n - i : block));
    uint32_t frames = al_finish();
    char b[64];
    out_str(b, al_fmt_done(b, sizeof b, frames, al_n_words()));
    return pcol.len;
}
