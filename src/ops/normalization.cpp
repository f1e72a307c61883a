// Batch normalization, local response normalization, softmax and logSoftmax: validation,
// dispatch and gradients (written with ops).
#include "strata/ops/normalization.h"

#include "core/schema/normalization.h"
#include "ops/op_util.h"

namespace strata {

using detail::GradArgs;
using detail::run1;
using detail::sumToShape;
using schema::BatchNormAttrs;
using schema::LRNAttrs;
using schema::SoftmaxAttrs;

namespace {

// Runs a one-output kernel on a run-time list of inputs (optional inputs make the count vary).
template <class A>
Tensor runList(const char* kernel, const std::vector<Tensor>& inputs, Shape shape, DType dtype, const A& attrs) {
  detail::OutputSpec spec{std::move(shape), dtype};
  return detail::runKernel(kernelId(kernel), inputs, std::span<const detail::OutputSpec>(&spec, 1), &attrs,
                           &detail::copyAttrs<A>)[0];
}

// A batchNorm parameter must broadcast to x without growing it.
void checkParam(const Tensor& p, const Tensor& x, const char* name, size_t index) {
  detail::checkUsable(p, "batchNorm", index);
  Shape b = detail::broadcastShapes(x.shape(), p.shape(), "batchNorm");
  if (b != x.shape())
    throw Error("batchNorm: " + std::string(name) + " of shape " + shapeString(p.shape()) +
                " does not broadcast to x of shape " + shapeString(x.shape()));
}

}  // namespace

Tensor batchNorm(const Tensor& x, const Tensor& mean, const Tensor& variance, const Tensor& offset,
                 const Tensor& scale, float varianceEpsilon) {
  detail::checkUsable(x, "batchNorm", 0);
  checkParam(mean, x, "mean", 1);
  checkParam(variance, x, "variance", 2);
  BatchNormAttrs attrs{varianceEpsilon, offset.defined(), scale.defined()};
  std::vector<Tensor> ins{detail::toFloat(x), detail::toFloat(mean), detail::toFloat(variance)};
  if (attrs.hasOffset) {
    checkParam(offset, x, "offset", 3);
    ins.push_back(detail::toFloat(offset));
  }
  if (attrs.hasScale) {
    checkParam(scale, x, "scale", 4);
    ins.push_back(detail::toFloat(scale));
  }
  return runList("FusedBatchNorm", ins, x.shape(), DType::float32, attrs);
}

Tensor localResponseNormalization(const Tensor& x, int depthRadius, float bias, float alpha, float beta) {
  detail::checkUsable(x, "localResponseNormalization", 0);
  if (x.rank() != 3 && x.rank() != 4)
    throw Error("localResponseNormalization: x must have rank 3 or 4, got shape " + shapeString(x.shape()));
  if (depthRadius < 0)
    throw Error("localResponseNormalization: depthRadius must be >= 0, got " + std::to_string(depthRadius));
  Tensor xf = detail::toFloat(x);
  // The kernel is NHWC; an unbatched image gets a batch of one (TF.js does the same).
  Tensor x4 = x.rank() == 3 ? reshape(xf, {1, x.shape()[0], x.shape()[1], x.shape()[2]}) : xf;
  Tensor y = run1(kernelId("LRN"), {x4}, x4.shape(), DType::float32, LRNAttrs{depthRadius, bias, alpha, beta});
  return x.rank() == 3 ? reshape(y, x.shape()) : y;
}

namespace {

Tensor softmaxLike(const char* kernel, const char* op, const Tensor& logits, int axis) {
  detail::checkUsable(logits, op, 0);
  if (logits.rank() == 0) throw Error(std::string(op) + ": logits must have rank >= 1, got a scalar");
  int ax = detail::normalizeAxis(axis, logits.rank(), op);
  Tensor xf = detail::toFloat(logits);
  return run1(kernelId(kernel), {xf}, xf.shape(), DType::float32, SoftmaxAttrs{ax});
}

}  // namespace

Tensor softmax(const Tensor& logits, int axis) { return softmaxLike("Softmax", "softmax", logits, axis); }
Tensor logSoftmax(const Tensor& logits, int axis) { return softmaxLike("LogSoftmax", "logSoftmax", logits, axis); }

// ---- gradients --------------------------------------------------------------------------

namespace {

// As TF.js defines them: mean, variance, offset and scale are independent inputs, so dx does
// not include the paths through batch statistics (those are the caller's ops, if any).
std::vector<Tensor> batchNormGrad(const GradArgs& g) {
  const auto& a = g.attr<BatchNormAttrs>();
  const Tensor &x = g.x(0), &mean = g.x(1), &variance = g.x(2), &dy = g.dy();
  size_t next = 3;
  Tensor offset = a.hasOffset ? g.x(next++) : Tensor();
  Tensor scale = a.hasScale ? g.x(next++) : Tensor();
  Tensor r = rsqrt(add(variance, scalar(a.varianceEpsilon)));
  Tensor dyScaled = scale.defined() ? mul(dy, scale) : dy;
  Tensor centered = sub(x, mean);
  std::vector<Tensor> out{
      sumToShape(mul(dyScaled, r), x.shape()),
      sumToShape(neg(mul(dyScaled, r)), mean.shape()),
      sumToShape(mul(mul(scalar(-0.5f), mul(r, square(r))), mul(centered, dyScaled)), variance.shape()),
  };
  if (a.hasOffset) out.push_back(sumToShape(dy, offset.shape()));
  if (a.hasScale) out.push_back(sumToShape(mul(dy, mul(centered, r)), scale.shape()));
  return out;
}

std::vector<Tensor> lrnGrad(const GradArgs& g) {
  return {run1(kernelId("LRNGrad"), {g.x(), g.y(), g.dy()}, g.x().shape(), DType::float32, g.attr<LRNAttrs>())};
}

// d softmax: y * (dy - sum(dy * y)).
std::vector<Tensor> softmaxGrad(const GradArgs& g) {
  int axis = g.attr<SoftmaxAttrs>().axis;
  Tensor dyy = mul(g.dy(), g.y());
  return {sub(dyy, mul(sum(dyy, {axis}, /*keepDims=*/true), g.y()))};
}

// d logSoftmax: dy - exp(y) * sum(dy).
std::vector<Tensor> logSoftmaxGrad(const GradArgs& g) {
  int axis = g.attr<SoftmaxAttrs>().axis;
  return {sub(g.dy(), mul(sum(g.dy(), {axis}, /*keepDims=*/true), exp(g.y())))};
}

detail::GradientRegistrar registrar{
    {"FusedBatchNorm", batchNormGrad},
    {"LRN", lrnGrad},
    {"Softmax", softmaxGrad},
    {"LogSoftmax", logSoftmaxGrad},
};

}  // namespace
}  // namespace strata
