// Memory management: tidy, keep, dispose of containers, and memory() accounting.
#include <gtest/gtest.h>

#include "strata/strata.h"

namespace st = strata;

class MemoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    st::setBackend("reference");
    base_ = st::memory();
  }
  void expectBaseline() {
    auto m = st::memory();
    EXPECT_EQ(m.numTensors, base_.numTensors);
    EXPECT_EQ(m.numDataBuffers, base_.numDataBuffers);
    EXPECT_EQ(m.numBytes, base_.numBytes);
  }
  st::MemoryInfo base_;
};

TEST_F(MemoryTest, CountsTensorsBuffersAndBytes) {
  auto a = st::zeros({10, 10});
  auto m = st::memory();
  EXPECT_EQ(m.numTensors, base_.numTensors + 1);
  EXPECT_EQ(m.numBytes, base_.numBytes + 400);
  EXPECT_EQ(m.bytesPerBackend["reference"], base_.bytesPerBackend["reference"] + 400);
  auto r = st::reshape(a, {100});  // shares the buffer
  EXPECT_EQ(st::memory().numTensors, base_.numTensors + 2);
  EXPECT_EQ(st::memory().numDataBuffers, base_.numDataBuffers + 1);
  a.dispose();
  EXPECT_EQ(st::memory().numBytes, base_.numBytes + 400);  // r still holds it
  r.dispose();
  expectBaseline();
}

TEST_F(MemoryTest, TidyFreesEveryIntermediate) {
  auto x = st::tensor({1, 2, 3, 4});
  auto y = st::tidy([&] {
    auto a = st::mul(x, x);
    auto b = st::add(a, st::scalar(1.0f));
    return st::sqrt(b);
  });
  EXPECT_EQ(st::memory().numTensors, base_.numTensors + 2);  // x and y
  EXPECT_FALSE(y.isDisposed());
  x.dispose();
  y.dispose();
  expectBaseline();
}

TEST_F(MemoryTest, TidyReturnsContainersAndKeepSurvives) {
  st::Tensor kept;
  auto [p, q] = st::tidy([&] {
    kept = st::keep(st::ones({3}));
    st::ones({5});  // dropped
    return std::make_pair(st::zeros({2}), std::vector<st::Tensor>{st::ones({1}), st::ones({2})});
  });
  EXPECT_FALSE(kept.isDisposed());
  EXPECT_FALSE(p.isDisposed());
  EXPECT_EQ(q.size(), 2u);
  EXPECT_FALSE(q[1].isDisposed());
  EXPECT_EQ(st::memory().numTensors, base_.numTensors + 4);
  st::dispose(q);
  p.dispose();
  kept.dispose();
  expectBaseline();
}

TEST_F(MemoryTest, NestedTidyAndExceptions) {
  st::Tensor outer = st::tidy([&] {
    st::Tensor inner = st::tidy([&] { return st::add(st::ones({2}), st::ones({2})); });
    st::ones({4});
    return inner;
  });
  EXPECT_EQ(outer.dataSync(), (std::vector<float>{2, 2}));
  EXPECT_THROW(st::tidy([&] {
                 st::ones({8});
                 throw st::Error("boom");
               }),
               st::Error);
  outer.dispose();
  expectBaseline();
}

TEST_F(MemoryTest, DisposeContainers) {
  std::vector<st::Tensor> v{st::ones({2}), st::zeros({3})};
  std::map<std::string, st::Tensor> m{{"a", st::ones({1})}};
  st::dispose(v);
  st::dispose(m);
  EXPECT_TRUE(v[0].isDisposed());
  EXPECT_TRUE(m["a"].isDisposed());
  expectBaseline();
}

TEST_F(MemoryTest, HandlesReleaseMemoryWhenTheyGoOutOfScope) {
  { auto t = st::ones({1000}); }
  expectBaseline();
}

// A small model-like loop: forward pass, loss, gradients, SGD update of two variables.
TEST_F(MemoryTest, ThousandTrainingStepsReturnToBaseline) {
  auto w = st::variable(st::fill({4, 3}, 0.1f));
  auto b = st::variable(st::zeros({3}));
  auto x = st::tensor({0.5f, -1, 2, 0.3f, 1, 1, -0.5f, 0.2f}, {2, 4});
  auto y = st::tensor({1, 0, 0, 0, 1, 0}, {2, 3});
  auto afterSetup = st::memory();
  for (int i = 0; i < 1000; ++i) {
    st::tidy([&] {
      auto r = st::variableGrads([&] {
        auto logits = st::add(st::matMul(x, w), b);
        return st::mean(st::square(st::sub(st::sigmoid(logits), y)));
      });
      w.assign(st::sub(w, st::mul(r.grads[w.name()], st::scalar(0.5f))));
      b.assign(st::sub(b, st::mul(r.grads[b.name()], st::scalar(0.5f))));
    });
    auto m = st::memory();
    ASSERT_EQ(m.numTensors, afterSetup.numTensors) << "iteration " << i;
    ASSERT_EQ(m.numBytes, afterSetup.numBytes) << "iteration " << i;
  }
  w.dispose();
  b.dispose();
  x.dispose();
  y.dispose();
  expectBaseline();
}
