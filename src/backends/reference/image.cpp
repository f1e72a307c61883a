// Reference kernels for bilinear and nearest-neighbour resizing (NHWC) and their gradients. The
// source coordinates are computed as TF.js's CPU kernels compute them (see core/schema/image.h);
// each gradient is the exact adjoint of its forward map, so it honours halfPixelCenters too.
#include <algorithm>
#include <cmath>
#include <vector>

#include "backends/reference/kernels.h"
#include "core/schema/image.h"

namespace strata::reference {
namespace {

using schema::ResizeAttrs;

double scaleOf(int64_t in, int64_t out, bool alignCorners) {
  return (alignCorners && out > 1) ? static_cast<double>(in - 1) / static_cast<double>(out - 1)
                                   : static_cast<double>(in) / static_cast<double>(out);
}

// One output coordinate of a bilinear resize: lerp between rows lo and hi by frac.
struct Lerp {
  int64_t lo, hi;
  double frac;
};
std::vector<Lerp> bilinearAxis(int64_t in, int64_t out, const ResizeAttrs& a) {
  const double scale = scaleOf(in, out, a.alignCorners);
  std::vector<Lerp> v(static_cast<size_t>(out));
  for (int64_t i = 0; i < out; ++i) {
    const double src = a.halfPixelCenters ? scale * (i + 0.5) - 0.5 : scale * i;
    const int64_t lo = std::max<int64_t>(0, static_cast<int64_t>(std::floor(src)));
    const int64_t hi = std::min<int64_t>(in - 1, static_cast<int64_t>(std::ceil(src)));
    v[i] = {lo, hi, src - static_cast<double>(lo)};
  }
  return v;
}

// One output coordinate of a nearest-neighbour resize: its source index.
std::vector<int64_t> nearestAxis(int64_t in, int64_t out, const ResizeAttrs& a) {
  const double scale = scaleOf(in, out, a.alignCorners);
  std::vector<int64_t> v(static_cast<size_t>(out));
  for (int64_t i = 0; i < out; ++i) {
    const double src = a.halfPixelCenters ? scale * (i + 0.5) : scale * i;
    // JavaScript's Math.round rounds halves up.
    int64_t k = static_cast<int64_t>(a.alignCorners ? std::floor(src + 0.5) : std::floor(src));
    k = std::min<int64_t>(in - 1, k);
    if (a.halfPixelCenters) k = std::max<int64_t>(0, k);
    v[i] = k;
  }
  return v;
}

// Geometry of a resize: x [batch, h, w, c] and y [batch, oh, ow, c].
struct Dims {
  int64_t batch, h, w, c, oh, ow;
};
Dims dimsOf(const Shape& x, const Shape& y) { return {x[0], x[1], x[2], x[3], y[1], y[2]}; }

void resizeBilinearK(const KernelCall& c) {
  const auto& a = c.attr<ResizeAttrs>();
  const Dims d = dimsOf(*c.in(0).shape, *c.out().shape);
  const auto rows = bilinearAxis(d.h, d.oh, a), cols = bilinearAxis(d.w, d.ow, a);
  const float* x = c.in(0).as<float>();
  float* y = c.out().as<float>();
  auto at = [&](int64_t b, int64_t r, int64_t col, int64_t ch) {
    return static_cast<double>(x[((b * d.h + r) * d.w + col) * d.c + ch]);
  };
  for (int64_t b = 0; b < d.batch; ++b)
    for (int64_t i = 0; i < d.oh; ++i)
      for (int64_t j = 0; j < d.ow; ++j)
        for (int64_t ch = 0; ch < d.c; ++ch) {
          const Lerp &r = rows[i], &q = cols[j];
          const double top = at(b, r.lo, q.lo, ch) + (at(b, r.lo, q.hi, ch) - at(b, r.lo, q.lo, ch)) * q.frac;
          const double bottom = at(b, r.hi, q.lo, ch) + (at(b, r.hi, q.hi, ch) - at(b, r.hi, q.lo, ch)) * q.frac;
          y[((b * d.oh + i) * d.ow + j) * d.c + ch] = static_cast<float>(top + (bottom - top) * r.frac);
        }
}

// ResizeBilinearGrad(dy, images): every output spreads dy over its four sources.
void resizeBilinearGradK(const KernelCall& c) {
  const auto& a = c.attr<ResizeAttrs>();
  const Dims d = dimsOf(*c.in(1).shape, *c.in(0).shape);
  const auto rows = bilinearAxis(d.h, d.oh, a), cols = bilinearAxis(d.w, d.ow, a);
  const float* dy = c.in(0).as<float>();
  std::vector<double> acc(static_cast<size_t>(c.out().size), 0.0);
  auto add = [&](int64_t b, int64_t r, int64_t col, int64_t ch, double v) {
    acc[((b * d.h + r) * d.w + col) * d.c + ch] += v;
  };
  for (int64_t b = 0; b < d.batch; ++b)
    for (int64_t i = 0; i < d.oh; ++i)
      for (int64_t j = 0; j < d.ow; ++j)
        for (int64_t ch = 0; ch < d.c; ++ch) {
          const Lerp &r = rows[i], &q = cols[j];
          const double g = dy[((b * d.oh + i) * d.ow + j) * d.c + ch];
          add(b, r.lo, q.lo, ch, g * (1 - r.frac) * (1 - q.frac));
          add(b, r.lo, q.hi, ch, g * (1 - r.frac) * q.frac);
          add(b, r.hi, q.lo, ch, g * r.frac * (1 - q.frac));
          add(b, r.hi, q.hi, ch, g * r.frac * q.frac);
        }
  float* dx = c.out().as<float>();
  for (size_t i = 0; i < acc.size(); ++i) dx[i] = static_cast<float>(acc[i]);
}

template <class T>
void resizeNearestAs(const KernelCall& c) {
  const auto& a = c.attr<ResizeAttrs>();
  const Dims d = dimsOf(*c.in(0).shape, *c.out().shape);
  const auto rows = nearestAxis(d.h, d.oh, a), cols = nearestAxis(d.w, d.ow, a);
  const T* x = c.in(0).as<T>();
  T* y = c.out().as<T>();
  for (int64_t b = 0; b < d.batch; ++b)
    for (int64_t i = 0; i < d.oh; ++i)
      for (int64_t j = 0; j < d.ow; ++j)
        for (int64_t ch = 0; ch < d.c; ++ch)
          y[((b * d.oh + i) * d.ow + j) * d.c + ch] = x[((b * d.h + rows[i]) * d.w + cols[j]) * d.c + ch];
}
void resizeNearestK(const KernelCall& c) {
  if (c.in(0).dtype == DType::int32) resizeNearestAs<int32_t>(c);
  else resizeNearestAs<float>(c);
}

// ResizeNearestNeighborGrad(dy, images): every output returns dy to its one source.
void resizeNearestGradK(const KernelCall& c) {
  const auto& a = c.attr<ResizeAttrs>();
  const Dims d = dimsOf(*c.in(1).shape, *c.in(0).shape);
  const auto rows = nearestAxis(d.h, d.oh, a), cols = nearestAxis(d.w, d.ow, a);
  const float* dy = c.in(0).as<float>();
  std::vector<double> acc(static_cast<size_t>(c.out().size), 0.0);
  for (int64_t b = 0; b < d.batch; ++b)
    for (int64_t i = 0; i < d.oh; ++i)
      for (int64_t j = 0; j < d.ow; ++j)
        for (int64_t ch = 0; ch < d.c; ++ch)
          acc[((b * d.h + rows[i]) * d.w + cols[j]) * d.c + ch] += dy[((b * d.oh + i) * d.ow + j) * d.c + ch];
  float* dx = c.out().as<float>();
  for (size_t i = 0; i < acc.size(); ++i) dx[i] = static_cast<float>(acc[i]);
}

const KernelEntry kKernels[] = {
    {"ResizeBilinear", resizeBilinearK},
    {"ResizeBilinearGrad", resizeBilinearGradK},
    {"ResizeNearestNeighbor", resizeNearestK},
    {"ResizeNearestNeighborGrad", resizeNearestGradK},
};

}  // namespace

void registerImageKernels() { registerKernels(kName, kKernels); }

}  // namespace strata::reference
