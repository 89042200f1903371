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
 */
#include <stdint.h>
#include <stdlib.h>
#include "stm32h743_regs.h"      /* the Cortex-M7 core registers (SCB, cache maintenance) */
#include "system.h"

typedef void (*vector_t)(void);

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

void NMI_Handler(void)        __attribute__((weak, alias("Default_Handler")));
void HardFault_Handler(void)  __attribute__((weak, alias("Default_Handler")));
void MemManage_Handler(void)  __attribute__((weak, alias("Default_Handler")));
void BusFault_Handler(void)   __attribute__((weak, alias("Default_Handler")));
void UsageFault_Handler(void) __attribute__((weak, alias("Default_Handler")));
void SVC_Handler(void)        __attribute__((weak, alias("Default_Handler")));
void DebugMon_Handler(void)   __attribute__((weak, alias("Default_Handler")));
void PendSV_Handler(void)     __attribute__((weak, alias("Default_Handler")));
void SysTick_Handler(void)    __attribute__((weak, alias("Default_Handler")));
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

__attribute__((used, noinline)) void Default_Handler(void)
{
    for (;;) {
    }
}

__attribute__((naked, noreturn, used)) void Reset_Handler(void)
{
    __asm volatile(
        "ldr   r0, =_estack          \n"
        "mov   sp, r0                \n"
        "ldr   r0, =0xE000ED88       \n"   /* SCB->CPACR */
        "ldr   r1, [r0]              \n"
        "orr   r1, r1, #0x00F00000   \n"   /* CP10 and CP11: full access */
        "str   r1, [r0]              \n"
        "dsb                         \n"
        "isb                         \n"
        "b     reset_continue        \n");
}

static void enable_icache(void)
{
    if (SCB->CCR & SCB_CCR_IC) {
        return;
    }
    __DSB();
    __ISB();
    SCB->ICIALLU = 0UL;
    __DSB();
    __ISB();
    SCB->CCR |= SCB_CCR_IC;
    __DSB();
    __ISB();
}

static void enable_dcache(void)
{
    if (SCB->CCR & SCB_CCR_DC) {
        return;
    }
    SCB->CSSELR = 0U;
    __DSB();
    const uint32_t ccsidr = SCB->CCSIDR;
    uint32_t sets = CCSIDR_SETS(ccsidr);
    do {
        uint32_t ways = CCSIDR_WAYS(ccsidr);
        do {
            SCB->DCISW = ((sets << SCB_DCISW_SET_POS) & SCB_DCISW_SET_MSK) |
                         ((ways << SCB_DCISW_WAY_POS) & SCB_DCISW_WAY_MSK);
        } while (ways-- != 0U);
    } while (sets-- != 0U);
    __DSB();
    SCB->CCR |= SCB_CCR_DC;
    __DSB();
    __ISB();
}

__attribute__((used, noreturn, optimize("no-tree-loop-distribute-patterns")))
void reset_continue(void)
{
    SCB->VTOR = (uint32_t)(uintptr_t)g_pfnVectors;

    const uint32_t *src = &_sidata;
    for (uint32_t *dst = &_sdata; dst < &_edata;) {
        *dst++ = *src++;
    }
    for (uint32_t *dst = &_sbss; dst < &_ebss;) {
        *dst++ = 0;
    }
    for (uint32_t *dst = &__axisram_start; dst < &__axisram_end;) {
        *dst++ = 0;
    }
    src = &_siitcm;
    for (uint32_t *dst = &_sitcm; dst < &_eitcm;) {
        *dst++ = *src++;
    }
    __DSB();
    __ISB();

    SystemInit();
    enable_icache();
    enable_dcache();

    __libc_init_array();
    initialise_monitor_handles();
    exit(main());
}

void _init(void) {}
void _fini(void) {}
