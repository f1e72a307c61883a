// cpu kernels for Sum, Mean and Max (float32) over one run of consecutive axes (trailing:
// softmax-like rows; leading: bias gradients; middle: global pooling), OpenMP over the kept
// values. Other axis sets and dtypes run the reference kernel. Sums accumulate in double, in
// the reference's order, so results equal the reference's bit for bit.
#ifdef STRATA_CPU_BACKEND

#include <algorithm>
#include <cmath>

#include "backends/cpu/common.h"
#include "core/schema/reduce.h"

namespace strata::cpu {
namespace {

// The reduction as [outer, len, inner] (row-major) when `axes` are one run of consecutive
// axes of x (sorted, as the op passes them); false otherwise. Trailing axes give inner = 1,
// leading axes (a bias gradient) outer = 1, middle ones (global average pooling) both.
struct Run {
  int64_t outer = 1, len = 1, inner = 1;
};
bool contiguousRun(const KernelCall& c, Run& r) {
  const auto& axes = c.attr<schema::ReduceAttrs>().axes;
  const Shape& s = *c.in(0).shape;
  if (axes.empty() || c.in(0).dtype != DType::float32) return false;
  for (size_t i = 1; i < axes.size(); ++i)
    if (axes[i] != axes[i - 1] + 1) return false;
  const int first = axes.front(), last = axes.back();
  for (int d = 0; d < static_cast<int>(s.size()); ++d) {
    if (d < first) r.outer *= s[d];
    else if (d <= last) r.len *= s[d];
    else r.inner *= s[d];
  }
  return r.len > 0 && r.outer * r.len * r.inner == c.in(0).size;
}

// One output value per (o, i), summed over j in order, as the reference kernel does (so the
// results are bitwise the reference's): Kind 0 sum (double accumulator), 1 mean (sum of
// x / len rounded to float, the reference's formula), 2 max (NaN wins).
template <int Kind>
void reduceRun(const float* x, float* y, const Run& r) {
  const double n = static_cast<double>(r.len);
  const int64_t kBlock = 64;  // inner values per task: contiguous, vectorizable
  const int64_t blocks = (r.inner + kBlock - 1) / kBlock;
  applyThreads();
#pragma omp parallel for schedule(static) if (r.outer * r.len * r.inner >= (1 << 15))
  for (int64_t t = 0; t < r.outer * blocks; ++t) {
    const int64_t o = t / blocks, i0 = (t % blocks) * kBlock, i1 = std::min(r.inner, i0 + kBlock);
    const float* xo = x + o * r.len * r.inner;
    if (r.inner == 1) {  // the trailing case: one long contiguous row
      if (Kind == 2) {
        float a = -INFINITY;
        for (int64_t j = 0; j < r.len; ++j) a = (xo[j] != xo[j] || xo[j] > a) ? xo[j] : a;
        y[o] = a;
      } else {
        double s = 0;
        if (Kind == 0) {
          for (int64_t j = 0; j < r.len; ++j) s += xo[j];
        } else {
          for (int64_t j = 0; j < r.len; ++j) s += static_cast<float>(xo[j] / n);
        }
        y[o] = static_cast<float>(s);
      }
      continue;
    }
    double acc[kBlock];
    float amax[kBlock];
    for (int64_t i = i0; i < i1; ++i) acc[i - i0] = 0, amax[i - i0] = -INFINITY;
    for (int64_t j = 0; j < r.len; ++j) {
      const float* xj = xo + j * r.inner;
      for (int64_t i = i0; i < i1; ++i) {
        const float v = xj[i];
        if (Kind == 0) acc[i - i0] += v;
        else if (Kind == 1) acc[i - i0] += static_cast<float>(v / n);
        else amax[i - i0] = (v != v || v > amax[i - i0]) ? v : amax[i - i0];
      }
    }
    for (int64_t i = i0; i < i1; ++i)
      y[o * r.inner + i] = Kind == 2 ? amax[i - i0] : static_cast<float>(acc[i - i0]);
  }
}

template <int Kind>  // 0 sum, 1 mean, 2 max
void reduce(const KernelCall& c, const char* name) {
  Run r;
  if (!contiguousRun(c, r) || c.out().size != r.outer * r.inner) return callReference(name, c);
  reduceRun<Kind>(c.in(0).as<float>(), c.out().as<float>(), r);
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
