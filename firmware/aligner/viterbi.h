/* viterbi.h - streaming forced alignment over the transcript's HMM state chain with bounded
 * memory: a band of at most AL_VIT_BAND active states, 2-bit back-pointers in a ring of
 * AL_VIT_LAG frames, and word results emitted (in word order) as soon as the next word starts.
 *
 * State graph: [sil] w1 [sil] w2 ... wN [sil]. A phone of class c is hmm_states[c]
 * left-to-right states (stay: hmm_self_logp[c], advance: hmm_next_logp[c]); silence units use
 * sil_class and are optional (a word's first state can also be entered straight from the
 * previous word's last state). The path starts in the first state of the leading silence or of
 * w1 and ends in the last state of the trailing silence or of wN.
 * Emission of class c at a frame: log_softmax(out_scale * q)[c] - prior_weight * log_prior[c].
 *
 * Commit rule (see README.md): every active state carries the id of the state its best path
 * occupied at the anchor frame. When all surviving states share one origin o, the path up to
 * the anchor is final: it is traced back from (anchor, o), committed, and the anchor moves to
 * the current frame. If that has not happened AL_VIT_LAG/2-1 frames after the anchor, the
 * origin of the best state is committed instead and every state with another origin is
 * pruned (the band is re-anchored on the committed path). */
#ifndef AL_VITERBI_H
#define AL_VITERBI_H

#include <stdint.h>
#include "al_config.h"
#include "model_format.h"
#include "al_coro.h"

#if (AL_VIT_BAND & (AL_VIT_BAND - 1)) != 0 || AL_VIT_BAND < 16
#error "AL_VIT_BAND must be a power of two >= 16"
#endif
#if AL_MAX_STATES > 65535
#error "state ids are uint16"
#endif

typedef struct {
    int32_t word;          /* word index in the transcript */
    int32_t nf;            /* 1: not found (start/end/conf are then 0) */
    int32_t start_ms, end_ms;
    int32_t conf;          /* permille, 0..1000 */
    int32_t start_frame, end_frame;  /* boundary frames: start before start_frame, end before end_frame */
    int32_t src;           /* which search placed it: AL_SRC_PATH / AL_SRC_SECOND / AL_SRC_FILLED */
    int32_t revised;       /* 1: the word was answered before and this answer replaces it
                            * (CONTRACT.md: an R line; viterbi.c answer()) */
} al_word_result_t;

/* An answer sent (viterbi.c answer()): what a later answer of the same word is compared with
 * (12 bytes: the aligner's AXI SRAM budget, firmware/apps/aligner/budget.toml). */
typedef struct {
    int32_t start_frame, end_frame;
    uint16_t word;         /* 0xFFFF: none (AL_MAX_WORDS < 0xFFFF) */
    int16_t code;          /* -1: NF, else confidence * 4 + src */
} al_sent_t;
#if AL_MAX_WORDS >= 0xFFFF
#error "al_sent_t.word is 16 bits"
#endif
#if AL_VIT_PASS2_WORDS > 255
#error "al_vit_t.bk_w0 / bk_n are 8 bits"
#endif

/* al_word_result_t.src (CONTRACT.md "Confidence"): the streaming path (confidence >= 1), the
 * second pass between anchors after a re-anchor (confidence >= 1, from its own path), or an
 * interpolated time (confidence 0: the buffer no longer held the span). NF results: 0. */
#define AL_SRC_PATH   0
#define AL_SRC_SECOND 1
#define AL_SRC_FILLED 2

typedef void (*al_word_cb)(void *ctx, const al_word_result_t *r);

typedef struct {
    uint32_t max_band;       /* widest band seen (states) */
    uint32_t max_lag;        /* largest (frame - last committed frame) seen */
    uint32_t n_converged;    /* commits by traceback convergence */
    uint32_t n_forced;       /* forced commits at the lag limit */
    uint32_t n_band_cut;     /* frames where the band hit AL_VIT_BAND and was cut */
    uint32_t n_overrun;      /* frames processed before the transcript covered them */
    uint32_t n_reanchor;     /* confidence collapses answered by a re-anchored band */
    uint32_t n_filled;       /* words the path jumped over, given interpolated times (conf 0);
                              * counted as they are emitted, like n_second */
    uint32_t n_second;       /* words placed by the second pass between anchors (AL_SRC_SECOND) */
    uint32_t n_back;         /* re-anchors behind the path (locate: the path had run ahead) */
    uint32_t n_revised;      /* answers sent again for words answered before with another time
                              * (R lines, al_word_result_t.revised) */
    uint32_t n_answered;     /* first answers of placed words (A lines with a time) */
    uint32_t sum_answer_lag; /* their frames from the word's end to the answer (frames arrived
                              * then - end frame), summed */
    uint32_t max_answer_lag; /* the largest */
    uint32_t max_block_work; /* most work units (state x frame cells) done in one audio block
                              * (al_vit_block; README.md "Block budget") */
    uint32_t max_backlog;    /* most frames waiting for the search at a block's start */
    uint32_t co_stack_used;  /* bytes of the search's own stack used (of AL_VIT_CO_STACK; set by
                              * al_vit_finish) */
} al_vit_stats_t;

