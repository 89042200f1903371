/* SystemInit as ST's system_stm32h7xx.c does it (written for this test): FPU access, the RCC
 * back to its reset clocking, and on silicon revision Y the AXI interconnect errata
 * workaround (ES0392 2.2.9): AXI_TARG7_FN_MOD (GPV, 0x51008108) = 1 when REV_ID < 0x2000. */
#include "regs.h"

uint32_t SystemCoreClock = 64000000u;

void SystemInit(void)
{
    SCB_CPACR |= (3u << 20) | (3u << 22);        /* CP10, CP11 full access */
    RCC_CR |= 1u;                                /* HSION */
    RCC_CFGR = 0;
    RCC_D1CFGR = 0;
    RCC_D2CFGR = 0;
    RCC_D3CFGR = 0;
    if ((DBGMCU_IDCODE & 0xFFFF0000u) < 0x20000000u) {
        AXI_TARG7_FN_MOD = 1u;                   /* rev Y: change the switch matrix read issuing */
    }
}
