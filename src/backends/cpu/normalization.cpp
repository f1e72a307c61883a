// cpu kernels for FusedBatchNorm (inference form; per-channel or scalar parameters, other
// broadcasts run the reference kernel) and Softmax / LogSoftmax along any axis, OpenMP over
// rows. Softmax keeps the reference's double arithmetic (it is never the bottleneck).
#ifdef STRATA_CPU_BACKEND

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "backends/cpu/common.h"
#include "core/schema/normalization.h"

namespace strata::cpu {
namespace {

using schema::BatchNormAttrs;
using schema::SoftmaxAttrs;

// True when the parameter is one value, or one value per channel (x's last axis).
bool perChannel(const TensorView& t, const Shape& xs) {
  const Shape& s = *t.shape;
  if (s.size() > xs.size()) return false;
  if (t.size == 1) return true;
  if (s.empty() || xs.empty() || s.back() != xs.back()) return false;
  for (size_t i = 0; i + 1 < s.size(); ++i)
    if (s[i] != 1) return false;
  return true;
}

void fusedBatchNorm(const KernelCall& c) {
  const auto& a = c.attr<BatchNormAttrs>();
  const Shape& xs = *c.in(0).shape;
  if (c.out().size == 0) return;
  for (size_t i = 1; i < c.inputs.size(); ++i)
    if (!perChannel(c.in(i), xs)) return callReference("FusedBatchNorm", c);
  const int64_t C = xs.empty() ? 1 : xs.back();
  if (C == 0) return;
  // y = x * scale' + shift' with scale' = scale / sqrt(var + eps), shift' = offset - mean * scale'.
  std::vector<float> mul(static_cast<size_t>(C)), add(static_cast<size_t>(C));
  size_t next = 3;
  const TensorView* offset = a.hasOffset ? &c.in(next++) : nullptr;
  const TensorView* scale = a.hasScale ? &c.in(next++) : nullptr;
  auto at = [](const TensorView* t, int64_t j, double dflt) {
    if (!t) return dflt;
    return static_cast<double>(t->size == 1 ? t->as<float>()[0] : t->as<float>()[j]);
  };
  for (int64_t j = 0; j < C; ++j) {
    const double s = at(scale, j, 1.0) / std::sqrt(at(&c.in(2), j, 0.0) + a.varianceEpsilon);
    mul[j] = static_cast<float>(s);
    add[j] = static_cast<float>(at(offset, j, 0.0) - at(&c.in(1), j, 0.0) * s);
  }
  const float* x = c.in(0).as<float>();
  float* y = c.out().as<float>();
  const int64_t rows = c.out().size / C;
  const float *mp = mul.data(), *ap = add.data();
  applyThreads();
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * C;
    float* yr = y + r * C;
    for (int64_t j = 0; j < C; ++j) yr[j] = xr[j] * mp[j] + ap[j];
  }
}

template <bool Log>
void softmax(const KernelCall& c) {
  const int axis = c.attr<SoftmaxAttrs>().axis;
  const Shape& s = *c.in(0).shape;
  int64_t outer = 1, inner = 1;
  const int64_t n = s[axis];
  for (int i = 0; i < axis; ++i) outer *= s[i];
  for (size_t i = axis + 1; i < s.size(); ++i) inner *= s[i];
  if (c.out().size == 0) return;
  const float* x = c.in(0).as<float>();
  float* y = c.out().as<float>();
  applyThreads();
#pragma omp parallel for schedule(static)
  for (int64_t row = 0; row < outer * inner; ++row) {
    const int64_t o = row / inner, in = row % inner;
    const int64_t base = o * n * inner + in;
    double mx = -std::numeric_limits<double>::infinity();
    for (int64_t k = 0; k < n; ++k) mx = std::max(mx, static_cast<double>(x[base + k * inner]));
    double total = 0;
    for (int64_t k = 0; k < n; ++k) total += std::exp(x[base + k * inner] - mx);
    const double logTotal = std::log(total);
    for (int64_t k = 0; k < n; ++k) {
      const double shifted = x[base + k * inner] - mx;
      y[base + k * inner] = static_cast<float>(Log ? shifted - logTotal : std::exp(shifted) / total);
    }
  }
}

const KernelEntry kKernels[] = {
    {"FusedBatchNorm", fusedBatchNorm},
    {"Softmax", softmax<false>},
    {"LogSoftmax", softmax<true>},
};

}  // namespace

void registerNormalizationKernels() { registerKernels(kName, kKernels); }

}  // namespace strata::cpu

#endif  // STRATA_CPU_BACKEND
