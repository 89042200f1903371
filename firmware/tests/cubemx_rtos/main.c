/*
 * A CubeMX + FreeRTOS shaped program, written for this test (no vendor code):
 *  - the HAL timebase on TIM6, as CubeMX generates it whenever FreeRTOS owns SysTick
 *    (HAL_InitTick: 1 MHz counter, ARR 999 -> 1 kHz update interrupt; uwTick++ in the
 *    TIM6_DAC handler; HAL_Delay spins on HAL_GetTick);
 *  - an RTOS with three tasks switching PSP in PendSV on the SysTick tick (rtos.c);
 *  - at the end HAL_SuspendTick (TIM6 update interrupt off) and SysTick's interrupt off, then
 *    WFI: nothing can end it, the simulation ends idle.
 * results[] is read by tests/test_cubemx_rtos.py.
 */
#include "regs.h"
#include "rtos.h"

extern uint32_t SystemCoreClock;

volatile uint32_t uwTick;
volatile uint32_t results[16];

static uint32_t timer_clock_hz(void)
{
    /* RM0433 Table 56: APB1 timer clock = pclk1 when D2PPRE1 = 1, else 2 x pclk1 */
    uint32_t d2ppre1 = (RCC_D2CFGR >> 4) & 7u;
    uint32_t pclk1 = SystemCoreClock;            /* HPRE = 1 at reset */
    if (d2ppre1 < 4u)
        return pclk1;
    return 2u * (pclk1 >> (d2ppre1 - 3u));
}

int HAL_InitTick(uint32_t priority)
{
    RCC_APB1LENR |= 1u << 4;                     /* __HAL_RCC_TIM6_CLK_ENABLE */
    (void)RCC_APB1LENR;
    TIM6_ARR = 1000000u / 1000u - 1u;            /* 1 kHz */
    TIM6_PSC = timer_clock_hz() / 1000000u - 1u; /* 1 MHz counter */
    TIM6_CR1 = 0;
    TIM6_EGR = 1u;                               /* UG: load PSC */
    TIM6_SR = ~1u;                               /* clear UIF */
    NVIC_IPR8(TIM6_DAC_IRQn) = (uint8_t)(priority << 4);
    NVIC_ISER(TIM6_DAC_IRQn / 32u) = 1u << (TIM6_DAC_IRQn % 32u);
    TIM6_DIER |= 1u;                             /* HAL_TIM_Base_Start_IT */
    results[11] = DWT_CYCCNT;
    TIM6_CR1 |= 1u;
    return 0;
}

void HAL_SuspendTick(void) { TIM6_DIER &= ~1u; }
uint32_t HAL_GetTick(void) { return uwTick; }

void HAL_Delay(uint32_t ms)
{
    uint32_t start = HAL_GetTick();
    while (HAL_GetTick() - start < ms + 1u) {
    }
}

void TIM6_DAC_IRQHandler(void)
{
    if ((TIM6_SR & 1u) && (TIM6_DIER & 1u)) {
        TIM6_SR = ~1u;
        uwTick++;                                /* HAL_IncTick */
    }
}

/* CubeIDE's sysmem.c _sbrk (written for this test): the heap grows from _end up to
 * _estack - _Min_Stack_Size. */
extern uint8_t _end, _estack, _Min_Stack_Size;
static uint8_t *heap_brk;

__attribute__((noinline)) void *_sbrk(int incr)  /* its own file in CubeIDE */
{
    uint8_t *limit = &_estack - (uint32_t)&_Min_Stack_Size;
    if (!heap_brk)
        heap_brk = &_end;
    if (heap_brk + incr > limit)
        return (void *)-1;
    uint8_t *prev = heap_brk;
    heap_brk += incr;
    return prev;
}

static volatile uint32_t counters[3];

static uint32_t __attribute__((noinline)) depth(uint32_t n, volatile uint32_t *buf)
{
    volatile uint32_t local[16];
    for (uint32_t i = 0; i < 16u; i++)
        local[i] = n + i + buf[0];
    if (n == 0u)
        return local[3];
    return depth(n - 1u, buf) + local[5];
}

static void task_body(void *arg)
{
    uint32_t idx = (uint32_t)arg;
    for (;;) {
        counters[idx] += depth(2u + 3u * idx, &counters[idx]);
        counters[idx] |= 1u;
        if (idx == 2u && rtos_ticks() >= 30u) {
            /* the end: every task ran; record the figures, then sleep for good */
            rtos_critical_enter();
            results[2] = rtos_stack_high_water_words(0);
            results[3] = rtos_stack_high_water_words(1);
            results[4] = rtos_stack_high_water_words(2);
            results[5] = xMinimumEverFreeBytesRemaining;
            results[6] = AXI_TARG7_FN_MOD;   /* what SystemInit wrote on rev Y */
            results[7] = HAL_GetTick();
            results[12] = DWT_CYCCNT;
            results[8] = (counters[0] & counters[1] & counters[2]) & 1u;
            results[9] = rtos_ticks();
            results[15] = 0x600DC0DEu;
            HAL_SuspendTick();
            SYST_CSR = 5u;                       /* SysTick counting, its interrupt off */
            SCB_ICSR = (1u << 25) | (1u << 27);  /* PENDSTCLR, PENDSVCLR */
            __asm volatile ("cpsie i");
            for (;;)
                __asm volatile ("wfi");
        }
    }
}

int main(void)
{
    DEMCR |= 1u << 24;                           /* TRCENA */
    DWT_LAR = 0xC5ACCE55u;
    DWT_CYCCNT = 0;
    DWT_CTRL |= 1u;                              /* CYCCNTENA */
    HAL_InitTick(15u);                           /* HAL_Init: TIM6 timebase, lowest priority */
    uint32_t t0 = HAL_GetTick();
    HAL_Delay(5);
    results[0] = HAL_GetTick() - t0;             /* HAL_Delay(5) waits 6 ticks (HAL adds 1) */
    results[1] = t0;
    /* what newlib's first printf does: a 1 KB stdout buffer from the heap (_sbrk) */
    volatile uint8_t *buf = _sbrk(1024);
    for (uint32_t i = 0; i < 1024u; i++)
        buf[i] = (uint8_t)i;
    results[10] = (uint32_t)(buf + 1024) - (uint32_t)&_end;
    rtos_create_task(task_body, "alpha", 256u, (void *)0);
    rtos_create_task(task_body, "beta", 320u, (void *)1);
    rtos_create_task(task_body, "gamma", 384u, (void *)2);
    rtos_start(SystemCoreClock / 1000u);         /* never returns */
    return 0;
}

/* gcc may turn loops into these calls (-nostdlib) */
void *memset(void *d, int c, unsigned n)
{
    unsigned char *p = d;
    while (n--)
        *p++ = (unsigned char)c;
    return d;
}
