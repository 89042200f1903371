/*
 * power_standby - Standby mode, woken by the RTC wakeup timer; the wake-up is a reset
 * (tests/test_power_stop.py).
 *
 * First boot (PWR_CPUCR.SBF = 0):
 *  1. LSE on with its ready interrupt (RCC_CIER.LSERDYIE, NVIC RCC = 5): the core sleeps in
 *     WFI through the crystal start-up instead of polling LSERDY.
 *  2. RTC from LSE (RCC_BDCR.RTCSEL = 01, RTCEN), wakeup timer WUT = 204 at RTCCLK/16
 *     (2048 Hz) -> 205 / 2048 s = 100.1 ms, WUTIE.
 *  3. Writes MARK into SRAM4 (0x38000000): Standby must lose it.
 *  4. PWR_CPUCR: PDDS_D1 | PDDS_D2 | PDDS_D3, CSSF; SCB_SCR.SLEEPDEEP; RTC_CR.WUTE; WFI.
 * After the reset (SBF = 1): checks that SRAM4 lost MARK and that the RTC kept its settings
 * (backup domain), clears the flags (CSSF) and exits.
 * Expected semihosting output (second boot only; the first prints "entering standby"):
 *   "power_standby: entering standby"
 *   "power_standby: woke from standby sbf=1 sram4_kept=0 rtc_wutr=204"
 *   "power_standby: PASS" (exit 0; 1 if a check fails; 3 if WFI ever returns)
 */
#include <stdio.h>
#include <stdint.h>
#include "stm32h743_regs.h"
#include "system.h"
#include "lowpower.h"

#define WUT 204U
#define MARK 0x5EA50FF5UL
#define SRAM4_WORD (*(volatile uint32_t *)0x38000000UL)

void RCC_IRQHandler(void)
{
    RCC->CICR = RCC_CICR_LSERDYC;
}

int main(void)
{
    if (PWR->CPUCR & PWR_CPUCR_SBF) {
        const uint32_t kept = SRAM4_WORD == MARK;
        const uint32_t wutr = RTC->WUTR;
        printf("power_standby: woke from standby sbf=1 sram4_kept=%lu rtc_wutr=%lu\n",
               (unsigned long)kept, (unsigned long)wutr);
        PWR->CPUCR |= PWR_CPUCR_CSSF;
        const int fail = kept || wutr != WUT || (PWR->CPUCR & PWR_CPUCR_SBF);
        printf("power_standby: %s\n", fail ? "FAIL" : "PASS");
        return fail;
    }
    PWR->CR1 |= PWR_CR1_DBP;
    RCC->APB4ENR |= RCC_APB4ENR_RTCAPBEN;
    RCC->CIER |= RCC_CIER_LSERDYIE;
    NVIC->ISER[0] = 1UL << RCC_IRQn;
    RCC->BDCR |= RCC_BDCR_LSEON;
    __disable_irq();
    while ((RCC->BDCR & RCC_BDCR_LSERDY) == 0U) {
        __WFI();                                   /* wakes on the LSERDY interrupt */
        __enable_irq();
        __disable_irq();
    }
    __enable_irq();
    RCC->BDCR = (RCC->BDCR & ~RCC_BDCR_RTCSEL_MSK) | (1UL << RCC_BDCR_RTCSEL_POS) | RCC_BDCR_RTCEN;
    rtc_unlock();
    rtc_wakeup_config(WUT);
    SRAM4_WORD = MARK;
    printf("power_standby: entering standby\n");
    PWR->CPUCR |= PWR_CPUCR_PDDS_D1 | PWR_CPUCR_PDDS_D2 | PWR_CPUCR_PDDS_D3 | PWR_CPUCR_CSSF;
    SCB->SCR |= SCB_SCR_SLEEPDEEP;
    RTC->CR |= RTC_CR_WUTE;
    __DSB();
    __WFI();
    printf("power_standby: WFI returned\n");
    return 3;
}
