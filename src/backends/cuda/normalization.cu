// CUDA kernels for batch normalization, local response normalization and softmax, mirroring
// src/backends/reference/normalization.cpp. The reference computes in double and rounds once;
// here the math is float (within the suite's tolerances), except LRNGrad, which keeps double
// because its two terms can cancel.
#include <algorithm>
#include <cmath>
#include <cstdint>

#include "backends/cuda/kernels.cuh"
#include "core/schema/normalization.h"

namespace strata::cuda {
namespace {

using schema::BatchNormAttrs;
using schema::LRNAttrs;
using schema::SoftmaxAttrs;

// ---- FusedBatchNorm -------------------------------------------------------------------------
// out = offset + (x - mean) * scale / sqrt(variance + eps), every parameter broadcasting
// against x. The usual parameters are scalars or [channels] vectors over the last axis (NHWC),
// which index directly; anything else goes through the broadcasting indexer.

enum BnMode : int { kAbsent = 0, kScalar = 1, kChannel = 2, kFull = 3, kBroadcast = -1 };

struct BnParam {
  const float* p;
  int mode;
};

template <class I>
__device__ __forceinline__ float bnGet(const BnParam& q, I i, I c, float absent) {
  switch (q.mode) {
    case kScalar: return q.p[0];
    case kChannel: return q.p[c];
    case kFull: return q.p[i];
    default: return absent;
  }
}

__device__ __forceinline__ float bnOne(float x, float m, float v, float b, float s, float eps) {
  return b + (x - m) * (s * rsqrtf(v + eps));
}

template <class I>
__global__ void batchNormKernel(const float* x, float* y, I n, I channels, BnParam mean, BnParam var, BnParam off,
                                BnParam scale, float eps) {
  for (I i = blockIdx.x * static_cast<I>(blockDim.x) + threadIdx.x; i < n; i += static_cast<I>(gridDim.x) * blockDim.x) {
    const I c = i % channels;
    y[i] = bnOne(x[i], bnGet(mean, i, c, 0.0f), bnGet(var, i, c, 0.0f), bnGet(off, i, c, 0.0f),
                 bnGet(scale, i, c, 1.0f), eps);
  }
}

// Four elements per thread with 16-byte loads and stores (channels % 4 == 0, aligned data), so
// the four share one pixel and their channels are c..c+3.
template <class I>
__global__ void batchNormKernel4(const float4* x, float4* y, I n4, I channels, BnParam mean, BnParam var,
                                 BnParam off, BnParam scale, float eps) {
  for (I q = blockIdx.x * static_cast<I>(blockDim.x) + threadIdx.x; q < n4; q += static_cast<I>(gridDim.x) * blockDim.x) {
    const float4 v = x[q];
    const I i = q * 4, c = i % channels;
    float4 r;
    r.x = bnOne(v.x, bnGet(mean, i, c, 0.0f), bnGet(var, i, c, 0.0f), bnGet(off, i, c, 0.0f), bnGet(scale, i, c, 1.0f), eps);
    r.y = bnOne(v.y, bnGet(mean, i + 1, c + 1, 0.0f), bnGet(var, i + 1, c + 1, 0.0f), bnGet(off, i + 1, c + 1, 0.0f),
                bnGet(scale, i + 1, c + 1, 1.0f), eps);
    r.z = bnOne(v.z, bnGet(mean, i + 2, c + 2, 0.0f), bnGet(var, i + 2, c + 2, 0.0f), bnGet(off, i + 2, c + 2, 0.0f),
                bnGet(scale, i + 2, c + 2, 1.0f), eps);
    r.w = bnOne(v.w, bnGet(mean, i + 3, c + 3, 0.0f), bnGet(var, i + 3, c + 3, 0.0f), bnGet(off, i + 3, c + 3, 0.0f),
                bnGet(scale, i + 3, c + 3, 1.0f), eps);
    y[q] = r;
  }
}

// Any broadcast: offsets from the indexer (operands mean, variance, offset, scale; an absent one
// has a null pointer).
__global__ void batchNormBroadcastKernel(const float* x, float* y, int64_t n, Indexer<4> ix, const float* mean,
                                         const float* var, const float* off, const float* scale, float eps) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    int64_t o[4];
    ix.offsets(i, o);
    y[i] = bnOne(x[i], mean[o[0]], var[o[1]], off ? off[o[2]] : 0.0f, scale ? scale[o[3]] : 1.0f, eps);
  }
}

