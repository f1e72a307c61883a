// Reductions and scans: validation, output shapes, dispatch and gradients.
#include "strata/ops/reduce.h"

#include "core/schema/reduce.h"
#include "ops/op_util.h"

namespace strata {

using detail::GradArgs;
using detail::run1;
using schema::ReduceAttrs;

namespace {

Shape reducedShape(const Shape& in, const std::vector<int>& axes, bool keepDims) {
  Shape out;
  for (int i = 0; i < static_cast<int>(in.size()); ++i) {
    bool reduced = std::find(axes.begin(), axes.end(), i) != axes.end();
    if (!reduced) out.push_back(in[i]);
    else if (keepDims) out.push_back(1);
  }
  return out;
}

}  // namespace

Tensor sum(const Tensor& x, const std::vector<int>& axes, bool keepDims) {
  detail::checkUsable(x, "sum", 0);
  Tensor xn = x.dtype() == DType::bool_ ? cast(x, DType::int32) : x;
  std::vector<int> ax = detail::normalizeAxes(axes, x.rank(), "sum");
  if (ax.empty()) return keepDims ? xn.clone() : xn.clone();
  return run1(kernelId("Sum"), {xn}, reducedShape(x.shape(), ax, keepDims), xn.dtype(), ReduceAttrs{ax});
}

namespace {

// Reshapes dy to x's rank with 1s along the reduced axes, then broadcasts it back.
Tensor expandReduced(const Tensor& dy, const Shape& xShape, const std::vector<int>& axes) {
  Shape kept = xShape;
  for (int a : axes) kept[a] = 1;
  return broadcastTo(reshape(dy, kept), xShape);
}

std::vector<Tensor> sumGrad(const GradArgs& g) {
  return {expandReduced(g.dy(), g.x().shape(), g.attr<ReduceAttrs>().axes)};
}

detail::GradientRegistrar registrar{
    {"Sum", sumGrad},
};

}  // namespace
}  // namespace strata
