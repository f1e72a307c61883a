// Reference kernels for unary, binary, comparison, logical and select ops. Float math runs in
// double and rounds once to float32, as TF.js's JavaScript kernels do.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "backends/reference/kernels.h"
#include "core/schema/elementwise.h"
#include "core/shape_util.h"
#include "strata/error.h"

namespace strata::reference {
namespace {

using schema::CastAttrs;
using schema::UnaryAttrs;

// ---- unary ------------------------------------------------------------------------------

template <class T, class Out, class F>
void mapUnary(const KernelCall& c, F f) {
  const T* x = c.in(0).as<T>();
  Out* y = c.out().as<Out>();
  for (int64_t i = 0; i < c.out().size; ++i) y[i] = static_cast<Out>(f(x[i]));
}

// A float32 -> float32 kernel from a double -> double function of x and the attributes.
#define FLOAT_UNARY(NAME, EXPR)                                                  \
  void NAME(const KernelCall& c) {                                              \
    const UnaryAttrs* at = static_cast<const UnaryAttrs*>(c.attrs);             \
    const double alpha = at ? at->alpha : 0, beta = at ? at->beta : 0;          \
    (void)alpha;                                                                 \
    (void)beta;                                                                  \
    mapUnary<float, float>(c, [=](double x) { return EXPR; });                   \
  }
// A kernel for float32 and int32 inputs.
#define NUMERIC_UNARY(NAME, EXPR)                                                \
  void NAME(const KernelCall& c) {                                              \
    if (c.in(0).dtype == DType::int32)                                          \
      mapUnary<int32_t, int32_t>(c, [](int64_t x) { return EXPR; });             \
    else                                                                         \
      mapUnary<float, float>(c, [](double x) { return EXPR; });                  \
  }
// float32 in, bool out.
#define FLOAT_TEST(NAME, EXPR) \
  void NAME(const KernelCall& c) { mapUnary<float, uint8_t>(c, [](double x) { return (EXPR) ? 1 : 0; }); }

constexpr double kSeluScale = 1.0507009873554804934193349852946;
constexpr double kSeluAlpha = 1.6732632423543772848170429916717;

double softplus(double x) {
  // TF.js's thresholds: exact enough at the tails without overflow.
  const double threshold = std::log(1.1920928955078125e-7) + 2.0;
  if (x > -threshold) return x;
  if (x < threshold) return std::exp(x);
  return std::log1p(std::exp(x));
}

double roundHalfEven(double x) {
  double base = std::floor(x);
  double frac = x - base;
  if (frac < 0.5) return base;
  if (frac > 0.5) return base + 1;
  return std::fmod(base, 2.0) == 0 ? base : base + 1;
}

FLOAT_UNARY(acosK, std::acos(x))
FLOAT_UNARY(acoshK, std::acosh(x))
FLOAT_UNARY(asinK, std::asin(x))
FLOAT_UNARY(asinhK, std::asinh(x))
FLOAT_UNARY(atanK, std::atan(x))
FLOAT_UNARY(atanhK, std::atanh(x))
FLOAT_UNARY(ceilK, std::ceil(x))
FLOAT_UNARY(cosK, std::cos(x))
FLOAT_UNARY(coshK, std::cosh(x))
FLOAT_UNARY(eluK, x >= 0 ? x : std::expm1(x))
FLOAT_UNARY(erfK, std::erf(x))
FLOAT_UNARY(expK, std::exp(x))
FLOAT_UNARY(expm1K, std::expm1(x))
FLOAT_UNARY(floorK, std::floor(x))
FLOAT_UNARY(logK, std::log(x))
FLOAT_UNARY(log1pK, std::log1p(x))
FLOAT_UNARY(reciprocalK, 1.0 / x)
FLOAT_UNARY(roundK, roundHalfEven(x))
FLOAT_UNARY(rsqrtK, 1.0 / std::sqrt(x))
FLOAT_UNARY(seluK, x >= 0 ? kSeluScale * x : kSeluScale * kSeluAlpha * std::expm1(x))
FLOAT_UNARY(sigmoidK, 1.0 / (1.0 + std::exp(-x)))
FLOAT_UNARY(sinK, std::sin(x))
FLOAT_UNARY(sinhK, std::sinh(x))
FLOAT_UNARY(softplusK, softplus(x))
FLOAT_UNARY(sqrtK, std::sqrt(x))
FLOAT_UNARY(tanK, std::tan(x))
FLOAT_UNARY(tanhK, std::tanh(x))
FLOAT_UNARY(relu6K, std::isnan(x) ? x : std::min(std::max(x, 0.0), 6.0))
FLOAT_UNARY(leakyReluK, x < 0 ? alpha * x : x)
FLOAT_UNARY(clipK, std::isnan(x) ? x : std::min(std::max(x, alpha), beta))
FLOAT_UNARY(stepK, std::isnan(x) ? x : (x > 0 ? 1.0 : alpha))
FLOAT_UNARY(geluK, 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0))))
FLOAT_UNARY(geluTanhK, 0.5 * x * (1.0 + std::tanh(std::sqrt(2.0 / M_PI) * (x + 0.044715 * x * x * x))))
NUMERIC_UNARY(absK, x < 0 ? -x : x)
NUMERIC_UNARY(negK, -x)
NUMERIC_UNARY(signK, x > 0 ? 1 : (x < 0 ? -1 : 0))
NUMERIC_UNARY(squareK, x * x)
NUMERIC_UNARY(reluK, x > 0 ? x : 0)
FLOAT_TEST(isNanK, std::isnan(x))
FLOAT_TEST(isInfK, std::isinf(x))
FLOAT_TEST(isFiniteK, std::isfinite(x))

