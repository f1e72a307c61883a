// Quantized (integer) compute: affine quantization of tensors and int8 convolutions and matrix
// products with int32 accumulation and the requantization fused into the kernel. These are
// Strata ops with no TF.js counterpart (TF.js only dequantizes weights at load); the int8
// models of strata/optimize/quantize.h are built from them. Inference only: no gradients.
// Implemented in src/ops/quantized.cpp.
//
// Affine quantization: real = scale * (q - zeroPoint). Activations are uint8 with a per-tensor
// scale and zero point; weights are int8, symmetric (zero point 0), one scale per output
// channel.
#pragma once

#include <array>

#include "strata/ops/nn_types.h"
#include "strata/tensor.h"

namespace strata {

/// float32 -> uint8 or int8: q = clamp(roundHalfToEven(x / scale) + zeroPoint) to the range of
/// `dtype` (NaN becomes zeroPoint). Throws unless scale is positive and finite and zeroPoint
/// lies in the range of `dtype`.
Tensor quantize(const Tensor& x, float scale, int zeroPoint, DType dtype = DType::uint8);
/// uint8 or int8 -> float32: scale * (q - zeroPoint).
Tensor dequantize(const Tensor& q, float scale, int zeroPoint);

/// The requantization shared by the quantized products. x is uint8 (already quantized with
/// inputScale/inputZeroPoint), or float32, which the kernel quantizes first exactly as
/// quantize(x, inputScale, inputZeroPoint) would (saving a separate op and tensor). With acc the
/// exact int32 sum of (x - inputZeroPoint) * w over the window (padding reads real zeros, i.e.
/// inputZeroPoint):
///   y = activation(float(acc) * (inputScale * filterScales[c]) + bias[c])
/// and the output is y (float32), or quantize(y, outputScale, outputZeroPoint) as uint8 when
/// outputDType is uint8.
struct QuantizedEpilogue {
  float inputScale = 1;       ///< the input's quantization
  int inputZeroPoint = 0;
  Tensor filterScales;        ///< float32 [outC] (or [1]): real filter = scale[c] * filter
  Tensor bias;                ///< optional float32 [outC]
  Activation activation = Activation::linear;  ///< linear, relu or relu6
  DType outputDType = DType::float32;          ///< float32 or uint8
  float outputScale = 1;      ///< for a uint8 output
  int outputZeroPoint = 0;
};

struct QuantizedConv2DOptions {
  std::array<int, 2> strides{1, 1};
  Padding pad = "valid";
  std::array<int, 2> dilations{1, 1};
  QuantizedEpilogue q;
};

/// x uint8 or float32 [batch, h, w, inC], filter int8 [fh, fw, inC, outC] -> [batch, outH, outW, outC].
/// Geometry (padding, strides, dilations) as conv2d.
Tensor quantizedConv2d(const Tensor& x, const Tensor& filter, const QuantizedConv2DOptions& options);
/// x uint8 or float32 [batch, h, w, inC], filter int8 [fh, fw, inC, multiplier] -> [..., inC * multiplier]
/// (output channel c * multiplier + m), as depthwiseConv2d.
Tensor quantizedDepthwiseConv2d(const Tensor& x, const Tensor& filter, const QuantizedConv2DOptions& options);
/// x uint8 or float32 [m, k], w int8 [k, n] -> [m, n] (a Dense layer's product).
Tensor quantizedMatMul(const Tensor& x, const Tensor& w, const QuantizedEpilogue& options);

}  // namespace strata
