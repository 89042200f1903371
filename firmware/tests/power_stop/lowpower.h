/*
 * lowpower.h - registers for Stop/Standby and the RTC wakeup timer (RM0433 Rev 8), shared by
 * power_stop.c and power_standby.c. Only what these tests use.
 */
#ifndef LOWPOWER_H
#define LOWPOWER_H

#include <stdint.h>
#include "stm32h743_regs.h"

/* PWR_CR1 (RM0433 6.8.1) */
#define PWR_CR1_LPDS        (1UL << 0)
#define PWR_CR1_DBP         (1UL << 8)
#define PWR_CR1_FLPS        (1UL << 9)
#define PWR_CR1_SVOS_POS    14U
#define PWR_CR1_SVOS_MSK    (3UL << 14)     /* 01 SVOS5, 10 SVOS4, 11 SVOS3 */
/* PWR_CPUCR (RM0433 6.8.5) */
#define PWR_CPUCR_PDDS_D1   (1UL << 0)
#define PWR_CPUCR_PDDS_D2   (1UL << 1)
#define PWR_CPUCR_PDDS_D3   (1UL << 2)
#define PWR_CPUCR_STOPF     (1UL << 5)
#define PWR_CPUCR_SBF       (1UL << 6)
#define PWR_CPUCR_CSSF      (1UL << 9)

/* RCC (RM0433 8.7.2, 8.7.22-8.7.26) */
#define RCC_CR_PLL1ON_BIT   (1UL << 24)
#define RCC_CIER_LSERDYIE   (1UL << 1)
#define RCC_CICR_LSERDYC    (1UL << 1)
#define RCC_BDCR_LSEON      (1UL << 0)
#define RCC_BDCR_LSERDY     (1UL << 1)
#define RCC_BDCR_RTCSEL_POS 8U
#define RCC_BDCR_RTCSEL_MSK (3UL << 8)      /* 01 LSE, 10 LSI */
#define RCC_BDCR_RTCEN      (1UL << 15)
#define RCC_CSR_LSION       (1UL << 0)
#define RCC_CSR_LSIRDY      (1UL << 1)
#define RCC_APB4ENR_RTCAPBEN (1UL << 16)
#define RCC_IRQn            5

/* RTC 0x58004000 (RM0433 46.6) */
typedef struct {
    __IO uint32_t TR, DR, CR, ISR, PRER, WUTR;   /* 0x00..0x14 */
    uint32_t      RES0;                          /* 0x18 */
    __IO uint32_t ALRMAR, ALRMBR, WPR;           /* 0x1C..0x24 */
} RTC_TypeDef;
#define RTC ((RTC_TypeDef *)0x58004000UL)
#define RTC_CR_WUCKSEL_MSK  (7UL << 0)          /* 000: RTCCLK/16 */
#define RTC_CR_WUTE         (1UL << 10)
#define RTC_CR_WUTIE        (1UL << 14)
#define RTC_ISR_WUTWF       (1UL << 2)
#define RTC_ISR_INIT        (1UL << 7)
#define RTC_ISR_WUTF        (1UL << 10)
#define RTC_WKUP_IRQn       3
#define RTC_WKUP_EXTI_LINE  19U                 /* RM0433 Table 90 */

/* EXTI 0x58000000 (RM0433 20.6) */
#define EXTI_RTSR1   (*(__IO uint32_t *)0x58000000UL)
#define EXTI_CPUIMR1 (*(__IO uint32_t *)0x58000080UL)
#define EXTI_CPUPR1  (*(__IO uint32_t *)0x58000088UL)

#define SCB_SCR_SLEEPDEEP (1UL << 2)

/* Unlock the RTC (backup domain write access, then the WPR key sequence, RM0433 46.3.8). */
static inline void rtc_unlock(void)
{
    PWR->CR1 |= PWR_CR1_DBP;
    RTC->WPR = 0xCAU;
    RTC->WPR = 0x53U;
}

/* Program the wakeup timer: WUT + 1 periods of RTCCLK/16, interrupt on, not yet enabled. */
static inline void rtc_wakeup_config(uint32_t wut)
{
    RTC->CR &= ~RTC_CR_WUTE;
    while ((RTC->ISR & RTC_ISR_WUTWF) == 0U) {
    }
    RTC->WUTR = wut;
    RTC->CR = (RTC->CR & ~RTC_CR_WUCKSEL_MSK) | RTC_CR_WUTIE;   /* WUCKSEL = 000: RTCCLK/16 */
    RTC->ISR = ~(RTC_ISR_WUTF | RTC_ISR_INIT);                  /* clear WUTF (rc_w0) */
}

/* Clear the wakeup flags in the RTC and in the EXTI (RM0433 46.3.6 and 20.6.21). */
static inline void rtc_wakeup_clear(void)
{
    RTC->ISR = ~(RTC_ISR_WUTF | RTC_ISR_INIT);
    EXTI_CPUPR1 = 1UL << RTC_WKUP_EXTI_LINE;
}

#endif
