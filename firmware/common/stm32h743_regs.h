/*
 * stm32h743_regs.h - minimal register definitions for the STM32H743 (Cortex-M7 r1p1).
 *
 * Hand written from RM0433 (STM32H742/743/750/753 reference manual) and the ARMv7-M
 * Architecture Reference Manual / Cortex-M7 TRM. Only what this firmware tree uses.
 * Plain volatile structs with base addresses, CMSIS-like names; not CMSIS itself.
 */
#ifndef STM32H743_REGS_H
#define STM32H743_REGS_H

#include <stdint.h>

#define __IO volatile
#define __I  volatile const

/* ======================================================================
 * Cortex-M7 system control space (ARMv7-M ARM, B3.2)
 * ====================================================================== */

/* SysTick 0xE000E010 */
typedef struct {
    __IO uint32_t CTRL;   /* 0x00 */
    __IO uint32_t LOAD;   /* 0x04 */
    __IO uint32_t VAL;    /* 0x08 */
    __I  uint32_t CALIB;  /* 0x0C */
} SysTick_TypeDef;
#define SysTick ((SysTick_TypeDef *)0xE000E010UL)
#define SysTick_CTRL_ENABLE     (1UL << 0)
#define SysTick_CTRL_TICKINT    (1UL << 1)
#define SysTick_CTRL_CLKSOURCE  (1UL << 2)   /* 1 = processor clock */
#define SysTick_CTRL_COUNTFLAG  (1UL << 16)

/* NVIC 0xE000E100 */
typedef struct {
    __IO uint32_t ISER[8];        /* 0x000 */
    uint32_t      RES0[24];
    __IO uint32_t ICER[8];        /* 0x080 */
    uint32_t      RES1[24];
    __IO uint32_t ISPR[8];        /* 0x100 */
    uint32_t      RES2[24];
    __IO uint32_t ICPR[8];        /* 0x180 */
    uint32_t      RES3[24];
    __IO uint32_t IABR[8];        /* 0x200 */
    uint32_t      RES4[56];
    __IO uint8_t  IPR[240];       /* 0x300 (byte accessible) */
    uint32_t      RES5[644];
    __IO uint32_t STIR;           /* 0xE00 -> 0xE000EF00 */
} NVIC_TypeDef;
#define NVIC ((NVIC_TypeDef *)0xE000E100UL)
#define NVIC_PRIO_BITS 4U          /* STM32H7: 16 priority levels, upper nibble */

/* SCB 0xE000ED00 */
typedef struct {
    __I  uint32_t CPUID;     /* 0x000 */
    __IO uint32_t ICSR;      /* 0x004 */
    __IO uint32_t VTOR;      /* 0x008 */
    __IO uint32_t AIRCR;     /* 0x00C */
    __IO uint32_t SCR;       /* 0x010 */
    __IO uint32_t CCR;       /* 0x014 */
    __IO uint8_t  SHPR[12];  /* 0x018 system handler priority, SHPR[0] = MemManage (exc 4) */
    __IO uint32_t SHCSR;     /* 0x024 */
    __IO uint32_t CFSR;      /* 0x028 */
    __IO uint32_t HFSR;      /* 0x02C */
    __IO uint32_t DFSR;      /* 0x030 */
    __IO uint32_t MMFAR;     /* 0x034 */
    __IO uint32_t BFAR;      /* 0x038 */
    __IO uint32_t AFSR;      /* 0x03C */
    __I  uint32_t ID_PFR[2]; /* 0x040 */
    __I  uint32_t ID_DFR;    /* 0x048 */
    __I  uint32_t ID_AFR;    /* 0x04C */
    __I  uint32_t ID_MMFR[4];/* 0x050 */
    __I  uint32_t ID_ISAR[5];/* 0x060 */
    uint32_t      RES0[1];
    __I  uint32_t CLIDR;     /* 0x078 */
    __I  uint32_t CTR;       /* 0x07C */
    __I  uint32_t CCSIDR;    /* 0x080 */
    __IO uint32_t CSSELR;    /* 0x084 */
    __IO uint32_t CPACR;     /* 0x088 */
    uint32_t      RES1[93];
    __IO uint32_t STIR;      /* 0x200 (unused, NVIC->STIR is the same register) */
    uint32_t      RES2[15];
    __I  uint32_t MVFR0;     /* 0x240 */
    __I  uint32_t MVFR1;     /* 0x244 */
    __I  uint32_t MVFR2;     /* 0x248 */
    uint32_t      RES3[1];
    __IO uint32_t ICIALLU;   /* 0x250 */
    uint32_t      RES4[1];
    __IO uint32_t ICIMVAU;   /* 0x258 */
    __IO uint32_t DCIMVAC;   /* 0x25C */
    __IO uint32_t DCISW;     /* 0x260 */
    __IO uint32_t DCCMVAU;   /* 0x264 */
    __IO uint32_t DCCMVAC;   /* 0x268 */
    __IO uint32_t DCCSW;     /* 0x26C */
    __IO uint32_t DCCIMVAC;  /* 0x270 */
    __IO uint32_t DCCISW;    /* 0x274 */
} SCB_TypeDef;
#define SCB ((SCB_TypeDef *)0xE000ED00UL)

