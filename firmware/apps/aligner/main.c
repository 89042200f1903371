/*
 * apps/aligner/main.c - the streaming forced aligner on the NUCLEO-H743ZI.
 *
 *   SAI1 A (16 kHz mono 16-bit, PLL3) -> DMA1 S0 (circular, 2 x 320 samples in AXI SRAM)
 *     -> DMA interrupt counts blocks (common/sai_dma.c, queue mode; the ISR stays short)
 *     -> main loop: al_push_audio(block) (front end, int8 conv stack, banded Viterbi)
 *   USART3 RX interrupt -> 256-byte ring (common/usart.c) -> main loop line router:
 *     "S <total>" lines (host: end of audio, total samples sent) are handled here; every other
 *     byte goes to the aligner protocol parser (firmware/aligner/protocol.h: T / W / E).
 *   Results: "A ..." lines from the word callback as soon as the search has placed a word ("R ..."
 *   answers it again when a later pass moves it), "D <frames> <words>"
 *   after "S <total>" (tail block pushed, al_finish), then exit(0) through semihosting.
 *   Between blocks the core sleeps in WFI (checked with PRIMASK set).
 * Everything else it prints starts with '#' (CONTRACT.md). TX is interrupt-driven
 * (usart3_set_tx_async: 1 KB ring drained by the USART3 interrupt), so printing a result line
 * costs microseconds of CPU instead of 87 us of busy-waiting per byte; usart3_flush() sleeps.
 *
 * Clocks/caches: SystemInit (400 MHz, VOS1) and I/D-cache enable are done by startup.c.
 * Memory: the front end and network state (.bss of the library, ~35 KB with the -D maxima of
 * the Makefile) and the protocol parser live in DTCM (0-wait, not cached); the DMA buffer is in AXI SRAM
 * (DMA1 cannot reach DTCM), cache lines invalidated per block by the driver. The weights of the
 * layers that fit are copied to ITCM and DTCM at start-up (place_weights), the rest stay in
 * flash; the Viterbi state (~66 KB) is in AXI SRAM (cached) to make room.
 *
 * Log lines: "# aligner: ...", and at the end
 *   "# stats blocks=<n> samples=<n> busy_cycles=<n> max_block_cycles=<n> overruns=<n>
 *    lost=<n> late=<n> dma_errors=<n>" and "# vit max_band=.. max_lag=.. converged=..
 *    forced=.. band_cut=.. overrun=.. reanchor=.. second=.. filled=.." (reanchor: confidence-
 *    collapse recoveries; second: words re-aligned by the second pass between anchors; filled:
 *    words the path jumped over, given interpolated times; revised: words answered again with
 *    another time; answer_lag: frames from a word's end to its first answer, mean / max;
 *    block_work / backlog / stack: most
 *    work units of the search in one block, most frames waiting for it, bytes of its own stack
 *    used / its size, aligner/README.md "Block budget").
 * Exit code: 0 normally; 2 if the model does not fit al_config.h or capture could not start.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aligner.h"
#include "dwt.h"
#include "model_data.h"
#include "protocol.h"
#include "sai_dma.h"
#include "stm32h743_regs.h"
#include "system.h"
#include "usart.h"

#define HALF_LEN 320U           /* 20 ms = two 10 ms hops per block */

static int16_t audio_buf[2U * HALF_LEN] __attribute__((section(".axisram"), aligned(32)));
static al_proto_t proto;        /* DTCM (.bss) */

static void out(const char *s)
{
    usart3_puts(s);
}

static void on_word(void *ctx, const al_word_result_t *r)
{
    (void)ctx;
    char line[64];
    /* al_fmt_* return the length and do not NUL-terminate */
    const size_t len = al_fmt_result(line, sizeof line - 1U, r);
    if (len > 0U) {
        line[len] = '\0';
        out(line);
    }
}

/* ---- host line router: 'S' lines here, everything else to the aligner protocol ---- */
static int line_is_s;           /* current line started with 'S' */
static int at_line_start = 1;
static char s_line[24];
static uint32_t s_len;


/* Feeds pending bytes; returns 1 with *total when an "S <total>" line completed. */
static int poll_host(uint32_t *total)
{
    int c;
    while ((c = usart3_try_getc()) >= 0) {
        const char ch = (char)c;
        if (at_line_start && ch != '\r') {
            line_is_s = (ch == 'S');
            s_len = 0;
        }
        at_line_start = (ch == '\n');
        if (line_is_s) {
            if (ch == '\n') {
                s_line[s_len] = '\0';
                line_is_s = 0;
                *total = (uint32_t)strtoul(s_line + 1, NULL, 10);
                return 1;
            }
            if (ch != '\r' && s_len < sizeof s_line - 1U) {
                s_line[s_len++] = ch;
            }
            continue;
        }
        if (al_proto_putc(&proto, ch) == AL_MSG_ERROR) {
            char line[64];
            snprintf(line, sizeof line, "# protocol error %ld\n", (long)proto.last_err);
            out(line);
        }
    }
    return 0;
}

