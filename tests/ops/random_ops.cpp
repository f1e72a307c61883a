// Op table entries for the degenerate random cases (see tests/conformance/ops/random.mjs); the
// statistics of the random ops are checked in random_test.cpp.
#include "ops/op_table.h"

namespace strata::test {
namespace {

OpTableRegistrar registrar{
    {"randomUniform", one([](const Inputs&, const Json& a) {
       return randomUniform(a["shape"].get<Shape>(), a["minval"].get<float>(), a["maxval"].get<float>(),
                            parseDType(attr<std::string>(a, "dtype", "float32")), 7);
     })},
    {"randomNormal", one([](const Inputs&, const Json& a) {
       return randomNormal(a["shape"].get<Shape>(), a["mean"].get<float>(), a["stdDev"].get<float>(), 7);
     })},
    {"truncatedNormal", one([](const Inputs&, const Json& a) {
       return truncatedNormal(a["shape"].get<Shape>(), a["mean"].get<float>(), a["stdDev"].get<float>(), 7);
     })},
    {"dropout", one([](const Inputs& x, const Json& a) { return dropout(x[0], a["rate"].get<float>()); })},
};

}  // namespace
}  // namespace strata::test
