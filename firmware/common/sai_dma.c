/*
 * sai_dma.c - SAI1 block A -> DMA1 stream 0 audio capture, see sai_dma.h.
 *
 * Register sequence of audio_in_start(buf, 256, cb) (RM0433 Rev 8):
 *   RCC_PLLCKSELR (0x58024428) DIVM3[25:20] = 25       HSI 64 MHz / 25 = 2.56 MHz
 *   RCC_PLLCFGR   (0x5802442C) PLL3RGE[11:10] = 1 (2..4 MHz), PLL3VCOSEL (b9) = 1 (medium VCO),
 *                              PLL3FRACEN (b8) = 0, DIVP3EN (b22) = 1
 *   RCC_PLL3DIVR  (0x58024440) = 0x0101304F            N = 80, P = 25, Q = R = 2 -> 8.192 MHz
 *   RCC_CR        (0x58024400) |= PLL3ON (b28), poll PLL3RDY (b29)
 *   RCC_D2CCIP1R  (0x58024450) SAI1SEL[2:0] = 2        pll3_p_ck
 *   RCC_AHB1ENR   (0x580244D8) |= DMA1EN (b0), read back
 *   RCC_APB2ENR   (0x580244F0) |= SAI1EN (b22), read back
 *   RCC_AHB4ENR   (0x580244E0) |= GPIOEEN (b4); GPIOE (0x58021000) PE2/PE4/PE5/PE6: MODER AF,
 *                              OTYPER push-pull, OSPEEDR high, no pull, AFRL = 6 (SAI1 A)
 *   DMAMUX1_C0CR  (0x40020800) = 87                    SAI1_A request (RM0433 table 121)
 *   DMA1_S0CR     (0x40020010) = 0, wait EN = 0
 *   DMA1_LIFCR    (0x40020008) = 0x3D                  clear stream 0 flags
 *   DMA1_S0PAR    (0x40020018) = 0x40015820            SAI1_ADR
 *   DMA1_S0M0AR   (0x4002001C) = buf                   AXI SRAM
 *   DMA1_S0NDTR   (0x40020014) = 2 * half_len
 *   DMA1_S0FCR    (0x40020024) = 0                     direct mode
 *   DMA1_S0CR     = 0x00022D1C (PL high, MSIZE = PSIZE = 16 bit, MINC, CIRC, HTIE, TCIE, TEIE),
 *                   then |= EN
 *   SAI1_ACR1     (0x40015804) = 0 (block disabled), poll SAIEN = 0
 *   SAI1_AFRCR    (0x4001580C) = 0x00051F3F            FRL 64 bits, FSALL 32, FSDEF, FSOFF
 *   SAI1_ASLOTR   (0x40015810) = 0x00030180            32-bit slots, 2 slots, slots 0+1
 *   SAI1_ACR2     (0x40015808) = 0 then FFLUSH
 *   SAI1_ACLRFR   (0x4001581C) = 0x77                  clear all flags
 *   SAI1_AIM      (0x40015814) = 1                     OVRUDRIE
 *   SAI1_ACR1     = 0x00221281 (MODE master rx, DS 16, CKSTR, MONO, DMAEN, MCKDIV 2),
 *                   then |= SAIEN (b16)                 fs = 8.192 MHz / (2 * 256) = 16 kHz
 *   NVIC: IRQ 11 (DMA1_Stream0) priority 0x40, IRQ 87 (SAI1) priority 0x40, both enabled.
 */
#include "sai_dma.h"

#include <stddef.h>
#include "stm32h743_regs.h"

/* ------------------------------------------------------------------ registers (RM0433) */
#define REG32(a) (*(volatile uint32_t *)(a))

