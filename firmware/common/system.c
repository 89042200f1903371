/*
 * system.c - STM32H743 clock setup: HSI (64 MHz) -> PLL1 -> SYSCLK, as on silicon (RM0433).
 *
 * Register sequence of SystemInit() from reset (400 MHz, VOS1), in program order:
 *
 *  1. PWR_CR3   (0x5802480C): read; SCUEN(b2)=1 at reset -> write LDOEN(b1)=1, SCUEN=0,
 *               BYPASS(b0)=0, other bits kept.  Poll PWR_CSR1 (0x58024804) ACTVOSRDY(b13)=1.
 *  2. RCC_CR    (0x58024400): HSION(b0) kept set; poll HSIRDY(b2)=1.
 *     RCC_CFGR  (0x58024410): if SWS[5:3]!=HSI: SW[2:0]=000, poll SWS=000 (not taken at reset).
 *     RCC_CR: if PLL1ON(b24): clear it, poll PLL1RDY(b25)=0 (not taken at reset).
 *  3. PWR_D3CR  (0x58024818): VOS[15:14]=0b11 (scale 1). Poll PWR_D3CR VOSRDY(b13)=1.
 *     (SYSCFG_PWRCR.ODEN is only read/cleared if it was set; at reset it is 0.)
 *  4. RCC_PLLCKSELR (0x58024428): PLLSRC[1:0]=00 (HSI), DIVM1[9:4]=4      -> ref1 = 16 MHz
 *     RCC_PLLCFGR   (0x5802442C): PLL1FRACEN(b0)=0, PLL1VCOSEL(b1)=0 (wide VCO),
 *                   PLL1RGE[3:2]=0b11 (8-16 MHz), DIVP1EN(b16)=DIVQ1EN(b17)=DIVR1EN(b18)=1
 *     RCC_PLL1DIVR  (0x58024430): DIVN1[8:0]=49 (x50 -> VCO 800 MHz), DIVP1[15:9]=1 (/2 -> 400),
 *                   DIVQ1[22:16]=3 (/4 -> 200), DIVR1[30:24]=3 (/4 -> 200)  => 0x03030231
 *     RCC_PLL1FRACR (0x58024434): 0
 *     RCC_CR: PLL1ON(b24)=1; poll PLL1RDY(b25)=1.
 *  5. RCC_D1CFGR (0x58024418): D1CPRE[11:8]=0 (/1), HPRE[3:0]=0b1000 (/2), D1PPRE[6:4]=0b100 (/2)
 *     RCC_D2CFGR (0x5802441C): D2PPRE1[6:4]=0b100, D2PPRE2[10:8]=0b100 (/2 each)
 *     RCC_D3CFGR (0x58024420): D3PPRE[6:4]=0b100 (/2)
 *  6. FLASH_ACR  (0x52002000): LATENCY[3:0]=2, WRHIGHFREQ[5:4]=2; re-read until both fields
 *                read back as written (reset value 0x37).
 *  7. RCC_CFGR: SW[2:0]=0b011 (PLL1); poll SWS[5:3]=0b011.
 *  Result: CPU 400 MHz, AXI/AHB 200 MHz, APB1/2/3/4 100 MHz, pll1_q/r 200 MHz.
 *
 * system_clock_config(hz) runs the same sequence for the other operating points; for
 * 480 MHz it also reads DBGMCU_IDCODE (0x5C001000; REV_ID must be 0x2003 = rev V), sets
 * RCC_APB4ENR.SYSCFGEN (0x580244F4 b1) and then SYSCFG_PWRCR.ODEN (0x5800042C b0) after
 * VOS1 is ready, and polls PWR_D3CR.VOSRDY again (RM0433 6.8.x "VOS0 activation").
 */
#include "system.h"
#include "stm32h743_regs.h"

#define HSI_HZ 64000000UL
#define CSI_HZ 4000000UL
#define HSE_HZ 8000000UL     /* NUCLEO-H743ZI: 8 MHz MCO from the ST-LINK (not used here) */

uint32_t SystemCoreClock = HSI_HZ;

enum { VOS0 = 0, VOS1 = 1, VOS2 = 2, VOS3 = 3 };