void logicalNotK(const KernelCall& c) { mapUnary<uint8_t, uint8_t>(c, [](uint8_t x) { return x ? 0 : 1; }); }

template <class From>
void castFrom(const KernelCall& c) {
  DType to = c.out().dtype;
  switch (to) {
    case DType::float32: mapUnary<From, float>(c, [](From x) { return static_cast<float>(x); }); break;
    case DType::int32:
      mapUnary<From, int32_t>(c, [](From x) { return static_cast<int32_t>(x); });
      break;
    case DType::bool_: mapUnary<From, uint8_t>(c, [](From x) { return x != From(0) ? 1 : 0; }); break;
    default: throw Error("Cast: unsupported target dtype " + std::string(dtypeName(to)));
  }
}
void castK(const KernelCall& c) {
  switch (c.in(0).dtype) {
    case DType::float32: castFrom<float>(c); break;
    case DType::int32: castFrom<int32_t>(c); break;
    case DType::bool_:
    case DType::uint8: castFrom<uint8_t>(c); break;
    case DType::uint16: castFrom<uint16_t>(c); break;
    case DType::int8: castFrom<int8_t>(c); break;
    default: throw Error("Cast: unsupported source dtype " + std::string(dtypeName(c.in(0).dtype)));
  }
}

// ZerosLike/OnesLike: fill the output with 0 or 1 of its dtype.
template <int V>
void fillLikeK(const KernelCall& c) {
  const TensorView& o = c.out();
  switch (o.dtype) {
    case DType::float32: std::fill_n(o.as<float>(), o.size, static_cast<float>(V)); break;
    case DType::int32: std::fill_n(o.as<int32_t>(), o.size, V); break;
    default: std::fill_n(o.as<uint8_t>(), o.size, static_cast<uint8_t>(V)); break;
  }
}

// ---- binary -----------------------------------------------------------------------------

// Applies f over the broadcast of inputs a and b into the output.
template <class T, class Out, class F>
void mapBinary(const KernelCall& c, F f) {
  const TensorView &a = c.in(0), &b = c.in(1);
  const TensorView& o = c.out();
  const T* pa = a.as<T>();
  const T* pb = b.as<T>();
  Out* po = o.as<Out>();
  if (o.size == 0) return;
  if (*a.shape == *o.shape && *b.shape == *o.shape) {
    for (int64_t i = 0; i < o.size; ++i) po[i] = static_cast<Out>(f(pa[i], pb[i]));
    return;
  }
  detail::StridedIter it(*o.shape, {detail::broadcastStrides(*a.shape, *o.shape),
                                    detail::broadcastStrides(*b.shape, *o.shape)});
  for (int64_t i = 0; i < o.size; ++i, it.next())
    po[i] = static_cast<Out>(f(pa[it.offsets()[0]], pb[it.offsets()[1]]));
}