typedef struct {
    const al_model_t *m;
    float beam;
    int32_t nf_min_conf;
    int32_t offset_ms;
    uint16_t nsil;                      /* states of a silence unit */
    uint16_t lag_force;                 /* forced commit after this many frames past the anchor */
    float emis_bias[AL_MAX_CLASSES];    /* prior_weight * log_prior */
    float em[AL_MAX_CLASSES];           /* emissions of the current frame */
    /* transcript graph, one entry per unit (phone or silence) */
    uint8_t  u_cls[AL_UNITS_MAX];
    uint8_t  u_flags[AL_UNITS_MAX];
    uint16_t u_first[AL_UNITS_MAX + 1]; /* first state of unit u; u_first[n_units] = n_states */
    uint16_t pw_index[AL_MAX_WORDS];    /* transcript index of the k-th placed word (a unit's
                                         * word is found by counting F_WFIRST units: 4 B/unit) */
    uint32_t n_units, n_phones, n_placed;
    uint32_t n_words;                   /* declared by the header */
    int32_t  last_word;                 /* last word index added */
    uint8_t  tr_state;                  /* 0 none, 1 open, 2 complete */
    uint8_t  implicit;                  /* opened by a full frame ring before the header came */
    uint8_t  went_back;                 /* the last re-anchor went behind the path (viterbi.c
                                         * second_pass: the filler) */
    /* frames */
    uint32_t ring_cap;                  /* logit frames the ring holds */
    uint32_t n_arrived, t;              /* frames pushed / processed */
    int32_t  last_commit;               /* last committed frame (-1: none) */
    uint32_t anchor;                    /* frame the origins refer to */
    /* band: states [lo, hi), slot = state & (AL_VIT_BAND-1) */
    uint32_t lo, hi;
    float    sc[AL_VIT_BAND];
    uint16_t org[AL_VIT_BAND];
    uint8_t  bp[AL_VIT_LAG][AL_VIT_BAND / 4];
    uint16_t path[AL_VIT_LAG];
    /* commit cursor */
    uint32_t cm_unit;
    int32_t  cm_ord;                    /* placed-word ordinal of cm_unit's word (-1: none yet) */
    int32_t  cur_word;
    int32_t  w_start;
    float    w_margin;
    uint32_t w_frames;
    uint32_t next_emit;                 /* words below it left the hold queue (or were never
                                         * placed: NF) */
    uint32_t next_told;                 /* words below it have an answer (A line) */
    int32_t  rv_word, rv_end;           /* the word last answered again (R line) and its end
                                         * frame; rv_word -1: none (viterbi.c mend_order) */
    al_sent_t sent[AL_VIT_SENT];        /* the last answers, by word index % AL_VIT_SENT */
    al_sent_t prior[AL_VIT_SENT];       /* since the last replay: each word's answer before it
                                         * was answered again (viterbi.c keep_prior) */
    int32_t  pr_lo, pr_hi;              /* the lowest / highest word prior[] holds (-1: none) */
    uint8_t  pr_on, pr_lost;            /* a replay happened / prior[] could not keep one */
    /* confidence-collapse recovery (README.md "Recovery") */
    float    fit_avg;                   /* EMA of the best state's log posterior ratio */
    float    aud_avg;                   /* EMA of the argmax class's log posterior */
    float    lse;                       /* log-sum-exp of the current frame (emissions) */
    uint32_t collapse_n;                /* consecutive frames in collapse */
    uint32_t scan_next;                 /* next re-anchor window starts here (0: at the best) */
    uint32_t last_reanchor;             /* frame of the last re-anchor */
    uint32_t last_locate;               /* frame of the last locate() */
    uint32_t conf_s, conf_t;            /* state after / end frame of the last confident word */
    uint32_t good_s, good_t;            /* best state and frame when last on track */
    int32_t  lost_t;                    /* good_t when the last scan started (-1: none) */
    int32_t  bk_ord0;                   /* a back pass's run waiting for the path (viterbi.c
                                         * back_settle): words bk_ord0 + bk_w0 .. + bk_n - 1, */
    uint8_t  bk_w0, bk_n, bk_more;      /* their times in p2_start / p2_end, confidences in
                                         * p2_margin; bk_n 0: none */
    /* every word gets a time (README.md "Words the path jumps over"): the last finished word is
     * held until the next word starts, so the words between them can share the time */
    al_word_result_t pend;              /* held result (valid when pend_ord >= 0) */
    int32_t  pend_ord;                  /* placed ordinal of pend (-1: nothing held) */
    int32_t  cur_ord;                   /* placed ordinal of cur_word */
    int32_t  done_ord;                  /* highest placed ordinal held or emitted (-1: none) */
    int32_t  last_end;                  /* end frame of the last placed word emitted or held */
    uint8_t  far_k;                     /* next look-behind column (viterbi.c recover()) */
    uint32_t rp_pause;                  /* frames since rp_t the network heard silence in */
    uint32_t rp_sb, rp_t;               /* last place noted behind the path, its frame
                                         * (viterbi.c confirmed()) */
    float    rp_gain, rp_prev;          /* its gain (nats a frame); the gain of the place a
                                         * confirmation lined up with (0: none) */
    /* second pass between anchors (README.md "Second pass"): its back-pointers go to the rows
     * of bp[] that hold no live frame (frames after cm_upto are live), its scores here */
    uint32_t cm_upto;                   /* frame commit_path() is committing up to */
    float    p2_sc[AL_VIT_PASS2_STATES];
    uint8_t  p2_cls[AL_VIT_PASS2_STATES];         /* class of each state (viterbi.c p2_classes) */
    uint32_t p2_skip[AL_VIT_PASS2_STATES / 32];   /* states that may skip the silence */
    al_word_result_t hq[AL_VIT_HOLD];   /* words held before pend (oldest at hq_head) */
    uint32_t hq_head, hq_n;
    int32_t  p2_start[AL_VIT_PASS2_WORDS], p2_end[AL_VIT_PASS2_WORDS];
    float    p2_margin[AL_VIT_PASS2_WORDS];
    al_word_cb cb;
    void *cb_ctx;
    al_vit_stats_t st;
    /* block budget (README.md "Block budget"): with block_cells > 0 and the transcript complete,
     * the search runs on its own stack (co) and stops when a block's credit of work units is
     * spent, inside a long pass too; it goes on in the next block (al_vit_block) while frames
     * queue in the ring. It reads the ring as if each frame had been searched when it came
     * (clk): the results do not depend on the budget. */
    uint32_t clk;                       /* frames arrived when the frame being searched came */
    uint32_t block_cells;               /* work units per audio block (0: no budget) */
    int32_t  credit;                    /* work units left in this block */
    uint32_t block_work;                /* work units done in this block */
    uint8_t  in_co, co_busy;            /* running on co / stopped inside a frame's search */
    al_coro_t co;
    uint64_t co_stack[AL_VIT_CO_STACK / 8];
    int8_t ring[AL_VIT_LOGIT_POOL];
} al_vit_t;

int  al_vit_init(al_vit_t *v, const al_model_t *m);
void al_vit_reset(al_vit_t *v);                       /* forget transcript and frames */
void al_vit_set_callback(al_vit_t *v, al_word_cb cb, void *ctx);
void al_vit_set_params(al_vit_t *v, float beam, int32_t nf_min_conf);
int  al_vit_begin(al_vit_t *v, uint32_t n_words);
int  al_vit_add_word(al_vit_t *v, uint32_t index, const uint16_t *ids, uint32_t n);
int  al_vit_end(al_vit_t *v);
void al_vit_push(al_vit_t *v, const int8_t *logits);
void al_vit_finish(al_vit_t *v);                      /* emits every outstanding word */
/* Block budget: at most `cells` work units per audio block (0: search every frame at once, as it
 * comes). al_vit_block() starts a block: the credit is renewed and the search goes on. */
void al_vit_set_budget(al_vit_t *v, uint32_t cells);
void al_vit_block(al_vit_t *v);

#endif
