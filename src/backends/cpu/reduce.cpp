// cpu kernels for Sum, Mean and Max (float32) over trailing axes (the last axis, or a run of
// axes ending with it), OpenMP over the kept rows. Other axes and dtypes run the reference
// kernel. Sums accumulate in double, as the reference does.
#ifdef STRATA_CPU_BACKEND

#include <cmath>

#include "backends/cpu/common.h"
#include "core/schema/reduce.h"

namespace strata::cpu {
namespace {

// The reduced length when `axes` are the trailing axes of x (0 when they are not).
int64_t trailing(const KernelCall& c) {
  const auto& axes = c.attr<schema::ReduceAttrs>().axes;
  const Shape& s = *c.in(0).shape;
  if (axes.empty() || c.in(0).dtype != DType::float32) return 0;
  const int rank = static_cast<int>(s.size());
  const int first = rank - static_cast<int>(axes.size());
  int64_t len = 1;
  for (size_t i = 0; i < axes.size(); ++i) {
    if (axes[i] != first + static_cast<int>(i)) return 0;
    len *= s[axes[i]];
  }
  return len;
}

template <int Kind>  // 0 sum, 1 mean, 2 max
void reduce(const KernelCall& c, const char* name) {
  const int64_t len = trailing(c);
  const int64_t rows = c.out().size;
  if (len <= 0 || rows * len != c.in(0).size) return callReference(name, c);
  const float* x = c.in(0).as<float>();
  float* y = c.out().as<float>();
  const double n = static_cast<double>(len);
  applyThreads();
#pragma omp parallel for schedule(static) if (rows * len >= (1 << 15))
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * len;
    if (Kind == 2) {
      float a = -INFINITY;
      for (int64_t j = 0; j < len; ++j) a = (std::isnan(xr[j]) || xr[j] > a) ? xr[j] : a;
      y[r] = a;
    } else {
      double s = 0;
      if (Kind == 0) {
#pragma omp simd reduction(+ : s)
        for (int64_t j = 0; j < len; ++j) s += xr[j];
      } else {
        for (int64_t j = 0; j < len; ++j) s += static_cast<float>(xr[j] / n);
      }
      y[r] = static_cast<float>(s);
    }
  }
}

void sumK(const KernelCall& c) { reduce<0>(c, "Sum"); }
void meanK(const KernelCall& c) { reduce<1>(c, "Mean"); }
void maxK(const KernelCall& c) { reduce<2>(c, "Max"); }

const KernelEntry kKernels[] = {
    {"Sum", sumK},
    {"Mean", meanK},
    {"Max", maxK},
};

}  // namespace

void registerReduceKernels() { registerKernels(kName, kKernels); }

}  // namespace strata::cpu

#endif  // STRATA_CPU_BACKEND
