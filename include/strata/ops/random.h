// Random tensors and dropout. Values come from a counter-based generator keyed by the seed
// and the element index, so a seed gives the same tensor on every backend. Without a seed,
// one is drawn from the engine's generator (see setRandomSeed). Implemented in src/ops/random.cpp.
#pragma once

#include <cstdint>
#include <optional>

#include "strata/tensor.h"

namespace strata {

Tensor randomUniform(const Shape& shape, float minval = 0, float maxval = 1, DType dtype = DType::float32,
                     std::optional<uint64_t> seed = std::nullopt);
Tensor randomNormal(const Shape& shape, float mean = 0, float stdDev = 1, std::optional<uint64_t> seed = std::nullopt);
/// Normal values with those beyond two standard deviations redrawn.
Tensor truncatedNormal(const Shape& shape, float mean = 0, float stdDev = 1,
                       std::optional<uint64_t> seed = std::nullopt);

/// Zeroes each element with probability `rate` and scales the rest by 1/(1-rate).
/// `noiseShape` (broadcast against x) shares one draw across broadcast axes.
Tensor dropout(const Tensor& x, float rate, const Shape& noiseShape = {}, std::optional<uint64_t> seed = std::nullopt);

}  // namespace strata
