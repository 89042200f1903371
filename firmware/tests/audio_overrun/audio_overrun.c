/*
 * audio_overrun.c - an under-powered capture that must overrun the SAI FIFO.
 *
 * The core is put back on the 64 MHz HSI (PLL1 off; AHB 32 MHz, APB1 16 MHz, USART3 BRR
 * recomputed by usart3_init), SAI1 block A is started at 16 kHz WITHOUT DMA
 * (audio_in_start_polled), and the CPU reads each 256-sample block from SAI1_ADR itself
 * (sleeping in WFI while the FIFO is empty), then spends several ms "processing" it (a
 * 64 k-iteration multiply-accumulate loop) while nobody drains the 8-word FIFO (0.5 ms of
 * audio). Every block therefore loses samples; the SAI sets OVRUDR and the driver's SAI1
 * interrupt counts the events (in the simulator: about 140 lost words per block).
 *
 * USART3 output:
 *   # audio_overrun: core 64000000 Hz, polled SAI, heavy work per block
 *   O <blocks> <overrun events>
 * Exit 0 if overruns were reported (the expected outcome), 1 if none were.
 * The clip must last at least NBLOCKS x (16 ms + work) = about 0.15 s.
 */
#include <stdint.h>
#include <stdio.h>

#include "sai_dma.h"
#include "stm32h743_regs.h"
#include "system.h"
#include "usart.h"

#define BLOCK   256U
#define NBLOCKS 6U
#define WORK_ITERATIONS 65536U

static int16_t block[BLOCK];
static volatile int32_t sink;

static void run_on_hsi(void)
{
    RCC->CFGR = (RCC->CFGR & ~RCC_CFGR_SW_MSK) | RCC_CFGR_SW_HSI;
    while ((RCC->CFGR & RCC_CFGR_SWS_MSK) != RCC_CFGR_SWS_HSI) {
    }
    RCC->CR &= ~RCC_CR_PLL1ON;
    while (RCC->CR & RCC_CR_PLL1RDY) {
    }
    SystemCoreClock = system_core_clock_hz();
}

static void heavy_work(const int16_t *s, uint32_t n)
{
    int32_t acc = 0;
    for (uint32_t i = 0; i < WORK_ITERATIONS; i++) {
        acc += s[i % n] * (int32_t)(i | 1U);
        acc ^= acc >> 3;
    }
    sink = acc;
}

int main(void)
{
    char line[96];
    run_on_hsi();
    usart3_init(115200);
    snprintf(line, sizeof line, "# audio_overrun: core %lu Hz, polled SAI, heavy work per block\n",
             (unsigned long)system_core_clock_hz());
    usart3_puts(line);

    audio_in_start_polled();
    for (uint32_t b = 0; b < NBLOCKS; b++) {
        audio_in_read_polled(block, BLOCK);
        heavy_work(block, BLOCK);
    }
    const uint32_t overruns = audio_in_overruns();
    audio_in_stop();
    snprintf(line, sizeof line, "O %lu %lu\n", (unsigned long)NBLOCKS, (unsigned long)overruns);
    usart3_puts(line);
    usart3_flush();
    return overruns > 0U ? 0 : 1;
}