struct op_point {
    uint32_t hz;        /* CPU clock */
    uint8_t  vos;       /* voltage scale */
    uint8_t  divm;      /* HSI / DIVM1 = PLL1 reference */
    uint16_t divn;      /* VCO = ref * DIVN1 */
    uint8_t  divp, divq, divr;
    uint8_t  latency;   /* FLASH_ACR.LATENCY (AXI clock = CPU/2) */
    uint8_t  wrhighfreq;
};

/*
 * Reference table (stm32h743.md, RM0433 table 17) at AXI = CPU/2, APB = CPU/4:
 *  100 MHz VOS3: AXI  50 -> 1 WS (WRHIGHFREQ 1)     VCO 800 = 16 MHz x 50, /8
 *  200 MHz VOS3: AXI 100 -> 2 WS (WRHIGHFREQ 1)     VCO 800, /4
 *  300 MHz VOS2: AXI 150 -> 2 WS (WRHIGHFREQ 1)     VCO 600 = 2.667 MHz (64/24) x 225, /2
 *  400 MHz VOS1: AXI 200 -> 2 WS (WRHIGHFREQ 2)     VCO 800, /2
 *  480 MHz VOS0: AXI 240 -> 4 WS (WRHIGHFREQ 2)     VCO 960 = 16 MHz x 60, /2 (rev V wide VCO)
 * 300 MHz cannot be made from a 16 MHz reference with integer N and an even P inside the VCO
 * range, so it uses DIVM1=24 (2.67 MHz, PLL1RGE=1: 2-4 MHz) instead.
 */
static const struct op_point op_points[] = {
    { 100000000UL, VOS3,  4,  50, 8, 4, 4, 1, 1 },
    { 200000000UL, VOS3,  4,  50, 4, 4, 4, 2, 1 },
    { 300000000UL, VOS2, 24, 225, 2, 3, 3, 2, 1 },
    { 400000000UL, VOS1,  4,  50, 2, 4, 4, 2, 2 },
    { 480000000UL, VOS0,  4,  60, 2, 5, 5, 4, 2 },
};

static uint32_t pll_rge(uint32_t ref_hz)
{
    if (ref_hz >= 8000000UL) return 3U;   /* 8..16 MHz */
    if (ref_hz >= 4000000UL) return 2U;   /* 4..8 MHz */
    if (ref_hz >= 2000000UL) return 1U;   /* 2..4 MHz */
    return 0U;                            /* 1..2 MHz */
}

/* Supply configuration: LDO (the STM32H743 has no SMPS). Writable once after power-on. */
static int pwr_supply_ldo(void)
{
    uint32_t cr3 = PWR->CR3;
    if (cr3 & PWR_CR3_SCUEN) {
        cr3 &= ~(PWR_CR3_SCUEN | PWR_CR3_LDOEN | PWR_CR3_BYPASS);
        cr3 |= PWR_CR3_LDOEN;
        PWR->CR3 = cr3;
    } else if ((cr3 & (PWR_CR3_LDOEN | PWR_CR3_BYPASS)) != PWR_CR3_LDOEN) {
        return -1;   /* already locked in another configuration */
    }
    while ((PWR->CSR1 & PWR_CSR1_ACTVOSRDY) == 0U) {
    }
    return 0;
}

static void pwr_set_vos(unsigned vos)
{
    static const uint32_t vos_bits[4] = {
        PWR_D3CR_VOS_SCALE1, PWR_D3CR_VOS_SCALE1, PWR_D3CR_VOS_SCALE2, PWR_D3CR_VOS_SCALE3
    };

    /* Leaving VOS0: drop the overdrive first (only if the SYSCFG clock is on, ODEN is 0 otherwise). */
    if ((RCC->APB4ENR & RCC_APB4ENR_SYSCFGEN) && (SYSCFG->PWRCR & SYSCFG_PWRCR_ODEN) && vos != VOS0) {
        SYSCFG->PWRCR &= ~SYSCFG_PWRCR_ODEN;
        while ((PWR->D3CR & PWR_D3CR_VOSRDY) == 0U) {
        }
    }

    PWR->D3CR = (PWR->D3CR & ~(PWR_D3CR_VOS_MSK | PWR_D3CR_VOSRDY)) | vos_bits[vos];   /* VOSRDY is read-only */
    while ((PWR->D3CR & PWR_D3CR_VOSRDY) == 0U) {
    }

    if (vos == VOS0) {
        /* RM0433: VOS0 = VOS1 + overdrive; SYSCFG needs its APB4 clock first. */
        RCC->APB4ENR |= RCC_APB4ENR_SYSCFGEN;
        (void)RCC->APB4ENR;               /* read back: clock enable takes effect */
        SYSCFG->PWRCR |= SYSCFG_PWRCR_ODEN;
        while ((PWR->D3CR & PWR_D3CR_VOSRDY) == 0U) {
        }
    }
}

