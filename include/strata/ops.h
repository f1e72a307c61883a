// Every public op.
#pragma once

#include "strata/ops/binary.h"
#include "strata/ops/conv.h"
#include "strata/ops/creation.h"
#include "strata/ops/image.h"
#include "strata/ops/indexing.h"
#include "strata/ops/matmul.h"
#include "strata/ops/normalization.h"
#include "strata/ops/pool.h"
#include "strata/ops/quantized.h"
#include "strata/ops/random.h"
#include "strata/ops/reduce.h"
#include "strata/ops/shape.h"
#include "strata/ops/unary.h"
