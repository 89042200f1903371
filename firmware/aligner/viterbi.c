/* viterbi.c - see viterbi.h. Cost per frame: log_softmax over the classes (n_classes al_expf)
 * plus a fixed handful of float ops per active state (<= AL_VIT_BAND). */
#include "viterbi.h"
#include "al_math.h"
#include <math.h>
#include <string.h>

#define NEG       (-1.0e30f)
#define NEG_HALF  (-0.5e30f)
#define NO_WORD   0xffffu
#define F_SIL     1u   /* optional silence unit */
#define F_WFIRST  2u   /* first phone of a word */
#define F_SKIP    4u   /* first phone of a word that follows an optional silence */
#define WMASK     (AL_VIT_BAND - 1u)

static void co_restart(al_vit_t *v);

int al_vit_init(al_vit_t *v, const al_model_t *m)
{
    if (m->n_classes == 0 || m->n_classes > AL_MAX_CLASSES || m->n_classes > 255) return AL_E_MODEL;
    if (m->sil_class >= m->n_classes) return AL_E_MODEL;
    for (int c = 0; c < m->n_classes; c++)
        if (m->hmm_states[c] == 0) return AL_E_MODEL;
    v->m = m;
    v->nsil = m->hmm_states[m->sil_class];
    if (1u + v->nsil + 8u > AL_VIT_BAND) return AL_E_MODEL;
    v->ring_cap = AL_VIT_LOGIT_POOL / m->n_classes;
    if (v->ring_cap < AL_VIT_RING_BACK) return AL_E_MODEL;
    v->lag_force = (uint16_t)(AL_VIT_LAG / 2 - 1);
    for (int c = 0; c < m->n_classes; c++) v->emis_bias[c] = m->prior_weight * m->log_prior[c];
    float o = m->frame_offset_s * 1000.0f;
    v->offset_ms = (int32_t)(o + (o >= 0.0f ? 0.5f : -0.5f));
    v->beam = AL_VIT_BEAM;
    v->nf_min_conf = AL_NF_MIN_CONF;
    v->cb = 0;
    v->cb_ctx = 0;
    v->block_cells = AL_CORO ? AL_VIT_BLOCK_CELLS : 0u;
    al_vit_reset(v);
    return AL_OK;
}

void al_vit_set_callback(al_vit_t *v, al_word_cb cb, void *ctx) { v->cb = cb; v->cb_ctx = ctx; }

void al_vit_set_params(al_vit_t *v, float beam, int32_t nf_min_conf)
{
    v->beam = beam;
    v->nf_min_conf = nf_min_conf;
}

/* prior[] empty (viterbi.c keep_prior()); on: a replay just happened, keep the answers from
 * before it. */
static void prior_start(al_vit_t *v, uint8_t on)
{
    for (uint32_t i = 0; i < AL_VIT_SENT; i++) v->prior[i].word = 0xFFFFu;
    v->pr_on = on;
    v->pr_lost = 0;
    v->pr_lo = v->pr_hi = -1;
}

void al_vit_reset(al_vit_t *v)
{
    v->n_units = v->n_phones = v->n_placed = 0;
    v->u_first[0] = 0;
    v->n_words = 0;
    v->last_word = -1;
    v->tr_state = 0;
    v->implicit = 0;
    v->n_arrived = v->t = v->clk = 0;
    v->last_commit = -1;
    v->anchor = 0;
    v->lo = v->hi = 0;
    v->cm_unit = 0;
    v->cm_ord = -1;
    v->cur_word = -1;
    v->w_start = 0;
    v->w_margin = 0.0f;
    v->w_frames = 0;
    v->next_emit = 0;
    v->rv_word = -1;
    v->rv_end = 0;
    v->next_told = 0;
    for (uint32_t i = 0; i < AL_VIT_SENT; i++) v->sent[i].word = 0xFFFFu;
    prior_start(v, 0);
    v->fit_avg = 0.0f;
    v->aud_avg = 0.0f;
    v->lse = 0.0f;
    v->collapse_n = 0;
    v->scan_next = 0;
    v->last_reanchor = 0;
    v->last_locate = 0;
    v->conf_s = v->conf_t = 0;
    v->good_s = 0;
    v->good_t = 0;
    v->lost_t = -1;
    v->went_back = 0;
    v->bk_n = 0;
    v->pend_ord = -1;
    v->hq_head = v->hq_n = 0;
    v->cur_ord = -1;
    v->done_ord = -1;
    v->last_end = 0;
    v->far_k = 0;
    v->rp_sb = 0;
    v->rp_t = 0;
    v->rp_pause = 0;
    v->rp_gain = 0.0f;
    v->rp_prev = 0.0f;
    v->st.n_reanchor = 0;
    v->st.n_filled = 0;
    v->st.n_second = 0;
    v->st.n_back = 0;
    v->st.n_revised = 0;
    v->st.n_answered = v->st.sum_answer_lag = v->st.max_answer_lag = 0;
    v->cm_upto = 0;
    v->st.max_band = v->st.max_lag = v->st.n_converged = v->st.n_forced = 0;
    v->st.n_band_cut = v->st.n_overrun = 0;
    v->st.max_block_work = v->st.max_backlog = v->st.co_stack_used = 0;
    v->credit = (int32_t)v->block_cells;
    v->block_work = 0;
    v->in_co = v->co_busy = 0;
    co_restart(v);
}

/* ---- transcript graph -------------------------------------------------------------------- */
static int add_unit(al_vit_t *v, uint32_t cls, uint32_t flags, uint32_t word)
{
    uint32_t n = v->m->hmm_states[cls];
    if (v->n_units >= AL_UNITS_MAX || (uint32_t)v->u_first[v->n_units] + n > AL_MAX_STATES)
        return AL_E_FULL;
    uint32_t u = v->n_units++;
    v->u_cls[u] = (uint8_t)cls;
    v->u_flags[u] = (uint8_t)flags;
    if (flags & F_WFIRST) v->pw_index[v->n_placed] = (uint16_t)word;
    v->u_first[u + 1] = (uint16_t)(v->u_first[u] + n);
    return AL_OK;
}

static void pump(al_vit_t *v, int force);

int al_vit_begin(al_vit_t *v, uint32_t n_words)
{
    /* frames may already be buffered: only the transcript part is set up here */
    if (n_words >= NO_WORD) n_words = NO_WORD - 1;
    if (v->tr_state == 1 && v->implicit && v->last_word < 0) {   /* header after an implicit start */
        v->n_words = n_words;
        v->implicit = 0;
        return AL_OK;
    }
    if (v->tr_state != 0) return AL_E_STATE;
    v->n_words = n_words;
    v->tr_state = 1;
    v->implicit = 0;
    return add_unit(v, v->m->sil_class, F_SIL, NO_WORD);   /* leading silence, unit 0 */
}

int al_vit_add_word(al_vit_t *v, uint32_t index, const uint16_t *ids, uint32_t n)
{
    const al_model_t *m = v->m;
    if (v->tr_state != 1) return AL_E_STATE;
    if ((int32_t)index <= v->last_word || index >= v->n_words) return AL_E_ARG;
    v->last_word = (int32_t)index;
    if (n == 0) return AL_OK;                                /* nothing to place: NF */
    uint32_t states = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (ids[i] >= m->n_classes || ids[i] == m->sil_class) return AL_E_ARG;   /* NF */
        states += m->hmm_states[ids[i]];
    }
    uint32_t need_units = n + (v->n_placed ? 1u : 0u) + 1u;  /* + final silence reserve */
    if (v->n_placed + 1 > AL_MAX_WORDS || v->n_phones + n > AL_MAX_PHONES
        || v->n_units + need_units > AL_UNITS_MAX
        || (uint32_t)v->u_first[v->n_units] + states + 2u * v->nsil > AL_MAX_STATES)
        return AL_E_FULL;                                    /* NF */
    if (v->n_placed) add_unit(v, m->sil_class, F_SIL, NO_WORD);
    for (uint32_t i = 0; i < n; i++) {
        uint32_t f = 0;
        if (i == 0) f = F_WFIRST | (v->n_placed ? F_SKIP : 0u);
        add_unit(v, ids[i], f, index);
    }
    v->n_phones += n;
    v->n_placed++;
    pump(v, 0);
    return AL_OK;
}

int al_vit_end(al_vit_t *v)
{
    if (v->tr_state != 1) return AL_E_STATE;
    if (v->n_placed) add_unit(v, v->m->sil_class, F_SIL, NO_WORD);   /* trailing silence */
    v->tr_state = 2;
    pump(v, 0);
    return AL_OK;
}

static uint32_t unit_of(const al_vit_t *v, uint32_t s)
{
    uint32_t a = 0, b = v->n_units - 1;       /* u_first[a] <= s < u_first[b + 1] */
    while (a < b) {
        uint32_t mid = (a + b + 1) >> 1;
        if (v->u_first[mid] <= s) a = mid; else b = mid - 1;
    }
    return a;
}

/* ---- per frame ----------------------------------------------------------------------------- */
static const int8_t *frame_logits(const al_vit_t *v, uint32_t f)
{
    return v->ring + (f % v->ring_cap) * v->m->n_classes;
}

static void emissions(al_vit_t *v, const int8_t *q)
{
    const al_model_t *m = v->m;
    int C = m->n_classes, qmax = -128;
    for (int c = 0; c < C; c++) qmax = q[c] > qmax ? q[c] : qmax;   /* select, no branch */
    float sum = 0.0f;
    int c;
    for (c = 0; c < C; c++) v->em[c] = m->out_scale * (float)(q[c] - qmax);
    for (c = 0; c + 4 <= C; c += 4) {     /* four exps interleaved; the sum keeps class order */
        float e[4];
        al_expf4(v->em + c, e);
        sum = sum + e[0];
        sum = sum + e[1];
        sum = sum + e[2];
        sum = sum + e[3];
    }
    for (; c < C; c++) sum = sum + al_expf(v->em[c]);
    float lse = al_logf(sum);
    v->lse = lse;
    for (c = 0; c < C; c++) v->em[c] = (v->em[c] - lse) - v->emis_bias[c];
}

/* Emissions up to a constant of the frame: out_scale * q - prior term, without the
 * log-softmax (n_classes exps and a log, ~2,700 M7 cycles a frame). Where paths are compared
 * only within a frame (second pass, locate) the constant cancels out. */
static void emissions_raw(al_vit_t *v, const int8_t *q)
{
    const al_model_t *m = v->m;
    for (int c = 0; c < m->n_classes; c++)
        v->em[c] = m->out_scale * (float)q[c] - v->emis_bias[c];
}

/* The best class's emission of the current frame (em[]). */
static float em_best(const al_vit_t *v)
{
    float b = NEG;
    for (int c = 0; c < v->m->n_classes; c++) b = v->em[c] > b ? v->em[c] : b;
    return b;
}

/* Block budget (README.md "Block budget"): `cells` work units done; when the block's credit is
 * spent and the search runs on its own stack, it stops here until the next block. */
static void work(al_vit_t *v, uint32_t cells)
{
    v->credit -= (int32_t)cells;
    v->block_work += cells;
    if (v->block_work > v->st.max_block_work) v->st.max_block_work = v->block_work;
    if (v->credit <= 0 && v->in_co) {
        v->co_busy = 1;
        al_coro_yield(&v->co);
        v->co_busy = 0;
    }
}

static inline void bp_set(uint8_t *row, uint32_t s, uint32_t code)
{
    uint32_t slot = s & WMASK, sh = (slot & 3u) * 2u;
    row[slot >> 2] = (uint8_t)((row[slot >> 2] & ~(3u << sh)) | (code << sh));
}

static inline uint32_t bp_get(const al_vit_t *v, uint32_t f, uint32_t s)
{
    uint32_t slot = s & WMASK;
    return (v->bp[f % AL_VIT_LAG][slot >> 2] >> ((slot & 3u) * 2u)) & 3u;
}

static uint32_t pred_state(const al_vit_t *v, uint32_t s, uint32_t code)
{
    if (code == 0) return s;
    if (code == 1) return s - 1;
    uint32_t u = unit_of(v, s);                /* skip over the optional silence u-1 */
    return (uint32_t)v->u_first[u - 1] - 1u;
}

/* Is r the answer last sent for its word (sent[])? keep: remember r as sent. */
static int sent_same(al_vit_t *v, const al_word_result_t *r, int keep)
{
    al_sent_t *k = &v->sent[(uint32_t)r->word % AL_VIT_SENT];
    al_sent_t a = {r->start_frame, r->end_frame, (uint16_t)r->word,
                   (int16_t)(r->nf ? -1 : r->conf * 4 + r->src)};
    int same = k->word == a.word && k->start_frame == a.start_frame
               && k->end_frame == a.end_frame && k->code == a.code;
    if (keep) *k = a;
    return same;
}

/* The word's last answer, or 0 when sent[] no longer holds it. */
static const al_sent_t *sent_of(const al_vit_t *v, int32_t word)
{
    const al_sent_t *k = &v->sent[(uint32_t)word % AL_VIT_SENT];
    return k->word == (uint16_t)word ? k : 0;
}

/* The confidence the word was last answered with: 0 for NF, -1 when sent[] no longer holds
 * it. */
static int32_t sent_conf(const al_vit_t *v, int32_t word)
{
    const al_sent_t *k = sent_of(v, word);
    return !k ? -1 : k->code < 0 ? 0 : k->code / 4;
}

/* The end frame of the word's last answer: -1 for NF or when sent[] no longer holds it. */
static int32_t sent_end(const al_vit_t *v, int32_t word)
{
    const al_sent_t *k = sent_of(v, word);
    return !k || k->code < 0 ? -1 : k->end_frame;
}

static void answer(al_vit_t *v, const al_word_result_t *r);

/* Answer a word again (an R line) unless r is the answer last sent for it. */
static void resend(al_vit_t *v, const al_word_result_t *r)
{
    if (sent_same(v, r, 1)) return;                      /* the same answer */
    al_word_result_t rv = *r;
    rv.revised = 1;
    if (v->cb) v->cb(v->cb_ctx, &rv);
    v->st.n_revised++;
}

