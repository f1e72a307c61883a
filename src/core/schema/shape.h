// Op schema of the shape and data-movement kernels.
#pragma once

#include <cstdint>
#include <vector>

namespace strata::schema {

/// Reshape, ExpandDims, Squeeze, Identity: views (no kernel runs; storage is shared). Their
/// names still exist so that gradients can be registered.

/// Transpose: output axis i is input axis perm[i].
struct TransposeAttrs {
  std::vector<int> perm;
};

}  // namespace strata::schema
