/* Register addresses used by this test (RM0433 Rev 8 Table 8 and register maps; ARMv7-M ARM). */
#ifndef CUBEMX_RTOS_REGS_H
#define CUBEMX_RTOS_REGS_H
#include <stdint.h>

#define REG(a) (*(volatile uint32_t *)(a))

#define SCB_ICSR      REG(0xE000ED04u)   /* PENDSVSET bit 28 */
#define SCB_SHPR3     REG(0xE000ED20u)   /* PendSV [23:16], SysTick [31:24] priority */
#define SCB_CPACR     REG(0xE000ED88u)
#define SYST_CSR      REG(0xE000E010u)
#define SYST_RVR      REG(0xE000E014u)
#define SYST_CVR      REG(0xE000E018u)
#define NVIC_ISER(n)  REG(0xE000E100u + 4u * (n))
#define NVIC_IPR8(n)  (*(volatile uint8_t *)(0xE000E400u + (n)))
#define DEMCR         REG(0xE000EDFCu)   /* TRCENA bit 24 */
#define DWT_CTRL      REG(0xE0001000u)   /* CYCCNTENA bit 0 */
#define DWT_CYCCNT    REG(0xE0001004u)
#define DWT_LAR       REG(0xE0001FB0u)
#define DBGMCU_IDCODE REG(0x5C001000u)
#define AXI_TARG7_FN_MOD REG(0x51008108u) /* AXI interconnect GPV (rev Y errata workaround) */

#define RCC_BASE      0x58024400u
#define RCC_CR        REG(RCC_BASE + 0x000u)
#define RCC_CFGR      REG(RCC_BASE + 0x010u)
#define RCC_D1CFGR    REG(RCC_BASE + 0x018u)
#define RCC_D2CFGR    REG(RCC_BASE + 0x01Cu)
#define RCC_D3CFGR    REG(RCC_BASE + 0x020u)
#define RCC_APB1LENR  REG(RCC_BASE + 0x0E8u)  /* TIM6EN bit 4 */

#define TIM6_BASE     0x40001000u
#define TIM6_CR1      REG(TIM6_BASE + 0x00u)
#define TIM6_DIER     REG(TIM6_BASE + 0x0Cu)
#define TIM6_SR       REG(TIM6_BASE + 0x10u)
#define TIM6_EGR      REG(TIM6_BASE + 0x14u)
#define TIM6_CNT      REG(TIM6_BASE + 0x24u)
#define TIM6_PSC      REG(TIM6_BASE + 0x28u)
#define TIM6_ARR      REG(TIM6_BASE + 0x2Cu)
#define TIM6_DAC_IRQn 54u

#endif