/* Since the last replay (replay_back()): keep the answer the word had before it is first
 * answered again (revert_replay() may give it back). prior[] holds AL_VIT_SENT words; when it
 * cannot keep one (its slot holds another word, or sent[] no longer holds the word) nothing can
 * be given back (pr_lost). */
static void keep_prior(al_vit_t *v, int32_t word)
{
    al_sent_t *p = &v->prior[(uint32_t)word % AL_VIT_SENT];
    if (p->word == (uint16_t)word) return;               /* kept already */
    const al_sent_t *k = sent_of(v, word);
    if (!k || p->word != 0xFFFFu) { v->pr_lost = 1; return; }
    *p = *k;
    if (v->pr_lo < 0 || word < v->pr_lo) v->pr_lo = word;
    if (word > v->pr_hi) v->pr_hi = word;
}

static void set_frames(al_vit_t *v, al_word_result_t *r, int32_t s, int32_t e)
{
    r->start_frame = s;
    r->end_frame = e;
    r->start_ms = s * 10 + v->offset_ms;
    r->end_ms = e * 10 + v->offset_ms;
}

/* Answers stay in word order (CONTRACT.md: the last answers of the words are in order). After a
 * replay the words the path places again are answered again (R lines), but a re-anchor can jump
 * over some of them and leave no room for their audio: they are not placed again, and their
 * earlier answers (the first reading's, or the path's while it ran ahead) lie before the words
 * answered again around them. Before word r->word is answered again, the words since the last
 * one answered again (rv_word, ending at rv_end) are answered again between rv_end and r's
 * start if one of their last answers is not there: by even shares with confidence 0 (an
 * interpolated time), or NF when the gap has less than a frame for each. Nothing changes when
 * sent[] no longer holds one of them (an old revision: rv_word is never reset). */
static void mend_order(al_vit_t *v, const al_word_result_t *r)
{
    int32_t w0 = v->rv_word + 1, n = r->word - w0, x0 = v->rv_end, x1 = r->start_frame;
    int stale = 0;
    if (n > (int32_t)AL_VIT_SENT) return;
    for (int32_t w = w0; w < r->word; w++) {
        const al_sent_t *k = sent_of(v, w);
        if (!k) return;                                  /* not known: left as they are */
        if (k->code >= 0 && (k->start_frame < x0 || k->end_frame > x1)) stale = 1;
    }
    if (!stale) return;
    for (int32_t i = 0; i < n; i++) {
        al_word_result_t m = {w0 + i, 1, 0, 0, 0, 0, 0, AL_SRC_FILLED, 0};
        if (x1 - x0 >= n) {
            m.nf = 0;
            set_frames(v, &m, x0 + (int32_t)(((int64_t)(x1 - x0) * i) / n),
                       x0 + (int32_t)(((int64_t)(x1 - x0) * (i + 1)) / n));
        }
        answer(v, &m);
    }
}

/* Answers stay in word order at the end too (CONTRACT.md). A reader who goes back near the end
 * of the audio (a replay) re-reads words that were out already, and the audio ends before the
 * path reaches the words read after them the first time: those keep their first reading's
 * answers, before the words answered again. At the end, the placed words after the last one
 * answered again (rv_word) whose last answers start before its end (rv_end) are answered again
 * NF (an R line), up to the first placed word that starts after it. Nothing changes when sent[]
 * no longer holds one of them. */
static void mend_tail(al_vit_t *v)
{
    if (v->rv_word < 0) return;
    for (int32_t w = v->rv_word + 1; w < (int32_t)v->n_words; w++) {
        const al_sent_t *k = sent_of(v, w);
        if (!k) return;                                  /* not known: left as they are */
        if (k->code < 0) continue;                       /* NF already */
        if (k->start_frame >= v->rv_end) return;         /* in order from here on */
        al_word_result_t m = {w, 1, 0, 0, 0, 0, 0, AL_SRC_FILLED, 0};
        answer(v, &m);
    }
}

/* Answer a word (CONTRACT.md): its first answer is an A line, with NF first for the words before
 * it that have none (words with no phones; at a settle, words never placed); a later answer with
 * another time (or NF) is an R line: the last answer counts. */
static void answer(al_vit_t *v, const al_word_result_t *r)
{
    if ((uint32_t)r->word < v->next_told) {
        if (AL_VIT_MEND_ORDER && !r->nf && v->rv_word >= 0 && r->word > v->rv_word + 1
            && r->start_frame >= v->rv_end)
            mend_order(v, r);
        if (!r->nf) { v->rv_word = r->word; v->rv_end = r->end_frame; }
        if (AL_VIT_REVERT_REPLAY && v->pr_on && !sent_same(v, r, 0)) keep_prior(v, r->word);
        resend(v, r);
        return;
    }
    al_word_result_t nf = {0, 1, 0, 0, 0, 0, 0, 0, 0};
    while (v->next_told < (uint32_t)r->word) {
        nf.word = (int32_t)v->next_told++;
        if (v->cb) v->cb(v->cb_ctx, &nf);
        sent_same(v, &nf, 1);
    }
    if (v->cb) v->cb(v->cb_ctx, r);
    sent_same(v, r, 1);
    v->next_told = (uint32_t)r->word + 1u;
    if (!r->nf) {
        uint32_t lag = v->n_arrived > (uint32_t)r->end_frame
                       ? v->n_arrived - (uint32_t)r->end_frame : 0u;
        v->st.n_answered++;
        v->st.sum_answer_lag += lag;
        if (lag > v->st.max_answer_lag) v->st.max_answer_lag = lag;
    }
}

/* A word leaves the hold queue (its time is final unless a replay takes the path back to it):
 * answered again if it changed since it was told (tell()), or answered now; the words before
 * it that never left the queue were never placed: NF. A word that left before (only after a
 * replay: the path went back to words out already, replay_back) is answered again when it is
 * placed with another time, so a word placed over the repeated audio while the path ran ahead
 * gets the time it is read at. */
static void emit(al_vit_t *v, const al_word_result_t *r)
{
    if ((uint32_t)r->word < v->next_emit) {
        if (!r->nf) answer(v, r);                        /* a replay never takes an answer back */
        return;
    }
    al_word_result_t nf = {0, 1, 0, 0, 0, 0, 0, 0, 0};
    while (v->next_emit < (uint32_t)r->word) {
        nf.word = (int32_t)v->next_emit++;
        answer(v, &nf);
    }
    answer(v, r);
    if (!r->nf && r->src == AL_SRC_SECOND) v->st.n_second++;   /* counted as they go out: a */
    if (!r->nf && r->src == AL_SRC_FILLED) v->st.n_filled++;   /* queued word may be redone */
    v->next_emit = (uint32_t)r->word + 1u;
    if (!r->nf) v->last_end = r->end_frame;
}

/* The words held (the queue, then pend; right after a second pass or an interpolation only the
 * queue, whose newest word is done_ord): their number; *newest: the newest one's ordinal, so
 * the oldest held ordinal is *newest - n + 1. */
static int32_t held_words(const al_vit_t *v, int32_t *newest)
{
    *newest = v->pend_ord >= 0 ? v->pend_ord : v->done_ord;
    return (int32_t)v->hq_n + (v->pend_ord >= 0 ? 1 : 0);
}

/* The i-th held word from the oldest (0 <= i < held_words()): the queue, then pend. */
static const al_word_result_t *held_word(const al_vit_t *v, int32_t i)
{
    return i == (int32_t)v->hq_n ? &v->pend : &v->hq[(v->hq_head + (uint32_t)i) % AL_VIT_HOLD];
}

/* Answer the held words that can be answered now, oldest first (the queue, then the held
 * word): a placed word as soon as every placed word before it is answered (one after a gap of
 * words not placed yet waits: the second pass or the interpolation may still place them). NF
 * results wait for their settle (emit). The search does not look at the answers. */
static void tell(al_vit_t *v)
{
    int32_t newest, n = held_words(v, &newest);
    int32_t q0 = newest - n + 1;
    for (int32_t i = 0; i < n; i++) {
        const al_word_result_t *r = held_word(v, i);
        if ((uint32_t)r->word < v->next_told) continue;          /* answered */
        int32_t o = q0 + i;
        if (r->nf || (o > 0 && (uint32_t)v->pw_index[o - 1] >= v->next_told)) break;
        answer(v, r);
    }
}

/* Emit the oldest word of the hold queue (it is older than the held word: last_end stays). */
static void hq_pop(al_vit_t *v)
{
    int32_t le = v->last_end;
    emit(v, &v->hq[v->hq_head]);
    v->last_end = le;
    v->hq_head = (v->hq_head + 1u) % AL_VIT_HOLD;
    v->hq_n--;
}

/* The queued words that start before frame `oldest` (and NF ones at the queue's head) go out. */
static void release_before(al_vit_t *v, int32_t oldest)
{
    while (v->hq_n && (v->hq[v->hq_head].nf || v->hq[v->hq_head].start_frame < oldest))
        hq_pop(v);
}

/* When a re-anchor behind the path is weighed (relocate_back; locate_far once a place behind is
 * notable): the held words whose start is older than the look-ahead's own reach (AL_VIT_LAG + 8
 * frames) go out, as they did before the logit ring reached AL_VIT_RING_BACK frames back
 * (session 23): the deeper ring is for the second pass, which may still begin at the oldest
 * word held; a re-anchor behind the path that took back words that old put them into other
 * speech (README.md "The logit ring: 10 s"). */
static void release_old(al_vit_t *v)
{
    release_before(v, (int32_t)v->clk - (int32_t)(AL_VIT_LAG + 8u));
}

/* Emit the held word and the queue before it. */
static void emit_pend(al_vit_t *v)
{
    while (v->hq_n) hq_pop(v);
    if (v->pend_ord >= 0) { emit(v, &v->pend); v->pend_ord = -1; }
}

/* Queue a word placed by the second pass or by interpolation after the held words (the held
 * word, if any, must be older: pend_to_queue() first). Like a finished word it can still be
 * taken back by relocate_back() while it waits there (the queue is full or its start leaves the
 * ring: emitted). A jump to a wrong place is often seen only later, when locate() finds the
 * audio behind the path; the words the jump placed must then not be out yet. */
static void enqueue(al_vit_t *v, const al_word_result_t *r)
{
    if (v->hq_n == AL_VIT_HOLD) hq_pop(v);
    v->hq[(v->hq_head + v->hq_n) % AL_VIT_HOLD] = *r;
    v->hq_n++;
    if (!r->nf) v->last_end = r->end_frame;
}

static void pend_to_queue(al_vit_t *v)
{
    if (v->pend_ord >= 0) { enqueue(v, &v->pend); v->pend_ord = -1; }
}

/* The oldest frame the logit ring is sure to hold for the frame being searched (clk: README.md
 * "Block budget"): AL_VIT_RING_BACK frames back. */
static int32_t ring_oldest(const al_vit_t *v)
{
    return (int32_t)v->clk - (int32_t)AL_VIT_RING_BACK;
}

/* Hold a finished word (ordinal ord) until the next word starts. The word held before it goes
 * to the hold queue (README.md "Second pass"): a second pass may re-align it as long as its
 * start is in the logit ring; older words are emitted. (Emitting the words before the newest
 * one that started AL_VIT_PASS2_BACK frames before the last frame on track cut the latency but
 * lost the fallback to older anchors: damage_eval.py 8 s 94.6 -> 168 ms outside the stretch.) */
static void hold(al_vit_t *v, const al_word_result_t *r, int32_t ord)
{
    if (v->pend_ord >= 0) {
        if (v->hq_n == AL_VIT_HOLD) hq_pop(v);
        v->hq[(v->hq_head + v->hq_n) % AL_VIT_HOLD] = v->pend;
        v->hq_n++;
    }
    release_before(v, ring_oldest(v));
    v->pend = *r;
    v->pend_ord = ord;
    if (ord > v->done_ord) v->done_ord = ord;
    if (!r->nf) v->last_end = r->end_frame;
    tell(v);
}

/* 2-bit back-pointer `cell` of the second pass: cells run through the rows of bp[] after the
 * live ones (frames cm_upto+1 .. t-1), row0 = t % AL_VIT_LAG, AL_VIT_BAND cells a row. Frame k's
 * S states take the cells k*P .. k*P+S-1, P = p2_pitch(S) (a multiple of 16: a frame's codes
 * fill whole 32-bit words, written once each), and span at most P2_ROWS rows. */
#define P2_ROWS (AL_VIT_PASS2_STATES / AL_VIT_BAND + 2)

static uint32_t p2_pitch(uint32_t S) { return (S + 15u) & ~15u; }

/* Does a second pass over N frames x S states fit? Its cost (N*S cells, AL_VIT_PASS2_CELLS)
 * and its back-pointers (N frames at the pitch) in the rows of bp[] that hold no live frame. */
static int p2_fits(const al_vit_t *v, uint32_t N, uint32_t S)
{
    uint32_t n_free = AL_VIT_LAG - (v->t - 1u - v->cm_upto);
    return N * S <= AL_VIT_PASS2_CELLS && N * p2_pitch(S) <= n_free * AL_VIT_BAND;
}

static inline uint32_t p2_get(const al_vit_t *v, uint32_t row0, uint32_t cell)
{
    return (v->bp[(row0 + cell / AL_VIT_BAND) % AL_VIT_LAG][(cell & WMASK) >> 2]
            >> ((cell & 3u) * 2u)) & 3u;
}

/* The class of every state of [r0, r1) (r1 - r0 <= AL_VIT_PASS2_STATES) in p2_cls[], and in the
 * bitmap p2_skip[] the first states of words that follow an optional silence (they may also be
 * entered over it). The column kernel below walks states, not units: a unit has 1-3 states, and
 * per-unit set-up cost more than the states themselves (~64 M7 cycles a cell with a unit loop). */
