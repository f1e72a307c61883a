// The bias-and-activation epilogue of the fused reference kernels (_FusedMatMul, FusedConv2D,
// FusedDepthwiseConv2D): applied in double to the product, then rounded once to float32.
#pragma once

#include <cmath>
#include <vector>

#include "core/schema/fused.h"
#include "core/shape_util.h"
#include "strata/backend.h"

namespace strata::reference {

inline double activate(double z, const schema::FusedActivationAttrs& a, double preluWeight) {
  switch (a.activation) {
    case Activation::linear: return z;
    case Activation::relu: return z < 0 ? 0 : z;
    case Activation::relu6: return z < 0 ? 0 : (z > 6 ? 6 : z);
    case Activation::elu: return z >= 0 ? z : std::expm1(z);
    case Activation::leakyrelu: return z < 0 ? a.leakyreluAlpha * z : z;
    case Activation::prelu: return z < 0 ? preluWeight * z : z;
    case Activation::sigmoid: return 1 / (1 + std::exp(-z));
  }
  return z;
}

/// Writes activation(z + bias) to the output; z holds the product in row-major output order.
/// The optional inputs start at index 2 (see FusedActivationAttrs).
inline void storeWithEpilogue(const KernelCall& c, const schema::FusedActivationAttrs& a, const std::vector<double>& z) {
  const Shape& outShape = *c.out().shape;
  size_t next = 2;
  const TensorView* bias = a.hasBias ? &c.in(next++) : nullptr;
  const TensorView* weights = a.hasPreluWeights ? &c.in(next++) : nullptr;
  std::vector<std::vector<int64_t>> strides{
      bias ? detail::broadcastStrides(*bias->shape, outShape) : std::vector<int64_t>(outShape.size(), 0),
      weights ? detail::broadcastStrides(*weights->shape, outShape) : std::vector<int64_t>(outShape.size(), 0)};
  float* y = c.out().as<float>();
  const int64_t n = c.out().size;
  if (n == 0) return;
  detail::StridedIter it(outShape, std::move(strides));
  for (int64_t i = 0; i < n; ++i, it.next()) {
    double v = z[i];
    if (bias) v += bias->as<float>()[it.offsets()[0]];
    double w = weights ? weights->as<float>()[it.offsets()[1]] : 0.0;
    y[i] = static_cast<float>(activate(v, a, w));
  }
}

}  // namespace strata::reference