static void flash_set_latency(uint32_t latency, uint32_t wrhighfreq)
{
    const uint32_t mask = FLASH_ACR_LATENCY_MSK | FLASH_ACR_WRHIGHFREQ_MSK;
    const uint32_t want = (latency & 0xFU) | (wrhighfreq << FLASH_ACR_WRHIGHFREQ_POS);
    FLASH->ACR = (FLASH->ACR & ~mask) | want;
    while ((FLASH->ACR & mask) != want) {
    }
}

int system_clock_config(uint32_t cpu_hz)
{
    const struct op_point *p = 0;
    for (unsigned i = 0; i < sizeof op_points / sizeof op_points[0]; i++) {
        if (op_points[i].hz == cpu_hz) {
            p = &op_points[i];
        }
    }
    if (p == 0) {
        return -1;
    }
    if (p->vos == VOS0 && DBGMCU_IDCODE_REV_ID(DBGMCU_IDCODE) != DBGMCU_REV_V) {
        return -1;   /* 480 MHz only on revision V */
    }

    /* 1. supply */
    if (pwr_supply_ldo() != 0) {
        return -1;
    }

    /* 2. run from HSI while PLL1 and the voltage are changed */
    RCC->CR |= RCC_CR_HSION;
    while ((RCC->CR & RCC_CR_HSIRDY) == 0U) {
    }
    if ((RCC->CFGR & RCC_CFGR_SWS_MSK) != RCC_CFGR_SWS_HSI) {
        RCC->CFGR = (RCC->CFGR & ~RCC_CFGR_SW_MSK) | RCC_CFGR_SW_HSI;
        while ((RCC->CFGR & RCC_CFGR_SWS_MSK) != RCC_CFGR_SWS_HSI) {
        }
        SystemCoreClock = system_core_clock_hz();
    }
    if (RCC->CR & RCC_CR_PLL1ON) {
        RCC->CR &= ~RCC_CR_PLL1ON;
        while (RCC->CR & RCC_CR_PLL1RDY) {
        }
    }

    /* 3. voltage scaling (on HSI every VOS/latency combination below is safe) */
    pwr_set_vos(p->vos);

    /* 4. PLL1: HSI / DIVM1, wide VCO, integer mode */
    const uint32_t ref_hz = HSI_HZ / p->divm;
    RCC->PLLCKSELR = (RCC->PLLCKSELR & ~(RCC_PLLCKSELR_PLLSRC_MSK | RCC_PLLCKSELR_DIVM1_MSK))
                   | RCC_PLLCKSELR_PLLSRC_HSI | ((uint32_t)p->divm << RCC_PLLCKSELR_DIVM1_POS);
    RCC->PLLCFGR = (RCC->PLLCFGR & ~(RCC_PLLCFGR_PLL1FRACEN | RCC_PLLCFGR_PLL1VCOSEL | RCC_PLLCFGR_PLL1RGE_MSK))
                 | (pll_rge(ref_hz) << RCC_PLLCFGR_PLL1RGE_POS)
                 | RCC_PLLCFGR_DIVP1EN | RCC_PLLCFGR_DIVQ1EN | RCC_PLLCFGR_DIVR1EN;
    RCC->PLL1DIVR = ((uint32_t)(p->divn - 1U) << RCC_PLL1DIVR_N1_POS)
                  | ((uint32_t)(p->divp - 1U) << RCC_PLL1DIVR_P1_POS)
                  | ((uint32_t)(p->divq - 1U) << RCC_PLL1DIVR_Q1_POS)
                  | ((uint32_t)(p->divr - 1U) << RCC_PLL1DIVR_R1_POS);
    RCC->PLL1FRACR = 0;
    RCC->CR |= RCC_CR_PLL1ON;
    while ((RCC->CR & RCC_CR_PLL1RDY) == 0U) {
    }

    /* 5. bus prescalers: CPU /1, AXI/AHB /2, all APB /2 */
    RCC->D1CFGR = (RCC->D1CFGR & ~(RCC_D1CFGR_D1CPRE_MSK | RCC_D1CFGR_HPRE_MSK | RCC_D1CFGR_D1PPRE_MSK))
                | RCC_D1CFGR_D1CPRE_DIV1 | RCC_D1CFGR_HPRE_DIV2 | RCC_D1CFGR_D1PPRE_DIV2;
    RCC->D2CFGR = (RCC->D2CFGR & ~(RCC_D2CFGR_D2PPRE1_MSK | RCC_D2CFGR_D2PPRE2_MSK))
                | RCC_D2CFGR_D2PPRE1_DIV2 | RCC_D2CFGR_D2PPRE2_DIV2;
    RCC->D3CFGR = (RCC->D3CFGR & ~RCC_D3CFGR_D3PPRE_MSK) | RCC_D3CFGR_D3PPRE_DIV2;

    /* 6. flash wait states for the new AXI clock */
    flash_set_latency(p->latency, p->wrhighfreq);

    /* 7. switch SYSCLK to PLL1 */
    RCC->CFGR = (RCC->CFGR & ~RCC_CFGR_SW_MSK) | RCC_CFGR_SW_PLL1;
    while ((RCC->CFGR & RCC_CFGR_SWS_MSK) != RCC_CFGR_SWS_PLL1) {
    }

    SystemCoreClock = system_core_clock_hz();
    return 0;
}

