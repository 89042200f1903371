/*
 * faults - one ELF per fault class, selected at compile time:
 *   -DFAULT=FAULT_<class>   class: udf invstate precise_bus flash_write xn div0 unaligned
 *   -DFAULT_FORCED=0        the dedicated handler is enabled in SHCSR (MEMFAULTENA b16,
 *                           BUSFAULTENA b17, USGFAULTENA b18): fault taken as MemManage (4),
 *                           BusFault (5) or UsageFault (6).          ELF: fault_<class>
 *   -DFAULT_FORCED=1        SHCSR enables left 0 (reset value): escalates to HardFault (3)
 *                           with HFSR.FORCED (b30) set.                ELF: fault_<class>_forced
 *
 * Every handler (HardFault/MemManage/BusFault/UsageFault) is a small naked stub that passes
 * the stacked exception frame to fault_report(), which prints over semihosting:
 *   "fault: <HardFault|MemManage|BusFault|UsageFault> IPSR=<n>"
 *   "fault: CFSR=0x........ HFSR=0x........ MMFAR=0x........ BFAR=0x........"
 *       (read from 0xE000ED28, 0xE000ED2C, 0xE000ED34, 0xE000ED38)
 *   "fault: stacked PC=0x........ LR=0x........ xPSR=0x........ EXC_RETURN=0x........"
 *   "fault: <class> as expected"   or   "fault: UNEXPECTED (...)"
 * and exits (SYS_EXIT_EXTENDED) with:
 *   <class code>*10 + 1   dedicated handler, expected CFSR bits (and PC where precise)
 *   <class code>*10 + 2   HardFault, HFSR.FORCED set, expected CFSR bits
 *   99                    a fault was taken but handler/status/PC did not match
 *   98                    no fault at all (the trigger returned)
 *
 * class        code  trigger (label fault_insn marks the faulting instruction)   expected
 * udf           1    udf #0x42                                  UsageFault CFSR=UNDEFINSTR (0x00010000),
 *                                                               stacked PC = fault_insn       exit 11 / 12
 * invstate      2    bx r0, r0 = invstate_target & ~1 (even)    UsageFault CFSR=INVSTATE (0x00020000),
 *                                                               stacked PC = invstate_target (even),
 *                                                               stacked xPSR.T = 0            exit 21 / 22
 * precise_bus   3    ldr r0, [0x60000000] (FMC bank 1, off)     BusFault CFSR=PRECISERR|BFARVALID
 *                                                               (0x00008200), BFAR=0x60000000,
 *                                                               stacked PC = fault_insn       exit 31 / 32
 * flash_write   4    str r0, [0x08100000] (bank 2, locked),     BusFault; silicon: IMPRECISERR
 *                    then dsb                                   (0x00000400, buffered store); a model
 *                                                               raising PRECISERR|BFARVALID with
 *                                                               BFAR=0x08100000 is accepted   exit 41 / 42
 * xn            5    blx r0, r0 = 0x40000001 (peripheral        MemManage CFSR=IACCVIOL (0x00000001),
 *                    region: default-map execute-never)         MMARVALID=0, stacked PC = 0x40000000
 *                                                                                             exit 51 / 52
 * div0          6    CCR.DIV_0_TRP (0xE000ED14 b4) = 1;         UsageFault CFSR=DIVBYZERO (0x02000000),
 *                    sdiv r2, r0, r1 with r1 = 0                stacked PC = fault_insn       exit 61 / 62
 * unaligned     7    CCR.UNALIGN_TRP (b3) = 1;                  UsageFault CFSR=UNALIGNED (0x01000000),
 *                    ldr r0, [buf+1]  (DTCM)                    stacked PC = fault_insn       exit 71 / 72
 *
 * Before the trigger main prints "fault_<class>[_forced]: triggering <class>".
 */
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include "stm32h743_regs.h"

#define FAULT_udf         1
#define FAULT_invstate    2
#define FAULT_precise_bus 3
#define FAULT_flash_write 4
#define FAULT_xn          5
#define FAULT_div0        6
#define FAULT_unaligned   7

#ifndef FAULT
#error "build with -DFAULT=FAULT_<class>"
#endif
#ifndef FAULT_FORCED
#define FAULT_FORCED 0
#endif

enum { H_HARD = 3, H_MEM = 4, H_BUS = 5, H_USAGE = 6 };

