// Gathers, scatters, one-hot and top-k. Implemented in src/ops/indexing.cpp.
#pragma once

#include <cstdint>

#include "strata/tensor.h"

namespace strata {

/// Slices of x along `axis` at int32 `indices` (TF.js gather, with batchDims). An index outside
/// the axis is an error (raised when the kernel runs).
Tensor gather(const Tensor& x, const Tensor& indices, int axis = 0, int batchDims = 0);
/// Sums the slices of x that share a segment id: segmentIds (int32) has a prefix of x's shape
/// (usually [x.shape[0]]); the result is [numSegments] + x.shape[segmentIds.rank:]. Ids outside
/// [0, numSegments) are dropped. Also the scatter-add behind the gradients of gather and topk.
Tensor unsortedSegmentSum(const Tensor& x, const Tensor& segmentIds, int numSegments);
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
/// Largest k entries along the last axis. Sorted: descending, equal values lower index first
/// (as TF.js). Unsorted: the same k entries in index order (TF.js leaves that order unspecified).
/// The gradient of `values` scatters dy back to the chosen positions.
TopK topk(const Tensor& x, int k = 1, bool sorted = true);

}  // namespace strata
