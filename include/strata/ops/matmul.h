// Matrix products. Implemented in src/ops/matmul.cpp.
#pragma once

#include "strata/ops/nn_types.h"
#include "strata/tensor.h"

namespace strata {

/// a @ b over the last two axes; leading (batch) axes broadcast. Rank-1 inputs are not
/// promoted (use dot).
Tensor matMul(const Tensor& a, const Tensor& b, bool transposeA = false, bool transposeB = false);
/// Vector/matrix dot product for rank 1 and 2 inputs (TF.js `dot`).
Tensor dot(const Tensor& a, const Tensor& b);
/// Outer product of two vectors.
Tensor outerProduct(const Tensor& a, const Tensor& b);

/// matMul + bias + activation in one kernel (TF.js `fused.matMul`).
struct FusedMatMulOptions {
  bool transposeA = false;
  bool transposeB = false;
  Tensor bias;  ///< optional; broadcasts against the output
  Activation activation = Activation::linear;
  Tensor preluActivationWeights;  ///< for Activation::prelu
  float leakyreluAlpha = 0.2f;
};
Tensor fusedMatMul(const Tensor& a, const Tensor& b, const FusedMatMulOptions& options = {});

}  // namespace strata