int bnModeOf(const TensorView* p, const Shape& out) {
  if (!p) return kAbsent;
  if (p->size == 1) return kScalar;
  const std::vector<int64_t> st = detail::broadcastStrides(*p->shape, out);
  bool channel = !out.empty() && st.back() == 1;
  for (size_t d = 0; d + 1 < st.size(); ++d) channel = channel && st[d] == 0;
  if (channel) return kChannel;
  if (p->size == shapeSize(out) && st == detail::stridesOf(out)) return kFull;
  return kBroadcast;
}

bool aligned16(const void* p) { return reinterpret_cast<uintptr_t>(p) % 16 == 0; }

template <class I>
void launchBatchNorm(const float* x, float* y, int64_t n, int64_t channels, const BnParam (&q)[4], float eps,
                     bool vec) {
  if (vec) {
    batchNormKernel4<I><<<blocksFor(n / 4), kThreads, 0, stream()>>>(
        reinterpret_cast<const float4*>(x), reinterpret_cast<float4*>(y), static_cast<I>(n / 4),
        static_cast<I>(channels), q[0], q[1], q[2], q[3], eps);
  } else {
    batchNormKernel<I><<<blocksFor(n), kThreads, 0, stream()>>>(x, y, static_cast<I>(n), static_cast<I>(channels), q[0],
                                                               q[1], q[2], q[3], eps);
  }
  STRATA_CUDA_LAUNCHED();
}

void fusedBatchNormK(const KernelCall& c) {
  const auto& a = c.attr<BatchNormAttrs>();
  const TensorView& o = c.out();
  if (o.size == 0) return;
  const Shape& shape = *o.shape;
  size_t next = 3;
  const TensorView* params[4] = {&c.in(1), &c.in(2), nullptr, nullptr};
  if (a.hasOffset) params[2] = &c.in(next++);
  if (a.hasScale) params[3] = &c.in(next++);
  const float* x = c.in(0).as<const float>();
  float* y = o.as<float>();

  BnParam q[4];
  bool direct = true, vec = aligned16(x) && aligned16(y);
  const int64_t channels = shape.empty() ? 1 : shape.back();
  for (int k = 0; k < 4; ++k) {
    q[k] = {params[k] ? params[k]->as<const float>() : nullptr, bnModeOf(params[k], shape)};
    direct = direct && q[k].mode != kBroadcast;
    if (q[k].mode == kChannel || q[k].mode == kFull) vec = vec && aligned16(q[k].p);
  }
  vec = vec && channels % 4 == 0;
  if (direct) {
    // 32-bit index arithmetic when it cannot overflow (the % per element is cheaper).
    if (o.size < (int64_t{1} << 30)) launchBatchNorm<int32_t>(x, y, o.size, channels, q, a.varianceEpsilon, vec);
    else launchBatchNorm<int64_t>(x, y, o.size, channels, q, a.varianceEpsilon, vec);
    return;
  }
  static const Shape kScalarShape{};
  const Shape* shapes[4];
  for (int k = 0; k < 4; ++k) shapes[k] = params[k] ? params[k]->shape : &kScalarShape;
  const Indexer<4> ix = broadcastIndexer<4>(shape, {shapes[0], shapes[1], shapes[2], shapes[3]});
  batchNormBroadcastKernel<<<blocksFor(o.size), kThreads, 0, stream()>>>(x, y, o.size, ix, q[0].p, q[1].p, q[2].p,
                                                                         q[3].p, a.varianceEpsilon);
  STRATA_CUDA_LAUNCHED();
}

// ---- LRN / LRNGrad --------------------------------------------------------------------------
// NHWC: the window runs over channels [c - r, c + r] clipped to [0, channels - 1] of one pixel.
// One thread per element; the window's neighbours come from the same cache lines.