static void p2_classes(al_vit_t *v, uint32_t r0, uint32_t r1)
{
    uint32_t u = unit_of(v, r0), s = r0;
    for (uint32_t i = 0; i < AL_VIT_PASS2_STATES / 32u; i++) v->p2_skip[i] = 0;
    while (s < r1) {
        uint32_t e = v->u_first[u + 1] < r1 ? v->u_first[u + 1] : r1;
        uint8_t c = v->u_cls[u];
        if (s == v->u_first[u] && (v->u_flags[u] & F_SKIP))
            v->p2_skip[(s - r0) >> 5] |= 1u << ((s - r0) & 31u);
        while (s < e) v->p2_cls[s++ - r0] = c;
        u++;
    }
}

/* The highest state <= i marked in p2_skip[], or -1. */
static inline int32_t p2_next_skip(const al_vit_t *v, int32_t i)
{
    int32_t w = i >> 5;
    uint32_t m = v->p2_skip[w] & (0xffffffffu >> (31 - (i & 31)));
    while (!m) {
        if (--w < 0) return -1;
        m = v->p2_skip[w];
    }
    return w * 32 + 31 - __builtin_clz(m);
}

/* One frame of the Viterbi recurrence over the n states of p2_cls[] (column col[], in place,
 * descending): state i comes from itself (self-loop of its class), from i-1 (leaving i-1's
 * class) or, when marked in p2_skip[], from i-1-nsil over the optional silence (leaving that
 * state's class); the first state of the column has only its self-loop. Unreachable states
 * hold NEG (-1e30): adding a score (|x| < 1e20) leaves it exactly NEG, so no test is needed and
 * the result is the same as a recurrence that skips them. With bp, the 2-bit codes (0 self,
 * 1 from i-1, 2 skip; ties keep the lower code) of cells base .. base+n-1 (base a multiple of
 * 16) are written a 32-bit word at a time to rp[(cell >> 8) - (base >> 8)] (this frame's rows).
 * The runs between marked states take the two-way loop. */
static inline __attribute__((always_inline))
void p2_column(const al_vit_t *v, float *col, uint32_t n, int bp, uint8_t *const *rp,
               uint32_t base)
{
    const float *selfp = v->m->hmm_self_logp, *nextp = v->m->hmm_next_logp, *em = v->em;
    const uint8_t *cls = v->p2_cls;
    uint32_t back = 1u + v->nsil, c = cls[n - 1u], i = n - 1u;
    int32_t sk = p2_next_skip(v, (int32_t)i);
    float o = col[n - 1u];
    while (i > 0) {
        uint32_t lo = bp ? i & ~15u : 1u, acc = 0;       /* bp: one 32-bit word of codes */
        if (lo == 0) lo = 1;
        while (i >= lo) {
            uint32_t stop = (int32_t)lo > sk ? lo : (uint32_t)sk + 1u;
            for (; i >= stop + 1u; i -= 2) {             /* two ways, two states a turn */
                uint32_t c1 = cls[i - 1u], c2 = cls[i - 2u];
                float q1 = col[i - 1u], q2 = col[i - 2u];
                float bs1 = o + selfp[c], cd1 = q1 + nextp[c1];
                float bs2 = q1 + selfp[c1], cd2 = q2 + nextp[c2];
                acc = (acc << 4) | ((uint32_t)(cd1 > bs1) << 2) | (uint32_t)(cd2 > bs2);
                col[i] = fmaxf(bs1, cd1) + em[c];        /* (equal: the same value) */
                col[i - 1u] = fmaxf(bs2, cd2) + em[c1];
                o = q2;
                c = c2;
            }
            if (i >= stop) {
                uint32_t cp = cls[i - 1u];
                float q = col[i - 1u];
                float bs = o + selfp[c], cand = q + nextp[cp];
                acc = (acc << 2) | (uint32_t)(cand > bs);
                col[i] = fmaxf(bs, cand) + em[c];
                o = q;
                c = cp;
                i--;
            }
            if (i >= lo) {                               /* i == sk: three ways */
                uint32_t cp = cls[i - 1u], code = 0;
                float q = col[i - 1u];
                float bs = o + selfp[c], cand = q + nextp[cp];
                if (cand > bs) { bs = cand; code = 1; }
                if (i >= back) {
                    float cs = col[i - back] + nextp[cls[i - back]];
                    if (cs > bs) { bs = cs; code = 2; }
                }
                col[i] = bs + em[c];
                acc = (acc << 2) | code;
                o = q;
                c = cp;
                i--;
                sk = i > 0 ? p2_next_skip(v, (int32_t)i) : -1;
            }
        }
        if (bp && (lo & 15u) == 0) {                     /* lo > 0: the word of cells lo.. */
            uint32_t cell = base + lo;
            memcpy(rp[(cell >> 8) - (base >> 8)] + ((cell & WMASK) >> 2), &acc, 4);
        } else if (bp) {                                  /* cells 1 .. 15 and then cell 0 */
            acc <<= 2;
            memcpy(rp[0] + ((base & WMASK) >> 2), &acc, 4);
        }
    }
    col[0] = o + selfp[c] + em[c];
    if (bp && n == 1u) {
        uint32_t acc = 0;
        memcpy(rp[0] + ((base & WMASK) >> 2), &acc, 4);
    }
}

/* A word's confidence (permille, 1..1000; 0 is kept for interpolated times) from its summed
 * log posterior ratio to the best class over its nfr frames. */
static int32_t word_conf(float margin, int32_t nfr)
{
    float c = 1000.0f * al_expf(margin / (float)nfr);
    int32_t conf = (int32_t)(c + 0.5f);
    return conf > 1000 ? 1000 : conf < 1 ? 1 : conf;
}

/* Frame k (> 0) of a pass over the S states of p2_cls[]: the column, its back-pointers in the
 * free rows of bp[] from row0 (p2_get), the work counted. */
static void p2_step(al_vit_t *v, float *sc, uint32_t S, uint32_t row0, int32_t k)
{
    uint32_t base = (uint32_t)k * p2_pitch(S), r = (row0 + base / AL_VIT_BAND) % AL_VIT_LAG;
    uint8_t *rp[P2_ROWS];
    for (uint32_t i = 0; i < P2_ROWS; i++) rp[i] = v->bp[(r + i) % AL_VIT_LAG];
    p2_column(v, sc, S, 1, rp, base);
    work(v, S);
}

/* The end of a pass over units u0 .. u_hi-1 (states from s0; score column sc): the path leaves
 * the last state of unit u_hi-1 for the next word, or, when that unit is the optional silence,
 * the last state of the word before it if that scores better. *e / *ue: the end state and its
 * unit. Returns the score. */
static float p2_leave(const al_vit_t *v, const float *sc, uint32_t s0, uint32_t u0, uint32_t u_hi,
                      uint32_t *e, uint32_t *ue)
{
    const float *nextp = v->m->hmm_next_logp;
    *ue = u_hi - 1u;
    *e = (uint32_t)v->u_first[u_hi] - 1u;
    float best = sc[*e - s0] + nextp[v->u_cls[*ue]];
    if ((v->u_flags[*ue] & F_SIL) && *ue > u0 && !(v->u_flags[*ue - 1] & F_SIL)) {
        uint32_t e2 = (uint32_t)v->u_first[*ue] - 1u;
        float b2 = sc[e2 - s0] + nextp[v->u_cls[*ue - 1]];
        if (b2 > best) { best = b2; *e = e2; (*ue)--; }
    }
    return best;
}

/* Trace a pass back from state e (unit ue, word ordinal ord_hi-1 or its silence) at its last
 * frame (frames xs .. xs+N-1, states from s0, back-pointers from row0): the first and last
 * frame (p2_start, p2_end: -1 when the path misses the word) and the summed log posterior
 * ratio (p2_margin) of each word ord0 .. ord_hi-1, indexed from ord0. The trace ends at the
 * pass's first frame or at a start (code 3: back_align()); *k0: that frame's index. Returns the
 * ordinal of the path's first word. */
static int32_t p2_trace(al_vit_t *v, uint32_t row0, uint32_t s0, uint32_t S, int32_t xs, int32_t N,
                        uint32_t e, uint32_t ue, int32_t ord0, int32_t ord_hi, int32_t *k0)
{
    const al_model_t *m = v->m;
    uint32_t P = p2_pitch(S), s = e, u = ue;
    int32_t ord = ord_hi - 1;
    for (int32_t w = 0; w < ord_hi - ord0; w++) { v->p2_end[w] = -1; v->p2_margin[w] = 0.0f; }
    *k0 = 0;
    for (int32_t k = N - 1; k >= 0; k--) {
        if (!(v->u_flags[u] & F_SIL)) {
            int32_t w = ord - ord0, f = xs + k;
            if (v->p2_end[w] < 0) v->p2_end[w] = f + 1;
            v->p2_start[w] = f;
            const int8_t *q = frame_logits(v, (uint32_t)f);
            int qmax = -128;
            for (int c = 0; c < m->n_classes; c++) qmax = q[c] > qmax ? q[c] : qmax;
            v->p2_margin[w] += m->out_scale * (float)(q[v->u_cls[u]] - qmax);
        }
        if (k == 0) break;
        uint32_t code = p2_get(v, row0, (uint32_t)k * P + (s - s0));
        if (code == 3) { *k0 = k; break; }
        s = code == 0 ? s : code == 1 ? s - 1u : (uint32_t)v->u_first[u - 1] - 1u;
        while (s < v->u_first[u]) { if (v->u_flags[u] & F_WFIRST) ord--; u--; }
    }
    return ord;
}

/* Second pass between anchors (README.md "Second pass"): placed words ord0 .. ord_hi-1 (units
 * u0 .. u_hi-1; u0 may be the optional silence before word ord0) are aligned by a Viterbi over
 * the buffered frames [xs, x1): the path starts at frame xs in the first state of u0 (or of
 * u0+1 when u0 is a silence) and is in the last state of u_hi-1 (or, when that is the optional
 * silence, of the word before it) at frame x1-1, where the committed path enters the next word.
 * After a re-anchor behind the path (went_back) the silences also take speech none of the
 * words fits (AL_VIT_PASS2_FILLER: the span may hold words twice). Queues the words after the
 * held ones (AL_SRC_SECOND, confidence from this path: enqueue()) and returns 1; returns 0
 * without a change when the span is not buffered or does not fit (the caller interpolates). */
static int second_pass(al_vit_t *v, int32_t ord0, uint32_t u0, int32_t ord_hi, uint32_t u_hi,
                       int32_t xs, int32_t x1)
{
    uint32_t s0 = v->u_first[u0], s1 = v->u_first[u_hi], S = s1 - s0;
    int32_t K = ord_hi - ord0, N = x1 - xs;
    int32_t oldest = ring_oldest(v);
    if (K <= 0 || K > AL_VIT_PASS2_WORDS || S == 0 || S > AL_VIT_PASS2_STATES || N <= 0
        || xs < 0 || xs < oldest || !p2_fits(v, (uint32_t)N, S))
        return 0;
    float *sc = v->p2_sc;
    uint32_t row0 = v->t % AL_VIT_LAG;
    p2_classes(v, s0, s1);
    for (uint32_t i = 0; i < S; i++) sc[i] = NEG;
    for (int32_t k = 0; k < N; k++) {
        emissions_raw(v, frame_logits(v, (uint32_t)(xs + k)));
        if (AL_VIT_PASS2_FILLER > 0.0f && v->went_back) {   /* the silences take speech too */
            float fill = em_best(v) - AL_VIT_PASS2_FILLER;
            uint16_t cs = v->m->sil_class;
            if (fill > v->em[cs]) v->em[cs] = fill;
        }
        if (k == 0) {
            sc[0] = v->em[v->u_cls[u0]];
            if ((v->u_flags[u0] & F_SIL) && u0 + 1u < u_hi)
                sc[v->u_first[u0 + 1] - s0] = v->em[v->u_cls[u0 + 1]];
            continue;
        }
        p2_step(v, sc, S, row0, k);
    }
    /* end: the state the committed path leaves for the next word at x1 */
    uint32_t e, ue;
    if (!(p2_leave(v, sc, s0, u0, u_hi, &e, &ue) > NEG_HALF)) return 0;
    int32_t k0;
    p2_trace(v, row0, s0, S, xs, N, e, ue, ord0, ord_hi, &k0);
    for (int32_t w = 0; w < K; w++) if (v->p2_end[w] < 0) return 0;   /* cannot happen */
    int32_t q0 = v->pend_ord - (int32_t)v->hq_n;     /* ordinal of the oldest queued word */
    if (v->pend_ord >= 0)                              /* words before the span stay queued, */
        v->hq_n = q0 < ord0 ? (uint32_t)(ord0 - q0) : 0u;   /* the rest is re-aligned here */
    v->pend_ord = -1;
    for (int32_t w = 0; w < K; w++) {
        al_word_result_t r = {(int32_t)v->pw_index[ord0 + w], 1, 0, 0, 0, 0, 0, 0, 0};
        int32_t conf = word_conf(v->p2_margin[w], v->p2_end[w] - v->p2_start[w]);
        if (conf >= v->nf_min_conf) {
            r.nf = 0;
            r.conf = conf;
            r.src = AL_SRC_SECOND;
            set_frames(v, &r, v->p2_start[w], v->p2_end[w]);
        }
        enqueue(v, &r);                                  /* out when the queue moves on */
    }
    return 1;
}

/* Frame x, or the end of the last answer of the word before placed word `first` if that is later
 * (AL_VIT_MEND_ORDER: a back pass may have answered it again after x): where the skipped words
 * from `first` on may start, so that the answers stay in word order. */
static int32_t after_answer(const al_vit_t *v, int32_t first, int32_t x)
{
    int32_t pe = AL_VIT_MEND_ORDER && first > 0 ? sent_end(v, v->pw_index[first - 1]) : -1;
    return pe > x ? pe : x;
}

/* Pick the span of the second pass. It starts at the last confident anchor: the newest held
 * word (the held word, then the queue) that started AL_VIT_PASS2_BACK frames or more before
 * lost_t, the last frame the path was on track before the scan (recover()). A held word
 * qualifies when its start is still in the ring, its span fits the scratch and has at least
 * one frame per state that is not an optional silence; if none started early enough, the
 * oldest that qualifies. With no held word: from the end of the last placed word (in the
 * silence before the first skipped word, ordinal first). */
