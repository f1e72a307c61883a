// Quantized compute ops: quantize, dequantize, quantizedConv2d, quantizedDepthwiseConv2d and
// quantizedMatMul; validation, shape inference and dispatch. No gradients (inference only).
#include "strata/ops/quantized.h"

#include <cmath>

#include "core/schema/quantized.h"
#include "ops/conv_util.h"

namespace strata {

using detail::opError;
using schema::QuantizedEpilogueAttrs;

namespace {

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

void requireDType(const Tensor& t, DType want, std::string_view op, std::string_view arg) {
  if (t.dtype() != want)
    throw Error(opError(op, std::string(arg) + " must be " + std::string(dtypeName(want)) + ", got " +
                                std::string(dtypeName(t.dtype())) + " of shape " + shapeString(t.shape())));
}

void requireInput(const Tensor& x, std::string_view op) {
  if (x.dtype() != DType::uint8 && x.dtype() != DType::float32)
    throw Error(opError(op, "x must be uint8 (quantized) or float32, got " + std::string(dtypeName(x.dtype())) +
                                " of shape " + shapeString(x.shape())));
}

void requireScale(float s, std::string_view op, std::string_view what) {
  if (!(s > 0) || !std::isfinite(s))
    throw Error(opError(op, std::string(what) + " must be positive and finite, got " + num(s)));
}

void requireZeroPoint(int zp, int lo, int hi, std::string_view op, std::string_view what) {
  if (zp < lo || zp > hi)
    throw Error(opError(op, std::string(what) + " " + std::to_string(zp) + " is outside [" + std::to_string(lo) + ", " +
                                std::to_string(hi) + "]"));
}

// Validates the epilogue against `outC` output channels, appends filterScales and the bias to
// `inputs`, and returns the kernel attributes.
QuantizedEpilogueAttrs epilogue(std::string_view op, const QuantizedEpilogue& q, int64_t outC,
                                std::vector<Tensor>& inputs) {
  requireScale(q.inputScale, op, "inputScale");
  requireZeroPoint(q.inputZeroPoint, 0, 255, op, "inputZeroPoint");
  if (!q.filterScales.defined()) throw Error(opError(op, "filterScales are required"));
  detail::checkUsable(q.filterScales, op, inputs.size());
  requireDType(q.filterScales, DType::float32, op, "filterScales");
  if (q.filterScales.size() != outC && q.filterScales.size() != 1)
    throw Error(opError(op, "filterScales of shape " + shapeString(q.filterScales.shape()) + " must hold 1 or " +
                                std::to_string(outC) + " (the output channels) values"));
  inputs.push_back(q.filterScales);
  QuantizedEpilogueAttrs a;
  a.inputScale = q.inputScale;
  a.inputZeroPoint = q.inputZeroPoint;
  if (q.bias.defined()) {
    detail::checkUsable(q.bias, op, inputs.size());
    requireDType(q.bias, DType::float32, op, "bias");
    if (q.bias.size() != outC || q.bias.rank() != 1)
      throw Error(opError(op, "bias of shape " + shapeString(q.bias.shape()) + " must have shape [" +
                                  std::to_string(outC) + "]"));
    inputs.push_back(q.bias);
    a.hasBias = true;
  }
  if (q.activation != Activation::linear && q.activation != Activation::relu && q.activation != Activation::relu6)
    throw Error(opError(op, "activation must be linear, relu or relu6 (others run after the dequantized output)"));
  a.activation = q.activation;
  if (q.outputDType != DType::float32 && q.outputDType != DType::uint8)
    throw Error(opError(op, "outputDType must be float32 or uint8, got " + std::string(dtypeName(q.outputDType))));
  if (q.outputDType == DType::uint8) {
    requireScale(q.outputScale, op, "outputScale");
    requireZeroPoint(q.outputZeroPoint, 0, 255, op, "outputZeroPoint");
    a.outputScale = q.outputScale;
    a.outputZeroPoint = q.outputZeroPoint;
  }
  return a;
}

Tensor quantizedConv(const char* op, const char* kernel, bool depthwise, const Tensor& x, const Tensor& filter,
                     const QuantizedConv2DOptions& o) {
  detail::checkUsable(x, op, 0);
  detail::checkUsable(filter, op, 1);
  requireInput(x, op);
  requireDType(filter, DType::int8, op, "filter");
  detail::requireRank(x, 4, op, "x");
  detail::requireRank(filter, 4, op, "filter");
  const Shape &xs = x.shape(), &fs = filter.shape();
  if (xs[3] != fs[2])
    throw Error(opError(op, "input depth " + std::to_string(xs[3]) + " of shape " + shapeString(xs) +
                                " must match the filter's " + std::to_string(fs[2]) + " of shape " + shapeString(fs)));
  const int64_t outC = depthwise ? fs[2] * fs[3] : fs[3];
  auto w = detail::window2D(op, xs[1], xs[2], fs[0], fs[1], o.strides, o.dilations, o.pad);
  std::vector<Tensor> inputs{x, filter};
  schema::QuantizedConv2DAttrs attrs{w.attrs, epilogue(op, o.q, outC, inputs)};
  detail::OutputSpec spec{{xs[0], w.outH, w.outW, outC}, o.q.outputDType};
  return detail::runKernel(kernelId(kernel), inputs, std::span<const detail::OutputSpec>(&spec, 1), &attrs,
                           &detail::copyAttrs<schema::QuantizedConv2DAttrs>)[0];
}

}  // namespace

Tensor quantize(const Tensor& x, float scale, int zeroPoint, DType dtype) {
  detail::checkUsable(x, "quantize", 0);
  requireDType(x, DType::float32, "quantize", "x");
  requireScale(scale, "quantize", "scale");
  if (dtype == DType::uint8) requireZeroPoint(zeroPoint, 0, 255, "quantize", "zeroPoint");
  else if (dtype == DType::int8) requireZeroPoint(zeroPoint, -128, 127, "quantize", "zeroPoint");
  else throw Error(opError("quantize", "dtype must be uint8 or int8, got " + std::string(dtypeName(dtype))));
  return detail::run1(kernelId("Quantize"), {x}, x.shape(), dtype, schema::QuantizeAttrs{scale, zeroPoint});
}

Tensor dequantize(const Tensor& q, float scale, int zeroPoint) {
  detail::checkUsable(q, "dequantize", 0);
  if (q.dtype() != DType::uint8 && q.dtype() != DType::int8)
    throw Error(opError("dequantize", "q must be uint8 or int8, got " + std::string(dtypeName(q.dtype()))));
  if (!std::isfinite(scale)) throw Error(opError("dequantize", "scale must be finite, got " + num(scale)));
  return detail::run1(kernelId("Dequantize"), {q}, q.shape(), DType::float32, schema::QuantizeAttrs{scale, zeroPoint});
}

Tensor quantizedConv2d(const Tensor& x, const Tensor& filter, const QuantizedConv2DOptions& o) {
  return quantizedConv("quantizedConv2d", "QuantizedConv2D", false, x, filter, o);
}

Tensor quantizedDepthwiseConv2d(const Tensor& x, const Tensor& filter, const QuantizedConv2DOptions& o) {
  return quantizedConv("quantizedDepthwiseConv2d", "QuantizedDepthwiseConv2D", true, x, filter, o);
}

Tensor quantizedMatMul(const Tensor& x, const Tensor& w, const QuantizedEpilogue& o) {
  constexpr const char* op = "quantizedMatMul";
  detail::checkUsable(x, op, 0);
  detail::checkUsable(w, op, 1);
  requireInput(x, op);
  requireDType(w, DType::int8, op, "w");
  detail::requireRank(x, 2, op, "x");
  detail::requireRank(w, 2, op, "w");
  if (x.shape()[1] != w.shape()[0])
    throw Error(opError(op, "inner dimensions of shapes " + shapeString(x.shape()) + " and " +
                                shapeString(w.shape()) + " must match"));
  std::vector<Tensor> inputs{x, w};
  schema::QuantizedMatMulAttrs attrs{epilogue(op, o, w.shape()[1], inputs)};
  detail::OutputSpec spec{{x.shape()[0], w.shape()[1]}, o.outputDType};
  return detail::runKernel(kernelId("QuantizedMatMul"), inputs, std::span<const detail::OutputSpec>(&spec, 1), &attrs,
                           &detail::copyAttrs<schema::QuantizedMatMulAttrs>)[0];
}

}  // namespace strata