__global__ void lrnKernel(const float* x, float* y, int64_t n, int64_t channels, int radius, float bias, float alpha,
                          float beta) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t c = i % channels;
    const float* px = x + (i - c);
    const int64_t lo = c - radius > 0 ? c - radius : 0, hi = c + radius < channels - 1 ? c + radius : channels - 1;
    float s = 0.0f;
    for (int64_t k = lo; k <= hi; ++k) s += px[k] * px[k];
    y[i] = x[i] * powf(bias + alpha * s, -beta);
  }
}

// bias + alpha * (sum of squares over the window of channel c), in double.
__device__ __forceinline__ double lrnNorm(const float* px, int64_t c, int64_t channels, int radius, double bias,
                                          double alpha) {
  const int64_t lo = c - radius > 0 ? c - radius : 0, hi = c + radius < channels - 1 ? c + radius : channels - 1;
  double s = 0.0;
  for (int64_t k = lo; k <= hi; ++k) s += static_cast<double>(px[k]) * px[k];
  return bias + alpha * s;
}

// With N_i = lrnNorm(i) and the window symmetric (k in win(i) iff i in win(k)):
//   dx_k = dy_k * N_k^-beta - 2 alpha beta x_k * sum_{i in win(k)} dy_i y_i / N_i.
// Pass 1 stores t_i = dy_i y_i / N_i; pass 2 sums it over the window.
__global__ void lrnGradTermsKernel(const float* x, const float* y, const float* dy, double* t, int64_t n,
                                   int64_t channels, int radius, double bias, double alpha) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t c = i % channels;
    const double norm = lrnNorm(x + (i - c), c, channels, radius, bias, alpha);
    t[i] = static_cast<double>(dy[i]) * y[i] / norm;
  }
}

__global__ void lrnGradKernel(const float* x, const float* dy, const double* t, float* dx, int64_t n,
                              int64_t channels, int radius, double bias, double alpha, double beta) {
  for (int64_t k = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; k < n;
       k += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t c = k % channels, base = k - c;
    const double norm = lrnNorm(x + base, c, channels, radius, bias, alpha);
    const int64_t lo = c - radius > 0 ? c - radius : 0, hi = c + radius < channels - 1 ? c + radius : channels - 1;
    double s = 0.0;
    for (int64_t i = lo; i <= hi; ++i) s += t[base + i];
    dx[k] = static_cast<float>(static_cast<double>(dy[k]) * pow(norm, -beta) - 2.0 * alpha * beta * x[k] * s);
  }
}

void lrnK(const KernelCall& c) {
  const auto& a = c.attr<LRNAttrs>();
  const TensorView& x = c.in(0);
  if (x.size == 0) return;
  const int64_t channels = x.shape->back();
  lrnKernel<<<blocksFor(x.size), kThreads, 0, stream()>>>(x.as<const float>(), c.out().as<float>(), x.size, channels,
                                                          a.depthRadius, a.bias, a.alpha, a.beta);
  STRATA_CUDA_LAUNCHED();
}

void lrnGradK(const KernelCall& c) {
  const auto& a = c.attr<LRNAttrs>();
  const TensorView& x = c.in(0);
  if (x.size == 0) return;
  const int64_t channels = x.shape->back();
  Scratch terms(static_cast<size_t>(x.size) * sizeof(double));
  lrnGradTermsKernel<<<blocksFor(x.size), kThreads, 0, stream()>>>(
      x.as<const float>(), c.in(1).as<const float>(), c.in(2).as<const float>(), terms.as<double>(), x.size, channels,
      a.depthRadius, a.bias, a.alpha);
  STRATA_CUDA_LAUNCHED();
  lrnGradKernel<<<blocksFor(x.size), kThreads, 0, stream()>>>(x.as<const float>(), c.in(2).as<const float>(),
                                                              terms.as<double>(), c.out().as<float>(), x.size,
                                                              channels, a.depthRadius, a.bias, a.alpha, a.beta);
  STRATA_CUDA_LAUNCHED();
}

