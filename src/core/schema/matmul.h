// Op schema of the matrix-product kernels (TF.js kernel names). Ops in src/ops/matmul.cpp
// dispatch to them.
#pragma once

#include "core/schema/fused.h"

namespace strata::schema {

/// BatchMatMul: inputs a [...batchA, m, k] ([..., k, m] when transposeA) and
/// b [...batchB, k, n] ([..., n, k] when transposeB), both of rank >= 2 and the same dtype
/// (float32 or int32). The batch shapes broadcast (NumPy rules, right-aligned); the output is
/// [...broadcast(batchA, batchB), m, n] of the input dtype.
struct BatchMatMulAttrs {
  bool transposeA = false;
  bool transposeB = false;
};

/// _FusedMatMul: BatchMatMul (float32 only) followed by the epilogue of FusedActivationAttrs.
/// Inputs: a, b, [bias], [preluWeights].
struct FusedMatMulAttrs {
  bool transposeA = false;
  bool transposeB = false;
  FusedActivationAttrs fused;
};

}  // namespace strata::schema