/* ---- weights in zero-wait memory ----
 * The int8 weights (~174 KB) are far larger than the 16 KB D-cache, so the network streams them
 * in again for every batch of 8 frames; read from flash, each 32-byte line is a miss (~12 CPU
 * cycles at 400 MHz with 2 wait states). The M7 reads ITCM and DTCM from the data side at zero
 * wait states: at start-up the largest layers that fit are copied to two pools (ITCM after the
 * hot code, DTCM after .bss; the Viterbi state went to cached AXI SRAM to make room,
 * AL_VIT_IN_AXISRAM in the Makefile), flash stays the master copy, and al_init() gets a RAM
 * copy of the model whose layer table points to the copies. Each copy is followed by 4 spare
 * bytes: the kernels load one weight word ahead (never used). */
#ifndef AL_MODEL_N_LAYERS       /* the random test model does not define it */
#define AL_MODEL_N_LAYERS AL_NN_MAX_LAYERS
#endif
#define W_ITCM_BYTES 54280U     /* exported model: layers 1 and 4, 49 152 + 5 120 B (+ 4 + 4) */
#define W_DTCM_BYTES 4U         /* no layer in DTCM any more: its 48 KB went to the Viterbi look-ahead
                                 * (AL_VIT_LAG 768; docs/aligner-performance.md) */
static uint32_t w_itcm[W_ITCM_BYTES / 4U] __attribute__((section(".itcm_noinit")));
static uint32_t w_dtcm[(W_DTCM_BYTES + 3U) / 4U] __attribute__((section(".dtcm_noinit")));
static al_layer_t layers_ram[AL_MODEL_N_LAYERS];
static al_model_t model_ram;
static uint32_t w_used[2], w_layers[2];   /* per pool: bytes, bit mask of the layers placed */

static const al_model_t *place_weights(void)
{
    uint8_t *const base[2] = {(uint8_t *)w_itcm, (uint8_t *)w_dtcm};
    const uint32_t size[2] = {W_ITCM_BYTES, W_DTCM_BYTES};
    model_ram = al_model;
    if (al_model.n_layers > AL_MODEL_N_LAYERS) {
        return &al_model;       /* al_init() will reject it */
    }
    for (uint32_t l = 0; l < al_model.n_layers; l++) {
        layers_ram[l] = al_model.layers[l];
    }
    for (uint32_t p = 0; p < 2U; p++) {
        for (;;) {              /* largest layer still in flash that fits, until none does */
            int32_t best = -1;
            uint32_t best_n = 0;
            for (uint32_t l = 0; l < al_model.n_layers; l++) {
                const al_layer_t *L = &layers_ram[l];
                const uint32_t n = ((uint32_t)L->cout * L->k * L->cin + 3U) & ~3U;
                if (!((w_layers[0] | w_layers[1]) & (1U << l)) && n + 4U <= size[p] - w_used[p]
                    && n > best_n) {
                    best = (int32_t)l;
                    best_n = n;
                }
            }
            if (best < 0) {
                break;
            }
            memcpy(base[p] + w_used[p], layers_ram[best].w, best_n);
            layers_ram[best].w = (const int8_t *)(base[p] + w_used[p]);
            w_used[p] += best_n + 4U;
            w_layers[p] |= 1U << best;
        }
    }
    model_ram.layers = layers_ram;
    return &model_ram;
}

/* ---- statistics ---- */
static uint64_t busy_cycles;   /* 64 bit: a 5-minute clip needs more than 2^32 cycles */
static uint32_t max_block_cycles, n_blocks, n_samples;

/* decimal of a uint64 without %llu (two %lu parts) */
static const char *u64_str(char *buf, size_t size, uint64_t v)
{
    const uint32_t hi = (uint32_t)(v / 1000000000U), lo = (uint32_t)(v % 1000000000U);
    if (hi != 0U) {
        snprintf(buf, size, "%lu%09lu", (unsigned long)hi, (unsigned long)lo);
    } else {
        snprintf(buf, size, "%lu", (unsigned long)lo);
    }
    return buf;
}

/* AL_APP_SVC_EVERY = k (the aligner_svc test build, tests/test_audio_firmware.py): every k-th
 * block is pushed from an SVC handler, as an app that calls the library from an interrupt
 * would (handler mode: no block budget there; a pass a thread-mode block left stopped ends
 * there, aligner/README.md "Block budget"). */
#ifndef AL_APP_SVC_EVERY
#define AL_APP_SVC_EVERY 0
#endif
#if AL_APP_SVC_EVERY
static const int16_t *volatile svc_s;
static volatile uint32_t svc_n, svc_blocks;

void SVC_Handler(void)
{
    al_push_audio(svc_s, svc_n);
    svc_blocks++;
}
#endif

static void push(const int16_t *s, uint32_t n)
{
    const uint32_t t0 = dwt_cycles();
#if AL_APP_SVC_EVERY
    if (n_blocks % AL_APP_SVC_EVERY == 0U) {
        svc_s = s;
        svc_n = n;
        SCB->SHPR[SHPR_IDX_SVCALL] = 0xF0;     /* lowest: DMA and USART interrupts preempt it */
        __asm volatile("svc #0" ::: "memory");
    } else
#endif
    al_push_audio(s, n);
    const uint32_t dt = dwt_cycles() - t0;
    busy_cycles += dt;
    if (dt > max_block_cycles) {
        max_block_cycles = dt;
    }
    n_samples += n;
}

