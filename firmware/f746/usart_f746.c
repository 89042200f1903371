/*
 * usart_f746.c - USART3 on the NUCLEO-F746ZG (PD8 TX, PD9 RX, AF7: UM1974, DS10916 Table 12),
 * polled, with the API of common/usart.h.
 *
 * usart3_init(baud):
 *   RCC_AHB1ENR (0x40023830) |= GPIODEN (b3), read back
 *   RCC_APB1ENR (0x40023840) |= USART3EN (b18), read back
 *   RCC_DCKCFGR2 (0x40023890) USART3SEL[5:4] = 00 (APB1 clock)
 *   GPIOD_MODER (0x40020C00) pins 8, 9 = 10 (AF); GPIOD_AFRH (0x40020C24) AFR8 = AFR9 = 7
 *   USART3_BRR (0x4000480C) = pclk1 / baud (16x oversampling), CR1 = UE | TE | RE
 */
#include "usart.h"
#include "stm32f746_regs.h"
#include "system.h"

static uint32_t overruns;

void usart3_init(uint32_t baud)
{
    RCC_AHB1ENR |= RCC_AHB1ENR_GPIODEN;
    (void)RCC_AHB1ENR;
    RCC_APB1ENR |= RCC_APB1ENR_USART3EN;
    (void)RCC_APB1ENR;
    RCC_DCKCFGR2 &= ~(3UL << 4);
    GPIOD_MODER = (GPIOD_MODER & ~(0xFUL << 16)) | (0xAUL << 16);
    GPIOD_AFRH = (GPIOD_AFRH & ~0xFFUL) | 0x77UL;
    USART3_CR1 = 0;
    USART3_BRR = (system_pclk1_hz() + baud / 2U) / baud;
    USART3_CR1 = USART_CR1_UE | USART_CR1_TE | USART_CR1_RE;
}

void usart3_putc(char c)
{
    while ((USART3_ISR & USART_ISR_TXE) == 0U) {
    }
    USART3_TDR = (uint8_t)c;
}

void usart3_puts(const char *s)
{
    for (; *s; s++) {
        if (*s == '\n') {
            usart3_putc('\r');
        }
        usart3_putc(*s);
    }
}

void usart3_flush(void)
{
    while ((USART3_ISR & USART_ISR_TC) == 0U) {
    }
}

int usart3_rx_pending(void)
{
    return (USART3_ISR & USART_ISR_RXNE) != 0U;
}

int usart3_try_getc(void)
{
    if (USART3_ISR & USART_ISR_ORE) {
        USART3_ICR = USART_ICR_ORECF;
        overruns++;
    }
    return usart3_rx_pending() ? (int)(USART3_RDR & 0xFFU) : -1;
}

int usart3_getc(void)
{
    int c;
    while ((c = usart3_try_getc()) < 0) {
    }
    return c;
}

uint32_t usart3_overruns(void)
{
    return overruns;
}

void usart3_set_tx_async(int on)
{
    (void)on;                               /* polled only on this board */
}
