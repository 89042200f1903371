/*
 * system_f746.c - STM32F746 clock setup (NUCLEO-F746ZG): HSE 8 MHz (ST-LINK MCO, bypass) ->
 * PLL -> 216 MHz, as on silicon (RM0385 section 5; over-drive: section 4.1.4).
 *
 * Register sequence of SystemInit() from reset, in program order:
 *  1. RCC_APB1ENR (0x40023840) |= PWREN (b28), read back.
 *     PWR_CR1 (0x40007000) VOS[15:14] = 11 (scale 1; also the reset value).
 *  2. RCC_CR (0x40023800) |= HSEBYP (b18) | HSEON (b16); poll HSERDY (b17).
 *  3. RCC_PLLCFGR (0x40023804) = PLLSRC HSE (b22) | PLLM 4 | PLLN 216 << 6 | PLLP /2 (00)
 *     | PLLQ 9 << 24: VCO input 2 MHz, VCO 432 MHz, P 216 MHz, Q 48 MHz.
 *     RCC_CR |= PLLON (b24); poll PLLRDY (b25).
 *  4. Over-drive (RM0385 4.1.4): PWR_CR1 |= ODEN (b16), poll PWR_CSR1 ODRDY (b16);
 *     PWR_CR1 |= ODSWEN (b17), poll ODSWRDY (b17).
 *  5. FLASH_ACR (0x40023C00) = LATENCY 7 | PRFTEN | ARTEN, read back until LATENCY is 7
 *     (RM0385 Table 5: 7 wait states for 210 < HCLK <= 216 MHz at 2.7-3.6 V).
 *  6. RCC_CFGR (0x40023808): HPRE /1, PPRE1 /4 (101 at b12:10), PPRE2 /2 (100 at b15:13),
 *     then SW = PLL (10); poll SWS = PLL (10).
 *  Result: core and HCLK 216 MHz, APB1 54 MHz, APB2 108 MHz.
 */
#include "system.h"
#include "stm32f746_regs.h"

#define HSI_HZ 16000000UL     /* RM0385 5.2.2 */
#define HSE_HZ 8000000UL      /* NUCLEO-F746ZG: 8 MHz MCO from the ST-LINK (UM1974) */

uint32_t SystemCoreClock = HSI_HZ;

static const uint8_t ahb_shift[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 6, 7, 8, 9 };
static const uint8_t apb_shift[8] = { 0, 0, 0, 0, 1, 2, 3, 4 };

uint32_t system_core_clock_hz(void)
{
    uint32_t sys;
    switch ((RCC_CFGR & RCC_CFGR_SWS_MSK) >> 2) {
    case 1U:
        sys = HSE_HZ;
        break;
    case 2U: {
        const uint32_t cfg = RCC_PLLCFGR;
        const uint32_t src = (cfg & RCC_PLLCFGR_PLLSRC_HSE) ? HSE_HZ : HSI_HZ;
        const uint32_t m = cfg & 0x3FU, n = (cfg >> 6) & 0x1FFU, p = (((cfg >> 16) & 3U) + 1U) * 2U;
        sys = src / m * n / p;
        break;
    }
    default:
        sys = HSI_HZ;
        break;
    }
    return sys >> ahb_shift[(RCC_CFGR >> 4) & 0xFU];
}

uint32_t system_hclk_hz(void)
{
    return system_core_clock_hz();          /* the core runs at HCLK on the F7 */
}

uint32_t system_pclk1_hz(void)
{
    return system_hclk_hz() >> apb_shift[(RCC_CFGR >> 10) & 7U];
}

int system_clock_config(uint32_t cpu_hz)
{
    if (cpu_hz != 216000000UL) {
        return -1;                          /* only the 216 MHz operating point here */
    }
    RCC_APB1ENR |= RCC_APB1ENR_PWREN;
    (void)RCC_APB1ENR;
    PWR_CR1 = (PWR_CR1 & ~PWR_CR1_VOS_MSK) | PWR_CR1_VOS_SCALE1;

    RCC_CR |= RCC_CR_HSEBYP | RCC_CR_HSEON;
    while ((RCC_CR & RCC_CR_HSERDY) == 0U) {
    }
    RCC_PLLCFGR = RCC_PLLCFGR_PLLSRC_HSE | 4U | (216U << 6) | (0U << 16) | (9U << 24);
    RCC_CR |= RCC_CR_PLLON;
    while ((RCC_CR & RCC_CR_PLLRDY) == 0U) {
    }

    PWR_CR1 |= PWR_CR1_ODEN;
    while ((PWR_CSR1 & PWR_CSR1_ODRDY) == 0U) {
    }
    PWR_CR1 |= PWR_CR1_ODSWEN;
    while ((PWR_CSR1 & PWR_CSR1_ODSWRDY) == 0U) {
    }

    FLASH_ACR = 7U | FLASH_ACR_PRFTEN | FLASH_ACR_ARTEN;
    while ((FLASH_ACR & FLASH_ACR_LATENCY_MSK) != 7U) {
    }

    RCC_CFGR = (RCC_CFGR & ~((0xFUL << 4) | (7UL << 10) | (7UL << 13))) | (5UL << 10) | (4UL << 13);
    RCC_CFGR = (RCC_CFGR & ~RCC_CFGR_SW_MSK) | RCC_CFGR_SW_PLL;
    while ((RCC_CFGR & RCC_CFGR_SWS_MSK) != RCC_CFGR_SWS_PLL) {
    }
    SystemCoreClock = system_core_clock_hz();
    return 0;
}

void SystemInit(void)
{
    (void)system_clock_config(216000000UL);
}
