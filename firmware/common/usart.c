/*
 * usart.c - USART3 on PD8/PD9 (AF7), see usart.h.
 *
 * Register sequence of usart3_init(115200) at 400 MHz (PCLK1 = 100 MHz):
 *   RCC_AHB4ENR  (0x580244E0) |= GPIODEN (b3), read back
 *   RCC_APB1LENR (0x580244E8) |= USART3EN (b18), read back
 *   RCC_D2CCIP2R (0x58024454) USART234578SEL[2:0] = 000 (pclk1)
 *   GPIOD_MODER  (0x58020C00) pins 8,9 = 10 (AF); OTYPER push-pull; OSPEEDR = 01 (medium);
 *   GPIOD_PUPDR  pin 9 = 01 (pull-up); GPIOD_AFRH (0x58020C24) AFR8 = AFR9 = 7
 *   USART3_CR1   (0x40004800) = 0 (UE off), CR2 = 0, CR3 = 0, PRESC = 0
 *   USART3_BRR   (0x4000480C) = 868 (0x364): 100e6 / 115200 = 868.06, oversampling 16
 *   USART3_ICR   (0x40004820) = ORECF|NECF|FECF|PECF
 *   USART3_CR1   = TE | RE | RXNEIE | UE  (0x2D)
 *   poll USART3_ISR (0x4000481C) TEACK (b21) and REACK (b22)
 *   NVIC_IPR[39] = 0x80, NVIC_ISER1 (0xE000E104) = 1 << 7
 */
#include "usart.h"
#include "stm32h743_regs.h"
#include "system.h"

#define RX_BUF_SIZE 256U   /* power of two */
#ifndef USART_CR1_TXEIE
#define USART_CR1_TXEIE (1UL << 7)   /* TXFNFIE */
#endif
#ifndef USART_CR1_TCIE
#define USART_CR1_TCIE (1UL << 6)
#endif
#define TX_BUF_SIZE 1024U  /* power of two; used only after usart3_set_tx_async(1) */

static volatile uint8_t tx_buf[TX_BUF_SIZE];
static volatile uint32_t tx_head;   /* written by the writer */
static volatile uint32_t tx_tail;   /* written by the ISR (or by a writer draining by hand) */
static volatile uint8_t tx_async;

static volatile uint8_t rx_buf[RX_BUF_SIZE];
static volatile uint32_t rx_head;   /* written by the ISR */
static volatile uint32_t rx_tail;   /* written by the reader */
static volatile uint32_t rx_overruns;

void usart3_init(uint32_t baud)
{
    RCC->AHB4ENR |= RCC_AHB4ENR_GPIODEN;
    (void)RCC->AHB4ENR;
    RCC->APB1LENR |= RCC_APB1LENR_USART3EN;
    (void)RCC->APB1LENR;
    RCC->D2CCIP2R &= ~RCC_D2CCIP2R_USART234578SEL_MSK;

    /* PD8 (TX), PD9 (RX): alternate function 7 */
    GPIOD->MODER   = (GPIOD->MODER & ~((3UL << 16) | (3UL << 18))) | (2UL << 16) | (2UL << 18);
    GPIOD->OTYPER &= ~((1UL << 8) | (1UL << 9));
    GPIOD->OSPEEDR = (GPIOD->OSPEEDR & ~((3UL << 16) | (3UL << 18))) | (1UL << 16) | (1UL << 18);
    GPIOD->PUPDR   = (GPIOD->PUPDR & ~((3UL << 16) | (3UL << 18))) | (1UL << 18);
    GPIOD->AFR[1]  = (GPIOD->AFR[1] & ~0xFFUL) | (7UL << 0) | (7UL << 4);

    USART3->CR1 = 0;            /* UE = 0 before changing BRR */
    USART3->CR2 = 0;
    USART3->CR3 = 0;
    USART3->PRESC = 0;
    const uint32_t pclk = system_pclk1_hz();
    USART3->BRR = (pclk + baud / 2U) / baud;
    USART3->ICR = USART_ICR_ORECF | USART_ICR_NECF | USART_ICR_FECF | USART_ICR_PECF;
    rx_head = rx_tail = 0;
    USART3->CR1 = USART_CR1_TE | USART_CR1_RE | USART_CR1_RXNEIE | USART_CR1_UE;
    while ((USART3->ISR & (USART_ISR_TEACK | USART_ISR_REACK)) != (USART_ISR_TEACK | USART_ISR_REACK)) {
    }

    NVIC_SetPriority(USART3_IRQn, 0x80);
    NVIC_EnableIRQ(USART3_IRQn);
}

/* Moves one queued byte into TDR if TDR is free. Caller holds PRIMASK or is the ISR. */
static void tx_move_one(void)
{
    const uint32_t tail = tx_tail;
    if (tail != tx_head && (USART3->ISR & USART_ISR_TXE) != 0U) {
        USART3->TDR = tx_buf[tail & (TX_BUF_SIZE - 1U)];
        tx_tail = tail + 1U;
    }
    if (tx_tail == tx_head) {
        USART3->CR1 &= ~USART_CR1_TXEIE;
    }
}

