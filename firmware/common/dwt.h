/*
 * dwt.h - DWT cycle counter (ARMv7-M ARM C1.8, Cortex-M7 TRM).
 *
 * dwt_init(): DEMCR.TRCENA (0xE000EDFC bit 24) = 1, unlock the DWT with
 * DWT_LAR (0xE0001FB0) = 0xC5ACCE55 (the Cortex-M7 DWT implements the software
 * lock), CYCCNT = 0, DWT_CTRL.CYCCNTENA (0xE0001000 bit 0) = 1.
 * dwt_cycles(): reads DWT_CYCCNT (0xE0001004), wraps at 2^32 (10.7 s at 400 MHz).
 */
#ifndef DWT_H
#define DWT_H

#include <stdint.h>
#include "stm32h743_regs.h"

static inline void dwt_init(void)
{
    DEMCR |= DEMCR_TRCENA;
    __DSB();
    DWT_LAR = DWT_LAR_KEY;
    DWT->CYCCNT = 0;
    DWT->CTRL |= DWT_CTRL_CYCCNTENA;
    __DSB();
    __ISB();
}

static inline uint32_t dwt_cycles(void)
{
    return DWT->CYCCNT;
}

#endif /* DWT_H */
