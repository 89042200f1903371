/*
 * usart.h - USART3 driver (NUCLEO-H743ZI virtual COM port: PD8 = TX, PD9 = RX, AF7).
 *
 * Kernel clock: rcc_pclk1 (RCC_D2CCIP2R.USART234578SEL = 000), 100 MHz at a 400 MHz core.
 * 8N1, oversampling by 16, FIFO disabled. TX is blocking (polls ISR.TXE_TXFNF, then ISR.TC
 * in usart3_flush). RX is interrupt driven (USART3 IRQ 39, RXNEIE) into a 256-byte ring
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
uint32_t usart3_overruns(void);

#endif /* USART_H */
