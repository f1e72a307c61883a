// Op schema of the quantized kernels (Strata's own names; TF.js has no integer compute).
// Ops in src/ops/quantized.cpp validate, infer shapes and dispatch to them.
#pragma once

#include <cmath>

#include "core/schema/conv.h"

namespace strata::schema {

/// Quantize: x float32 -> q (the output's dtype, uint8 or int8):
///   q = clamp(roundHalfToEven(x / scale) + zeroPoint, qmin, qmax); NaN -> zeroPoint.
/// Dequantize: q uint8/int8 -> float32: scale * (q - zeroPoint).
struct QuantizeAttrs {
  float scale = 1;
  int zeroPoint = 0;
};

/// The requantization of QuantizedConv2D / QuantizedDepthwiseConv2D / QuantizedMatMul.
/// Inputs: x (uint8; or float32, which the kernel first quantizes as the Quantize kernel does
/// with inputScale/inputZeroPoint), filter (int8), filterScales (float32, one per output channel
/// or one for all), [bias] (float32, one per output channel, when hasBias). With acc the exact int32 sum of
/// (x - inputZeroPoint) * filter (padding cells hold inputZeroPoint, i.e. contribute nothing):
///   y = activation(float(acc) * (inputScale * filterScales[c]) + bias[c])     (float32 math)
/// activation: linear, relu or relu6. The output is y (float32), or when the output is uint8
/// clamp(roundHalfToEven(y / outputScale) + outputZeroPoint, 0, 255).
/// Backends may round differently by one unit of the output (scales applied in another order).
struct QuantizedEpilogueAttrs {
  float inputScale = 1;
  int inputZeroPoint = 0;
  Activation activation = Activation::linear;
  bool hasBias = false;
  float outputScale = 1;  // uint8 outputs only
  int outputZeroPoint = 0;
};

/// QuantizedConv2D: x [n, h, w, inC], filter [fh, fw, inC, outC] -> [n, outH, outW, outC].
/// QuantizedDepthwiseConv2D: filter [fh, fw, inC, mult] -> [n, outH, outW, inC * mult].
struct QuantizedConv2DAttrs {
  Conv2DAttrs conv;
  QuantizedEpilogueAttrs q;
};

/// QuantizedMatMul: x [m, k], w [k, n] -> [m, n].
struct QuantizedMatMulAttrs {
  QuantizedEpilogueAttrs q;
};

/// Round half to even of a float already clamped to a small range (|v| < 2^22), the rounding
/// every backend uses for quantization (as the default floating-point rounding mode does).
inline float roundHalfEven(float v) { return std::nearbyint(v); }

}  // namespace strata::schema
