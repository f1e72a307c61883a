// Image resizing of the cuda backend (NHWC), mirroring reference/image.cpp: ResizeBilinear,
// ResizeNearestNeighbor and their gradients. Source coordinates are computed in double exactly
// as the reference computes them (explicit _rn operations, so no fused multiply-add moves a
// coordinate across an integer). The gradients gather: each input cell sums, in double, the
// outputs that read it, found by a binary search over the monotone output->source maps.
#include "backends/cuda/kernels.cuh"
#include "core/schema/image.h"

namespace strata::cuda {
namespace {

using schema::ResizeAttrs;

// One axis of a resize: `in` source cells, `out` output cells.
struct Axis {
  int64_t in = 1, out = 1;
  double scale = 1;
  bool alignCorners = false, halfPixelCenters = false;
};

Axis axisOf(int64_t in, int64_t out, const ResizeAttrs& a) {
  Axis x;
  x.in = in;
  x.out = out;
  x.scale = (a.alignCorners && out > 1) ? static_cast<double>(in - 1) / static_cast<double>(out - 1)
                                        : static_cast<double>(in) / static_cast<double>(out);
  x.alignCorners = a.alignCorners;
  x.halfPixelCenters = a.halfPixelCenters;
  return x;
}

// Bilinear: output cell i lerps between source cells lo and hi by frac.
struct Lerp {
  int64_t lo, hi;
  double frac;
};
__device__ __forceinline__ Lerp bilinearAt(const Axis& a, int64_t i) {
  const double di = static_cast<double>(i);
  const double src = a.halfPixelCenters ? __dsub_rn(__dmul_rn(a.scale, __dadd_rn(di, 0.5)), 0.5) : __dmul_rn(a.scale, di);
  const int64_t lo = max(int64_t{0}, static_cast<int64_t>(floor(src)));
  const int64_t hi = min(a.in - 1, static_cast<int64_t>(ceil(src)));
  return {lo, hi, src - static_cast<double>(lo)};
}

// Nearest: output cell i reads source cell nearestAt(i) (JavaScript's round: halves up).
__device__ __forceinline__ int64_t nearestAt(const Axis& a, int64_t i) {
  const double di = static_cast<double>(i);
  const double src = a.halfPixelCenters ? __dmul_rn(a.scale, __dadd_rn(di, 0.5)) : __dmul_rn(a.scale, di);
  int64_t k = static_cast<int64_t>(a.alignCorners ? floor(__dadd_rn(src, 0.5)) : floor(src));
  k = min(a.in - 1, k);
  if (a.halfPixelCenters) k = max(int64_t{0}, k);
  return k;
}

// The first output cell i in [0, out) with f(i) >= r (out if none); f is nondecreasing.
template <class F>
__device__ int64_t firstAtLeast(int64_t out, int64_t r, F f) {
  int64_t lo = 0, hi = out;
  while (lo < hi) {
    const int64_t mid = lo + (hi - lo) / 2;
    if (f(mid) >= r) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

// For every source row then column: the range [begin, end) of output cells that read it,
// written as pairs into `ranges` (rows.in pairs, then cols.in pairs).
void sourceRanges(const Axis& rows, const Axis& cols, bool bilinear, int64_t* ranges) {
  forEach(rows.in + cols.in, [=] __device__(int64_t t) {
    const bool isRow = t < rows.in;
    const Axis a = isRow ? rows : cols;
    const int64_t r = isRow ? t : t - rows.in;
    int64_t begin, end;
    if (bilinear) {  // reads r iff lo <= r <= hi (hi - lo is 0 or 1)
      begin = firstAtLeast(a.out, r, [&](int64_t i) { return bilinearAt(a, i).hi; });
      end = firstAtLeast(a.out, r + 1, [&](int64_t i) { return bilinearAt(a, i).lo; });
    } else {
      begin = firstAtLeast(a.out, r, [&](int64_t i) { return nearestAt(a, i); });
      end = firstAtLeast(a.out, r + 1, [&](int64_t i) { return nearestAt(a, i); });
    }
    ranges[2 * t] = begin;
    ranges[2 * t + 1] = max(begin, end);
  });
}

// Geometry: source [batch, h, w, c], resized [batch, oh, ow, c].
struct Dims {
  int64_t batch, h, w, c, oh, ow;
};
Dims dimsOf(const Shape& src, const Shape& resized) { return {src[0], src[1], src[2], src[3], resized[1], resized[2]}; }

void resizeBilinearK(const KernelCall& c) {
  const auto& a = c.attr<ResizeAttrs>();
  const Dims d = dimsOf(*c.in(0).shape, *c.out().shape);
  const Axis rows = axisOf(d.h, d.oh, a), cols = axisOf(d.w, d.ow, a);
  const float* x = c.in(0).as<float>();
  float* y = c.out().as<float>();
  forEach(c.out().size, [=] __device__(int64_t e) {
    const int64_t ch = e % d.c;
    int64_t t = e / d.c;
    const int64_t j = t % d.ow;
    t /= d.ow;
    const int64_t i = t % d.oh, b = t / d.oh;
    const Lerp r = bilinearAt(rows, i), q = bilinearAt(cols, j);
    auto at = [&](int64_t row, int64_t col) { return static_cast<double>(x[((b * d.h + row) * d.w + col) * d.c + ch]); };
    const double top = at(r.lo, q.lo) + (at(r.lo, q.hi) - at(r.lo, q.lo)) * q.frac;
    const double bottom = at(r.hi, q.lo) + (at(r.hi, q.hi) - at(r.hi, q.lo)) * q.frac;
    y[e] = static_cast<float>(top + (bottom - top) * r.frac);
  });
}

// The weight of source cell r in output cell i's lerp (both ends when lo == hi == r).
__device__ __forceinline__ double lerpWeight(const Lerp& l, int64_t r) {
  return (l.lo == r ? 1.0 - l.frac : 0.0) + (l.hi == r ? l.frac : 0.0);
}

// The gradient of a resize gathers, for each source cell, the output cells that read it (their
// index ranges from sourceRanges), each dy weighted by weight(axis, output index, source index)
// along rows times along columns, summed in double in the reference's order (i, then j).
template <class Weight>
void resizeGrad(const KernelCall& c, bool bilinear, Weight weight) {
  const auto& a = c.attr<ResizeAttrs>();
  const Dims d = dimsOf(*c.in(1).shape, *c.in(0).shape);
  if (c.out().size == 0) return;
  const Axis rows = axisOf(d.h, d.oh, a), cols = axisOf(d.w, d.ow, a);
  Scratch scratch(2 * static_cast<size_t>(d.h + d.w) * sizeof(int64_t));
  int64_t* rowRanges = scratch.as<int64_t>();
  const int64_t* colRanges = rowRanges + 2 * d.h;
  sourceRanges(rows, cols, bilinear, rowRanges);
  const float* dy = c.in(0).as<float>();
  float* dx = c.out().as<float>();
  forEach(c.out().size, [=] __device__(int64_t e) {
    const int64_t ch = e % d.c;
    int64_t t = e / d.c;
    const int64_t col = t % d.w;
    t /= d.w;
    const int64_t r = t % d.h, b = t / d.h;
    double acc = 0;
    for (int64_t i = rowRanges[2 * r]; i < rowRanges[2 * r + 1]; ++i) {
      const double wr = weight(rows, i, r);
      for (int64_t j = colRanges[2 * col]; j < colRanges[2 * col + 1]; ++j)
        acc += static_cast<double>(dy[((b * d.oh + i) * d.ow + j) * d.c + ch]) * wr * weight(cols, j, col);
    }
    dx[e] = static_cast<float>(acc);
  });
}

// ResizeBilinearGrad(dy, images) -> d images: each dy weighted by its lerp weights.
void resizeBilinearGradK(const KernelCall& c) {
  resizeGrad(c, true, [] __device__(const Axis& axis, int64_t i, int64_t r) { return lerpWeight(bilinearAt(axis, i), r); });
}

// ResizeNearestNeighborGrad(dy, images) -> d images: the plain sum (weights 1, exact).
void resizeNearestGradK(const KernelCall& c) {
  resizeGrad(c, false, [] __device__(const Axis&, int64_t, int64_t) { return 1.0; });
}

// float32 and int32 move as 32-bit words.
void resizeNearestK(const KernelCall& c) {
  const auto& a = c.attr<ResizeAttrs>();
  if (dtypeSize(c.in(0).dtype) != 4)
    throw Error("cuda ResizeNearestNeighbor: dtype " + std::string(dtypeName(c.in(0).dtype)) + " is not supported");
  const Dims d = dimsOf(*c.in(0).shape, *c.out().shape);
  const Axis rows = axisOf(d.h, d.oh, a), cols = axisOf(d.w, d.ow, a);
  const uint32_t* x = c.in(0).as<uint32_t>();
  uint32_t* y = c.out().as<uint32_t>();
  forEach(c.out().size, [=] __device__(int64_t e) {
    const int64_t ch = e % d.c;
    int64_t t = e / d.c;
    const int64_t j = t % d.ow;
    t /= d.ow;
    const int64_t i = t % d.oh, b = t / d.oh;
    y[e] = x[((b * d.h + nearestAt(rows, i)) * d.w + nearestAt(cols, j)) * d.c + ch];
  });
}

const KernelEntry kTable[] = {
    {"ResizeBilinear", resizeBilinearK},
    {"ResizeBilinearGrad", resizeBilinearGradK},
    {"ResizeNearestNeighbor", resizeNearestK},
    {"ResizeNearestNeighborGrad", resizeNearestGradK},
};

}  // namespace

void registerImageKernels() { registerKernels(kName, kTable); }

}  // namespace strata::cuda
