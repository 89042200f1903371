/*
 * svc - SVC call, PendSV from SysTick, nested NVIC priorities, BASEPRI and PRIMASK masking.
 *
 * Priorities (8-bit fields, STM32H7 implements the top 4 bits):
 *   SVCall 0x00 (reset), SysTick 0x80 (SHPR3 byte 0xE000ED23), PendSV 0xF0 (0xE000ED22),
 *   EXTI0_IRQn (6) "L" 0xC0, EXTI1_IRQn (7) "H" 0x40, EXTI2_IRQn (8) "M" 0x40 (NVIC_IPR bytes
 *   0xE000E406..0xE000E408). The three IRQs are enabled in NVIC_ISER0 and pended by software
 *   (NVIC_STIR 0xE000EF00 or NVIC_ISPR0 0xE000E200); no peripheral is involved.
 * Each handler appends an upper-case letter on entry and a lower-case one on exit to a trace.
 *
 * Phases and expected trace:
 *   A  "V"      svc #1 with r0 = 20: SVC_Handler reads the stacked r0 and the SVC immediate
 *               (from the halfword before the stacked PC) and writes r0 = 2*20 + 1 = 41 back
 *               into the stacked frame; main sees 41 in r0 after the svc.
 *   B  "SsP"    SysTick (1 ms at 400 MHz, reload 399999) fires once; its handler stops SysTick
 *               and sets ICSR.PENDSVSET; PendSV (lower priority) runs only after SysTick returns.
 *   C  "LHhl"   STIR = 6 pends L; L's handler pends H (ISPR) + DSB/ISB: H preempts L.
 *   D  "bHhLl"  BASEPRI = 0x80: pending L (0xC0) is masked - main checks it is still pending
 *               and logs 'b'; H (0x40) still preempts main; BASEPRI = 0 then lets L run.
 *   E  "HhMmLl" PRIMASK set, L, M, H pended (in that order), PRIMASK cleared: taken by priority
 *               (H and M both 0x40: lower IRQ number 7 first), then L.
 *   Full expected trace: "VSsPLHhlbHhLlHhMmLl".
 *   Each handler also checks IPSR (11 SVCall, 14 PendSV, 15 SysTick, 22/23/24 for IRQ 6/7/8).
 *
 * Expected observable behaviour (simulator):
 *   Semihosting stdout:
 *     "svc: svc #1 returned 41"
 *     "svc: trace VSsPLHhlbHhLlHhMmLl"
 *     "svc: expect VSsPLHhlbHhLlHhMmLl"
 *     "svc: PASS"   (or "svc: FAIL")
 *   Exit: status 0 on success, 1 otherwise.
 */
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include "stm32h743_regs.h"
#include "system.h"

#define IRQ_L EXTI0_IRQn   /* 6, priority 0xC0 */
#define IRQ_H EXTI1_IRQn   /* 7, priority 0x40 */
#define IRQ_M EXTI2_IRQn   /* 8, priority 0x40 */

static const char expected[] = "VSsPLHhlbHhLlHhMmLl";

static volatile char trace[64];
static volatile unsigned trace_len;
static volatile unsigned errors;
static volatile int phase;
static volatile int pendsv_done;

static void tr(char c)
{
    if (trace_len < sizeof trace - 1U) {
        trace[trace_len++] = c;
    }
}

static void expect_ipsr(uint32_t n)
{
    if (__get_IPSR() != n) {
        errors++;
    }
}

/* ---- SVC ---- */
__attribute__((used)) void svc_handler_c(uint32_t *frame)
{
    tr('V');
    expect_ipsr(11);
    const uint16_t *pc = (const uint16_t *)frame[6];
    const uint32_t imm = pc[-1] & 0xFFU;          /* SVC encoding 0xDFxx */
    frame[0] = frame[0] * 2U + imm;               /* becomes r0 after exception return */
}

__attribute__((naked)) void SVC_Handler(void)
{
    __asm volatile("tst   lr, #4       \n"
                   "ite   eq           \n"
                   "mrseq r0, msp      \n"
                   "mrsne r0, psp      \n"
                   "b     svc_handler_c\n");
}

static uint32_t svc_call(uint32_t arg)
{
    register uint32_t r0 __asm("r0") = arg;
    __asm volatile("svc #1" : "+r"(r0) : : "memory");
    return r0;
}

