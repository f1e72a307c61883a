// Depthwise convolutions on own kernels (cuDNN's grouped float32 NHWC path is slow, and
// MobileNetV2 is mostly these): DepthwiseConv2dNative and FusedDepthwiseConv2D (per-channel
// bias + activation in the same pass), DepthwiseConv2dNativeBackpropInput (a gather: one thread
// per dx element) and DepthwiseConv2dNativeBackpropFilter (a deterministic two-pass reduction
// over the pixels). Filters [kh, kw, C, M]: output channel oc = ci * M + q reads filter element
// (ky * kw + kx) * C * M + oc, so the filter is a [taps, OC] matrix.
#include <algorithm>
#include <initializer_list>

#include "backends/cuda/conv.cuh"
#include "backends/cuda/epilogue.cuh"

namespace strata::cuda::conv {
namespace {

using schema::Conv2DAttrs;

// Sizes of one depthwise convolution: input [n, h, w, c], output [n, oh, ow, oc = c * m].
struct Dw {
  int n, h, w, c, oh, ow, oc, m, kh, kw, sh, sw, dh, dw, pt, pl;
};

Dw dims(const Shape& in, const Shape& out, const Shape& f, const Conv2DAttrs& a) {
  auto i = [](int64_t v) { return static_cast<int>(v); };
  return {i(in[0]),   i(in[1]),   i(in[2]),      i(in[3]),      i(out[1]),     i(out[2]),    i(out[3]),
          i(f[3]),    i(f[0]),    i(f[1]),       a.strideH,     a.strideW,     a.dilationH,  a.dilationW,
          a.padTop,   a.padLeft};
}

// 32-bit index arithmetic when every tensor of the call has fewer than 2^30 elements (the
// headroom keeps a grid-stride step past the end from overflowing).
bool fits32(std::initializer_list<int64_t> sizes) {
  for (int64_t s : sizes)
    if (s >= (int64_t{1} << 30)) return false;
  return true;
}

// ---- the fused epilogue (per-channel bias and PReLU weights, or scalars) -------------------

struct Epi {
  const float* bias = nullptr;
  int biasStride = 0;  // 1: one value per channel, 0: a scalar
  const float* prelu = nullptr;
  int preluStride = 0;
  Activation act = Activation::linear;
  float alpha = 0.f;
};

// 1 when `t` holds one value per output channel ([OC] or [1, ..., OC]), 0 for a scalar, -1 else.
int channelStride(const TensorView& t, int64_t oc) {
  if (t.size == 1) return 0;
  if (t.size == oc && !t.shape->empty() && t.shape->back() == oc) return 1;
  return -1;
}

// The in-kernel epilogue of a fused call; false when an operand broadcasts otherwise (then the
// shared epilogue pass runs after the convolution).
bool epilogueOf(const KernelCall& c, const schema::FusedActivationAttrs& a, int64_t oc, Epi& e) {
  size_t next = 2;
  if (a.hasBias) {
    const TensorView& b = c.in(next++);
    e.biasStride = channelStride(b, oc);
    e.bias = b.as<float>();
    if (e.biasStride < 0) return false;
  }
  if (a.hasPreluWeights) {
    const TensorView& p = c.in(next++);
    e.preluStride = channelStride(p, oc);
    e.prelu = p.as<float>();
    if (e.preluStride < 0) return false;
  }
  e.act = a.activation;
  e.alpha = a.leakyreluAlpha;
  return true;
}

// activation(z + bias) with fused.h's definitions (NaN passes through as in the reference).
__device__ __forceinline__ float finish(float z, const Epi& e, int oc) {
  if (e.bias) z += e.bias[oc * e.biasStride];
  switch (e.act) {
    case Activation::linear: return z;
    case Activation::relu: return z < 0.f ? 0.f : z;
    case Activation::relu6: return z < 0.f ? 0.f : (z > 6.f ? 6.f : z);
    case Activation::elu: return z >= 0.f ? z : expm1f(z);
    case Activation::leakyrelu: return z < 0.f ? e.alpha * z : z;
    case Activation::prelu: return z < 0.f ? (e.prelu ? e.prelu[oc * e.preluStride] : 0.f) * z : z;
    case Activation::sigmoid: return 1.f / (1.f + expf(-z));
  }
  return z;
}

__device__ __forceinline__ void fma4(float4& acc, const float4& a, const float4& b) {
  acc.x += a.x * b.x;
  acc.y += a.y * b.y;
  acc.z += a.z * b.z;
  acc.w += a.w * b.w;
}

// ---- forward -----------------------------------------------------------------------------

// One thread per output element, channels fastest (coalesced x, filter and y).
template <class I>
__global__ void forwardKernel(const float* __restrict__ x, const float* __restrict__ f, float* __restrict__ y, Dw d,
                              Epi e, I total) {
  for (I i = blockIdx.x * static_cast<I>(blockDim.x) + threadIdx.x; i < total; i += static_cast<I>(gridDim.x) * blockDim.x) {
    const int oc = static_cast<int>(i % d.oc);
    I r = i / d.oc;
    const int ox = static_cast<int>(r % d.ow);
    r /= d.ow;
    const int oy = static_cast<int>(r % d.oh);
    const I b = r / d.oh;
    const int ci = oc / d.m;
    float acc = 0.f;
    for (int ky = 0; ky < d.kh; ++ky) {
      const int iy = oy * d.sh - d.pt + ky * d.dh;
      if (iy < 0 || iy >= d.h) continue;
      const I row = (b * d.h + iy) * d.w;
      for (int kx = 0; kx < d.kw; ++kx) {
        const int ix = ox * d.sw - d.pl + kx * d.dw;
        if (ix < 0 || ix >= d.w) continue;
        acc += __ldg(x + (row + ix) * d.c + ci) * __ldg(f + (ky * d.kw + kx) * d.oc + oc);
      }
    }
    y[i] = finish(acc, e, oc);
  }
}

// Multiplier 1 and C % 4 == 0: four channels per thread with 16-byte loads. K > 0 fixes the
// filter at K x K so the tap loops unroll (3x3 is MobileNet's).
template <class I, int K>
__global__ void forwardKernel4(const float4* __restrict__ x, const float4* __restrict__ f, float4* __restrict__ y, Dw d,
                               Epi e, I total) {
  const int c4 = d.c / 4;
  const int kh = K > 0 ? K : d.kh, kw = K > 0 ? K : d.kw;
  for (I i = blockIdx.x * static_cast<I>(blockDim.x) + threadIdx.x; i < total; i += static_cast<I>(gridDim.x) * blockDim.x) {
    const int g = static_cast<int>(i % c4);
    I r = i / c4;
    const int ox = static_cast<int>(r % d.ow);
    r /= d.ow;
    const int oy = static_cast<int>(r % d.oh);
    const I b = r / d.oh;
    float4 acc = make_float4(0.f, 0.f, 0.f, 0.f);
#pragma unroll
    for (int ky = 0; ky < kh; ++ky) {
      const int iy = oy * d.sh - d.pt + ky * d.dh;
      if (iy < 0 || iy >= d.h) continue;
      const I row = (b * d.h + iy) * d.w;
#pragma unroll
      for (int kx = 0; kx < kw; ++kx) {
        const int ix = ox * d.sw - d.pl + kx * d.dw;
        if (ix < 0 || ix >= d.w) continue;
        fma4(acc, __ldg(x + (row + ix) * c4 + g), __ldg(f + (ky * kw + kx) * c4 + g));
      }
    }
    const int oc = g * 4;
    y[i] = make_float4(finish(acc.x, e, oc), finish(acc.y, e, oc + 1), finish(acc.z, e, oc + 2), finish(acc.w, e, oc + 3));
  }
}

template <class I>
void launchForward(const float* x, const float* f, float* y, const Dw& d, const Epi& e, int64_t outSize) {
  if (d.m == 1 && d.c % 4 == 0) {
    const I total = static_cast<I>(outSize / 4);
    auto xs = reinterpret_cast<const float4*>(x);
    auto fs = reinterpret_cast<const float4*>(f);
    auto ys = reinterpret_cast<float4*>(y);
    if (d.kh == 3 && d.kw == 3)
      forwardKernel4<I, 3><<<blocksFor(total), kThreads, 0, stream()>>>(xs, fs, ys, d, e, total);
    else
      forwardKernel4<I, 0><<<blocksFor(total), kThreads, 0, stream()>>>(xs, fs, ys, d, e, total);
  } else {
    forwardKernel<I><<<blocksFor(outSize), kThreads, 0, stream()>>>(x, f, y, d, e, static_cast<I>(outSize));
  }
  STRATA_CUDA_LAUNCHED();
}

void forward(const KernelCall& c, const Conv2DAttrs& a, const schema::FusedActivationAttrs* fused) {
  const TensorView& y = c.out();
  if (y.size == 0) return;
  const Dw d = dims(*c.in(0).shape, *y.shape, *c.in(1).shape, a);
  Epi e;
  const bool inKernel = !fused || epilogueOf(c, *fused, d.oc, e);
  if (!inKernel) e = Epi{};
  if (fits32({c.in(0).size, y.size}))
    launchForward<int32_t>(c.in(0).as<float>(), c.in(1).as<float>(), y.as<float>(), d, e, y.size);
  else
    launchForward<int64_t>(c.in(0).as<float>(), c.in(1).as<float>(), y.as<float>(), d, e, y.size);
  if (!inKernel) applyFusedEpilogue(c, *fused, y.as<float>(), *y.shape, 2);
}

void depthwiseConv2dNative(const KernelCall& c) { forward(c, c.attr<Conv2DAttrs>(), nullptr); }
void fusedDepthwiseConv2D(const KernelCall& c) {
  const auto& at = c.attr<schema::FusedConv2DAttrs>();
  forward(c, at.conv, &at.fused);
}

// ---- backprop input: dx[b, iy, ix, ci] = sum over taps and q of dy[b, oy, ox, ci*m+q] * f[tap, ci*m+q]

// The output row (column) that tap k reads input row i from, or -1 when none does.
__device__ __forceinline__ int sourceOf(int i, int pad, int k, int dil, int stride, int outSize) {
  const int t = i + pad - k * dil;
  if (t < 0 || t % stride != 0) return -1;
  const int o = t / stride;
  return o < outSize ? o : -1;
}

template <class I>
__global__ void backpropInputKernel(const float* __restrict__ dy, const float* __restrict__ f, float* __restrict__ dx,
                                    Dw d, I total) {
  for (I i = blockIdx.x * static_cast<I>(blockDim.x) + threadIdx.x; i < total; i += static_cast<I>(gridDim.x) * blockDim.x) {
    const int ci = static_cast<int>(i % d.c);
    I r = i / d.c;
    const int ix = static_cast<int>(r % d.w);
    r /= d.w;
    const int iy = static_cast<int>(r % d.h);
    const I b = r / d.h;
    float acc = 0.f;
    for (int ky = 0; ky < d.kh; ++ky) {
      const int oy = sourceOf(iy, d.pt, ky, d.dh, d.sh, d.oh);
      if (oy < 0) continue;
      for (int kx = 0; kx < d.kw; ++kx) {
        const int ox = sourceOf(ix, d.pl, kx, d.dw, d.sw, d.ow);
        if (ox < 0) continue;
        const float* g = dy + ((b * d.oh + oy) * d.ow + ox) * d.oc + ci * d.m;
        const float* fp = f + (ky * d.kw + kx) * d.oc + ci * d.m;
        for (int q = 0; q < d.m; ++q) acc += __ldg(g + q) * __ldg(fp + q);
      }
    }
    dx[i] = acc;
  }
}

// Multiplier 1 and C % 4 == 0: four channels per thread.
template <class I>
__global__ void backpropInputKernel4(const float4* __restrict__ dy, const float4* __restrict__ f, float4* __restrict__ dx,
                                     Dw d, I total) {
  const int c4 = d.c / 4;
  for (I i = blockIdx.x * static_cast<I>(blockDim.x) + threadIdx.x; i < total; i += static_cast<I>(gridDim.x) * blockDim.x) {
    const int g = static_cast<int>(i % c4);
    I r = i / c4;
    const int ix = static_cast<int>(r % d.w);
    r /= d.w;
    const int iy = static_cast<int>(r % d.h);
    const I b = r / d.h;
    float4 acc = make_float4(0.f, 0.f, 0.f, 0.f);
    for (int ky = 0; ky < d.kh; ++ky) {
      const int oy = sourceOf(iy, d.pt, ky, d.dh, d.sh, d.oh);
      if (oy < 0) continue;
      for (int kx = 0; kx < d.kw; ++kx) {
        const int ox = sourceOf(ix, d.pl, kx, d.dw, d.sw, d.ow);
        if (ox < 0) continue;
        fma4(acc, __ldg(dy + ((b * d.oh + oy) * d.ow + ox) * c4 + g), __ldg(f + (ky * d.kw + kx) * c4 + g));
      }
    }
    dx[i] = acc;
  }
}

template <class I>
void launchBackpropInput(const float* dy, const float* f, float* dx, const Dw& d, int64_t dxSize) {
  if (d.m == 1 && d.c % 4 == 0) {
    const I total = static_cast<I>(dxSize / 4);
    backpropInputKernel4<I><<<blocksFor(total), kThreads, 0, stream()>>>(
        reinterpret_cast<const float4*>(dy), reinterpret_cast<const float4*>(f), reinterpret_cast<float4*>(dx), d, total);
  } else {
    backpropInputKernel<I><<<blocksFor(dxSize), kThreads, 0, stream()>>>(dy, f, dx, d, static_cast<I>(dxSize));
  }
  STRATA_CUDA_LAUNCHED();
}

// (dy, filter) -> dx
void depthwiseBackpropInput(const KernelCall& c) {
  const TensorView& dx = c.out();
  if (dx.size == 0) return;
  const Dw d = dims(*dx.shape, *c.in(0).shape, *c.in(1).shape, c.attr<Conv2DAttrs>());
  if (fits32({dx.size, c.in(0).size}))
    launchBackpropInput<int32_t>(c.in(0).as<float>(), c.in(1).as<float>(), dx.as<float>(), d, dx.size);
  else
    launchBackpropInput<int64_t>(c.in(0).as<float>(), c.in(1).as<float>(), dx.as<float>(), d, dx.size);
}

// ---- backprop filter: df[tap, oc] = sum over the output pixels p of x[p's input cell at tap, ci] * dy[p, oc]

constexpr int kTileC = 32;  // output channels per block (threadIdx.x)
constexpr int kRows = 8;    // pixel lanes per block (threadIdx.y)
constexpr int kTaps = 9;    // taps per block, in registers (grid.y covers larger filters)

// Pass 1: block (channel tile, tap group, pixel chunk) sums its chunk in double, reduced over
// the pixel lanes in a fixed order into partial[chunk][tap][oc].
template <class I>
__global__ void __launch_bounds__(kTileC * kRows) filterPartialKernel(const float* __restrict__ x, const float* __restrict__ dy,
                                                                       double* __restrict__ partial, Dw d, I pixels, I chunk) {
  const int oc = blockIdx.x * kTileC + threadIdx.x;
  const int taps = d.kh * d.kw;
  const int t0 = blockIdx.y * kTaps;
  const I p0 = static_cast<I>(blockIdx.z) * chunk;
  const I p1 = p0 + chunk < pixels ? p0 + chunk : pixels;
  double acc[kTaps];
#pragma unroll
  for (int k = 0; k < kTaps; ++k) acc[k] = 0.0;
  if (oc < d.oc) {
    const int ci = oc / d.m;
    for (I p = p0 + threadIdx.y; p < p1; p += kRows) {
      I r = p;
      const int ox = static_cast<int>(r % d.ow);
      r /= d.ow;
      const int oy = static_cast<int>(r % d.oh);
      const I b = r / d.oh;
      const double g = __ldg(dy + p * d.oc + oc);
#pragma unroll
      for (int k = 0; k < kTaps; ++k) {
        const int t = t0 + k;
        if (t >= taps) continue;
        const int iy = oy * d.sh - d.pt + (t / d.kw) * d.dh;
        const int ix = ox * d.sw - d.pl + (t % d.kw) * d.dw;
        if (iy < 0 || iy >= d.h || ix < 0 || ix >= d.w) continue;
        acc[k] += static_cast<double>(__ldg(x + ((b * d.h + iy) * d.w + ix) * d.c + ci)) * g;
      }
    }
  }
  __shared__ double lanes[kRows][kTileC];
#pragma unroll
  for (int k = 0; k < kTaps; ++k) {
    lanes[threadIdx.y][threadIdx.x] = acc[k];
    __syncthreads();
    if (threadIdx.y == 0 && oc < d.oc && t0 + k < taps) {
      double s = 0.0;
      for (int l = 0; l < kRows; ++l) s += lanes[l][threadIdx.x];
      partial[(static_cast<int64_t>(blockIdx.z) * taps + t0 + k) * d.oc + oc] = s;
    }
    __syncthreads();
  }
}

// Pass 2: df[tap, oc] = sum over the chunks in order.
__global__ void filterCombineKernel(const double* __restrict__ partial, float* __restrict__ df, int64_t n, int chunks) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n; i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    double s = 0.0;
    for (int z = 0; z < chunks; ++z) s += partial[z * n + i];
    df[i] = static_cast<float>(s);
  }
}

