/*
 * semihost_exit.h - end a bare program (no newlib, no startup files) with an exit status,
 * through ARM semihosting SYS_EXIT_EXTENDED (0x20) with ADP_Stopped_ApplicationExit.
 * Used by small self-contained benchmark and test programs.
 */
#ifndef SEMIHOST_EXIT_H
#define SEMIHOST_EXIT_H

#include <stdint.h>

static inline __attribute__((noreturn)) void semihost_exit(uint32_t code)
{
    uint32_t block[2] = {0x20026u, code};
    register uint32_t r0 __asm__("r0") = 0x20u;
    register uint32_t *r1 __asm__("r1") = block;
    __asm__ volatile("bkpt 0xab" : : "r"(r0), "r"(r1) : "memory");
    for (;;) {
    }
}

#endif /* SEMIHOST_EXIT_H */
