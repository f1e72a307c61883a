// Image resizing, NHWC (TF.js `tf.image.*`). Implemented in src/ops/image.cpp.
#pragma once

#include <array>

#include "strata/tensor.h"

namespace strata::image {

/// x [batch, h, w, c] or [h, w, c]; size {newHeight, newWidth}.
Tensor resizeBilinear(const Tensor& x, std::array<int, 2> size, bool alignCorners = false,
                      bool halfPixelCenters = false);
Tensor resizeNearestNeighbor(const Tensor& x, std::array<int, 2> size, bool alignCorners = false,
                             bool halfPixelCenters = false);

}  // namespace strata::image
