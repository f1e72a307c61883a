// Helpers shared by op implementations: argument checks and gradient plumbing.
#pragma once

#include <string>
#include <string_view>

#include "core/engine.h"
#include "core/shape_util.h"
#include "strata/ops.h"

namespace strata::detail {

/// Throws naming `op` unless x is float32.
void requireFloat(const Tensor& x, std::string_view op, std::string_view arg = "x");
/// Throws naming `op` unless x has rank `rank`.
void requireRank(const Tensor& x, int rank, std::string_view op, std::string_view arg = "x");
/// Casts int32/bool inputs to float32 (TF.js does this for float-only math).
Tensor toFloat(const Tensor& x);

/// Sums `dy` over the axes along which `shape` was broadcast to dy's shape, then reshapes to
/// `shape`: the gradient of a broadcasting op with respect to an input of that shape.
Tensor sumToShape(const Tensor& dy, const Shape& shape);

/// "op: ..." error text helper.
std::string opError(std::string_view op, const std::string& what);

}  // namespace strata::detail
