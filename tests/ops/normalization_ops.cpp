// Op table entries for normalization and softmax (see tests/conformance/ops/normalization.mjs).
#include "ops/op_table.h"

namespace strata::test {
namespace {

OpTableRegistrar registrar{
    {"batchNorm", one([](const Inputs& x, const Json& a) {
       size_t i = 3;
       Tensor offset = attr(a, "offset", false) ? x[i++] : Tensor();
       Tensor scale = attr(a, "scale", false) ? x[i++] : Tensor();
       return batchNorm(x[0], x[1], x[2], offset, scale, attr(a, "epsilon", 0.001f));
     })},
    {"localResponseNormalization", one([](const Inputs& x, const Json& a) {
       return localResponseNormalization(x[0], a["depthRadius"].get<int>(), a["bias"].get<float>(),
                                         a["alpha"].get<float>(), a["beta"].get<float>());
     })},
    {"softmax", one([](const Inputs& x, const Json& a) { return softmax(x[0], attr(a, "axis", -1)); })},
    {"logSoftmax", one([](const Inputs& x, const Json& a) { return logSoftmax(x[0], attr(a, "axis", -1)); })},
};

}  // namespace
}  // namespace strata::test
