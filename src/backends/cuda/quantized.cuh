// Shared by the quantized kernels of the cuda backend (quantized.cu: Quantize, Dequantize,
// depthwise and the kernel entry points; quantized_gemm.cu: the implicit GEMM of Conv2D and
// MatMul): the requantization of int32 accumulators and the GEMM's description.
#pragma once

#include <cstdint>
#include <limits>
#include <string>

#include "backends/cuda/kernels.cuh"
#include "core/schema/quantized.h"

namespace strata::cuda::quantized {

// roundHalfEven(v) + zeroPoint saturated to [lo, hi]; NaN -> zeroPoint; v clamped first so that
// infinities and huge values saturate without overflow.
__device__ __forceinline__ int saturate(float v, int zeroPoint, int lo, int hi) {
  if (isnan(v)) return zeroPoint;
  v = v < -1024.f ? -1024.f : (v > 1024.f ? 1024.f : v);
  const int q = static_cast<int>(rintf(v)) + zeroPoint;
  return q < lo ? lo : (q > hi ? hi : q);
}

// Writes outputs from their int32 accumulators (schema/quantized.h): y = activation(acc *
// inputScale * filterScale[c] + bias[c]) as float32, or as uint8 clamp(round(y / outputScale) +
// zeroPoint). The per-channel factors are folded first (Channel: the product of the scales, and
// for a uint8 output everything over the output scale, the activation's 6 included), so that an
// output costs one fma, as oneDNN applies them on the cpu backend: uint8 results may differ from
// the reference's order of operations by one unit, float32 ones by rounding (the ops' stated
// tolerances). Nsight Compute showed the int8 GEMM bound by instruction issue; folding took
// MobileNetV2's QuantizedConv2D time at batch 256 from 7.9 to 5.7 ms.
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

/// The requantization of a quantized kernel's call. Inputs: x, filter, filterScales, [bias].
Requantizer requantizerOf(const KernelCall& c, const schema::QuantizedEpilogueAttrs& a, const char* kernel);

/// v as an int, or an Error naming the kernel and `what` when it exceeds 2^31 - 1.
int checkedInt(int64_t v, const char* kernel, const char* what);

// sum over j < 4 of byte j of a (unsigned) times byte j of b (signed), plus c: one instruction.
__device__ __forceinline__ int32_t dp4aUS(uint32_t a, uint32_t b, int32_t c) {
  int32_t d;
  asm("dp4a.u32.s32 %0, %1, %2, %3;" : "=r"(d) : "r"(a), "r"(b), "r"(c));
  return d;
}

/// One implicit GEMM: out[m, n] = sum_k (x[m, k] - zx) * w[k, n] with m = (batch, oy, ox) and
/// k = (ky, kx, ci) over the HWIO filter [K, N]; a MatMul is a 1x1 convolution of 1x1 images.
struct ImplicitGemm {
  const uint8_t* x;
  const int8_t* w;
  int64_t M;
  int N, K;
  int inH, inW, inC, outH, outW, fw;
  int strideH, strideW, padTop, padLeft, dilationH, dilationW;
  int zx;
  int kSplit = 0;              // set by launchInt8Gemm: k per blockIdx.z
  int32_t* partial = nullptr;  // set by launchInt8Gemm: split K's int32 sums [M, N]
};
/// Queues the GEMM and its requantization on the stream (quantized_gemm.cu).
void launchInt8Gemm(const ImplicitGemm& g, const Requantizer& r);

}  // namespace strata::cuda::quantized
