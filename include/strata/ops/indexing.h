// Gathers, scatters, one-hot and top-k. Implemented in src/ops/indexing.cpp.
#pragma once

#include <cstdint>

#include "strata/tensor.h"

namespace strata {

/// Slices of x along `axis` at int32 `indices` (TF.js gather, with batchDims).
Tensor gather(const Tensor& x, const Tensor& indices, int axis = 0, int batchDims = 0);
/// TF.js gatherND: indices [..., k] address the first k axes of x.
Tensor gatherND(const Tensor& x, const Tensor& indices);
/// A zero tensor of `shape` with `updates` summed in at `indices` (TF.js scatterND).
Tensor scatterND(const Tensor& indices, const Tensor& updates, const Shape& shape);
/// int32 indices -> [..., depth] holding onValue/offValue, of `dtype` (int32 as in TF.js).
Tensor oneHot(const Tensor& indices, int depth, float onValue = 1, float offValue = 0, DType dtype = DType::int32);

struct TopK {
  Tensor values;
  Tensor indices;  ///< int32
};
/// Largest k entries along the last axis (sorted when `sorted`).
TopK topk(const Tensor& x, int k = 1, bool sorted = true);

}  // namespace strata
