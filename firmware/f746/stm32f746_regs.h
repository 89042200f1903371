/*
 * stm32f746_regs.h - the few STM32F746 registers this tree's F7 startup, SystemInit and
 * USART driver use (RM0385 Rev 8; addresses from section 2.2.2 Table 1).
 */
#ifndef STM32F746_REGS_H
#define STM32F746_REGS_H

#include <stdint.h>

#define REG32(addr) (*(volatile uint32_t *)(addr))

/* RCC (RM0385 5.3), base 0x4002 3800 */
#define RCC_BASE        0x40023800UL
#define RCC_CR          REG32(RCC_BASE + 0x00)
#define RCC_PLLCFGR     REG32(RCC_BASE + 0x04)
#define RCC_CFGR        REG32(RCC_BASE + 0x08)
#define RCC_AHB1ENR     REG32(RCC_BASE + 0x30)
#define RCC_APB1ENR     REG32(RCC_BASE + 0x40)
#define RCC_DCKCFGR2    REG32(RCC_BASE + 0x90)
#define RCC_CR_HSEON        (1UL << 16)
#define RCC_CR_HSERDY       (1UL << 17)
#define RCC_CR_HSEBYP       (1UL << 18)
#define RCC_CR_PLLON        (1UL << 24)
#define RCC_CR_PLLRDY       (1UL << 25)
#define RCC_PLLCFGR_PLLSRC_HSE (1UL << 22)
#define RCC_CFGR_SW_MSK     (3UL << 0)
#define RCC_CFGR_SW_PLL     (2UL << 0)
#define RCC_CFGR_SWS_MSK    (3UL << 2)
#define RCC_CFGR_SWS_PLL    (2UL << 2)
#define RCC_AHB1ENR_GPIODEN (1UL << 3)
#define RCC_APB1ENR_USART3EN (1UL << 18)
#define RCC_APB1ENR_PWREN   (1UL << 28)

/* PWR (RM0385 4.4), base 0x4000 7000 */
#define PWR_BASE        0x40007000UL
#define PWR_CR1         REG32(PWR_BASE + 0x00)
#define PWR_CSR1        REG32(PWR_BASE + 0x04)
#define PWR_CR1_VOS_MSK     (3UL << 14)
#define PWR_CR1_VOS_SCALE1  (3UL << 14)
#define PWR_CR1_ODEN        (1UL << 16)
#define PWR_CR1_ODSWEN      (1UL << 17)
#define PWR_CSR1_ODRDY      (1UL << 16)
#define PWR_CSR1_ODSWRDY    (1UL << 17)

/* FLASH interface (RM0385 3.7), base 0x4002 3C00 */
#define FLASH_ACR       REG32(0x40023C00UL)
#define FLASH_ACR_LATENCY_MSK 0xFUL
#define FLASH_ACR_PRFTEN    (1UL << 8)
#define FLASH_ACR_ARTEN     (1UL << 9)

/* GPIOD (RM0385 6.4), base 0x4002 0C00 */
#define GPIOD_BASE      0x40020C00UL
#define GPIOD_MODER     REG32(GPIOD_BASE + 0x00)
#define GPIOD_AFRH      REG32(GPIOD_BASE + 0x24)

/* USART3 (RM0385 34.8), base 0x4000 4800 */
#define USART3_BASE     0x40004800UL
#define USART3_CR1      REG32(USART3_BASE + 0x00)
#define USART3_BRR      REG32(USART3_BASE + 0x0C)
#define USART3_ISR      REG32(USART3_BASE + 0x1C)
#define USART3_ICR      REG32(USART3_BASE + 0x20)
#define USART3_RDR      REG32(USART3_BASE + 0x24)
#define USART3_TDR      REG32(USART3_BASE + 0x28)
#define USART_CR1_UE        (1UL << 0)
#define USART_CR1_RE        (1UL << 2)
#define USART_CR1_TE        (1UL << 3)
#define USART_ISR_ORE       (1UL << 3)
#define USART_ISR_RXNE      (1UL << 5)
#define USART_ISR_TC        (1UL << 6)
#define USART_ISR_TXE       (1UL << 7)
#define USART_ICR_ORECF     (1UL << 3)

#endif /* STM32F746_REGS_H */
