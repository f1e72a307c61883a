// Binary ops with broadcasting, comparisons, logical ops and where: validation, dtype
// promotion, dispatch and gradients.
#include "strata/ops/binary.h"

#include "ops/op_util.h"

namespace strata {

using detail::GradArgs;
using detail::run1;
using detail::sumToShape;

namespace {

// TF.js upcasting: float32 if either is float32, else int32 (bool counts as int32 in math).
DType arithmeticType(const Tensor& a, const Tensor& b) {
  if (a.dtype() == DType::float32 || b.dtype() == DType::float32) return DType::float32;
  return DType::int32;
}

Tensor as(const Tensor& x, DType d) { return x.dtype() == d ? x : cast(x, d); }

Tensor arithmetic(const char* kernel, const char* op, const Tensor& a, const Tensor& b, bool floatOnly = false) {
  detail::checkUsable(a, op, 0);
  detail::checkUsable(b, op, 1);
  DType t = floatOnly ? DType::float32 : arithmeticType(a, b);
  Shape out = detail::broadcastShapes(a.shape(), b.shape(), op);
  return run1(kernelId(kernel), {as(a, t), as(b, t)}, out, t);
}

Tensor comparison(const char* kernel, const char* op, const Tensor& a, const Tensor& b) {
  detail::checkUsable(a, op, 0);
  detail::checkUsable(b, op, 1);
  DType t = a.dtype() == b.dtype() ? a.dtype() : arithmeticType(a, b);
  Shape out = detail::broadcastShapes(a.shape(), b.shape(), op);
  return run1(kernelId(kernel), {as(a, t), as(b, t)}, out, DType::bool_);
}

Tensor logical(const char* kernel, const char* op, const Tensor& a, const Tensor& b) {
  detail::checkUsable(a, op, 0);
  detail::checkUsable(b, op, 1);
  Shape out = detail::broadcastShapes(a.shape(), b.shape(), op);
  return run1(kernelId(kernel), {as(a, DType::bool_), as(b, DType::bool_)}, out, DType::bool_);
}

}  // namespace

Tensor add(const Tensor& a, const Tensor& b) { return arithmetic("Add", "add", a, b); }
Tensor sub(const Tensor& a, const Tensor& b) { return arithmetic("Sub", "sub", a, b); }
Tensor mul(const Tensor& a, const Tensor& b) { return arithmetic("Multiply", "mul", a, b); }
Tensor div(const Tensor& a, const Tensor& b) { return arithmetic("RealDiv", "div", a, b); }
Tensor divNoNan(const Tensor& a, const Tensor& b) { return arithmetic("DivNoNan", "divNoNan", a, b); }
// TF.js's floorDiv always returns int32 (even for float inputs).
Tensor floorDiv(const Tensor& a, const Tensor& b) {
  detail::checkUsable(a, "floorDiv", 0);
  detail::checkUsable(b, "floorDiv", 1);
  DType t = arithmeticType(a, b);
  Shape out = detail::broadcastShapes(a.shape(), b.shape(), "floorDiv");
  return run1(kernelId("FloorDiv"), {as(a, t), as(b, t)}, out, DType::int32);
}
Tensor mod(const Tensor& a, const Tensor& b) { return arithmetic("Mod", "mod", a, b); }
Tensor pow(const Tensor& a, const Tensor& b) { return arithmetic("Pow", "pow", a, b); }
Tensor maximum(const Tensor& a, const Tensor& b) { return arithmetic("Maximum", "maximum", a, b); }
Tensor minimum(const Tensor& a, const Tensor& b) { return arithmetic("Minimum", "minimum", a, b); }
Tensor squaredDifference(const Tensor& a, const Tensor& b) {
  return arithmetic("SquaredDifference", "squaredDifference", a, b);
}
Tensor atan2(const Tensor& a, const Tensor& b) { return arithmetic("Atan2", "atan2", a, b, /*floatOnly=*/true); }
Tensor prelu(const Tensor& x, const Tensor& alpha) { return arithmetic("Prelu", "prelu", x, alpha, true); }

Tensor addN(const std::vector<Tensor>& xs) {
  if (xs.empty()) throw Error("addN: needs at least one tensor");
  std::vector<Tensor> ins;
  for (size_t i = 0; i < xs.size(); ++i) {
    detail::checkUsable(xs[i], "addN", i);
    if (xs[i].shape() != xs[0].shape())
      throw Error("addN: all tensors must have one shape; tensor 0 has " + shapeString(xs[0].shape()) +
                  ", tensor " + std::to_string(i) + " has " + shapeString(xs[i].shape()));
  }
  DType t = DType::int32;
  for (const Tensor& x : xs)
    if (x.dtype() == DType::float32) t = DType::float32;
  for (const Tensor& x : xs) ins.push_back(as(x, t));
  detail::OutputSpec spec{xs[0].shape(), t};
  detail::NoAttrs none;
  return detail::runKernel(kernelId("AddN"), ins, std::span<const detail::OutputSpec>(&spec, 1), &none,
                           &detail::copyAttrs<detail::NoAttrs>)[0];
}

Tensor equal(const Tensor& a, const Tensor& b) { return comparison("Equal", "equal", a, b); }
Tensor notEqual(const Tensor& a, const Tensor& b) { return comparison("NotEqual", "notEqual", a, b); }
Tensor less(const Tensor& a, const Tensor& b) { return comparison("Less", "less", a, b); }
Tensor lessEqual(const Tensor& a, const Tensor& b) { return comparison("LessEqual", "lessEqual", a, b); }
Tensor greater(const Tensor& a, const Tensor& b) { return comparison("Greater", "greater", a, b); }
Tensor greaterEqual(const Tensor& a, const Tensor& b) { return comparison("GreaterEqual", "greaterEqual", a, b); }

Tensor logicalAnd(const Tensor& a, const Tensor& b) { return logical("LogicalAnd", "logicalAnd", a, b); }
Tensor logicalOr(const Tensor& a, const Tensor& b) { return logical("LogicalOr", "logicalOr", a, b); }
Tensor logicalXor(const Tensor& a, const Tensor& b) { return logical("LogicalXor", "logicalXor", a, b); }

Tensor where(const Tensor& condition, const Tensor& a, const Tensor& b) {
  detail::checkUsable(condition, "where", 0);
  detail::checkUsable(a, "where", 1);
  detail::checkUsable(b, "where", 2);
  Shape out = detail::broadcastShapes(detail::broadcastShapes(condition.shape(), a.shape(), "where"), b.shape(),
                                      "where");
  DType t = a.dtype() == b.dtype() ? a.dtype() : arithmeticType(a, b);
  return run1(kernelId("Select"), {as(condition, DType::bool_), as(a, t), as(b, t)}, out, t);
}

Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }
Tensor operator*(const Tensor& a, const Tensor& b) { return mul(a, b); }
Tensor operator/(const Tensor& a, const Tensor& b) { return div(a, b); }
Tensor operator-(const Tensor& a) { return neg(a); }
Tensor operator+(const Tensor& a, float b) { return add(a, scalar(b)); }
Tensor operator-(const Tensor& a, float b) { return sub(a, scalar(b)); }
Tensor operator*(const Tensor& a, float b) { return mul(a, scalar(b)); }
Tensor operator/(const Tensor& a, float b) { return div(a, scalar(b)); }
Tensor operator+(float a, const Tensor& b) { return add(scalar(a), b); }
Tensor operator-(float a, const Tensor& b) { return sub(scalar(a), b); }
Tensor operator*(float a, const Tensor& b) { return mul(scalar(a), b); }
Tensor operator/(float a, const Tensor& b) { return div(scalar(a), b); }

