// Op schema of the random kernels: names and attributes. Ops in src/ops/random.cpp dispatch to
// them. Every element's value is a function of (seed, element index) only, computed with the
// counter-based generator in src/core/philox.h, so every backend gives the same tensor.
#pragma once

#include <cstdint>

namespace strata::schema {

/// RandomUniform: float32 in [a, b), or int32 floor(a + (b - a) * u) in [a, b).
/// RandomNormal: float32, mean a, standard deviation b.
/// TruncatedNormal: like RandomNormal, a draw beyond two standard deviations is redrawn.
/// No inputs; the output shape and dtype are the op's.
struct RandomAttrs {
  uint64_t seed = 0;
  double a = 0;
  double b = 1;
};

}  // namespace strata::schema
