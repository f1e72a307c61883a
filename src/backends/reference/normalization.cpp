// Reference kernels for batch normalization, local response normalization and softmax. Math
// runs in double and rounds once to float32.
#include <algorithm>
#include <cmath>
#include <limits>

#include "backends/reference/kernels.h"
#include "core/schema/normalization.h"
#include "core/shape_util.h"

namespace strata::reference {
namespace {

using schema::BatchNormAttrs;
using schema::LRNAttrs;
using schema::SoftmaxAttrs;

// FusedBatchNorm(x, mean, variance[, offset][, scale]): every parameter broadcasts against x.
void fusedBatchNormK(const KernelCall& c) {
  const auto& a = c.attr<BatchNormAttrs>();
  const TensorView& o = c.out();
  if (o.size == 0) return;
  std::vector<std::vector<int64_t>> strides;
  for (const TensorView& in : c.inputs) strides.push_back(detail::broadcastStrides(*in.shape, *o.shape));
  const float* x = c.in(0).as<float>();
  const float* mean = c.in(1).as<float>();
  const float* var = c.in(2).as<float>();
  size_t next = 3;
  const int offsetIn = a.hasOffset ? static_cast<int>(next++) : -1;
  const int scaleIn = a.hasScale ? static_cast<int>(next++) : -1;
  const float* offset = offsetIn >= 0 ? c.in(offsetIn).as<float>() : nullptr;
  const float* scale = scaleIn >= 0 ? c.in(scaleIn).as<float>() : nullptr;
  float* y = o.as<float>();
  detail::StridedIter it(*o.shape, strides);
  for (int64_t i = 0; i < o.size; ++i, it.next()) {
    const auto& off = it.offsets();
    double s = scale ? scale[off[scaleIn]] : 1.0;
    double b = offset ? offset[off[offsetIn]] : 0.0;
    double v = static_cast<double>(x[off[0]]) - mean[off[1]];
    y[i] = static_cast<float>(b + v * s / std::sqrt(static_cast<double>(var[off[2]]) + a.varianceEpsilon));
  }
}

// Channel window [lo, hi] of channel ch for LRN.
struct Window {
  int64_t lo, hi;
};
Window windowOf(int64_t ch, int64_t channels, int radius) {
  return {std::max<int64_t>(0, ch - radius), std::min<int64_t>(channels - 1, ch + radius)};
}

// bias + alpha * sum of squares over the window of channel ch in one pixel.
double lrnNorm(const float* px, int64_t ch, int64_t channels, const LRNAttrs& a) {
  Window w = windowOf(ch, channels, a.depthRadius);
  double s = 0;
  for (int64_t k = w.lo; k <= w.hi; ++k) s += static_cast<double>(px[k]) * px[k];
  return static_cast<double>(a.bias) + static_cast<double>(a.alpha) * s;
}

void lrnK(const KernelCall& c) {
  const auto& a = c.attr<LRNAttrs>();
  const TensorView& xv = c.in(0);
  const int64_t channels = (*xv.shape)[3];
  if (xv.size == 0) return;
  const float* x = xv.as<float>();
  float* y = c.out().as<float>();
  for (int64_t p = 0; p < xv.size / channels; ++p) {
    const float* px = x + p * channels;
    for (int64_t ch = 0; ch < channels; ++ch)
      y[p * channels + ch] = static_cast<float>(px[ch] * std::pow(lrnNorm(px, ch, channels, a), -a.beta));
  }
}

// LRNGrad(x, y, dy): y_i = x_i * N_i^-beta with N_i = bias + alpha * sum_{k in win(i)} x_k^2, so
// dx_k = sum_{i: k in win(i)} dy_i * (delta_ik * N_i^-beta - 2 alpha beta x_k y_i / N_i).
void lrnGradK(const KernelCall& c) {
  const auto& a = c.attr<LRNAttrs>();
  const TensorView& xv = c.in(0);
  const int64_t channels = (*xv.shape)[3];
  if (xv.size == 0) return;
  const float* x = xv.as<float>();
  const float* y = c.in(1).as<float>();
  const float* dy = c.in(2).as<float>();
  float* dx = c.out().as<float>();
  std::vector<double> acc(static_cast<size_t>(channels));
  for (int64_t p = 0; p < xv.size / channels; ++p) {
    const int64_t base = p * channels;
    std::fill(acc.begin(), acc.end(), 0.0);
    for (int64_t i = 0; i < channels; ++i) {
      double norm = lrnNorm(x + base, i, channels, a);
      double g = dy[base + i];
      Window w = windowOf(i, channels, a.depthRadius);
      for (int64_t k = w.lo; k <= w.hi; ++k) {
        double d = -2.0 * a.alpha * a.beta * x[base + k] * y[base + i] / norm;
        if (k == i) d += std::pow(norm, -a.beta);
        acc[k] += g * d;
      }
    }
    for (int64_t k = 0; k < channels; ++k) dx[base + k] = static_cast<float>(acc[k]);
  }
}

// Softmax/LogSoftmax along any axis: the tensor is [outer, n, inner] around the axis.
template <bool Log>
void softmaxK(const KernelCall& c) {
  const int axis = c.attr<SoftmaxAttrs>().axis;
  const Shape& s = *c.in(0).shape;
  int64_t outer = 1, inner = 1, n = s[axis];
  for (int i = 0; i < axis; ++i) outer *= s[i];
  for (size_t i = axis + 1; i < s.size(); ++i) inner *= s[i];
  const float* x = c.in(0).as<float>();
  float* y = c.out().as<float>();
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t in = 0; in < inner; ++in) {
      const int64_t base = o * n * inner + in;
      double mx = -std::numeric_limits<double>::infinity();
      for (int64_t k = 0; k < n; ++k) mx = std::max(mx, static_cast<double>(x[base + k * inner]));
      double total = 0;
      for (int64_t k = 0; k < n; ++k) total += std::exp(x[base + k * inner] - mx);
      const double logTotal = std::log(total);
      for (int64_t k = 0; k < n; ++k) {
        double shifted = x[base + k * inner] - mx;
        y[base + k * inner] = static_cast<float>(Log ? shifted - logTotal : std::exp(shifted) / total);
      }
    }
  }
}

const KernelEntry kKernels[] = {
    {"FusedBatchNorm", fusedBatchNormK},
    {"LRN", lrnK},
    {"LRNGrad", lrnGradK},
    {"Softmax", softmaxK<false>},
    {"LogSoftmax", softmaxK<true>},
};

}  // namespace

void registerNormalizationKernels() { registerKernels(kName, kKernels); }

}  // namespace strata::reference
