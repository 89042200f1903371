/* al_coro.h - a second stack for the search (viterbi.c "Block budget", README.md): the search
 * runs on it and can stop after any column of a long pass (al_coro_yield) and go on where it
 * stopped in the next audio block (al_coro_resume), while new frames queue in the logit ring.
 * One switch saves and restores the callee-saved registers only (a function call for both
 * sides). Linux / macOS host build: ucontext. Elsewhere (also a soft-float Cortex-M build, which
 * has no s16-s31 to save) AL_CORO is 0 and the search runs at once.
 *
 * Cortex-M7: what al_coro_resume does depends on the context it is called from (read at each
 * call: IPSR, CONTROL.SPSEL, CONTROL.nPRIV):
 *  - thread mode on MSP, privileged (bare metal): the coroutine runs on the process stack
 *    (PSP = its stack, CONTROL.SPSEL = 1) and al_coro_yield sets SPSEL = 0 again. An interrupt
 *    taken inside stacks its frame (8 or 26 words, FP) on the coroutine's stack and runs on MSP.
 *  - thread mode on PSP (an RTOS task, e.g. FreeRTOS / CubeMX; privileged or not): the caller's
 *    PSP value is kept in the coroutine and PSP takes the coroutine's value (no CONTROL write;
 *    an unprivileged task cannot write it). Interrupts as above: frame on the coroutine's stack,
 *    handler on MSP. The RTOS may switch tasks while the coroutine runs (PendSV saves PSP and
 *    the task's registers there, ~0.2 KB with FP); resume and yield of one coroutine must run
 *    in the same task.
 *  - handler mode, or unprivileged thread mode on MSP: the stack pointer in use (MSP) takes the
 *    coroutine's value, so interrupts that preempt it stack and run on the coroutine's 2 KB
 *    stack too. al_coro_can_yield() returns 0 there: the library does not put the search on the
 *    coroutine (no block budget: it searches at once, as before the budget), and only finishes a
 *    search a thread-mode call left stopped, without stopping again. Do not call the aligner
 *    from an interrupt handler; if you must, call it only from there. */
#ifndef AL_CORO_H
#define AL_CORO_H

#include <stdint.h>

#if defined(__ARM_ARCH_7EM__) && defined(__thumb2__) && defined(__ARM_FP)   /* M7 / M4F */
#define AL_CORO 1
typedef struct {
    void *sp;                   /* the coroutine's stack pointer while it is not running */
    void *caller_sp;            /* while it runs: the caller's sp, 0 = the caller is on MSP */
    void (*fn)(void *);
    void *arg;
} al_coro_t;
#elif defined(__linux__) || defined(__APPLE__)
#define AL_CORO 1
#ifndef _XOPEN_SOURCE
#define _XOPEN_SOURCE 700
#endif
#include <ucontext.h>
typedef struct {
    ucontext_t caller, co;
    void (*fn)(void *);
    void *arg;
} al_coro_t;
#else
#define AL_CORO 0
typedef struct { void (*fn)(void *); void *arg; } al_coro_t;
#endif

/* fn(arg) will run on stack[0 .. bytes) (8-byte aligned) from the next al_coro_resume(); it
 * must never return (it yields instead). Starting again drops a coroutine that was stopped. */
void al_coro_start(al_coro_t *c, void (*fn)(void *), void *arg, void *stack, uint32_t bytes);
void al_coro_resume(al_coro_t *c);     /* caller: run the coroutine until it yields */
/* Bytes of stack[0 .. bytes) the coroutine has used since al_coro_start (which paints it):
 * from the lowest word that no longer holds the paint to the top. */
uint32_t al_coro_used(const void *stack, uint32_t bytes);
void al_coro_yield(al_coro_t *c);      /* coroutine: back to the caller of al_coro_resume */
/* 1 where a coroutine may stop and be resumed in a later call (thread mode, on PSP or
 * privileged on MSP; the host build), 0 where interrupt handlers would run on its stack (handler
 * mode, unprivileged on MSP) and where AL_CORO is 0 */
static inline int al_coro_can_yield(void)
{
#if AL_CORO && defined(__ARM_ARCH_7EM__)
    uint32_t ipsr, control;
    __asm volatile("mrs %0, ipsr" : "=r"(ipsr));
    __asm volatile("mrs %0, control" : "=r"(control));
    return (ipsr & 0x1FFu) == 0u && (control & 3u) != 1u;   /* nPRIV = 1, SPSEL = 0: no */
#else
    return AL_CORO;
#endif
}

#endif
