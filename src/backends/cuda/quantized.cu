// Quantized kernels of the cuda backend, mirroring reference/quantized.cpp: Quantize, Dequantize,
// QuantizedConv2D, QuantizedDepthwiseConv2D and QuantizedMatMul. Direct kernels, one thread per
// output with an exact int32 accumulator; the requantization is the reference's float math
// written with explicit _rn operations (no fused multiply-add), so uint8 outputs round alike.
#include "backends/cuda/kernels.cuh"
#include "core/schema/quantized.h"

namespace strata::cuda {
namespace {

using schema::QuantizedEpilogueAttrs;

// roundHalfEven(v) + zeroPoint saturated to [lo, hi]; NaN -> zeroPoint; v clamped first so that
// infinities and huge values saturate without overflow.
__device__ __forceinline__ int saturate(float v, int zeroPoint, int lo, int hi) {
  if (isnan(v)) return zeroPoint;
  v = v < -1024.f ? -1024.f : (v > 1024.f ? 1024.f : v);
  const int q = static_cast<int>(rintf(v)) + zeroPoint;
  return q < lo ? lo : (q > hi ? hi : q);
}

std::string dtypeError(const char* kernel, DType d) {
  return std::string("cuda ") + kernel + ": dtype " + std::string(dtypeName(d)) + " is not supported";
}

void quantizeK(const KernelCall& c) {
  const auto& a = c.attr<schema::QuantizeAttrs>();
  const float* x = c.in(0).as<float>();
  const float scale = a.scale;
  const int zp = a.zeroPoint;
  if (c.out().dtype == DType::uint8) {
    uint8_t* q = c.out().as<uint8_t>();
    forEach(c.out().size, [=] __device__(int64_t i) { q[i] = static_cast<uint8_t>(saturate(__fdiv_rn(x[i], scale), zp, 0, 255)); });
  } else if (c.out().dtype == DType::int8) {
    int8_t* q = c.out().as<int8_t>();
    forEach(c.out().size, [=] __device__(int64_t i) { q[i] = static_cast<int8_t>(saturate(__fdiv_rn(x[i], scale), zp, -128, 127)); });
  } else {
    throw Error(dtypeError("Quantize", c.out().dtype));
  }
}

void dequantizeK(const KernelCall& c) {
  const auto& a = c.attr<schema::QuantizeAttrs>();
  float* y = c.out().as<float>();
  const float scale = a.scale;
  const int zp = a.zeroPoint;
  if (c.in(0).dtype == DType::uint8) {
    const uint8_t* q = c.in(0).as<uint8_t>();
    forEach(c.out().size, [=] __device__(int64_t i) { y[i] = __fmul_rn(scale, static_cast<float>(q[i] - zp)); });
  } else if (c.in(0).dtype == DType::int8) {
    const int8_t* q = c.in(0).as<int8_t>();
    forEach(c.out().size, [=] __device__(int64_t i) { y[i] = __fmul_rn(scale, static_cast<float>(q[i] - zp)); });
  } else {
    throw Error(dtypeError("Dequantize", c.in(0).dtype));
  }
}

// The uint8 input of a product: as it is, or a float32 input quantized as Quantize does (into
// `buffer`, which the caller sized to x.size bytes for a float32 input).
const uint8_t* quantizedInput(const TensorView& x, const QuantizedEpilogueAttrs& a, const Scratch& buffer, const char* kernel) {
  if (x.dtype == DType::uint8) return x.as<uint8_t>();
  if (x.dtype != DType::float32) throw Error(dtypeError(kernel, x.dtype));
  const float* xf = x.as<float>();
  uint8_t* q = buffer.as<uint8_t>();
  const float scale = a.inputScale;
  const int zp = a.inputZeroPoint;
  forEach(x.size, [=] __device__(int64_t i) { q[i] = static_cast<uint8_t>(saturate(__fdiv_rn(xf[i], scale), zp, 0, 255)); });
  return q;
}

// Writes output element i (channel ch) from its int32 accumulator (schema/quantized.h).
struct Requantizer {
  float inputScale = 1;
  const float* scales = nullptr;
  bool oneScale = false;
  const float* bias = nullptr;
  Activation activation = Activation::linear;
  void* out = nullptr;
  bool quantizedOut = false;
  float outputScale = 1;
  int outputZeroPoint = 0;