#define SCB_ICSR_PENDSVSET      (1UL << 28)
#define SCB_ICSR_PENDSVCLR      (1UL << 27)
#define SCB_ICSR_PENDSTSET      (1UL << 26)
#define SCB_SCR_SLEEPDEEP       (1UL << 2)
#define SCB_CCR_UNALIGN_TRP     (1UL << 3)
#define SCB_CCR_DIV_0_TRP       (1UL << 4)
#define SCB_CCR_STKALIGN        (1UL << 9)
#define SCB_CCR_DC              (1UL << 16)
#define SCB_CCR_IC              (1UL << 17)
#define SCB_CCR_BP              (1UL << 18)
#define SCB_SHCSR_MEMFAULTENA   (1UL << 16)
#define SCB_SHCSR_BUSFAULTENA   (1UL << 17)
#define SCB_SHCSR_USGFAULTENA   (1UL << 18)
/* MPU 0xE000ED90 (ARMv7-M B3.5.5-B3.5.9; PM0253 4.6): 16 regions on the H743 */
typedef struct {
    __I  uint32_t TYPE;      /* 0x00 */
    __IO uint32_t CTRL;      /* 0x04 */
    __IO uint32_t RNR;       /* 0x08 */
    __IO uint32_t RBAR;      /* 0x0C */
    __IO uint32_t RASR;      /* 0x10 */
} MPU_TypeDef;
#define MPU ((MPU_TypeDef *)0xE000ED90UL)
#define MPU_CTRL_ENABLE         (1UL << 0)
#define MPU_CTRL_PRIVDEFENA     (1UL << 2)
/* RASR: XN 28, AP 26:24, TEX 21:19, S 18, C 17, B 16, SRD 15:8, SIZE 5:1 (2^(SIZE+1)), EN 0 */
#define MPU_RASR_XN             (1UL << 28)
#define MPU_RASR_AP(ap)         ((uint32_t)(ap) << 24)
#define MPU_RASR_SIZE(log2)     ((uint32_t)((log2) - 1) << 1)
#define MPU_RASR_ENABLE         (1UL << 0)

/* SHPR byte index = exception number - 4 */
#define SHPR_IDX_MEMMANAGE 0
#define SHPR_IDX_BUSFAULT  1
#define SHPR_IDX_USAGE     2
#define SHPR_IDX_SVCALL    7
#define SHPR_IDX_PENDSV    10
#define SHPR_IDX_SYSTICK   11