// ---- Softmax / LogSoftmax -------------------------------------------------------------------
// As the reference: max (NaN ignored, as std::max keeps the running value), total of
// exp(x - max), then exp(x - max) / total or (x - max) - log(total). A NaN or +inf anywhere
// makes the total NaN, so the whole row is NaN, as in the reference.

// Rows of n <= 32 * kPer along the last axis: one warp per row, the row held in registers.
template <bool kLog, int kPer>
__global__ void softmaxWarpKernel(const float* x, float* y, int64_t rows, int n) {
  const int lane = threadIdx.x & 31;
  const int64_t first = (blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x) >> 5;
  const int64_t warps = (static_cast<int64_t>(gridDim.x) * blockDim.x) >> 5;
  for (int64_t row = first; row < rows; row += warps) {  // uniform within the warp
    const float* px = x + row * n;
    float* py = y + row * n;
    float v[kPer];
    float mx = -INFINITY;
#pragma unroll
    for (int t = 0; t < kPer; ++t) {
      const int j = lane + 32 * t;
      v[t] = j < n ? px[j] : -INFINITY;
      mx = fmaxf(mx, v[t]);
    }
#pragma unroll
    for (int d = 16; d > 0; d >>= 1) mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, d));
    float total = 0.0f;
#pragma unroll
    for (int t = 0; t < kPer; ++t) {
      const float shifted = v[t] - mx, e = expf(shifted);
      if (lane + 32 * t < n) total += e;
      v[t] = kLog ? shifted : e;
    }
#pragma unroll
    for (int d = 16; d > 0; d >>= 1) total += __shfl_xor_sync(0xffffffffu, total, d);
    const float logTotal = kLog ? logf(total) : 0.0f;
#pragma unroll
    for (int t = 0; t < kPer; ++t) {
      const int j = lane + 32 * t;
      if (j < n) py[j] = kLog ? v[t] - logTotal : v[t] / total;
    }
  }
}

// Online (max, total) for long rows and strided axes: the total is kept relative to the running
// max and rescaled when it grows.
__device__ __forceinline__ void onlineAdd(float& m, float& s, float x) {
  if (x == -INFINITY) return;  // adds exp(-inf) = 0 (and avoids -inf - -inf)
  if (x > m) {
    s = s * expf(m - x) + (isinf(x) ? NAN : 1.0f);  // +inf: the reference's exp(inf - inf)
    m = x;
  } else {
    s += expf(x - m);  // a NaN x makes the total NaN (it never becomes the max)
  }
}

__device__ __forceinline__ void onlineCombine(float& m, float& s, float m2, float s2) {
  const float mx = fmaxf(m, m2);
  // An empty side (s == 0) adds nothing; its max may be -inf.
  const float a = s == 0.0f ? 0.0f : s * expf(m - mx);
  const float b = s2 == 0.0f ? 0.0f : s2 * expf(m2 - mx);
  m = mx;
  s = a + b;
}

// Long rows along the last axis: one block per row, two passes.
template <bool kLog>
__global__ void softmaxBlockKernel(const float* x, float* y, int64_t rows, int64_t n) {
  __shared__ float sm[32], ss[32];
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
  for (int64_t row = blockIdx.x; row < rows; row += gridDim.x) {
    const float* px = x + row * n;
    float* py = y + row * n;
    float m = -INFINITY, s = 0.0f;
    for (int64_t j = threadIdx.x; j < n; j += blockDim.x) onlineAdd(m, s, px[j]);
#pragma unroll
    for (int d = 16; d > 0; d >>= 1)
      onlineCombine(m, s, __shfl_xor_sync(0xffffffffu, m, d), __shfl_xor_sync(0xffffffffu, s, d));
    if (lane == 0) {
      sm[warp] = m;
      ss[warp] = s;
    }
    __syncthreads();
    if (warp == 0) {
      m = lane < warps ? sm[lane] : -INFINITY;
      s = lane < warps ? ss[lane] : 0.0f;
#pragma unroll
      for (int d = 16; d > 0; d >>= 1)
        onlineCombine(m, s, __shfl_xor_sync(0xffffffffu, m, d), __shfl_xor_sync(0xffffffffu, s, d));
      if (lane == 0) {
        sm[0] = m;
        ss[0] = s;
      }
    }
    __syncthreads();
    m = sm[0];
    s = ss[0];
    __syncthreads();  // sm/ss are rewritten by the next row
    const float logTotal = kLog ? logf(s) : 0.0f;
    for (int64_t j = threadIdx.x; j < n; j += blockDim.x) {
      const float shifted = px[j] - m;
      py[j] = kLog ? shifted - logTotal : expf(shifted) / s;
    }
  }
}

