// Shape and data-movement ops (TF.js names). Implemented in src/ops/shape.cpp.
#pragma once

#include <array>
#include <string>
#include <utility>
#include <vector>

#include "strata/tensor.h"

namespace strata {

/// New shape with the same elements; one entry may be -1 (inferred). Shares storage.
Tensor reshape(const Tensor& x, const Shape& shape);
/// Flattens to 1-D.
Tensor flatten(const Tensor& x);
/// Permutes axes (reverses them when `perm` is empty).
Tensor transpose(const Tensor& x, const std::vector<int>& perm = {});
Tensor expandDims(const Tensor& x, int axis = 0);
/// Removes size-1 axes (all of them when `axes` is empty).
Tensor squeeze(const Tensor& x, const std::vector<int>& axes = {});
Tensor concat(const std::vector<Tensor>& xs, int axis = 0);
Tensor stack(const std::vector<Tensor>& xs, int axis = 0);
std::vector<Tensor> unstack(const Tensor& x, int axis = 0);
/// Splits into `numSplits` equal parts along `axis`.
std::vector<Tensor> split(const Tensor& x, int numSplits, int axis = 0);
/// Splits into parts of the given sizes (one may be -1).
std::vector<Tensor> split(const Tensor& x, const std::vector<int64_t>& sizes, int axis = 0);
/// `size` entries of -1 take the rest of the axis.
Tensor slice(const Tensor& x, const std::vector<int64_t>& begin, const std::vector<int64_t>& size = {});

/// TF.js stridedSlice with its bit masks.
struct StridedSliceOptions {
  int beginMask = 0;
  int endMask = 0;
  int ellipsisMask = 0;
  int newAxisMask = 0;
  int shrinkAxisMask = 0;
};
Tensor stridedSlice(const Tensor& x, const std::vector<int64_t>& begin, const std::vector<int64_t>& end,
                    const std::vector<int64_t>& strides = {}, const StridedSliceOptions& options = {});

Tensor tile(const Tensor& x, const std::vector<int64_t>& reps);
/// Constant padding: `paddings[i]` = {before, after} for axis i.
Tensor pad(const Tensor& x, const std::vector<std::pair<int64_t, int64_t>>& paddings, float constantValue = 0);
/// "reflect" or "symmetric" padding.
Tensor mirrorPad(const Tensor& x, const std::vector<std::pair<int64_t, int64_t>>& paddings, const std::string& mode);
Tensor reverse(const Tensor& x, const std::vector<int>& axes = {});
Tensor broadcastTo(const Tensor& x, const Shape& shape);
/// NHWC depth-to-space / space-to-depth with the given block size.
Tensor depthToSpace(const Tensor& x, int blockSize);
Tensor spaceToDepth(const Tensor& x, int blockSize);

}  // namespace strata