static int try_second_pass(al_vit_t *v, int held, int32_t first, int32_t ord_hi, uint32_t u_hi,
                           int32_t x1)
{
    int32_t oldest = ring_oldest(v);
    uint32_t S = 0, need = 0, u = u_hi, u0 = 0;
    int32_t ord = ord_hi, ord0 = -1, xs = 0;
    while (ord > first && u > 0) {                       /* the skipped words */
        u--;
        uint32_t n = (uint32_t)v->u_first[u + 1] - v->u_first[u];
        S += n;
        if (!(v->u_flags[u] & F_SIL)) need += n;
        if (v->u_flags[u] & F_WFIRST) ord--;
    }
    uint32_t u_first_skip = u, S_skip = S, need_skip = need;
    /* held words, newest first: pend, then the queue from its newest end */
    int32_t n_held = held ? 1 + (int32_t)v->hq_n : 0;
    for (int32_t i = 0; i < n_held && ord > 0; i++) {
        const al_word_result_t *r = held_word(v, (int32_t)v->hq_n - i);
        while (u > 0) {                                  /* the units of word ord-1 */
            u--;
            uint32_t n = (uint32_t)v->u_first[u + 1] - v->u_first[u];
            S += n;
            if (!(v->u_flags[u] & F_SIL)) need += n;
            if (v->u_flags[u] & F_WFIRST) break;
        }
        ord--;
        if (S > AL_VIT_PASS2_STATES || ord_hi - ord > AL_VIT_PASS2_WORDS) break;
        if (r->nf) continue;
        int32_t n_fr = x1 - r->start_frame;
        if (r->start_frame < oldest || !p2_fits(v, (uint32_t)n_fr, S)) break;
        if (n_fr >= (int32_t)need) {
            ord0 = ord; u0 = u; xs = r->start_frame;
            if (xs <= v->lost_t - AL_VIT_PASS2_BACK) break;   /* on track then: the anchor */
        }
    }
    if (ord0 >= 0) return second_pass(v, ord0, u0, ord_hi, u_hi, xs, x1);
    /* No held word (or none whose start the ring still holds: a late commit after a long
     * re-anchor): the skipped words only, from the last placed word's end or the oldest frame
     * the ring holds, whichever is later, in the optional silence before the first of them
     * (it takes the frames before their audio). The held word keeps its times. */
    if (!held) emit_pend(v);
    u0 = u_first_skip > 0 && (v->u_flags[u_first_skip - 1] & F_SIL) ? u_first_skip - 1
                                                                     : u_first_skip;
    S = S_skip + (uint32_t)v->u_first[u_first_skip] - v->u_first[u0];
    xs = v->last_end > oldest ? v->last_end : oldest;
    xs = after_answer(v, first, xs);
    if (xs < 0 || x1 - xs < (int32_t)need_skip || S > AL_VIT_PASS2_STATES
        || ord_hi - first > AL_VIT_PASS2_WORDS || !p2_fits(v, (uint32_t)(x1 - xs), S))
        return 0;
    /* second_pass() cannot fail now (x1 - xs >= the words' states: the end is reachable) */
    pend_to_queue(v);
    return second_pass(v, first, u0, ord_hi, u_hi, xs, x1);
}

/* Placed words done_ord+1 .. ord_hi-1 were never on the committed path (a re-anchor jumped
 * over them, or the band never reached them); u_hi is the first unit after them. They get
 * times by phone count between x0 (the held word's end, or the last placed word's end) and the
 * frame x1: in that gap if it holds AL_VIT_FILL_MIN_FRAMES frames per phone, else shared with
 * the held word from its start (a path that fell behind kept the skipped words' audio in it).
 * share_ok = 0: gap only, and nothing is placed (NF) if the gap is too short. Confidence 0
 * marks a time that was interpolated, not aligned. The words (and the held word, when it was
 * held) join the hold queue: a later relocate_back() may take them back. Walks the unit table:
 * no memory. */
static void fill_skipped(al_vit_t *v, int32_t ord_hi, uint32_t u_hi, int32_t x1, int share_ok)
{
    int32_t first = v->done_ord + 1;
    if (ord_hi <= first) return;                         /* nothing skipped: keep holding */
    int held = v->pend_ord >= 0 && !v->pend.nf && v->pend_ord == first - 1;
    int32_t walk = held ? v->pend_ord : first;           /* first ordinal the walk counts */
    uint32_t u = u_hi, n_skip = 0, n_held = 0;
    int32_t o = ord_hi;
    while (o > walk && u > 0) {                         /* back to the first unit of `walk` */
        u--;
        if (!(v->u_flags[u] & F_SIL)) { if (o - 1 >= first) n_skip++; else n_held++; }
        if (v->u_flags[u] & F_WFIRST) o--;
    }
    if (share_ok && try_second_pass(v, held, first, ord_hi, u_hi, x1)) {
        v->done_ord = ord_hi - 1;
        tell(v);
        return;
    }
    if (!held) while (v->hq_n) hq_pop(v);               /* ordinals in the queue: no gap */
    int32_t x0 = held ? v->pend.end_frame : v->last_end;
    x0 = after_answer(v, first, x0);
    if (x0 > x1) x0 = x1;
    int32_t span_min = (int32_t)(n_skip * AL_VIT_FILL_MIN_FRAMES);
    int share = x1 - x0 < span_min;
    if (share && !(held && share_ok)) {                  /* no room: the audio lacks them */
        emit_pend(v);
        return;
    }
    uint32_t total = n_skip;
    if (share) { x0 = v->pend.start_frame; total += n_held; first = walk; }
    else if (held) pend_to_queue(v);
    else if (v->pend_ord >= 0) { emit(v, &v->pend); v->pend_ord = -1; }
    int32_t span = x1 - x0, ord = walk - 1, beg = x0;
    uint32_t cnt = 0, cum = 0;
    for (;; u++) {
        int boundary = u >= u_hi || (v->u_flags[u] & F_WFIRST);
        if (boundary && ord >= first) {                  /* word `ord` has cnt phones */
            cum += cnt;
            int32_t end = x0 + (int32_t)(((int64_t)span * cum) / total);
            if (ord == v->pend_ord) {                    /* the held word keeps its start */
                set_frames(v, &v->pend, v->pend.start_frame, end);
                pend_to_queue(v);
            } else {
                al_word_result_t r = {(int32_t)v->pw_index[ord], 0, 0, 0, 0, 0, 0, AL_SRC_FILLED, 0};
                set_frames(v, &r, beg, end);
                enqueue(v, &r);
            }
            beg = end;
        }
        if (u >= u_hi) break;
        if (v->u_flags[u] & F_WFIRST) { ord++; cnt = 0; }
        if (!(v->u_flags[u] & F_SIL)) cnt++;
    }
    v->done_ord = ord_hi - 1;
    tell(v);
}

/* Mark cell `cell` of a pass (p2_get) as a path's start: code 3. */
static inline void p2_mark(al_vit_t *v, uint32_t row0, uint32_t cell)
{
    v->bp[(row0 + cell / AL_VIT_BAND) % AL_VIT_LAG][(cell & WMASK) >> 2]
        |= (uint8_t)(3u << ((cell & 3u) * 2u));
}

/* The first unit of placed word ord <= ou, walking back from u, a unit of word ou. */
static uint32_t word_unit(const al_vit_t *v, uint32_t u, int32_t ou, int32_t ord)
{
    while (u > 0 && !(v->u_flags[u] & F_WFIRST)) u--;
    while (ou > ord && u > 0) { u--; if (v->u_flags[u] & F_WFIRST) ou--; }
    return u;
}

/* Back pass (al_config.h AL_VIT_BACK_PASS): the placed words before ord_hi (their units end
 * before u_hi), as many as fit the second pass's column, aligned over the frames [x1 -
 * AL_VIT_BACK_FRAMES, x1) the ring holds, with a free start and a fixed end: in state s_end
 * at frame x1 - 1 (the word of s_end's unit, unless it is a silence, is then not finished:
 * not answered), or with s_end < 0 leaving the last state of word ord_hi-1 or of the optional
 * silence after it at x1. Free start: at every frame the first state of any of the words may
 * begin the path; the frames before it count the frame's best class less AL_VIT_BACK_BONUS,
 * so paths that begin at different frames compare (a start, code 3 in the back-pointers, ends
 * the trace). The run to answer again: the finished words on the path, from the newest back as
 * long as each one's confidence (as second_pass) is at least AL_VIT_BACK_MIN_CONF and higher
 * than the one it was answered with (when sent[] still holds it), in order with the answer of
 * the word before them, spanning AL_VIT_BACK_MIN_FRAMES; never the path's first word (the free
 * start may glue a look-alike on, or begin before the window). Their times and confidences are
 * left in p2_start / p2_end / p2_margin (index: ordinal - *ord0); returns the run's first index
 * (its last is the returned *n - 1), or -1 when there is no run. *more: more words may lie
 * before it (the path began with the pass's first word or at the window's first frame, and
 * every word on it but the first is in the run). end = 1 (end_pass()): the path's first word may
 * be in the run, each word of it must have been placed and fit AL_VIT_END_GAIN times better than
 * its answer, and the run may be short. */
static int32_t back_align(al_vit_t *v, int32_t ord_hi, uint32_t u_hi, int32_t s_end, int32_t x1,
                          int end, int32_t *ord0_out, int32_t *n, int *more)
{
    int32_t xs = ring_oldest(v);
    if (xs < 0) xs = 0;
    if (x1 - xs > (int32_t)AL_VIT_BACK_FRAMES) xs = x1 - (int32_t)AL_VIT_BACK_FRAMES;
    int32_t N = x1 - xs;
    if (N < 2) return -1;
    uint32_t s1 = s_end >= 0 ? (uint32_t)s_end + 1u : v->u_first[u_hi], u0 = u_hi, S = 0;
    int32_t ord0 = ord_hi;
    while (u0 > 0 && ord_hi - ord0 < AL_VIT_PASS2_WORDS) {   /* words back while they fit */
        uint32_t uw = u0;
        do uw--; while (uw > 0 && !(v->u_flags[uw] & F_WFIRST));
        uint32_t Sw = s1 - v->u_first[uw];
        if (!(v->u_flags[uw] & F_WFIRST) || Sw > AL_VIT_PASS2_STATES
            || !p2_fits(v, (uint32_t)N, Sw))
            break;
        u0 = uw; S = Sw; ord0--;
    }
    int32_t K = ord_hi - ord0;
    int32_t K_done = s_end >= 0 && !(v->u_flags[u_hi - 1u] & F_SIL) ? K - 1 : K;
    if (K_done <= 0) return -1;
    uint32_t s0 = v->u_first[u0], P = p2_pitch(S);
    uint32_t row0 = v->t % AL_VIT_LAG;
    float *sc = v->p2_sc, pre = 0.0f;                    /* pre: the frames before, counted */
    int32_t *first = v->p2_start;                        /* the words' first states (the pass) */
    for (uint32_t u = u0, w = 0; u < u_hi; u++)
        if (v->u_flags[u] & F_WFIRST) first[w++] = (int32_t)(v->u_first[u] - s0);
    p2_classes(v, s0, s1);
    for (uint32_t i = 0; i < S; i++) sc[i] = NEG;
    for (int32_t k = 0; k < N; k++) {
        emissions_raw(v, frame_logits(v, (uint32_t)(xs + k)));
        float emax = em_best(v);
        if (k > 0) p2_step(v, sc, S, row0, k);
        for (int32_t w = 0; w < K; w++) {                /* a word may begin the path here */
            uint32_t i = (uint32_t)first[w];
            float e = pre + v->em[v->p2_cls[i]];
            if (e > sc[i]) { sc[i] = e; if (k > 0) p2_mark(v, row0, (uint32_t)k * P + i); }
        }
        pre += emax - AL_VIT_BACK_BONUS;
    }
    uint32_t e = s1 - 1u, ue = u_hi - 1u;
    float best = sc[e - s0];
    if (s_end < 0) best = p2_leave(v, sc, s0, u0, u_hi, &e, &ue);  /* leaving the word or the
                                                                     * silence after it */
    else while (e < v->u_first[ue]) ue--;                /* (s_end's unit) */
    if (!(best > pre)) return -1;                        /* no better than no path */
    int32_t k0, ord = p2_trace(v, row0, s0, S, xs, N, e, ue, ord0, ord_hi, &k0);
    int32_t w0 = K_done;                                 /* the run, from the newest back */
    while (w0 > ord - ord0 + (end ? 0 : 1)) {
        int32_t w = w0 - 1, nfr = v->p2_end[w] - v->p2_start[w];
        if (nfr <= 0) break;                             /* cannot happen */
        int32_t conf = word_conf(v->p2_margin[w], nfr);
        int32_t was = sent_conf(v, (int32_t)v->pw_index[ord0 + w]);
        if (conf < v->nf_min_conf || conf < AL_VIT_BACK_MIN_CONF || conf <= was
            || (end && (sent_end(v, (int32_t)v->pw_index[ord0 + w]) < 0
                       || conf <= AL_VIT_END_GAIN * was)))
            break;
        v->p2_margin[w] = (float)conf;                   /* (now its confidence) */
        w0 = w;
    }
    *more = w0 == ord - ord0 + 1 && !(ord > ord0 && k0 > 0);
    while (w0 < K_done && w0 > 0
           && sent_end(v, (int32_t)v->pw_index[ord0 + w0 - 1]) > v->p2_start[w0])
        w0++;                                            /* in order with the word before */
    if (w0 >= K_done || (!end && v->p2_end[K_done - 1] - v->p2_start[w0]
                                 < (int32_t)AL_VIT_BACK_MIN_FRAMES))
        return -1;                                       /* too little to tell */
    *ord0_out = ord0;
    *n = K_done;
    return w0;
}

/* Answer the run of back_align() (indexes w0 .. n-1 from ordinal ord0) again; returns how many
 * answers changed. */
static uint32_t back_answer(al_vit_t *v, int32_t ord0, int32_t w0, int32_t n)
{
    uint32_t n_rev = v->st.n_revised;
    for (int32_t w = w0; w < n; w++) {
        al_word_result_t r = {(int32_t)v->pw_index[ord0 + w], 0, 0, 0, (int32_t)v->p2_margin[w],
                              0, 0, AL_SRC_SECOND, 0};
        set_frames(v, &r, v->p2_start[w], v->p2_end[w]);
        answer(v, &r);
    }
    return v->st.n_revised - n_rev;
}