int main(void)
{
    char line[256];
    dwt_init();
    usart3_init(115200);
    usart3_set_tx_async(1);     /* printing must not busy-wait for the UART (87 us/byte) */
    const al_model_t *model = place_weights();
    if (al_init(model) != AL_OK) {
        out("# aligner: model does not fit al_config.h\n");
        usart3_flush();
        return 2;
    }
    snprintf(line, sizeof line, "# aligner: core %lu Hz, model %u classes %u layers, "
             "latency %lu frames, block %u samples\n",
             (unsigned long)system_core_clock_hz(), al_model.n_classes, al_model.n_layers,
             (unsigned long)al_latency_frames(), HALF_LEN);
    out(line);
    snprintf(line, sizeof line, "# aligner: weights in ITCM %lu B (layers 0x%lx), "
             "DTCM %lu B (layers 0x%lx)\n", (unsigned long)w_used[0], (unsigned long)w_layers[0],
             (unsigned long)w_used[1], (unsigned long)w_layers[1]);
    out(line);
    al_set_word_callback(on_word, NULL);
    al_proto_init(&proto);

    if (audio_in_start(audio_buf, HALF_LEN, NULL) != 0) {
        out("# aligner: audio_in_start failed\n");
        usart3_flush();
        return 2;
    }

    uint32_t total = 0;
    int have_total = 0;
    for (;;) {
        const int16_t *s;
        uint32_t n, index;
        while (audio_in_get(&s, &n, &index)) {
            push(s, n);
            n_blocks++;
            audio_in_release();
        }
        if (!have_total) {
            have_total = poll_host(&total);
        }
        if (have_total && !audio_in_pending()) {
            break;
        }
        __disable_irq();
        if (!have_total && !audio_in_pending() && !usart3_rx_pending()) {
            __WFI();
        }
        __enable_irq();
        __ISB();
    }

    /* end of audio: the partial block the DMA wrote after the last HT/TC */
    uint32_t tail_n = 0;
    const int16_t *tail = audio_in_tail(total, &tail_n);
    if (tail == NULL) {
        snprintf(line, sizeof line, "# host total %lu does not match %lu blocks + position %lu\n",
                 (unsigned long)total, (unsigned long)audio_in_blocks(),
                 (unsigned long)audio_in_position());
        out(line);
    } else if (tail_n > 0U) {
        push(tail, tail_n);
    }
    audio_in_stop();
    /* any transcript bytes still in the ring */
    uint32_t dummy;
    (void)poll_host(&dummy);

    const uint32_t t0 = dwt_cycles();
    const uint32_t frames = al_finish();
    busy_cycles += dwt_cycles() - t0;
    const size_t dlen = al_fmt_done(line, sizeof line - 1U, frames, al_n_words());
    if (dlen > 0U) {
        line[dlen] = '\0';
        out(line);
    }
    char busy_buf[24];
    snprintf(line, sizeof line, "# stats blocks=%lu samples=%lu busy_cycles=%s "
             "max_block_cycles=%lu overruns=%lu lost=%lu late=%lu dma_errors=%lu\n",
             (unsigned long)n_blocks, (unsigned long)n_samples,
             u64_str(busy_buf, sizeof busy_buf, busy_cycles),
             (unsigned long)max_block_cycles, (unsigned long)audio_in_overruns(),
             (unsigned long)audio_in_lost_blocks(), (unsigned long)audio_in_late_blocks(),
             (unsigned long)audio_in_dma_errors());
    out(line);
#if AL_APP_SVC_EVERY
    snprintf(line, sizeof line, "# svc blocks=%lu\n", (unsigned long)svc_blocks);
    out(line);
#endif
    const al_vit_stats_t *st = al_stats();
    snprintf(line, sizeof line, "# vit max_band=%lu max_lag=%lu converged=%lu forced=%lu "
             "band_cut=%lu overrun=%lu reanchor=%lu second=%lu filled=%lu back=%lu "
             "revised=%lu answer_lag=%lu/%lu block_work=%lu backlog=%lu stack=%lu/%lu\n",
             (unsigned long)st->max_band,
             (unsigned long)st->max_lag, (unsigned long)st->n_converged,
             (unsigned long)st->n_forced, (unsigned long)st->n_band_cut,
             (unsigned long)st->n_overrun, (unsigned long)st->n_reanchor,
             (unsigned long)st->n_second, (unsigned long)st->n_filled,
             (unsigned long)st->n_back, (unsigned long)st->n_revised,
             (unsigned long)(st->n_answered ? st->sum_answer_lag / st->n_answered : 0u),
             (unsigned long)st->max_answer_lag,
             (unsigned long)st->max_block_work,
             (unsigned long)st->max_backlog, (unsigned long)st->co_stack_used,
             (unsigned long)AL_VIT_CO_STACK);
    out(line);
    usart3_flush();
    return 0;
}
