// Autograd API: grad, grads, valueAndGrad(s), variableGrads, customGrad, and that nothing is
// recorded outside a gradient.
#include <gtest/gtest.h>

#include "strata/strata.h"

namespace st = strata;

class GradTest : public ::testing::Test {
 protected:
  void SetUp() override { st::setBackend("reference"); }
};

// d/dx sum(x^3) = 3x^2 (mathematics)
TEST_F(GradTest, Grad) {
  auto g = st::grad([](const st::Tensor& x) { return st::sum(st::mul(x, st::square(x))); });
  auto dx = g(st::tensor({1, -2, 3}));
  EXPECT_EQ(dx.dataSync(), (std::vector<float>{3, 12, 27}));
}

TEST_F(GradTest, GradWithDy) {
  auto g = st::grad([](const st::Tensor& x) { return st::mul(x, st::scalar(2.0f)); });
  EXPECT_EQ(g(st::tensor({1, 2}), st::tensor({3, 4})).dataSync(), (std::vector<float>{6, 8}));
  EXPECT_THROW(g(st::tensor({1, 2}), st::tensor({1, 2, 3})), st::Error);
}

TEST_F(GradTest, GradsAndValues) {
  auto f = [](const std::vector<st::Tensor>& v) { return st::sum(st::mul(v[0], v[1])); };
  auto a = st::tensor({1, 2}), b = st::tensor({3, 4});
  auto r = st::valueAndGrads(f)({a, b});
  EXPECT_EQ(r.value.item(), 11.0f);
  EXPECT_EQ(r.grads[0].dataSync(), (std::vector<float>{3, 4}));
  EXPECT_EQ(r.grads[1].dataSync(), (std::vector<float>{1, 2}));
  auto vg = st::valueAndGrad([](const st::Tensor& x) { return st::sum(st::exp(x)); })(st::tensor({0.0f}));
  EXPECT_FLOAT_EQ(vg.value.item(), 1.0f);
  EXPECT_FLOAT_EQ(vg.grad.item(), 1.0f);
}

TEST_F(GradTest, SameInputUsedTwiceAccumulates) {
  auto g = st::grad([](const st::Tensor& x) { return st::sum(st::add(st::mul(x, x), x)); });
  EXPECT_EQ(g(st::tensor({1, 2})).dataSync(), (std::vector<float>{3, 5}));
}

TEST_F(GradTest, UnrelatedInputIsAnError) {
  auto other = st::tensor({1});
  auto g = st::grad([&](const st::Tensor&) { return st::sum(other); });
  EXPECT_THROW(g(st::tensor({1, 2})), st::Error);
}

TEST_F(GradTest, VariableGrads) {
  auto w = st::variable(st::tensor({2, 3}), true, "vg_w");
  auto frozen = st::variable(st::tensor({5}), false, "vg_frozen");
  auto r = st::variableGrads([&] { return st::sum(st::mul(st::mul(w, w), frozen)); });
  EXPECT_EQ(r.value.item(), 5 * (4 + 9));
  ASSERT_EQ(r.grads.count("vg_w"), 1u);
  EXPECT_EQ(r.grads.count("vg_frozen"), 0u);  // not trainable
  EXPECT_EQ(r.grads["vg_w"].dataSync(), (std::vector<float>{20, 30}));
  EXPECT_THROW(st::variableGrads([&] { return st::mul(w, w); }), st::Error);  // not a scalar
  w.dispose();
  frozen.dispose();
}

TEST_F(GradTest, CustomGradReplacesTheGradient) {
  auto f = st::customGrad([](const std::vector<st::Tensor>& xs) {
    st::Tensor x = xs[0];
    return st::CustomGradResult{st::square(x), [x](const st::Tensor& dy) {
                                  return std::vector<st::Tensor>{st::mul(dy, st::scalar(10.0f))};
                                }};
  });
  auto g = st::grad([&](const st::Tensor& x) { return st::sum(f({x})); });
  EXPECT_EQ(g(st::tensor({1, 2})).dataSync(), (std::vector<float>{10, 10}));
  EXPECT_EQ(f({st::tensor({3})}).item(), 9.0f);
}

TEST_F(GradTest, NothingIsRecordedOutsideAGradient) {
  auto x = st::tensor({1, 2});
  auto before = st::memory();
  auto y = st::exp(x);
  // Only y exists: no saved copies of inputs/outputs were made for a tape.
  EXPECT_EQ(st::memory().numTensors, before.numTensors + 1);
  EXPECT_EQ(st::memory().numDataBuffers, before.numDataBuffers + 1);
}

TEST_F(GradTest, GradientLeavesNoTensorsBehind) {
  auto x = st::tensor({1, 2, 3});
  auto before = st::memory();
  auto dx = st::grad([](const st::Tensor& t) { return st::sum(st::sigmoid(st::mul(t, t))); })(x);
  EXPECT_EQ(st::memory().numTensors, before.numTensors + 1);  // just dx
  dx.dispose();
  EXPECT_EQ(st::memory().numBytes, before.numBytes);
}