/* Back passes ending where the run before began (its first word, ordinal ord, starts at frame
 * x1; u_hi: that word's first unit), answered as they come, up to n_left of them. */
static void back_chain(al_vit_t *v, int32_t ord, uint32_t u_hi, int32_t x1, uint32_t n_left)
{
    for (; n_left > 0 && ord > 0; n_left--) {
        int32_t ord0, n, w0;
        int more;
        w0 = back_align(v, ord, u_hi, -1, x1, 0, &ord0, &n, &more);
        if (w0 < 0 || !back_answer(v, ord0, w0, n) || !more) return;
        u_hi = word_unit(v, u_hi, ord, ord0 + w0);
        ord = ord0 + w0;
        x1 = v->p2_start[w0];
    }
}

/* The path started its first word after a replay (ordinal cm_ord, first unit u_hi; a frame after
 * the replay's, so after the run's words):
 * the back pass's run (back_passes) is answered if the path went on from the replay's place,
 * or from a word of the run (those from it on the path places again, after the run): the run's
 * words before cm_ord; else (the path jumped past the words after the run, whose answers then stay
 * as they were) the run is dropped, so that the answers stay in order. More passes then go
 * further back from the run's first word. */
static void back_settle(al_vit_t *v, uint32_t u_hi)
{
    int32_t ord0 = v->bk_ord0, w0 = v->bk_w0, n = v->bk_n;
    v->bk_n = 0;
    if (v->cm_ord > ord0 + n || v->cm_ord <= ord0 + w0) return;
    int32_t upto = v->cm_ord - ord0;                     /* the run's words before cm_ord */
    if (!back_answer(v, ord0, w0, upto) || upto < n || !v->bk_more) return;
    back_chain(v, ord0 + w0, word_unit(v, u_hi, v->cm_ord, ord0 + w0), v->p2_start[w0],
               AL_VIT_BACK_PASSES - 1u);
}

static void finish_word(al_vit_t *v, int32_t w, int32_t end_frame, int complete)
{
    al_word_result_t r = {w, 1, 0, 0, 0, 0, 0, 0, 0};
    if (complete && v->w_frames > 0) {
        int32_t conf = word_conf(v->w_margin, (int32_t)v->w_frames);
        if (conf >= v->nf_min_conf) {
            r.nf = 0;
            r.conf = conf;
            set_frames(v, &r, v->w_start, end_frame);
        }
        if (conf >= AL_VIT_ANCHOR_CONF) {                /* a confident anchor (locate) */
            v->conf_t = (uint32_t)end_frame;
            v->conf_s = v->u_first[v->cm_unit];
        }
    }
    hold(v, &r, v->cur_ord);
}

static void commit_frame(al_vit_t *v, uint32_t f, uint32_t s)
{
    while (v->cm_unit + 1 < v->n_units && s >= v->u_first[v->cm_unit + 1]) {
        v->cm_unit++;
        if (v->u_flags[v->cm_unit] & F_WFIRST) v->cm_ord++;
    }
    uint32_t u = v->cm_unit;
    int32_t w = (v->u_flags[u] & F_SIL) || v->cm_ord < 0 ? -1 : (int32_t)v->pw_index[v->cm_ord];
    if (w != v->cur_word) {
        if (v->cur_word >= 0) finish_word(v, v->cur_word, (int32_t)f, 1);
        if (w >= 0) {
            /* a new word starts: release the held word, with times for any words jumped over
             * (the first unit of this word's ordinal is at or before u) */
            uint32_t u_hi = u;
            while (!(v->u_flags[u_hi] & F_WFIRST)) u_hi--;
            if (v->bk_n) back_settle(v, u_hi);     /* (first: p2_* hold its run) */
            fill_skipped(v, v->cm_ord, u_hi, (int32_t)f, 1);
            v->w_start = (int32_t)f; v->w_margin = 0.0f; v->w_frames = 0;
            v->cur_ord = v->cm_ord;
        }
        v->cur_word = w;
    }
    if (w >= 0) {
        const int8_t *q = frame_logits(v, f);
        int qmax = -128;
        for (int c = 0; c < v->m->n_classes; c++) if (q[c] > qmax) qmax = q[c];
        v->w_margin += v->m->out_scale * (float)(q[v->u_cls[u]] - qmax);
        v->w_frames++;
    }
}

/* Commit frames (last_commit, upto] along the path that is in state s at frame upto. */
static void commit_path(al_vit_t *v, uint32_t upto, uint32_t s)
{
    uint32_t first = (uint32_t)(v->last_commit + 1);
    if (upto < first) return;
    uint32_t n = upto - first + 1;             /* <= AL_VIT_LAG by the forced-commit rule */
    v->cm_upto = upto;                         /* bp rows of frames <= upto are free after this */
    for (uint32_t i = n; i-- > 0; ) {
        v->path[i] = (uint16_t)s;
        if (i) s = pred_state(v, s, bp_get(v, first + i, s));
    }
    for (uint32_t i = 0; i < n; i++) commit_frame(v, first + i, v->path[i]);
    v->last_commit = (int32_t)upto;
}

/* Prune below the beam, renormalise to best = 0, cap the band, set lo/hi.
 * Returns 1 if all survivors share one origin. */
static int prune(al_vit_t *v, uint32_t a, uint32_t b, float best, uint32_t best_s)
{
    float thr = best - v->beam;
    uint32_t room = AL_VIT_BAND - 1u - v->nsil;
    uint32_t lo = b, hi = a;
    for (uint32_t s = a; s < b; s++) {
        float x = v->sc[s & WMASK];
        if (x > NEG_HALF) {
            if (x < thr) v->sc[s & WMASK] = NEG;
            else { v->sc[s & WMASK] = x - best; if (s < lo) lo = s; hi = s + 1; }
        }
    }
    if (hi - lo > room) {             /* keep a window of `room` states that holds the best */
        uint32_t na = hi - room;
        if (na > best_s) na = best_s;
        for (uint32_t s = lo; s < hi; s++)
            if (s < na || s >= na + room) v->sc[s & WMASK] = NEG;
        v->st.n_band_cut++;
        uint32_t l2 = hi, h2 = lo;
        for (uint32_t s = lo; s < hi; s++)
            if (v->sc[s & WMASK] > NEG_HALF) { if (s < l2) l2 = s; h2 = s + 1; }
        lo = l2; hi = h2;
    }
    v->lo = lo; v->hi = hi;
    if (hi - lo > v->st.max_band) v->st.max_band = hi - lo;
    uint32_t o = 0; int have = 0;
    for (uint32_t s = lo; s < hi; s++) {
        if (v->sc[s & WMASK] > NEG_HALF) {
            if (!have) { o = v->org[s & WMASK]; have = 1; }
            else if (v->org[s & WMASK] != o) return 0;
        }
    }
    return 1;
}

static void reset_origins(al_vit_t *v)
{
    for (uint32_t s = v->lo; s < v->hi; s++) v->org[s & WMASK] = (uint16_t)s;
}

static uint32_t best_state(const al_vit_t *v)
{
    uint32_t bs = v->lo;
    float b = NEG;
    for (uint32_t s = v->lo; s < v->hi; s++)
        if (v->sc[s & WMASK] > b) { b = v->sc[s & WMASK]; bs = s; }
    return bs;
}

static void recover(al_vit_t *v, uint32_t t, uint32_t best_s);

static void step(al_vit_t *v)
{
    const al_model_t *m = v->m;
    uint32_t t = v->t;
    uint32_t S = v->u_first[v->n_units];
    uint8_t *row = v->bp[t % AL_VIT_LAG];
    emissions(v, frame_logits(v, t));
    float best = NEG;
    uint32_t best_s = 0, a, b;

    if (t == 0) {                              /* entry: first state of sil0 or of word 1 */
        a = 0;
        b = (uint32_t)v->nsil + 1u;
        if (b > S) b = S;
        for (uint32_t s = a; s < b; s++) {
            v->sc[s & WMASK] = NEG; v->org[s & WMASK] = (uint16_t)s; bp_set(row, s, 0);
        }
        v->sc[0] = v->em[v->u_cls[0]];
        best = v->sc[0];
        if (v->nsil < S) {
            v->sc[v->nsil & WMASK] = v->em[v->u_cls[1]];
            if (v->sc[v->nsil & WMASK] > best) { best = v->sc[v->nsil & WMASK]; best_s = v->nsil; }
        }
    } else {
        uint32_t lo = v->lo, hi = v->hi;
        a = lo;
        b = hi + 1u + v->nsil;                 /* highest state reachable in one frame (skip) */
        if (b > S) b = S;
        if (b > lo + AL_VIT_BAND) b = lo + AL_VIT_BAND;
        const float *selfp = m->hmm_self_logp, *nextp = m->hmm_next_logp;
        uint32_t u = unit_of(v, b - 1);
        /* descending, in place: predecessors (s, s-1, skip source) are all <= s */
        for (uint32_t s = b; s-- > a; ) {
            while (s < v->u_first[u]) u--;
            uint32_t c = v->u_cls[u], j = s - v->u_first[u], code = 0;
            float bs = NEG;
            uint16_t og = 0;
            if (s < hi) {
                float o = v->sc[s & WMASK];
                if (o > NEG_HALF) { bs = o + selfp[c]; og = v->org[s & WMASK]; }
            }
            if (s > lo && s - 1 < hi) {
                float o = v->sc[(s - 1) & WMASK];
                if (o > NEG_HALF) {
                    float cand = o + nextp[j ? c : v->u_cls[u - 1]];
                    if (cand > bs) { bs = cand; code = 1; og = v->org[(s - 1) & WMASK]; }
                }
            }
            if (j == 0 && (v->u_flags[u] & F_SKIP)) {
                uint32_t p = (uint32_t)v->u_first[u - 1] - 1u;
                if (p >= lo && p < hi) {
                    float o = v->sc[p & WMASK];
                    if (o > NEG_HALF) {
                        float cand = o + nextp[v->u_cls[u - 2]];
                        if (cand > bs) { bs = cand; code = 2; og = v->org[p & WMASK]; }
                    }
                }
            }
            if (bs > NEG_HALF) {
                bs = bs + v->em[c];
                if (bs > best) { best = bs; best_s = s; }
                v->org[s & WMASK] = og;
            } else {
                bs = NEG;
            }
            v->sc[s & WMASK] = bs;
            bp_set(row, s, code);
        }
    }
    int conv = prune(v, a, b, best, best_s);
    v->t = t + 1;
    work(v, b - a);
    if (t == 0) { v->anchor = 0; return; }
    uint32_t n_re = v->st.n_reanchor;
    recover(v, t, best_s);
    if (v->st.n_reanchor != n_re) return;
    if (conv) {
        commit_path(v, v->anchor, v->org[v->lo & WMASK]);
        v->st.n_converged++;
        v->anchor = t;
        reset_origins(v);
    } else if (t - v->anchor >= v->lag_force) {
        uint32_t bs = best_state(v);
        uint16_t o = v->org[bs & WMASK];
        for (uint32_t s = v->lo; s < v->hi; s++)
            if (v->org[s & WMASK] != o) v->sc[s & WMASK] = NEG;
        prune(v, v->lo, v->hi, 0.0f, bs);      /* recompute lo / hi */
        commit_path(v, v->anchor, o);
        v->st.n_forced++;
        v->anchor = t;
        reset_origins(v);
    }
    uint32_t lag = (uint32_t)((int32_t)t - v->last_commit);
    if (lag > v->st.max_lag) v->st.max_lag = lag;
}

/* The band on states [lo, hi) at frame t, every state at score 0 and its own origin: a scan
 * window (the audio may be anywhere in it). */
static void flat_band(al_vit_t *v, uint32_t t, uint32_t lo, uint32_t hi)
{
    for (uint32_t s = v->lo; s < v->hi; s++) v->sc[s & WMASK] = NEG;
    for (uint32_t s = lo; s < hi; s++) { v->sc[s & WMASK] = 0.0f; v->org[s & WMASK] = (uint16_t)s; }
    v->lo = lo;
    v->hi = hi;
    v->anchor = t;
}

/* Re-seed the band on states [lo, hi) at frame t with the located scores lsc[s] (indexed by
 * state) relative to the best place sb; every state its own origin. */
static void reseed(al_vit_t *v, uint32_t t, uint32_t sb, uint32_t lo, uint32_t hi,
                   const float *lsc)
{
    for (uint32_t s = v->lo; s < v->hi; s++) v->sc[s & WMASK] = NEG;
    float top = lsc[sb];
    for (uint32_t s = lo; s < hi; s++) {
        float x = lsc[s] - top;
        v->sc[s & WMASK] = x < -v->beam ? NEG : x;
        v->org[s & WMASK] = (uint16_t)s;
    }
    v->lo = lo;
    v->hi = hi;
    v->anchor = t;
    v->last_reanchor = t;
    v->collapse_n = 0;
    v->fit_avg = -1.0f;
}

/* Placed ordinal of the word whose first unit is the latest at or before unit u (-1: none). */
static int32_t ord_at(const al_vit_t *v, uint32_t u)
{
    int32_t o = v->cm_ord;
    for (uint32_t k = v->cm_unit; k > u; k--) if (v->u_flags[k] & F_WFIRST) o--;
    for (uint32_t k = v->cm_unit + 1u; k <= u; k++) if (v->u_flags[k] & F_WFIRST) o++;
    return o;
}

/* After a replay re-seeded the band around sb at frame t: the words before sb's word (their
 * answers are out) were read in the audio before it, where the path, ahead then, did not place
 * them. A back pass (back_align()) ending in sb at frame t finds them; its run is answered when
 * the path has started its first word after the replay (back_settle()). */