void SystemInit(void)
{
    (void)system_clock_config(400000000UL);
}

/* ---- clock readback from the RCC registers ---- */

static uint32_t ahb_div(uint32_t field)   /* D1CPRE / HPRE encoding */
{
    static const uint16_t div[8] = { 2, 4, 8, 16, 64, 128, 256, 512 };
    return (field & 0x8U) ? div[field & 0x7U] : 1U;
}

static uint32_t apb_div(uint32_t field)   /* DxPPREy encoding */
{
    return (field & 0x4U) ? (2U << (field & 0x3U)) : 1U;
}

static uint32_t sysclk_hz(void)
{
    const uint32_t hsi = HSI_HZ >> ((RCC->CR & RCC_CR_HSIDIV_MSK) >> 3);
    switch ((RCC->CFGR & RCC_CFGR_SWS_MSK) >> 3) {
    case 0: return hsi;
    case 1: return CSI_HZ;
    case 2: return HSE_HZ;
    case 3: {
        uint32_t src;
        switch (RCC->PLLCKSELR & RCC_PLLCKSELR_PLLSRC_MSK) {
        case 0:  src = hsi; break;
        case 1:  src = CSI_HZ; break;
        case 2:  src = HSE_HZ; break;
        default: return 0;
        }
        const uint32_t divm = (RCC->PLLCKSELR & RCC_PLLCKSELR_DIVM1_MSK) >> RCC_PLLCKSELR_DIVM1_POS;
        if (divm == 0U) {
            return 0;   /* prescaler disabled */
        }
        const uint32_t divr = RCC->PLL1DIVR;
        const uint64_t n = (divr & 0x1FFU) + 1U;
        const uint32_t pdiv = ((divr >> RCC_PLL1DIVR_P1_POS) & 0x7FU) + 1U;
        uint64_t vco_x8192 = (uint64_t)src * (n * 8192U);
        if (RCC->PLLCFGR & RCC_PLLCFGR_PLL1FRACEN) {
            vco_x8192 += (uint64_t)src * ((RCC->PLL1FRACR >> 3) & 0x1FFFU);
        }
        return (uint32_t)(vco_x8192 / divm / 8192U / pdiv);
    }
    default: return 0;
    }
}

uint32_t system_core_clock_hz(void)
{
    return sysclk_hz() / ahb_div((RCC->D1CFGR & RCC_D1CFGR_D1CPRE_MSK) >> 8);
}

uint32_t system_hclk_hz(void)
{
    return system_core_clock_hz() / ahb_div(RCC->D1CFGR & RCC_D1CFGR_HPRE_MSK);
}

uint32_t system_pclk1_hz(void)
{
    return system_hclk_hz() / apb_div((RCC->D2CFGR & RCC_D2CFGR_D2PPRE1_MSK) >> 4);
}
