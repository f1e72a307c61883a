// Op schema of the reduction and scan kernels.
#pragma once

#include <vector>

namespace strata::schema {

/// Sum Mean Max Min Prod All Any: reduce over `axes` (sorted, non-negative, non-empty).
/// The output shape (keepDims or not) was inferred by the op; kernels only need the axes.
/// Sum/Mean/Prod/Max/Min: float32 or int32 in, same out. All/Any: bool.
/// ArgMax/ArgMin: reduce over axes = {axis}, int32 out.
struct ReduceAttrs {
  std::vector<int> axes;
};

/// Cumsum/Cumprod along `axis`.
struct ScanAttrs {
  int axis = 0;
  bool exclusive = false;
  bool reverse = false;
};

}  // namespace strata::schema
