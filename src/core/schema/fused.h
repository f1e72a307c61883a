// Op schema shared by the fused kernels (_FusedMatMul, FusedConv2D, FusedDepthwiseConv2D): the
// bias-and-activation epilogue applied to the product before it is stored.
#pragma once

#include "strata/ops/nn_types.h"

namespace strata::schema {

/// The epilogue: y = activation(z + bias). Optional inputs follow the two main inputs in this
/// order: bias (when hasBias), then the PReLU weights (when hasPreluWeights; only for
/// Activation::prelu). Both broadcast (NumPy rules, right-aligned) against the output.
///   linear: z   relu: max(z, 0)   relu6: min(max(z, 0), 6)   elu: z >= 0 ? z : e^z - 1
///   leakyrelu: z < 0 ? leakyreluAlpha * z : z   prelu: z < 0 ? w * z : z
///   sigmoid: 1 / (1 + e^-z)
struct FusedActivationAttrs {
  Activation activation = Activation::linear;
  float leakyreluAlpha = 0.2f;
  bool hasBias = false;
  bool hasPreluWeights = false;
};

}  // namespace strata::schema
