// The bias-and-activation epilogue shared by the cuda backend's fused kernels (_FusedMatMul,
// FusedConv2D, FusedDepthwiseConv2D), with the semantics of core/schema/fused.h. Defined in
// epilogue.cu; float math (the reference rounds once from double, within the tolerances).
#pragma once

#include <cstddef>

#include "core/schema/fused.h"
#include "strata/backend.h"

namespace strata::cuda {

// y (float32, shape `outShape`, already holding the product) <- activation(y + bias), in place.
// The optional inputs start at c.in(firstOptional): bias (if a.hasBias), then PReLU weights (if a.hasPreluWeights).
void applyFusedEpilogue(const KernelCall& c, const schema::FusedActivationAttrs& a, float* y, const Shape& outShape, size_t firstOptional);

}  // namespace strata::cuda
