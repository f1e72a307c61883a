// Shape and data-movement ops: validation, output shapes, dispatch and gradients.
#include "strata/ops/shape.h"

#include "core/schema/shape.h"
#include "ops/op_util.h"

namespace strata {

using detail::GradArgs;
using detail::run1;

Tensor reshape(const Tensor& x, const Shape& shape) {
  detail::checkUsable(x, "reshape", 0);
  Shape s = shape;
  int infer = -1;
  int64_t known = 1;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == -1) {
      if (infer >= 0) throw Error("reshape: shape " + shapeString(shape) + " has more than one -1");
      infer = static_cast<int>(i);
    } else if (s[i] < 0) {
      throw Error("reshape: shape " + shapeString(shape) + " has a negative dimension");
    } else {
      known *= s[i];
    }
  }
  if (infer >= 0) {
    if (known == 0 || x.size() % known != 0)
      throw Error("reshape: cannot reshape tensor of shape " + shapeString(x.shape()) + " into " + shapeString(shape));
    s[infer] = x.size() / known;
  }
  if (shapeSize(s) != x.size())
    throw Error("reshape: cannot reshape tensor of shape " + shapeString(x.shape()) + " (" +
                std::to_string(x.size()) + " elements) into " + shapeString(shape));
  static const KernelId kReshape = kernelId("Reshape");
  return detail::makeView(kReshape, x, s, nullptr, nullptr);
}

Tensor broadcastTo(const Tensor& x, const Shape& shape) {
  detail::checkUsable(x, "broadcastTo", 0);
  if (shape.size() < x.shape().size())
    throw Error("broadcastTo: cannot broadcast shape " + shapeString(x.shape()) + " to lower-rank shape " +
                shapeString(shape));
  Shape out = detail::broadcastShapes(x.shape(), shape, "broadcastTo");
  if (out != shape)
    throw Error("broadcastTo: cannot broadcast shape " + shapeString(x.shape()) + " to " + shapeString(shape));
  if (x.shape() == shape) return x.clone();
  return run1(kernelId("BroadcastTo"), {x}, shape, x.dtype());
}

namespace {

std::vector<Tensor> broadcastToGrad(const GradArgs& g) { return {detail::sumToShape(g.dy(), g.x().shape())}; }

std::vector<Tensor> reshapeGrad(const GradArgs& g) { return {reshape(g.dy(), g.x().shape())}; }

detail::GradientRegistrar registrar{
    {"Reshape", reshapeGrad},
    {"BroadcastTo", broadcastToGrad},
};

}  // namespace
}  // namespace strata
