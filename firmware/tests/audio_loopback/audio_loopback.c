/*
 * audio_loopback.c - capture test for common/sai_dma.c: SAI1 block A (16 kHz mono 16-bit,
 * PLL3 8.192 MHz) -> DMA1 stream 0 (circular, HT/TC) -> 2 x 256 samples in AXI SRAM.
 *
 * The DMA interrupt only counts blocks (queue mode); the main loop takes each half-buffer
 * (D-cache lines invalidated by the driver), computes its sum and CRC-32, prints a line, and
 * sleeps with WFI (checked with PRIMASK set) until the next block or USART3 byte.
 *
 * USART3 output (115200 8N1, "\r\n" line ends):
 *   # audio_loopback: 16000 Hz, 256-sample blocks, buffer 0x240xxxxx
 *   B <index> <n> <sum> <crc32>            one per full block: n = 256, sum = signed sum of
 *                                          the samples (decimal), crc32 = CRC-32/ISO-HDLC of
 *                                          the samples as little-endian bytes (8 hex digits)
 * Host -> firmware, after the audio ended:  "S <total_samples>\n"
 *   B <index> <n> <sum> <crc32>            the partial tail block, if total is not a multiple
 *                                          of 256 (n < 256; absent otherwise)
 *   T <total_samples> <sum> <crc32>        over the whole stream (every sample, in order)
 *   # overruns=<SAI OVRUDR events> dma_errors=<n> lost=<n> late=<n> position=<NDTR pos>
 * Exit code (semihosting): 0 if every count is consistent and there were no overruns,
 * lost/late blocks or DMA errors; 1 otherwise (the lines say what went wrong).
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sai_dma.h"
#include "stm32h743_regs.h"
#include "usart.h"

#define HALF_LEN 256U

static int16_t audio_buf[2U * HALF_LEN] __attribute__((section(".axisram"), aligned(32)));

static uint32_t crc_table[256];

static void crc32_init(void)
{
    for (uint32_t i = 0; i < 256U; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) {
            c = (c & 1U) ? 0xEDB88320UL ^ (c >> 1) : c >> 1;
        }
        crc_table[i] = c;
    }
}

/* running CRC-32 (reflected, init/xorout 0xFFFFFFFF: pass crc = 0 to start) */
static uint32_t crc32_update(uint32_t crc, const int16_t *s, uint32_t n)
{
    crc = ~crc;
    for (uint32_t i = 0; i < n; i++) {
        const uint16_t v = (uint16_t)s[i];
        crc = crc_table[(crc ^ v) & 0xFFU] ^ (crc >> 8);
        crc = crc_table[(crc ^ (v >> 8)) & 0xFFU] ^ (crc >> 8);
    }
    return ~crc;
}

static int64_t sum_samples(const int16_t *s, uint32_t n)
{
    int64_t sum = 0;
    for (uint32_t i = 0; i < n; i++) {
        sum += s[i];
    }
    return sum;
}

static void putline(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void putline(const char *fmt, ...)
{
    char line[128];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    usart3_puts(line);
}

/* total stream state */
static int64_t g_sum;
static uint32_t g_crc;
static uint32_t g_samples;

static void emit_block(uint32_t index, const int16_t *s, uint32_t n)
{
    const int64_t sum = sum_samples(s, n);
    const uint32_t crc = crc32_update(0, s, n);
    g_sum += sum;
    g_crc = crc32_update(g_crc, s, n);
    g_samples += n;
    putline("B %lu %lu %lld %08lx\n", (unsigned long)index, (unsigned long)n, (long long)sum,
            (unsigned long)crc);
}

/* USART3 line reader for the host's "S <total>" line */
static char rx_line[32];
static uint32_t rx_len;


/* returns 1 and *total when an "S <total>" line completed */
static int poll_host(uint32_t *total)
{
    int c;
    while ((c = usart3_try_getc()) >= 0) {
        if (c == '\r') {
            continue;
        }
        if (c != '\n') {
            if (rx_len < sizeof rx_line - 1U) {
                rx_line[rx_len++] = (char)c;
            }
            continue;
        }
        rx_line[rx_len] = '\0';
        rx_len = 0;
        if (rx_line[0] == 'S' && rx_line[1] == ' ') {
            *total = (uint32_t)strtoul(rx_line + 2, NULL, 10);
            return 1;
        }
        putline("# ignored line: %s\n", rx_line);
    }
    return 0;
}

int main(void)
{
    crc32_init();
    usart3_init(115200);
    putline("# audio_loopback: %u Hz, %u-sample blocks, buffer 0x%08lx\n", AUDIO_IN_RATE_HZ,
            HALF_LEN, (unsigned long)(uintptr_t)audio_buf);
    if (audio_in_start(audio_buf, HALF_LEN, NULL) != 0) {
        putline("# audio_in_start failed\n");
        usart3_flush();
        return 2;
    }

    uint32_t total = 0;
    int have_total = 0;
    for (;;) {
        const int16_t *s;
        uint32_t n, index;
        while (audio_in_get(&s, &n, &index)) {
            emit_block(index, s, n);
            if (audio_in_release()) {
                putline("# block %lu was overwritten while read\n", (unsigned long)index);
            }
        }
        if (!have_total) {
            have_total = poll_host(&total);
        }
        if (have_total && !audio_in_pending()) {
            break;
        }
        /* sleep until a DMA block or a USART byte: check with interrupts masked so a wake-up
         * between the check and WFI is not lost (a pending IRQ still ends WFI) */
        __disable_irq();
        if (!have_total && !audio_in_pending() && !usart3_rx_pending()) {
            __WFI();
        }
        __enable_irq();
        __ISB();
    }

    int ok = 1;
    uint32_t tail_n = 0;
    const uint32_t blocks = audio_in_blocks();
    const int16_t *tail = audio_in_tail(total, &tail_n);
    if (tail == NULL) {
        putline("# tail: host total %lu does not match %lu blocks + NDTR position %lu\n",
                (unsigned long)total, (unsigned long)blocks,
                (unsigned long)audio_in_position());
        ok = 0;
    } else if (tail_n > 0U) {
        emit_block(blocks, tail, tail_n);
    }
    const uint32_t position = audio_in_position();
    audio_in_stop();
    putline("T %lu %lld %08lx\n", (unsigned long)g_samples, (long long)g_sum,
            (unsigned long)g_crc);
    putline("# overruns=%lu dma_errors=%lu lost=%lu late=%lu position=%lu\n",
            (unsigned long)audio_in_overruns(), (unsigned long)audio_in_dma_errors(),
            (unsigned long)audio_in_lost_blocks(), (unsigned long)audio_in_late_blocks(),
            (unsigned long)position);
    if (g_samples != total || audio_in_overruns() || audio_in_dma_errors() ||
        audio_in_lost_blocks() || audio_in_late_blocks()) {
        ok = 0;
    }
    usart3_flush();
    return ok ? 0 : 1;
}
