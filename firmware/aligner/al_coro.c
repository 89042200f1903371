/* al_coro.c - see al_coro.h. */
#include "al_coro.h"

#define PAINT 0xC0C0A5A5u               /* an unused stack word */

static void paint(void *stack, uint32_t bytes)
{
    uint32_t *w = (uint32_t *)stack;
    for (uint32_t i = 0; i < bytes / 4u; i++) w[i] = PAINT;
}

uint32_t al_coro_used(const void *stack, uint32_t bytes)
{
    const uint32_t *w = (const uint32_t *)stack;
    uint32_t i = 0;
    while (i < bytes / 4u && w[i] == PAINT) i++;
    return bytes - 4u * i;
}

#if AL_CORO
static al_coro_t *co_now;               /* the coroutine being entered (its first entry) */

/* Where a coroutine starts (both switches below enter it here the first time). */
static void co_entry(void)
{
    al_coro_t *c = co_now;
    c->fn(c->arg);
    for (;;) al_coro_yield(c);          /* fn must not return; if it does, stay parked */
}
#endif

#if AL_CORO && defined(__ARM_ARCH_7EM__)
/* Saved per side: r3-r11, lr (r3 keeps the frame a multiple of 8 bytes) and s16-s31. */
#define FRAME_WORDS 26u

/* caller -> coroutine: push the caller's registers on its stack, then (al_coro.h)
 *  - thread mode on MSP, privileged: PSP = c->sp, CONTROL.SPSEL = 1; c->caller_sp = 0;
 *  - else (on PSP already: an RTOS task, privileged or not; handler mode; unprivileged on MSP):
 *    c->caller_sp = sp, sp = c->sp (the stack pointer in use takes the coroutine's value). */
__attribute__((naked, noinline)) static void co_enter(al_coro_t *c __attribute__((unused)))
{
    __asm volatile(
        "push   {r3-r11, lr}      \n"
        "vpush  {s16-s31}         \n"
        "ldr    r1, [r0]          \n"   /* c->sp */
        "mrs    r2, ipsr          \n"
        "cbnz   r2, 1f            \n"   /* handler mode: swap */
        "mrs    r2, control       \n"
        "tst    r2, #3            \n"   /* SPSEL (on PSP) or nPRIV (cannot write CONTROL) */
        "bne    1f                \n"
        "movs   r3, #0            \n"
        "str    r3, [r0, #4]      \n"   /* c->caller_sp = 0: the caller stays on MSP */
        "msr    psp, r1           \n"
        "orr    r2, r2, #2        \n"   /* SPSEL: thread mode uses PSP (FPCA kept) */
        "msr    control, r2       \n"
        "isb                      \n"
        "b      2f                \n"
        "1:                       \n"
        "mov    r3, sp            \n"
        "str    r3, [r0, #4]      \n"   /* c->caller_sp */
        "mov    sp, r1            \n"
        "2:                       \n"
        "vpop   {s16-s31}         \n"
        "pop    {r3-r11, pc}      \n");
}

/* coroutine -> caller: push the coroutine's registers on its stack, c->sp = sp, then back to
 * the caller's stack (SPSEL = 0 if c->caller_sp is 0, else sp = c->caller_sp) and return from
 * co_enter */
__attribute__((naked, noinline)) static void co_leave(al_coro_t *c __attribute__((unused)))
{
    __asm volatile(
        "push   {r3-r11, lr}      \n"
        "vpush  {s16-s31}         \n"
        "mov    r1, sp            \n"
        "str    r1, [r0]          \n"   /* c->sp */
        "ldr    r1, [r0, #4]      \n"
        "cbz    r1, 1f            \n"
        "mov    sp, r1            \n"   /* the caller's stack pointer value */
        "b      2f                \n"
        "1:                       \n"
        "mrs    r2, control       \n"
        "bic    r2, r2, #2        \n"   /* back to MSP */
        "msr    control, r2       \n"
        "isb                      \n"
        "2:                       \n"
        "vpop   {s16-s31}         \n"
        "pop    {r3-r11, pc}      \n");
}

void al_coro_start(al_coro_t *c, void (*fn)(void *), void *arg, void *stack, uint32_t bytes)
{
    uint32_t *top = (uint32_t *)(((uintptr_t)stack + bytes) & ~(uintptr_t)7u);
    uint32_t *f = top - FRAME_WORDS;
    paint(stack, bytes);
    for (uint32_t i = 0; i < FRAME_WORDS; i++) f[i] = 0;
    f[FRAME_WORDS - 1u] = (uint32_t)(uintptr_t)co_entry;   /* popped into pc (Thumb bit set) */
    c->sp = f;
    c->caller_sp = 0;
    c->fn = fn;
    c->arg = arg;
}

void al_coro_resume(al_coro_t *c)
{
    co_now = c;
    co_enter(c);
}

void al_coro_yield(al_coro_t *c) { co_leave(c); }

#elif AL_CORO
void al_coro_start(al_coro_t *c, void (*fn)(void *), void *arg, void *stack, uint32_t bytes)
{
    paint(stack, bytes);
    getcontext(&c->co);
    c->co.uc_stack.ss_sp = stack;
    c->co.uc_stack.ss_size = bytes;
    c->co.uc_link = 0;
    makecontext(&c->co, co_entry, 0);
    c->fn = fn;
    c->arg = arg;
}

void al_coro_resume(al_coro_t *c)
{
    co_now = c;
    swapcontext(&c->caller, &c->co);
}

void al_coro_yield(al_coro_t *c) { swapcontext(&c->co, &c->caller); }

#else
void al_coro_start(al_coro_t *c, void (*fn)(void *), void *arg, void *stack, uint32_t bytes)
{
    paint(stack, bytes);
    c->fn = fn;
    c->arg = arg;
}
void al_coro_resume(al_coro_t *c) { (void)c; }
void al_coro_yield(al_coro_t *c) { (void)c; }
#endif
