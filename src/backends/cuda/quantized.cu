// Quantized kernels of the cuda backend, mirroring reference/quantized.cpp: Quantize, Dequantize,
// QuantizedConv2D, QuantizedDepthwiseConv2D and QuantizedMatMul. Exact int32 accumulation: a
// tiled dp4a implicit GEMM for Conv2D and MatMul, a direct kernel for depthwise; the
// requantization is the reference's float math written with explicit _rn operations (no fused
// multiply-add), so uint8 outputs round alike.
#include <limits>
#include <string>

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

// Writes outputs from their int32 accumulators (schema/quantized.h): y = activation(acc *
// inputScale * filterScale[c] + bias[c]) as float32, or as uint8 clamp(round(y / outputScale) +
// zeroPoint). The per-channel factors are folded first (Channel: the product of the scales, and
// for a uint8 output everything over the output scale, the activation's 6 included), so that an
// output costs one fma, as oneDNN applies them on the cpu backend: uint8 results may differ from
// the reference's order of operations by one unit, float32 ones by rounding (the ops' stated
// tolerances). Measured: the epilogue was most of the instructions of the int8 GEMM.
struct Requantizer {
  float inputScale = 1;
  const float* scales = nullptr;
  bool oneScale = false;
  const float* bias = nullptr;
  bool clampLow = false;  // relu, relu6
  float upper = 0;        // relu6: 6 in output units; +infinity otherwise
  void* out = nullptr;
  bool quantizedOut = false;
  float outputScale = 1;
  int outputZeroPoint = 0;

  struct Channel {
    float mult, add;
  };
  __device__ Channel channel(int64_t ch) const {
    float m = inputScale * scales[oneScale ? 0 : ch];
    float b = bias ? bias[ch] : 0.f;
    if (quantizedOut) m /= outputScale, b /= outputScale;
    return {m, b};
  }
  // As std::max(v, 0.f) / std::min(v, 6.f): NaN passes through (to the zero point, for uint8).
  __device__ float value(int32_t acc, Channel k) const {
    float v = fmaf(static_cast<float>(acc), k.mult, k.add);
    if (clampLow) v = v < 0.f ? 0.f : v;
    return upper < v ? upper : v;
  }
  __device__ uint32_t byte(float v) const { return static_cast<uint32_t>(saturate(v, outputZeroPoint, 0, 255)); }
  __device__ void store(int64_t i, float v) const {
    if (quantizedOut) static_cast<uint8_t*>(out)[i] = static_cast<uint8_t>(byte(v));
    else static_cast<float*>(out)[i] = v;
  }
  // Outputs i and i + 1 (i even and the output's row length even, so that the pair is aligned).
  __device__ void storePair(int64_t i, float v0, float v1) const {
    if (quantizedOut) *reinterpret_cast<uint16_t*>(static_cast<uint8_t*>(out) + i) = static_cast<uint16_t>(byte(v0) | byte(v1) << 8);
    else *reinterpret_cast<float2*>(static_cast<float*>(out) + i) = make_float2(v0, v1);
  }
  __device__ void operator()(int64_t i, int64_t ch, int32_t acc) const { store(i, value(acc, channel(ch))); }
};