#if FAULT == FAULT_udf
#define CLASS_NAME "udf"
#define EXP_HANDLER H_USAGE
#elif FAULT == FAULT_invstate
#define CLASS_NAME "invstate"
#define EXP_HANDLER H_USAGE
#elif FAULT == FAULT_precise_bus
#define CLASS_NAME "precise_bus"
#define EXP_HANDLER H_BUS
#elif FAULT == FAULT_flash_write
#define CLASS_NAME "flash_write"
#define EXP_HANDLER H_BUS
#elif FAULT == FAULT_xn
#define CLASS_NAME "xn"
#define EXP_HANDLER H_MEM
#elif FAULT == FAULT_div0
#define CLASS_NAME "div0"
#define EXP_HANDLER H_USAGE
#elif FAULT == FAULT_unaligned
#define CLASS_NAME "unaligned"
#define EXP_HANDLER H_USAGE
#else
#error "unknown FAULT"
#endif

extern char fault_insn[];                    /* label on the faulting instruction */
void invstate_target(void);
uint32_t unaligned_buf[2] = { 0x11223344UL, 0x55667788UL };
void fault_report(const uint32_t *frame, uint32_t exc_return, uint32_t which);

/* Fault handler stubs: r0 = stacked frame (MSP or PSP per EXC_RETURN bit 2), r1 = EXC_RETURN */
#define FAULT_STUB(name, id)                                \
    __attribute__((naked)) void name(void)                  \
    {                                                       \
        __asm volatile("tst   lr, #4        \n"             \
                       "ite   eq            \n"             \
                       "mrseq r0, msp       \n"             \
                       "mrsne r0, psp       \n"             \
                       "mov   r1, lr        \n"             \
                       "movs  r2, #" #id "  \n"             \
                       "b     fault_report  \n");           \
    }
FAULT_STUB(HardFault_Handler, 3)
FAULT_STUB(MemManage_Handler, 4)
FAULT_STUB(BusFault_Handler, 5)
FAULT_STUB(UsageFault_Handler, 6)

static const char *handler_name(uint32_t which)
{
    switch (which) {
    case H_HARD:  return "HardFault";
    case H_MEM:   return "MemManage";
    case H_BUS:   return "BusFault";
    case H_USAGE: return "UsageFault";
    default:      return "?";
    }
}

__attribute__((used, noreturn))
void fault_report(const uint32_t *frame, uint32_t exc_return, uint32_t which)
{
    const uint32_t cfsr = SCB->CFSR, hfsr = SCB->HFSR, mmfar = SCB->MMFAR, bfar = SCB->BFAR;
    const uint32_t pc = frame[6], lr = frame[5], xpsr = frame[7];

    printf("fault: %s IPSR=%lu\n", handler_name(which), (unsigned long)__get_IPSR());
    printf("fault: CFSR=0x%08lx HFSR=0x%08lx MMFAR=0x%08lx BFAR=0x%08lx\n",
           (unsigned long)cfsr, (unsigned long)hfsr, (unsigned long)mmfar, (unsigned long)bfar);
    printf("fault: stacked PC=0x%08lx LR=0x%08lx xPSR=0x%08lx EXC_RETURN=0x%08lx\n",
           (unsigned long)pc, (unsigned long)lr, (unsigned long)xpsr, (unsigned long)exc_return);

    int ok = 1;
    const char *why = "";
    const uint32_t exp_handler = FAULT_FORCED ? H_HARD : EXP_HANDLER;
    if (which != exp_handler || __get_IPSR() != exp_handler) {
        ok = 0;
        why = "handler";
    }
    if (FAULT_FORCED && (hfsr & HFSR_FORCED) == 0U) {
        ok = 0;
        why = "HFSR.FORCED";
    }

#if FAULT == FAULT_udf
    if (cfsr != CFSR_UNDEFINSTR) { ok = 0; why = "CFSR"; }
    if (pc != (uint32_t)(uintptr_t)fault_insn) { ok = 0; why = "PC"; }
#elif FAULT == FAULT_invstate
    if (cfsr != CFSR_INVSTATE) { ok = 0; why = "CFSR"; }
    if (pc != ((uint32_t)(uintptr_t)invstate_target & ~1UL)) { ok = 0; why = "PC"; }
    if (xpsr & (1UL << 24)) { ok = 0; why = "xPSR.T"; }
#elif FAULT == FAULT_precise_bus
    if (cfsr != (CFSR_PRECISERR | CFSR_BFARVALID)) { ok = 0; why = "CFSR"; }
    if (bfar != 0x60000000UL) { ok = 0; why = "BFAR"; }
    if (pc != (uint32_t)(uintptr_t)fault_insn) { ok = 0; why = "PC"; }
#elif FAULT == FAULT_flash_write
    if (cfsr == CFSR_IMPRECISERR) {
        printf("fault: imprecise (buffered store), as on silicon\n");
    } else if (cfsr == (CFSR_PRECISERR | CFSR_BFARVALID) && bfar == 0x08100000UL) {
        printf("fault: precise, BFAR=0x08100000\n");
    } else {
        ok = 0;
        why = "CFSR/BFAR";
    }
#elif FAULT == FAULT_xn
    if (cfsr != CFSR_IACCVIOL) { ok = 0; why = "CFSR"; }
    if (pc != 0x40000000UL) { ok = 0; why = "PC"; }
#elif FAULT == FAULT_div0
    if (cfsr != CFSR_DIVBYZERO) { ok = 0; why = "CFSR"; }
    if (pc != (uint32_t)(uintptr_t)fault_insn) { ok = 0; why = "PC"; }
#elif FAULT == FAULT_unaligned
    if (cfsr != CFSR_UNALIGNED) { ok = 0; why = "CFSR"; }
    if (pc != (uint32_t)(uintptr_t)fault_insn) { ok = 0; why = "PC"; }
#endif

    if (!ok) {
        printf("fault: UNEXPECTED (%s)\n", why);
        exit(99);
    }
    printf("fault: %s as expected\n", CLASS_NAME);
    exit(FAULT * 10 + (FAULT_FORCED ? 2 : 1));
}

