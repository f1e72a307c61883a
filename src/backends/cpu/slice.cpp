// cpu kernels for data movement: PadV2 (float32) as whole-row copies of the last axis, OpenMP
// over rows, instead of the reference's element-by-element strided copy. Other dtypes run the
// reference kernel.
#ifdef STRATA_CPU_BACKEND

#include <algorithm>
#include <cstring>

#include "backends/cpu/common.h"
#include "core/schema/shape.h"

namespace strata::cpu {
namespace {

void padV2(const KernelCall& c) {
  const TensorView &x = c.in(0), &o = c.out();
  if (o.dtype != DType::float32) return callReference("PadV2", c);
  const auto& at = c.attr<schema::PadAttrs>();
  const Shape &xs = *x.shape, &os = *o.shape;
  const float v = at.constantValue;
  float* y = o.as<float>();
  applyThreads();
#pragma omp parallel for simd schedule(static) if (o.size >= (1 << 15))
  for (int64_t i = 0; i < o.size; ++i) y[i] = v;
  if (x.size == 0) return;
  const size_t rank = xs.size();
  if (rank == 0) {
    y[0] = x.as<float>()[0];
    return;
  }
  const int64_t inner = xs.back(), rows = x.size / inner;
  std::vector<int64_t> ostride(rank, 1);
  for (size_t d = rank - 1; d > 0; --d) ostride[d - 1] = ostride[d] * os[d];
  int64_t base = 0;
  for (size_t d = 0; d < rank; ++d) base += at.paddings[d].first * ostride[d];
  const float* px = x.as<float>();
#pragma omp parallel for schedule(static) if (x.size >= (1 << 15))
  for (int64_t r = 0; r < rows; ++r) {
    int64_t rest = r, off = base;
    for (size_t d = rank - 1; d > 0; --d) {  // the row's index along axes rank-2 .. 0
      off += (rest % xs[d - 1]) * ostride[d - 1];
      rest /= xs[d - 1];
    }
    std::memcpy(y + off, px + r * inner, static_cast<size_t>(inner) * sizeof(float));
  }
}

const KernelEntry kKernels[] = {
    {"PadV2", padV2},
};

}  // namespace

void registerSliceKernels() { registerKernels(kName, kKernels); }

}  // namespace strata::cpu

#endif  // STRATA_CPU_BACKEND
