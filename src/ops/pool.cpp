// Pooling (NHWC): maxPool and avgPool with TF.js padding and output sizes; validation,
// dispatch and gradients (MaxPoolGrad, AvgPoolGrad kernels).
#include "strata/ops/pool.h"

#include "core/schema/pool.h"
#include "ops/conv_util.h"

namespace strata {

using detail::GradArgs;
using detail::opError;
using detail::run1;
using schema::Pool2DAttrs;

namespace {

// Runs pooling kernel `kernel` on a rank-3/4 input of dtype `dtype`.
Tensor pool(const char* op, const char* kernel, const Tensor& x, DType dtype, const Pool2DOptions& o) {
  detail::checkUsable(x, op, 0);
  if (x.rank() != 3 && x.rank() != 4)
    throw Error(opError(op, "x must have rank 4 (or 3 without the batch axis), got shape " + shapeString(x.shape())));
  if (o.filterSize[0] < 1 || o.filterSize[1] < 1)
    throw Error(opError(op, "filterSize must be positive, got [" + std::to_string(o.filterSize[0]) + "," +
                                std::to_string(o.filterSize[1]) + "]"));
  const Tensor xt = x.dtype() == dtype ? x : cast(x, dtype);
  Tensor x4 = x.rank() == 4 ? xt : reshape(xt, {1, x.shape()[0], x.shape()[1], x.shape()[2]});
  const Shape& s = x4.shape();
  auto w = detail::window2D(op, s[1], s[2], o.filterSize[0], o.filterSize[1], o.strides, {1, 1}, o.pad);
  Pool2DAttrs a{o.filterSize[0], o.filterSize[1], o.strides[0], o.strides[1],
                w.attrs.padTop, w.attrs.padBottom, w.attrs.padLeft, w.attrs.padRight};
  Tensor y = run1(kernelId(kernel), {x4}, {s[0], w.outH, w.outW, s[3]}, dtype, a);
  return x.rank() == 4 ? y : reshape(y, {w.outH, w.outW, s[3]});
}

}  // namespace

Tensor maxPool(const Tensor& x, const Pool2DOptions& o) {
  detail::checkUsable(x, "maxPool", 0);
  // TF.js keeps int32 for maxPool; bool is compared as int32.
  return pool("maxPool", "MaxPool", x, x.dtype() == DType::float32 ? DType::float32 : DType::int32, o);
}

Tensor avgPool(const Tensor& x, const Pool2DOptions& o) {
  detail::checkUsable(x, "avgPool", 0);
  Tensor y = pool("avgPool", "AvgPool", x, DType::float32, o);
  // TF.js casts the average back to the input's dtype (int32 truncates).
  return x.dtype() == DType::float32 ? y : cast(y, x.dtype());
}

// ---- gradients --------------------------------------------------------------------------

namespace {

std::vector<Tensor> maxPoolGrad(const GradArgs& g) {
  if (g.x().dtype() != DType::float32) return {Tensor()};
  return {run1(kernelId("MaxPoolGrad"), {g.dy(), g.x(), g.y()}, g.x().shape(), DType::float32, g.attr<Pool2DAttrs>())};
}

// TF.js's AvgPoolGrad divides every window's gradient by filterH * filterW, which disagrees
// with its own forward pass wherever a window overlaps the padding (the forward divides by
// the cells inside the input). Ours divides by that same count, so the gradient is the
// forward's derivative.
std::vector<Tensor> avgPoolGrad(const GradArgs& g) {
  return {run1(kernelId("AvgPoolGrad"), {g.dy(), g.x()}, g.x().shape(), DType::float32, g.attr<Pool2DAttrs>())};
}

detail::GradientRegistrar registrar{
    {"MaxPool", maxPoolGrad},
    {"AvgPool", avgPoolGrad},
};

}  // namespace
}  // namespace strata