/* Target of the invalid-state branch: never executes. */
__attribute__((naked, used, aligned(4))) void invstate_target(void)
{
    __asm volatile("nop\n"
                   "bx lr\n");
}

/* The faulting code. Each variant marks the faulting instruction with fault_insn. */
__attribute__((naked, noinline, used)) static void trigger(void)
{
#if FAULT == FAULT_udf
    __asm volatile(".global fault_insn  \n"
                   "fault_insn:         \n"
                   "udf   #0x42         \n"
                   "bx    lr            \n");
#elif FAULT == FAULT_invstate
    __asm volatile("ldr   r0, =invstate_target \n"
                   "bic   r0, r0, #1    \n"
                   ".global fault_insn  \n"
                   "fault_insn:         \n"
                   "bx    r0            \n"
                   ".ltorg              \n");
#elif FAULT == FAULT_precise_bus
    __asm volatile("ldr   r1, =0x60000000 \n"
                   ".global fault_insn  \n"
                   "fault_insn:         \n"
                   "ldr   r0, [r1]      \n"
                   "bx    lr            \n"
                   ".ltorg              \n");
#elif FAULT == FAULT_flash_write
    __asm volatile("ldr   r1, =0x08100000 \n"
                   "ldr   r0, =0xDEADBEEF \n"
                   ".global fault_insn  \n"
                   "fault_insn:         \n"
                   "str   r0, [r1]      \n"
                   "dsb                 \n"
                   "isb                 \n"
                   "nop                 \n"
                   "nop                 \n"
                   "bx    lr            \n"
                   ".ltorg              \n");
#elif FAULT == FAULT_xn
    __asm volatile("push  {r4, lr}      \n"
                   "ldr   r0, =0x40000001 \n"
                   ".global fault_insn  \n"
                   "fault_insn:         \n"
                   "blx   r0            \n"
                   "pop   {r4, pc}      \n"
                   ".ltorg              \n");
#elif FAULT == FAULT_div0
    __asm volatile("movs  r0, #10       \n"
                   "movs  r1, #0        \n"
                   ".global fault_insn  \n"
                   "fault_insn:         \n"
                   "sdiv  r2, r0, r1    \n"
                   "bx    lr            \n");
#elif FAULT == FAULT_unaligned
    __asm volatile("ldr   r1, =unaligned_buf + 1 \n"
                   ".global fault_insn  \n"
                   "fault_insn:         \n"
                   "ldr   r0, [r1]      \n"
                   "bx    lr            \n"
                   ".ltorg              \n");
#endif
}

int main(void)
{
    printf("fault_%s%s: triggering %s\n", CLASS_NAME, FAULT_FORCED ? "_forced" : "", CLASS_NAME);

#if !FAULT_FORCED
    SCB->SHCSR |= SCB_SHCSR_MEMFAULTENA | SCB_SHCSR_BUSFAULTENA | SCB_SHCSR_USGFAULTENA;
#endif
#if FAULT == FAULT_div0
    SCB->CCR |= SCB_CCR_DIV_0_TRP;
#elif FAULT == FAULT_unaligned
    SCB->CCR |= SCB_CCR_UNALIGN_TRP;
#endif
    __DSB();
    __ISB();

    trigger();

    printf("fault: no fault was raised\n");
    return 98;
}
