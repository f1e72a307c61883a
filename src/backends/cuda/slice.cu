// Slicing and padding kernels (mirror of reference/slice.cpp): Slice, StridedSlice, PadV2,
// MirrorPad. Elements move as raw words of their size, so every dtype works. Slices are
// strided copies (copy.cu); PadV2 writes each output element once (constant or copy).
#include <cmath>
#include <cstring>
#include <vector>

#include "backends/cuda/copy.cuh"
#include "core/schema/shape.h"

namespace strata::cuda {
namespace {

using schema::PadAttrs;
using schema::SliceAttrs;

// Reads input index begin[d] + k[d] * strides[d] for k over `counts` (row-major), which is the
// output's order whatever its own shape.
void slicedCopy(const KernelCall& c, const Shape& counts, const std::vector<int64_t>& begin,
                const std::vector<int64_t>& strides) {
  const TensorView &x = c.in(0), &o = c.out();
  if (o.size == 0) return;
  const std::vector<int64_t> xs = detail::stridesOf(*x.shape);
  std::vector<int64_t> st(xs.size());
  int64_t base = 0;
  for (size_t d = 0; d < xs.size(); ++d) {
    base += begin[d] * xs[d];
    st[d] = (strides.empty() ? 1 : strides[d]) * xs[d];
  }
  gatherCopy(o.data, x.data, dtypeSize(o.dtype), counts, st, base);
}

void sliceK(const KernelCall& c) { slicedCopy(c, *c.out().shape, c.attr<SliceAttrs>().begin, {}); }

void stridedSliceK(const KernelCall& c) {
  const auto& at = c.attr<SliceAttrs>();
  slicedCopy(c, at.shape, at.begin, at.strides);
}

constexpr int kPadRank = 8;

// Padded axes innermost first; `lo` is the padding before, `x` the input extent, `out` the
// output extent. Input strides are row-major over x.
struct PadGeom {
  int rank = 0;
  int64_t out[kPadRank] = {};
  int64_t x[kPadRank] = {};
  int64_t lo[kPadRank] = {};
  int64_t xStride[kPadRank] = {};
};

template <class W, class I>
__global__ void padKernel(const W* __restrict__ src, W* __restrict__ dst, PadGeom g, W fill, I n) {
  const I step = static_cast<I>(gridDim.x) * blockDim.x;
  for (I i = static_cast<I>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += step) {
    I r = i;
    int64_t off = 0;
    bool inside = true;
#pragma unroll
    for (int d = 0; d < kPadRank; ++d) {
      if (d < g.rank) {
        I q = r;
        if (d < g.rank - 1) {
          q = r % static_cast<I>(g.out[d]);
          r /= static_cast<I>(g.out[d]);
        }
        const int64_t k = static_cast<int64_t>(q) - g.lo[d];
        inside = inside && k >= 0 && k < g.x[d];
        off += k * g.xStride[d];
      }
    }
    dst[i] = inside ? src[off] : fill;
  }
}

// The constant's bytes in the output dtype, as the reference converts it.
void fillBytes(DType dtype, double v, unsigned char* bytes) {
  switch (dtype) {
    case DType::float32: {
      const float f = static_cast<float>(v);
      std::memcpy(bytes, &f, 4);
      break;
    }
    case DType::int32: {
      const int32_t k = std::isfinite(v) ? static_cast<int32_t>(std::trunc(v)) : 0;
      std::memcpy(bytes, &k, 4);
      break;
    }
    case DType::bool_: bytes[0] = v != 0 ? 1 : 0; break;
    default: break;  // zeros
  }
}

void padK(const KernelCall& c) {
  const TensorView &x = c.in(0), &o = c.out();
  if (o.size == 0) return;
  const auto& at = c.attr<PadAttrs>();
  const size_t es = dtypeSize(o.dtype);
  unsigned char value[16] = {};
  fillBytes(o.dtype, at.constantValue, value);
  const Shape& xs = *x.shape;
  // An unpadded axis folds into its outer neighbour: (lo, x, hi) x inner -> (lo*inner, x*inner,
  // hi*inner). Unit unpadded axes vanish. Collected outermost first. An empty x (a padded axis
  // of extent 0) needs nothing special: no element is inside.
  struct Axis {
    int64_t lo, x, hi;
  };
  std::vector<Axis> axes;
  for (size_t d = 0; d < xs.size(); ++d) {
    const Axis a{at.paddings[d].first, xs[d], at.paddings[d].second};
    const bool unpadded = a.lo == 0 && a.hi == 0;
    if (unpadded && a.x == 1) continue;
    if (unpadded && !axes.empty()) {
      Axis& b = axes.back();
      b = Axis{b.lo * a.x, b.x * a.x, b.hi * a.x};
    } else {
      axes.push_back(a);
    }
  }
  if (axes.empty()) axes.push_back(Axis{0, 1, 0});
  if (axes.size() > static_cast<size_t>(kPadRank))
    throw Error("cuda: PadV2 of shape " + shapeString(xs) + " has more than 8 padded axes");
  // The innermost axis moves in the widest word its extents allow; the fill is repeated.
  const Axis& inner = axes.back();
  const size_t w = wordBytes(es, {inner.lo, inner.x, inner.hi}, {x.data, o.data});
  const int64_t v = static_cast<int64_t>(w / es);
  for (size_t k = es; k < w; k += es) std::memcpy(value + k, value, es);
  PadGeom g;
  g.rank = static_cast<int>(axes.size());
  int64_t stride = 1, n = 1;
  for (int d = 0; d < g.rank; ++d) {
    const Axis& a = axes[axes.size() - 1 - d];
    const int64_t div = d == 0 ? v : 1;
    g.lo[d] = a.lo / div;
    g.x[d] = a.x / div;
    g.out[d] = (a.lo + a.x + a.hi) / div;
    g.xStride[d] = stride;
    stride *= g.x[d];
    n *= g.out[d];
  }
  dispatchBytes(w, [&](auto word) {
    using W = decltype(word);
    W fill;
    std::memcpy(&fill, value, sizeof(W));
    dispatchIndex(n, [&](auto i) {
      using I = decltype(i);
      padKernel<W, I><<<blocksFor(n), kThreads, 0, stream()>>>(static_cast<const W*>(x.data), static_cast<W*>(o.data),
                                                               g, fill, static_cast<I>(n));
      STRATA_CUDA_LAUNCHED();
    });
  });
}

// Each output coordinate before the data mirrors around the first element (reflect) or the
// edge between it and the padding (symmetric); likewise after the data.
template <class W>
__global__ void mirrorPadKernel(const W* __restrict__ src, W* __restrict__ dst, PadGeom g, int64_t shift, int64_t n) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    int64_t r = i, off = 0;
#pragma unroll
    for (int d = 0; d < kPadRank; ++d) {
      if (d < g.rank) {
        const int64_t q = r % g.out[d];
        r /= g.out[d];
        int64_t k = q - g.lo[d];
        if (k < 0) k = -k - shift;
        else if (k >= g.x[d]) k = 2 * (g.x[d] - 1) - k + shift;
        off += k * g.xStride[d];
      }
    }
    dst[i] = src[off];
  }
}