double floorMod(double a, double b) {
  double r = std::fmod(a, b);
  return (r != 0 && ((r < 0) != (b < 0))) ? r + b : r;
}
int64_t floorModInt(int64_t a, int64_t b) {
  if (b == 0) return 0;
  int64_t r = a % b;
  return (r != 0 && ((r < 0) != (b < 0))) ? r + b : r;
}
int64_t floorDivInt(int64_t a, int64_t b) {
  if (b == 0) return 0;
  int64_t q = a / b;
  return (q * b != a && ((a < 0) != (b < 0))) ? q - 1 : q;
}

// float32 and int32 arithmetic: EXPR over doubles x, y (float) or int64 x, y (int).
#define ARITH(NAME, FEXPR, IEXPR)                                                             \
  void NAME(const KernelCall& c) {                                                          \
    if (c.in(0).dtype == DType::int32)                                                      \
      mapBinary<int32_t, int32_t>(c, [](int64_t x, int64_t y) { return IEXPR; });            \
    else                                                                                     \
      mapBinary<float, float>(c, [](double x, double y) { return FEXPR; });                  \
  }

ARITH(addK, x + y, x + y)
ARITH(subK, x - y, x - y)
ARITH(mulK, x * y, x * y)
ARITH(divK, x / y, floorDivInt(x, y))
ARITH(modK, floorMod(x, y), floorModInt(x, y))
ARITH(powK, std::pow(x, y), static_cast<int64_t>(std::pow(static_cast<double>(x), static_cast<double>(y))))
ARITH(maximumK, (std::isnan(x) || std::isnan(y)) ? NAN : std::max(x, y), std::max(x, y))
ARITH(minimumK, (std::isnan(x) || std::isnan(y)) ? NAN : std::min(x, y), std::min(x, y))
ARITH(squaredDifferenceK, (x - y) * (x - y), (x - y) * (x - y))
ARITH(atan2K, std::atan2(x, y), static_cast<int64_t>(std::atan2(static_cast<double>(x), static_cast<double>(y))))
ARITH(divNoNanK, y == 0 ? 0.0 : x / y, y == 0 ? 0 : floorDivInt(x, y))
ARITH(preluK, x < 0 ? y * x : x, x < 0 ? y * x : x)

// FloorDiv: float32 or int32 in, int32 out (TF.js).
void floorDivK(const KernelCall& c) {
  if (c.in(0).dtype == DType::int32)
    mapBinary<int32_t, int32_t>(c, [](int64_t x, int64_t y) { return floorDivInt(x, y); });
  else
    mapBinary<float, int32_t>(c, [](double x, double y) { return static_cast<int32_t>(std::floor(x / y)); });
}

// Comparisons: any input dtype, bool output.
template <class F>
void compare(const KernelCall& c, F f) {
  switch (c.in(0).dtype) {
    case DType::float32: mapBinary<float, uint8_t>(c, [&](double x, double y) { return f(x, y) ? 1 : 0; }); break;
    case DType::int32: mapBinary<int32_t, uint8_t>(c, [&](double x, double y) { return f(x, y) ? 1 : 0; }); break;
    default: mapBinary<uint8_t, uint8_t>(c, [&](double x, double y) { return f(x, y) ? 1 : 0; }); break;
  }
}
#define COMPARE(NAME, EXPR) \
  void NAME(const KernelCall& c) { compare(c, [](double x, double y) { return EXPR; }); }
COMPARE(equalK, x == y)
COMPARE(notEqualK, x != y)
COMPARE(lessK, x < y)
COMPARE(lessEqualK, x <= y)
COMPARE(greaterK, x > y)
COMPARE(greaterEqualK, x >= y)

#define LOGICAL(NAME, EXPR)                                                                     \
  void NAME(const KernelCall& c) {                                                            \
    mapBinary<uint8_t, uint8_t>(c, [](uint8_t x, uint8_t y) { return (EXPR) ? 1 : 0; });       \
  }
LOGICAL(logicalAndK, x && y)
LOGICAL(logicalOrK, x || y)
LOGICAL(logicalXorK, (x != 0) != (y != 0))

