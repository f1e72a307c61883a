// Pooling, NHWC. Implemented in src/ops/pool.cpp.
#pragma once

#include <array>

#include "strata/ops/nn_types.h"
#include "strata/tensor.h"

namespace strata {

struct Pool2DOptions {
  std::array<int, 2> filterSize{2, 2};
  std::array<int, 2> strides{2, 2};
  Padding pad = "valid";
};
/// x [batch, h, w, c] or [h, w, c].
Tensor maxPool(const Tensor& x, const Pool2DOptions& options = {});
/// Averages over the valid (unpadded) cells of each window, as TF.js does.
Tensor avgPool(const Tensor& x, const Pool2DOptions& options = {});

}  // namespace strata