/* CFSR bits: MMFSR [7:0], BFSR [15:8], UFSR [31:16] */
#define CFSR_IACCVIOL    (1UL << 0)
#define CFSR_DACCVIOL    (1UL << 1)
#define CFSR_MUNSTKERR   (1UL << 3)
#define CFSR_MSTKERR     (1UL << 4)
#define CFSR_MLSPERR     (1UL << 5)
#define CFSR_MMARVALID   (1UL << 7)
#define CFSR_IBUSERR     (1UL << 8)
#define CFSR_PRECISERR   (1UL << 9)
#define CFSR_IMPRECISERR (1UL << 10)
#define CFSR_UNSTKERR    (1UL << 11)
#define CFSR_STKERR      (1UL << 12)
#define CFSR_LSPERR      (1UL << 13)
#define CFSR_BFARVALID   (1UL << 15)
#define CFSR_UNDEFINSTR  (1UL << 16)
#define CFSR_INVSTATE    (1UL << 17)
#define CFSR_INVPC       (1UL << 18)
#define CFSR_NOCP        (1UL << 19)
#define CFSR_UNALIGNED   (1UL << 24)
#define CFSR_DIVBYZERO   (1UL << 25)
#define HFSR_VECTTBL     (1UL << 1)
#define HFSR_FORCED      (1UL << 30)
#define HFSR_DEBUGEVT    (1UL << 31)

/* CCSIDR fields (cache size ID) */
#define CCSIDR_WAYS(x) (((x) >> 3) & 0x3FFUL)
#define CCSIDR_SETS(x) (((x) >> 13) & 0x7FFFUL)
#define SCB_DCISW_WAY_POS 30U
#define SCB_DCISW_WAY_MSK (3UL << 30)
#define SCB_DCISW_SET_POS 5U
#define SCB_DCISW_SET_MSK (0x1FFUL << 5)

/* FPU 0xE000EF34 */
typedef struct {
    __IO uint32_t FPCCR;   /* 0xE000EF34 */
    __IO uint32_t FPCAR;   /* 0xE000EF38 */
    __IO uint32_t FPDSCR;  /* 0xE000EF3C */
} FPU_TypeDef;
#define FPU ((FPU_TypeDef *)0xE000EF34UL)
#define FPU_FPCCR_ASPEN (1UL << 31)
#define FPU_FPCCR_LSPEN (1UL << 30)

/* CoreDebug DEMCR and DWT */
#define DEMCR            (*(__IO uint32_t *)0xE000EDFCUL)
#define DEMCR_TRCENA     (1UL << 24)
typedef struct {
    __IO uint32_t CTRL;    /* 0xE0001000 */
    __IO uint32_t CYCCNT;  /* 0xE0001004 */
} DWT_TypeDef;
#define DWT ((DWT_TypeDef *)0xE0001000UL)
#define DWT_LAR          (*(__IO uint32_t *)0xE0001FB0UL)
#define DWT_LSR          (*(__I  uint32_t *)0xE0001FB4UL)
#define DWT_LAR_KEY      0xC5ACCE55UL
#define DWT_CTRL_CYCCNTENA (1UL << 0)

/* ======================================================================
 * STM32H743 peripherals (RM0433)
 * ====================================================================== */

