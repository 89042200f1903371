/* call_keeping.c - see call_keeping.h. */
#include "call_keeping.h"
#include <string.h>
#include "al_coro.h"

void keeping_pattern(uint32_t pat[24], uint32_t core, float fp0, float fp_step)
{
    for (uint32_t i = 0; i < 8u; i++) pat[i] = core + i * 0x01010101u;
    for (uint32_t i = 0; i < 16u; i++) {
        float f = fp0 + (float)i * fp_step;
        memcpy(&pat[8u + i], &f, sizeof f);
    }
}

void resume_fn(void *coro) { al_coro_resume((al_coro_t *)coro); }
void yield_fn(void *coro) { al_coro_yield((al_coro_t *)coro); }

__attribute__((naked, noinline)) uint32_t call_keeping(
    void (*fn)(void *) __attribute__((unused)), void *arg __attribute__((unused)),
    const uint32_t *pat __attribute__((unused)))
{
    __asm volatile(
        "push   {r3-r11, lr}          \n"
        "vpush  {s16-s31}             \n"
        "mov    r3, sp                \n"
        "push   {r2, r3}              \n"   /* pat, sp */
        "ldm    r2, {r4-r11}          \n"
        "add    r2, r2, #32           \n"
        "vldm   r2, {s16-s31}         \n"
        "mov    r2, r0                \n"
        "mov    r0, r1                \n"
        "blx    r2                    \n"
        "pop    {r2, r3}              \n"
        "movs   r0, #0                \n"
        "mov    r1, sp                \n"
        "cmp    r1, r3                \n"
        "it     ne                    \n"
        "addne  r0, r0, #0x100        \n"
        ".irp   r, r4, r5, r6, r7, r8, r9, r10, r11\n"
        "ldr    r1, [r2], #4          \n"
        "cmp    r1, \\r               \n"
        "it     ne                    \n"
        "addne  r0, r0, #1            \n"
        ".endr                        \n"
        ".irp   s, s16, s17, s18, s19, s20, s21, s22, s23, s24, s25, s26, s27, s28, s29, s30, s31\n"
        "ldr    r1, [r2], #4          \n"
        "vmov   r3, \\s               \n"
        "cmp    r1, r3                \n"
        "it     ne                    \n"
        "addne  r0, r0, #1            \n"
        ".endr                        \n"
        "vpop   {s16-s31}             \n"
        "pop    {r3-r11, pc}          \n");
}

