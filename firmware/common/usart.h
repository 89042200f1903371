/*
 * usart.h - USART3 driver (NUCLEO-H743ZI virtual COM port: PD8 = TX, PD9 = RX, AF7).
 *
 * Kernel clock: rcc_pclk1 (RCC_D2CCIP2R.USART234578SEL = 000), 100 MHz at a 400 MHz core.
 * 8N1, oversampling by 16, FIFO disabled. TX is blocking (polls ISR.TXE_TXFNF, then ISR.TC
 * in usart3_flush) unless usart3_set_tx_async(1) was called (interrupt-driven TX ring). RX is interrupt driven (USART3 IRQ 39, RXNEIE) into a 256-byte ring
 * buffer; usart3_getc() sleeps with WFI while the buffer is empty.
 */
#ifndef USART_H
#define USART_H

#include <stdint.h>

void usart3_init(uint32_t baud);
void usart3_putc(char c);
void usart3_puts(const char *s);        /* "\n" is sent as "\r\n" */
void usart3_flush(void);                /* wait for ISR.TC */
int  usart3_getc(void);                 /* blocking */
int  usart3_try_getc(void);             /* -1 if nothing received */
int  usart3_rx_pending(void);           /* 1 if a received byte waits (nothing consumed) */
uint32_t usart3_overruns(void);
/* on = 1: usart3_putc/puts queue bytes in a 1 KB ring drained by the USART3 interrupt (TXEIE)
 * and return at once (they wait only while the ring is full); usart3_flush() waits until the
 * ring is empty and TC is set. on = 0 (default after reset): blocking TX as described above. */
void usart3_set_tx_async(int on);

#endif /* USART_H */
