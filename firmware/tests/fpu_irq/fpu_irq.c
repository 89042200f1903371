/*
 * fpu_irq - FP context preservation across interrupts (extended frames, lazy stacking).
 *
 * Setup: FPCCR (0xE000EF34) left at reset (ASPEN|LSPEN = 0xC0000000), FPDSCR (0xE000EF3C) = 0
 * (handlers start with RMode = round-to-nearest, FZ = DN = AHP = 0).
 * SysTick: 10 kHz (reload = 400 MHz / 10000 - 1 = 39999), priority 0x80.
 * EXTI0_IRQn (6): priority 0x40, enabled, pended by software from inside the SysTick handler
 * on every 4th tick (nested interrupt).
 *
 *  main      one asm block: vldmia d0-d15 <- pattern A (d12 = 1.0, d13 = 2.0), FPSCR =
 *            0xA0C00012 (N,C, RMode=RZ, IXC, DZC); loop { d14 = d12 + d13; d15 = d14 * d12;
 *            wfi } until 20 SysTick ticks; then vstmia d0-d15 and vmrs FPSCR.
 *            Expected after: d0..d13 = pattern A, d14 = d15 = 3.0, FPSCR = 0xA0C00012.
 *  SysTick   EXC_RETURN (LR at entry) must have bit 4 = 0 (extended frame: main's FP context
 *            is active, CONTROL.FPCA = 1), e.g. 0xFFFFFFE9. First FP instruction (vmrs) must
 *            see FPSCR[26:22] = FPDSCR[26:22] = 0. Loads d0-d7 <- pattern B, FPSCR = 0x00800000
 *            (RM), optionally pends EXTI0 (nested handler runs between DSB/ISB), then checks
 *            d0-d7 = pattern B and FPSCR = 0x00800000 (restored after the nested handler).
 *  EXTI0     EXC_RETURN bit 4 = 0 as well (0xFFFFFFE1: handler mode, extended frame);
 *            FPSCR[26:22] = 0 on first use; overwrites d0-d15 with pattern C (the compiler
 *            saves d8-d15 itself - AAPCS callee-saved; d0-d7 and FPSCR are saved by the
 *            hardware lazy stacking) and sets FPSCR = 0x0040001F.
 *
 * Expected observable behaviour (simulator):
 *   Semihosting stdout:
 *     "fpu_irq: FPCCR=0xc0000000 FPDSCR=0x00000000"
 *     "fpu_irq: ticks=<T> nested=<K> extended frames systick=<T> exti0=<K>"   (T >= 20, K >= 5)
 *     "fpu_irq: main regs ok, main FPSCR=0xa0c00012, handler errors=0"
 *     "fpu_irq: PASS"   (or "fpu_irq: FAIL" after "fpu_irq: d<i> got .. exp .." lines)
 *   Exit: status 0 on success, 1 otherwise.
 */
#include <stdio.h>
#include <stdint.h>
#include "stm32h743_regs.h"
#include "system.h"

#define TICKS_WANTED 20U
#define MAIN_FPSCR   0xA0C00012UL
#define ST_FPSCR     0x00800000UL
#define EXTI_FPSCR   0x0040001FUL
#define FPSCR_CTRL_MASK 0x07C00000UL   /* AHP, DN, FZ, RMode */
#define D_ONE 0x3FF0000000000000ULL
#define D_TWO 0x4000000000000000ULL
#define D_THREE 0x4008000000000000ULL

static uint64_t pattern_a[16];
static uint64_t pattern_b[8];
static uint64_t pattern_c[16];
static uint64_t main_out[16];
static uint32_t main_fpscr_out;

static volatile uint32_t ticks;
static volatile uint32_t nested;
static volatile uint32_t ext_systick, ext_exti;
static volatile uint32_t handler_errors;

/* ---- SysTick: FP user, sometimes interrupted by EXTI0 ---- */
__attribute__((used)) void systick_c(uint32_t exc_return)
{
    const uint32_t t = ticks + 1U;
    ticks = t;
    if ((exc_return & 0x10U) == 0U) {
        ext_systick++;
    }

    uint64_t out[8];
    uint32_t fpscr_entry, fpscr_exit;
    const uint32_t ispr0 = (t % 4U == 0U) ? (1UL << EXTI0_IRQn) : 0U;
    __asm volatile("vmrs   %[e], fpscr          \n"   /* first FP instruction: lazy save */
                   "vldmia %[b], {d0-d7}        \n"
                   "vmsr   fpscr, %[hf]         \n"
                   "str    %[bit], [%[ispr]]    \n"   /* pend EXTI0 (or write 0: no-op) */
                   "dsb                         \n"
                   "isb                         \n"   /* nested EXTI0 handler runs here */
                   "vstmia %[o], {d0-d7}        \n"
                   "vmrs   %[x], fpscr          \n"
                   : [e] "=&r"(fpscr_entry), [x] "=&r"(fpscr_exit)
                   : [b] "r"(pattern_b), [hf] "r"(ST_FPSCR), [bit] "r"(ispr0),
                     [ispr] "r"(&NVIC->ISPR[0]), [o] "r"(out)
                   : "d0", "d1", "d2", "d3", "d4", "d5", "d6", "d7", "memory");

    if ((fpscr_entry & FPSCR_CTRL_MASK) != (FPU->FPDSCR & FPSCR_CTRL_MASK)) {
        handler_errors++;
    }
    if (fpscr_exit != ST_FPSCR) {
        handler_errors++;
    }
    for (unsigned i = 0; i < 8; i++) {
        if (out[i] != pattern_b[i]) {
            handler_errors++;
        }
    }
}

