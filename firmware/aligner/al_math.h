/* al_math.h - float32 ln/exp built from + - * / only, so that the host build and the M7 build
 * (both -ffp-contract=off, no FMA contraction) give bit-identical results; libm's logf/expf are
 * not guaranteed to agree between glibc and newlib. Max error about 1 ulp over the used range. */
#ifndef AL_MATH_H
#define AL_MATH_H

float al_logf(float x);   /* x > 0 and normal (callers clamp to >= 1e-10) */
float al_expf(float x);   /* clamps x to [-87, 88] */

#endif
