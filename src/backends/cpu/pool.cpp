// cpu kernels for pooling, NHWC: MaxPool, AvgPool and their gradients (float32; int32 MaxPool
// runs the reference kernel). OpenMP over output rows, the channel loop innermost (vectorized).
// Cells outside the input are not part of a window, as in TF.js: they never win a max and
// are not counted in an average.
#ifdef STRATA_CPU_BACKEND

#include <algorithm>
#include <limits>
#include <vector>

#include "backends/cpu/common.h"
#include "core/schema/pool.h"

namespace strata::cpu {
namespace {

using schema::Pool2DAttrs;

template <bool Max>
void pool(const KernelCall& c) {
  const Shape &in = *c.in(0).shape, &out = *c.out().shape;
  const auto& a = c.attr<Pool2DAttrs>();
  const int64_t n = in[0], inH = in[1], inW = in[2], ch = in[3], outH = out[1], outW = out[2];
  if (c.out().size == 0) return;
  const float* x = c.in(0).as<float>();
  float* y = c.out().as<float>();
  applyThreads();
#pragma omp parallel
  {
    std::vector<float> acc(static_cast<size_t>(ch));
#pragma omp for schedule(static)
    for (int64_t row = 0; row < n * outH; ++row) {
      const int64_t b = row / outH, oy = row % outH;
      const int64_t y0 = std::max<int64_t>(0, oy * a.strideH - a.padTop);
      const int64_t y1 = std::min<int64_t>(inH, oy * a.strideH - a.padTop + a.filterH);
      for (int64_t ox = 0; ox < outW; ++ox) {
        const int64_t x0 = std::max<int64_t>(0, ox * a.strideW - a.padLeft);
        const int64_t x1 = std::min<int64_t>(inW, ox * a.strideW - a.padLeft + a.filterW);
        float* accp = acc.data();
        const float init = Max ? -std::numeric_limits<float>::infinity() : 0.f;
        for (int64_t k = 0; k < ch; ++k) accp[k] = init;
        for (int64_t iy = y0; iy < y1; ++iy)
          for (int64_t ix = x0; ix < x1; ++ix) {
            const float* xp = x + ((b * inH + iy) * inW + ix) * ch;
            if (Max) {
              for (int64_t k = 0; k < ch; ++k) accp[k] = xp[k] > accp[k] ? xp[k] : accp[k];
            } else {
              for (int64_t k = 0; k < ch; ++k) accp[k] += xp[k];
            }
          }
        float* yp = y + ((b * outH + oy) * outW + ox) * ch;
        if (Max) {
          for (int64_t k = 0; k < ch; ++k) yp[k] = accp[k];
        } else {
          const int64_t cells = std::max<int64_t>(0, y1 - y0) * std::max<int64_t>(0, x1 - x0);
          const float count = static_cast<float>(cells);  // 0/0 = NaN for an empty window, as in TF.js
          for (int64_t k = 0; k < ch; ++k) yp[k] = accp[k] / count;
        }
      }
    }
  }
}

void maxPool(const KernelCall& c) {
  if (c.in(0).dtype != DType::float32) return callReference("MaxPool", c);
  pool<true>(c);
}
void avgPool(const KernelCall& c) { pool<false>(c); }

// MaxPoolGrad (dy, x, y) and AvgPoolGrad (dy, x) -> dx. Images write disjoint parts of dx, so
// OpenMP runs over images; within one, windows are walked in the reference's order (the first
// largest cell wins, NaN never does) with the channels innermost (contiguous, vectorizable), and
// dx accumulates in double, as the reference does.
template <bool Max>
void poolGrad(const KernelCall& c) {
  const Shape &in = *c.in(1).shape, &out = *c.in(0).shape;
  const auto& a = c.attr<Pool2DAttrs>();
  const int64_t n = in[0], inH = in[1], inW = in[2], ch = in[3], outH = out[1], outW = out[2];
  float* dx = c.out().as<float>();
  if (c.out().size == 0) return;
  const float* dy = c.in(0).as<float>();
  const float* x = c.in(1).as<float>();
  applyThreads();
#pragma omp parallel
  {
    std::vector<double> acc(static_cast<size_t>(inH * inW * ch));
    std::vector<float> best(static_cast<size_t>(ch));
    std::vector<int64_t> at(static_cast<size_t>(ch));
#pragma omp for schedule(static)
    for (int64_t b = 0; b < n; ++b) {
      std::fill(acc.begin(), acc.end(), 0.0);
      const float* xb = x + b * inH * inW * ch;
      for (int64_t oy = 0; oy < outH; ++oy) {
        const int64_t y0 = std::max<int64_t>(0, oy * a.strideH - a.padTop);
        const int64_t y1 = std::min<int64_t>(inH, oy * a.strideH - a.padTop + a.filterH);
        for (int64_t ox = 0; ox < outW; ++ox) {
          const int64_t x0 = std::max<int64_t>(0, ox * a.strideW - a.padLeft);
          const int64_t x1 = std::min<int64_t>(inW, ox * a.strideW - a.padLeft + a.filterW);
          const float* g = dy + ((b * outH + oy) * outW + ox) * ch;
          if (Max) {
            std::fill(best.begin(), best.end(), -std::numeric_limits<float>::infinity());
            std::fill(at.begin(), at.end(), int64_t{-1});
            for (int64_t iy = y0; iy < y1; ++iy)
              for (int64_t ix = x0; ix < x1; ++ix) {
                const int64_t cell = (iy * inW + ix) * ch;
                const float* xp = xb + cell;
                float* bp = best.data();
                int64_t* ap = at.data();
                for (int64_t k = 0; k < ch; ++k) {  // branch-free: random data mispredicts
                  const bool gt = xp[k] > bp[k];
                  bp[k] = gt ? xp[k] : bp[k];
                  ap[k] = gt ? cell + k : ap[k];
                }
              }
            for (int64_t k = 0; k < ch; ++k)
              if (at[k] >= 0) acc[at[k]] += g[k];
          } else {
            const int64_t cells = std::max<int64_t>(0, y1 - y0) * std::max<int64_t>(0, x1 - x0);
            const double inv = static_cast<double>(cells);
            for (int64_t iy = y0; iy < y1; ++iy)
              for (int64_t ix = x0; ix < x1; ++ix) {
                double* ap = acc.data() + (iy * inW + ix) * ch;
                for (int64_t k = 0; k < ch; ++k) ap[k] += static_cast<double>(g[k]) / inv;
              }
          }
        }
      }
      float* dxb = dx + b * inH * inW * ch;
      for (int64_t i = 0; i < inH * inW * ch; ++i) dxb[i] = static_cast<float>(acc[i]);
    }
  }
}

void maxPoolGrad(const KernelCall& c) {
  if (c.in(1).dtype != DType::float32) return callReference("MaxPoolGrad", c);
  poolGrad<true>(c);
}
void avgPoolGrad(const KernelCall& c) { poolGrad<false>(c); }

const KernelEntry kKernels[] = {
    {"MaxPool", maxPool},
    {"AvgPool", avgPool},
    {"MaxPoolGrad", maxPoolGrad},
    {"AvgPoolGrad", avgPoolGrad},
};

}  // namespace

void registerPoolKernels() { registerKernels(kName, kKernels); }

}  // namespace strata::cpu

#endif  // STRATA_CPU_BACKEND
