/*
 * hal_poll - a program written the way STM32Cube HAL projects work: everything polls.
 *
 * The shape of a CubeMX-generated main() (names kept close to the HAL's so a reader can map
 * them, code our own):
 *   HAL_Init()            SysTick at 1 kHz from the current core clock, tick in SysTick_Handler
 *   SystemClock_Config()  480 MHz: PWR supply + VOS0 (polls ACTVOSRDY, VOSRDY), PLL1 (polls
 *                         PLL1RDY), flash wait states (re-reads FLASH_ACR), switch (polls SWS)
 *                         -- firmware/common/system.c; then SysTick re-armed for 480 MHz
 *   MX_USART3_UART_Init() 115200 8N1 (polls TEACK/REACK)
 *   loop                  uart_printf(): vsnprintf, then a blocking transmit that, like
 *                         HAL_UART_Transmit, waits for TXE before each byte and for TC at the
 *                         end through UART_WaitOnFlagUntilTimeout (ISR read + HAL_GetTick()
 *                         timeout check per iteration); HAL_Delay(2) between lines (polls the
 *                         SysTick-driven tick counter)
 *
 * Expected observable behaviour (simulator):
 *   USART3: LINES lines "line <i> of <LINES>: tick <t>\r\n"
 *   Semihosting stdout: "hal_poll: <LINES> lines, <C> cycles, ticks <T>" then "hal_poll: PASS"
 *   Exit: status 0 (1 if a wait timed out or the clock set-up failed).
 * Every wait in it is a register (or tick) polling loop: benchmarks/speed.py times it, and
 * tests/test_poll_skip.py runs it with poll-loop skipping on and off.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdint.h>
#include "dwt.h"
#include "stm32h743_regs.h"
#include "system.h"
#include "usart.h"

#ifndef LINES
#define LINES 24
#endif

#define HAL_MAX_DELAY 0xFFFFFFFFUL

static volatile uint32_t uwTick;
static int timeouts;

void SysTick_Handler(void)
{
    uwTick++;
}

__attribute__((noinline)) uint32_t HAL_GetTick(void)
{
    return uwTick;
}

static void HAL_InitTick(void)
{
    SysTick->CTRL = 0;
    SysTick->LOAD = system_core_clock_hz() / 1000U - 1U;
    SysTick->VAL = 0;
    SCB->SHPR[SHPR_IDX_SYSTICK] = 0xF0;
    SysTick->CTRL = SysTick_CTRL_CLKSOURCE | SysTick_CTRL_TICKINT | SysTick_CTRL_ENABLE;
}

__attribute__((noinline)) void HAL_Delay(uint32_t ms)
{
    const uint32_t start = HAL_GetTick();
    uint32_t wait = ms;
    if (wait < HAL_MAX_DELAY) {
        wait += 1U;          /* HAL: at least the requested time */
    }
    while ((HAL_GetTick() - start) < wait) {
    }
}

/* UART_WaitOnFlagUntilTimeout: poll a USART_ISR flag, give up after `timeout` ms. */
__attribute__((noinline)) static int wait_flag(uint32_t flag, uint32_t start, uint32_t timeout)
{
    while ((USART3->ISR & flag) == 0U) {
        if ((HAL_GetTick() - start) > timeout) {
            timeouts++;
            return -1;
        }
    }
    return 0;
}

static int uart_transmit(const uint8_t *data, uint32_t n, uint32_t timeout)
{
    const uint32_t start = HAL_GetTick();
    for (uint32_t i = 0; i < n; i++) {
        if (wait_flag(USART_ISR_TXE, start, timeout) != 0) {
            return -1;
        }
        USART3->TDR = data[i];
    }
    return wait_flag(USART_ISR_TC, start, timeout);
}

static void uart_printf(const char *fmt, ...)
{
    char buf[96];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n > (int)sizeof buf - 1) {
        n = (int)sizeof buf - 1;
    }
    if (n > 0) {
        uart_transmit((const uint8_t *)buf, (uint32_t)n, 100U);
    }
}

int main(void)
{
    HAL_InitTick();                       /* HAL_Init(): 1 kHz tick at the reset clock */
    if (system_clock_config(480000000UL) != 0) {
        printf("hal_poll: clock set-up failed\n");
        return 1;
    }
    HAL_InitTick();                       /* HAL_RCC_ClockConfig re-arms the tick */
    usart3_init(115200);
    dwt_init();
    const uint32_t t0 = dwt_cycles();
    for (int i = 0; i < LINES; i++) {
        uart_printf("line %d of %d: tick %lu\r\n", i, LINES, (unsigned long)HAL_GetTick());
        HAL_Delay(2);
    }
    const uint32_t cycles = dwt_cycles() - t0;
    printf("hal_poll: %d lines, %lu cycles, ticks %lu\n", LINES, (unsigned long)cycles,
           (unsigned long)HAL_GetTick());
    if (timeouts != 0) {
        printf("hal_poll: %d timeouts\n", timeouts);
        return 1;
    }
    printf("hal_poll: PASS\n");
    return 0;
}