// Select(condition, a, b): all three broadcast to the output.
void selectK(const KernelCall& c) {
  const TensorView &cond = c.in(0), &a = c.in(1), &b = c.in(2);
  const TensorView& o = c.out();
  if (o.size == 0) return;
  const size_t esize = dtypeSize(o.dtype);
  const uint8_t* pc = cond.as<uint8_t>();
  const char* pa = a.as<char>();
  const char* pb = b.as<char>();
  char* po = o.as<char>();
  detail::StridedIter it(*o.shape, {detail::broadcastStrides(*cond.shape, *o.shape),
                                    detail::broadcastStrides(*a.shape, *o.shape),
                                    detail::broadcastStrides(*b.shape, *o.shape)});
  for (int64_t i = 0; i < o.size; ++i, it.next()) {
    const auto& off = it.offsets();
    const char* src = pc[off[0]] ? pa + off[1] * esize : pb + off[2] * esize;
    std::memcpy(po + i * esize, src, esize);
  }
}

// AddN: n inputs of the output's shape.
void addNK(const KernelCall& c) {
  const TensorView& o = c.out();
  if (o.dtype == DType::int32) {
    int32_t* po = o.as<int32_t>();
    for (int64_t i = 0; i < o.size; ++i) {
      int64_t s = 0;
      for (const auto& in : c.inputs) s += in.as<int32_t>()[i];
      po[i] = static_cast<int32_t>(s);
    }
    return;
  }
  float* po = o.as<float>();
  for (int64_t i = 0; i < o.size; ++i) {
    double s = 0;
    for (const auto& in : c.inputs) s += in.as<float>()[i];
    po[i] = static_cast<float>(s);
  }
}

const KernelEntry kKernels[] = {
    {"Abs", absK}, {"Acos", acosK}, {"Acosh", acoshK}, {"Asin", asinK}, {"Asinh", asinhK},
    {"Atan", atanK}, {"Atanh", atanhK}, {"Ceil", ceilK}, {"Cos", cosK}, {"Cosh", coshK},
    {"Elu", eluK}, {"Erf", erfK}, {"Exp", expK}, {"Expm1", expm1K}, {"Floor", floorK},
    {"Log", logK}, {"Log1p", log1pK}, {"Neg", negK}, {"Reciprocal", reciprocalK}, {"Round", roundK},
    {"Rsqrt", rsqrtK}, {"Selu", seluK}, {"Sigmoid", sigmoidK}, {"Sign", signK}, {"Sin", sinK},
    {"Sinh", sinhK}, {"Softplus", softplusK}, {"Sqrt", sqrtK}, {"Square", squareK}, {"Tan", tanK},
    {"Tanh", tanhK}, {"Relu", reluK}, {"Relu6", relu6K}, {"LeakyRelu", leakyReluK},
    {"ClipByValue", clipK}, {"Step", stepK}, {"Gelu", geluK}, {"GeluTanh", geluTanhK},
    {"IsNan", isNanK}, {"IsInf", isInfK}, {"IsFinite", isFiniteK}, {"LogicalNot", logicalNotK},
    {"Cast", castK}, {"ZerosLike", fillLikeK<0>}, {"OnesLike", fillLikeK<1>},
    {"Add", addK}, {"Sub", subK}, {"Multiply", mulK}, {"RealDiv", divK}, {"FloorDiv", floorDivK},
    {"Mod", modK}, {"Pow", powK}, {"Maximum", maximumK}, {"Minimum", minimumK},
    {"SquaredDifference", squaredDifferenceK}, {"Atan2", atan2K}, {"DivNoNan", divNoNanK},
    {"Prelu", preluK}, {"AddN", addNK},
    {"Equal", equalK}, {"NotEqual", notEqualK}, {"Less", lessK}, {"LessEqual", lessEqualK},
    {"Greater", greaterK}, {"GreaterEqual", greaterEqualK},
    {"LogicalAnd", logicalAndK}, {"LogicalOr", logicalOrK}, {"LogicalXor", logicalXorK},
    {"Select", selectK},
};

}  // namespace

void registerElementwiseKernels() { registerKernels(kName, kKernels); }

}  // namespace strata::reference
