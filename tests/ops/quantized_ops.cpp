// Op table entries for the quantized compute ops (see tests/conformance/ops/quantized.mjs).
// The fixtures carry integers as int32: they become uint8 (x) and int8 (filters) tensors here,
// exactly (quantize with scale 1), and integer outputs go back as float32 values.
#include "ops/nn_attrs.h"

namespace strata::test {
namespace {

Tensor asInts(const Tensor& x, DType d) { return quantize(cast(x, DType::float32), 1.f, 0, d); }
// x: integers as uint8, or (attrs.floatInput) the float32 values the kernel quantizes itself.
Tensor input(const Tensor& x, const Json& a) { return attr<bool>(a, "floatInput", false) ? x : asInts(x, DType::uint8); }

QuantizedEpilogue epilogueAttrs(const Inputs& x, const Json& a) {
  QuantizedEpilogue e;
  e.inputScale = a.at("inputScale").get<float>();
  e.inputZeroPoint = a.at("inputZeroPoint").get<int>();
  e.filterScales = x[2];
  if (attr<bool>(a, "hasBias", false)) e.bias = x[3];
  e.activation = parseActivation(attr<std::string>(a, "activation", "linear"));
  if (a.contains("outputScale")) {
    e.outputDType = DType::uint8;
    e.outputScale = a["outputScale"].get<float>();
    e.outputZeroPoint = a.at("outputZeroPoint").get<int>();
  }
  return e;
}

// uint8 outputs as their integer values.
Tensor values(const Tensor& y) { return y.dtype() == DType::float32 ? y : dequantize(y, 1.f, 0); }

template <class F>
OpFn conv(F op) {
  return one([op](const Inputs& x, const Json& a) {
    QuantizedConv2DOptions o;
    o.strides = pairAttr(a, "strides", 1);
    o.pad = padAttr(a);
    o.dilations = pairAttr(a, "dilations", 1);
    o.q = epilogueAttrs(x, a);
    return values(op(input(x[0], a), asInts(x[1], DType::int8), o));
  });
}

OpTableRegistrar registrar{
    {"quantize", one([](const Inputs& x, const Json& a) {
       return dequantize(quantize(x[0], a.at("scale").get<float>(), a.at("zeroPoint").get<int>(),
                                  parseDType(a.at("dtype").get<std::string>())),
                         1.f, 0);
     })},
    {"dequantize", one([](const Inputs& x, const Json& a) {
       return dequantize(asInts(x[0], DType::uint8), a.at("scale").get<float>(), a.at("zeroPoint").get<int>());
     })},
    {"quantizedConv2d",
     conv([](const Tensor& x, const Tensor& f, const QuantizedConv2DOptions& o) { return quantizedConv2d(x, f, o); })},
    {"quantizedDepthwiseConv2d",
     conv([](const Tensor& x, const Tensor& f, const QuantizedConv2DOptions& o) { return quantizedDepthwiseConv2d(x, f, o); })},
    {"quantizedMatMul", one([](const Inputs& x, const Json& a) {
       return values(quantizedMatMul(input(x[0], a), asInts(x[1], DType::int8), epilogueAttrs(x, a)));
     })},
};

}  // namespace
}  // namespace strata::test
