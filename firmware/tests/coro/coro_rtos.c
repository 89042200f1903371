/*
 * coro_rtos - the aligner's coroutine (firmware/aligner/al_coro.c) inside an RTOS task while the
 * RTOS switches tasks: the kernel of tests/cubemx_rtos (FreeRTOS's Cortex-M4F/M7 PendSV port:
 * PSP, r4-r11 and s16-s31 saved on the task's stack; a switch at every 1 kHz SysTick tick).
 *
 * Task "aligner" starts a coroutine and resumes it STEPS times; the coroutine computes
 * x <- x * 1664525 + 1013904223 (mod 2^32) from SEED, then waits until the task "other" has run
 * (the RTOS switched away from the coroutine and back: the aligner task's context is saved on
 * the coroutine's stack), publishes x and yields. Task "other" loops with its own pattern in
 * r4-r11 / s16-s31 across the switches. Then the aligner task writes results[] and sleeps for
 * good with SysTick's interrupt off (the simulation ends idle).
 *
 * results[] (read by tests/test_coro.py):
 *   [0..STEPS) the values the caller received       [8]  caller registers / sp not kept
 *   [9]  coroutine registers not kept                [10] task switches inside the coroutine
 *   [11] task "other": registers not kept            [12] caller's stack canary intact (1)
 *   [13] al_coro_can_yield() in the task (1)         [14] coroutine stack bytes used
 *   [15] 0x600DC0DE when done
 */
#include "regs.h"
#include "rtos.h"
#include "al_coro.h"
#include "call_keeping.h"

#define STEPS 6u
#define SEED 0x600D5EEDu

extern uint32_t SystemCoreClock;
volatile uint32_t results[16];

static al_coro_t co;
static uint64_t co_stack[256];                 /* 2 KB, as AL_VIT_CO_STACK */
static volatile uint32_t other_runs, value, co_errors, switches_inside;
static const uint32_t seed = SEED;

static uint32_t pat_caller[24];
static uint32_t pat_co[24];
static uint32_t pat_other[24];


static void co_body(void *arg)
{
    uint32_t x = *(const uint32_t *)arg;
    for (;;) {
        x = x * 1664525u + 1013904223u;
        uint32_t r0 = other_runs;
        while (other_runs == r0) {            /* the RTOS runs "other", then comes back here */
        }
        switches_inside++;
        value = x;
        co_errors += call_keeping(yield_fn, &co, pat_co);
    }
}

static void spin(void *arg)
{
    for (uint32_t i = 0; i < 200u; i++) (void)*(volatile uint32_t *)arg;
}

static void other_task(void *arg)
{
    (void)arg;
    for (;;) {
        results[11] += call_keeping(spin, (void *)&other_runs, pat_other);
        other_runs++;
    }
}

static void aligner_task(void *arg)
{
    (void)arg;
    volatile uint32_t canary[8];
    for (uint32_t i = 0; i < 8u; i++) canary[i] = 0x5AFE0000u + i;
    results[13] = (uint32_t)al_coro_can_yield();
    al_coro_start(&co, co_body, (void *)&seed, co_stack, sizeof co_stack);
    for (uint32_t k = 0; k < STEPS; k++) {
        value = 0;
        results[8] += call_keeping(resume_fn, &co, pat_caller);
        results[k] = value;
    }
    uint32_t ok = 1;
    for (uint32_t i = 0; i < 8u; i++)
        if (canary[i] != 0x5AFE0000u + i) ok = 0;
    results[12] = ok;
    results[9] = co_errors;
    results[10] = switches_inside;
    results[14] = al_coro_used(co_stack, sizeof co_stack);
    results[15] = 0x600DC0DEu;
    rtos_critical_enter();
    SYST_CSR = 5u;                             /* SysTick counting, its interrupt off */
    SCB_ICSR = (1u << 25) | (1u << 27);        /* PENDSTCLR, PENDSVCLR */
    __asm volatile("cpsie i");
    for (;;)
        __asm volatile("wfi");
}

int main(void)
{
    keeping_pattern(pat_caller, 0x14141414u, 1.0f, 1.0f);
    keeping_pattern(pat_co, 0x24C0C024u, -1.0f, -1.0f);
    keeping_pattern(pat_other, 0x34343434u, 100.0f, 1.0f);
    rtos_create_task(aligner_task, "aligner", 512u, 0);
    rtos_create_task(other_task, "other", 256u, 0);
    rtos_start(SystemCoreClock / 1000u);       /* never returns */
    return 0;
}
