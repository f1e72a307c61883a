// Unary math and activations: validation, dispatch, and gradients (written with ops).
#include "strata/ops/unary.h"

#include <cmath>

#include "core/schema/elementwise.h"
#include "ops/op_util.h"

namespace strata {

using detail::GradArgs;
using detail::run1;
using schema::UnaryAttrs;

namespace {

// Float-only kernels cast integer inputs first (TF.js does).
Tensor floatUnary(const char* kernel, const Tensor& x, UnaryAttrs attrs = {}) {
  detail::checkUsable(x, kernel, 0);
  Tensor xf = detail::toFloat(x);
  return run1(kernelId(kernel), {xf}, xf.shape(), DType::float32, attrs);
}

// float32 and int32 kernels (bool is computed as int32).
Tensor numericUnary(const char* kernel, const Tensor& x) {
  detail::checkUsable(x, kernel, 0);
  Tensor xn = x.dtype() == DType::bool_ ? cast(x, DType::int32) : x;
  return run1(kernelId(kernel), {xn}, xn.shape(), xn.dtype(), UnaryAttrs{});
}

Tensor boolUnary(const char* kernel, const Tensor& x) {
  detail::checkUsable(x, kernel, 0);
  Tensor xf = detail::toFloat(x);
  return run1(kernelId(kernel), {xf}, xf.shape(), DType::bool_, UnaryAttrs{});
}

}  // namespace

#define FLOAT_OP(FN, KERNEL) \
  Tensor FN(const Tensor& x) { return floatUnary(KERNEL, x); }
FLOAT_OP(acos, "Acos")
FLOAT_OP(acosh, "Acosh")
FLOAT_OP(asin, "Asin")
FLOAT_OP(asinh, "Asinh")
FLOAT_OP(atan, "Atan")
FLOAT_OP(atanh, "Atanh")
FLOAT_OP(ceil, "Ceil")
FLOAT_OP(cos, "Cos")
FLOAT_OP(cosh, "Cosh")
FLOAT_OP(erf, "Erf")
FLOAT_OP(exp, "Exp")
FLOAT_OP(expm1, "Expm1")
FLOAT_OP(floor, "Floor")
FLOAT_OP(log, "Log")
FLOAT_OP(log1p, "Log1p")
FLOAT_OP(reciprocal, "Reciprocal")
FLOAT_OP(round, "Round")
FLOAT_OP(rsqrt, "Rsqrt")
FLOAT_OP(sin, "Sin")
FLOAT_OP(sinh, "Sinh")
FLOAT_OP(sqrt, "Sqrt")
FLOAT_OP(tan, "Tan")
FLOAT_OP(tanh, "Tanh")
FLOAT_OP(relu6, "Relu6")
FLOAT_OP(elu, "Elu")
FLOAT_OP(selu, "Selu")
FLOAT_OP(sigmoid, "Sigmoid")
FLOAT_OP(softplus, "Softplus")
#undef FLOAT_OP

Tensor abs(const Tensor& x) { return numericUnary("Abs", x); }
Tensor neg(const Tensor& x) { return numericUnary("Neg", x); }
Tensor sign(const Tensor& x) { return numericUnary("Sign", x); }
Tensor square(const Tensor& x) { return numericUnary("Square", x); }
Tensor relu(const Tensor& x) { return numericUnary("Relu", x); }

Tensor isNaN(const Tensor& x) { return boolUnary("IsNan", x); }
Tensor isInf(const Tensor& x) { return boolUnary("IsInf", x); }
Tensor isFinite(const Tensor& x) { return boolUnary("IsFinite", x); }

Tensor logicalNot(const Tensor& x) {
  detail::checkUsable(x, "logicalNot", 0);
  Tensor xb = x.dtype() == DType::bool_ ? x : cast(x, DType::bool_);
  return run1(kernelId("LogicalNot"), {xb}, xb.shape(), DType::bool_, UnaryAttrs{});
}

Tensor leakyRelu(const Tensor& x, float alpha) { return floatUnary("LeakyRelu", x, {alpha, 0}); }
Tensor step(const Tensor& x, float alpha) { return floatUnary("Step", x, {alpha, 0}); }
Tensor gelu(const Tensor& x, bool approximate) { return floatUnary(approximate ? "GeluTanh" : "Gelu", x); }

Tensor clipByValue(const Tensor& x, float min, float max) {
  if (min > max)
    throw Error("clipByValue: min (" + std::to_string(min) + ") must not exceed max (" + std::to_string(max) + ")");
  return floatUnary("ClipByValue", x, {min, max});
}

Tensor logSigmoid(const Tensor& x) { return neg(softplus(neg(x))); }
Tensor softsign(const Tensor& x) { return div(x, add(abs(x), scalar(1.0f))); }
Tensor swish(const Tensor& x) { return mul(x, sigmoid(x)); }
Tensor mish(const Tensor& x) { return mul(x, tanh(softplus(x))); }
Tensor hardSigmoid(const Tensor& x) { return clipByValue(add(mul(x, scalar(0.2f)), scalar(0.5f)), 0.0f, 1.0f); }

Tensor cast(const Tensor& x, DType dtype) {
  detail::checkUsable(x, "cast", 0);
  if (dtype != DType::float32 && dtype != DType::int32 && dtype != DType::bool_)
    throw Error("cast: target dtype must be float32, int32 or bool, got " + std::string(dtypeName(dtype)));
  if (x.dtype() == dtype) return x.clone();
  return run1(kernelId("Cast"), {x}, x.shape(), dtype, schema::CastAttrs{dtype});
}

// ---- gradients --------------------------------------------------------------------------

namespace {

Tensor one() { return scalar(1.0f); }
std::vector<Tensor> zerosGrad(const GradArgs& g) { return {zerosLike(g.x())}; }

#define GRAD(NAME, EXPR)                                   \
  std::vector<Tensor> NAME(const GradArgs& g) {            \
    const Tensor &dy = g.dy(), &x = g.x();                 \
    (void)x;                                               \
    return {EXPR};                                         \
  }

GRAD(absGrad, mul(dy, sign(cast(x, DType::float32))))
GRAD(acosGrad, neg(div(dy, sqrt(sub(one(), square(x))))))
GRAD(acoshGrad, div(dy, sqrt(sub(square(x), one()))))
GRAD(asinGrad, div(dy, sqrt(sub(one(), square(x)))))
GRAD(asinhGrad, div(dy, sqrt(add(one(), square(x)))))
GRAD(atanGrad, div(dy, add(one(), square(x))))
GRAD(atanhGrad, div(dy, sub(one(), square(x))))
GRAD(cosGrad, mul(neg(sin(x)), dy))
GRAD(coshGrad, mul(sinh(x), dy))
GRAD(eluGrad, where(greaterEqual(g.y(), scalar(0.0f)), dy, mul(dy, add(g.y(), one()))))
GRAD(erfGrad, mul(dy, mul(scalar(static_cast<float>(2.0 / std::sqrt(M_PI))), exp(neg(square(x))))))
GRAD(expGrad, mul(dy, g.y()))
GRAD(expm1Grad, mul(dy, exp(x)))
GRAD(logGrad, div(dy, x))
GRAD(log1pGrad, div(dy, add(one(), x)))
GRAD(negGrad, neg(dy))
GRAD(reciprocalGrad, neg(div(dy, square(x))))
GRAD(rsqrtGrad, neg(div(dy, mul(pow(x, scalar(1.5f)), scalar(2.0f)))))
GRAD(seluGrad, where(greater(x, scalar(0.0f)), mul(dy, scalar(1.0507009873554804934193349852946f)),
                     mul(dy, mul(scalar(1.7580993408473768599402175208123f), exp(x)))))
GRAD(sigmoidGrad, mul(dy, mul(g.y(), sub(one(), g.y()))))
GRAD(sinGrad, mul(cos(x), dy))
GRAD(sinhGrad, mul(cosh(x), dy))
GRAD(softplusGrad, mul(dy, sigmoid(x)))
GRAD(sqrtGrad, div(dy, mul(sqrt(x), scalar(2.0f))))
GRAD(squareGrad, mul(dy, mul(cast(x, DType::float32), scalar(2.0f))))
GRAD(tanGrad, div(dy, square(cos(x))))
GRAD(tanhGrad, mul(dy, sub(one(), square(g.y()))))
GRAD(reluGrad, mul(dy, step(cast(x, DType::float32))))
GRAD(relu6Grad, mul(dy, cast(logicalAnd(greater(x, scalar(0.0f)), lessEqual(x, scalar(6.0f))), DType::float32)))
GRAD(geluGrad, mul(dy, add(mul(scalar(0.5f), add(one(), erf(mul(x, scalar(static_cast<float>(M_SQRT1_2)))))),
                           mul(x, mul(scalar(static_cast<float>(1.0 / std::sqrt(2.0 * M_PI))),
                                      exp(mul(square(x), scalar(-0.5f))))))))

std::vector<Tensor> geluTanhGrad(const GradArgs& g) {
  // d/dx 0.5x(1+tanh(u)), u = c(x + 0.044715x^3)
  const float c = static_cast<float>(std::sqrt(2.0 / M_PI));
  const Tensor& x = g.x();
  Tensor u = mul(scalar(c), add(x, mul(scalar(0.044715f), pow(x, scalar(3.0f)))));
  Tensor t = tanh(u);
  Tensor du = mul(scalar(c), add(one(), mul(scalar(3 * 0.044715f), square(x))));
  Tensor d = add(mul(scalar(0.5f), add(one(), t)), mul(mul(scalar(0.5f), x), mul(sub(one(), square(t)), du)));
  return {mul(g.dy(), d)};
}

std::vector<Tensor> leakyReluGrad(const GradArgs& g) {
  float alpha = g.attr<UnaryAttrs>().alpha;
  return {where(greater(g.x(), scalar(0.0f)), g.dy(), mul(g.dy(), scalar(alpha)))};
}

std::vector<Tensor> clipGrad(const GradArgs& g) {
  const auto& a = g.attr<UnaryAttrs>();
  Tensor inside = logicalAnd(greaterEqual(g.x(), scalar(a.alpha)), lessEqual(g.x(), scalar(a.beta)));
  return {where(inside, g.dy(), zerosLike(g.dy()))};
}

std::vector<Tensor> castGrad(const GradArgs& g) {
  if (g.x().dtype() != DType::float32) return {Tensor()};
  return {cast(g.dy(), DType::float32)};
}

detail::GradientRegistrar registrar{
    {"Abs", absGrad}, {"Acos", acosGrad}, {"Acosh", acoshGrad}, {"Asin", asinGrad},
    {"Asinh", asinhGrad}, {"Atan", atanGrad}, {"Atanh", atanhGrad}, {"Ceil", zerosGrad},
    {"Cos", cosGrad}, {"Cosh", coshGrad}, {"Elu", eluGrad}, {"Erf", erfGrad}, {"Exp", expGrad},
    {"Expm1", expm1Grad}, {"Floor", zerosGrad}, {"Log", logGrad}, {"Log1p", log1pGrad},
    {"Neg", negGrad}, {"Reciprocal", reciprocalGrad}, {"Round", zerosGrad}, {"Rsqrt", rsqrtGrad},
    {"Selu", seluGrad}, {"Sigmoid", sigmoidGrad}, {"Sign", zerosGrad}, {"Sin", sinGrad},
    {"Sinh", sinhGrad}, {"Softplus", softplusGrad}, {"Sqrt", sqrtGrad}, {"Square", squareGrad},
    {"Tan", tanGrad}, {"Tanh", tanhGrad}, {"Relu", reluGrad}, {"Relu6", relu6Grad},
    {"LeakyRelu", leakyReluGrad}, {"ClipByValue", clipGrad}, {"Step", zerosGrad},
    {"Gelu", geluGrad}, {"GeluTanh", geluTanhGrad}, {"Cast", castGrad},
};

}  // namespace
}  // namespace strata
