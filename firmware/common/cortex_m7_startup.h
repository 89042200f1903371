/*
 * cortex_m7_startup.h - the declarations every chip's startup file here shares: the linker
 * script's section symbols (h743.ld, f746.ld define the same names), the functions the reset
 * code calls, and the Cortex-M7 system exception handlers (weak, aliased to Default_Handler,
 * so an application overrides one by defining it). Included once by common/startup.c and
 * f746/startup_f746.c before their vector tables; cortex_m7_reset.inc defines the functions.
 */
#ifndef CORTEX_M7_STARTUP_H
#define CORTEX_M7_STARTUP_H

#include <stdint.h>

typedef void (*vector_t)(void);

/* Linker script symbols */
extern uint32_t _estack;
extern uint32_t _sidata, _sdata, _edata;
extern uint32_t _sbss, _ebss;
extern uint32_t __axisram_start, __axisram_end;
extern uint32_t _siitcm, _sitcm, _eitcm;

int main(void);
extern void __libc_init_array(void);
extern void initialise_monitor_handles(void);

void Reset_Handler(void);
void reset_continue(void);
void Default_Handler(void);

/* Cortex-M7 system exceptions */
void NMI_Handler(void)        __attribute__((weak, alias("Default_Handler")));
void HardFault_Handler(void)  __attribute__((weak, alias("Default_Handler")));
void MemManage_Handler(void)  __attribute__((weak, alias("Default_Handler")));
void BusFault_Handler(void)   __attribute__((weak, alias("Default_Handler")));
void UsageFault_Handler(void) __attribute__((weak, alias("Default_Handler")));
void SVC_Handler(void)        __attribute__((weak, alias("Default_Handler")));
void DebugMon_Handler(void)   __attribute__((weak, alias("Default_Handler")));
void PendSV_Handler(void)     __attribute__((weak, alias("Default_Handler")));
void SysTick_Handler(void)    __attribute__((weak, alias("Default_Handler")));

#endif
