/* model_data.h - random test model (gen_test_model.py) */
#ifndef MODEL_DATA_H
#define MODEL_DATA_H
#include "model_format.h"
#endif
