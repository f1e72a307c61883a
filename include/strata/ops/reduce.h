// Reductions and scans (TF.js names). `axes` empty means every axis; negative axes count
// from the end. Implemented in src/ops/reduce.cpp.
#pragma once

#include <vector>

#include "strata/tensor.h"

namespace strata {

Tensor sum(const Tensor& x, const std::vector<int>& axes = {}, bool keepDims = false);
Tensor mean(const Tensor& x, const std::vector<int>& axes = {}, bool keepDims = false);
Tensor max(const Tensor& x, const std::vector<int>& axes = {}, bool keepDims = false);
Tensor min(const Tensor& x, const std::vector<int>& axes = {}, bool keepDims = false);
Tensor prod(const Tensor& x, const std::vector<int>& axes = {}, bool keepDims = false);
/// log(sum(exp(x))), computed stably.
Tensor logSumExp(const Tensor& x, const std::vector<int>& axes = {}, bool keepDims = false);
/// Logical reductions of bool tensors.
Tensor all(const Tensor& x, const std::vector<int>& axes = {}, bool keepDims = false);
Tensor any(const Tensor& x, const std::vector<int>& axes = {}, bool keepDims = false);
/// Index (int32) of the largest/smallest value along `axis` (first one on ties).
Tensor argMax(const Tensor& x, int axis = 0);
Tensor argMin(const Tensor& x, int axis = 0);
/// Euclidean norm over `axes` (TF.js `euclideanNorm`).
Tensor euclideanNorm(const Tensor& x, const std::vector<int>& axes = {}, bool keepDims = false);

/// Cumulative sum/product along `axis`; `exclusive` starts from the identity, `reverse` runs
/// from the end.
Tensor cumsum(const Tensor& x, int axis = 0, bool exclusive = false, bool reverse = false);
Tensor cumprod(const Tensor& x, int axis = 0, bool exclusive = false, bool reverse = false);

/// Mean and (population) variance over `axes`.
struct Moments {
  Tensor mean;
  Tensor variance;
};
Moments moments(const Tensor& x, const std::vector<int>& axes = {}, bool keepDims = false);

}  // namespace strata
