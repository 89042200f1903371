/*
 * power_states - puts the chip in one tabulated supply-current state (DS12110 run/sleep
 * tables, summarised in shared/reference/stm32h743.md) for a measurable while, so that the
 * power model can be checked against the datasheet with real firmware (tests/test_power_states.py).
 *
 * Build variants (Makefile): -DMHZ=<100..480> and -DMODE=<n>:
 *   MODE_ITCM         busy loop in ITCM, data in DTCM, caches on     ("code ITCM, data DTCM")
 *   MODE_FLASH_CACHE  the same loop in flash, I- and D-cache on       ("flash, caches on")
 *   MODE_FLASH_NOCACHE the same loop in flash, both caches off        ("flash, caches off")
 *   MODE_SLEEP        WFI, woken by SysTick every millisecond         ("sleep, peripherals off")
 * No peripheral clock is enabled (no USART: output goes through semihosting), as in the
 * datasheet's "peripherals off" columns. Each phase lasts about 2 ms of simulated time.
 * Expected: prints "power_states: done" and exits 0.
 */
#include <stdint.h>
#include <stdio.h>
#include "stm32h743_regs.h"
#include "system.h"

#define MODE_ITCM 1
#define MODE_FLASH_CACHE 2
#define MODE_FLASH_NOCACHE 3
#define MODE_SLEEP 4

#ifndef MHZ
#define MHZ 400
#endif
#ifndef MODE
#define MODE MODE_FLASH_CACHE
#endif

#define SCB_CCR_REG   (*(volatile uint32_t *)0xE000ED14)
#define SCB_CCSIDR    (*(volatile uint32_t *)0xE000ED80)
#define SCB_CSSELR    (*(volatile uint32_t *)0xE000ED84)
#define SCB_DCCISW    (*(volatile uint32_t *)0xE000EF74)
#define SCB_ICIALLU   (*(volatile uint32_t *)0xE000EF50)
#define SYST_CSR      (*(volatile uint32_t *)0xE000E010)
#define SYST_RVR      (*(volatile uint32_t *)0xE000E014)
#define SYST_CVR      (*(volatile uint32_t *)0xE000E018)

volatile uint32_t ticks;
void SysTick_Handler(void) { ticks++; }

static uint32_t data[64];

#define LOOP_BODY(n)                                              \
    uint32_t acc = 0;                                             \
    for (uint32_t i = 0; i < (n); i++) {                          \
        acc += data[i & 63] * 3u + (acc >> 3);                    \
        data[(i + 7) & 63] = acc;                                 \
    }                                                             \
    return acc;

__attribute__((noinline, unused, section(".itcm_text"))) uint32_t loop_itcm(uint32_t n) { LOOP_BODY(n) }
__attribute__((noinline, unused)) uint32_t loop_flash(uint32_t n) { LOOP_BODY(n) }

__attribute__((unused)) static void caches_off(void)
{
    /* Clean and invalidate the D-cache by set/way, then disable both caches (CMSIS order). */
    SCB_CSSELR = 0;
    __asm volatile("dsb");
    uint32_t ccsidr = SCB_CCSIDR;
    uint32_t sets = ((ccsidr >> 13) & 0x7FFF) + 1, ways = ((ccsidr >> 3) & 0x3FF) + 1;
    SCB_CCR_REG &= ~(1u << 16);
    for (uint32_t s = 0; s < sets; s++)
        for (uint32_t w = 0; w < ways; w++)
            SCB_DCCISW = (s << 5) | (w << 30);
    SCB_CCR_REG &= ~(1u << 17);
    SCB_ICIALLU = 0;
    __asm volatile("dsb\n isb");
}

int main(void)
{
    if (system_clock_config(MHZ * 1000000u) != 0) {
        printf("power_states: %d MHz not supported\n", MHZ);
        return 2;
    }
    uint32_t n = (uint32_t)MHZ * 2000u / 8u;     /* about 2 ms at ~4 cycles per iteration */
    (void)n;
    uint32_t r = 0;
#if MODE == MODE_ITCM
    r = loop_itcm(n);
#elif MODE == MODE_FLASH_CACHE
    r = loop_flash(n);
#elif MODE == MODE_FLASH_NOCACHE
    caches_off();
    r = loop_flash(n / 4u);
#elif MODE == MODE_SLEEP
    SYST_RVR = (uint32_t)MHZ * 1000u - 1u;        /* 1 kHz from the processor clock */
    SYST_CVR = 0;
    SYST_CSR = 7;
    while (ticks < 3u)
        __asm volatile("wfi");
    SYST_CSR = 0;
#endif
    printf("power_states: done %lu\n", (unsigned long)r);
    return 0;
}