/* RCC bits not in stm32h743_regs.h */
#define RCC_CR_PLL3ON            (1UL << 28)
#define RCC_CR_PLL3RDY           (1UL << 29)
#define RCC_PLLCKSELR_DIVM3_POS  20U
#define RCC_PLLCKSELR_DIVM3_MSK  (0x3FUL << 20)
#define RCC_PLLCFGR_PLL3FRACEN   (1UL << 8)
#define RCC_PLLCFGR_PLL3VCOSEL   (1UL << 9)
#define RCC_PLLCFGR_PLL3RGE_POS  10U
#define RCC_PLLCFGR_PLL3RGE_MSK  (3UL << 10)
#define RCC_PLLCFGR_DIVP3EN      (1UL << 22)
#define RCC_D2CCIP1R_SAI1SEL_MSK (7UL << 0)
#define RCC_D2CCIP1R_SAI1SEL_PLL3P (2UL << 0)
#define RCC_AHB1ENR_DMA1EN       (1UL << 0)
#define RCC_APB2ENR_SAI1EN       (1UL << 22)

#define PLL3_DIVM   25U
#define PLL3_DIVR_VALUE 0x0101304FUL   /* N-1 = 79, P-1 = 24, Q-1 = 1, R-1 = 1 */

/* DMAMUX1 */
#define DMAMUX1_C0CR  REG32(0x40020800UL)
#define DMAMUX_REQ_SAI1_A 87U

/* DMA1, stream 0 */
#define DMA1_BASE     0x40020000UL
#define DMA1_LISR     REG32(DMA1_BASE + 0x00)
#define DMA1_LIFCR    REG32(DMA1_BASE + 0x08)
#define DMA1_S0CR     REG32(DMA1_BASE + 0x10)
#define DMA1_S0NDTR   REG32(DMA1_BASE + 0x14)
#define DMA1_S0PAR    REG32(DMA1_BASE + 0x18)
#define DMA1_S0M0AR   REG32(DMA1_BASE + 0x1C)
#define DMA1_S0FCR    REG32(DMA1_BASE + 0x24)
#define DMA_S0_FEIF   (1UL << 0)
#define DMA_S0_DMEIF  (1UL << 2)
#define DMA_S0_TEIF   (1UL << 3)
#define DMA_S0_HTIF   (1UL << 4)
#define DMA_S0_TCIF   (1UL << 5)
#define DMA_S0_ALL    (DMA_S0_FEIF | DMA_S0_DMEIF | DMA_S0_TEIF | DMA_S0_HTIF | DMA_S0_TCIF)
#define DMA_SXCR_EN   (1UL << 0)
/* PL = high (10), MSIZE = PSIZE = 01 (half word), MINC, CIRC, TCIE, HTIE, TEIE, DIR = 00 */
#define DMA_S0CR_CAPTURE 0x00022D1CUL

/* SAI1 block A */
#define SAI1_BASE     0x40015800UL
#define SAI1_ACR1     REG32(SAI1_BASE + 0x04)
#define SAI1_ACR2     REG32(SAI1_BASE + 0x08)
#define SAI1_AFRCR    REG32(SAI1_BASE + 0x0C)
#define SAI1_ASLOTR   REG32(SAI1_BASE + 0x10)
#define SAI1_AIM      REG32(SAI1_BASE + 0x14)
#define SAI1_ASR      REG32(SAI1_BASE + 0x18)
#define SAI1_ACLRFR   REG32(SAI1_BASE + 0x1C)
#define SAI1_ADR_ADDR (SAI1_BASE + 0x20)
#define SAI1_ADR      REG32(SAI1_ADR_ADDR)
#define SAI_CR1_SAIEN (1UL << 16)
#define SAI_CR1_DMAEN (1UL << 17)
#define SAI_CR2_FFLUSH (1UL << 3)
#define SAI_SR_OVRUDR (1UL << 0)
#define SAI_SR_FREQ   (1UL << 3)
#define SAI_IM_FREQIE (1UL << 3)
#define SAI_CR2_FTH_QUARTER (1UL << 0)
#define SAI_SR_FLVL_MSK (7UL << 16)
#define SAI_IM_OVRUDRIE (1UL << 0)
#define SAI_CLRFR_ALL 0x77UL
/* MODE = 01 master receiver, PRTCFG free, DS = 100 (16 bits), CKSTR, MONO, MCKDIV = 2 */
#define SAI_ACR1_CAPTURE_NODMA 0x00201281UL
#define SAI_AFRCR_CAPTURE 0x00051F3FUL
#define SAI_ASLOTR_CAPTURE 0x00030180UL

