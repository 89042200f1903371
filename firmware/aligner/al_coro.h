/* al_coro.h - a second stack for the search (viterbi.c "Block budget", README.md): the search
 * runs on it and can stop after any column of a long pass (al_coro_yield) and go on where it
 * stopped in the next audio block (al_coro_resume), while new frames queue in the logit ring.
 * One switch saves and restores the callee-saved registers only (a function call for both
 * sides). Cortex-M7: the coroutine runs on the process stack (PSP, CONTROL.SPSEL), as an RTOS
 * task would, so interrupts taken while it runs stack their frame there and run on MSP.
 * Linux / macOS host build: ucontext. Elsewhere AL_CORO is 0 and the search runs at once. */
#ifndef AL_CORO_H
#define AL_CORO_H

#include <stdint.h>

#if defined(__ARM_ARCH_7EM__) && defined(__thumb2__)
#define AL_CORO 1
typedef struct {
    void *sp;                   /* the coroutine's stack pointer while it is not running */
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

#endif