void mirrorPadK(const KernelCall& c) {
  const TensorView &x = c.in(0), &o = c.out();
  if (o.size == 0) return;
  const auto& at = c.attr<PadAttrs>();
  const Shape& xs = *x.shape;
  const Shape& os = *o.shape;
  if (xs.size() > static_cast<size_t>(kPadRank))
    throw Error("cuda: MirrorPad of shape " + shapeString(xs) + " (rank > 8) is not supported");
  PadGeom g;
  g.rank = static_cast<int>(xs.size());
  int64_t stride = 1;
  for (int d = 0; d < g.rank; ++d) {
    const size_t a = xs.size() - 1 - static_cast<size_t>(d);
    g.out[d] = os[a];
    g.x[d] = xs[a];
    g.lo[d] = at.paddings[a].first;
    g.xStride[d] = stride;
    stride *= xs[a];
  }
  dispatchBytes(dtypeSize(o.dtype), [&](auto w) {
    using W = decltype(w);
    mirrorPadKernel<W><<<blocksFor(o.size), kThreads, 0, stream()>>>(static_cast<const W*>(x.data),
                                                                     static_cast<W*>(o.data), g,
                                                                     at.symmetric ? 1 : 0, o.size);
    STRATA_CUDA_LAUNCHED();
  });
}

const KernelEntry kTable[] = {
    {"Slice", sliceK},
    {"StridedSlice", stridedSliceK},
    {"PadV2", padK},
    {"MirrorPad", mirrorPadK},
};

}  // namespace

void registerSliceKernels() { registerKernels(kName, kTable); }

}  // namespace strata::cuda
