// Op schema of the reduction and scan kernels.
#pragma once

#include <vector>

namespace strata::schema {

/// Sum Mean Max Min Prod All Any: reduce over `axes` (sorted, non-negative, possibly empty for
/// a scalar). The output shape (keepDims or not) was inferred by the op; kernels only need the
/// axes, and read the output in row-major order of the kept axes.
///   Sum Prod: float32 or int32 in, same out (int32 wraps as TF.js's Int32Array does).
///   Max Min: float32, int32 or bool in, same out; NaN propagates (TF.js).
///   Mean: float32 in and out; each element is divided by the reduced count, rounded to
///     float32, then summed in double (TF.js's cpu kernel divides first).
///   All Any: bool in and out.
/// ArgMax ArgMin: axes = {axis}; float32, int32 or bool in, int32 out (index of the first
///   extreme value; NaN never wins, as in TF.js).
struct ReduceAttrs {
  std::vector<int> axes;
};

/// Cumsum Cumprod along `axis` (non-negative): float32 or int32 in, same out. Partial results
/// are rounded to the output dtype at every step, as TF.js stores them in a typed array.
struct ScanAttrs {
  int axis = 0;
  bool exclusive = false;
  bool reverse = false;
};

}  // namespace strata::schema
