/*
 * idle - a core that can never wake up.
 *
 * Expected observable behaviour (simulator):
 *   Semihosting stdout: "idle: interrupts off, entering WFI forever"
 *   Then PRIMASK = 1, no interrupt enabled in the NVIC, SysTick off (CTRL = 0), and the core
 *   executes WFI in an endless loop (function idle_forever). No exit. The simulator should
 *   stop and report "idle" (sleeping with no possible wake-up source), not time out.
 */
#include <stdio.h>
#include "stm32h743_regs.h"

__attribute__((noreturn, noinline)) static void idle_forever(void)
{
    for (;;) {
        __WFI();
    }
}

int main(void)
{
    printf("idle: interrupts off, entering WFI forever\n");
    __disable_irq();
    SysTick->CTRL = 0;
    for (unsigned i = 0; i < 5; i++) {   /* 150 IRQs: ICER0..4 */
        NVIC->ICER[i] = 0xFFFFFFFFUL;
        NVIC->ICPR[i] = 0xFFFFFFFFUL;
    }
    __DSB();
    __ISB();
    idle_forever();
}