/* RCC 0x58024400 (RM0433 section 8.7) */
typedef struct {
    __IO uint32_t CR;          /* 0x000 */
    __IO uint32_t HSICFGR;     /* 0x004 (rev V; ICSCR on rev Y) */
    __IO uint32_t CRRCR;       /* 0x008 */
    __IO uint32_t CSICFGR;     /* 0x00C */
    __IO uint32_t CFGR;        /* 0x010 */
    uint32_t      RES0;        /* 0x014 */
    __IO uint32_t D1CFGR;      /* 0x018 */
    __IO uint32_t D2CFGR;      /* 0x01C */
    __IO uint32_t D3CFGR;      /* 0x020 */
    uint32_t      RES1;        /* 0x024 */
    __IO uint32_t PLLCKSELR;   /* 0x028 */
    __IO uint32_t PLLCFGR;     /* 0x02C */
    __IO uint32_t PLL1DIVR;    /* 0x030 */
    __IO uint32_t PLL1FRACR;   /* 0x034 */
    __IO uint32_t PLL2DIVR;    /* 0x038 */
    __IO uint32_t PLL2FRACR;   /* 0x03C */
    __IO uint32_t PLL3DIVR;    /* 0x040 */
    __IO uint32_t PLL3FRACR;   /* 0x044 */
    uint32_t      RES2;        /* 0x048 */
    __IO uint32_t D1CCIPR;     /* 0x04C */
    __IO uint32_t D2CCIP1R;    /* 0x050 */
    __IO uint32_t D2CCIP2R;    /* 0x054 */
    __IO uint32_t D3CCIPR;     /* 0x058 */
    uint32_t      RES3;        /* 0x05C */
    __IO uint32_t CIER;        /* 0x060 */
    __IO uint32_t CIFR;        /* 0x064 */
    __IO uint32_t CICR;        /* 0x068 */
    uint32_t      RES4;        /* 0x06C */
    __IO uint32_t BDCR;        /* 0x070 */
    __IO uint32_t CSR;         /* 0x074 */
    uint32_t      RES5;        /* 0x078 */
    __IO uint32_t AHB3RSTR;    /* 0x07C */
    __IO uint32_t AHB1RSTR;    /* 0x080 */
    __IO uint32_t AHB2RSTR;    /* 0x084 */
    __IO uint32_t AHB4RSTR;    /* 0x088 */
    __IO uint32_t APB3RSTR;    /* 0x08C */
    __IO uint32_t APB1LRSTR;   /* 0x090 */
    __IO uint32_t APB1HRSTR;   /* 0x094 */
    __IO uint32_t APB2RSTR;    /* 0x098 */
    __IO uint32_t APB4RSTR;    /* 0x09C */
    __IO uint32_t GCR;         /* 0x0A0 */
    uint32_t      RES6;        /* 0x0A4 */
    __IO uint32_t D3AMR;       /* 0x0A8 */
    uint32_t      RES7[9];     /* 0x0AC..0x0CC */
    __IO uint32_t RSR;         /* 0x0D0 */
    __IO uint32_t AHB3ENR;     /* 0x0D4 */
    __IO uint32_t AHB1ENR;     /* 0x0D8 */
    __IO uint32_t AHB2ENR;     /* 0x0DC */
    __IO uint32_t AHB4ENR;     /* 0x0E0 */
    __IO uint32_t APB3ENR;     /* 0x0E4 */
    __IO uint32_t APB1LENR;    /* 0x0E8 */
    __IO uint32_t APB1HENR;    /* 0x0EC */
    __IO uint32_t APB2ENR;     /* 0x0F0 */
    __IO uint32_t APB4ENR;     /* 0x0F4 */
} RCC_TypeDef;
#define RCC ((RCC_TypeDef *)0x58024400UL)

