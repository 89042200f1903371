/*
 * startup.c - STM32H743 vector table and reset code (no assembler file needed).
 *
 * Reset_Handler (naked): SP <- _estack, CPACR.CP10/CP11 = full access, DSB, ISB, then
 * branches to reset_continue() (C). Nothing before that point touches the FPU.
 * reset_continue(): VTOR <- vector table, copy .data (flash -> DTCM), zero .bss, zero
 * .axisram, copy .itcm_text (flash -> ITCM 0x00000000), SystemInit() (400 MHz),
 * I-cache + D-cache on (CMSIS SCB_EnableICache/SCB_EnableDCache sequence),
 * __libc_init_array(), initialise_monitor_handles() (rdimon semihosting, opens ":tt"),
 * exit(main()).
 *
 * The rdimon crt0 (_start) is not linked: the Makefile uses -nostartfiles. _init/_fini
 * (normally from crti.o/crtn.o) are empty functions in cortex_m7_reset.inc.
 *
 * The reset code after the vector table is the Cortex-M7 part every chip here shares:
 * common/cortex_m7_reset.inc; the declarations before it (linker symbols, system exception
 * handlers) are common/cortex_m7_startup.h.
 */
#include <stdint.h>
#include <stdlib.h>
#include "stm32h743_regs.h"
#include "system.h"
#include "cortex_m7_startup.h"

/* STM32H743 peripheral interrupts, IRQ 0..149 */
void WWDG_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void PVD_AVD_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void TAMP_STAMP_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void RTC_WKUP_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void FLASH_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void RCC_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void EXTI0_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void EXTI1_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void EXTI2_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void EXTI3_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void EXTI4_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void DMA1_Stream0_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void DMA1_Stream1_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void DMA1_Stream2_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void DMA1_Stream3_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void DMA1_Stream4_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void DMA1_Stream5_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void DMA1_Stream6_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void ADC_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void FDCAN1_IT0_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void FDCAN2_IT0_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void FDCAN1_IT1_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void FDCAN2_IT1_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void EXTI9_5_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void TIM1_BRK_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void TIM1_UP_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void TIM1_TRG_COM_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void TIM1_CC_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void TIM2_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void TIM3_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void TIM4_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void I2C1_EV_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void I2C1_ER_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void I2C2_EV_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void I2C2_ER_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void SPI1_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void SPI2_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void USART1_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void USART2_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void USART3_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void EXTI15_10_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void RTC_Alarm_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void Reserved42_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void TIM8_BRK_TIM12_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void TIM8_UP_TIM13_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void TIM8_TRG_COM_TIM14_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void TIM8_CC_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void DMA1_Stream7_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void FMC_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void SDMMC1_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void TIM5_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void SPI3_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void UART4_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void UART5_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void TIM6_DAC_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void TIM7_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void DMA2_Stream0_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void DMA2_Stream1_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void DMA2_Stream2_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void DMA2_Stream3_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void DMA2_Stream4_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void ETH_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void ETH_WKUP_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void FDCAN_CAL_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void Reserved64_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void Reserved65_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void Reserved66_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void Reserved67_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void DMA2_Stream5_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void DMA2_Stream6_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void DMA2_Stream7_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void USART6_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void I2C3_EV_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void I2C3_ER_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void OTG_HS_EP1_OUT_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void OTG_HS_EP1_IN_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void OTG_HS_WKUP_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void OTG_HS_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void DCMI_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void Reserved79_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void RNG_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void FPU_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void UART7_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void UART8_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void SPI4_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void SPI5_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void SPI6_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void SAI1_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void LTDC_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void LTDC_ER_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void DMA2D_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void SAI2_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void QUADSPI_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void LPTIM1_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void CEC_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void I2C4_EV_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void I2C4_ER_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void SPDIF_RX_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void OTG_FS_EP1_OUT_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void OTG_FS_EP1_IN_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void OTG_FS_WKUP_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void OTG_FS_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void DMAMUX1_OVR_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void HRTIM1_Master_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void HRTIM1_TIMA_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void HRTIM1_TIMB_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void HRTIM1_TIMC_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void HRTIM1_TIMD_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void HRTIM1_TIME_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void HRTIM1_FLT_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void DFSDM1_FLT0_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void DFSDM1_FLT1_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void DFSDM1_FLT2_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void DFSDM1_FLT3_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void SAI3_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void SWPMI1_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void TIM15_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void TIM16_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void TIM17_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void MDIOS_WKUP_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void MDIOS_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void JPEG_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void MDMA_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void Reserved123_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void SDMMC2_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void HSEM1_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void Reserved126_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void ADC3_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void DMAMUX2_OVR_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void BDMA_Channel0_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void BDMA_Channel1_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void BDMA_Channel2_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void BDMA_Channel3_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void BDMA_Channel4_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void BDMA_Channel5_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void BDMA_Channel6_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void BDMA_Channel7_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void COMP_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void LPTIM2_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void LPTIM3_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void LPTIM4_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void LPTIM5_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void LPUART1_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void Reserved143_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void CRS_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void ECC_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void SAI4_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void Reserved147_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void HOLD_CORE_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void WAKEUP_PIN_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));

