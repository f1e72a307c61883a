// Model optimization (DESIGN §1 optimize/): quantization (storage and int8 compute), pruning
// (magnitude and structured) and knowledge distillation. Each has its own header.
#pragma once

#include "strata/optimize/distill.h"
#include "strata/optimize/prune.h"
#include "strata/optimize/quantize.h"
