// Normalization and softmax. Implemented in src/ops/normalization.cpp.
#pragma once

#include "strata/tensor.h"

namespace strata {

/// (x - mean) / sqrt(variance + epsilon) * scale + offset; mean/variance/offset/scale
/// broadcast against x (usually [channels]); offset and scale are optional.
Tensor batchNorm(const Tensor& x, const Tensor& mean, const Tensor& variance, const Tensor& offset = {},
                 const Tensor& scale = {}, float varianceEpsilon = 0.001f);

/// Local response normalization over the last axis of a rank-4 NHWC tensor.
Tensor localResponseNormalization(const Tensor& x, int depthRadius = 5, float bias = 1, float alpha = 1,
                                  float beta = 0.5f);

/// Softmax along `axis` (TF.js only allows the last one; any axis works here).
Tensor softmax(const Tensor& logits, int axis = -1);
Tensor logSoftmax(const Tensor& logits, int axis = -1);

}  // namespace strata
