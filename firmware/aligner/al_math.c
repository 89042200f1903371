#include "al_math.h"
#include <stdint.h>
#include <string.h>

float al_logf(float x) { return al_logf_inl(x); }

float al_expf(float x) { return al_expf_inl(x); }
