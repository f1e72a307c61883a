// Random tensors and dropout. Every kernel computes element i from (seed, i) with the
// counter-based generator of core/philox.h, so a seed names one tensor on every backend.
#include "strata/ops/random.h"

#include <cmath>

#include "core/schema/random.h"
#include "ops/op_util.h"

namespace strata {

using detail::run1;
using schema::RandomAttrs;

namespace {

void checkShape(const Shape& shape, const char* op) {
  for (int64_t d : shape)
    if (d < 0) throw Error(std::string(op) + ": shape " + shapeString(shape) + " has a negative dimension");
}

uint64_t seedOf(std::optional<uint64_t> seed) { return seed ? *seed : detail::nextRandomSeed(); }

Tensor normalLike(const char* kernel, const char* op, const Shape& shape, float mean, float stdDev,
                  std::optional<uint64_t> seed) {
  checkShape(shape, op);
  if (!(stdDev >= 0)) throw Error(std::string(op) + ": stdDev must be >= 0, got " + std::to_string(stdDev));
  return run1(kernelId(kernel), {}, shape, DType::float32, RandomAttrs{seedOf(seed), mean, stdDev});
}

}  // namespace

Tensor randomUniform(const Shape& shape, float minval, float maxval, DType dtype, std::optional<uint64_t> seed) {
  checkShape(shape, "randomUniform");
  if (dtype != DType::float32 && dtype != DType::int32)
    throw Error("randomUniform: dtype must be float32 or int32, got " + std::string(dtypeName(dtype)));
  if (!std::isfinite(minval) || !std::isfinite(maxval))
    throw Error("randomUniform: minval and maxval must be finite, got " + std::to_string(minval) + " and " +
                std::to_string(maxval));
  if (dtype == DType::int32 && !(maxval > minval))
    throw Error("randomUniform: int32 values lie in [minval, maxval), so maxval (" + std::to_string(maxval) +
                ") must exceed minval (" + std::to_string(minval) + ")");
  return run1(kernelId("RandomUniform"), {}, shape, dtype, RandomAttrs{seedOf(seed), minval, maxval});
}

Tensor randomNormal(const Shape& shape, float mean, float stdDev, std::optional<uint64_t> seed) {
  return normalLike("RandomNormal", "randomNormal", shape, mean, stdDev, seed);
}

Tensor truncatedNormal(const Shape& shape, float mean, float stdDev, std::optional<uint64_t> seed) {
  return normalLike("TruncatedNormal", "truncatedNormal", shape, mean, stdDev, seed);
}

// A composite of ops (as in TF.js), so its gradient, dy * mask / (1 - rate), comes from mul.
Tensor dropout(const Tensor& x, float rate, const Shape& noiseShape, std::optional<uint64_t> seed) {
  detail::checkUsable(x, "dropout", 0);
  if (x.dtype() != DType::float32)
    throw Error("dropout: x must be float32 (it is scaled), got " + std::string(dtypeName(x.dtype())));
  if (!(rate >= 0 && rate < 1)) throw Error("dropout: rate must be in [0, 1), got " + std::to_string(rate));
  if (rate == 0) return x.clone();
  // Empty means x's shape; -1 entries (Keras's None) take x's extent on that axis.
  Shape ns = noiseShape.empty() ? x.shape() : noiseShape;
  if (ns.size() == x.shape().size())
    for (size_t i = 0; i < ns.size(); ++i)
      if (ns[i] == -1) ns[i] = x.shape()[i];
  checkShape(ns, "dropout");
  if (detail::broadcastShapes(x.shape(), ns, "dropout") != x.shape())
    throw Error("dropout: noiseShape " + shapeString(noiseShape) + " does not broadcast to x of shape " +
                shapeString(x.shape()));
  const float keep = 1.0f - rate;
  Tensor u = randomUniform(ns, 0.0f, 1.0f, DType::float32, seed);
  Tensor multiplier = div(cast(greaterEqual(u, scalar(rate)), DType::float32), scalar(keep));
  return mul(x, multiplier);
}

}  // namespace strata
