// Shape arithmetic shared by ops (shape inference) and backends (indexing).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "strata/dtype.h"
#include "strata/error.h"

namespace strata::detail {

/// Row-major strides of a shape.
std::vector<int64_t> stridesOf(const Shape& s);

/// NumPy/TF.js broadcasting of two shapes; throws naming `op` if incompatible.
Shape broadcastShapes(const Shape& a, const Shape& b, std::string_view op);

/// Strides for reading `in` as if broadcast to `out` (0 on broadcast axes). `in` is
/// right-aligned against `out`.
std::vector<int64_t> broadcastStrides(const Shape& in, const Shape& out);

/// Resolves a possibly negative axis against `rank`; throws naming `op` if out of range.
int normalizeAxis(int axis, int rank, std::string_view op);
/// Resolves a list of axes (empty = all), sorted, without duplicates.
std::vector<int> normalizeAxes(const std::vector<int>& axes, int rank, std::string_view op);

/// Axes of `out` that were broadcast from `in` (for reducing a gradient back to `in`).
std::vector<int> broadcastedAxes(const Shape& in, const Shape& out);

/// Iterates a multi-index over `shape` in row-major order, maintaining flat offsets into
/// several operands that may each have their own strides (broadcasting). Used by kernels.
struct StridedIter {
  explicit StridedIter(const Shape& shape, std::vector<std::vector<int64_t>> strides);
  /// Offsets of each operand at the current index.
  const std::vector<int64_t>& offsets() const { return offsets_; }
  /// Advances by one element; returns false past the end.
  bool next();

 private:
  Shape shape_;
  std::vector<std::vector<int64_t>> strides_;
  std::vector<int64_t> index_, offsets_;
};

}  // namespace strata::detail
