#include "ops/op_util.h"

namespace strata::detail {

std::string opError(std::string_view op, const std::string& what) { return std::string(op) + ": " + what; }

void requireFloat(const Tensor& x, std::string_view op, std::string_view arg) {
  checkUsable(x, op, 0);
  if (x.dtype() != DType::float32)
    throw Error(opError(op, std::string(arg) + " must be float32, got " + std::string(dtypeName(x.dtype()))));
}

void requireRank(const Tensor& x, int rank, std::string_view op, std::string_view arg) {
  checkUsable(x, op, 0);
  if (x.rank() != rank)
    throw Error(opError(op, std::string(arg) + " must have rank " + std::to_string(rank) + ", got shape " +
                                shapeString(x.shape())));
}

Tensor toFloat(const Tensor& x) { return x.dtype() == DType::float32 ? x : cast(x, DType::float32); }

Tensor sumToShape(const Tensor& dy, const Shape& shape) {
  if (dy.shape() == shape) return dy;
  std::vector<int> axes = broadcastedAxes(shape, dy.shape());
  Tensor s = axes.empty() ? dy : sum(dy, axes, /*keepDims=*/false);
  return reshape(s, shape);
}

}  // namespace strata::detail
