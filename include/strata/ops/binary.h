// Binary ops with NumPy/TF.js broadcasting, comparisons, logical ops and `where`.
// Mixed int32/float32 inputs are computed in float32 (TF.js upcasting). Implemented in
// src/ops/binary.cpp.
#pragma once

#include <vector>

#include "strata/tensor.h"

namespace strata {

Tensor add(const Tensor& a, const Tensor& b);
Tensor sub(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
/// a / b; for two int32 inputs this is floorDiv, as in TF.js.
Tensor div(const Tensor& a, const Tensor& b);
/// a / b, or 0 where b is 0.
Tensor divNoNan(const Tensor& a, const Tensor& b);
Tensor floorDiv(const Tensor& a, const Tensor& b);
/// Remainder with the sign of the divisor (Python/TF.js semantics).
Tensor mod(const Tensor& a, const Tensor& b);
Tensor pow(const Tensor& a, const Tensor& b);
Tensor maximum(const Tensor& a, const Tensor& b);
Tensor minimum(const Tensor& a, const Tensor& b);
Tensor squaredDifference(const Tensor& a, const Tensor& b);
Tensor atan2(const Tensor& a, const Tensor& b);
/// x where x >= 0, alpha * x elsewhere (alpha broadcasts against x).
Tensor prelu(const Tensor& x, const Tensor& alpha);
/// Sum of tensors of one shape.
Tensor addN(const std::vector<Tensor>& xs);

// Comparisons (bool output).
Tensor equal(const Tensor& a, const Tensor& b);
Tensor notEqual(const Tensor& a, const Tensor& b);
Tensor less(const Tensor& a, const Tensor& b);
Tensor lessEqual(const Tensor& a, const Tensor& b);
Tensor greater(const Tensor& a, const Tensor& b);
Tensor greaterEqual(const Tensor& a, const Tensor& b);

// Logical ops on bool tensors.
Tensor logicalAnd(const Tensor& a, const Tensor& b);
Tensor logicalOr(const Tensor& a, const Tensor& b);
Tensor logicalXor(const Tensor& a, const Tensor& b);

/// Elementwise choice: condition ? a : b, all three broadcast together.
Tensor where(const Tensor& condition, const Tensor& a, const Tensor& b);

// Operators (float scalars become float32 scalar tensors).
Tensor operator+(const Tensor& a, const Tensor& b);
Tensor operator-(const Tensor& a, const Tensor& b);
Tensor operator*(const Tensor& a, const Tensor& b);
Tensor operator/(const Tensor& a, const Tensor& b);
Tensor operator-(const Tensor& a);
Tensor operator+(const Tensor& a, float b);
Tensor operator-(const Tensor& a, float b);
Tensor operator*(const Tensor& a, float b);
Tensor operator/(const Tensor& a, float b);
Tensor operator+(float a, const Tensor& b);
Tensor operator-(float a, const Tensor& b);
Tensor operator*(float a, const Tensor& b);
Tensor operator/(float a, const Tensor& b);

}  // namespace strata