/* 16 system entries + 150 IRQs = 166 words = 0x298 bytes at 0x08000000 */
__attribute__((section(".isr_vector"), used))
const vector_t g_pfnVectors[16 + 150] = {
    (vector_t)(uintptr_t)&_estack,   /*  0 initial MSP */
    Reset_Handler,                   /*  1 */
    NMI_Handler,                     /*  2 */
    HardFault_Handler,               /*  3 */
    MemManage_Handler,               /*  4 */
    BusFault_Handler,                /*  5 */
    UsageFault_Handler,              /*  6 */
    0, 0, 0, 0,                      /*  7-10 reserved */
    SVC_Handler,                     /* 11 */
    DebugMon_Handler,                /* 12 */
    0,                               /* 13 reserved */
    PendSV_Handler,                  /* 14 */
    SysTick_Handler,                 /* 15 */
    WWDG_IRQHandler,                 /*   0 */
    PVD_AVD_IRQHandler,              /*   1 */
    TAMP_STAMP_IRQHandler,           /*   2 */
    RTC_WKUP_IRQHandler,             /*   3 */
    FLASH_IRQHandler,                /*   4 */
    RCC_IRQHandler,                  /*   5 */
    EXTI0_IRQHandler,                /*   6 */
    EXTI1_IRQHandler,                /*   7 */
    EXTI2_IRQHandler,                /*   8 */
    EXTI3_IRQHandler,                /*   9 */
    EXTI4_IRQHandler,                /*  10 */
    DMA1_Stream0_IRQHandler,         /*  11 */
    DMA1_Stream1_IRQHandler,         /*  12 */
    DMA1_Stream2_IRQHandler,         /*  13 */
    DMA1_Stream3_IRQHandler,         /*  14 */
    DMA1_Stream4_IRQHandler,         /*  15 */
    DMA1_Stream5_IRQHandler,         /*  16 */
    DMA1_Stream6_IRQHandler,         /*  17 */
    ADC_IRQHandler,                  /*  18 */
    FDCAN1_IT0_IRQHandler,           /*  19 */
    FDCAN2_IT0_IRQHandler,           /*  20 */
    FDCAN1_IT1_IRQHandler,           /*  21 */
    FDCAN2_IT1_IRQHandler,           /*  22 */
    EXTI9_5_IRQHandler,              /*  23 */
    TIM1_BRK_IRQHandler,             /*  24 */
    TIM1_UP_IRQHandler,              /*  25 */
    TIM1_TRG_COM_IRQHandler,         /*  26 */
    TIM1_CC_IRQHandler,              /*  27 */
    TIM2_IRQHandler,                 /*  28 */
    TIM3_IRQHandler,                 /*  29 */
    TIM4_IRQHandler,                 /*  30 */
    I2C1_EV_IRQHandler,              /*  31 */
    I2C1_ER_IRQHandler,              /*  32 */
    I2C2_EV_IRQHandler,              /*  33 */
    I2C2_ER_IRQHandler,              /*  34 */
    SPI1_IRQHandler,                 /*  35 */
    SPI2_IRQHandler,                 /*  36 */
    USART1_IRQHandler,               /*  37 */
    USART2_IRQHandler,               /*  38 */
    USART3_IRQHandler,               /*  39 */
    EXTI15_10_IRQHandler,            /*  40 */
    RTC_Alarm_IRQHandler,            /*  41 */
    Reserved42_IRQHandler,           /*  42 */
    TIM8_BRK_TIM12_IRQHandler,       /*  43 */
    TIM8_UP_TIM13_IRQHandler,        /*  44 */
    TIM8_TRG_COM_TIM14_IRQHandler,   /*  45 */
    TIM8_CC_IRQHandler,              /*  46 */
    DMA1_Stream7_IRQHandler,         /*  47 */
    FMC_IRQHandler,                  /*  48 */
    SDMMC1_IRQHandler,               /*  49 */
    TIM5_IRQHandler,                 /*  50 */
    SPI3_IRQHandler,                 /*  51 */
    UART4_IRQHandler,                /*  52 */
    UART5_IRQHandler,                /*  53 */
    TIM6_DAC_IRQHandler,             /*  54 */
    TIM7_IRQHandler,                 /*  55 */
    DMA2_Stream0_IRQHandler,         /*  56 */
    DMA2_Stream1_IRQHandler,         /*  57 */
    DMA2_Stream2_IRQHandler,         /*  58 */
    DMA2_Stream3_IRQHandler,         /*  59 */
    DMA2_Stream4_IRQHandler,         /*  60 */
    ETH_IRQHandler,                  /*  61 */
    ETH_WKUP_IRQHandler,             /*  62 */
    FDCAN_CAL_IRQHandler,            /*  63 */
    Reserved64_IRQHandler,           /*  64 */
    Reserved65_IRQHandler,           /*  65 */
    Reserved66_IRQHandler,           /*  66 */
    Reserved67_IRQHandler,           /*  67 */
    DMA2_Stream5_IRQHandler,         /*  68 */
    DMA2_Stream6_IRQHandler,         /*  69 */
    DMA2_Stream7_IRQHandler,         /*  70 */
    USART6_IRQHandler,               /*  71 */
    I2C3_EV_IRQHandler,              /*  72 */
    I2C3_ER_IRQHandler,              /*  73 */
    OTG_HS_EP1_OUT_IRQHandler,       /*  74 */
    OTG_HS_EP1_IN_IRQHandler,        /*  75 */
    OTG_HS_WKUP_IRQHandler,          /*  76 */
    OTG_HS_IRQHandler,               /*  77 */
    DCMI_IRQHandler,                 /*  78 */
    Reserved79_IRQHandler,           /*  79 */
    RNG_IRQHandler,                  /*  80 */
    FPU_IRQHandler,                  /*  81 */
    UART7_IRQHandler,                /*  82 */
    UART8_IRQHandler,                /*  83 */
    SPI4_IRQHandler,                 /*  84 */
    SPI5_IRQHandler,                 /*  85 */
    SPI6_IRQHandler,                 /*  86 */
    SAI1_IRQHandler,                 /*  87 */
    LTDC_IRQHandler,                 /*  88 */
    LTDC_ER_IRQHandler,              /*  89 */
    DMA2D_IRQHandler,                /*  90 */
    SAI2_IRQHandler,                 /*  91 */
    QUADSPI_IRQHandler,              /*  92 */
    LPTIM1_IRQHandler,               /*  93 */
    CEC_IRQHandler,                  /*  94 */
    I2C4_EV_IRQHandler,              /*  95 */
    I2C4_ER_IRQHandler,              /*  96 */
    SPDIF_RX_IRQHandler,             /*  97 */
    OTG_FS_EP1_OUT_IRQHandler,       /*  98 */
    OTG_FS_EP1_IN_IRQHandler,        /*  99 */
    OTG_FS_WKUP_IRQHandler,          /* 100 */
    OTG_FS_IRQHandler,               /* 101 */
    DMAMUX1_OVR_IRQHandler,          /* 102 */
    HRTIM1_Master_IRQHandler,        /* 103 */
    HRTIM1_TIMA_IRQHandler,          /* 104 */
    HRTIM1_TIMB_IRQHandler,          /* 105 */
    HRTIM1_TIMC_IRQHandler,          /* 106 */
    HRTIM1_TIMD_IRQHandler,          /* 107 */
    HRTIM1_TIME_IRQHandler,          /* 108 */
    HRTIM1_FLT_IRQHandler,           /* 109 */
    DFSDM1_FLT0_IRQHandler,          /* 110 */
    DFSDM1_FLT1_IRQHandler,          /* 111 */
    DFSDM1_FLT2_IRQHandler,          /* 112 */
    DFSDM1_FLT3_IRQHandler,          /* 113 */
    SAI3_IRQHandler,                 /* 114 */
    SWPMI1_IRQHandler,               /* 115 */
    TIM15_IRQHandler,                /* 116 */
    TIM16_IRQHandler,                /* 117 */
    TIM17_IRQHandler,                /* 118 */
    MDIOS_WKUP_IRQHandler,           /* 119 */
    MDIOS_IRQHandler,                /* 120 */
    JPEG_IRQHandler,                 /* 121 */
    MDMA_IRQHandler,                 /* 122 */
    Reserved123_IRQHandler,          /* 123 */
    SDMMC2_IRQHandler,               /* 124 */
    HSEM1_IRQHandler,                /* 125 */
    Reserved126_IRQHandler,          /* 126 */
    ADC3_IRQHandler,                 /* 127 */
    DMAMUX2_OVR_IRQHandler,          /* 128 */
    BDMA_Channel0_IRQHandler,        /* 129 */
    BDMA_Channel1_IRQHandler,        /* 130 */
    BDMA_Channel2_IRQHandler,        /* 131 */
    BDMA_Channel3_IRQHandler,        /* 132 */
    BDMA_Channel4_IRQHandler,        /* 133 */
    BDMA_Channel5_IRQHandler,        /* 134 */
    BDMA_Channel6_IRQHandler,        /* 135 */
    BDMA_Channel7_IRQHandler,        /* 136 */
    COMP_IRQHandler,                 /* 137 */
    LPTIM2_IRQHandler,               /* 138 */
    LPTIM3_IRQHandler,               /* 139 */
    LPTIM4_IRQHandler,               /* 140 */
    LPTIM5_IRQHandler,               /* 141 */
    LPUART1_IRQHandler,              /* 142 */
    Reserved143_IRQHandler,          /* 143 */
    CRS_IRQHandler,                  /* 144 */
    ECC_IRQHandler,                  /* 145 */
    SAI4_IRQHandler,                 /* 146 */
    Reserved147_IRQHandler,          /* 147 */
    HOLD_CORE_IRQHandler,            /* 148 */
    WAKEUP_PIN_IRQHandler,           /* 149 */
};

#include "cortex_m7_reset.inc"
