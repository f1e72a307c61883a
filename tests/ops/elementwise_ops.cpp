// Op table entries for unary and binary ops (see tests/conformance/ops/elementwise.mjs).
#include "ops/op_table.h"

namespace strata::test {
namespace {

#define U(NAME) {#NAME, one([](const Inputs& x, const Json&) { return NAME(x[0]); })}
#define B(NAME) {#NAME, one([](const Inputs& x, const Json&) { return NAME(x[0], x[1]); })}

OpTableRegistrar registrar{
    U(abs), U(acos), U(acosh), U(asin), U(asinh), U(atan), U(atanh), U(ceil), U(cos), U(cosh),
    U(erf), U(exp), U(expm1), U(floor), U(log), U(log1p), U(neg), U(reciprocal), U(round),
    U(rsqrt), U(sign), U(sin), U(sinh), U(sqrt), U(square), U(tan), U(tanh), U(isNaN), U(isInf),
    U(isFinite), U(logicalNot), U(relu), U(relu6), U(elu), U(selu), U(sigmoid), U(logSigmoid),
    U(softplus), U(softsign), U(swish), U(mish), U(hardSigmoid),
    {"gelu", one([](const Inputs& x, const Json&) { return gelu(x[0], false); })},
    {"geluTanh", one([](const Inputs& x, const Json&) { return gelu(x[0], true); })},
    {"leakyRelu", one([](const Inputs& x, const Json& a) { return leakyRelu(x[0], a["alpha"].get<float>()); })},
    {"step", one([](const Inputs& x, const Json& a) { return step(x[0], a["alpha"].get<float>()); })},
    {"clipByValue",
     one([](const Inputs& x, const Json& a) { return clipByValue(x[0], a["min"].get<float>(), a["max"].get<float>()); })},
    {"cast", one([](const Inputs& x, const Json& a) { return cast(x[0], parseDType(a["dtype"].get<std::string>())); })},
    B(add), B(sub), B(mul), B(div), B(divNoNan), B(floorDiv), B(mod), B(pow), B(maximum), B(minimum),
    B(squaredDifference), B(atan2), B(prelu), B(equal), B(notEqual), B(less), B(lessEqual), B(greater),
    B(greaterEqual), B(logicalAnd), B(logicalOr), B(logicalXor),
    {"where", one([](const Inputs& x, const Json&) { return where(x[0], x[1], x[2]); })},
    {"addN", one([](const Inputs& x, const Json&) { return addN(x); })},
};

}  // namespace
}  // namespace strata::test
