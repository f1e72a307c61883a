// Op table entries for tensor creation (see tests/conformance/ops/creation.mjs).
#include "ops/op_table.h"

namespace strata::test {
namespace {

DType dt(const Json& a) { return parseDType(attr<std::string>(a, "dtype", "float32")); }
Shape shapeOf(const Json& a) { return a["shape"].get<Shape>(); }

Tensor tensorFrom(const Json& a) {
  std::vector<float> v = a["values"].get<std::vector<float>>();
  DType d = dt(a);
  if (d == DType::int32) return tensorInt(std::vector<int32_t>(v.begin(), v.end()), shapeOf(a));
  if (d == DType::bool_) {
    std::vector<uint8_t> b(v.begin(), v.end());
    return tensorBool(std::span<const uint8_t>(b), shapeOf(a));
  }
  return tensor(v, shapeOf(a));
}

OpTableRegistrar registrar{
    {"zeros", one([](const Inputs&, const Json& a) { return zeros(shapeOf(a), dt(a)); })},
    {"ones", one([](const Inputs&, const Json& a) { return ones(shapeOf(a), dt(a)); })},
    {"fill", one([](const Inputs&, const Json& a) { return fill(shapeOf(a), a["value"].get<float>(), dt(a)); })},
    {"zerosLike", one([](const Inputs& x, const Json&) { return zerosLike(x[0]); })},
    {"onesLike", one([](const Inputs& x, const Json&) { return onesLike(x[0]); })},
    {"range", one([](const Inputs&, const Json& a) {
       return range(a["start"].get<float>(), a["stop"].get<float>(), a["step"].get<float>(), dt(a));
     })},
    {"linspace", one([](const Inputs&, const Json& a) {
       return linspace(a["start"].get<float>(), a["stop"].get<float>(), a["num"].get<int>());
     })},
    {"eye", one([](const Inputs&, const Json& a) {
       return eye(a["numRows"].get<int>(), attr<int>(a, "numColumns", -1), attr<Shape>(a, "batchShape", {}), dt(a));
     })},
    {"tensor", one([](const Inputs&, const Json& a) { return tensorFrom(a); })},
    {"scalar", one([](const Inputs&, const Json& a) { return scalar(a["value"].get<double>(), dt(a)); })},
};

}  // namespace
}  // namespace strata::test