// (x, dy) -> dfilter [kh, kw, C, M]
void depthwiseBackpropFilter(const KernelCall& c) {
  const TensorView& df = c.out();
  if (df.size == 0) return;
  const Dw d = dims(*c.in(0).shape, *c.in(1).shape, *df.shape, c.attr<Conv2DAttrs>());
  const int64_t pixels = static_cast<int64_t>(d.n) * d.oh * d.ow;
  if (pixels == 0 || c.in(0).size == 0) return zeroFill(df);
  const int taps = d.kh * d.kw;
  const int tileBlocks = (d.oc + kTileC - 1) / kTileC, tapBlocks = (taps + kTaps - 1) / kTaps;
  // Enough chunks to fill the device a few times over, each at least 16 pixels per lane.
  const int64_t want = (4LL * multiprocessors() + tileBlocks * tapBlocks - 1) / (tileBlocks * tapBlocks);
  const int64_t most = std::max<int64_t>(1, pixels / (kRows * 16));
  int64_t chunks = std::clamp<int64_t>(want, 1, std::min<int64_t>(most, 65535));
  const int64_t chunk = (pixels + chunks - 1) / chunks;
  chunks = (pixels + chunk - 1) / chunk;
  Scratch partial(static_cast<size_t>(chunks) * df.size * sizeof(double));
  const dim3 grid(tileBlocks, tapBlocks, static_cast<unsigned>(chunks)), block(kTileC, kRows);
  if (fits32({c.in(0).size, c.in(1).size}))
    filterPartialKernel<int32_t><<<grid, block, 0, stream()>>>(c.in(0).as<float>(), c.in(1).as<float>(), partial.as<double>(),
                                                               d, static_cast<int32_t>(pixels), static_cast<int32_t>(chunk));
  else
    filterPartialKernel<int64_t><<<grid, block, 0, stream()>>>(c.in(0).as<float>(), c.in(1).as<float>(), partial.as<double>(),
                                                               d, pixels, chunk);
  STRATA_CUDA_LAUNCHED();
  filterCombineKernel<<<blocksFor(df.size), kThreads, 0, stream()>>>(partial.as<double>(), df.as<float>(), df.size,
                                                                      static_cast<int>(chunks));
  STRATA_CUDA_LAUNCHED();
}

const KernelEntry kKernels[] = {
    {"DepthwiseConv2dNative", depthwiseConv2dNative},
    {"FusedDepthwiseConv2D", fusedDepthwiseConv2D},
    {"DepthwiseConv2dNativeBackpropInput", depthwiseBackpropInput},
    {"DepthwiseConv2dNativeBackpropFilter", depthwiseBackpropFilter},
};

}  // namespace

void registerDepthwiseKernels() { registerKernels(kName, kKernels); }

}  // namespace strata::cuda::conv