#define DMA1_STREAM0_IRQn 11U
#define SAI1_IRQn         87U

/* ------------------------------------------------------------------ D-cache by address */
#define DCACHE_LINE 32U

/* One D-cache maintenance operation by address (DCIMVAC: invalidate, DCCIMVAC: clean and
 * invalidate) over every line of [addr, addr + bytes), as CMSIS SCB_*DCache_by_Addr do. */
static void dcache_by_address(volatile uint32_t *op, const void *addr, uint32_t bytes)
{
    if ((SCB->CCR & SCB_CCR_DC) == 0U || bytes == 0U) {
        return;
    }
    uintptr_t a = (uintptr_t)addr & ~(uintptr_t)(DCACHE_LINE - 1U);
    const uintptr_t end = (uintptr_t)addr + bytes;
    __DSB();
    for (; a < end; a += DCACHE_LINE) {
        *op = (uint32_t)a;
    }
    __DSB();
    __ISB();
}

static void dcache_invalidate(const void *addr, uint32_t bytes)
{
    dcache_by_address(&SCB->DCIMVAC, addr, bytes);
}

static void dcache_clean_invalidate(const void *addr, uint32_t bytes)
{
    dcache_by_address(&SCB->DCCIMVAC, addr, bytes);
}

/* ------------------------------------------------------------------ state */
static int16_t *s_buf;
static uint32_t s_half;               /* samples per block */
static audio_in_cb s_cb;
static volatile uint32_t s_produced;  /* blocks completed by the DMA */
static volatile uint32_t s_consumed;  /* queue mode: blocks released by the consumer */
static volatile uint32_t s_overruns;
static volatile uint32_t s_dma_errors;
static volatile uint32_t s_lost;
static volatile uint32_t s_late;
static uint32_t s_current;            /* queue mode: block handed out by audio_in_get */
static int s_have_current;

static void pins_init(void);

static void clocks_on(void)
{
    /* PLL3 (shares PLLSRC with PLL1: HSI, set by SystemInit) -> 8.192 MHz on P */
    if ((RCC->CR & RCC_CR_PLL3RDY) == 0U) {
        RCC->CR &= ~RCC_CR_PLL3ON;
        while (RCC->CR & RCC_CR_PLL3RDY) {
        }
        RCC->PLLCKSELR = (RCC->PLLCKSELR & ~RCC_PLLCKSELR_DIVM3_MSK) |
                         (PLL3_DIVM << RCC_PLLCKSELR_DIVM3_POS);
        RCC->PLLCFGR = (RCC->PLLCFGR & ~(RCC_PLLCFGR_PLL3RGE_MSK | RCC_PLLCFGR_PLL3FRACEN)) |
                       (1UL << RCC_PLLCFGR_PLL3RGE_POS) | RCC_PLLCFGR_PLL3VCOSEL |
                       RCC_PLLCFGR_DIVP3EN;
        RCC->PLL3DIVR = PLL3_DIVR_VALUE;
        RCC->CR |= RCC_CR_PLL3ON;
        while ((RCC->CR & RCC_CR_PLL3RDY) == 0U) {
        }
    }
    RCC->D2CCIP1R = (RCC->D2CCIP1R & ~RCC_D2CCIP1R_SAI1SEL_MSK) | RCC_D2CCIP1R_SAI1SEL_PLL3P;
    RCC->AHB1ENR |= RCC_AHB1ENR_DMA1EN;
    (void)RCC->AHB1ENR;
    RCC->APB2ENR |= RCC_APB2ENR_SAI1EN;
    (void)RCC->APB2ENR;
    pins_init();
}

/* SAI1 block A pins on the NUCLEO-H743ZI zio connector CN9 (DS12110 table 9, AF6):
 * PE2 = SAI1_MCLK_A, PE4 = SAI1_FS_A, PE5 = SAI1_SCK_A (outputs: master), PE6 = SAI1_SD_A (in).
 * An I2S MEMS microphone (e.g. L/R tied low: left = slot 0) needs SCK, WS = FS and SD. */