/* ---- SysTick / PendSV ---- */
void SysTick_Handler(void)
{
    tr('S');
    expect_ipsr(15);
    SysTick->CTRL = 0;
    SCB->ICSR = SCB_ICSR_PENDSVSET;
    __DSB();
    __ISB();
    tr('s');
}

void PendSV_Handler(void)
{
    tr('P');
    expect_ipsr(14);
    pendsv_done = 1;
}

/* ---- external IRQs ---- */
void EXTI0_IRQHandler(void)   /* L */
{
    tr('L');
    expect_ipsr(16 + IRQ_L);
    if (phase == 'C') {
        NVIC_SetPendingIRQ(IRQ_H);
        __DSB();
        __ISB();              /* H (0x40) preempts L (0xC0) here */
    }
    tr('l');
}

void EXTI1_IRQHandler(void)   /* H */
{
    tr('H');
    expect_ipsr(16 + IRQ_H);
    tr('h');
}

void EXTI2_IRQHandler(void)   /* M */
{
    tr('M');
    expect_ipsr(16 + IRQ_M);
    tr('m');
}

int main(void)
{
    SCB->SHPR[SHPR_IDX_SVCALL] = 0x00;
    SCB->SHPR[SHPR_IDX_SYSTICK] = 0x80;
    SCB->SHPR[SHPR_IDX_PENDSV] = 0xF0;
    NVIC_SetPriority(IRQ_L, 0xC0);
    NVIC_SetPriority(IRQ_H, 0x40);
    NVIC_SetPriority(IRQ_M, 0x40);
    NVIC_ClearPendingIRQ(IRQ_L);
    NVIC_ClearPendingIRQ(IRQ_H);
    NVIC_ClearPendingIRQ(IRQ_M);
    NVIC_EnableIRQ(IRQ_L);
    NVIC_EnableIRQ(IRQ_H);
    NVIC_EnableIRQ(IRQ_M);

    /* A: SVC */
    phase = 'A';
    const uint32_t r = svc_call(20);
    printf("svc: svc #1 returned %lu\n", (unsigned long)r);
    if (r != 41U) {
        errors++;
    }

    /* B: SysTick -> PendSV */
    phase = 'B';
    SysTick->LOAD = system_core_clock_hz() / 1000U - 1U;
    SysTick->VAL = 0;
    __disable_irq();
    SysTick->CTRL = SysTick_CTRL_CLKSOURCE | SysTick_CTRL_TICKINT | SysTick_CTRL_ENABLE;
    while (!pendsv_done) {
        __WFI();
        __enable_irq();
        __ISB();
        __disable_irq();
    }
    __enable_irq();

    /* C: nested preemption */
    phase = 'C';
    NVIC->STIR = IRQ_L;
    __DSB();
    __ISB();

    /* D: BASEPRI masking */
    phase = 'D';
    __set_BASEPRI(0x80);
    __ISB();
    NVIC_SetPendingIRQ(IRQ_L);
    __DSB();
    __ISB();
    tr(NVIC_GetPendingIRQ(IRQ_L) ? 'b' : 'x');
    NVIC_SetPendingIRQ(IRQ_H);
    __DSB();
    __ISB();
    __set_BASEPRI(0);
    __ISB();

    /* E: PRIMASK, then priority arbitration */
    phase = 'E';
    __disable_irq();
    NVIC_SetPendingIRQ(IRQ_L);
    NVIC_SetPendingIRQ(IRQ_M);
    NVIC_SetPendingIRQ(IRQ_H);
    __DSB();
    __ISB();
    __enable_irq();
    __ISB();

    char got[sizeof trace];
    const unsigned n = trace_len;
    for (unsigned i = 0; i < n; i++) {
        got[i] = trace[i];
    }
    got[n] = '\0';
    printf("svc: trace %s\n", got);
    printf("svc: expect %s\n", expected);
    const int ok = (strcmp(got, expected) == 0) && errors == 0U;
    if (errors) {
        printf("svc: %u IPSR/return-value errors\n", errors);
    }
    printf("svc: %s\n", ok ? "PASS" : "FAIL");
    return ok ? 0 : 1;
}