  __device__ void operator()(int64_t i, int64_t ch, int32_t acc) const {
    const float m = __fmul_rn(inputScale, scales[oneScale ? 0 : ch]);
    float y = __fmul_rn(static_cast<float>(acc), m);
    if (bias) y = __fadd_rn(y, bias[ch]);
    // As std::max(y, 0.f) / std::min(.., 6.f): NaN passes through.
    if (activation == Activation::relu || activation == Activation::relu6) y = y < 0.f ? 0.f : y;
    if (activation == Activation::relu6) y = 6.f < y ? 6.f : y;
    if (quantizedOut) static_cast<uint8_t*>(out)[i] = static_cast<uint8_t>(saturate(__fdiv_rn(y, outputScale), outputZeroPoint, 0, 255));
    else static_cast<float*>(out)[i] = y;
  }
};

// Inputs: x, filter, filterScales, [bias].
Requantizer requantizerOf(const KernelCall& c, const QuantizedEpilogueAttrs& a, const char* kernel) {
  Requantizer r;
  r.inputScale = a.inputScale;
  r.scales = c.in(2).as<float>();
  r.oneScale = c.in(2).size == 1;
  r.bias = a.hasBias ? c.in(3).as<float>() : nullptr;
  r.activation = a.activation;
  r.out = c.out().data;
  if (c.out().dtype != DType::uint8 && c.out().dtype != DType::float32) throw Error(dtypeError(kernel, c.out().dtype));
  r.quantizedOut = c.out().dtype == DType::uint8;
  r.outputScale = a.outputScale;
  r.outputZeroPoint = a.outputZeroPoint;
  return r;
}

// Sizes of one convolution: x [n, inH, inW, inC], y [n, outH, outW, outC], filter taps fh x fw
// (fc: the filter's last axis, outC or the depthwise multiplier).
struct ConvDims {
  int64_t n, inH, inW, inC, outH, outW, outC, fh, fw, fc;
};

void quantizedConv(const KernelCall& c, bool depthwise, const char* kernel) {
  const auto& at = c.attr<schema::QuantizedConv2DAttrs>();
  const Shape &xs = *c.in(0).shape, &ys = *c.out().shape, &fs = *c.in(1).shape;
  const ConvDims d{xs[0], xs[1], xs[2], xs[3], ys[1], ys[2], ys[3], fs[0], fs[1], fs[3]};
  const schema::Conv2DAttrs g = at.conv;
  if (c.out().size == 0) return;
  Scratch buffer(c.in(0).dtype == DType::float32 ? static_cast<size_t>(c.in(0).size) : 0);
  const uint8_t* x = quantizedInput(c.in(0), at.q, buffer, kernel);
  const int8_t* f = c.in(1).as<int8_t>();
  const int32_t zx = at.q.inputZeroPoint;
  const Requantizer r = requantizerOf(c, at.q, kernel);
  // Padding cells are skipped: they hold the zero point, whose (x - zx) is 0.
  forEach(c.out().size, [=] __device__(int64_t e) {
    const int64_t co = e % d.outC;
    int64_t t = e / d.outC;
    const int64_t ox = t % d.outW;
    t /= d.outW;
    const int64_t oy = t % d.outH, b = t / d.outH;
    // Depthwise: output channel co = ci * multiplier + q reads input channel ci only.
    const int64_t ci0 = depthwise ? co / d.fc : 0, ciEnd = depthwise ? ci0 + 1 : d.inC;
    int32_t acc = 0;
    for (int64_t ky = 0; ky < d.fh; ++ky) {
      const int64_t iy = oy * g.strideH - g.padTop + ky * g.dilationH;
      if (iy < 0 || iy >= d.inH) continue;
      for (int64_t kx = 0; kx < d.fw; ++kx) {
        const int64_t ix = ox * g.strideW - g.padLeft + kx * g.dilationW;
        if (ix < 0 || ix >= d.inW) continue;
        const uint8_t* xp = x + ((b * d.inH + iy) * d.inW + ix) * d.inC;
        const int8_t* fp = f + (ky * d.fw + kx) * d.inC * d.fc;
        if (depthwise) {
          acc += (static_cast<int32_t>(xp[ci0]) - zx) * static_cast<int32_t>(fp[co]);
        } else {
          for (int64_t ci = ci0; ci < ciEnd; ++ci)
            acc += (static_cast<int32_t>(xp[ci]) - zx) * static_cast<int32_t>(fp[ci * d.outC + co]);
        }
      }
    }
    r(e, co, acc);
  });
}

void quantizedConv2DK(const KernelCall& c) { quantizedConv(c, false, "QuantizedConv2D"); }
void quantizedDepthwiseConv2DK(const KernelCall& c) { quantizedConv(c, true, "QuantizedDepthwiseConv2D"); }

// x [m, k] (uint8 or float32), w [k, n] int8 -> [m, n].
void quantizedMatMulK(const KernelCall& c) {
  const auto& at = c.attr<schema::QuantizedMatMulAttrs>();
  const int64_t k = (*c.in(0).shape)[1], n = (*c.in(1).shape)[1];
  if (c.out().size == 0) return;
  Scratch buffer(c.in(0).dtype == DType::float32 ? static_cast<size_t>(c.in(0).size) : 0);
  const uint8_t* x = quantizedInput(c.in(0), at.q, buffer, "QuantizedMatMul");
  const int8_t* w = c.in(1).as<int8_t>();
  const int32_t zx = at.q.inputZeroPoint;
  const Requantizer r = requantizerOf(c, at.q, "QuantizedMatMul");
  forEach(c.out().size, [=] __device__(int64_t e) {
    const int64_t i = e / n, j = e % n;
    const uint8_t* xp = x + i * k;
    int32_t acc = 0;
    for (int64_t p = 0; p < k; ++p) acc += (static_cast<int32_t>(xp[p]) - zx) * static_cast<int32_t>(w[p * n + j]);
    r(e, j, acc);
  });
}

const KernelEntry kTable[] = {
    {"Quantize", quantizeK},
    {"Dequantize", dequantizeK},
    {"QuantizedConv2D", quantizedConv2DK},
    {"QuantizedDepthwiseConv2D", quantizedDepthwiseConv2DK},
    {"QuantizedMatMul", quantizedMatMulK},
};

}  // namespace

void registerQuantizedKernels() { registerKernels(kName, kTable); }

}  // namespace strata::cuda
