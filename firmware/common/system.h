/*
 * system.h - clock tree setup for the STM32H743 (HSI 64 MHz -> PLL1 -> SYSCLK).
 */
#ifndef SYSTEM_H
#define SYSTEM_H

#include <stdint.h>

/* Called from Reset_Handler: configures 400 MHz (VOS1, 2 flash wait states). */
void SystemInit(void);

/*
 * Reconfigure the core clock to one of 100, 200, 300, 400 or 480 MHz (HSI + PLL1).
 * Picks the lowest voltage scale that allows the frequency (VOS3, VOS3, VOS2, VOS1,
 * VOS0) and the flash wait states of RM0433 table 17 for that AXI clock.
 * 480 MHz requires silicon revision V (DBGMCU_IDCODE REV_ID 0x2003) and VOS0
 * (VOS1 + SYSCFG_PWRCR.ODEN).
 * Returns 0 on success, -1 for an unsupported frequency (clock left unchanged).
 */
int system_clock_config(uint32_t cpu_hz);

/* Current CPU clock (sys_ck / D1CPRE), AXI/AHB clock (hclk) and APB1 clock (pclk1) in Hz. */
uint32_t system_core_clock_hz(void);
uint32_t system_hclk_hz(void);
uint32_t system_pclk1_hz(void);

/* Variable kept in sync with the core clock (CMSIS convention). */
extern uint32_t SystemCoreClock;

#endif /* SYSTEM_H */
