/*
 * audio_buffer.h - a whole recording placed in flash before the firmware starts, for
 * record-then-process devices (on a board: written by a recorder or a flashing tool; in the
 * simulator: `simulate FW.elf --audio clip.wav --audio-mode buffered`).
 *
 * The firmware declares the buffer with AUDIO_BUFFER_DEFINE(max_samples); its section
 * .audio_buffer sits at 0x08100000 (flash bank 2, NOLOAD). The writer fills the header and the
 * samples: mono int16 at rate_hz (the rate the firmware asks for in rate_hz before: the
 * simulator reads the ELF symbol audio_buffer_rate_hz, 16000 if absent).
 */
#ifndef AUDIO_BUFFER_H
#define AUDIO_BUFFER_H

#include <stdint.h>

#define AUDIO_BUFFER_MAGIC 0x42445541u   /* "AUDB" */

typedef struct {
    uint32_t magic;      /* AUDIO_BUFFER_MAGIC when a recording is present */
    uint32_t rate_hz;    /* sample rate of data[] */
    uint32_t samples;    /* number of valid samples in data[] */
    uint32_t capacity;   /* size of data[] in samples */
    int16_t data[];
} audio_buffer_t;

#define AUDIO_BUFFER_DEFINE(max_samples)                                                \
    __attribute__((section(".audio_buffer"), used, aligned(32)))                       \
    uint8_t audio_buffer_storage[sizeof(audio_buffer_t) + 2u * (max_samples)];         \
    __attribute__((used)) const uint32_t audio_buffer_rate_hz = 16000u

#define AUDIO_BUFFER ((const volatile audio_buffer_t *)(const void *)audio_buffer_storage)

extern uint8_t audio_buffer_storage[];

#endif /* AUDIO_BUFFER_H */