static void back_passes(al_vit_t *v, uint32_t t, uint32_t sb)
{
    uint32_t u = unit_of(v, sb);
    int32_t ord0, n;
    int more;
    int32_t w0 = back_align(v, ord_at(v, u) + 1, u + 1u, (int32_t)sb, (int32_t)t + 1, 0, &ord0,
                            &n, &more);
    v->bk_n = 0;
    if (w0 < 0) return;
    v->bk_ord0 = ord0;
    v->bk_w0 = (uint8_t)w0;
    v->bk_n = (uint8_t)n;
    v->bk_more = (uint8_t)more;
}

/* locate() found the audio BEHIND the path (README.md "Recovery: locate"): the path ran ahead
 * (e.g. a scan window latched onto another speaker's look-alike words). The path is committed
 * up to t, then the words from the band's new first state on, and those the path started after
 * it was last on track (good_t), are taken back from the hold queue (when some of them are
 * out already, only the held ones after the oldest held word, if sb lies after them; else
 * nothing is done) and the commit cursor goes back before them; the band is re-seeded
 * around sb. Words the new path then skips over go through the second pass like after any
 * re-anchor. Returns 1 if it re-anchored. */
static int replay_back(al_vit_t *v, uint32_t t, uint32_t sb, uint32_t lo, uint32_t hi,
                       uint32_t r0, const float *sc, int32_t q0);

/* The end of every re-anchor behind the path (relocate_back, replay_back): sb becomes the
 * good place, the band is re-seeded over [lo, hi) around it (sc0: the column's scores indexed
 * by state) and the re-anchor is counted as one going back. Returns 1. */
static int reseed_back(al_vit_t *v, uint32_t t, uint32_t sb, uint32_t lo, uint32_t hi,
                       const float *sc0)
{
    if (!v->scan_next) v->lost_t = (int32_t)v->good_t;
    v->scan_next = 0;
    v->good_s = sb;
    v->good_t = t;
    if (v->conf_s > sb) { v->conf_s = sb; v->conf_t = t; }
    reseed(v, t, sb, lo, hi, sc0);
    v->went_back = 1;
    v->st.n_reanchor++;
    v->st.n_back++;
    return 1;
}

/* Go back to place sb behind the path (locate(); locate_far(): a confirmed place in held words;
 * column scores sc from r0): the held words from the located path's reach on are taken back
 * and the band is re-seeded at sb (reseed_back), or, with the words there out, replayed
 * (replay_back). Refused (0): with `stay` the band is re-seeded around the best state from the
 * column (locate()'s column holds it), else left as it is. */
static int relocate_back(al_vit_t *v, uint32_t t, uint32_t best_s, uint32_t sb, uint32_t r0,
                         uint32_t r1, const float *sc, uint32_t L, float gain, int stay)
{
    uint32_t room = AL_VIT_BAND - 1u - v->nsil;
    uint32_t lo = sb > r0 + room / 8u ? sb - room / 8u : r0, hi = lo + room;
    if (hi > r1) hi = r1;
    commit_path(v, t, best_s);
    release_old(v);
    /* the located path's L frames cover at most AL_VIT_SCAN_RATE states a frame before sb:
     * the words from there on are taken back (the second pass re-aligns them) */
    uint32_t kb = (uint32_t)(AL_VIT_SCAN_RATE * (float)L);
    if (kb < room / 8u) kb = room / 8u;
    uint32_t u = unit_of(v, sb > r0 + kb ? sb - kb : r0);
    int32_t keep = ord_at(v, u) - ((v->u_flags[u] & F_SIL) ? 0 : 1);
    int32_t newest, n_h = held_words(v, &newest);
    int32_t q0 = newest - n_h + 1;                       /* oldest held ordinal */
    for (int32_t o = keep < newest ? keep : newest; o > q0; o--) {   /* newest first */
        const al_word_result_t *r = held_word(v, o - q0);
        if (!r->nf && r->start_frame <= (int32_t)v->good_t) break;
        keep = o - 1;
    }
    /* some of those words are out already (the path stayed ahead longer than the hold queue
     * or the logit ring reaches): take back the ones still held when sb lies after them; the
     * oldest held word stays, as the second pass's anchor (the words out stay as they went) */
    if (n_h > 0 && q0 > 0 && keep < q0 && ord_at(v, unit_of(v, sb)) > q0 + 1) {
        keep = q0;
        while (u < v->n_units && !((v->u_flags[u] & F_WFIRST) && ord_at(v, u) == keep + 1)) u++;
    }
    if (AL_VIT_REPLAY && n_h > 0 && q0 > 0 && keep < q0 && gain >= AL_VIT_REPLAY_GAIN * (float)L
        && replay_back(v, t, sb, lo, hi, r0, sc, q0))
        return 1;
    if (n_h == 0 || keep < q0 || keep > newest
        || (v->cur_word >= 0 && v->cur_ord <= keep)) {
        if (stay)                                        /* stay */
            reseed(v, t, best_s, best_s - (best_s - r0 < room / 8u ? best_s - r0 : room / 8u),
                   best_s + room / 2u < r1 ? best_s + room / 2u : r1, sc - r0);
        return 0;
    }
    v->cur_word = -1;
    if (v->pend_ord < 0) {                               /* the newest queued word is held */
        v->hq_n--;
        v->pend = v->hq[(v->hq_head + v->hq_n) % AL_VIT_HOLD];
        v->pend_ord = newest;
    }
    while (v->pend_ord > keep) {                         /* take back the newer held words */
        v->hq_n--;
        v->pend = v->hq[(v->hq_head + v->hq_n) % AL_VIT_HOLD];
        v->pend_ord--;
    }
    v->done_ord = keep;
    if (!v->pend.nf) v->last_end = v->pend.end_frame;
    uint32_t uf = u;                                     /* first unit of word keep + 1 */
    if (v->u_flags[u] & F_SIL) uf = u + 1u;
    else while (!(v->u_flags[uf] & F_WFIRST)) uf--;
    while (uf > 0 && ord_at(v, uf) > keep + 1) { uf--; while (!(v->u_flags[uf] & F_WFIRST)) uf--; }
    v->cm_unit = uf - 1u;
    v->cm_ord = keep;
    return reseed_back(v, t, sb, lo, hi, sc - r0);
}

/* A restarted reading (README.md "Recovery: replay"): the reader went back to words that are
 * out already (sb lies before the oldest held word q0; the place was found twice, lined up at
 * speech pace: confirmed()). Every held word is taken back (placed while the path ran ahead
 * through the repeated audio, or read before the restart: either reading is right for those);
 * the band is re-seeded around sb and the path places the words from there on as usual: those
 * out already are answered again (emit: a revision; the words the path placed over the repeated
 * audio before the replay get the time they are read at). Refused (0, no change) when the
 * band's first word is not out or the path is still in words that are. */
static int replay_back(al_vit_t *v, uint32_t t, uint32_t sb, uint32_t lo, uint32_t hi,
                       uint32_t r0, const float *sc, int32_t q0)
{
    uint32_t ul = unit_of(v, lo);
    int32_t ord_l = ul > 0 ? ord_at(v, ul - 1u) : -1;
    if (ord_l >= q0 || (v->cur_word >= 0 && v->cur_ord < q0)) return 0;
    int32_t first = v->hq_n ? v->hq[v->hq_head].start_frame : v->pend.start_frame;
    if (AL_VIT_REVERT_REPLAY) prior_start(v, 1);        /* answers from before this replay */
    v->hq_n = 0;
    v->pend_ord = -1;
    v->done_ord = q0 - 1;
    v->last_end = first;                                 /* the words out end before it */
    v->cur_word = -1;
    v->cm_unit = ul > 0 ? ul - 1u : 0u;
    v->cm_ord = ord_l;
    reseed_back(v, t, sb, lo, hi, sc - r0);
    if (AL_VIT_BACK_PASS) back_passes(v, t, sb);
    return 1;
}

/* Frames since the place noted last (rp_t) that were not pause: a reader does not move on
 * through the words in a pause (the frames where silence is a best class of the network,
 * counted in recover()). */
static uint32_t note_age(const al_vit_t *v, uint32_t t)
{
    return t - v->rp_t - v->rp_pause;
}

/* Does place sb at frame t line up with the place noted last (at most AL_VIT_REPLAY_CONFIRM
 * frames ago, after it at no more than speech pace, +-16 states)? */
static int lines_up(const al_vit_t *v, uint32_t t, uint32_t sb)
{
    return v->rp_t > 0u && note_age(v, t) <= AL_VIT_REPLAY_CONFIRM && sb + 16u >= v->rp_sb
           && (float)sb <= (float)v->rp_sb + AL_VIT_ANCHOR_RATE * (float)note_age(v, t) + 16.0f;
}

/* Is place sb at frame t, which explains the last L frames `gain` nats better than the path and
 * `deficit` nats worse than their best classes, worth noting for a replay? It needs
 * AL_VIT_REPLAY_NOTE nats per frame and locate()'s deficit, or AL_VIT_REPLAY_LOOSE_DEFICIT when
 * it gains AL_VIT_REPLAY_GAIN nats per frame or lines up with a place noted with that gain
 * (al_config.h). */
static int notable(const al_vit_t *v, uint32_t t, uint32_t sb, float gain, float deficit,
                   uint32_t L)
{
    float l = (float)L;
    int strong = gain >= AL_VIT_REPLAY_GAIN * l
                 || (v->rp_gain >= AL_VIT_REPLAY_GAIN && lines_up(v, t, sb));
    return gain >= AL_VIT_REPLAY_NOTE * l
           && (deficit <= AL_VIT_LOCATE_DEFICIT * l
               || (strong && deficit <= AL_VIT_REPLAY_LOOSE_DEFICIT * l));
}

/* A place found behind the path is confirmed when the previous one, at most
 * AL_VIT_REPLAY_CONFIRM frames ago, lies before it at no more than speech pace
 * (AL_VIT_ANCHOR_RATE states a frame, +-16 states): a reader going back moves on through the
 * words again; a look-alike elsewhere does not line up. Records the place for the next one. */
static int confirmed(al_vit_t *v, uint32_t t, uint32_t sb, float gain_pf)
{
    int ok = lines_up(v, t, sb);
    v->rp_prev = ok ? v->rp_gain : 0.0f;
    v->rp_sb = sb;
    v->rp_t = t;
    v->rp_pause = 0;
    v->rp_gain = gain_pf;
    return ok;
}

/* Free-start Viterbi of frames f0 .. f0+L-1 over states [r0, r1) into p2_sc (locate()'s
 * column); *ideal: the sum of the frames' best emissions. */
static void loc_column(al_vit_t *v, uint32_t r0, uint32_t r1, uint32_t f0, uint32_t L,
                       float *ideal)
{
    float *sc = v->p2_sc, id = 0.0f;
    uint32_t n = r1 - r0;
    p2_classes(v, r0, r1);
    for (uint32_t k = 0; k < L; k++) {
        emissions_raw(v, frame_logits(v, f0 + k));
        id += em_best(v);
        if (k == 0) {
            for (uint32_t i = 0; i < n; i++) sc[i] = v->em[v->p2_cls[i]];
            continue;
        }
        p2_column(v, sc, n, 0, 0, 0);
        work(v, n);
    }
    *ideal = id;
}

/* Locate (README.md "Recovery: locate"): where in the next AL_VIT_PASS2_STATES states of the
 * transcript after the best state does the audio of the last AL_VIT_LOCATE_FRAMES frames fit
 * best? A Viterbi over the buffered logits with a free start (every state of the range may
 * begin the path). If a place at least AL_VIT_LOCATE_JUMP states ahead explains those frames by
 * AL_VIT_LOCATE_GAIN nats per frame better than any path ending at the best state, the path is
 * committed up to t and the band is re-seeded around that place with the located scores (a
 * re-anchor). Scratch: the second pass's score column. Returns 1 if it re-anchored. */
static int locate(al_vit_t *v, uint32_t t, uint32_t best_s, uint32_t L, int back_only)
{
    uint32_t S = v->u_first[v->n_units];
    uint32_t back = back_only ? AL_VIT_COLLAPSE_BACK_STATES : AL_VIT_LOCATE_BACK;
    uint32_t r0 = best_s > back ? best_s - back : 0u;
    uint32_t r1 = back_only ? best_s + 1u : r0 + AL_VIT_PASS2_STATES;
    uint32_t room = AL_VIT_BAND - 1u - v->nsil;
    if (r1 > S) r1 = S;
    if (v->tr_state != 2) {                              /* transcript not all there yet */
        if (S < 2u + v->nsil + r0) return 0;
        if (r1 > S - 1u - v->nsil) r1 = S - 1u - v->nsil;
    }
    if (!back_only && r1 < r0 + AL_VIT_PASS2_STATES) {   /* near the end of the transcript the */
        uint32_t lo_b = best_s > AL_VIT_COLLAPSE_BACK_STATES   /* column reaches further back */
                        ? best_s - AL_VIT_COLLAPSE_BACK_STATES : 0u;
        uint32_t w = r1 > AL_VIT_PASS2_STATES ? r1 - AL_VIT_PASS2_STATES : 0u;
        r0 = w > lo_b ? w : lo_b;                        /* (<= best_s - back: r1 is close) */
    }
    if (t + 1u < L || (back_only ? best_s < r0 + AL_VIT_COLLAPSE_BACK_JUMP
                                  : r1 <= best_s + AL_VIT_LOCATE_JUMP
                                    && best_s < r0 + AL_VIT_LOCATE_JUMP)) return 0;
    float *sc = v->p2_sc, ideal;
    loc_column(v, r0, r1, t + 1u - L, L, &ideal);
    /* not further ahead than AL_VIT_ANCHOR_RATE since the end of the last confident word
     * (other speech can look like later words) */
    float reach = (float)v->conf_s + AL_VIT_ANCHOR_RATE * (float)(t - v->conf_t);
    uint32_t sb = r0;
    uint32_t s_end = back_only ? best_s + 1u - AL_VIT_COLLAPSE_BACK_JUMP : r1;
    for (uint32_t s = r0; s < s_end && (float)s <= reach; s++) if (sc[s - r0] > sc[sb - r0]) sb = s;
    float gain = sc[sb - r0] - sc[best_s - r0], deficit = ideal - sc[sb - r0];
    if (sb < best_s + AL_VIT_LOCATE_JUMP && sb + AL_VIT_LOCATE_JUMP > best_s)
        return 0;                                        /* about where the path is */
    int ok = 0;                                          /* a place behind: recorded to confirm */
    if (sb < best_s && notable(v, t, sb, gain, deficit, L))
        ok = confirmed(v, t, sb, gain / (float)L);
    if (gain < (back_only == 2 ? AL_VIT_PERIODIC_BACK_GAIN
                : sb < best_s && sb >= v->conf_s ? AL_VIT_LOCATE_GAIN_BACK : AL_VIT_LOCATE_GAIN)
               * (float)L || deficit > AL_VIT_LOCATE_DEFICIT * (float)L)
        return 0;
    if (sb < best_s) {
        if (back_only == 2 && !ok) return 0;             /* periodic look-behind: confirmed only */
        return relocate_back(v, t, best_s, sb, r0, r1, sc, L, ok ? gain : 0.0f, 1);
    }
    commit_path(v, t, best_s);
    uint32_t lo = sb > best_s + 1u + room / 2u ? sb - room / 2u : best_s + 1u, hi = lo + room;
    if (hi > r1) hi = r1;
    reseed(v, t, sb, lo, hi, sc - r0);
    if (!v->scan_next) v->lost_t = (int32_t)v->good_t;
    v->scan_next = 0;
    v->went_back = 0;
    v->st.n_reanchor++;
    return 1;
}

