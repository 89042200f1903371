/*
 * fault_catalogue - one ELF per fault class, with NO fault handler (startup.c's weak
 * Default_Handler, an infinite loop, and SHCSR at its reset value): every fault escalates to
 * HardFault (HFSR.FORCED) and the simulator must stop and report it - class, faulting
 * address, function, source line, call stack, and CFSR/HFSR/MMFAR/BFAR as a handler would
 * read them. Build: -DCASE=CASE_<class>, ELF fault_cat_<class>.
 *
 * The faulting statement of each class is on a line marked  FAULT LINE <class>  so that a
 * test can find its line number in this file (an oracle independent of the simulator).
 * The call chain is main -> run_case -> trigger_<class>.
 *
 * class          trigger                                   expected (ARMv7-M ARM B3.2.15/16)
 * precise_bus    load from 0x60000000 (FMC bank 1, off)    CFSR 0x00008200 PRECISERR|BFARVALID,
 *                                                          BFAR 0x60000000
 * imprecise_bus  store to 0x60000000, then DSB             CFSR 0x00000400 IMPRECISERR
 *                                                          (BFAR not valid: the store retired)
 * udf            UDF #0x7                                  CFSR 0x00010000 UNDEFINSTR
 * invstate       BX to an even address                     CFSR 0x00020000 INVSTATE
 * unaligned      CCR.UNALIGN_TRP = 1; LDR from addr 4n+1   CFSR 0x01000000 UNALIGNED
 * div0           CCR.DIV_0_TRP = 1; SDIV by 0              CFSR 0x02000000 DIVBYZERO
 * runaway        call into an AXI SRAM buffer of 0xDEDE    CFSR 0x00010000 UNDEFINSTR at a PC
 *                halfwords (UDF #0xDE: RAM garbage)        in RAM, in no function
 * lockup         a HardFault handler that itself executes  the core locks up (ARMv7-M B1.5.15):
 *                UDF (fault in the fault handler)          exit reason "lockup"
 * stack_overflow recursion until SP is inside a .bss       no fault on silicon without an MPU
 *                array (no MPU guard), then exit(3)        guard: the victim array is silently
 *                                                          corrupted; the report's
 *                                                          memory.overflow names the function
 * mpu            MPU region 0 = 4 KB no-access (AP=000)    CFSR 0x00000082 DACCVIOL|MMARVALID,
 *                over guarded[], then a load from it       MMFAR = &guarded[5] (B3.2.15, B3.2.17)
 * stack_guard    as stack_overflow, with MPU region 0 =    CFSR 0x00000082 DACCVIOL|MMARVALID,
 *                1 KB no-access at the bottom of the       MMFAR in the guard, within one frame
 *                stack (__stack_start): the guard sits     of its top; .bss never reached
 *                between the stack and .bss
 * MemManage is not enabled (SHCSR.MEMFAULTENA = 0), so mpu and stack_guard escalate to
 * HardFault (HFSR.FORCED) like the others; PRIVDEFENA keeps the default map elsewhere.
 * Every class prints "fault_cat_<class>: triggering" over semihosting first.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include "semihost_exit.h"
#include "stm32h743_regs.h"

#define CASE_precise_bus    1
#define CASE_imprecise_bus  2
#define CASE_udf            3
#define CASE_invstate       4
#define CASE_unaligned      5
#define CASE_div0           6
#define CASE_runaway        7
#define CASE_lockup         8
#define CASE_stack_overflow 9
#define CASE_mpu            10
#define CASE_stack_guard    11

#ifndef CASE
#error "build with -DCASE=CASE_<class>"
#endif

volatile uint32_t sink;
uint32_t unaligned_words[2] = { 0x11223344UL, 0x55667788UL };

#if CASE == CASE_runaway
/* "RAM garbage": 0xDEDE is UDF #0xDE in Thumb (ARMv7-M A7.7.194, encoding T1). */
__attribute__((section(".axisram"), aligned(4))) uint16_t garbage[64];
#endif

#if CASE == CASE_lockup
/* A HardFault handler with a bug of its own: a fault while in HardFault locks the core up. */
__attribute__((naked)) void HardFault_Handler(void)
{
    __asm volatile("udf #0x9");
}
#endif

#if CASE == CASE_mpu
/* One MPU region exactly over this array (an MPU region is aligned on its size). */
__attribute__((section(".axisram"), aligned(4096))) uint32_t guarded[1024];
#endif

#if CASE == CASE_mpu || CASE == CASE_stack_guard
/* Region 0, privileged no-access (AP = 000, ARMv7-M B3.5.4), execute-never, enabled with the
 * default memory map elsewhere (PRIVDEFENA), then DSB/ISB as B3.5.3 asks after an MPU change. */
