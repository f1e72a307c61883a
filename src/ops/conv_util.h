// Window geometry shared by the convolution and pooling ops: TF.js's output sizes and padding
// amounts (computeConv2DInfo), and the fused bias/activation epilogue of the fused ops.
#pragma once

#include <array>
#include <functional>
#include <string_view>
#include <vector>

#include "core/schema/conv.h"
#include "ops/op_util.h"

namespace strata::detail {

/// The output size and resolved padding of a 2-D window sliding over an inH x inW input.
struct Window2D {
  int64_t outH = 0, outW = 0;
  schema::Conv2DAttrs attrs;
};

/// Resolves `pad` as TF.js does for a (fh x fw) filter dilated by `dilations`:
///   valid:    out = ceil((in - effective + 1) / stride), no padding;
///   same:     out = ceil(in / stride), total padding max(0, (out-1)*stride + effective - in),
///             the smaller half before (top/left);
///   explicit: out = trunc((in - effective + before + after) / stride + 1).
/// Throws naming `op` on non-positive strides or dilations, strides and dilations both > 1,
/// negative padding, or a window that does not fit in the padded input.
Window2D window2D(std::string_view op, int64_t inH, int64_t inW, int64_t fh, int64_t fw, std::array<int, 2> strides,
                  std::array<int, 2> dilations, const Padding& pad);

/// Validates a fused op's optional bias and PReLU weights against the output shape, appends
/// the ones the kernel uses to `inputs`, and returns the epilogue attributes.
schema::FusedActivationAttrs fusedEpilogue(std::string_view op, const Shape& outShape, const Tensor& bias,
                                           Activation activation, const Tensor& preluWeights, float leakyreluAlpha,
                                           std::vector<Tensor>& inputs);

/// Gradients through the epilogue of a fused kernel whose inputs 0 and 1 are the product's
/// and whose optional inputs start at index 2. `product` recomputes the product without the
/// epilogue (needed only by activations whose derivative depends on the pre-activation).
struct EpilogueGrads {
  Tensor dz;      ///< gradient with respect to the pre-activation z = product + bias
  Tensor dBias;   ///< undefined without a bias
  Tensor dPrelu;  ///< undefined without PReLU weights
};
EpilogueGrads fusedEpilogueGrad(const GradArgs& g, const schema::FusedActivationAttrs& a,
                                const std::function<Tensor()>& product);

}  // namespace strata::detail
