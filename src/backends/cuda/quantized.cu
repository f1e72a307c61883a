// Quantized kernels of the cuda backend, mirroring reference/quantized.cpp: Quantize, Dequantize,
// QuantizedConv2D, QuantizedDepthwiseConv2D and QuantizedMatMul, with exact int32 accumulation.
// Conv2D and MatMul run as one implicit GEMM on the tensor cores (quantized_gemm.cu), depthwise
// on the kernel below; the requantization is folded per channel (quantized.cuh).
#include "backends/cuda/quantized.cuh"

namespace strata::cuda {
namespace quantized {
namespace {

std::string dtypeError(const char* kernel, DType d) {
  return std::string("cuda ") + kernel + ": dtype " + std::string(dtypeName(d)) + " is not supported";
}

}  // namespace

Requantizer requantizerOf(const KernelCall& c, const schema::QuantizedEpilogueAttrs& a, const char* kernel) {
  Requantizer r;
  r.inputScale = a.inputScale;
  r.scales = c.in(2).as<float>();
  r.oneScale = c.in(2).size == 1;
  r.bias = a.hasBias ? c.in(3).as<float>() : nullptr;
  r.out = c.out().data;
  if (c.out().dtype != DType::uint8 && c.out().dtype != DType::float32) throw Error(dtypeError(kernel, c.out().dtype));
  r.quantizedOut = c.out().dtype == DType::uint8;
  r.outputScale = a.outputScale;
  r.outputZeroPoint = a.outputZeroPoint;
  r.clampLow = a.activation == Activation::relu || a.activation == Activation::relu6;
  r.upper = a.activation == Activation::relu6 ? (r.quantizedOut ? 6.f / a.outputScale : 6.f) : std::numeric_limits<float>::infinity();
  return r;
}

int checkedInt(int64_t v, const char* kernel, const char* what) {
  if (v > std::numeric_limits<int>::max()) throw Error(std::string("cuda ") + kernel + ": " + what + " " + std::to_string(v) + " exceeds 2^31 - 1");
  return static_cast<int>(v);
}

}  // namespace quantized

namespace {

using namespace quantized;
using schema::QuantizedEpilogueAttrs;

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

// Depthwise: each thread computes `kVec` consecutive output channels of one output pixel over
// the fh x fw taps (a tile would not reuse anything). kVec = 16 or 4 when the multiplier is 1
// and the channels come in 16- or 4-byte groups, so that input and filter are read as words and
// the index arithmetic is shared by many channels; kTaps = 3 unrolls 3x3 filters. The indices
// are 32-bit (checked): 64-bit divisions cost more than the arithmetic here.
struct DepthwiseDims {
  int inH, inW, inC, outH, outW, outC, fh, fw, mult, outputs;
  int strideH, strideW, padTop, padLeft, dilationH, dilationW, zx;
};

// The folded channel factors live in dynamic shared memory when they fit (kSharedChannels).
constexpr int kSharedChannels = 4096;

// kVec / 4 consecutive words (16-byte aligned when there are 4).
template <int kWords>
__device__ __forceinline__ void loadWords(const void* p, uint32_t (&w)[kWords]) {
  if constexpr (kWords == 4) {
    const uint4 v = *static_cast<const uint4*>(p);
    w[0] = v.x, w[1] = v.y, w[2] = v.z, w[3] = v.w;
  } else {
    w[0] = *static_cast<const uint32_t*>(p);
  }
}

template <int kVec, int kTaps>
__global__ void int8DepthwiseKernel(const uint8_t* __restrict__ x, const int8_t* __restrict__ f, DepthwiseDims d, Requantizer r) {
  extern __shared__ Requantizer::Channel channels[];
  const bool cached = d.outC <= kSharedChannels;
  if (cached) {
    for (int ch = threadIdx.x; ch < d.outC; ch += blockDim.x) channels[ch] = r.channel(ch);
    __syncthreads();
  }
  const int fh = kTaps ? kTaps : d.fh, fw = kTaps ? kTaps : d.fw;
  const int groups = d.outC / kVec;
  for (int64_t tt = blockIdx.x * blockDim.x + threadIdx.x; tt < d.outputs / kVec; tt += gridDim.x * blockDim.x) {
    const int t = static_cast<int>(tt);
    const int co = (t % groups) * kVec;
    int p = t / groups;
    const int ox = p % d.outW;
    p /= d.outW;
    const int oy = p % d.outH, b = p / d.outH;
    const int ci = co / d.mult;  // output channel co = ci * multiplier + q (kVec > 1 only when mult == 1)
    int32_t acc[kVec] = {}, wsum[kVec] = {};
#pragma unroll
    for (int ky = 0; ky < fh; ++ky) {
      const int iy = oy * d.strideH - d.padTop + ky * d.dilationH;
      if (iy < 0 || iy >= d.inH) continue;  // padding holds the zero point: (x - zx) = 0
#pragma unroll
      for (int kx = 0; kx < fw; ++kx) {
        const int ix = ox * d.strideW - d.padLeft + kx * d.dilationW;
        if (ix < 0 || ix >= d.inW) continue;
        const uint8_t* xp = x + ((b * d.inH + iy) * d.inW + ix) * d.inC + ci;
        const int8_t* fp = f + (ky * fw + kx) * d.outC + co;
        if constexpr (kVec >= 4) {
          // Channel j's product is one dp4a of the input word masked to byte j with the filter
          // word; the zero point comes off after the taps (sum (x - zx) w = sum x w - zx sum w).
          uint32_t xw[kVec / 4], fw4[kVec / 4];
          loadWords(xp, xw);
          loadWords(fp, fw4);
#pragma unroll
          for (int j = 0; j < kVec; ++j) {
            acc[j] = dp4aUS(xw[j / 4] & (0xffu << (8 * (j % 4))), fw4[j / 4], acc[j]);
            if (d.zx) wsum[j] = dp4aUS(1u << (8 * (j % 4)), fw4[j / 4], wsum[j]);
          }
        } else {
          acc[0] += (static_cast<int32_t>(*xp) - d.zx) * static_cast<int32_t>(*fp);
        }
      }
    }
    if constexpr (kVec >= 4)
#pragma unroll
      for (int j = 0; j < kVec; ++j) acc[j] = static_cast<int32_t>(static_cast<uint32_t>(acc[j]) - static_cast<uint32_t>(d.zx) * static_cast<uint32_t>(wsum[j]));
    const int64_t e = static_cast<int64_t>(t) * kVec;
    float v[kVec];
#pragma unroll
    for (int j = 0; j < kVec; ++j) v[j] = r.value(acc[j], cached ? channels[co + j] : r.channel(co + j));
    if constexpr (kVec >= 4) {  // aligned stores: e and the channel count are multiples of kVec
#pragma unroll
      for (int w = 0; w < kVec / 4; ++w) {
        const float* q = v + 4 * w;
        if (r.quantizedOut)
          reinterpret_cast<uint32_t*>(static_cast<uint8_t*>(r.out) + e)[w] = r.byte(q[0]) | r.byte(q[1]) << 8 | r.byte(q[2]) << 16 | r.byte(q[3]) << 24;
        else
          reinterpret_cast<float4*>(static_cast<float*>(r.out) + e)[w] = make_float4(q[0], q[1], q[2], q[3]);
      }
    } else {
      r.store(e, v[0]);
    }
  }
}

template <int kVec>
void launchDepthwise(const uint8_t* x, const int8_t* f, const DepthwiseDims& d, const Requantizer& r) {
  const size_t sharedBytes = d.outC <= kSharedChannels ? d.outC * sizeof(Requantizer::Channel) : 0;
  const int blocks = blocksFor(d.outputs / kVec);
  if (d.fh == 3 && d.fw == 3) int8DepthwiseKernel<kVec, 3><<<blocks, kThreads, sharedBytes, stream()>>>(x, f, d, r);
  else int8DepthwiseKernel<kVec, 0><<<blocks, kThreads, sharedBytes, stream()>>>(x, f, d, r);
  STRATA_CUDA_LAUNCHED();
}

void quantizedDepthwiseConv2DK(const KernelCall& c) {
  const char* kernel = "QuantizedDepthwiseConv2D";
  const auto& at = c.attr<schema::QuantizedConv2DAttrs>();
  const Shape &xs = *c.in(0).shape, &ys = *c.out().shape, &fs = *c.in(1).shape;
  if (c.out().size == 0) return;
  checkedInt(c.in(0).size, kernel, "input size");
  DepthwiseDims d{};
  d.inH = static_cast<int>(xs[1]), d.inW = static_cast<int>(xs[2]), d.inC = static_cast<int>(xs[3]);
  d.outH = static_cast<int>(ys[1]), d.outW = static_cast<int>(ys[2]), d.outC = static_cast<int>(ys[3]);
  d.fh = static_cast<int>(fs[0]), d.fw = static_cast<int>(fs[1]), d.mult = static_cast<int>(fs[3]);
  d.outputs = checkedInt(c.out().size, kernel, "output size");
  checkedInt(fs[0] * fs[1] * ys[3], kernel, "filter size");
  d.strideH = at.conv.strideH, d.strideW = at.conv.strideW, d.padTop = at.conv.padTop, d.padLeft = at.conv.padLeft;
  d.dilationH = at.conv.dilationH, d.dilationW = at.conv.dilationW;
  d.zx = at.q.inputZeroPoint;
  Scratch buffer(c.in(0).dtype == DType::float32 ? static_cast<size_t>(c.in(0).size) : 0);
  const uint8_t* x = quantizedInput(c.in(0), at.q, buffer, kernel);
  const int8_t* f = c.in(1).as<int8_t>();
  const Requantizer r = requantizerOf(c, at.q, kernel);
  // Word groups need 4- or 16-byte aligned channels (the allocator's blocks are 256-byte aligned).
  auto groupsOf = [&](int n) {
    return d.mult == 1 && d.inC % n == 0 && reinterpret_cast<uintptr_t>(x) % n == 0 && reinterpret_cast<uintptr_t>(f) % n == 0 &&
           reinterpret_cast<uintptr_t>(c.out().data) % (n * (r.quantizedOut ? 1 : 4)) == 0;
  };
  if (groupsOf(16)) launchDepthwise<16>(x, f, d, r);
  else if (groupsOf(4)) launchDepthwise<4>(x, f, d, r);
  else launchDepthwise<1>(x, f, d, r);
}

void quantizedConv2DK(const KernelCall& c) {
  const char* kernel = "QuantizedConv2D";
  const auto& at = c.attr<schema::QuantizedConv2DAttrs>();
  const Shape &xs = *c.in(0).shape, &ys = *c.out().shape, &fs = *c.in(1).shape;
  if (c.out().size == 0) return;
  Scratch buffer(c.in(0).dtype == DType::float32 ? static_cast<size_t>(c.in(0).size) : 0);
  ImplicitGemm g{};
  g.x = quantizedInput(c.in(0), at.q, buffer, kernel);
  g.w = c.in(1).as<int8_t>();
  g.M = ys[0] * ys[1] * ys[2];
  g.N = checkedInt(ys[3], kernel, "output channels");
  g.K = checkedInt(fs[0] * fs[1] * fs[2], kernel, "filter size");
  g.inH = checkedInt(xs[1], kernel, "input height");
  g.inW = checkedInt(xs[2], kernel, "input width");
  g.inC = checkedInt(xs[3], kernel, "input channels");
  g.outH = checkedInt(ys[1], kernel, "output height");
  g.outW = checkedInt(ys[2], kernel, "output width");
  g.fw = checkedInt(fs[1], kernel, "filter width");
  g.strideH = at.conv.strideH;
  g.strideW = at.conv.strideW;
  g.padTop = at.conv.padTop;
  g.padLeft = at.conv.padLeft;
  g.dilationH = at.conv.dilationH;
  g.dilationW = at.conv.dilationW;
  g.zx = at.q.inputZeroPoint;
  launchInt8Gemm(g, requantizerOf(c, at.q, kernel));
}

// x [m, k] (uint8 or float32), w [k, n] int8 -> [m, n].
void quantizedMatMulK(const KernelCall& c) {
  const char* kernel = "QuantizedMatMul";
  const auto& at = c.attr<schema::QuantizedMatMulAttrs>();
  if (c.out().size == 0) return;
  Scratch buffer(c.in(0).dtype == DType::float32 ? static_cast<size_t>(c.in(0).size) : 0);
  ImplicitGemm g{};
  g.x = quantizedInput(c.in(0), at.q, buffer, kernel);
  g.w = c.in(1).as<int8_t>();
  g.M = (*c.in(0).shape)[0];
  g.N = checkedInt((*c.in(1).shape)[1], kernel, "columns");
  g.K = checkedInt((*c.in(0).shape)[1], kernel, "inner size");
  g.inH = g.inW = g.outH = g.outW = g.fw = 1;
  g.inC = g.K;
  g.strideH = g.strideW = g.dilationH = g.dilationW = 1;
  g.zx = at.q.inputZeroPoint;
  launchInt8Gemm(g, requantizerOf(c, at.q, kernel));
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