/* RCC_CR */
#define RCC_CR_HSION       (1UL << 0)
#define RCC_CR_HSIRDY      (1UL << 2)
#define RCC_CR_HSIDIV_MSK  (3UL << 3)
#define RCC_CR_HSIDIVF     (1UL << 5)
#define RCC_CR_HSEON       (1UL << 16)
#define RCC_CR_HSERDY      (1UL << 17)
#define RCC_CR_PLL1ON      (1UL << 24)
#define RCC_CR_PLL1RDY     (1UL << 25)
/* RCC_CFGR */
#define RCC_CFGR_SW_MSK    (7UL << 0)
#define RCC_CFGR_SW_HSI    (0UL << 0)
#define RCC_CFGR_SW_PLL1   (3UL << 0)
#define RCC_CFGR_SWS_MSK   (7UL << 3)
#define RCC_CFGR_SWS_HSI   (0UL << 3)
#define RCC_CFGR_SWS_PLL1  (3UL << 3)
/* RCC_D1CFGR */
#define RCC_D1CFGR_HPRE_MSK    (0xFUL << 0)
#define RCC_D1CFGR_HPRE_DIV2   (0x8UL << 0)
#define RCC_D1CFGR_D1PPRE_MSK  (0x7UL << 4)
#define RCC_D1CFGR_D1PPRE_DIV2 (0x4UL << 4)
#define RCC_D1CFGR_D1CPRE_MSK  (0xFUL << 8)
#define RCC_D1CFGR_D1CPRE_DIV1 (0x0UL << 8)
/* RCC_D2CFGR */
#define RCC_D2CFGR_D2PPRE1_MSK  (0x7UL << 4)
#define RCC_D2CFGR_D2PPRE1_DIV2 (0x4UL << 4)
#define RCC_D2CFGR_D2PPRE2_MSK  (0x7UL << 8)
#define RCC_D2CFGR_D2PPRE2_DIV2 (0x4UL << 8)
/* RCC_D3CFGR */
#define RCC_D3CFGR_D3PPRE_MSK   (0x7UL << 4)
#define RCC_D3CFGR_D3PPRE_DIV2  (0x4UL << 4)
/* RCC_PLLCKSELR */
#define RCC_PLLCKSELR_PLLSRC_MSK  (3UL << 0)
#define RCC_PLLCKSELR_PLLSRC_HSI  (0UL << 0)
#define RCC_PLLCKSELR_DIVM1_POS   4U
#define RCC_PLLCKSELR_DIVM1_MSK   (0x3FUL << 4)
/* RCC_PLLCFGR */
#define RCC_PLLCFGR_PLL1FRACEN    (1UL << 0)
#define RCC_PLLCFGR_PLL1VCOSEL    (1UL << 1)   /* 0 = wide VCO range */
#define RCC_PLLCFGR_PLL1RGE_POS   2U
#define RCC_PLLCFGR_PLL1RGE_MSK   (3UL << 2)
#define RCC_PLLCFGR_DIVP1EN       (1UL << 16)
#define RCC_PLLCFGR_DIVQ1EN       (1UL << 17)
#define RCC_PLLCFGR_DIVR1EN       (1UL << 18)
/* RCC_PLL1DIVR: register value = division/multiplication factor - 1 */
#define RCC_PLL1DIVR_N1_POS  0U
#define RCC_PLL1DIVR_P1_POS  9U
#define RCC_PLL1DIVR_Q1_POS  16U
#define RCC_PLL1DIVR_R1_POS  24U
/* RCC_D2CCIP2R */
#define RCC_D2CCIP2R_USART234578SEL_MSK (7UL << 0)   /* 000 = rcc_pclk1 */
/* enable bits */
#define RCC_AHB4ENR_GPIODEN   (1UL << 3)
#define RCC_APB1LENR_USART3EN (1UL << 18)
#define RCC_APB4ENR_SYSCFGEN  (1UL << 1)

/* PWR 0x58024800 (RM0433 section 6.8) */
typedef struct {
    __IO uint32_t CR1;      /* 0x00 */
    __IO uint32_t CSR1;     /* 0x04 */
    __IO uint32_t CR2;      /* 0x08 */
    __IO uint32_t CR3;      /* 0x0C */
    __IO uint32_t CPUCR;    /* 0x10 */
    uint32_t      RES0;     /* 0x14 */
    __IO uint32_t D3CR;     /* 0x18 */
    uint32_t      RES1;     /* 0x1C */
    __IO uint32_t WKUPCR;   /* 0x20 */
    __IO uint32_t WKUPFR;   /* 0x24 */
    __IO uint32_t WKUPEPR;  /* 0x28 */
} PWR_TypeDef;
#define PWR ((PWR_TypeDef *)0x58024800UL)
#define PWR_CR3_BYPASS      (1UL << 0)
#define PWR_CR3_LDOEN       (1UL << 1)
#define PWR_CR3_SCUEN       (1UL << 2)
#define PWR_CSR1_ACTVOSRDY  (1UL << 13)
#define PWR_CSR1_ACTVOS_MSK (3UL << 14)
#define PWR_D3CR_VOSRDY     (1UL << 13)
#define PWR_D3CR_VOS_POS    14U
#define PWR_D3CR_VOS_MSK    (3UL << 14)
#define PWR_D3CR_VOS_SCALE3 (1UL << 14)
#define PWR_D3CR_VOS_SCALE2 (2UL << 14)
#define PWR_D3CR_VOS_SCALE1 (3UL << 14)