/* Far look-behind (README.md "Recovery: replay"): a reading restarted further back than the
 * look-behind column reaches. The last L frames over the AL_VIT_COLLAPSE_BACK_STATES states
 * that end `far` states before the best state, against the best free-start path ending at the
 * best state (its last AL_VIT_LOCATE_BACK states); a place there that gains
 * AL_VIT_REPLAY_GAIN nats per frame (deficit as locate()) lies in words that are out already:
 * the path replays from there (replay_back) if a held word was started on track and the place
 * is before it; a confirmed place in held words is taken back (relocate_back, AL_VIT_FAR_HELD).
 * Returns 1 if it re-anchored. */
static int locate_far(al_vit_t *v, uint32_t t, uint32_t best_s, uint32_t L, uint32_t far)
{
    if (best_s <= far + AL_VIT_LOCATE_JUMP || t + 1u < L) return 0;
    if (v->pend_ord < 0 && v->hq_n == 0) return 0;       /* nothing held: no replay */
    uint32_t f0 = t + 1u - L, room = AL_VIT_BAND - 1u - v->nsil;
    float ideal, *sc = v->p2_sc;
    uint32_t a0 = best_s > AL_VIT_LOCATE_BACK ? best_s - AL_VIT_LOCATE_BACK : 0u;
    loc_column(v, a0, best_s + 1u, f0, L, &ideal);
    float ref = sc[best_s - a0];
    uint32_t top = best_s - far;
    uint32_t r0 = top > AL_VIT_COLLAPSE_BACK_STATES ? top - AL_VIT_COLLAPSE_BACK_STATES : 0u;
    uint32_t r1 = top + 1u;
    loc_column(v, r0, r1, f0, L, &ideal);
    uint32_t sb = r0;
    for (uint32_t s = r0; s < r1; s++) if (sc[s - r0] > sc[sb - r0]) sb = s;
    float gain = sc[sb - r0] - ref, deficit = ideal - sc[sb - r0];
    if (!notable(v, t, sb, gain, deficit, L)) return 0;
    uint32_t prev_sb = v->rp_sb;
    int ok = confirmed(v, t, sb, gain / (float)L);
    release_old(v);
    int32_t newest, n_h = held_words(v, &newest), q0 = newest - n_h + 1;  /* q0: oldest held */
    int32_t sb_ord = ord_at(v, unit_of(v, sb));
    /* a place in words still held, confirmed by a place in words (not the leading silence,
     * which fits any pause): taken back as locate() would (relocate_back) */
    if (AL_VIT_FAR_HELD && ok && prev_sb >= v->u_first[1] && n_h > 0 && sb_ord >= q0
        && gain >= AL_VIT_LOCATE_GAIN_BACK * (float)L
        && deficit <= AL_VIT_LOCATE_DEFICIT * (float)L)
        return relocate_back(v, t, best_s, sb, r0, r1, sc, L, gain, 0);
    /* a replay needs AL_VIT_REPLAY_GAIN from this place or from the one it confirms */
    if (gain < AL_VIT_REPLAY_GAIN * (float)L && !(ok && v->rp_prev >= AL_VIT_REPLAY_GAIN))
        return 0;
    /* the place must lie in words that are out (before the oldest held word) */
    if (!ok || !AL_VIT_REPLAY || q0 <= 0 || sb_ord >= q0) return 0;
    commit_path(v, t, best_s);                           /* it may emit or hold words: again */
    release_old(v);
    n_h = held_words(v, &newest);
    q0 = newest - n_h + 1;
    uint32_t lo = sb > r0 + room / 8u ? sb - room / 8u : r0, hi = lo + room;
    if (hi > r1) hi = r1;
    if (n_h > 0 && q0 > 0 && replay_back(v, t, sb, lo, hi, r0, sc, q0)) return 1;
    /* refused after the commit (the path's own words reached back to sb): the band again
     * around the best state, flat, as a scan window */
    uint32_t S = v->u_first[v->n_units];
    lo = best_s > room / 8u ? best_s - room / 8u : 0u;
    hi = best_s + room / 2u < S ? best_s + room / 2u : S;
    flat_band(v, t, lo, hi);
    return 0;
}

/* A place was noted behind the path lately (confirmed() records it; AL_VIT_REPLAY_CONFIRM
 * frames) and still lies behind the best state. */
static int noted_lately(const al_vit_t *v, uint32_t t, uint32_t best_s)
{
    return v->rp_t > 0u && note_age(v, t) <= AL_VIT_REPLAY_CONFIRM && v->rp_sb < best_s;
}

/* How far behind the best state that place would be now, read on at speech pace
 * (AL_VIT_ANCHOR_RATE states a frame, +16: confirmed()'s bound); 0: about where the path is. */
static uint32_t noted_far(const al_vit_t *v, uint32_t t, uint32_t best_s)
{
    float top = (float)v->rp_sb + AL_VIT_ANCHOR_RATE * (float)note_age(v, t) + 16.0f;
    return top + (float)AL_VIT_COLLAPSE_BACK_JUMP >= (float)best_s ? 0u : best_s - (uint32_t)top;
}

/* A look behind the path over the last AL_VIT_COLLAPSE_BACK frames: far states back
 * (locate_far), or with far 0 the look-behind column (locate, a periodic look: confirmed places
 * only). Returns 1 if it re-anchored. */
static int look_behind(al_vit_t *v, uint32_t t, uint32_t best_s, uint32_t far)
{
    return far == 0u ? locate(v, t, best_s, AL_VIT_COLLAPSE_BACK, 2)
                     : locate_far(v, t, best_s, AL_VIT_COLLAPSE_BACK, far);
}

/* Confidence collapse (al_config.h): fit = out_scale * (q[class of the best state] - max q)
 * is the best path's log posterior ratio to the network's best class; -lse is the best class's
 * log posterior. Both are averaged over ~32 frames. A collapse that lasts AL_VIT_COLLAPSE_FRAMES
 * frames means the band no longer holds the audio's place in the transcript (it fell behind
 * during audio the network could not read, or the path took a wrong turn). Recovery: commit
 * the path up to this frame, then re-seed the band on the next window of states after the best
 * state (all at the same score, their own origins) and let the frames decide; if the collapse
 * persists, the following window is tried (a forward scan, one band width per
 * AL_VIT_COLLAPSE_FRAMES frames, much faster than speech). Words the scan jumps over get
 * interpolated times when the next word starts (fill_skipped). */
static void recover(al_vit_t *v, uint32_t t, uint32_t best_s)
{
    const al_model_t *m = v->m;
    const int8_t *q = frame_logits(v, t);
    int qmax = -128;
    for (int c = 0; c < m->n_classes; c++) qmax = q[c] > qmax ? q[c] : qmax;
    if (AL_VIT_NOTE_PAUSE && v->rp_t > 0u && v->rp_t < t && q[m->sil_class] == qmax
        && note_age(v, t) <= AL_VIT_REPLAY_CONFIRM)
        v->rp_pause++;                 /* silence is a best class: the note does not age */
    uint32_t cb = v->u_cls[unit_of(v, best_s)];
    float fit = m->out_scale * (float)(q[cb] - qmax);
    v->fit_avg = v->fit_avg + (fit - v->fit_avg) * 0.03125f;
    v->aud_avg = v->aud_avg + (-v->lse - v->aud_avg) * 0.03125f;
    if (v->fit_avg < -AL_VIT_FIT_LOST && v->aud_avg > -AL_VIT_AUDIO_SURE) v->collapse_n++;
    else v->collapse_n = 0;
    /* on track (and in a word: a pause may hide words the audio lacks): the scan is over */
    if (v->fit_avg > -1.0f && v->aud_avg > -AL_VIT_AUDIO_SURE && cb != m->sil_class) {
        v->scan_next = 0;
        v->good_s = best_s;
        v->good_t = t;
    }
    if (v->fit_avg < -AL_VIT_LOCATE_FIT && v->aud_avg > -AL_VIT_AUDIO_SURE
        && t - v->last_locate >= AL_VIT_LOCATE_EVERY
        && t - v->last_reanchor >= AL_VIT_LOCATE_FRAMES) {
        v->last_locate = t;
        if (locate(v, t, best_s, AL_VIT_LOCATE_FRAMES, 0)) return;
    } else if (AL_VIT_COLLAPSE_BACK > 0u && AL_VIT_PERIODIC_BACK
               && v->fit_avg < -AL_VIT_LOCATE_FIT && v->aud_avg > -AL_VIT_AUDIO_SURE
               && v->last_locate > 0u && t - v->last_locate == AL_VIT_LOCATE_EVERY / 2u
               && t - v->last_reanchor >= AL_VIT_LOCATE_FRAMES) {
        /* half a period after a periodic locate, the fit still poor: is the audio further
         * behind than its column reaches (a restarted reading that the path follows loosely
         * without a collapse)? Not in the same frame as the periodic locate (block budget). */
        uint32_t k = v->far_k, far = k * AL_VIT_FAR_STEP;
        v->far_k = (uint8_t)(k + 1u > AL_VIT_FAR_CHUNKS ? 0u : k + 1u);
        /* a chunk before the transcript's start is no look: the nearest one that is there */
        while (far > 0u && best_s <= far + AL_VIT_LOCATE_JUMP) far -= AL_VIT_FAR_STEP;
        if (noted_lately(v, t, best_s))   /* look where it would be now (to confirm it) */
            far = noted_far(v, t, best_s);
        if (look_behind(v, t, best_s, far)) return;
    } else if (AL_VIT_COLLAPSE_BACK > 0u && AL_VIT_REPLAY && AL_VIT_NOTE_FOLLOW
               && noted_lately(v, t, best_s) && v->rp_gain >= AL_VIT_REPLAY_GAIN
               && note_age(v, t) == AL_VIT_FOLLOW_AFTER
               && t - v->last_reanchor >= AL_VIT_COLLAPSE_BACK) {
        /* a strong place noted behind the path is looked at again where it would be now, even
         * when the path's fit is not poor (it may follow the repeated audio loosely) */
        if (look_behind(v, t, best_s, noted_far(v, t, best_s))) return;
    }
    if (v->collapse_n < (v->scan_next ? AL_VIT_COLLAPSE_FRAMES / 2u : AL_VIT_COLLAPSE_FRAMES)) return;
    /* before a scan forward: is the audio behind the path (it ran ahead: a restarted reading)? */
    if (AL_VIT_COLLAPSE_BACK > 0u
        && locate(v, t, best_s, AL_VIT_COLLAPSE_BACK, 1)) return;
    /* ... or further behind than that column reaches (a reading restarted far back): where a
     * place noted lately would be now (to confirm it), else the far chunks in turn; a place
     * noted there holds the scan for one collapse period, so that the next collapse can
     * confirm it instead of a scan carrying the path further ahead (a runaway) */
    if (AL_VIT_COLLAPSE_BACK > 0u && AL_VIT_REPLAY) {
        int recent = noted_lately(v, t, best_s);
        if (recent && note_age(v, t) >= AL_VIT_LOCATE_EVERY / 2u) {  /* a later look, not this
                                                                  * frame's look-behind again */
            uint32_t far = noted_far(v, t, best_s);
            if (far > 0u && locate_far(v, t, best_s, AL_VIT_COLLAPSE_BACK, far)) return;
        } else if (!recent) {
            for (uint32_t k = 1u; k <= AL_VIT_FAR_CHUNKS; k++) {
                uint32_t far = k * AL_VIT_FAR_STEP;
                if (best_s <= far + AL_VIT_LOCATE_JUMP) break;
                if (locate_far(v, t, best_s, AL_VIT_COLLAPSE_BACK, far)) return;
                if (v->rp_t == t) { v->collapse_n = 0; return; }
            }
        }
    }
    uint32_t S = v->u_first[v->n_units];
    uint32_t room = AL_VIT_BAND - 1u - v->nsil;
    uint32_t ws = best_s + 1u;
    if (v->scan_next > ws) ws = v->scan_next;             /* the scan goes on */
    /* the audio cannot be further ahead than speech at AL_VIT_SCAN_RATE states per frame
     * since the last frame that was on track: wait rather than scan past it */
    float reach = (float)v->good_s + AL_VIT_SCAN_RATE * (float)(t - v->good_t);
    if (ws >= S || (float)ws > reach) { v->collapse_n = 0; return; }
    uint32_t we = ws + room;
    if (we > S) we = S;
    /* nor beyond AL_VIT_ANCHOR_RATE since the end of the last confident word */
    float reach_c = (float)v->conf_s + AL_VIT_ANCHOR_RATE * (float)(t - v->conf_t);
    if ((float)we > reach_c + 1.0f && reach_c >= (float)(ws + room / 8u))
        we = (uint32_t)reach_c + 1u;
    if (v->tr_state != 2 && we + 1u + v->nsil > S) return; /* transcript not there yet */
    commit_path(v, t, best_s);
    flat_band(v, t, ws, we);
    if (!v->scan_next) v->lost_t = (int32_t)v->good_t;   /* a scan starts: last frame on track */
    v->scan_next = we - (we - ws) / 4u;                   /* next window overlaps by a quarter */
    v->last_reanchor = t;
    v->collapse_n = 0;
    v->fit_avg = -AL_VIT_FIT_LOST;   /* the new window must earn a good fit to end the scan */
    v->went_back = 0;
    v->st.n_reanchor++;
}

