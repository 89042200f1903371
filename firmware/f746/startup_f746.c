/*
 * startup_f746.c - STM32F746 vector table and reset code, laid out as common/startup.c.
 *
 * Reset_Handler (naked): SP <- _estack, CPACR.CP10/CP11 = full access, DSB, ISB, then
 * reset_continue() (C): VTOR <- vector table, copy .data (flash -> DTCM), zero .bss, zero
 * .axisram (SRAM1 here, f746.ld), copy .itcm_text (flash -> ITCM), SystemInit() (216 MHz,
 * system_f746.c), I-cache + D-cache on (CMSIS SCB_EnableICache/SCB_EnableDCache sequence:
 * the D-cache is invalidated set by set from CCSIDR, 4 KB on the F746), __libc_init_array(),
 * initialise_monitor_handles() (rdimon semihosting), exit(main()).
 *
 * Vector table: the 16 Cortex-M7 system entries and the F746's 98 interrupt lines (RM0385
 * Table 40); only USART3 (position 39) has a name here, the rest go to Default_Handler.
 *
 * The reset code after the vector table is the Cortex-M7 part every chip here shares:
 * common/cortex_m7_reset.inc; the declarations before it (linker symbols, system exception
 * handlers) are common/cortex_m7_startup.h.
 */
#include <stdint.h>
#include <stdlib.h>
#include "stm32h743_regs.h"      /* the Cortex-M7 core registers (SCB, cache maintenance) */
#include "system.h"
#include "cortex_m7_startup.h"

void USART3_IRQHandler(void)  __attribute__((weak, alias("Default_Handler")));

#define N_IRQS 98
#define USART3_IRQ 39

/* every line defaults to Default_Handler, then the named ones are set (GCC range designator) */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Woverride-init"
__attribute__((section(".isr_vector"), used))
const vector_t g_pfnVectors[16 + N_IRQS] = {
    (vector_t)(uintptr_t)&_estack,
    Reset_Handler,
    NMI_Handler,
    HardFault_Handler,
    MemManage_Handler,
    BusFault_Handler,
    UsageFault_Handler,
    0, 0, 0, 0,
    SVC_Handler,
    DebugMon_Handler,
    0,
    PendSV_Handler,
    SysTick_Handler,
    [16 ... 16 + N_IRQS - 1] = Default_Handler,
    [16 + USART3_IRQ] = USART3_IRQHandler,
};
#pragma GCC diagnostic pop

#include "cortex_m7_reset.inc"
