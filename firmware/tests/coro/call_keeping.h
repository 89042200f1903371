/* call_keeping.h - an AAPCS check for the coroutine tests (coro.c, coro_rtos.c): load r4-r11
 * and s16-s31 from pat[0..24), call fn(arg), then count the registers (and the stack pointer:
 * +0x100) that did not come back; 0 = the callee-saved state survived the call. */
#ifndef CALL_KEEPING_H
#define CALL_KEEPING_H
#include <stdint.h>

uint32_t call_keeping(void (*fn)(void *), void *arg, const uint32_t *pat);

/* A pattern for call_keeping: r4-r11 = core + i * 0x01010101, s16-s31 = fp0 + i * fp_step. */
void keeping_pattern(uint32_t pat[24], uint32_t core, float fp0, float fp_step);

/* al_coro_resume / al_coro_yield as call_keeping's fn (arg = the al_coro_t). */
void resume_fn(void *coro);
void yield_fn(void *coro);

#endif
