// Op table entries for the convolutions (see tests/conformance/ops/conv.mjs).
#include <gtest/gtest.h>

#include "ops/nn_attrs.h"

namespace strata::test {
namespace {

Conv2DOptions convOptions(const Json& a) {
  return {pairAttr(a, "strides", 1), padAttr(a), pairAttr(a, "dilations", 1)};
}

template <class F>
OpFn fused(F op) {
  return one([op](const Inputs& x, const Json& a) {
    FusedConv2DOptions o;
    o.strides = pairAttr(a, "strides", 1);
    o.pad = padAttr(a);
    o.dilations = pairAttr(a, "dilations", 1);
    fusedAttrs(o, x, a);
    return op(x[0], x[1], o);
  });
}

OpTableRegistrar registrar{
    // `dilatedFilter` only changes how TF.js computes the oracle (see conv.mjs).
    {"conv2d", one([](const Inputs& x, const Json& a) { return conv2d(x[0], x[1], convOptions(a)); })},
    {"depthwiseConv2d", one([](const Inputs& x, const Json& a) { return depthwiseConv2d(x[0], x[1], convOptions(a)); })},
    {"conv1d", one([](const Inputs& x, const Json& a) {
       Conv1DOptions o{attr<int>(a, "stride", 1), padAttr(a), attr<int>(a, "dilation", 1)};
       // TF.js writes 1-D explicit padding as 2-D ([[0,0],[0,0],[left,right],[0,0]]); ours is {left, right}.
       if (a["pad"].is_array()) o.pad = Padding::explicitPads(a["pad"][2][0], a["pad"][2][1], 0, 0);
       return conv1d(x[0], x[1], o);
     })},
    {"separableConv2d",
     one([](const Inputs& x, const Json& a) { return separableConv2d(x[0], x[1], x[2], convOptions(a)); })},
    {"conv2dTranspose", one([](const Inputs& x, const Json& a) {
       return conv2dTranspose(x[0], x[1], a["outputShape"].get<Shape>(), convOptions(a));
     })},
    {"conv2dBackpropInput", one([](const Inputs& x, const Json& a) {
       return conv2dBackpropInput(a["xShape"].get<Shape>(), x[0], x[1], convOptions(a));
     })},
    {"conv2dBackpropFilter", one([](const Inputs& x, const Json& a) {
       return conv2dBackpropFilter(x[0], x[1], a["filterShape"].get<Shape>(), convOptions(a));
     })},
    {"fusedConv2d", fused([](const Tensor& x, const Tensor& f, const FusedConv2DOptions& o) { return fusedConv2d(x, f, o); })},
    {"fusedDepthwiseConv2d",
     fused([](const Tensor& x, const Tensor& f, const FusedConv2DOptions& o) { return fusedDepthwiseConv2d(x, f, o); })},
};


// ---- errors and edge cases ---------------------------------------------------------------

class ConvErrors : public ::testing::Test {
 protected:
  void SetUp() override { setBackend("reference"); }
};

TEST_F(ConvErrors, NameTheOpArgumentAndShapes) {
  Tensor x = zeros({1, 5, 5, 2}), f = zeros({3, 3, 2, 4});
  EXPECT_ERROR(conv2d(zeros({5, 2}), f), "conv2d: x must have rank 4");
  EXPECT_ERROR(conv2d(x, zeros({3, 3, 2})), "conv2d: filter must have rank 4, got shape [3,3,2]");
  EXPECT_ERROR(conv2d(x, zeros({3, 3, 3, 4})), "conv2d: input depth 2 of shape [1,5,5,2]");
  EXPECT_ERROR(conv2d(x, f, {{2, 2}, "same", {2, 2}}), "either strides or dilations must be 1");
  EXPECT_ERROR(conv2d(x, f, {{0, 1}}), "strides must be positive");
  EXPECT_ERROR(conv2d(x, f, {{1, 1}, Padding::explicitPads(-1, 0, 0, 0)}), "explicit padding must be non-negative");
  EXPECT_ERROR(conv2d(zeros({1, 2, 2, 2}), zeros({5, 5, 2, 1})), "does not fit");
  EXPECT_ERROR(depthwiseConv2d(x, zeros({3, 3, 3, 2})), "depthwiseConv2d: input depth 2");
  EXPECT_ERROR(conv1d(x, zeros({3, 2, 2})), "conv1d: x must have rank 3");
  EXPECT_ERROR(separableConv2d(x, zeros({3, 3, 2, 2}), zeros({1, 1, 3, 5})), "pointwiseFilter must have shape [1,1,4,outC]");
  EXPECT_ERROR(conv2dTranspose(zeros({1, 3, 3, 4}), f, {1, 6, 6, 2}, {{2, 2}, "valid"}), "conv2dTranspose: dy has shape [1,3,3,4] but a convolution of an input of shape [1,6,6,2]");
  EXPECT_ERROR(conv2dTranspose(zeros({1, 3, 3, 4}), f, {6, 6, 2}), "rank");
  EXPECT_ERROR(conv2dBackpropFilter(x, zeros({1, 3, 3, 4}), {3, 3, 2}), "filterShape must have rank 4");
  EXPECT_ERROR(fusedConv2d(x, f, {.bias = zeros({3})}), "fusedConv2d");
  EXPECT_ERROR(fusedDepthwiseConv2d(x, zeros({3, 3, 2, 1}), {.activation = Activation::prelu}), "fusedDepthwiseConv2d: activation 'prelu' needs preluActivationWeights");
}

TEST_F(ConvErrors, TfjsOutputSizes) {
  Tensor f = zeros({3, 3, 1, 1});
  EXPECT_EQ(conv2d(zeros({1, 7, 8, 1}), f, {{2, 2}, "same"}).shape(), (Shape{1, 4, 4, 1}));
  EXPECT_EQ(conv2d(zeros({1, 7, 8, 1}), f, {{2, 2}, "valid"}).shape(), (Shape{1, 3, 3, 1}));
  EXPECT_EQ(conv2d(zeros({1, 7, 8, 1}), f, {{1, 1}, "same", {3, 3}}).shape(), (Shape{1, 7, 8, 1}));
  EXPECT_EQ(conv2d(zeros({1, 7, 8, 1}), f, {{1, 1}, "valid", {3, 3}}).shape(), (Shape{1, 1, 2, 1}));
  EXPECT_EQ(conv2d(zeros({1, 7, 8, 1}), f, {{2, 3}, Padding::explicitPads(1, 0, 2, 2)}).shape(), (Shape{1, 3, 4, 1}));
  // A filter exactly one larger than the input gives an empty output, as in TF.js.
  EXPECT_EQ(conv2d(zeros({1, 2, 2, 1}), f).shape(), (Shape{1, 0, 0, 1}));
}

}  // namespace
}  // namespace strata::test
