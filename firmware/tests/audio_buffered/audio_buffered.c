/*
 * audio_buffered - record-then-process: the whole clip is in flash (common/audio_buffer.h)
 * before the firmware starts. Checksums it in 320-sample blocks as a processing stand-in and
 * prints over semihosting:
 *   "N <samples> <rate>"                        the recording found
 *   "T <samples> <sum> <crc32>"                 sum of samples (int64) and CRC32 of the bytes
 * Exits 0, or 1 when no recording is present (magic missing).
 */
#include <stdint.h>
#include <stdio.h>
#include "audio_buffer.h"

AUDIO_BUFFER_DEFINE(16000u * 30u);              /* up to 30 s at 16 kHz (960 KB) */

static uint32_t crc32_update(uint32_t crc, const volatile uint8_t *p, uint32_t n)
{
    crc = ~crc;
    while (n--) {
        crc ^= *p++;
        for (int k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (0xEDB88320u & -(crc & 1u));
    }
    return ~crc;
}

int main(void)
{
    const volatile audio_buffer_t *ab = AUDIO_BUFFER;
    if (ab->magic != AUDIO_BUFFER_MAGIC) {
        printf("audio_buffered: no recording in flash\n");
        return 1;
    }
    uint32_t n = ab->samples;
    printf("N %lu %lu\n", (unsigned long)n, (unsigned long)ab->rate_hz);
    int64_t sum = 0;
    uint32_t crc = 0;
    for (uint32_t i = 0; i < n; i += 320u) {
        uint32_t m = n - i < 320u ? n - i : 320u;
        for (uint32_t j = 0; j < m; j++)
            sum += ab->data[i + j];
        crc = crc32_update(crc, (const volatile uint8_t *)&ab->data[i], 2u * m);
    }
    printf("T %lu %lld %lu\n", (unsigned long)n, (long long)sum, (unsigned long)crc);
    return 0;
}
