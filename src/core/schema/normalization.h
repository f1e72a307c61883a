// Op schema of the normalization and softmax kernels: names (TF.js kernel names) and attributes.
// Ops in src/ops/normalization.cpp dispatch to them.
#pragma once

namespace strata::schema {

/// FusedBatchNorm: inputs x, mean, variance, then offset if hasOffset, then scale if hasScale.
/// Every input after x broadcasts against x (usually [channels]); out = offset + (x - mean) *
/// scale / sqrt(variance + varianceEpsilon), float32, x's shape.
struct BatchNormAttrs {
  float varianceEpsilon = 0.001f;
  bool hasOffset = false;
  bool hasScale = false;
};

/// LRN: x [batch, h, w, channels] -> same shape; out = x * (bias + alpha * sum of x^2 over
/// channels within depthRadius)^-beta.
/// LRNGrad: inputs (x, y, dy) -> dx, the same attributes.
struct LRNAttrs {
  int depthRadius = 5;
  float bias = 1;
  float alpha = 1;
  float beta = 0.5f;
};

/// Softmax and LogSoftmax along `axis` (non-negative, any axis), float32.
struct SoftmaxAttrs {
  int axis = -1;
};

}  // namespace strata::schema
