// Reference kernels for pooling: MaxPool (float32, int32), AvgPool, MaxPoolGrad, AvgPoolGrad.
// Windows skip the cells outside the input, as TF.js's do.
#include <cmath>
#include <limits>
#include <vector>

#include "backends/reference/kernels.h"
#include "core/schema/pool.h"

namespace strata::reference {
namespace {

using schema::Pool2DAttrs;

// Calls f(outIndex, cells) for every output element, with the flat input offsets of its
// window's cells inside the input in row-major window order.
template <class F>
void forEachWindow(const Shape& in, const Shape& out, const Pool2DAttrs& a, F f) {
  const int64_t n = in[0], inH = in[1], inW = in[2], ch = in[3], outH = out[1], outW = out[2];
  std::vector<int64_t> cells;
  int64_t o = 0;
  for (int64_t b = 0; b < n; ++b)
    for (int64_t oy = 0; oy < outH; ++oy)
      for (int64_t ox = 0; ox < outW; ++ox)
        for (int64_t c = 0; c < ch; ++c, ++o) {
          cells.clear();
          for (int64_t ky = 0; ky < a.filterH; ++ky) {
            const int64_t iy = oy * a.strideH - a.padTop + ky;
            if (iy < 0 || iy >= inH) continue;
            for (int64_t kx = 0; kx < a.filterW; ++kx) {
              const int64_t ix = ox * a.strideW - a.padLeft + kx;
              if (ix >= 0 && ix < inW) cells.push_back(((b * inH + iy) * inW + ix) * ch + c);
            }
          }
          f(o, cells);
        }
}

// The first largest cell (NaN never wins; -1 when no cell beats -inf), as TF.js picks it.
template <class T>
int64_t argMax(const T* x, const std::vector<int64_t>& cells) {
  double best = -std::numeric_limits<double>::infinity();
  int64_t at = -1;
  for (int64_t i : cells)
    if (static_cast<double>(x[i]) > best) {
      best = x[i];
      at = i;
    }
  return at;
}

template <class T>
void maxPoolT(const KernelCall& c) {
  const T* x = c.in(0).as<T>();
  T* y = c.out().as<T>();
  forEachWindow(*c.in(0).shape, *c.out().shape, c.attr<Pool2DAttrs>(), [&](int64_t o, const std::vector<int64_t>& cells) {
    int64_t at = argMax(x, cells);
    // An empty (all-padding) window is -inf; int32 cannot hold that, TF.js stores 0.
    y[o] = at >= 0 ? x[at] : (std::numeric_limits<T>::has_infinity ? -std::numeric_limits<T>::infinity() : T(0));
  });
}

void maxPool(const KernelCall& c) {
  if (c.in(0).dtype == DType::int32)
    maxPoolT<int32_t>(c);
  else
    maxPoolT<float>(c);
}

void avgPool(const KernelCall& c) {
  const float* x = c.in(0).as<float>();
  float* y = c.out().as<float>();
  forEachWindow(*c.in(0).shape, *c.out().shape, c.attr<Pool2DAttrs>(), [&](int64_t o, const std::vector<int64_t>& cells) {
    double s = 0;
    for (int64_t i : cells) s += x[i];
    y[o] = static_cast<float>(s / static_cast<double>(cells.size()));  // 0/0 = NaN for an empty window, as in TF.js
  });
}

void store(const KernelCall& c, const std::vector<double>& acc) {
  float* out = c.out().as<float>();
  for (size_t i = 0; i < acc.size(); ++i) out[i] = static_cast<float>(acc[i]);
}

// (dy, x, y) -> dx: each dy goes to its window's first largest cell.
void maxPoolGrad(const KernelCall& c) {
  const float* dy = c.in(0).as<float>();
  const float* x = c.in(1).as<float>();
  std::vector<double> dx(static_cast<size_t>(c.out().size), 0.0);
  forEachWindow(*c.in(1).shape, *c.in(0).shape, c.attr<Pool2DAttrs>(), [&](int64_t o, const std::vector<int64_t>& cells) {
    int64_t at = argMax(x, cells);
    if (at >= 0) dx[at] += dy[o];
  });
  store(c, dx);
}

// (dy, x) -> dx: each dy is shared equally by the cells its average counted.
void avgPoolGrad(const KernelCall& c) {
  const float* dy = c.in(0).as<float>();
  std::vector<double> dx(static_cast<size_t>(c.out().size), 0.0);
  forEachWindow(*c.in(1).shape, *c.in(0).shape, c.attr<Pool2DAttrs>(), [&](int64_t o, const std::vector<int64_t>& cells) {
    const double share = static_cast<double>(dy[o]) / static_cast<double>(cells.size());
    for (int64_t i : cells) dx[i] += share;
  });
  store(c, dx);
}

const KernelEntry kKernels[] = {
    {"MaxPool", maxPool},
    {"AvgPool", avgPool},
    {"MaxPoolGrad", maxPoolGrad},
    {"AvgPoolGrad", avgPoolGrad},
};

}  // namespace

void registerPoolKernels() { registerKernels(kName, kKernels); }

}  // namespace strata::reference