#define GPIOE ((GPIO_TypeDef *)0x58021000UL)
#define RCC_AHB4ENR_GPIOEEN (1UL << 4)
#define SAI_PINS ((1UL << 2) | (1UL << 4) | (1UL << 5) | (1UL << 6))

static void pins_init(void)
{
    RCC->AHB4ENR |= RCC_AHB4ENR_GPIOEEN;
    (void)RCC->AHB4ENR;
    uint32_t moder = GPIOE->MODER, ospeedr = GPIOE->OSPEEDR, pupdr = GPIOE->PUPDR;
    uint32_t afrl = GPIOE->AFR[0];
    for (uint32_t pin = 0; pin < 8U; pin++) {
        if ((SAI_PINS >> pin & 1U) == 0U) {
            continue;
        }
        moder = (moder & ~(3UL << (2U * pin))) | (2UL << (2U * pin));       /* AF */
        ospeedr = (ospeedr & ~(3UL << (2U * pin))) | (2UL << (2U * pin));   /* high */
        pupdr &= ~(3UL << (2U * pin));
        afrl = (afrl & ~(0xFUL << (4U * pin))) | (6UL << (4U * pin));       /* AF6 */
    }
    GPIOE->OTYPER &= ~SAI_PINS;
    GPIOE->OSPEEDR = ospeedr;
    GPIOE->PUPDR = pupdr;
    GPIOE->AFR[0] = afrl;
    GPIOE->MODER = moder;
}

static void sai_disable(void)
{
    SAI1_ACR1 &= ~SAI_CR1_SAIEN;
    while (SAI1_ACR1 & SAI_CR1_SAIEN) {
    }
}

static void sai_configure(uint32_t cr1, uint32_t cr2)
{
    sai_disable();
    SAI1_AFRCR = SAI_AFRCR_CAPTURE;
    SAI1_ASLOTR = SAI_ASLOTR_CAPTURE;
    SAI1_ACR2 = cr2;
    SAI1_ACR2 = cr2 | SAI_CR2_FFLUSH;
    SAI1_ACLRFR = SAI_CLRFR_ALL;
    SAI1_AIM = SAI_IM_OVRUDRIE;
    SAI1_ACR1 = cr1;
}

static void reset_counters(void)
{
    s_produced = 0;
    s_consumed = 0;
    s_overruns = 0;
    s_dma_errors = 0;
    s_lost = 0;
    s_late = 0;
    s_have_current = 0;
}

int audio_in_start(int16_t *buf, uint32_t half_len, audio_in_cb on_half)
{
    const uintptr_t a = (uintptr_t)buf;
    if (buf == NULL || half_len == 0U || (half_len % 16U) != 0U || 2U * half_len > 65535U ||
        (a & (DCACHE_LINE - 1U)) != 0U || a < 0x24000000UL) {
        return -1;   /* null, not whole cache lines, too long, or in ITCM/DTCM/flash */
    }
    audio_in_stop();
    s_buf = buf;
    s_half = half_len;
    s_cb = on_half;
    reset_counters();

    clocks_on();
    /* No dirty line of the buffer may be evicted over what the DMA writes. */
    dcache_clean_invalidate(buf, 4U * half_len);

    DMAMUX1_C0CR = DMAMUX_REQ_SAI1_A;
    DMA1_S0CR = 0;
    while (DMA1_S0CR & DMA_SXCR_EN) {
    }
    DMA1_LIFCR = DMA_S0_ALL;
    DMA1_S0PAR = SAI1_ADR_ADDR;
    DMA1_S0M0AR = (uint32_t)a;
    DMA1_S0NDTR = 2U * half_len;
    DMA1_S0FCR = 0;
    DMA1_S0CR = DMA_S0CR_CAPTURE;
    DMA1_S0CR = DMA_S0CR_CAPTURE | DMA_SXCR_EN;

    NVIC_SetPriority(DMA1_STREAM0_IRQn, 0x40);
    NVIC_ClearPendingIRQ(DMA1_STREAM0_IRQn);
    NVIC_EnableIRQ(DMA1_STREAM0_IRQn);
    NVIC_SetPriority(SAI1_IRQn, 0x40);
    NVIC_ClearPendingIRQ(SAI1_IRQn);
    NVIC_EnableIRQ(SAI1_IRQn);

    sai_configure(SAI_ACR1_CAPTURE_NODMA | SAI_CR1_DMAEN, 0);
    SAI1_ACR1 |= SAI_CR1_SAIEN;
    return 0;
}