// Any other axis ([outer][n][inner], inner > 1): one thread per line; neighbouring threads read
// neighbouring inner positions (coalesced).
template <bool kLog>
__global__ void softmaxStridedKernel(const float* x, float* y, int64_t outer, int64_t n, int64_t inner) {
  for (int64_t t = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; t < outer * inner;
       t += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t base = (t / inner) * n * inner + t % inner;
    float m = -INFINITY, s = 0.0f;
    for (int64_t k = 0; k < n; ++k) onlineAdd(m, s, x[base + k * inner]);
    const float logTotal = kLog ? logf(s) : 0.0f;
    for (int64_t k = 0; k < n; ++k) {
      const float shifted = x[base + k * inner] - m;
      y[base + k * inner] = kLog ? shifted - logTotal : expf(shifted) / s;
    }
  }
}

template <bool kLog, int kPer>
void launchSoftmaxWarp(const float* x, float* y, int64_t rows, int64_t n) {
  const int64_t blocks = std::min<int64_t>((rows + kThreads / 32 - 1) / (kThreads / 32), multiprocessors() * 32);
  softmaxWarpKernel<kLog, kPer><<<static_cast<int>(blocks), kThreads, 0, stream()>>>(x, y, rows, static_cast<int>(n));
  STRATA_CUDA_LAUNCHED();
}

template <bool kLog>
void softmaxK(const KernelCall& c) {
  const TensorView& xv = c.in(0);
  if (xv.size == 0) return;
  const int axis = c.attr<SoftmaxAttrs>().axis;
  const Shape& s = *xv.shape;
  int64_t outer = 1, inner = 1;
  const int64_t n = s[axis];
  for (int d = 0; d < axis; ++d) outer *= s[d];
  for (size_t d = axis + 1; d < s.size(); ++d) inner *= s[d];
  const float* x = xv.as<const float>();
  float* y = c.out().as<float>();
  if (inner > 1) {
    softmaxStridedKernel<kLog><<<blocksFor(outer * inner), kThreads, 0, stream()>>>(x, y, outer, n, inner);
    STRATA_CUDA_LAUNCHED();
    return;
  }
  if (n <= 32) return launchSoftmaxWarp<kLog, 1>(x, y, outer, n);
  if (n <= 64) return launchSoftmaxWarp<kLog, 2>(x, y, outer, n);
  if (n <= 128) return launchSoftmaxWarp<kLog, 4>(x, y, outer, n);
  if (n <= 256) return launchSoftmaxWarp<kLog, 8>(x, y, outer, n);
  if (n <= 512) return launchSoftmaxWarp<kLog, 16>(x, y, outer, n);
  if (n <= 1024) return launchSoftmaxWarp<kLog, 32>(x, y, outer, n);
  const int64_t blocks = std::min<int64_t>(outer, int64_t{1} << 30);
  softmaxBlockKernel<kLog><<<static_cast<unsigned>(blocks), kThreads, 0, stream()>>>(x, y, outer, n);
  STRATA_CUDA_LAUNCHED();
}

const KernelEntry kTable[] = {
    {"FusedBatchNorm", fusedBatchNormK},
    {"LRN", lrnK},
    {"LRNGrad", lrnGradK},
    {"Softmax", softmaxK<false>},
    {"LogSoftmax", softmaxK<true>},
};

}  // namespace

void registerNormalizationKernels() { registerKernels(kName, kTable); }

}  // namespace strata::cuda
