/*
 * coro - the aligner's coroutine (firmware/aligner/al_coro.c) from every context the library
 * may be called in: bare-metal thread mode on MSP, an RTOS task (thread mode on PSP,
 * CONTROL.SPSEL = 1, privileged), handler mode (an SVC handler), an unprivileged thread on MSP
 * (CONTROL.nPRIV = 1; an SVC gives the privilege back after it) and an unprivileged RTOS task
 * (nPRIV = 1 on PSP). al_coro.h says what each does.
 *
 * Each phase starts a coroutine with al_coro_start and resumes it STEPS times. The coroutine
 * computes x <- x * 1664525 + 1013904223 (mod 2^32) from the phase's seed, then sleeps (WFI)
 * until SysTick (10 kHz) has interrupted it, publishes x and yields. Around every resume (caller)
 * and every yield (coroutine) the callee-saved registers r4-r11 and s16-s31 hold a pattern that
 * must come back (AAPCS), and so must the stack pointer; the caller keeps a canary in its own
 * stack frame. The SysTick handler counts where the interrupted context stacked its frame.
 *
 * Expected observable behaviour (simulator):
 *   Semihosting stdout, one line per phase (msp, psp, handler, msp_unpriv, psp_unpriv):
 *     "coro: <phase> can_yield=<0|1> values <x1> ... <x6> regs=<bad words> canary=<ok|BAD>
 *      ticks_on_co=<n> handler_on_co=<n>"
 *   then "coro: PASS" (or "coro: FAIL"). Exit status 0 on success, 1 otherwise; a broken
 *   switch faults (exit reason "fault").
 *   can_yield: 1 in thread mode (msp, psp, psp_unpriv), 0 in handler mode and unprivileged on
 *   MSP (msp_unpriv).
 *   ticks_on_co: SysTick frames stacked on the coroutine's stack (>= STEPS).
 *   handler_on_co: SysTick handlers that ran on the coroutine's stack: 0 in thread mode (they run
 *   on MSP, the coroutine on PSP); in handler mode and msp_unpriv the coroutine's stack is MSP
 *   (>= STEPS).
 */
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include "stm32h743_regs.h"
#include "system.h"
#include "al_coro.h"
#include "call_keeping.h"

#define STEPS 6u
#define N_PHASES 5u

enum { PH_MSP, PH_PSP, PH_HANDLER, PH_MSP_UNPRIV, PH_PSP_UNPRIV };
static const char *const phase_name[N_PHASES] = {"msp", "psp", "handler", "msp_unpriv",
                                                   "psp_unpriv"};
static const uint32_t seed[N_PHASES] = {1u, 0x12345678u, 0xCAFEF00Du, 0x0BADCAFEu,
                                              0xDEADBEEFu};

static al_coro_t co;
static uint64_t co_stack[256];                 /* 2 KB, as AL_VIT_CO_STACK */
static uint64_t task_stack[256];               /* the RTOS task's own stack (PSP) */

/* 8 core words (r4-r11) then 16 FP words (s16-s31) */
static uint32_t pat_caller[24];
static uint32_t pat_co[24];

static volatile uint32_t ticks;
static volatile uint32_t ticks_on_co, handler_on_co;
static volatile uint32_t value;                /* what the coroutine published last */
static volatile uint32_t co_errors;            /* coroutine side: registers that did not survive */
static uint32_t phase;
static uint32_t values[N_PHASES][STEPS];
static uint32_t caller_errors[N_PHASES];
static uint32_t can_yield[N_PHASES];
static uint32_t canary_ok[N_PHASES];
static uint32_t on_co[N_PHASES], handler_co[N_PHASES];

static int in_co_stack(uint32_t a)
{
    return a >= (uint32_t)(uintptr_t)co_stack && a < (uint32_t)(uintptr_t)(co_stack + 256);
}

/* ---- SysTick: where did the interrupted context stack its frame, where does it run ---- */
__attribute__((used)) void systick_c(uint32_t exc_return, uint32_t msp, uint32_t psp)
{
    ticks++;
    if (in_co_stack((exc_return & 4u) ? psp : msp)) ticks_on_co++;
    if (in_co_stack(msp)) handler_on_co++;
}

__attribute__((naked)) void SysTick_Handler(void)
{
    __asm volatile("mov r0, lr      \n"
                   "mrs r1, msp     \n"
                   "mrs r2, psp     \n"
                   "b   systick_c   \n");
}


static void co_body(void *arg)
{
    uint32_t x = *(const uint32_t *)arg;
    for (;;) {
        x = x * 1664525u + 1013904223u;
        uint32_t t0 = ticks;
        while (ticks == t0) __WFI();           /* SysTick interrupts the coroutine */
        value = x;
        co_errors += call_keeping(yield_fn, &co, pat_co);
    }
}

