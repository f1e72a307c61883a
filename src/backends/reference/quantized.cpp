// Reference kernels of the quantized ops: Quantize, Dequantize, QuantizedConv2D,
// QuantizedDepthwiseConv2D and QuantizedMatMul. A float32 input is quantized first; exact int32
// accumulation, then the
// requantization of schema/quantized.h written out literally; the oracle of the cpu kernels.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "backends/reference/conv_common.h"
#include "backends/reference/kernels.h"
#include "core/schema/quantized.h"

namespace strata::reference {
namespace {

using schema::QuantizedEpilogueAttrs;

// roundHalfEven(v) + zeroPoint, saturated to [lo, hi]. v is clamped first (to a range wider
// than any result) so that infinities and huge values saturate without overflow.
int saturate(float v, int zeroPoint, int lo, int hi) {
  if (std::isnan(v)) return zeroPoint;
  v = std::clamp(v, -1024.f, 1024.f);
  return std::clamp(static_cast<int>(schema::roundHalfEven(v)) + zeroPoint, lo, hi);
}

void quantizeKernel(const KernelCall& c) {
  const auto& a = c.attr<schema::QuantizeAttrs>();
  const float* x = c.in(0).as<float>();
  const int64_t n = c.out().size;
  if (c.out().dtype == DType::uint8) {
    uint8_t* q = c.out().as<uint8_t>();
    for (int64_t i = 0; i < n; ++i) q[i] = static_cast<uint8_t>(saturate(x[i] / a.scale, a.zeroPoint, 0, 255));
  } else {
    int8_t* q = c.out().as<int8_t>();
    for (int64_t i = 0; i < n; ++i) q[i] = static_cast<int8_t>(saturate(x[i] / a.scale, a.zeroPoint, -128, 127));
  }
}

void dequantizeKernel(const KernelCall& c) {
  const auto& a = c.attr<schema::QuantizeAttrs>();
  float* y = c.out().as<float>();
  const int64_t n = c.out().size;
  if (c.in(0).dtype == DType::uint8) {
    const uint8_t* q = c.in(0).as<uint8_t>();
    for (int64_t i = 0; i < n; ++i) y[i] = a.scale * static_cast<float>(q[i] - a.zeroPoint);
  } else {
    const int8_t* q = c.in(0).as<int8_t>();
    for (int64_t i = 0; i < n; ++i) y[i] = a.scale * static_cast<float>(q[i] - a.zeroPoint);
  }
}

// The uint8 input of a product: as it is, or a float32 input quantized as the Quantize kernel
// does (into `buffer`).
const uint8_t* quantizedInput(const TensorView& x, const QuantizedEpilogueAttrs& a, std::vector<uint8_t>& buffer) {
  if (x.dtype == DType::uint8) return x.as<uint8_t>();
  buffer.resize(static_cast<size_t>(x.size));
  for (int64_t i = 0; i < x.size; ++i)
    buffer[i] = static_cast<uint8_t>(saturate(x.as<float>()[i] / a.inputScale, a.inputZeroPoint, 0, 255));
  return buffer.data();
}

// Writes element i (output channel ch) of the output from its int32 accumulator.
struct Requantizer {
  const KernelCall& c;
  const QuantizedEpilogueAttrs& a;
  const float* scales = c.in(2).as<float>();
  const bool oneScale = c.in(2).size == 1;
  const float* bias = a.hasBias ? c.in(3).as<float>() : nullptr;
  const bool quantizedOut = c.out().dtype == DType::uint8;

  void operator()(int64_t i, int64_t ch, int32_t acc) const {
    const float m = a.inputScale * scales[oneScale ? 0 : ch];
    float y = static_cast<float>(acc) * m;
    if (bias) y += bias[ch];
    if (a.activation == Activation::relu) y = std::max(y, 0.f);
    if (a.activation == Activation::relu6) y = std::min(std::max(y, 0.f), 6.f);
    if (quantizedOut) c.out().as<uint8_t>()[i] = static_cast<uint8_t>(saturate(y / a.outputScale, a.outputZeroPoint, 0, 255));
    else c.out().as<float>()[i] = y;
  }
};

void quantizedConv(const KernelCall& c, bool depthwise) {
  const auto& at = c.attr<schema::QuantizedConv2DAttrs>();
  const Shape &xs = *c.in(0).shape, &fs = *c.in(1).shape;
  const ConvDims d = convDims(xs, *c.out().shape, fs);
  std::vector<uint8_t> buffer;
  const uint8_t* x = quantizedInput(c.in(0), at.q, buffer);
  const int8_t* f = c.in(1).as<int8_t>();
  const int32_t zx = at.q.inputZeroPoint;
  const int64_t mult = depthwise ? fs[3] : 0;
  std::vector<int32_t> acc(static_cast<size_t>(c.out().size), 0);
  // Padding cells are skipped: they hold the zero point, whose (x - zx) is 0.
  forEachTap(d, at.conv, [&](int64_t b, int64_t oy, int64_t ox, int64_t ky, int64_t kx, int64_t iy, int64_t ix) {
    const uint8_t* xp = x + ((b * d.inH + iy) * d.inW + ix) * d.inC;
    const int8_t* fp = f + (ky * d.fw + kx) * fs[2] * fs[3];
    int32_t* ap = acc.data() + ((b * d.outH + oy) * d.outW + ox) * d.outC;
    for (int64_t ci = 0; ci < d.inC; ++ci) {
      const int32_t v = static_cast<int32_t>(xp[ci]) - zx;
      if (depthwise)
        for (int64_t q = 0; q < mult; ++q) ap[ci * mult + q] += v * fp[ci * mult + q];
      else
        for (int64_t co = 0; co < d.outC; ++co) ap[co] += v * fp[ci * d.outC + co];
    }
  });
  const Requantizer r{c, at.q};
  for (int64_t i = 0; i < c.out().size; ++i) r(i, i % d.outC, acc[static_cast<size_t>(i)]);
}

void quantizedConv2D(const KernelCall& c) { quantizedConv(c, false); }
void quantizedDepthwiseConv2D(const KernelCall& c) { quantizedConv(c, true); }

void quantizedMatMul(const KernelCall& c) {
  const auto& at = c.attr<schema::QuantizedMatMulAttrs>();
  const int64_t m = (*c.in(0).shape)[0], k = (*c.in(0).shape)[1], n = (*c.in(1).shape)[1];
  std::vector<uint8_t> buffer;
  const uint8_t* x = quantizedInput(c.in(0), at.q, buffer);
  const int8_t* w = c.in(1).as<int8_t>();
  const Requantizer r{c, at.q};
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      int32_t acc = 0;
      for (int64_t p = 0; p < k; ++p) acc += (static_cast<int32_t>(x[i * k + p]) - at.q.inputZeroPoint) * w[p * n + j];
      r(i * n + j, j, acc);
    }
}

const KernelEntry kKernels[] = {
    {"Quantize", quantizeKernel},
    {"Dequantize", dequantizeKernel},
    {"QuantizedConv2D", quantizedConv2D},
    {"QuantizedDepthwiseConv2D", quantizedDepthwiseConv2D},
    {"QuantizedMatMul", quantizedMatMul},
};

// Registered from here (not from backend.cpp's list): the family is self-contained.
const bool registered = [] {
  registerKernels(kName, kKernels);
  return true;
}();

}  // namespace
}  // namespace strata::reference
