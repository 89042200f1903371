/* The time of data loads by memory kind at the reset clock (HSI 64 MHz, every bus at 64 MHz,
 * caches off): eight loads of one address between two CYCCNT reads, for DTCM, a peripheral
 * on AHB4, one on APB1, and uncached AXI, D2 and D3 SRAM (tests/test_bus_latency.py). */
#include <stdint.h>
#include "semihost_exit.h"
#include "dwt.h"

#define RCC_AHB4ENR  (*(volatile uint32_t *)0x580244E0)
#define RCC_APB1LENR (*(volatile uint32_t *)0x580244E8)

volatile uint32_t results[8];
uint32_t dtcm_word;

__attribute__((noinline)) uint32_t eight_loads(uint32_t addr) {
    uint32_t t0, t1;
    __asm__ volatile(
        "ldr %0, [%2, #4]\n"
        ".rept 8\n ldr r3, [%3]\n .endr\n"
        "ldr %1, [%2, #4]\n"
        : "=&r"(t0), "=&r"(t1) : "r"(0xE0001000), "r"(addr) : "r3", "memory");
    return t1 - t0;
}

void reset(void) {
    dwt_init();
    RCC_AHB4ENR |= 1u << 3;                         /* GPIODEN */
    RCC_APB1LENR |= 1u << 18;                       /* USART3EN */
    (void)eight_loads((uint32_t)&dtcm_word);        /* warm: the same code, translated */
    results[0] = eight_loads((uint32_t)&dtcm_word);
    results[1] = eight_loads(0x58020C10);           /* GPIOD_IDR, AHB4 (D3) */
    results[2] = eight_loads(0x4000481C);           /* USART3_ISR, APB1 (D2) */
    results[3] = eight_loads(0x24000000);           /* AXI SRAM */
    results[4] = eight_loads(0x30000000);           /* SRAM1, D2 */
    results[5] = eight_loads(0x38000000);           /* SRAM4, D3 */
    results[7] = 1;
    semihost_exit(0);
}

__attribute__((section(".vectors"), used)) const void *vectors[2] = {(void *)0x20020000, (void *)reset};
