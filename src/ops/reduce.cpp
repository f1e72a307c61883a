// Reductions and scans: validation, output shapes, dispatch and gradients.
#include "strata/ops/reduce.h"

#include <algorithm>
#include <numeric>

#include "core/schema/reduce.h"
#include "ops/op_util.h"

namespace strata {

using detail::GradArgs;
using detail::run1;
using schema::ReduceAttrs;
using schema::ScanAttrs;

namespace {

// Resolves `axes` (empty = all) against x's rank. A scalar reduces over nothing (the kernel
// then copies it), which keeps every reduction a kernel call with a gradient.
std::vector<int> reduceAxes(const Tensor& x, const std::vector<int>& axes, const char* op) {
  detail::checkUsable(x, op, 0);
  std::vector<int> ax = detail::normalizeAxes(axes, x.rank(), op);
  if (x.rank() == 0) ax.clear();
  return ax;
}

Shape reducedShape(const Shape& in, const std::vector<int>& axes, bool keepDims) {
  Shape out;
  for (int i = 0; i < static_cast<int>(in.size()); ++i) {
    bool reduced = std::find(axes.begin(), axes.end(), i) != axes.end();
    if (!reduced) out.push_back(in[i]);
    else if (keepDims) out.push_back(1);
  }
  return out;
}

// x's shape with 1 along the reduced axes (what keepDims gives).
Shape keptShape(const Shape& in, const std::vector<int>& axes) {
  Shape kept = in;
  for (int a : axes) kept[a] = 1;
  return kept;
}

Tensor reduce(const char* kernel, const Tensor& x, const std::vector<int>& ax, bool keepDims, DType out) {
  return run1(kernelId(kernel), {x}, reducedShape(x.shape(), ax, keepDims), out, ReduceAttrs{ax});
}

// bool is summed and multiplied as int32 (TF.js casts it).
Tensor numeric(const Tensor& x) { return x.dtype() == DType::bool_ ? cast(x, DType::int32) : x; }

void requireBool(const Tensor& x, const char* op) {
  if (x.dtype() != DType::bool_)
    throw Error(std::string(op) + ": x must be a bool tensor, got " + std::string(dtypeName(x.dtype())) +
                " of shape " + shapeString(x.shape()));
}

void requireCompute(const Tensor& x, const char* op) {
  if (x.dtype() != DType::float32 && x.dtype() != DType::int32 && x.dtype() != DType::bool_)
    throw Error(std::string(op) + ": x must be float32, int32 or bool, got " + std::string(dtypeName(x.dtype())));
}

}  // namespace

Tensor sum(const Tensor& x, const std::vector<int>& axes, bool keepDims) {
  auto ax = reduceAxes(x, axes, "sum");
  requireCompute(x, "sum");
  Tensor xn = numeric(x);
  return reduce("Sum", xn, ax, keepDims, xn.dtype());
}

// TF.js computes the mean in float32 whatever the input dtype.
Tensor mean(const Tensor& x, const std::vector<int>& axes, bool keepDims) {
  auto ax = reduceAxes(x, axes, "mean");
  requireCompute(x, "mean");
  return reduce("Mean", detail::toFloat(x), ax, keepDims, DType::float32);
}

Tensor max(const Tensor& x, const std::vector<int>& axes, bool keepDims) {
  auto ax = reduceAxes(x, axes, "max");
  requireCompute(x, "max");
  return reduce("Max", x, ax, keepDims, x.dtype());
}

Tensor min(const Tensor& x, const std::vector<int>& axes, bool keepDims) {
  auto ax = reduceAxes(x, axes, "min");
  requireCompute(x, "min");
  return reduce("Min", x, ax, keepDims, x.dtype());
}

Tensor prod(const Tensor& x, const std::vector<int>& axes, bool keepDims) {
  auto ax = reduceAxes(x, axes, "prod");
  requireCompute(x, "prod");
  Tensor xn = numeric(x);
  return reduce("Prod", xn, ax, keepDims, xn.dtype());
}

Tensor all(const Tensor& x, const std::vector<int>& axes, bool keepDims) {
  auto ax = reduceAxes(x, axes, "all");
  requireBool(x, "all");
  return reduce("All", x, ax, keepDims, DType::bool_);
}

Tensor any(const Tensor& x, const std::vector<int>& axes, bool keepDims) {
  auto ax = reduceAxes(x, axes, "any");
  requireBool(x, "any");
  return reduce("Any", x, ax, keepDims, DType::bool_);
}

namespace {
Tensor argReduce(const char* op, const char* kernel, const Tensor& x, int axis) {
  detail::checkUsable(x, op, 0);
  requireCompute(x, op);
  if (x.rank() == 0) throw Error(std::string(op) + ": x must have rank >= 1, got a scalar");
  int a = detail::normalizeAxis(axis, x.rank(), op);
  if (x.shape()[a] == 0)
    throw Error(std::string(op) + ": axis " + std::to_string(axis) + " of shape " + shapeString(x.shape()) +
                " is empty");
  return reduce(kernel, x, {a}, false, DType::int32);
}
}  // namespace

Tensor argMax(const Tensor& x, int axis) { return argReduce("argMax", "ArgMax", x, axis); }
Tensor argMin(const Tensor& x, int axis) { return argReduce("argMin", "ArgMin", x, axis); }

// TF.js: max over the axes (kept), then log(sum(exp(x - max))) + max.
Tensor logSumExp(const Tensor& x, const std::vector<int>& axes, bool keepDims) {
  auto ax = reduceAxes(x, axes, "logSumExp");
  requireCompute(x, "logSumExp");
  Tensor xMax = max(x, ax, /*keepDims=*/true);
  Tensor d = log(sum(exp(sub(x, xMax)), ax));
  Tensor res = add(reshape(xMax, d.shape()), d);
  return keepDims ? reshape(res, keptShape(x.shape(), ax)) : res;
}

// sqrt(sum(x^2)); int32 squares and sums in int32 before the square root, as in TF.js.
Tensor euclideanNorm(const Tensor& x, const std::vector<int>& axes, bool keepDims) {
  auto ax = reduceAxes(x, axes, "euclideanNorm");
  requireCompute(x, "euclideanNorm");
  return sqrt(sum(square(x), ax, keepDims));
}

Moments moments(const Tensor& x, const std::vector<int>& axes, bool keepDims) {
  auto ax = reduceAxes(x, axes, "moments");
  requireCompute(x, "moments");
  Tensor m = mean(x, ax, keepDims);
  Tensor dev = square(sub(detail::toFloat(x), reshape(m, keptShape(x.shape(), ax))));
  return {m, mean(dev, ax, keepDims)};
}

namespace {
Tensor scanOp(const char* op, const char* kernel, const Tensor& x, int axis, bool exclusive, bool reverse) {
  detail::checkUsable(x, op, 0);
  requireCompute(x, op);
  if (x.rank() == 0) throw Error(std::string(op) + ": x must have rank >= 1, got a scalar");
  int a = detail::normalizeAxis(axis, x.rank(), op);
  Tensor xn = numeric(x);  // TF.js scans bool as int32
  return run1(kernelId(kernel), {xn}, xn.shape(), xn.dtype(), ScanAttrs{a, exclusive, reverse});
}
}  // namespace

Tensor cumsum(const Tensor& x, int axis, bool exclusive, bool reverse) {
  return scanOp("cumsum", "Cumsum", x, axis, exclusive, reverse);
}
Tensor cumprod(const Tensor& x, int axis, bool exclusive, bool reverse) {
  return scanOp("cumprod", "Cumprod", x, axis, exclusive, reverse);
}

// ---- gradients --------------------------------------------------------------------------

namespace {

// Reshapes dy to x's rank with 1s along the reduced axes, then broadcasts it back.
Tensor expandReduced(const Tensor& dy, const Shape& xShape, const std::vector<int>& axes) {
  return broadcastTo(reshape(dy, keptShape(xShape, axes)), xShape);
}

std::vector<Tensor> sumGrad(const GradArgs& g) {
  return {expandReduced(g.dy(), g.x().shape(), g.attr<ReduceAttrs>().axes)};
}

std::vector<Tensor> meanGrad(const GradArgs& g) {
  const Tensor& x = g.x();
  double n = g.y().size() > 0 ? static_cast<double>(x.size()) / static_cast<double>(g.y().size()) : 1.0;
  return {div(expandReduced(g.dy(), x.shape(), g.attr<ReduceAttrs>().axes), scalar(static_cast<float>(n)))};
}

// TF.js routes dy to every position equal to the extreme value (ties all receive it).
std::vector<Tensor> minMaxGrad(const GradArgs& g) {
  const Shape kept = keptShape(g.x().shape(), g.attr<ReduceAttrs>().axes);
  Tensor hit = cast(equal(g.x(), reshape(g.y(), kept)), DType::float32);
  return {mul(reshape(g.dy(), kept), hit)};
}

// As TF.js: move the reduced axes last and flatten them into one; the gradient of each
// element is the product of the others, i.e. exclusive cumprods from both ends multiplied.
std::vector<Tensor> prodGrad(const GradArgs& g) {
  const Tensor& x = g.x();
  const std::vector<int>& axes = g.attr<ReduceAttrs>().axes;
  const int rank = x.rank();
  std::vector<int> perm;
  for (int i = 0; i < rank; ++i)
    if (std::find(axes.begin(), axes.end(), i) == axes.end()) perm.push_back(i);
  perm.insert(perm.end(), axes.begin(), axes.end());
  bool identity = true;
  for (int i = 0; i < rank; ++i) identity = identity && perm[i] == i;
  Tensor xp = identity ? x : transpose(x, perm);
  const int kept = rank - static_cast<int>(axes.size());
  Shape flat(xp.shape().begin(), xp.shape().begin() + kept);
  int64_t reduceSize = 1;
  for (size_t i = kept; i < xp.shape().size(); ++i) reduceSize *= xp.shape()[i];
  flat.push_back(reduceSize);
  Tensor xr = reshape(xp, flat);
  Shape dyShape = flat;
  dyShape[kept] = 1;
  Tensor others = mul(cumprod(xr, kept, true, false), cumprod(xr, kept, true, true));
  Tensor dx = reshape(mul(reshape(g.dy(), dyShape), others), xp.shape());
  if (!identity) {
    std::vector<int> inverse(rank);
    for (int i = 0; i < rank; ++i) inverse[perm[i]] = i;
    dx = transpose(dx, inverse);
  }
  return {dx};
}

// ArgMax/ArgMin are piecewise constant (TF.js returns zeros).
std::vector<Tensor> argGrad(const GradArgs& g) { return {zerosLike(detail::toFloat(g.x()))}; }

// The reverse scan of dy. (TF.js 4.22 transposes this result when the axis is not the last
// one, which is wrong; see tests/conformance/ops/reduce.mjs.)
std::vector<Tensor> cumsumGrad(const GradArgs& g) {
  const auto& at = g.attr<ScanAttrs>();
  return {cumsum(g.dy(), at.axis, at.exclusive, !at.reverse)};
}

// TF.js has no Cumprod gradient; this is TensorFlow's: the reverse scan of y * dy, divided by
// x (so it is not defined where x is 0).
std::vector<Tensor> cumprodGrad(const GradArgs& g) {
  const auto& at = g.attr<ScanAttrs>();
  Tensor y = detail::toFloat(g.y());
  return {div(cumsum(mul(y, g.dy()), at.axis, at.exclusive, !at.reverse), detail::toFloat(g.x()))};
}

detail::GradientRegistrar registrar{
    {"Sum", sumGrad},       {"Mean", meanGrad},     {"Max", minMaxGrad},     {"Min", minMaxGrad},
    {"Prod", prodGrad},     {"ArgMax", argGrad},    {"ArgMin", argGrad},     {"Cumsum", cumsumGrad},
    {"Cumprod", cumprodGrad},
};

}  // namespace
}  // namespace strata
