/*
 * nn_exact - runs the aligner's int8 network (the M7 kernels: SMLAD assembly, ITCM) on a fixed
 * pseudo-random int8 feature sequence and prints every output frame over semihosting, so that
 * tests/test_nn_exact.py can compare it bit for bit with the NumPy reference
 * (firmware/model/reference.py) of the same model.
 *   inputs: x[t][i] = (int8)(((lcg >> 24) % 255) - 127), lcg = lcg * 1664525 + 1013904223,
 *           lcg starting at 12345, t = 0..NN_FRAMES-1, i = 0..n_mels-1 in order
 *   output: "L <frame> <hex bytes of the n_classes int8 logits>" per frame, then "done <n>"
 * Exits 0.
 */
#include <stdint.h>
#include <stdio.h>
#include "nnet.h"
#include "model_data.h"

#ifndef NN_FRAMES
#define NN_FRAMES 24
#endif

static al_nn_t nn;
static uint32_t lcg = 12345u;
static uint32_t frames_out;

static int8_t next_input(void)
{
    lcg = lcg * 1664525u + 1013904223u;
    return (int8_t)((int)((lcg >> 24) % 255u) - 127);
}

static void on_logits(void *ctx, const int8_t *z)
{
    (void)ctx;
    char line[16 + 2 * AL_NN_MAX_CH];
    int n = snprintf(line, sizeof line, "L %lu ", (unsigned long)frames_out++);
    static const char hex[] = "0123456789abcdef";
    for (int c = 0; c < al_model.n_classes; c++) {
        line[n++] = hex[((uint8_t)z[c]) >> 4];
        line[n++] = hex[((uint8_t)z[c]) & 15];
    }
    line[n] = 0;
    puts(line);
}

int main(void)
{
    if (al_nn_init(&nn, &al_model) != 0) {
        printf("nn_exact: model does not fit\n");
        return 1;
    }
    int8_t feat[AL_NN_MAX_CH];
    for (int t = 0; t < NN_FRAMES; t++) {
        for (int i = 0; i < al_model.n_mels; i++)
            feat[i] = next_input();
        al_nn_push(&nn, feat, on_logits, 0);
    }
    al_nn_flush(&nn, on_logits, 0);
    printf("done %lu\n", (unsigned long)frames_out);
    return 0;
}
