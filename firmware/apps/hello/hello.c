/*
 * hello - first light on the STM32H743 (NUCLEO-H743ZI).
 *
 * Expected observable behaviour (simulator):
 *   USART3 TX (0x40004800 TDR), 115200 8N1, exactly:
 *       "hello from stm32h743 over usart3\r\n"
 *   Semihosting stdout (SYS_WRITE to the ":tt" handle), 5 lines:
 *       "hello from stm32h743 over semihosting"
 *       "pi ~ 3.142"                              (printf("%.3f", 3.14159): newlib _dtoa
 *                                                  uses double-precision VFP instructions)
 *       "core clock: 400000000 Hz"                (read back from RCC registers)
 *       "hclk: 200000000 Hz, pclk1: 100000000 Hz"
 *       "loop: 1000 iterations, sum=499500, <N> cycles"   (N from DWT CYCCNT; a cycle-accurate
 *                                                  model should give roughly 1000-3000)
 *   Exit: SYS_EXIT_EXTENDED with status 0 (returns 0 from main).
 */
#include <stdio.h>
#include <stdint.h>
#include "dwt.h"

/* The chip's name in the greetings: the F746 build (f746/, Makefile) passes "stm32f746". */
#ifndef CHIP_NAME
#define CHIP_NAME "stm32h743"
#endif
#include "system.h"
#include "usart.h"

/* Kept out of line so the loop is really executed and measured. */
__attribute__((noinline)) static uint32_t sum_loop(uint32_t n)
{
    uint32_t sum = 0;
    for (uint32_t i = 0; i < n; i++) {
        sum += i;
        __asm volatile("" : "+r"(sum));   /* no closed-form/vectorised replacement */
    }
    return sum;
}

int main(void)
{
    usart3_init(115200);
    usart3_puts("hello from " CHIP_NAME " over usart3\n");
    usart3_flush();

    volatile double pi = 3.14159;   /* volatile: the conversion happens at run time */
    printf("hello from " CHIP_NAME " over semihosting\n");
    printf("pi ~ %.3f\n", pi);
    printf("core clock: %lu Hz\n", (unsigned long)system_core_clock_hz());
    printf("hclk: %lu Hz, pclk1: %lu Hz\n",
           (unsigned long)system_hclk_hz(), (unsigned long)system_pclk1_hz());

    dwt_init();
    const uint32_t t0 = dwt_cycles();
    const uint32_t sum = sum_loop(1000);
    const uint32_t t1 = dwt_cycles();
    printf("loop: 1000 iterations, sum=%lu, %lu cycles\n", (unsigned long)sum, (unsigned long)(t1 - t0));
    return 0;
}
