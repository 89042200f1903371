/*
 * sai_dma.h - audio capture: SAI1 block A (master receiver, 16 kHz mono 16-bit) -> DMAMUX1
 * request 87 -> DMA1 stream 0 (circular, half/complete interrupts) -> a ping-pong buffer in
 * AXI SRAM. Written for the NUCLEO-H743ZI (RM0433 Rev 8); runs unchanged in the simulator.
 *
 * Clocking: PLL3 from HSI (64 MHz / DIVM3 25 = 2.56 MHz, x N 80 = 204.8 MHz VCO, / P 25 =
 * 8.192 MHz) -> SAI1 kernel clock (D2CCIP1R.SAI1SEL = pll3_p); SAI MCKDIV = 2, 256 x oversampling:
 * fs = 8.192 MHz / (2 * 256) = 16 kHz exactly. PLL3 is independent of PLL1, so the CPU clock
 * (SystemInit 400 MHz, or HSI 64 MHz) does not change the sample rate.
 *
 * Two ways to consume blocks (a block = one half of the buffer = half_len samples):
 *   - callback: on_half(samples, n) is called from the DMA1_Stream0 interrupt (keep it short);
 *   - queue:    on_half = NULL; the main loop calls audio_in_get() / audio_in_release().
 *     The ISR only counts; a consumer that falls more than one block behind loses blocks
 *     (counted in audio_in_lost_blocks(), the oldest ones are skipped).
 * Either way the D-cache lines of a half are invalidated (DCIMVAC) right before it is handed
 * to the consumer, so the CPU never reads stale cached data over what the DMA wrote.
 *
 * End of the stream: the SAI keeps running but no samples arrive, so no further HT/TC comes.
 * When the host says how many samples it sent (USART "S <total>"), audio_in_tail() returns
 * the final partial block (samples after the last full half), checked against NDTR.
 *
 * SAI overruns (FIFO full because nothing drained it: OVRUDR) raise the SAI1 interrupt (IRQ 87)
 * and are counted in audio_in_overruns() (one count per overrun event: the flag is cleared in
 * the handler, the next lost word sets it again).
 */
#ifndef SAI_DMA_H
#define SAI_DMA_H

#include <stdint.h>

#define AUDIO_IN_RATE_HZ 16000U

typedef void (*audio_in_cb)(const int16_t *samples, uint32_t n);

/*
 * Start capturing into buf[0 .. 2*half_len). buf must be in AXI SRAM or SRAM1-4 (the D2 DMA
 * cannot reach the TCMs), 32-byte aligned, and half_len a multiple of 16 (whole cache lines),
 * 2*half_len <= 65535. Returns 0, or -1 on a bad argument (nothing started).
 */
int audio_in_start(int16_t *buf, uint32_t half_len, audio_in_cb on_half);

/*
 * Same clocks and SAI configuration, but no DMA (SAI DMAEN = 0): the CPU must read every
 * sample from SAI1_ADR itself with audio_in_read_polled(). Exists for tests and bring-up; a
 * CPU that stops reading for more than 8 samples (0.5 ms) makes the FIFO overrun.
 */
int audio_in_start_polled(void);
/* Blocking read of n samples from the SAI FIFO (SAI_ASR.FLVL; sleeps in WFI until the FIFO
 * holds 2 words when it is empty: FTH = 1/4, FREQIE). */
void audio_in_read_polled(int16_t *dst, uint32_t n);

void audio_in_stop(void);

/* Queue mode: 1 and the oldest unconsumed block if one is ready, 0 otherwise. index counts
 * blocks from 0 since audio_in_start. */
int audio_in_get(const int16_t **samples, uint32_t *n, uint32_t *index);
/* Done with the block returned by audio_in_get(). Returns 0, or 1 if the DMA had already
 * started to overwrite it (the consumer was late; counted in audio_in_late_blocks()). */
int audio_in_release(void);
/* Nonzero when a block is waiting (cheap; for the check before WFI). */
int audio_in_pending(void);

/* Sample index in buf where the DMA writes next (0 .. 2*half_len-1), from DMA1_S0NDTR. */
uint32_t audio_in_position(void);

/*
 * The final partial block after the host reported total_samples: *n samples starting at the
 * returned pointer (D-cache invalidated). All full blocks must have been consumed first.
 * Returns NULL (and *n = 0) if total_samples does not match what the DMA received (e.g.
 * blocks were lost, or total is smaller than what was already delivered).
 */
const int16_t *audio_in_tail(uint32_t total_samples, uint32_t *n);

uint32_t audio_in_blocks(void);        /* full blocks completed by the DMA (HT + TC) */
uint32_t audio_in_overruns(void);      /* SAI OVRUDR events */
uint32_t audio_in_dma_errors(void);    /* DMA TEIF / FEIF / DMEIF events */
uint32_t audio_in_lost_blocks(void);   /* queue mode: blocks skipped, consumer too slow */
uint32_t audio_in_late_blocks(void);   /* queue mode: blocks partly overwritten while in use */

#endif /* SAI_DMA_H */
