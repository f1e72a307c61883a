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

// LRN and LRNGrad: the reference's arithmetic (double sums over the channel window), OpenMP over
// pixels, with the window's sum of squares kept from a prefix sum (O(channels) per pixel
// instead of O(channels x window)).
void lrnNorms(const float* px, int64_t channels, const schema::LRNAttrs& a, double* prefix, double* norm) {
  prefix[0] = 0;
  for (int64_t k = 0; k < channels; ++k) prefix[k + 1] = prefix[k] + static_cast<double>(px[k]) * px[k];
  for (int64_t ch = 0; ch < channels; ++ch) {
    const int64_t lo = std::max<int64_t>(0, ch - a.depthRadius), hi = std::min<int64_t>(channels - 1, ch + a.depthRadius);
    norm[ch] = static_cast<double>(a.bias) + static_cast<double>(a.alpha) * (prefix[hi + 1] - prefix[lo]);
  }
}

void lrn(const KernelCall& c) {
  const auto& a = c.attr<schema::LRNAttrs>();
  const int64_t channels = (*c.in(0).shape)[3];
  if (c.in(0).size == 0) return;
  const float* x = c.in(0).as<float>();
  float* y = c.out().as<float>();
  const int64_t pixels = c.in(0).size / channels;
  applyThreads();
#pragma omp parallel
  {
    std::vector<double> prefix(channels + 1), norm(channels);
#pragma omp for schedule(static)
    for (int64_t p = 0; p < pixels; ++p) {
      const float* px = x + p * channels;
      lrnNorms(px, channels, a, prefix.data(), norm.data());
      for (int64_t ch = 0; ch < channels; ++ch)
        y[p * channels + ch] = static_cast<float>(px[ch] * std::pow(norm[ch], -a.beta));
    }
  }
}

// dx_k = sum over the windows i that hold k of dy_i * (delta_ik N_i^-beta - 2 alpha beta x_k y_i / N_i):
// the second term is x_k times a window sum of dy_i y_i / N_i, again from a prefix sum.
void lrnGrad(const KernelCall& c) {
  const auto& a = c.attr<schema::LRNAttrs>();
  const int64_t channels = (*c.in(0).shape)[3];
  if (c.in(0).size == 0) return;
  const float* x = c.in(0).as<float>();
  const float* y = c.in(1).as<float>();
  const float* dy = c.in(2).as<float>();
  float* dx = c.out().as<float>();
  const int64_t pixels = c.in(0).size / channels;
  const double k2 = -2.0 * a.alpha * a.beta;
  applyThreads();
#pragma omp parallel
  {
    std::vector<double> prefix(channels + 1), norm(channels), t(channels + 1);
#pragma omp for schedule(static)
    for (int64_t p = 0; p < pixels; ++p) {
      const int64_t base = p * channels;
      lrnNorms(x + base, channels, a, prefix.data(), norm.data());
      t[0] = 0;
      for (int64_t i = 0; i < channels; ++i) t[i + 1] = t[i] + static_cast<double>(dy[base + i]) * y[base + i] / norm[i];
      for (int64_t k = 0; k < channels; ++k) {
        // Windows i holding k are those with |i - k| <= radius.
        const int64_t lo = std::max<int64_t>(0, k - a.depthRadius), hi = std::min<int64_t>(channels - 1, k + a.depthRadius);
        const double cross = k2 * x[base + k] * (t[hi + 1] - t[lo]);
        dx[base + k] = static_cast<float>(cross + dy[base + k] * std::pow(norm[k], -a.beta));
      }
    }
  }
}

const KernelEntry kKernels[] = {
    {"FusedBatchNorm", fusedBatchNorm},
    {"LRN", lrn},
    {"LRNGrad", lrnGrad},
    {"Softmax", softmax<false>},
    {"LogSoftmax", softmax<true>},
};

}  // namespace

void registerNormalizationKernels() { registerKernels(kName, kKernels); }

}  // namespace strata::cpu

#endif  // STRATA_CPU_BACKEND