// ---- gradients --------------------------------------------------------------------------

namespace {

bool isFloat(const Tensor& t) { return t.dtype() == DType::float32; }
// Gradient for input i only when it is float (integer inputs get none).
Tensor gradFor(const GradArgs& g, size_t i, const Tensor& full) {
  return isFloat(g.x(i)) ? sumToShape(full, g.x(i).shape()) : Tensor();
}

std::vector<Tensor> addGrad(const GradArgs& g) { return {gradFor(g, 0, g.dy()), gradFor(g, 1, g.dy())}; }
std::vector<Tensor> subGrad(const GradArgs& g) { return {gradFor(g, 0, g.dy()), gradFor(g, 1, neg(g.dy()))}; }
std::vector<Tensor> mulGrad(const GradArgs& g) {
  return {gradFor(g, 0, mul(g.dy(), g.x(1))), gradFor(g, 1, mul(g.dy(), g.x(0)))};
}
std::vector<Tensor> divGrad(const GradArgs& g) {
  const Tensor &a = g.x(0), &b = g.x(1);
  return {gradFor(g, 0, div(g.dy(), b)), gradFor(g, 1, neg(div(mul(g.dy(), a), square(b))))};
}
std::vector<Tensor> divNoNanGrad(const GradArgs& g) {
  const Tensor &a = g.x(0), &b = g.x(1);
  return {gradFor(g, 0, divNoNan(g.dy(), b)), gradFor(g, 1, neg(divNoNan(mul(g.dy(), a), square(b))))};
}
std::vector<Tensor> modGrad(const GradArgs& g) {
  return {gradFor(g, 0, g.dy()), gradFor(g, 1, mul(g.dy(), neg(floor(div(g.x(0), g.x(1))))))};
}
std::vector<Tensor> powGrad(const GradArgs& g) {
  const Tensor &a = g.x(0), &b = g.x(1), &y = g.y();
  Tensor da = mul(g.dy(), mul(b, pow(a, sub(b, scalar(1.0f)))));
  Tensor safeLog = where(greater(a, scalar(0.0f)), log(a), zerosLike(a));
  Tensor db = mul(g.dy(), mul(y, safeLog));
  return {gradFor(g, 0, da), gradFor(g, 1, db)};
}
Tensor maskF(const Tensor& m) { return cast(m, DType::float32); }
std::vector<Tensor> maximumGrad(const GradArgs& g) {
  const Tensor &a = g.x(0), &b = g.x(1);
  return {gradFor(g, 0, mul(g.dy(), maskF(greaterEqual(a, b)))), gradFor(g, 1, mul(g.dy(), maskF(less(a, b))))};
}
std::vector<Tensor> minimumGrad(const GradArgs& g) {
  const Tensor &a = g.x(0), &b = g.x(1);
  return {gradFor(g, 0, mul(g.dy(), maskF(lessEqual(a, b)))), gradFor(g, 1, mul(g.dy(), maskF(greater(a, b))))};
}
std::vector<Tensor> squaredDifferenceGrad(const GradArgs& g) {
  Tensor d = mul(g.dy(), mul(scalar(2.0f), sub(g.x(0), g.x(1))));
  return {gradFor(g, 0, d), gradFor(g, 1, neg(d))};
}
std::vector<Tensor> atan2Grad(const GradArgs& g) {
  const Tensor &a = g.x(0), &b = g.x(1);
  Tensor denom = add(square(a), square(b));
  return {gradFor(g, 0, mul(g.dy(), div(b, denom))), gradFor(g, 1, mul(g.dy(), neg(div(a, denom))))};
}
std::vector<Tensor> preluGrad(const GradArgs& g) {
  const Tensor &x = g.x(0), &alpha = g.x(1);
  Tensor pos = greater(x, scalar(0.0f));
  Tensor dx = where(pos, g.dy(), mul(g.dy(), alpha));
  Tensor dalpha = where(pos, zerosLike(g.dy()), mul(g.dy(), x));
  return {gradFor(g, 0, dx), gradFor(g, 1, dalpha)};
}
std::vector<Tensor> selectGrad(const GradArgs& g) {
  const Tensor& c = g.x(0);
  Tensor zero = zerosLike(g.dy());
  return {Tensor(), gradFor(g, 1, where(c, g.dy(), zero)), gradFor(g, 2, where(c, zero, g.dy()))};
}
std::vector<Tensor> addNGrad(const GradArgs& g) { return std::vector<Tensor>(g.inputs.size(), g.dy()); }

detail::GradientRegistrar registrar{
    {"Add", addGrad}, {"Sub", subGrad}, {"Multiply", mulGrad}, {"RealDiv", divGrad},
    {"FloorDiv", divGrad}, {"DivNoNan", divNoNanGrad}, {"Mod", modGrad}, {"Pow", powGrad},
    {"Maximum", maximumGrad}, {"Minimum", minimumGrad}, {"SquaredDifference", squaredDifferenceGrad},
    {"Atan2", atan2Grad}, {"Prelu", preluGrad}, {"Select", selectGrad}, {"AddN", addNGrad},
};

}  // namespace
}  // namespace strata