// Inputs: x, filter, filterScales, [bias].
Requantizer requantizerOf(const KernelCall& c, const QuantizedEpilogueAttrs& a, const char* kernel) {
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

// sum over j < 4 of byte j of a (unsigned) times byte j of b (signed), plus c: one instruction.
__device__ __forceinline__ int32_t dp4aUS(uint32_t a, uint32_t b, int32_t c) {
  int32_t d;
  asm("dp4a.u32.s32 %0, %1, %2, %3;" : "=r"(d) : "r"(a), "r"(b), "r"(c));
  return d;
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

int checkedInt(int64_t v, const char* kernel, const char* what) {
  if (v > std::numeric_limits<int>::max()) throw Error(std::string("cuda ") + kernel + ": " + what + " " + std::to_string(v) + " exceeds 2^31 - 1");
  return static_cast<int>(v);
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

// Conv2D and MatMul are one implicit GEMM: out[m, n] = sum_k (x[m, k] - zx) * w[k, n] with
// m = (batch, oy, ox), k = (ky, kx, ci) — the HWIO filter is already [K, N] row-major — and a
// MatMul is a 1x1 convolution of 1x1 images. Tiles of 64 x kTileN outputs (kTileN 64, or 32 for
// narrow layers such as MobileNetV2's projections), 32 k per step, staged in shared memory as
// 4-byte words of four k, multiplied on the tensor cores (mma u8 x s8 -> s32). The zero point comes
// off at the end: sum (x - zx) w = sum x w - zx sum w. Padding cells load as the zero point and
// contribute nothing, as in the direct formula.
constexpr int kTileM = 64, kTileK = 32, kGemmThreads = 256;
constexpr int kWordsK = kTileK / 4;     // words of k per tile row
constexpr int kStride = 12;             // words per shared row: a fragment read (8 rows x 4 words) hits 32 banks
constexpr int kRowsPerPass = kGemmThreads / kWordsK;  // A rows loaded per pass (2 passes)

struct ImplicitGemm {
  const uint8_t* x;
  const int8_t* w;
  int64_t M;
  int N, K;
  int inH, inW, inC, outH, outW, fw;
  int strideH, strideW, padTop, padLeft, dilationH, dilationW;
  int zx;
  int kSplit;        // k per blockIdx.z (a multiple of kTileK; K when K is not split)
  int32_t* partial;  // split K: int32 sums [M, N] added atomically (exact), requantized after
};

// How A's words are read: byte by byte (inC % 4 != 0), as aligned words of one tap, or as the
// words of one contiguous row (1x1, stride 1, no padding: row m is x + m * K; MatMul too).
enum class ALoad { bytes, words, rows };

// One output pixel's origin: its batch's first pixel and the input cell of tap (0, 0).
struct PixelOrigin {
  int64_t batchPixel;
  int iy0, ix0;
  bool valid;
};

template <ALoad kLoad>
__device__ __forceinline__ PixelOrigin originOf(const ImplicitGemm& g, int64_t m) {
  PixelOrigin o{0, 0, 0, m < g.M};
  if (!o.valid) return o;
  if constexpr (kLoad == ALoad::rows) {
    o.batchPixel = m;
    return o;
  }
  const int ox = static_cast<int>(m % g.outW);
  const int64_t t = m / g.outW;
  const int oy = static_cast<int>(t % g.outH);
  o.batchPixel = (t / g.outH) * g.inH * g.inW;
  o.iy0 = oy * g.strideH - g.padTop;
  o.ix0 = ox * g.strideW - g.padLeft;
  return o;
}

// Byte loads (inC % 4 != 0: the first layer of an image model, K small) look k's offsets up in
// a table that the block fills once, instead of dividing twice per byte.
constexpr int kTapTable = 512;
struct TapOffset {
  int dy, dx, ci;
};

__device__ __forceinline__ TapOffset tapOffset(const ImplicitGemm& g, int k) {
  const int tap = k / g.inC, ci = k - tap * g.inC;
  const int ky = tap / g.fw, kx = tap - ky * g.fw;
  return {ky * g.dilationH, kx * g.dilationW, ci};
}

// Input byte k of a pixel, or the zero point in padding and past K.
__device__ __forceinline__ uint32_t inputByte(const ImplicitGemm& g, const PixelOrigin& o, int k, const TapOffset* table) {
  if (k >= g.K) return static_cast<uint32_t>(g.zx);
  const TapOffset t = table ? table[k] : tapOffset(g, k);
  const int iy = o.iy0 + t.dy, ix = o.ix0 + t.dx, ci = t.ci;
  if (iy < 0 || iy >= g.inH || ix < 0 || ix >= g.inW) return static_cast<uint32_t>(g.zx);
  return g.x[(o.batchPixel + static_cast<int64_t>(iy) * g.inW + ix) * g.inC + ci];
}

// Four input bytes k..k+3 of a pixel. For words and rows, K % 4 == 0, so k < K covers all four.
template <ALoad kLoad>
__device__ __forceinline__ uint32_t inputWord(const ImplicitGemm& g, const PixelOrigin& o, int k, const TapOffset* table) {
  const uint32_t zx4 = 0x01010101u * static_cast<uint32_t>(g.zx);
  if (!o.valid) return zx4;
  if constexpr (kLoad == ALoad::rows) {
    return k < g.K ? *reinterpret_cast<const uint32_t*>(g.x + o.batchPixel * g.K + k) : zx4;
  } else if constexpr (kLoad == ALoad::words) {
    if (k >= g.K) return zx4;
    const int tap = k / g.inC, ci = k - tap * g.inC;
    const int ky = tap / g.fw, kx = tap - ky * g.fw;
    const int iy = o.iy0 + ky * g.dilationH, ix = o.ix0 + kx * g.dilationW;
    if (iy < 0 || iy >= g.inH || ix < 0 || ix >= g.inW) return zx4;
    return *reinterpret_cast<const uint32_t*>(g.x + (o.batchPixel + static_cast<int64_t>(iy) * g.inW + ix) * g.inC + ci);
  } else {
    uint32_t v = 0;
    for (int j = 0; j < 4; ++j) v |= inputByte(g, o, k + j, table) << (8 * j);
    return v;
  }
}

// D (16 x 8, s32) += A (16 x 32, u8, row-major) x B (32 x 8, s8, column-major) on the tensor
// cores. With g = lane / 4 and t = lane % 4, the fragments are words of four consecutive k:
// A: a0 = (row g, k 4t..), a1 = (row g + 8, k 4t..), a2 = (row g, k 16 + 4t..), a3 = (row g + 8,
// k 16 + 4t..); B: b0 = (column g, k 4t..), b1 = (column g, k 16 + 4t..); D: d0, d1 = row g,
// columns 2t, 2t + 1; d2, d3 = row g + 8, the same columns. Integer: exact (wraps mod 2^32).
__device__ __forceinline__ void mmaU8S8(int32_t (&d)[4], uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3, uint32_t b0, uint32_t b1) {
  asm volatile("mma.sync.aligned.m16n8k32.row.col.s32.u8.s8.s32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};"
               : "+r"(d[0]), "+r"(d[1]), "+r"(d[2]), "+r"(d[3])
               : "r"(a0), "r"(a1), "r"(a2), "r"(a3), "r"(b0), "r"(b1));
}

// The 8 warps split the 64 x kTileN tile into 4 row bands of 16 and 2 column halves; a warp's
// half is kTileN / 16 mma columns of 8.
template <ALoad kLoad, int kTileN>
__global__ void __launch_bounds__(kGemmThreads) int8GemmKernel(ImplicitGemm g, Requantizer r) {
  constexpr int kSubN = kTileN / 16;                      // 8-wide mma columns per warp
  constexpr int kBWordColumns = kTileN / 4;               // filter words per k row of a tile
  constexpr int kBRowsPerPass = kGemmThreads / kBWordColumns;
  __shared__ uint32_t tileA[kTileM][kStride];  // [m][k / 4]
  __shared__ uint32_t tileB[kTileN][kStride];  // [n][k / 4]: transposed while stored
  __shared__ int32_t columnSums[kTileN];
  __shared__ TapOffset taps[kLoad == ALoad::bytes ? kTapTable : 1];
  const int tid = threadIdx.x, lane = tid % 32, warp = tid / 32, gq = lane / 4, tq = lane % 4;
  const int warpRow = (warp % 4) * 16, warpCol = (warp / 4) * (kTileN / 2);
  const int64_t m0 = static_cast<int64_t>(blockIdx.x) * kTileM;
  const int n0 = blockIdx.y * kTileN;
  // A: this thread loads word aWord of rows aRow and aRow + kRowsPerPass.
  const int aRow = tid / kWordsK, aWord = tid % kWordsK;
  const PixelOrigin rows[2] = {originOf<kLoad>(g, m0 + aRow), originOf<kLoad>(g, m0 + aRow + kRowsPerPass)};
  // B: this thread loads columns 4 bq .. 4 bq + 3 of k rows bRow + p * kBRowsPerPass: one word
  // when N % 4 == 0 (the rows are then word-aligned), else byte by byte. It sums those four
  // columns for the zero point.
  const int bq = tid % kBWordColumns, bRow = tid / kBWordColumns;
  const bool bWords = g.N % 4 == 0 && reinterpret_cast<uintptr_t>(g.w) % 4 == 0;
  int32_t sums[4] = {};
  if (tid < kTileN) columnSums[tid] = 0;
  const TapOffset* table = nullptr;
  if constexpr (kLoad == ALoad::bytes) {
    if (g.K <= kTapTable) {
      for (int k = tid; k < g.K; k += kGemmThreads) taps[k] = tapOffset(g, k);
      table = taps;
      __syncthreads();  // the condition is the same for the whole block
    }
  }
  int32_t acc[kSubN][4] = {};
  uint8_t* tileBBytes = reinterpret_cast<uint8_t*>(&tileB[0][0]);
  const int kBegin = blockIdx.z * g.kSplit, kEnd = min(g.K, kBegin + g.kSplit);
  for (int k0 = kBegin; k0 < kEnd; k0 += kTileK) {
    for (int p = 0; p < 2; ++p) tileA[aRow + p * kRowsPerPass][aWord] = inputWord<kLoad>(g, rows[p], k0 + 4 * aWord, table);
#pragma unroll
    for (int p = 0; p < kTileK / kBRowsPerPass; ++p) {
      const int kr = bRow + p * kBRowsPerPass, k = k0 + kr, n = n0 + 4 * bq;
      uint32_t v = 0;
      if (k < g.K) {
        const int8_t* src = g.w + static_cast<int64_t>(k) * g.N + n;
        if (bWords) {
          if (n < g.N) v = *reinterpret_cast<const uint32_t*>(src);
        } else {
          for (int j = 0; j < 4; ++j)
            if (n + j < g.N) v |= static_cast<uint32_t>(static_cast<uint8_t>(src[j])) << (8 * j);
        }
      }
#pragma unroll
      for (int j = 0; j < 4; ++j) {
        const uint8_t byte = static_cast<uint8_t>(v >> (8 * j));
        sums[j] += static_cast<int8_t>(byte);
        tileBBytes[(4 * bq + j) * kStride * 4 + kr] = byte;
      }
    }
    __syncthreads();
    const uint32_t a0 = tileA[warpRow + gq][tq], a1 = tileA[warpRow + gq + 8][tq];
    const uint32_t a2 = tileA[warpRow + gq][tq + 4], a3 = tileA[warpRow + gq + 8][tq + 4];
#pragma unroll
    for (int sn = 0; sn < kSubN; ++sn) {
      const int col = warpCol + sn * 8 + gq;
      mmaU8S8(acc[sn], a0, a1, a2, a3, tileB[col][tq], tileB[col][tq + 4]);
    }
    __syncthreads();
  }
#pragma unroll
  for (int j = 0; j < 4; ++j) atomicAdd(&columnSums[4 * bq + j], sums[j]);  // shared, exact
  __syncthreads();
  // Per column: the zero-point term (in uint32: the true sum fits int32, the partial terms may
  // not; wrap-around is exact) and the folded requantization factors.
  __shared__ Requantizer::Channel channels[kTileN];
  if (tid < kTileN) {
    columnSums[tid] = static_cast<int32_t>(static_cast<uint32_t>(g.zx) * static_cast<uint32_t>(columnSums[tid]));
    if (!g.partial && n0 + tid < g.N) channels[tid] = r.channel(n0 + tid);
  }
  __syncthreads();
#pragma unroll
  for (int sn = 0; sn < kSubN; ++sn) {
    const int col = warpCol + sn * 8 + 2 * tq, nn = n0 + col;  // this thread's columns: nn, nn + 1
    if (nn >= g.N) continue;
    const bool second = nn + 1 < g.N;
#pragma unroll
    for (int half = 0; half < 2; ++half) {
      const int64_t m = m0 + warpRow + gq + 8 * half;
      if (m >= g.M) continue;
      const int32_t v0 = static_cast<int32_t>(static_cast<uint32_t>(acc[sn][2 * half]) - static_cast<uint32_t>(columnSums[col]));
      const int32_t v1 = static_cast<int32_t>(static_cast<uint32_t>(acc[sn][2 * half + 1]) - static_cast<uint32_t>(columnSums[col + 1]));
      const int64_t i = m * g.N + nn;
      if (g.partial) {
        atomicAdd(g.partial + i, v0);
        if (second) atomicAdd(g.partial + i + 1, v1);
        continue;
      }
      const float y0 = r.value(v0, channels[col]);
      if (second && g.N % 2 == 0) {
        r.storePair(i, y0, r.value(v1, channels[col + 1]));
      } else {
        r.store(i, y0);
        if (second) r.store(i + 1, r.value(v1, channels[col + 1]));
      }
    }
  }
}

template <ALoad kLoad, int kTileN>
void launchTiles(ImplicitGemm g, const Requantizer& r) {
  const int64_t tilesM = (g.M + kTileM - 1) / kTileM, tilesN = (g.N + kTileN - 1) / kTileN;
  if (tilesM > std::numeric_limits<int>::max() || tilesN > 65535)
    throw Error("cuda int8 GEMM: " + std::to_string(g.M) + " x " + std::to_string(g.N) + " outputs are too many");
  // Few output tiles (batch 1: MobileNetV2's 7x7 layers, Dense layers) leave most SMs idle
  // while one block walks all of K: split K over blockIdx.z, at least 2 k-steps per split.
  const int64_t blocks = tilesM * tilesN, kSteps = (g.K + kTileK - 1) / kTileK, want = 2 * multiprocessors();
  int64_t splits = blocks < want && kSteps >= 4 ? std::min(kSteps / 2, (want + blocks - 1) / blocks) : 1;
  g.kSplit = static_cast<int>((kSteps + splits - 1) / splits) * kTileK;
  splits = (g.K + g.kSplit - 1) / g.kSplit;
  Scratch partial(splits > 1 ? static_cast<size_t>(g.M * g.N) * sizeof(int32_t) : 0);
  g.partial = splits > 1 ? partial.as<int32_t>() : nullptr;
  if (g.partial) STRATA_CUDA_CHECK(cudaMemsetAsync(g.partial, 0, partial.bytes(), stream()));
  const dim3 grid(static_cast<unsigned>(tilesM), static_cast<unsigned>(tilesN), static_cast<unsigned>(splits));
  int8GemmKernel<kLoad, kTileN><<<grid, kGemmThreads, 0, stream()>>>(g, r);
  STRATA_CUDA_LAUNCHED();
  if (g.partial) {
    const int32_t* sums = g.partial;
    const int64_t n = g.N;
    forEach(g.M * g.N, [=] __device__(int64_t e) { r(e, e % n, sums[e]); });
  }
}

template <ALoad kLoad>
void launchInt8Gemm(const ImplicitGemm& g, const Requantizer& r) {
  if (g.N <= 32) launchTiles<kLoad, 32>(g, r);
  else launchTiles<kLoad, 64>(g, r);
}

void launchInt8Gemm(const ImplicitGemm& g, const Requantizer& r) {
  if (g.M == 0 || g.N == 0) return;
  const bool aligned = reinterpret_cast<uintptr_t>(g.x) % 4 == 0 && g.inC % 4 == 0;
  const bool rows = g.K == g.inC && g.strideH == 1 && g.strideW == 1 && g.padTop == 0 && g.padLeft == 0 &&
                    g.outH == g.inH && g.outW == g.inW;
  if (aligned && rows) launchInt8Gemm<ALoad::rows>(g, r);
  else if (aligned) launchInt8Gemm<ALoad::words>(g, r);
  else launchInt8Gemm<ALoad::bytes>(g, r);
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
