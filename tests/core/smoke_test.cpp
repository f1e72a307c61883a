#include <gtest/gtest.h>

#include "strata/strata.h"

namespace st = strata;

TEST(Smoke, AddAndGrad) {
  st::setBackend("reference");
  auto a = st::tensor({1, 2, 3, 4}, {2, 2});
  auto b = st::tensor({10, 20}, {2});
  auto c = a + b;
  EXPECT_EQ(c.dataSync(), (std::vector<float>{11, 22, 13, 24}));
  auto g = st::grads([](const std::vector<st::Tensor>& xs) { return st::mul(xs[0], xs[1]); });
  auto gs = g({a, b});
  EXPECT_EQ(gs[0].dataSync(), (std::vector<float>{10, 20, 10, 20}));
  EXPECT_EQ(gs[1].dataSync(), (std::vector<float>{4, 6}));
}
