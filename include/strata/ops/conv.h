// Convolutions, NHWC (NWC for 1-D), filters HWIO as in TF.js. Implemented in src/ops/conv.cpp.
#pragma once

#include <array>

#include "strata/ops/nn_types.h"
#include "strata/tensor.h"

namespace strata {

struct Conv2DOptions {
  std::array<int, 2> strides{1, 1};
  Padding pad = "valid";
  std::array<int, 2> dilations{1, 1};
};
/// x [batch, h, w, inC] (or [h, w, inC]), filter [fh, fw, inC, outC].
Tensor conv2d(const Tensor& x, const Tensor& filter, const Conv2DOptions& options = {});

struct Conv1DOptions {
  int stride = 1;
  Padding pad = "valid";
  int dilation = 1;
};
/// x [batch, w, inC] (or [w, inC]), filter [fw, inC, outC].
Tensor conv1d(const Tensor& x, const Tensor& filter, const Conv1DOptions& options = {});

/// filter [fh, fw, inC, channelMultiplier]; output channels inC * channelMultiplier.
Tensor depthwiseConv2d(const Tensor& x, const Tensor& filter, const Conv2DOptions& options = {});

/// depthwise [fh, fw, inC, mult] then pointwise [1, 1, inC*mult, outC].
Tensor separableConv2d(const Tensor& x, const Tensor& depthwiseFilter, const Tensor& pointwiseFilter,
                       const Conv2DOptions& options = {});

/// Transposed convolution: filter [fh, fw, outC, inC]; `outputShape` is [batch, h, w, outC]
/// (or [h, w, outC]).
Tensor conv2dTranspose(const Tensor& x, const Tensor& filter, const Shape& outputShape,
                       const Conv2DOptions& options = {});

/// conv2d/depthwiseConv2d + bias + activation in one kernel (TF.js `fused.conv2d`).
struct FusedConv2DOptions {
  std::array<int, 2> strides{1, 1};
  Padding pad = "valid";
  std::array<int, 2> dilations{1, 1};
  Tensor bias;  ///< optional, [outC]
  Activation activation = Activation::linear;
  Tensor preluActivationWeights;
  float leakyreluAlpha = 0.2f;
};
Tensor fusedConv2d(const Tensor& x, const Tensor& filter, const FusedConv2DOptions& options = {});
Tensor fusedDepthwiseConv2d(const Tensor& x, const Tensor& filter, const FusedConv2DOptions& options = {});

/// Gradients of conv2d, exposed as in TF.js (used by conv2d's gradient and conv2dTranspose).
Tensor conv2dBackpropInput(const Shape& xShape, const Tensor& dy, const Tensor& filter,
                           const Conv2DOptions& options = {});
Tensor conv2dBackpropFilter(const Tensor& x, const Tensor& dy, const Shape& filterShape,
                            const Conv2DOptions& options = {});

}  // namespace strata