int audio_in_start_polled(void)
{
    audio_in_stop();
    s_buf = NULL;
    s_half = 0;
    s_cb = NULL;
    reset_counters();
    clocks_on();
    NVIC_SetPriority(SAI1_IRQn, 0x40);
    NVIC_ClearPendingIRQ(SAI1_IRQn);
    NVIC_EnableIRQ(SAI1_IRQn);
    sai_configure(SAI_ACR1_CAPTURE_NODMA, SAI_CR2_FTH_QUARTER);
    SAI1_ACR1 |= SAI_CR1_SAIEN;
    return 0;
}

void audio_in_read_polled(int16_t *dst, uint32_t n)
{
    uint32_t i = 0;
    while (i < n) {
        if ((SAI1_ASR & SAI_SR_FLVL_MSK) == 0U) {
            /* FIFO empty: sleep until FREQ (FTH = 1/4: 2 words); the SAI1 handler masks
             * FREQIE again. Checked with PRIMASK set so the wake-up cannot be missed. */
            __disable_irq();
            SAI1_AIM |= SAI_IM_FREQIE;
            if ((SAI1_ASR & SAI_SR_FREQ) == 0U) {
                __WFI();
            }
            __enable_irq();
            __ISB();
            continue;
        }
        dst[i++] = (int16_t)(uint16_t)SAI1_ADR;
    }
}

void audio_in_stop(void)
{
    if ((RCC->APB2ENR & RCC_APB2ENR_SAI1EN) == 0U) {
        return;                         /* never started */
    }
    /* Interrupts off first: disabling a stream by software sets TCIF (RM0433 15.3.16), which
     * must not be taken for a completed block. */
    NVIC_DisableIRQ(DMA1_STREAM0_IRQn);
    NVIC_DisableIRQ(SAI1_IRQn);
    SAI1_ACR1 &= ~SAI_CR1_DMAEN;
    sai_disable();
    SAI1_AIM = 0;
    SAI1_ACLRFR = SAI_CLRFR_ALL;
    NVIC_ClearPendingIRQ(SAI1_IRQn);
    if (RCC->AHB1ENR & RCC_AHB1ENR_DMA1EN) {
        DMA1_S0CR &= ~DMA_SXCR_EN;
        while (DMA1_S0CR & DMA_SXCR_EN) {
        }
        DMA1_LIFCR = DMA_S0_ALL;
        NVIC_ClearPendingIRQ(DMA1_STREAM0_IRQn);
    }
}

/* ------------------------------------------------------------------ interrupts */
static void block_done(uint32_t half)
{
    uint32_t k = s_produced;            /* index of the block that just completed */
    int16_t *p = s_buf + half * s_half;
    if ((k & 1U) != half) {
        /* a whole HT/TC interrupt was missed (interrupts masked for more than a block): the
         * block before this one is gone */
        s_lost++;
        k++;
    }
    s_produced = k + 1U;
    if (s_cb != NULL) {
        dcache_invalidate(p, s_half * sizeof(int16_t));
        s_cb(p, s_half);
        s_consumed = k + 1U;
    }
}

