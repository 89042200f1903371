/*
 * power_stop - Stop mode at one SVOS level with the flash on or off, woken by the RTC wakeup
 * timer (tests/test_power_stop.py checks the modelled Stop current against DS12110 and the
 * machine's Stop semantics).
 *
 * Build variants (Makefile): -DSVOS=3|4|5, -DFLASH_OFF=0|1.
 *  1. 400 MHz (VOS1) from PLL1 (system_clock_config), SysTick at 1 kHz counting `ticks`.
 *  2. RTC from LSI (32 kHz): RCC_CSR.LSION, RCC_BDCR.RTCSEL = LSI, RTCEN; wakeup timer
 *     WUT = 39 at RTCCLK/16 -> 40 x 0.5 ms = 20 ms; WUTIE; EXTI input 19 rising edge,
 *     CPUIMR1 bit 19; NVIC RTC_WKUP (3).
 *  3. PWR_CR1: SVOS (01 SVOS5, 10 SVOS4, 11 SVOS3), LPDS = 1, FLPS = FLASH_OFF;
 *     PWR_CPUCR: PDDS_D1..D3 = 0, CSSF; SCB_SCR.SLEEPDEEP; RTC_CR.WUTE; WFI.
 *  4. After the wake-up (RTC_WKUP_IRQHandler ran): prints the core clock before the firmware
 *     touches the RCC (HSI: 64000000), SysTick ticks counted across Stop, STOPF, then re-inits
 *     400 MHz and prints the clock again.
 * Expected semihosting output:
 *   "power_stop: svos=<S> flash_off=<F> stop_ms=20"
 *   "power_stop: woke=1 clock_after=64000000 ticks_during_stop=<0|1> stopf=1"
 *   "power_stop: reinit clock=400000000"
 *   "power_stop: PASS"  (exit 0; 1 if a check fails)
 */
#include <stdio.h>
#include <stdint.h>
#include "stm32h743_regs.h"
#include "system.h"
#include "lowpower.h"

#ifndef SVOS
#define SVOS 3
#endif
#ifndef FLASH_OFF
#define FLASH_OFF 0
#endif
#define WUT 39U                      /* 40 periods of 32 kHz / 16 = 20 ms */

static volatile uint32_t ticks;
static volatile uint32_t woke;

void SysTick_Handler(void) { ticks++; }

void RTC_WKUP_IRQHandler(void)
{
    rtc_wakeup_clear();
    woke++;
}

static void rtc_from_lsi(void)
{
    RCC->APB4ENR |= RCC_APB4ENR_RTCAPBEN;
    RCC->CSR |= RCC_CSR_LSION;
    while ((RCC->CSR & RCC_CSR_LSIRDY) == 0U) {
    }
    rtc_unlock();                                  /* also sets PWR_CR1.DBP for RCC_BDCR */
    RCC->BDCR = (RCC->BDCR & ~RCC_BDCR_RTCSEL_MSK) | (2UL << RCC_BDCR_RTCSEL_POS) | RCC_BDCR_RTCEN;
    rtc_wakeup_config(WUT);
    EXTI_RTSR1 |= 1UL << RTC_WKUP_EXTI_LINE;
    EXTI_CPUIMR1 |= 1UL << RTC_WKUP_EXTI_LINE;
    NVIC->ISER[0] = 1UL << RTC_WKUP_IRQn;
}

int main(void)
{
    int fail = 0;
    if (system_clock_config(400000000UL) != 0) {
        return 2;
    }
    SysTick->LOAD = 400000U - 1U;                  /* 1 kHz at 400 MHz */
    SysTick->VAL = 0;
    SysTick->CTRL = SysTick_CTRL_CLKSOURCE | SysTick_CTRL_TICKINT | SysTick_CTRL_ENABLE;
    rtc_from_lsi();
    printf("power_stop: svos=%d flash_off=%d stop_ms=%lu\n", SVOS, FLASH_OFF,
           (unsigned long)((WUT + 1U) * 16U * 1000U / 32000U));

    const uint32_t svos_bits = SVOS == 5 ? 1U : SVOS == 4 ? 2U : 3U;
    PWR->CR1 = (PWR->CR1 & ~(PWR_CR1_SVOS_MSK | PWR_CR1_FLPS))
             | (svos_bits << PWR_CR1_SVOS_POS) | PWR_CR1_LPDS | (FLASH_OFF ? PWR_CR1_FLPS : 0U);
    PWR->CPUCR = (PWR->CPUCR & ~(PWR_CPUCR_PDDS_D1 | PWR_CPUCR_PDDS_D2 | PWR_CPUCR_PDDS_D3))
               | PWR_CPUCR_CSSF;
    SCB->SCR |= SCB_SCR_SLEEPDEEP;

    const uint32_t ticks_before = ticks;
    RTC->CR |= RTC_CR_WUTE;
    __DSB();
    __WFI();
    const uint32_t ticks_after = ticks;            /* the wake-up ISR has run */
    const uint32_t clock_after = system_core_clock_hz();
    SCB->SCR &= ~SCB_SCR_SLEEPDEEP;
    RTC->CR &= ~RTC_CR_WUTE;
    const uint32_t stopf = (PWR->CPUCR & PWR_CPUCR_STOPF) ? 1U : 0U;
    printf("power_stop: woke=%lu clock_after=%lu ticks_during_stop=%lu stopf=%lu\n",
           (unsigned long)woke, (unsigned long)clock_after,
           (unsigned long)(ticks_after - ticks_before), (unsigned long)stopf);
    fail |= woke != 1U || clock_after != 64000000UL || stopf != 1U
            || ticks_after - ticks_before > 1U;

    if (system_clock_config(400000000UL) != 0) {
        return 2;
    }
    printf("power_stop: reinit clock=%lu\n", (unsigned long)system_core_clock_hz());
    fail |= system_core_clock_hz() != 400000000UL;
    SysTick->CTRL = 0;
    printf("power_stop: %s\n", fail ? "FAIL" : "PASS");
    return fail;
}