static int can_step(const al_vit_t *v)
{
    if (v->tr_state == 2) return 1;
    uint32_t need = (v->t == 0 ? 0u : v->hi) + 1u + v->nsil;
    return need <= v->u_first[v->n_units];
}

/* Search the frames that wait. On the search's own stack (README.md "Block budget": in_co) only
 * while the block's credit lasts, each frame with the clock it would have had when it came
 * (clk = its index + 1: the transcript is complete, so without the budget every frame was
 * searched on arrival); else at once, as the frames come. */
static void pump(al_vit_t *v, int force)
{
    while (v->t < v->n_arrived) {
        if (v->in_co && v->credit <= 0) return;       /* the next block goes on */
        v->clk = v->in_co ? v->t + 1u : v->n_arrived;
        if (v->tr_state == 2 && v->n_placed == 0) {   /* nothing to align: just count */
            v->t++;
            v->last_commit = (int32_t)v->t - 1;
            continue;
        }
        if (v->tr_state == 0) return;                 /* no transcript yet: wait */
        if (!can_step(v)) {
            if (!force) return;
            v->st.n_overrun++;
        }
        step(v);
        if (force) return;
    }
}

/* ---- block budget (README.md "Block budget") ------------------------------------------------ */
/* The search's own stack: frames as the credit allows (pump), then back to the caller until the
 * next call. */
static void co_main(void *arg)
{
    al_vit_t *v = (al_vit_t *)arg;
    for (;;) {
        pump(v, 0);
        al_coro_yield(&v->co);
    }
}

static void co_restart(al_vit_t *v)
{
    al_coro_start(&v->co, co_main, v, v->co_stack, (uint32_t)sizeof v->co_stack);
}

/* On the budget: a budget is set, the transcript is complete and the caller's context lets the
 * search stop (al_coro_can_yield: not in handler mode), or a frame's search stopped halfway.
 * While the transcript is open, frames are searched at once as before. */
static int budgeted(const al_vit_t *v)
{
    return v->co_busy || (v->block_cells > 0u && v->tr_state == 2 && al_coro_can_yield());
}

static void catch_up(al_vit_t *v);

/* Search the frames that wait: on the budget on the search's own stack, else at once. */
static void run(al_vit_t *v)
{
    if (!budgeted(v)) { pump(v, 0); return; }
    if (v->credit != INT32_MAX && !al_coro_can_yield()) {
        catch_up(v);            /* handler mode: end what a thread-mode call left, no stop */
        return;
    }
    if (v->credit <= 0 || (!v->co_busy && v->t >= v->n_arrived)) return;   /* next block */
    v->in_co = 1;
    al_coro_resume(&v->co);
    v->in_co = 0;
}

/* Everything that waits, whatever the credit (the ring is full, or the end of the audio). */
static void catch_up(al_vit_t *v)
{
    int32_t left = v->credit;
    v->credit = INT32_MAX;
    run(v);
    v->credit = left < 0 ? left : 0;
}

void al_vit_set_budget(al_vit_t *v, uint32_t cells)
{
    if (v->co_busy || v->t < v->n_arrived) catch_up(v);
    v->block_cells = AL_CORO ? cells : 0u;
    v->credit = (int32_t)v->block_cells;
}

void al_vit_block(al_vit_t *v)
{
    uint32_t wait = v->n_arrived - v->t;
    if (wait > v->st.max_backlog) v->st.max_backlog = wait;
    v->credit = (int32_t)v->block_cells;
    v->block_work = 0;
    run(v);
}

void al_vit_push(al_vit_t *v, const int8_t *logits)
{
    /* on the budget, frames t .. n_arrived-1 wait and the search still reads frames from
     * clk - AL_VIT_RING_BACK on (clk <= t + 1): the queue may not grow past the rest of the
     * ring (with no room to spare the search keeps up at once, as without a budget) */
    while (budgeted(v) && (v->co_busy || v->t < v->n_arrived)
           && v->n_arrived - v->t + AL_VIT_RING_BACK >= v->ring_cap)
        catch_up(v);
    /* the ring holds frames last_commit+1 .. n_arrived-1; make room if the transcript lags */
    while (v->n_arrived - (uint32_t)(v->last_commit + 1) >= v->ring_cap) {
        if (v->tr_state == 0) {                       /* no header yet: start an open transcript */
            al_vit_begin(v, NO_WORD - 1);
            v->implicit = 1;
        }
        if (v->t >= v->n_arrived) break;              /* cannot happen: see the lag bound */
        pump(v, 1);
    }
    int8_t *dst = v->ring + (v->n_arrived % v->ring_cap) * v->m->n_classes;
    for (int c = 0; c < v->m->n_classes; c++) dst[c] = logits[c];
    v->n_arrived++;
    run(v);
}

/* More than half of the frames [from, to) that the logit ring still holds have a best class
 * other than silence (the ring keeps at least the last AL_VIT_RING_BACK frames: only those are
 * read, so a build with a larger pool answers the same). */
static int mostly_speech(const al_vit_t *v, int32_t from, int32_t to)
{
    int32_t oldest = ring_oldest(v);
    if (from < oldest) from = oldest;
    if (from < 0) from = 0;
    int32_t n = 0, sp = 0;
    for (int32_t f = from; f < to; f++) {
        const int8_t *q = frame_logits(v, (uint32_t)f);
        int best = 0;
        for (int c = 1; c < v->m->n_classes; c++) if (q[c] > q[best]) best = c;
        n++;
        if (best != v->m->sil_class) sp++;
    }
    return n > 0 && 2 * sp > n;
}

/* The answers from before a replay, at the end (README.md, that title; al_config.h
 * AL_VIT_REVERT_REPLAY). When the path went back to words out already
 * (replay_back()) and the audio ended before it reached again the words read after them the
 * first time (a placed word after the last one answered again starts before its end, or words
 * the replay took back from the hold queue were never placed again), the words answered again
 * since the replay get their answers from before it again (prior[]) and the other answers stand
 * (up to the first one out of order with them: a word answered early that a later pass would
 * have moved is placed again). Either reading is right for a reader who went back (the words
 * never answered are then NF: the audio ends before them); a replay whose words fit less than
 * half as well as before it (their confidences' sum) was other speech, and the words never
 * answered are placed after the last answer (fill_skipped(): a second pass over the frames the
 * ring holds, else by phone count; only if the network hears speech there, else NF). Only if
 * every answer from before the replay is known and they are in word order among themselves.
 * Returns 0 (nothing sent) when it does not apply: mend_tail() then answers the out-of-order
 * words NF. */
static int revert_replay(al_vit_t *v, uint32_t T)
{
    if (!v->pr_on || v->pr_lost || v->pr_lo < 0) return 0;
    int tail = v->next_emit < v->next_told;              /* taken back, never placed again */
    for (int32_t w = v->rv_word + 1; !tail && w >= 0 && w < (int32_t)v->next_told; w++) {
        const al_sent_t *k = sent_of(v, w);
        if (!k) return 0;
        if (k->code < 0) continue;
        if (k->start_frame < v->rv_end) tail = 1;
        break;                                           /* in order from here on */
    }
    if (!tail) return 0;
    int32_t x = -1, c_new = 0, c_old = 0;                /* x: end of the last placed answer */
    int32_t keep = (int32_t)v->next_told;                /* answers from here on: placed again */
    for (int32_t w = v->pr_lo > 0 ? v->pr_lo - 1 : 0; w < keep; w++) {
        const al_sent_t *p = &v->prior[(uint32_t)w % AL_VIT_SENT];
        const al_sent_t *k = sent_of(v, w);
        if (!k && w < v->pr_lo) continue;                /* (the word before: out of sent[]) */
        if (!k) return 0;                                /* not known: mend_tail() */
        if (p->word == (uint16_t)w) {                    /* answered again since the replay */
            if (k->code >= 0 && p->code >= 0) { c_new += k->code / 4; c_old += p->code / 4; }
            k = p;
        }
        if (k->code < 0) continue;
        if (k->start_frame < x) {                        /* not in order before either: */
            if (w <= v->pr_hi + 1) return 0;
            keep = w;                                    /* a word answered early that a later */
            break;                                       /* pass would have moved */
        }
        x = k->end_frame;
    }
    int borne = 2 * c_new >= c_old;                      /* the reader went back */
    v->pr_on = 0;
    for (int32_t w = v->pr_lo; w <= v->pr_hi; w++) {
        const al_sent_t *p = &v->prior[(uint32_t)w % AL_VIT_SENT];
        if (p->word != (uint16_t)w) continue;
        al_word_result_t r = {w, 1, 0, 0, 0, 0, 0, 0, 0};
        if (p->code >= 0) {
            r.nf = 0;
            r.conf = p->code / 4;
            r.src = p->code % 4;
            set_frames(v, &r, p->start_frame, p->end_frame);
        }
        resend(v, &r);
    }
    v->rv_word = -1;                                     /* nothing left out of order */
    v->next_emit = (uint32_t)keep;                       /* the words taken back keep theirs */
    if (borne) return 1;           /* the reader went back: the words never answered are NF */
    int32_t o = 0;                                       /* first placed word to place again */
    while (o < (int32_t)v->n_placed && v->pw_index[o] < keep) o++;
    if (o < (int32_t)v->n_placed && x >= 0 && mostly_speech(v, x, (int32_t)T)) {
        v->pend_ord = -1;
        v->hq_n = 0;
        v->done_ord = o - 1;
        v->last_end = x;
        fill_skipped(v, (int32_t)v->n_placed, v->n_units, (int32_t)T, 1);
        emit_pend(v);
    }
    return 1;
}

/* The last words placed too early (README.md "An end pass"; al_config.h AL_VIT_END_PASS): when
 * the network hears speech after the last word's answer, the placed words before the end, as
 * many as fit the second pass's column, are aligned again over the last AL_VIT_BACK_FRAMES
 * frames the ring holds, ending at the end of the audio with a free start (back_align() with
 * end = 1), and answered again from the newest back while each fits AL_VIT_END_GAIN times
 * better than its answer (confidence) and was placed (an NF word stays NF: the transcript may
 * be longer than the audio). */
static void end_pass(al_vit_t *v, uint32_t T)
{
    if (v->n_placed == 0) return;
    int32_t x = sent_end(v, (int32_t)v->pw_index[v->n_placed - 1]);
    if (x < 0 || !mostly_speech(v, x, (int32_t)T)) return;
    int32_t ord0, n, w0;
    int more;
    v->rv_word = -1;                                     /* in order: back_align()'s rule */
    w0 = back_align(v, (int32_t)v->n_placed, v->n_units, -1, (int32_t)T, 1, &ord0, &n, &more);
    if (w0 >= 0) back_answer(v, ord0, w0, n);
}

void al_vit_finish(al_vit_t *v)
{
    uint32_t most = v->st.max_block_work;            /* the end of the audio is no block */
    if (budgeted(v)) catch_up(v);                    /* the frames that wait, then as before */
    if (v->tr_state == 0) al_vit_begin(v, 0);
    if (v->implicit) { v->n_words = (uint32_t)(v->last_word + 1); v->implicit = 0; }
    if (v->tr_state == 1) al_vit_end(v);
    pump(v, 0);
    v->clk = v->n_arrived;
    uint32_t T = v->t;
    if (v->n_placed > 0 && T > 0) {
        uint32_t S = v->u_first[v->n_units];
        uint32_t e_sil = S - 1u, e_word = (uint32_t)v->u_first[v->n_units - 1] - 1u;
        uint32_t s_end = 0;
        float b = NEG;
        if (e_word >= v->lo && e_word < v->hi && v->sc[e_word & WMASK] > b) {
            b = v->sc[e_word & WMASK]; s_end = e_word;
        }
        if (e_sil >= v->lo && e_sil < v->hi && v->sc[e_sil & WMASK] > b) {
            b = v->sc[e_sil & WMASK]; s_end = e_sil;
        }
        if (!(b > NEG_HALF)) s_end = best_state(v);   /* end not reached: band lost it */
        commit_path(v, T - 1u, s_end);
        if (v->cur_word >= 0) {
            /* the path ends inside a word: complete only in that word's last state */
            uint32_t u = v->cm_unit;
            int last = (s_end + 1u == v->u_first[u + 1])
                       && (u + 1u >= v->n_units
                           || (v->u_flags[u + 1] & (F_SIL | F_WFIRST)) != 0);
            finish_word(v, v->cur_word, (int32_t)T, last);
            v->cur_word = -1;
        }
        /* placed words the path never reached: times after the last placed word only if the
         * network hears speech there (else the transcript is longer than the audio: NF) */
        int32_t x0 = v->pend_ord >= 0 && !v->pend.nf ? v->pend.end_frame : v->last_end;
        int speech = mostly_speech(v, x0, (int32_t)T);
        if (speech) fill_skipped(v, (int32_t)v->n_placed, v->n_units, (int32_t)T, 0);
    }
    emit_pend(v);
    if (!(AL_VIT_REVERT_REPLAY && revert_replay(v, T)) && AL_VIT_MEND_ORDER)
        mend_tail(v);                                   /* before the NF below take sent[] */
    al_word_result_t nf = {0, 1, 0, 0, 0, 0, 0, 0, 0};
    while (v->next_emit < v->n_words) {                 /* never placed (or taken back) */
        nf.word = (int32_t)v->next_emit++;
        answer(v, &nf);
    }
    if (AL_VIT_END_PASS) end_pass(v, T);
    v->st.max_block_work = most;
    v->st.co_stack_used = al_coro_used(v->co_stack, (uint32_t)sizeof v->co_stack);
}