static uint32_t irq_save(void)
{
    uint32_t primask;
    __asm__ volatile ("mrs %0, primask" : "=r"(primask));
    __asm__ volatile ("cpsid i" ::: "memory");
    return primask;
}

static void irq_restore(uint32_t primask)
{
    __asm__ volatile ("msr primask, %0" :: "r"(primask) : "memory");
}

void usart3_set_tx_async(int on)
{
    if (!on) {
        usart3_flush();
    }
    tx_async = (uint8_t)(on != 0);
}

void usart3_putc(char c)
{
    if (!tx_async) {
        while ((USART3->ISR & USART_ISR_TXE) == 0U) {
        }
        USART3->TDR = (uint8_t)c;
        return;
    }
    for (;;) {
        const uint32_t pm = irq_save();
        if (tx_head - tx_tail < TX_BUF_SIZE) {
            if (tx_head == tx_tail && (USART3->ISR & USART_ISR_TXE) != 0U) {
                USART3->TDR = (uint8_t)c;          /* idle: straight into TDR */
            } else {
                tx_buf[tx_head & (TX_BUF_SIZE - 1U)] = (uint8_t)c;
                tx_head = tx_head + 1U;
                USART3->CR1 |= USART_CR1_TXEIE;
            }
            irq_restore(pm);
            return;
        }
        tx_move_one();      /* queue full: drain by hand (works with interrupts masked too) */
        irq_restore(pm);
    }
}

void usart3_puts(const char *s)
{
    while (*s) {
        if (*s == '\n') {
            usart3_putc('\r');
        }
        usart3_putc(*s++);
    }
}

void usart3_flush(void)
{
    /* Async TX: sleep (WFI) while the interrupt drains the ring and, with TCIE, until TC.
     * Check-then-sleep with PRIMASK set, as in usart3_getc; with PRIMASK already set by the
     * caller the ISR cannot run, so the ring is drained by hand. */
    while (tx_async) {
        const uint32_t pm = irq_save();
        if (tx_tail == tx_head && (pm != 0U || (USART3->ISR & USART_ISR_TC) != 0U)) {
            irq_restore(pm);
            break;                              /* TC is polled below */
        }
        if (pm != 0U) {
            tx_move_one();
        } else if (tx_tail != tx_head) {
            USART3->CR1 |= USART_CR1_TXEIE;
            __asm__ volatile ("wfi");
        } else {                                /* ring empty, last byte still shifting */
            USART3->CR1 |= USART_CR1_TCIE;      /* the ISR clears TCIE once TC is set */
            __asm__ volatile ("wfi");
        }
        irq_restore(pm);
        __asm__ volatile ("isb");               /* a pending USART3 interrupt is taken here */
    }
    while ((USART3->ISR & USART_ISR_TC) == 0U) {
    }
}

void USART3_IRQHandler(void)
{
    uint32_t isr = USART3->ISR;
    if (isr & (USART_ISR_ORE | USART_ISR_NE | USART_ISR_FE | USART_ISR_PE)) {
        if (isr & USART_ISR_ORE) {
            rx_overruns++;
        }
        USART3->ICR = USART_ICR_ORECF | USART_ICR_NECF | USART_ICR_FECF | USART_ICR_PECF;
    }
    while (isr & USART_ISR_RXNE) {
        const uint8_t c = (uint8_t)USART3->RDR;   /* reading RDR clears RXNE */
        const uint32_t head = rx_head;
        if (head - rx_tail < RX_BUF_SIZE) {
            rx_buf[head & (RX_BUF_SIZE - 1U)] = c;
            rx_head = head + 1U;
        } else {
            rx_overruns++;
        }
        isr = USART3->ISR;
    }
    if ((USART3->CR1 & USART_CR1_TXEIE) != 0U && (isr & USART_ISR_TXE) != 0U) {
        tx_move_one();
    }
    if ((USART3->CR1 & USART_CR1_TCIE) != 0U && (USART3->ISR & USART_ISR_TC) != 0U) {
        USART3->CR1 &= ~USART_CR1_TCIE;
    }
}

int usart3_try_getc(void)
{
    const uint32_t tail = rx_tail;
    if (tail == rx_head) {
        return -1;
    }
    const int c = rx_buf[tail & (RX_BUF_SIZE - 1U)];
    rx_tail = tail + 1U;
    return c;
}

int usart3_rx_pending(void)
{
    return rx_tail != rx_head;
}

int usart3_getc(void)
{
    int c;
    /* Check-then-sleep with PRIMASK set: a pending interrupt still wakes WFI, and is taken
     * right after cpsie, so a byte arriving between the check and the WFI is not missed. */
    __disable_irq();
    while ((c = usart3_try_getc()) < 0) {
        __WFI();
        __enable_irq();
        __ISB();            /* pending RXNE interrupt is taken here */
        __disable_irq();
    }
    __enable_irq();
    return c;
}

uint32_t usart3_overruns(void)
{
    return rx_overruns;
}
