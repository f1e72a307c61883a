// Op table entries for pooling (see tests/conformance/ops/pool.mjs).
#include <gtest/gtest.h>

#include "ops/nn_attrs.h"

namespace strata::test {
namespace {

// `composite` only changes how TF.js computes the oracle (see pool.mjs).
Pool2DOptions poolOptions(const Json& a) { return {pairAttr(a, "filterSize", 1), pairAttr(a, "strides", 1), padAttr(a)}; }

OpTableRegistrar registrar{
    {"maxPool", one([](const Inputs& x, const Json& a) { return maxPool(x[0], poolOptions(a)); })},
    {"avgPool", one([](const Inputs& x, const Json& a) { return avgPool(x[0], poolOptions(a)); })},
};


// ---- errors and edge cases ---------------------------------------------------------------

class PoolErrors : public ::testing::Test {
 protected:
  void SetUp() override { setBackend("reference"); }
};

TEST_F(PoolErrors, NameTheOpAndShapes) {
  EXPECT_ERROR(maxPool(zeros({4, 4})), "maxPool: x must have rank 4 (or 3 without the batch axis), got shape [4,4]");
  EXPECT_ERROR(avgPool(zeros({1, 4, 4, 1}), {{0, 2}}), "avgPool: filterSize must be positive");
  EXPECT_ERROR(avgPool(zeros({1, 4, 4, 1}), {{2, 2}, {0, 1}}), "avgPool: strides must be positive");
  EXPECT_ERROR(maxPool(zeros({1, 2, 2, 1}), {{5, 5}, {1, 1}}), "does not fit");
}

TEST_F(PoolErrors, AverageCountsOnlyCellsInsideTheInput) {
  // 'same' 2x2 windows on a 3x3 input: the last row and column see fewer cells.
  Tensor x = tensor({1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 3, 3, 1});
  EXPECT_EQ(avgPool(x, {{2, 2}, {2, 2}, "same"}).dataSync(), (std::vector<float>{3, 4.5f, 7.5f, 9}));
  EXPECT_EQ(maxPool(x, {{2, 2}, {2, 2}, "same"}).dataSync(), (std::vector<float>{5, 6, 8, 9}));
  // int32 input: max stays int32, the average is truncated back to int32 (TF.js casts).
  Tensor xi = tensorInt({1, 2, 3, 4}, {1, 2, 2, 1});
  EXPECT_EQ(maxPool(xi).dtype(), DType::int32);
  EXPECT_EQ(avgPool(xi).dataSync<int32_t>(), (std::vector<int32_t>{2}));
}

}  // namespace
}  // namespace strata::test
