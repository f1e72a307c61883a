// Op schema of the pooling kernels (TF.js kernel names), NHWC. Ops in src/ops/pool.cpp resolve
// the padding and infer the output shape.
#pragma once

namespace strata::schema {

/// Window (r, c) covers input rows r*strideH - padTop ... + filterH - 1 (columns likewise);
/// cells outside the input are not part of the window (they neither win a max nor count in
/// an average).
///   MaxPool (x) -> y: the largest cell (NaN cells are skipped; an empty window gives -inf).
///       float32 or int32.
///   AvgPool (x) -> y: the mean of the window's cells inside the input. float32.
///   MaxPoolGrad (dy, x, y) -> dx: each dy goes to the first (row-major) largest cell of its
///       window.
///   AvgPoolGrad (dy, x) -> dx: each dy is shared equally by the cells its average counted.
struct Pool2DAttrs {
  int filterH = 1, filterW = 1;
  int strideH = 1, strideW = 1;
  int padTop = 0, padBottom = 0, padLeft = 0, padRight = 0;
};

}  // namespace strata::schema
