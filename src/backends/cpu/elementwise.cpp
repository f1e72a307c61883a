// cpu kernels for the hot float32 elementwise ops, OpenMP-parallel loops the compiler can
// vectorize. Binary ops take the same-shape, scalar and trailing-broadcast (a bias row)
// paths; other broadcasts and other dtypes run the reference kernel.
#ifdef STRATA_CPU_BACKEND

#include <algorithm>
#include <cmath>

#include "backends/cpu/common.h"
#include "core/schema/elementwise.h"

namespace strata::cpu {
namespace {

constexpr int64_t kParallelMin = 1 << 15;  // below this, one thread is faster

// NaN test the compiler turns into a vector compare (std::isnan keeps these loops scalar and
// branchy: ~20x slower on random signs).
inline bool nan(float x) { return x != x; }

// The vectorizable loops (see parallelRanges): y = f(x), f(a, b), f(a, s), f(s, b).
template <class F>
void mapRange(const float* __restrict x, float* __restrict y, int64_t n, F f) {
  for (int64_t i = 0; i < n; ++i) y[i] = f(x[i]);
}
template <class F>
void zipRange(const float* __restrict a, const float* __restrict b, float* __restrict y, int64_t n, F f) {
  for (int64_t i = 0; i < n; ++i) y[i] = f(a[i], b[i]);
}
template <class F>
void zipScalarRight(const float* __restrict a, float s, float* __restrict y, int64_t n, F f) {
  for (int64_t i = 0; i < n; ++i) y[i] = f(a[i], s);
}
template <class F>
void zipScalarLeft(float s, const float* __restrict b, float* __restrict y, int64_t n, F f) {
  for (int64_t i = 0; i < n; ++i) y[i] = f(s, b[i]);
}

template <class F>
void unary(const KernelCall& c, const char* name, F f) {
  if (c.in(0).dtype != DType::float32 || c.out().dtype != DType::float32) return callReference(name, c);
  const float* x = c.in(0).as<float>();
  float* y = c.out().as<float>();
  const int64_t n = c.out().size;
  applyThreads();
  parallelRanges(n, [&](int64_t b, int64_t e) { mapRange(x + b, y + b, e - b, f); });
}

float alphaOf(const KernelCall& c) {
  const auto* at = static_cast<const schema::UnaryAttrs*>(c.attrs);
  return at ? at->alpha : 0.f;
}

void reluK(const KernelCall& c) { unary(c, "Relu", [](float x) { return x > 0 ? x : 0.f; }); }
void relu6K(const KernelCall& c) {
  unary(c, "Relu6", [](float x) { return nan(x) ? x : std::min(std::max(x, 0.f), 6.f); });
}
void sigmoidK(const KernelCall& c) { unary(c, "Sigmoid", [](float x) { return 1.f / (1.f + std::exp(-x)); }); }
void tanhK(const KernelCall& c) { unary(c, "Tanh", [](float x) { return std::tanh(x); }); }
void expK(const KernelCall& c) { unary(c, "Exp", [](float x) { return std::exp(x); }); }
void negK(const KernelCall& c) { unary(c, "Neg", [](float x) { return -x; }); }
void absK(const KernelCall& c) { unary(c, "Abs", [](float x) { return x < 0 ? -x : x; }); }
void squareK(const KernelCall& c) { unary(c, "Square", [](float x) { return x * x; }); }
void sqrtK(const KernelCall& c) { unary(c, "Sqrt", [](float x) { return std::sqrt(x); }); }
void eluK(const KernelCall& c) { unary(c, "Elu", [](float x) { return x >= 0 ? x : std::expm1(x); }); }
void stepK(const KernelCall& c) {  // the ReLU-family gradients' mask
  const float alpha = alphaOf(c);
  unary(c, "Step", [alpha](float x) {
    const float r = x > 0 ? 1.f : alpha;
    return nan(x) ? x : r;
  });
}
void leakyReluK(const KernelCall& c) {
  const float alpha = alphaOf(c);
  unary(c, "LeakyRelu", [alpha](float x) { return x < 0 ? alpha * x : x; });
}

// How input `t` broadcasts against the output: 0 same shape, 1 one value, 2 a row repeated
// over the leading axes (its shape, leading 1s dropped, is a suffix of the output's), -1 other.
int64_t rowOf(const TensorView& t, const Shape& out, int& kind) {
  const Shape& s = *t.shape;
  if (s == out) return kind = 0, 0;
  if (t.size == 1 && s.size() <= out.size()) return kind = 1, 1;
  size_t lead = 0;
  while (lead < s.size() && s[lead] == 1) ++lead;
  const size_t len = s.size() - lead;
  if (s.size() > out.size() || len == 0) return kind = -1, 0;
  for (size_t i = 0; i < len; ++i)
    if (s[lead + i] != out[out.size() - len + i]) return kind = -1, 0;
  return kind = 2, t.size;
}

template <class F>
void binary(const KernelCall& c, const char* name, F f) {
  const TensorView &a = c.in(0), &b = c.in(1);
  if (a.dtype != DType::float32 || b.dtype != DType::float32 || c.out().dtype != DType::float32)
    return callReference(name, c);
  const Shape& os = *c.out().shape;
  const int64_t n = c.out().size;
  if (n == 0) return;
  int ka, kb;
  const int64_t ra = rowOf(a, os, ka), rb = rowOf(b, os, kb);
  const float* pa = a.as<float>();
  const float* pb = b.as<float>();
  float* y = c.out().as<float>();
  applyThreads();
  if (ka == 0 && kb == 0) {
    parallelRanges(n, [&](int64_t s, int64_t e) { zipRange(pa + s, pb + s, y + s, e - s, f); });
  } else if (ka == 0 && kb == 1) {
    const float v = pb[0];
    parallelRanges(n, [&](int64_t s, int64_t e) { zipScalarRight(pa + s, v, y + s, e - s, f); });
  } else if (ka == 1 && kb == 0) {
    const float v = pa[0];
    parallelRanges(n, [&](int64_t s, int64_t e) { zipScalarLeft(v, pb + s, y + s, e - s, f); });
  } else if (ka == 0 && kb == 2 && rb > 0) {  // rows of a against the row b
    parallelRanges(n / rb, [&](int64_t s, int64_t e) {
      for (int64_t r = s; r < e; ++r) zipRange(pa + r * rb, pb, y + r * rb, rb, f);
    }, std::max<int64_t>(1, (1 << 14) / rb), std::max<int64_t>(1, kParallelMin / rb));
  } else if (ka == 2 && kb == 0 && ra > 0) {
    parallelRanges(n / ra, [&](int64_t s, int64_t e) {
      for (int64_t r = s; r < e; ++r) zipRange(pa, pb + r * ra, y + r * ra, ra, f);
    }, std::max<int64_t>(1, (1 << 14) / ra), std::max<int64_t>(1, kParallelMin / ra));
  } else {
    callReference(name, c);
  }
}

void addK(const KernelCall& c) { binary(c, "Add", [](float x, float y) { return x + y; }); }
void subK(const KernelCall& c) { binary(c, "Sub", [](float x, float y) { return x - y; }); }
void mulK(const KernelCall& c) { binary(c, "Multiply", [](float x, float y) { return x * y; }); }
void divK(const KernelCall& c) {
  binary(c, "RealDiv", [](float x, float y) { return static_cast<float>(static_cast<double>(x) / y); });
}
void maximumK(const KernelCall& c) {
  binary(c, "Maximum", [](float x, float y) { return (nan(x) || nan(y)) ? NAN : std::max(x, y); });
}
void minimumK(const KernelCall& c) {
  binary(c, "Minimum", [](float x, float y) { return (nan(x) || nan(y)) ? NAN : std::min(x, y); });
}

const KernelEntry kKernels[] = {
    {"Relu", reluK},       {"Relu6", relu6K}, {"Sigmoid", sigmoidK}, {"Tanh", tanhK},
    {"Exp", expK},         {"Neg", negK},     {"Abs", absK},         {"Square", squareK},
    {"Sqrt", sqrtK},       {"Elu", eluK},     {"LeakyRelu", leakyReluK}, {"Step", stepK},
    {"Add", addK},         {"Sub", subK},     {"Multiply", mulK},    {"RealDiv", divK},
    {"Maximum", maximumK}, {"Minimum", minimumK},
};

}  // namespace

void registerElementwiseKernels() { registerKernels(kName, kKernels); }

}  // namespace strata::cpu

#endif  // STRATA_CPU_BACKEND