/* One phase, from whatever context calls it. */
static void run_phase(void)
{
    volatile uint32_t canary[8];
    for (uint32_t i = 0; i < 8u; i++) canary[i] = 0x5AFE0000u + i;
    can_yield[phase] = (uint32_t)al_coro_can_yield();
    ticks_on_co = 0;
    handler_on_co = 0;
    al_coro_start(&co, co_body, (void *)&seed[phase], co_stack, sizeof co_stack);
    for (uint32_t k = 0; k < STEPS; k++) {
        value = 0;
        caller_errors[phase] += call_keeping(resume_fn, &co, pat_caller);
        values[phase][k] = value;
    }
    uint32_t ok = 1;
    for (uint32_t i = 0; i < 8u; i++)
        if (canary[i] != 0x5AFE0000u + i) ok = 0;
    canary_ok[phase] = ok;
    on_co[phase] = ticks_on_co;
    handler_co[phase] = handler_on_co;
}

void SVC_Handler(void)
{
    if (phase == PH_MSP_UNPRIV) {               /* end of msp_unpriv: privileged again */
        __asm volatile("mrs r0, control \n bic r0, r0, #1 \n msr control, r0" ::: "r0");
        return;
    }
    run_phase();
}

/* Thread mode on PSP = top, as an RTOS task: CONTROL |= bits (SPSEL, nPRIV), fn(), back to MSP
 * (only if still privileged). */
__attribute__((naked, noinline)) static void call_as_task(
    void (*fn)(void) __attribute__((unused)), void *top __attribute__((unused)),
    uint32_t bits __attribute__((unused)))
{
    __asm volatile(
        "push   {r4, lr}              \n"
        "msr    psp, r1               \n"
        "mrs    r4, control           \n"
        "orr    r1, r4, r2            \n"
        "msr    control, r1           \n"
        "isb                          \n"
        "blx    r0                    \n"
        "msr    control, r4           \n"
        "isb                          \n"
        "pop    {r4, pc}              \n");
}

static int report(void)
{
    int ok = 1;
    for (uint32_t p = 0; p < N_PHASES; p++) {
        uint32_t x = seed[p];
        printf("coro: %s can_yield=%lu values", phase_name[p], (unsigned long)can_yield[p]);
        for (uint32_t k = 0; k < STEPS; k++) {
            x = x * 1664525u + 1013904223u;
            printf(" %lu", (unsigned long)values[p][k]);
            if (values[p][k] != x) ok = 0;
        }
        printf(" regs=%lu canary=%s ticks_on_co=%lu handler_on_co=%lu\n",
               (unsigned long)caller_errors[p], canary_ok[p] ? "ok" : "BAD",
               (unsigned long)on_co[p], (unsigned long)handler_co[p]);
        const int handler = p == PH_HANDLER || p == PH_MSP_UNPRIV;   /* MSP moves */
        if (caller_errors[p] != 0u || !canary_ok[p] || on_co[p] < STEPS
            || can_yield[p] != (handler ? 0u : 1u)
            || (handler ? handler_co[p] < STEPS : handler_co[p] != 0u))
            ok = 0;
    }
    printf("coro: co_errors=%lu\n", (unsigned long)co_errors);
    if (co_errors != 0u) ok = 0;
    printf("coro: %s\n", ok ? "PASS" : "FAIL");
    return ok;
}

static void last_task(void)                    /* unprivileged: cannot go back to MSP */
{
    phase = PH_PSP_UNPRIV;
    run_phase();
    SysTick->CTRL = 0;
    exit(report() ? 0 : 1);
}

int main(void)
{
    keeping_pattern(pat_caller, 0x40404040u, 1.0f, 1.0f);
    keeping_pattern(pat_co, 0x04C0C004u, -1.0f, -1.0f);
    SCB->SHPR[SHPR_IDX_SYSTICK] = 0x40;        /* SysTick preempts the SVC handler */
    SCB->SHPR[SHPR_IDX_SVCALL] = 0x80;
    SysTick->LOAD = system_core_clock_hz() / 10000u - 1u;
    SysTick->VAL = 0;
    SysTick->CTRL = SysTick_CTRL_CLKSOURCE | SysTick_CTRL_TICKINT | SysTick_CTRL_ENABLE;

    phase = PH_MSP;                            /* bare metal: thread mode on MSP */
    run_phase();
    phase = PH_PSP;                            /* an RTOS task: PSP, SPSEL = 1, privileged */
    call_as_task(run_phase, task_stack + 256, 2u);
    phase = PH_HANDLER;                        /* handler mode (must not yield) */
    __asm volatile("svc #0" ::: "memory");
    phase = PH_MSP_UNPRIV;                     /* unprivileged on MSP (must not yield) */
    __asm volatile("mrs r0, control \n orr r0, r0, #1 \n msr control, r0 \n isb"
                   ::: "r0", "memory");
    run_phase();
    __asm volatile("svc #0" ::: "memory");     /* privileged again */
    phase = PH_PSP_UNPRIV;                     /* an unprivileged task: nPRIV = 1 as well */
    call_as_task(last_task, task_stack + 256, 3u);
    return 1;                                  /* not reached */
}
