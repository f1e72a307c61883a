// Random tensors of the cuda backend, mirroring reference/random.cpp: element i is a function of
// (seed, i) through core/philox.h (host/device code shared with the reference), so the tensors
// equal the reference's. The affine maps use explicit _rn operations: a fused multiply-add
// would round differently from the reference's separate multiply and add.
#include "backends/cuda/kernels.cuh"
#include "core/philox.h"
#include "core/schema/random.h"

namespace strata::cuda {
namespace {

using schema::RandomAttrs;

// lo + scale * v, rounded as the reference rounds it (no contraction).
__device__ __forceinline__ double affine(double lo, double scale, double v) { return __dadd_rn(lo, __dmul_rn(scale, v)); }

void randomUniformK(const KernelCall& c) {
  const auto& a = c.attr<RandomAttrs>();
  const TensorView& o = c.out();
  const double lo = a.a, range = a.b - a.a;
  const uint64_t seed = a.seed;
  if (o.dtype == DType::int32) {
    int32_t* y = o.as<int32_t>();
    const double top = std::ceil(a.b) - 1;  // the largest integer below maxval
    forEach(o.size, [=] __device__(int64_t i) {
      const double u = philox::uniform(seed, static_cast<uint64_t>(i));
      y[i] = static_cast<int32_t>(fmin(top, floor(affine(lo, range, u))));
    });
    return;
  }
  if (o.dtype != DType::float32)
    throw Error("cuda RandomUniform: dtype " + std::string(dtypeName(o.dtype)) + " is not supported");
  float* y = o.as<float>();
  const float hiF = static_cast<float>(a.b), loF = static_cast<float>(a.a);
  forEach(o.size, [=] __device__(int64_t i) {
    float v = static_cast<float>(affine(lo, range, philox::uniform(seed, static_cast<uint64_t>(i))));
    // Rounding to float32 may reach maxval; the interval is half-open.
    if (hiF > loF && v >= hiF) v = nextafterf(hiF, loF);
    y[i] = v;
  });
}

void randomNormalK(const KernelCall& c) {
  const auto& a = c.attr<RandomAttrs>();
  const double mean = a.a, stddev = a.b;
  const uint64_t seed = a.seed;
  float* y = c.out().as<float>();
  forEach(c.out().size, [=] __device__(int64_t i) {
    y[i] = static_cast<float>(affine(mean, stddev, philox::normal(seed, static_cast<uint64_t>(i))));
  });
}

void truncatedNormalK(const KernelCall& c) {
  const auto& a = c.attr<RandomAttrs>();
  const double mean = a.a, stddev = a.b;
  const uint64_t seed = a.seed;
  float* y = c.out().as<float>();
  forEach(c.out().size, [=] __device__(int64_t i) {
    y[i] = static_cast<float>(affine(mean, stddev, philox::truncatedNormal(seed, static_cast<uint64_t>(i))));
  });
}

const KernelEntry kTable[] = {
    {"RandomUniform", randomUniformK},
    {"RandomNormal", randomNormalK},
    {"TruncatedNormal", truncatedNormalK},
};

}  // namespace

void registerRandomKernels() { registerKernels(kName, kTable); }

}  // namespace strata::cuda
