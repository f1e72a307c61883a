// Reference kernels for random tensors: element i is a function of (seed, i) through the
// generator of core/philox.h, which every backend shares.
#include <algorithm>
#include <cmath>

#include "backends/reference/kernels.h"
#include "core/philox.h"
#include "core/schema/random.h"

namespace strata::reference {
namespace {

using schema::RandomAttrs;

void randomUniformK(const KernelCall& c) {
  const auto& a = c.attr<RandomAttrs>();
  const TensorView& o = c.out();
  const double range = a.b - a.a;
  if (o.dtype == DType::int32) {
    int32_t* y = o.as<int32_t>();
    const double top = std::ceil(a.b) - 1;  // the largest integer below maxval
    for (int64_t i = 0; i < o.size; ++i)
      y[i] = static_cast<int32_t>(std::min(top, std::floor(a.a + range * philox::uniform(a.seed, i))));
    return;
  }
  float* y = o.as<float>();
  const float hi = static_cast<float>(a.b), lo = static_cast<float>(a.a);
  for (int64_t i = 0; i < o.size; ++i) {
    float v = static_cast<float>(a.a + range * philox::uniform(a.seed, i));
    // Rounding to float32 may reach maxval; the interval is half-open.
    if (hi > lo && v >= hi) v = std::nextafter(hi, lo);
    y[i] = v;
  }
}

void randomNormalK(const KernelCall& c) {
  const auto& a = c.attr<RandomAttrs>();
  float* y = c.out().as<float>();
  for (int64_t i = 0; i < c.out().size; ++i) y[i] = static_cast<float>(a.a + a.b * philox::normal(a.seed, i));
}

void truncatedNormalK(const KernelCall& c) {
  const auto& a = c.attr<RandomAttrs>();
  float* y = c.out().as<float>();
  for (int64_t i = 0; i < c.out().size; ++i)
    y[i] = static_cast<float>(a.a + a.b * philox::truncatedNormal(a.seed, i));
}

const KernelEntry kKernels[] = {
    {"RandomUniform", randomUniformK},
    {"RandomNormal", randomNormalK},
    {"TruncatedNormal", truncatedNormalK},
};

}  // namespace

void registerRandomKernels() { registerKernels(kName, kKernels); }

}  // namespace strata::reference
