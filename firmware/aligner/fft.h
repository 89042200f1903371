/* fft.h - 512-point real FFT in float32 (256-point complex radix-2 FFT + split post-processing).
 * No libm, no doubles, no static state: twiddles are const tables from gen_tables.py. */
#ifndef AL_FFT_H
#define AL_FFT_H

/* In place. On entry buf[0..511] holds the real input x[0..511]; on return buf[0..513] holds
 * X[k] for k = 0..256 as (re, im) pairs: buf[2k] = Re X[k], buf[2k+1] = Im X[k]
 * (same sign convention as numpy.fft.rfft). buf must have room for 514 floats. */
void al_rfft512(float *buf);

/* The 256-point complex forward FFT used inside (interleaved re/im, in place). */
void al_cfft256(float *z);

/* The same two with the input already in bit-reversed order: complex point n = (x[2n], x[2n+1])
 * stored at buf[2 * al_bitrev256[n]] (the front end windows straight into that order). */
void al_cfft256_br(float *z);
void al_rfft512_br(float *buf);

#endif
