// Strata: a C++20 deep-learning runtime with TF.js semantics. Include this one header.
#pragma once

#include "strata/cpu.h"
#include "strata/cuda.h"
#include "strata/datasets.h"
#include "strata/dtype.h"
#include "strata/engine.h"
#include "strata/error.h"
#include "strata/grad.h"
#include "strata/initializers.h"
#include "strata/layers_api.h"
#include "strata/losses.h"
#include "strata/models.h"
#include "strata/npy.h"
#include "strata/optimize.h"
#include "strata/optimizers.h"
#include "strata/ops.h"
#include "strata/tensor.h"
#include "strata/training.h"

/// Short alias used throughout the docs: `namespace st = strata;`
namespace strata {}
