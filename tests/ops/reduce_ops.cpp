// Op table entries for reductions and scans (see tests/conformance/ops/reduce.mjs), and unit
// tests for behaviour the TF.js cases cannot check.
#include <gtest/gtest.h>

#include "ops/op_table.h"

namespace strata::test {
namespace {

// `axis`: null or missing (every axis), a number, or a list.
std::vector<int> axesOf(const Json& a) {
  if (!a.contains("axis") || a["axis"].is_null()) return {};
  if (a["axis"].is_number()) return {a["axis"].get<int>()};
  return a["axis"].get<std::vector<int>>();
}
bool keepDimsOf(const Json& a) { return attr<bool>(a, "keepDims", false); }

#define REDUCE(NAME) {#NAME, one([](const Inputs& x, const Json& a) { return NAME(x[0], axesOf(a), keepDimsOf(a)); })}
#define ARG(NAME) {#NAME, one([](const Inputs& x, const Json& a) { return NAME(x[0], attr<int>(a, "axis", 0)); })}
#define SCAN(NAME)                                                                                                  \
  {                                                                                                                 \
    #NAME, one([](const Inputs& x, const Json& a) {                                                                 \
      return NAME(x[0], attr<int>(a, "axis", 0), attr<bool>(a, "exclusive", false), attr<bool>(a, "reverse", false)); \
    })                                                                                                              \
  }

OpTableRegistrar registrar{
    REDUCE(sum), REDUCE(mean), REDUCE(max), REDUCE(min), REDUCE(prod), REDUCE(logSumExp), REDUCE(all), REDUCE(any),
    REDUCE(euclideanNorm), ARG(argMax), ARG(argMin), SCAN(cumsum), SCAN(cumprod),
    {"moments",
     [](const Inputs& x, const Json& a) {
       Moments m = moments(x[0], axesOf(a), keepDimsOf(a));
       return std::vector<Tensor>{m.mean, m.variance};
     }},
};

}  // namespace
}  // namespace strata::test

// ---- behaviour the TF.js cases cannot check ---------------------------------------------

namespace strata::test {
namespace {

TEST(ReduceOps, BeyondTfjs) {
  tidy([] {
    // TF.js's euclideanNorm rejects int32 (its sqrt is float-only); Strata squares and sums
    // in int32, then takes the root in float32.
    Tensor n = euclideanNorm(tensorInt({3, 4}));
    EXPECT_EQ(n.dtype(), DType::float32);
    EXPECT_FLOAT_EQ(n.item(), 5.0f);
    // TF.js's cumsum/cumprod kernels reject negative axes; Strata counts them from the end.
    Tensor x = tensor({1, 2, 3, 4, 5, 6}, {2, 3});
    EXPECT_EQ(cumsum(x, -2).dataSync(), cumsum(x, 0).dataSync());
    EXPECT_EQ(cumprod(x, -1, true).dataSync(), (std::vector<float>{1, 1, 2, 1, 4, 20}));
    // Reducing an empty axis gives the identity.
    EXPECT_EQ(sum(zeros({0, 3}), {0}).dataSync(), (std::vector<float>{0, 0, 0}));
    EXPECT_EQ(prod(zeros({0, 2}), {0}).dataSync(), (std::vector<float>{1, 1}));
    // int32 sums wrap as TF.js's Int32Array does.
    EXPECT_EQ(sum(tensorInt({2147483647, 1})).item<int32_t>(), -2147483647 - 1);
  });
}

TEST(ReduceOps, ScalarsReduceToThemselves) {
  tidy([] {
    Tensor s = reshape(tensor({2.5f}), {});
    EXPECT_EQ(max(s).shape(), Shape{});
    EXPECT_FLOAT_EQ(mean(s, {}, true).item(), 2.5f);
    EXPECT_FLOAT_EQ(grad([](const Tensor& t) { return prod(t); })(s).item(), 1.0f);
  });
}

void expectError(const std::function<void()>& f, const std::string& text) {
  try {
    f();
    ADD_FAILURE() << "expected an error containing '" << text << "'";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(text), std::string::npos) << e.what();
  }
}

TEST(ReduceOps, ErrorsNameTheOp) {
  tidy([] {
    Tensor x = tensor({1, 2, 3, 4, 5, 6}, {2, 3});
    expectError([&] { sum(x, {2}); }, "sum: axis 2 is out of range for rank 2");
    expectError([&] { all(x); }, "all: x must be a bool tensor, got float32");
    expectError([&] { any(x); }, "any: x must be a bool tensor");
    expectError([&] { argMax(scalar(1.0f)); }, "argMax: x must have rank >= 1");
    expectError([&] { argMin(zeros({2, 0}), 1); }, "argMin: axis 1 of shape [2,0] is empty");
    expectError([&] { cumsum(x, 3); }, "cumsum: axis 3 is out of range");
    expectError([&] { cumprod(scalar(2.0f)); }, "cumprod: x must have rank >= 1");
  });
}

}  // namespace
}  // namespace strata::test