/* SYSCFG 0x58000400 */
typedef struct {
    uint32_t      RES0;        /* 0x00 */
    __IO uint32_t PMCR;        /* 0x04 */
    __IO uint32_t EXTICR[4];   /* 0x08..0x14 */
    uint32_t      RES1[2];     /* 0x18, 0x1C */
    __IO uint32_t CCCSR;       /* 0x20 */
    __IO uint32_t CCVR;        /* 0x24 */
    __IO uint32_t CCCR;        /* 0x28 */
    __IO uint32_t PWRCR;       /* 0x2C */
} SYSCFG_TypeDef;
#define SYSCFG ((SYSCFG_TypeDef *)0x58000400UL)
#define SYSCFG_PWRCR_ODEN (1UL << 0)

/* FLASH 0x52002000 */
typedef struct {
    __IO uint32_t ACR;  /* 0x00 */
} FLASH_TypeDef;
#define FLASH ((FLASH_TypeDef *)0x52002000UL)
#define FLASH_ACR_LATENCY_MSK     (0xFUL << 0)
#define FLASH_ACR_WRHIGHFREQ_POS  4U
#define FLASH_ACR_WRHIGHFREQ_MSK  (3UL << 4)

/* DBGMCU 0x5C001000 */
#define DBGMCU_IDCODE (*(__I uint32_t *)0x5C001000UL)
#define DBGMCU_IDCODE_REV_ID(x) (((x) >> 16) & 0xFFFFUL)
#define DBGMCU_IDCODE_DEV_ID(x) ((x) & 0xFFFUL)
#define DBGMCU_REV_Y 0x1003UL
#define DBGMCU_REV_V 0x2003UL

/* GPIO (port D at 0x58020C00) */
typedef struct {
    __IO uint32_t MODER;    /* 0x00 */
    __IO uint32_t OTYPER;   /* 0x04 */
    __IO uint32_t OSPEEDR;  /* 0x08 */
    __IO uint32_t PUPDR;    /* 0x0C */
    __IO uint32_t IDR;      /* 0x10 */
    __IO uint32_t ODR;      /* 0x14 */
    __IO uint32_t BSRR;     /* 0x18 */
    __IO uint32_t LCKR;     /* 0x1C */
    __IO uint32_t AFR[2];   /* 0x20, 0x24 */
} GPIO_TypeDef;
#define GPIOD ((GPIO_TypeDef *)0x58020C00UL)

