// Pooling kernels (NHWC, channels fastest so reads are coalesced): MaxPool (float32, int32),
// AvgPool, MaxPoolGrad, AvgPoolGrad, with the reference's semantics (core/schema/pool.h).
// Windows skip cells outside the input. The gradients gather (one thread per dx element,
// visiting the windows that cover it in the reference's order), so they need no atomics; they
// and AvgPool sum in double like the reference, so their results equal it bit for bit.
#include <cmath>

#include "backends/cuda/kernels.cuh"
#include "core/schema/pool.h"

namespace strata::cuda {
namespace {

using schema::Pool2DAttrs;

// Input [n, h, w, c], output [n, oh, ow, c], window fh x fw.
struct Pool {
  int n, h, w, c, oh, ow, fh, fw, sh, sw, pt, pl;
};

Pool dims(const Shape& in, const Shape& out, const Pool2DAttrs& a) {
  auto i = [](int64_t v) { return static_cast<int>(v); };
  return {i(in[0]), i(in[1]), i(in[2]), i(in[3]), i(out[1]), i(out[2]), a.filterH, a.filterW, a.strideH, a.strideW,
          a.padTop, a.padLeft};
}

// 32-bit index arithmetic when both tensors have fewer than 2^30 elements (the headroom keeps a
// grid-stride step past the end from overflowing).
bool fits32(int64_t a, int64_t b) { return a < (int64_t{1} << 30) && b < (int64_t{1} << 30); }

template <class I>
struct Pixel {
  I b;
  int y, x, ch;
};

// Splits a flat NHWC index of an [*, rows, cols, c] tensor.
template <class I>
__device__ __forceinline__ Pixel<I> split(I i, int rows, int cols, int c) {
  Pixel<I> p;
  p.ch = static_cast<int>(i % c);
  I r = i / c;
  p.x = static_cast<int>(r % cols);
  r /= cols;
  p.y = static_cast<int>(r % rows);
  p.b = r / rows;
  return p;
}

// The window rows [lo, hi) of a window starting at input row `start`, clipped to the input.
__device__ __forceinline__ int clipLo(int start) { return start < 0 ? -start : 0; }
__device__ __forceinline__ int clipHi(int start, int size, int extent) { return start + size > extent ? extent - start : size; }

#define STRATA_GRID_LOOP(I, i, total)                                                         \
  for (I i = blockIdx.x * static_cast<I>(blockDim.x) + threadIdx.x; i < (total); \
       i += static_cast<I>(gridDim.x) * blockDim.x)

// ---- forward -----------------------------------------------------------------------------

template <class T> __device__ __forceinline__ T emptyMax();
// An all-padding window is -inf; int32 cannot hold that and TF.js stores 0.
template <> __device__ __forceinline__ float emptyMax<float>() { return -INFINITY; }
template <> __device__ __forceinline__ int32_t emptyMax<int32_t>() { return 0; }

// The first (row-major) largest cell; NaN never wins, nor does -inf (the start value).
template <class T, class I>
__global__ void maxPoolKernel(const T* __restrict__ x, T* __restrict__ y, Pool d, I total) {
  STRATA_GRID_LOOP(I, i, total) {
    const Pixel<I> o = split(i, d.oh, d.ow, d.c);
    const int y0 = o.y * d.sh - d.pt, x0 = o.x * d.sw - d.pl;
    const int kx0 = clipLo(x0), kx1 = clipHi(x0, d.fw, d.w), ky1 = clipHi(y0, d.fh, d.h);
    double best = -INFINITY;
    T v = emptyMax<T>();
    for (int ky = clipLo(y0); ky < ky1; ++ky) {
      const I row = (o.b * d.h + y0 + ky) * d.w + x0;
      for (int kx = kx0; kx < kx1; ++kx) {
        const T cell = x[(row + kx) * d.c + o.ch];
        if (static_cast<double>(cell) > best) {
          best = static_cast<double>(cell);
          v = cell;
        }
      }
    }
    y[i] = v;
  }
}

// The mean of the cells inside the input, summed in double; 0/0 = NaN for an empty window.
template <class I>
__global__ void avgPoolKernel(const float* __restrict__ x, float* __restrict__ y, Pool d, I total) {
  STRATA_GRID_LOOP(I, i, total) {
    const Pixel<I> o = split(i, d.oh, d.ow, d.c);
    const int y0 = o.y * d.sh - d.pt, x0 = o.x * d.sw - d.pl;
    const int ky0 = clipLo(y0), ky1 = clipHi(y0, d.fh, d.h), kx0 = clipLo(x0), kx1 = clipHi(x0, d.fw, d.w);
    double s = 0.0;
    for (int ky = ky0; ky < ky1; ++ky) {
      const I row = (o.b * d.h + y0 + ky) * d.w + x0;
      for (int kx = kx0; kx < kx1; ++kx) s += x[(row + kx) * d.c + o.ch];
    }
    const int count = (ky1 > ky0 && kx1 > kx0) ? (ky1 - ky0) * (kx1 - kx0) : 0;
    y[i] = static_cast<float>(s / static_cast<double>(count));
  }
}

// ---- gradients ---------------------------------------------------------------------------

// The windows covering input row i: those starting in (i - size, i], i.e. o in [lo, hi].
__device__ __forceinline__ void coveringWindows(int i, int pad, int size, int stride, int outSize, int& lo, int& hi) {
  const int t = i + pad;  // >= 0
  const int first = t - size + 1;
  lo = first <= 0 ? 0 : (first + stride - 1) / stride;
  hi = min(outSize - 1, t / stride);
}

// dx[cell] = sum of dy over the windows whose first largest cell it is, in window order.
template <class I>
__global__ void maxPoolGradKernel(const float* __restrict__ dy, const float* __restrict__ x, float* __restrict__ dx, Pool d,
                                  I total) {
  STRATA_GRID_LOOP(I, i, total) {
    const Pixel<I> p = split(i, d.h, d.w, d.c);
    int oy0, oy1, ox0, ox1;
    coveringWindows(p.y, d.pt, d.fh, d.sh, d.oh, oy0, oy1);
    coveringWindows(p.x, d.pl, d.fw, d.sw, d.ow, ox0, ox1);
    const float* plane = x + p.b * d.h * d.w * d.c + p.ch;  // x[b, 0, 0, ch]
    double acc = 0.0;
    for (int oy = oy0; oy <= oy1; ++oy) {
      const int y0 = oy * d.sh - d.pt;
      const int ky0 = clipLo(y0), ky1 = clipHi(y0, d.fh, d.h);
      for (int ox = ox0; ox <= ox1; ++ox) {
        const int x0 = ox * d.sw - d.pl;
        const int kx0 = clipLo(x0), kx1 = clipHi(x0, d.fw, d.w);
        // Recompute the window's argmax from x, as the reference does.
        double best = -INFINITY;
        int atY = -1, atX = -1;
        for (int ky = ky0; ky < ky1; ++ky)
          for (int kx = kx0; kx < kx1; ++kx) {
            const double v = plane[(static_cast<I>(y0 + ky) * d.w + x0 + kx) * d.c];
            if (v > best) {
              best = v;
              atY = y0 + ky;
              atX = x0 + kx;
            }
          }
        if (atY == p.y && atX == p.x) acc += dy[((p.b * d.oh + oy) * d.ow + ox) * d.c + p.ch];
      }
    }
    dx[i] = static_cast<float>(acc);
  }
}

// dx[cell] = sum over the windows covering it of dy / (the window's cell count), in window order.
template <class I>
__global__ void avgPoolGradKernel(const float* __restrict__ dy, float* __restrict__ dx, Pool d, I total) {
  STRATA_GRID_LOOP(I, i, total) {
    const Pixel<I> p = split(i, d.h, d.w, d.c);
    int oy0, oy1, ox0, ox1;
    coveringWindows(p.y, d.pt, d.fh, d.sh, d.oh, oy0, oy1);
    coveringWindows(p.x, d.pl, d.fw, d.sw, d.ow, ox0, ox1);
    double acc = 0.0;
    for (int oy = oy0; oy <= oy1; ++oy) {
      const int y0 = oy * d.sh - d.pt;
      const int rows = clipHi(y0, d.fh, d.h) - clipLo(y0);
      for (int ox = ox0; ox <= ox1; ++ox) {
        const int x0 = ox * d.sw - d.pl;
        const int count = rows * (clipHi(x0, d.fw, d.w) - clipLo(x0));
        acc += static_cast<double>(dy[((p.b * d.oh + oy) * d.ow + ox) * d.c + p.ch]) / static_cast<double>(count);
      }
    }
    dx[i] = static_cast<float>(acc);
  }
}

#undef STRATA_GRID_LOOP

// ---- kernels -----------------------------------------------------------------------------

// Launches kernel<I> over `total` with 32-bit indices when both tensors fit.
#define STRATA_POOL_LAUNCH(kernel, total, bigger, ...)                                                     \
  do {                                                                                                     \
    if (fits32(total, bigger))                                                                             \
      kernel<int32_t><<<blocksFor(total), kThreads, 0, stream()>>>(__VA_ARGS__, static_cast<int32_t>(total)); \
    else                                                                                                   \
      kernel<int64_t><<<blocksFor(total), kThreads, 0, stream()>>>(__VA_ARGS__, static_cast<int64_t>(total)); \
    STRATA_CUDA_LAUNCHED();                                                                                \
  } while (0)

void maxPool(const KernelCall& c) {
  const TensorView &x = c.in(0), &y = c.out();
  if (y.size == 0) return;
  const Pool d = dims(*x.shape, *y.shape, c.attr<Pool2DAttrs>());
  const bool small = fits32(y.size, x.size);
  switch (x.dtype) {
    case DType::float32:
      if (small)
        maxPoolKernel<float, int32_t><<<blocksFor(y.size), kThreads, 0, stream()>>>(x.as<float>(), y.as<float>(), d,
                                                                                   static_cast<int32_t>(y.size));
      else
        maxPoolKernel<float, int64_t><<<blocksFor(y.size), kThreads, 0, stream()>>>(x.as<float>(), y.as<float>(), d, y.size);
      break;
    case DType::int32:
      if (small)
        maxPoolKernel<int32_t, int32_t><<<blocksFor(y.size), kThreads, 0, stream()>>>(
            x.as<int32_t>(), y.as<int32_t>(), d, static_cast<int32_t>(y.size));
      else
        maxPoolKernel<int32_t, int64_t><<<blocksFor(y.size), kThreads, 0, stream()>>>(x.as<int32_t>(), y.as<int32_t>(), d,
                                                                                     y.size);
      break;
    default:
      throw Error("cuda MaxPool: dtype " + std::string(dtypeName(x.dtype)) + " is not supported (input " +
                  shapeString(*x.shape) + "; float32 or int32)");
  }
  STRATA_CUDA_LAUNCHED();
}

void avgPool(const KernelCall& c) {
  const TensorView &x = c.in(0), &y = c.out();
  if (y.size == 0) return;
  const Pool d = dims(*x.shape, *y.shape, c.attr<Pool2DAttrs>());
  STRATA_POOL_LAUNCH(avgPoolKernel, y.size, x.size, x.as<float>(), y.as<float>(), d);
}

// (dy, x, y) -> dx
void maxPoolGrad(const KernelCall& c) {
  const TensorView &dy = c.in(0), &x = c.in(1), &dx = c.out();
  if (dx.size == 0) return;
  const Pool d = dims(*x.shape, *dy.shape, c.attr<Pool2DAttrs>());
  STRATA_POOL_LAUNCH(maxPoolGradKernel, dx.size, dy.size, dy.as<float>(), x.as<float>(), dx.as<float>(), d);
}

// (dy, x) -> dx
void avgPoolGrad(const KernelCall& c) {
  const TensorView &dy = c.in(0), &dx = c.out();
  if (dx.size == 0) return;
  const Pool d = dims(*c.in(1).shape, *dy.shape, c.attr<Pool2DAttrs>());
  STRATA_POOL_LAUNCH(avgPoolGradKernel, dx.size, dy.size, dy.as<float>(), dx.as<float>(), d);
}

#undef STRATA_POOL_LAUNCH

const KernelEntry kKernels[] = {
    {"MaxPool", maxPool},
    {"AvgPool", avgPool},
    {"MaxPoolGrad", maxPoolGrad},
    {"AvgPoolGrad", avgPoolGrad},
};

}  // namespace

void registerPoolKernels() { registerKernels(kName, kKernels); }

}  // namespace strata::cuda
