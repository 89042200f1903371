/*
 * itcm - code executing from ITCM at address 0x00000000.
 *
 * itcm_crc32() is placed in section .itcm_text.first, which common/h743.ld puts first in
 * .itcm_text: VMA exactly 0x00000000 (ELF symbol value 0x00000001, Thumb), LMA in flash
 * right after .rodata/.ARM.exidx. reset_continue() copies it to ITCM before main. Calls from
 * flash go through a linker long-branch veneer (0x08xxxxxx -> 0x00000000 is out of BL range).
 * flash_crc32() is the same code in flash, for comparison (caches are on).
 *
 * Expected observable behaviour (simulator):
 *   Semihosting stdout:
 *     "itcm: itcm_crc32 at 0x00000001"
 *     "itcm: crc32(\"123456789\") x1000 = cbf43926 (itcm), cbf43926 (flash)"
 *     "itcm: cycles itcm=<A> flash=<B>"       (DWT; both roughly 9 * 8 * ~3 * 1000 cycles)
 *     "itcm: PASS"
 *   Instruction fetches in [0x00000000, 0x00000100) while itcm_crc32 runs.
 *   Exit: status 0; 1 if the address or a CRC is wrong.
 */
#include <stdio.h>
#include <stdint.h>
#include "dwt.h"

#define CRC_BODY                                                        \
    uint32_t crc = 0xFFFFFFFFUL;                                        \
    for (uint32_t i = 0; i < n; i++) {                                  \
        crc ^= p[i];                                                    \
        for (int b = 0; b < 8; b++) {                                   \
            crc = (crc >> 1) ^ (0xEDB88320UL & (0UL - (crc & 1UL)));    \
        }                                                               \
    }                                                                   \
    return ~crc;

__attribute__((section(".itcm_text.first"), noinline, used))
uint32_t itcm_crc32(const uint8_t *p, uint32_t n)
{
    CRC_BODY
}

__attribute__((noinline))
uint32_t flash_crc32(const uint8_t *p, uint32_t n)
{
    CRC_BODY
}

static const uint8_t msg[9] = { '1', '2', '3', '4', '5', '6', '7', '8', '9' };
#define EXPECTED 0xCBF43926UL
#define ROUNDS 1000U

int main(void)
{
    int ok = 1;
    uint32_t (*volatile fp)(const uint8_t *, uint32_t) = itcm_crc32;
    const uint32_t addr = (uint32_t)(uintptr_t)fp;
    printf("itcm: itcm_crc32 at 0x%08lx\n", (unsigned long)addr);
    if (addr != 0x00000001UL) {
        ok = 0;
    }

    dwt_init();
    uint32_t r_itcm = 0, r_flash = 0, acc_i = 0, acc_f = 0;
    uint32_t t0 = dwt_cycles();
    for (uint32_t k = 0; k < ROUNDS; k++) {
        r_itcm = itcm_crc32(msg, sizeof msg);
        acc_i |= r_itcm ^ EXPECTED;
    }
    uint32_t t1 = dwt_cycles();
    for (uint32_t k = 0; k < ROUNDS; k++) {
        r_flash = flash_crc32(msg, sizeof msg);
        acc_f |= r_flash ^ EXPECTED;
    }
    uint32_t t2 = dwt_cycles();

    printf("itcm: crc32(\"123456789\") x%u = %08lx (itcm), %08lx (flash)\n",
           ROUNDS, (unsigned long)r_itcm, (unsigned long)r_flash);
    printf("itcm: cycles itcm=%lu flash=%lu\n", (unsigned long)(t1 - t0), (unsigned long)(t2 - t1));
    if (acc_i != 0U || acc_f != 0U) {
        ok = 0;
    }
    printf("itcm: %s\n", ok ? "PASS" : "FAIL");
    return ok ? 0 : 1;
}
