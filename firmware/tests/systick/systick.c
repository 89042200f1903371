/*
 * systick - SysTick at 1 kHz from the 400 MHz processor clock, WFI between ticks.
 *
 * Setup: SYST_RVR (0xE000E014) = 399999, SYST_CVR (0xE000E018) = 0,
 *        SHPR3 SysTick priority (0xE000ED23) = 0x80,
 *        SYST_CSR (0xE000E010) = CLKSOURCE | TICKINT | ENABLE = 0x7.
 * main sleeps with WFI (PRIMASK set around check+WFI) until SysTick_Handler has run 10 times, then sets
 * SYST_CSR = 0.
 *
 * Expected observable behaviour (simulator):
 *   Semihosting stdout:
 *     "systick: reload=399999 (1 kHz at 400000000 Hz)"
 *     "systick: ticks=10 wakeups=<W> cycles=<C>"
 *     "systick: PASS"
 *   W = number of WFI executions (10 when every tick wakes the core once, >= 10 allowed).
 *   C = DWT CYCCNT from SysTick enable to after the 10th tick. With CYCCNT counting through
 *   sleep (as on silicon with DBGMCU_CR.DBGSLEEP_D1=1, the usual debugger setup) it is about
 *   10 * 400000 = 4,000,000 (+ a few hundred). On silicon without the debug bit the CPU
 *   clock stops in Sleep and CYCCNT only counts the awake cycles (a few thousand).
 *   The firmware does not check C (it depends on that choice); it checks ticks == 10.
 *   Exit: status 0 (1 if the tick count is wrong).
 */
#include <stdio.h>
#include <stdint.h>
#include "dwt.h"
#include "stm32h743_regs.h"
#include "system.h"

static volatile uint32_t ticks;

void SysTick_Handler(void)
{
    ticks++;
}

int main(void)
{
    const uint32_t hz = system_core_clock_hz();
    const uint32_t reload = hz / 1000U - 1U;
    printf("systick: reload=%lu (1 kHz at %lu Hz)\n", (unsigned long)reload, (unsigned long)hz);

    dwt_init();
    SysTick->CTRL = 0;
    SysTick->LOAD = reload;
    SysTick->VAL = 0;
    SCB->SHPR[SHPR_IDX_SYSTICK] = 0x80;

    uint32_t wakeups = 0;
    const uint32_t t0 = dwt_cycles();
    /* Check-then-sleep with PRIMASK set so a tick between the check and the WFI cannot be
     * missed (WFI still wakes on a pending interrupt; it is taken after cpsie). */
    __disable_irq();
    SysTick->CTRL = SysTick_CTRL_CLKSOURCE | SysTick_CTRL_TICKINT | SysTick_CTRL_ENABLE;
    while (ticks < 10U) {
        __WFI();
        wakeups++;
        __enable_irq();
        __ISB();
        __disable_irq();
    }
    const uint32_t t1 = dwt_cycles();
    const uint32_t n = ticks;
    SysTick->CTRL = 0;
    SCB->ICSR = (1UL << 25);   /* PENDSTCLR: drop a tick that may have become pending */
    __enable_irq();
    printf("systick: ticks=%lu wakeups=%lu cycles=%lu\n",
           (unsigned long)n, (unsigned long)wakeups, (unsigned long)(t1 - t0));
    if (n != 10U) {
        printf("systick: FAIL\n");
        return 1;
    }
    printf("systick: PASS\n");
    return 0;
}