static void mpu_no_access(uintptr_t base, unsigned size_log2)
{
    MPU->RNR = 0;
    MPU->RBAR = base;
    MPU->RASR = MPU_RASR_XN | MPU_RASR_AP(0) | MPU_RASR_SIZE(size_log2) | MPU_RASR_ENABLE;
    MPU->CTRL = MPU_CTRL_ENABLE | MPU_CTRL_PRIVDEFENA;
    __asm volatile("dsb\n isb" ::: "memory");
}
#endif

#if CASE == CASE_stack_overflow || CASE == CASE_stack_guard
uint32_t victim[256];                 /* .bss, below the stack in DTCM */

__attribute__((noinline)) static uint32_t recurse(uint32_t depth)
{
    volatile uint32_t frame[64];       /* 256 bytes of stack per call */
    for (int i = 0; i < 64; i++) {
        frame[i] = 0xBAD0BAD0UL ^ depth;                        /* FAULT LINE stack_guard */
    }
    if ((uintptr_t)&frame[0] <= (uintptr_t)&victim[128]) {
        return frame[1];               /* the stack has reached the middle of victim[] */
    }
    return recurse(depth + 1) + frame[2];
}
#endif

__attribute__((noinline)) static void trigger(void)
{
#if CASE == CASE_precise_bus
    sink = *(volatile uint32_t *)0x60000000UL;                  /* FAULT LINE precise_bus */
#elif CASE == CASE_imprecise_bus
    *(volatile uint32_t *)0x60000000UL = 0xDEADBEEFUL;          /* FAULT LINE imprecise_bus */
    __asm volatile("dsb");
#elif CASE == CASE_udf
    __asm volatile("udf #0x7");                                 /* FAULT LINE udf */
#elif CASE == CASE_invstate
    __asm volatile("bx %0" : : "r"(0x08000100UL));              /* FAULT LINE invstate */
#elif CASE == CASE_unaligned
    SCB->CCR |= SCB_CCR_UNALIGN_TRP;
    __asm volatile("dsb\n isb");
    sink = *(volatile uint32_t *)((uintptr_t)unaligned_words + 1); /* FAULT LINE unaligned */
#elif CASE == CASE_div0
    SCB->CCR |= SCB_CCR_DIV_0_TRP;
    __asm volatile("dsb\n isb");
    volatile int32_t zero = 0, num = 42;
    int32_t q;
    __asm volatile("sdiv %0, %1, %2" : "=r"(q) : "r"(num), "r"(zero)); /* FAULT LINE div0 */
    sink = (uint32_t)q;
#elif CASE == CASE_runaway
    for (unsigned i = 0; i < 64; i++) {
        garbage[i] = 0xDEDE;
    }
    __asm volatile("dsb\n isb");
    void (*wild)(void) = (void (*)(void))((uintptr_t)garbage | 1);
    wild();                                                     /* FAULT LINE runaway */
#elif CASE == CASE_lockup
    __asm volatile("udf #0x8");                                 /* FAULT LINE lockup */
#elif CASE == CASE_stack_overflow
    for (int i = 0; i < 256; i++) {
        victim[i] = 0x600DF00DUL;
    }
    sink = recurse(0);                                          /* FAULT LINE stack_overflow */
    int corrupted = 0;
    for (int i = 0; i < 256; i++) {
        corrupted += victim[i] != 0x600DF00DUL;
    }
    /* The stack also ran over everything in .bss above victim[]: the USART buffers and newlib's
     * own state (stdio's __sf, malloc's, and in newlib 4.5 - Debian 13 - the __atexit list), so
     * newlib must not run again: no printf, no exit(); end through semihosting directly. */
    semihost_exit(corrupted ? 3u : 0u);
#elif CASE == CASE_mpu
    mpu_no_access((uintptr_t)guarded, 12);
    sink = guarded[5];                                          /* FAULT LINE mpu */
#elif CASE == CASE_stack_guard
    extern uint32_t __stack_start[];
    for (int i = 0; i < 256; i++) {
        victim[i] = 0x600DF00DUL;
    }
    mpu_no_access((uintptr_t)__stack_start, 10);                /* 1 KB guard */
    sink = recurse(0);
    semihost_exit(3u);                                          /* the guard did not stop it */
#endif
}

__attribute__((noinline)) static void run_case(void)
{
    trigger();
    sink++;
}

int main(void)
{
    printf("fault_cat: triggering case %d\n", CASE);
    run_case();
    printf("fault_cat: no fault?\n");
    return 98;
}
