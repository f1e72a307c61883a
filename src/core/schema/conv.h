// Op schema of the convolution kernels (TF.js kernel names). Layout NHWC; filters HWIO
// ([fh, fw, inC, outC]; depthwise: [fh, fw, inC, multiplier], output channel c*multiplier+q).
// Ops in src/ops/conv.cpp resolve 'same'/'valid'/explicit padding to the four amounts below
// and infer every output shape, so kernels read shapes from their tensors.
#pragma once

#include "core/schema/fused.h"

namespace strata::schema {

/// Geometry shared by every convolution kernel. Output pixel (r, c) reads input rows
/// r*strideH - padTop + i*dilationH for filter row i (columns likewise); reads outside the
/// input are zeros. padBottom/padRight are what made the output size; kernels that loop over
/// the output never need them.
struct Conv2DAttrs {
  int strideH = 1, strideW = 1;
  int dilationH = 1, dilationW = 1;
  int padTop = 0, padBottom = 0, padLeft = 0, padRight = 0;
};

/// Conv2D (x, filter) -> y [n, outH, outW, outC].
/// DepthwiseConv2dNative (x, filter) -> y [n, outH, outW, inC * multiplier].
/// Conv2DBackpropInput (dy, filter) -> dx, whose shape (the forward input's) is the output's.
/// Conv2DBackpropFilter (x, dy) -> dfilter, whose shape is the output's.
/// DepthwiseConv2dNativeBackpropInput (dy, filter) -> dx.
/// DepthwiseConv2dNativeBackpropFilter (x, dy) -> dfilter.
/// All float32, with Conv2DAttrs (dilations apply to the backprop kernels too).

/// FusedConv2D / FusedDepthwiseConv2D: Conv2D / DepthwiseConv2dNative followed by the epilogue.
/// Inputs: x, filter, [bias], [preluWeights].
struct FusedConv2DAttrs {
  Conv2DAttrs conv;
  FusedActivationAttrs fused;
};

}  // namespace strata::schema