/* USART (USART3 at 0x40004800) */
typedef struct {
    __IO uint32_t CR1;    /* 0x00 */
    __IO uint32_t CR2;    /* 0x04 */
    __IO uint32_t CR3;    /* 0x08 */
    __IO uint32_t BRR;    /* 0x0C */
    __IO uint32_t GTPR;   /* 0x10 */
    __IO uint32_t RTOR;   /* 0x14 */
    __IO uint32_t RQR;    /* 0x18 */
    __IO uint32_t ISR;    /* 0x1C */
    __IO uint32_t ICR;    /* 0x20 */
    __IO uint32_t RDR;    /* 0x24 */
    __IO uint32_t TDR;    /* 0x28 */
    __IO uint32_t PRESC;  /* 0x2C */
} USART_TypeDef;
#define USART3 ((USART_TypeDef *)0x40004800UL)
#define USART_CR1_UE      (1UL << 0)
#define USART_CR1_RE      (1UL << 2)
#define USART_CR1_TE      (1UL << 3)
#define USART_CR1_RXNEIE  (1UL << 5)
#define USART_ISR_PE      (1UL << 0)
#define USART_ISR_FE      (1UL << 1)
#define USART_ISR_NE      (1UL << 2)
#define USART_ISR_ORE     (1UL << 3)
#define USART_ISR_RXNE    (1UL << 5)   /* RXNE_RXFNE */
#define USART_ISR_TC      (1UL << 6)
#define USART_ISR_TXE     (1UL << 7)   /* TXE_TXFNF */
#define USART_ISR_TEACK   (1UL << 21)
#define USART_ISR_REACK   (1UL << 22)
#define USART_ICR_PECF    (1UL << 0)
#define USART_ICR_FECF    (1UL << 1)
#define USART_ICR_NECF    (1UL << 2)
#define USART_ICR_ORECF   (1UL << 3)

/* ======================================================================
 * IRQ numbers used in this tree (RM0433 table 138)
 * ====================================================================== */
#define EXTI0_IRQn   6
#define EXTI1_IRQn   7
#define EXTI2_IRQn   8
#define USART3_IRQn  39

/* ======================================================================
 * Core intrinsics
 * ====================================================================== */
static inline void __DSB(void) { __asm volatile("dsb 0xF" ::: "memory"); }
static inline void __ISB(void) { __asm volatile("isb 0xF" ::: "memory"); }
static inline void __DMB(void) { __asm volatile("dmb 0xF" ::: "memory"); }
static inline void __WFI(void) { __asm volatile("wfi" ::: "memory"); }
static inline void __enable_irq(void)  { __asm volatile("cpsie i" ::: "memory"); }
static inline void __disable_irq(void) { __asm volatile("cpsid i" ::: "memory"); }
static inline uint32_t __get_BASEPRI(void)
{
    uint32_t r;
    __asm volatile("mrs %0, basepri" : "=r"(r));
    return r;
}
static inline void __set_BASEPRI(uint32_t v) { __asm volatile("msr basepri, %0" :: "r"(v) : "memory"); }
static inline uint32_t __get_IPSR(void)
{
    uint32_t r;
    __asm volatile("mrs %0, ipsr" : "=r"(r));
    return r;
}
static inline uint32_t __get_CONTROL(void)
{
    uint32_t r;
    __asm volatile("mrs %0, control" : "=r"(r));
    return r;
}
static inline uint32_t __get_FPSCR(void)
{
    uint32_t r;
    __asm volatile("vmrs %0, fpscr" : "=r"(r));
    return r;
}
static inline void __set_FPSCR(uint32_t v) { __asm volatile("vmsr fpscr, %0" :: "r"(v) : "memory"); }

/* NVIC helpers (priority value given as the full 8-bit field, e.g. 0x40) */
static inline void NVIC_EnableIRQ(unsigned irq)  { NVIC->ISER[irq >> 5] = 1UL << (irq & 31U); }
static inline void NVIC_DisableIRQ(unsigned irq) { NVIC->ICER[irq >> 5] = 1UL << (irq & 31U); __DSB(); __ISB(); }
static inline void NVIC_SetPendingIRQ(unsigned irq) { NVIC->ISPR[irq >> 5] = 1UL << (irq & 31U); }
static inline void NVIC_ClearPendingIRQ(unsigned irq) { NVIC->ICPR[irq >> 5] = 1UL << (irq & 31U); }
static inline uint32_t NVIC_GetPendingIRQ(unsigned irq) { return (NVIC->ISPR[irq >> 5] >> (irq & 31U)) & 1U; }
static inline void NVIC_SetPriority(unsigned irq, uint8_t prio8) { NVIC->IPR[irq] = prio8; }

#endif /* STM32H743_REGS_H */