__attribute__((naked)) void SysTick_Handler(void)
{
    __asm volatile("mov r0, lr     \n"
                   "b   systick_c  \n");
}

/* ---- EXTI0: clobbers every FP register and FPSCR ---- */
__attribute__((used)) void exti0_c(uint32_t exc_return)
{
    nested++;
    if ((exc_return & 0x10U) == 0U) {
        ext_exti++;
    }
    uint32_t fpscr_entry;
    __asm volatile("vmrs   %[e], fpscr          \n"
                   "vldmia %[c], {d0-d15}       \n"
                   "vmsr   fpscr, %[f]          \n"
                   "vdiv.f64 d0, d1, d2         \n"
                   : [e] "=&r"(fpscr_entry)
                   : [c] "r"(pattern_c), [f] "r"(EXTI_FPSCR)
                   : "d0", "d1", "d2", "d3", "d4", "d5", "d6", "d7",
                     "d8", "d9", "d10", "d11", "d12", "d13", "d14", "d15", "memory");
    if ((fpscr_entry & FPSCR_CTRL_MASK) != (FPU->FPDSCR & FPSCR_CTRL_MASK)) {
        handler_errors++;
    }
}

__attribute__((naked)) void EXTI0_IRQHandler(void)
{
    __asm volatile("mov r0, lr     \n"
                   "b   exti0_c    \n");
}

int main(void)
{
    for (unsigned i = 0; i < 16; i++) {
        pattern_a[i] = 0xA5A5000000000000ULL ^ (0x0101010101010101ULL * (i + 1U));
        pattern_c[i] = 0xC3C3000000000000ULL ^ (0x0011001100110011ULL * (i + 7U));
    }
    for (unsigned i = 0; i < 8; i++) {
        pattern_b[i] = 0x4B4B000000000000ULL ^ (0x0000010000010001ULL * (i + 3U));
    }
    pattern_a[12] = D_ONE;
    pattern_a[13] = D_TWO;

    printf("fpu_irq: FPCCR=0x%08lx FPDSCR=0x%08lx\n",
           (unsigned long)FPU->FPCCR, (unsigned long)FPU->FPDSCR);

    /* make sure CONTROL.FPCA = 1 before the first tick (main has an FP context) */
    __set_FPSCR(0);

    NVIC_SetPriority(EXTI0_IRQn, 0x40);
    NVIC_ClearPendingIRQ(EXTI0_IRQn);
    NVIC_EnableIRQ(EXTI0_IRQn);
    SCB->SHPR[SHPR_IDX_SYSTICK] = 0x80;
    SysTick->LOAD = system_core_clock_hz() / 10000U - 1U;
    SysTick->VAL = 0;
    SysTick->CTRL = SysTick_CTRL_CLKSOURCE | SysTick_CTRL_TICKINT | SysTick_CTRL_ENABLE;

    __asm volatile("vldmia %[a], {d0-d15}      \n"
                   "vmsr   fpscr, %[fs]        \n"
                   "1:                         \n"
                   "vadd.f64 d14, d12, d13     \n"
                   "vmul.f64 d15, d14, d12     \n"
                   "ldr    r1, [%[t]]          \n"
                   "cmp    r1, %[n]            \n"
                   "bhs    2f                  \n"
                   "wfi                        \n"
                   "b      1b                  \n"
                   "2:                         \n"
                   "vstmia %[o], {d0-d15}      \n"
                   "vmrs   r1, fpscr           \n"
                   "str    r1, [%[of]]         \n"
                   :
                   : [a] "r"(pattern_a), [fs] "r"(MAIN_FPSCR), [t] "r"(&ticks),
                     [n] "r"(TICKS_WANTED), [o] "r"(main_out), [of] "r"(&main_fpscr_out)
                   : "r1", "d0", "d1", "d2", "d3", "d4", "d5", "d6", "d7",
                     "d8", "d9", "d10", "d11", "d12", "d13", "d14", "d15", "cc", "memory");

    SysTick->CTRL = 0;
    NVIC_DisableIRQ(EXTI0_IRQn);

    int ok = 1;
    for (unsigned i = 0; i < 16; i++) {
        const uint64_t exp = (i >= 14U) ? D_THREE : pattern_a[i];
        if (main_out[i] != exp) {
            printf("fpu_irq: d%u got 0x%016llx exp 0x%016llx\n", i,
                   (unsigned long long)main_out[i], (unsigned long long)exp);
            ok = 0;
        }
    }
    const uint32_t t = ticks, k = nested;
    printf("fpu_irq: ticks=%lu nested=%lu extended frames systick=%lu exti0=%lu\n",
           (unsigned long)t, (unsigned long)k, (unsigned long)ext_systick, (unsigned long)ext_exti);
    printf("fpu_irq: main regs %s, main FPSCR=0x%08lx, handler errors=%lu\n", ok ? "ok" : "CORRUPTED",
           (unsigned long)main_fpscr_out, (unsigned long)handler_errors);
    if (main_fpscr_out != MAIN_FPSCR || handler_errors != 0U || t < TICKS_WANTED ||
        k < TICKS_WANTED / 4U || ext_systick != t || ext_exti != k) {
        ok = 0;
    }
    printf("fpu_irq: %s\n", ok ? "PASS" : "FAIL");
    return ok ? 0 : 1;
}