void DMA1_Stream0_IRQHandler(void)
{
    const uint32_t isr = DMA1_LISR & DMA_S0_ALL;
    DMA1_LIFCR = isr;
    if (isr & (DMA_S0_TEIF | DMA_S0_FEIF | DMA_S0_DMEIF)) {
        s_dma_errors++;
    }
    if ((DMA1_S0CR & DMA_SXCR_EN) == 0U) {
        /* stream stopped (by software: TCIF without a completed block, or after TEIF) */
    } else if ((isr & (DMA_S0_HTIF | DMA_S0_TCIF)) == (DMA_S0_HTIF | DMA_S0_TCIF)) {
        /* Both halves completed since the last interrupt: serve them in buffer order from
         * where the DMA is now (it is in the first half again after TC). */
        const uint32_t pos = 2U * s_half - (DMA1_S0NDTR & 0xFFFFU);
        if (pos < s_half) {
            block_done(0);
            block_done(1);
        } else {
            block_done(1);
            block_done(0);
        }
    } else if (isr & DMA_S0_HTIF) {
        block_done(0);
    } else if (isr & DMA_S0_TCIF) {
        block_done(1);
    }
    __DSB();
}

void SAI1_IRQHandler(void)
{
    const uint32_t sr = SAI1_ASR;
    if (sr & SAI_SR_OVRUDR) {
        s_overruns++;
    }
    if (sr & SAI_SR_FREQ) {
        SAI1_AIM &= ~SAI_IM_FREQIE;     /* polled mode: data ready, wake the reader */
    }
    SAI1_ACLRFR = SAI_CLRFR_ALL;
    __DSB();
}

/* ------------------------------------------------------------------ queue mode */
int audio_in_pending(void)
{
    return s_produced != s_consumed;
}

int audio_in_get(const int16_t **samples, uint32_t *n, uint32_t *index)
{
    uint32_t produced = s_produced;
    uint32_t consumed = s_consumed;
    if (s_cb != NULL || s_buf == NULL || produced == consumed) {
        return 0;
    }
    if (produced - consumed >= 2U) {
        /* the half of block `consumed` is being rewritten by block `produced`: skip to the
         * newest complete block */
        s_lost += produced - 1U - consumed;
        consumed = produced - 1U;
        s_consumed = consumed;
    }
    const uint32_t half = consumed & 1U;
    int16_t *p = s_buf + half * s_half;
    dcache_invalidate(p, s_half * sizeof(int16_t));
    s_current = consumed;
    s_have_current = 1;
    *samples = p;
    *n = s_half;
    if (index != NULL) {
        *index = consumed;
    }
    return 1;
}

int audio_in_release(void)
{
    if (!s_have_current) {
        return 0;
    }
    s_have_current = 0;
    const uint32_t k = s_current;
    int late = 0;
    if (s_produced - k >= 2U) {     /* block k+1 completed: the DMA entered k's half */
        s_late++;
        late = 1;
    }
    if (s_consumed == k) {
        s_consumed = k + 1U;
    }
    return late;
}

/* ------------------------------------------------------------------ position and tail */
uint32_t audio_in_position(void)
{
    if (s_buf == NULL) {
        return 0;
    }
    const uint32_t total = 2U * s_half;
    const uint32_t ndtr = DMA1_S0NDTR & 0xFFFFU;
    return (total - ndtr) % total;
}

const int16_t *audio_in_tail(uint32_t total_samples, uint32_t *n)
{
    *n = 0;
    if (s_buf == NULL) {
        return NULL;
    }
    const uint32_t blocks = s_produced;
    if (s_cb == NULL && s_consumed != blocks) {
        return NULL;                    /* queue mode: full blocks still waiting */
    }
    const uint32_t full = blocks * s_half;
    if (total_samples < full || total_samples - full >= s_half) {
        return NULL;                    /* blocks lost or the DMA saw a different count */
    }
    const uint32_t pos = audio_in_position();
    if (pos != total_samples % (2U * s_half)) {
        return NULL;                    /* NDTR disagrees with the host's count */
    }
    const uint32_t rest = total_samples - full;
    int16_t *p = s_buf + (blocks & 1U) * s_half;
    dcache_invalidate(p, rest * sizeof(int16_t));
    *n = rest;
    return p;
}

uint32_t audio_in_blocks(void)      { return s_produced; }
uint32_t audio_in_overruns(void)    { return s_overruns; }
uint32_t audio_in_dma_errors(void)  { return s_dma_errors; }
uint32_t audio_in_lost_blocks(void) { return s_lost; }
uint32_t audio_in_late_blocks(void) { return s_late; }
