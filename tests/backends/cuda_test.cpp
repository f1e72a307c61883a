// The cuda backend's own behaviour (its kernels are covered by the parity and conformance
// suites, which run on every available backend): availability reporting, the caching
// allocator, out-of-memory recovery, memory() on the GPU, async data(), CUDA-graph predict,
// and the math modes. Expected values: the engine's counters, identities (a replayed graph
// equals the eager forward pass; data() equals dataSync()), and the reference backend.
// Without a device every test but the first skips with a "no CUDA device" line.
#include <gtest/gtest.h>

#include <cmath>

#include "strata/cuda.h"
#include "strata/strata.h"

namespace st = strata;
namespace L = strata::layers;

namespace {

class Cuda : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!st::cuda::available()) GTEST_SKIP() << st::cuda::unavailableReason();
    before_ = st::getBackend();
    st::setBackend("cuda");
  }
  void TearDown() override {
    if (!before_.empty()) st::setBackend(before_);
  }
  std::string before_;
};

double relativeError(const std::vector<float>& a, const std::vector<float>& b) {
  double num = 0, den = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    num += (double(a[i]) - b[i]) * (double(a[i]) - b[i]);
    den += double(b[i]) * b[i];
  }
  return std::sqrt(num / den);
}

}  // namespace

TEST(CudaAvailability, DefaultIsCudaExactlyWhenAvailableElseTheReasonIsGiven) {
  bool listed = false;
  for (const auto& s : st::backendStatus())
    if (s.name == "cuda") {
      listed = true;
      EXPECT_EQ(s.available, st::cuda::available());
      if (!s.available) EXPECT_FALSE(s.reason.empty());
    }
  if (!st::cuda::available()) {
    EXPECT_FALSE(st::cuda::unavailableReason().empty());
    EXPECT_NE(st::defaultBackend(), "cuda");
    std::cout << "[ INFO ] " << st::cuda::unavailableReason() << "\n";
    return;
  }
  EXPECT_TRUE(listed);
  if (!std::getenv("STRATA_BACKEND")) EXPECT_EQ(st::defaultBackend(), "cuda");
}

TEST_F(Cuda, CachingAllocatorReusesBlocksAcrossSteps) {
  auto step = [] {
    st::tidy([] {
      auto a = st::randomNormal({64, 128}, 0, 1, 1);
      auto b = st::randomNormal({128, 32}, 0, 1, 2);
      return st::sum(st::relu(st::matMul(a, b))).dataSync();
    });
  };
  step();
  const int64_t allocs = st::cuda::memoryStats().numAllocs;
  for (int i = 0; i < 50; ++i) step();
  EXPECT_EQ(st::cuda::memoryStats().numAllocs, allocs) << "steady-state steps must not call cudaMalloc";
}

TEST_F(Cuda, MemoryReportsGpuBytesAndEmptyCacheReturnsThem) {
  st::cuda::emptyCache();
  const st::MemoryInfo m0 = st::memory();
  auto t = st::zeros({1024, 1024});
  const st::MemoryInfo m1 = st::memory();
  EXPECT_EQ(m1.numBytesInGPU - m0.numBytesInGPU, 4 << 20);
  EXPECT_GE(m1.numBytesInGPUAllocated, m1.numBytesInGPU);
  EXPECT_GT(m1.numBytesInGPUFree, 0);
  const int64_t reserved = st::cuda::memoryStats().bytesReserved;
  t.dispose();
  EXPECT_EQ(st::cuda::memoryStats().bytesReserved, reserved) << "freed blocks stay cached";
  st::cuda::emptyCache();
  EXPECT_LT(st::cuda::memoryStats().bytesReserved, reserved);
}

TEST_F(Cuda, OutOfMemoryNamesTheRequestAndTheEngineKeepsWorking) {
  const st::cuda::MemoryStats s = st::cuda::memoryStats();
  const int64_t elements = s.bytesTotal / 4 + (int64_t{1} << 28);  // more than the whole device
  try {
    auto huge = st::zeros({elements});
    ADD_FAILURE() << "allocated " << elements << " floats";
  } catch (const st::OutOfMemoryError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(std::to_string(elements * 4)), std::string::npos) << what;
    EXPECT_NE(what.find("free"), std::string::npos) << what;
  }
  auto y = st::add(st::tensor({1.f, 2.f}), st::tensor({3.f, 4.f}));
  EXPECT_EQ(y.dataSync(), (std::vector<float>{4.f, 6.f}));
}

TEST_F(Cuda, AsyncDataEqualsDataSync) {
  auto x = st::randomUniform({1000, 37}, -1, 1, st::DType::float32, 5);
  auto fut = x.data<float>();
  EXPECT_EQ(fut.get(), x.dataSync());
  auto i = st::cast(st::mul(x, st::scalar(100.f)), st::DType::int32);
  EXPECT_EQ(i.data<int32_t>().get(), i.dataSync<int32_t>());
}

TEST_F(Cuda, GraphReplayEqualsEagerAndFollowsWeightChanges) {
  auto m = st::sequential({.name = "graph_block"});
  m.add(L::conv2d({.filters = 8, .kernelSize = 3, .padding = "same", .activation = "relu", .inputShape = {10, 10, 3}}));
  m.add(L::batchNormalization());
  m.add(L::depthwiseConv2d({.kernelSize = 3, .strides = 2, .padding = "same"}));
  m.add(L::globalAveragePooling2d());
  m.add(L::dense({.units = 5, .activation = "softmax"}));
  for (int call = 0; call < 4; ++call) {  // eager, capture, replay, replay: new data each time
    auto x = st::randomNormal({3, 10, 10, 3}, 0, 1, 100 + call);
    auto eager = m.predict(x, {.useGraphs = false}).dataSync();
    auto graphed = m.predict(x).dataSync();
    ASSERT_EQ(eager.size(), graphed.size());
    for (size_t i = 0; i < eager.size(); ++i) EXPECT_NEAR(graphed[i], eager[i], 1e-6f) << "call " << call << " [" << i << "]";
  }
  // New weights: the graph is dropped and rebuilt, never replayed with the old ones.
  std::vector<st::Tensor> ws = m.getWeights();
  for (auto& w : ws) w = st::mul(w, st::scalar(0.5f));
  m.setWeights(ws);
  for (int call = 0; call < 3; ++call) {
    auto x = st::randomNormal({3, 10, 10, 3}, 0, 1, 200 + call);
    auto eager = m.predict(x, {.useGraphs = false}).dataSync();
    auto graphed = m.predict(x).dataSync();
    for (size_t i = 0; i < eager.size(); ++i) EXPECT_NEAR(graphed[i], eager[i], 1e-6f) << "after setWeights, call " << call;
  }
}

TEST_F(Cuda, MathModesTradeAccuracyAsDocumented) {
  auto a = st::randomNormal({256, 512}, 0, 1, 11);
  auto b = st::randomNormal({512, 128}, 0, 1, 12);
  st::setBackend("reference");
  auto expected = st::matMul(a, b).dataSync();
  st::setBackend("cuda");
  const struct {
    st::cuda::Math math;
    const char* name;
    double maxError;  // relative L2 error vs the float64-accumulating reference
  } modes[] = {{st::cuda::Math::fp32, "fp32", 1e-6}, {st::cuda::Math::tf32, "tf32", 5e-3},
               {st::cuda::Math::bf16, "bf16", 3e-2}, {st::cuda::Math::fp16, "fp16", 5e-3}};
  for (const auto& m : modes) {
    st::cuda::setMath(m.math);
    const double err = relativeError(st::matMul(a, b).dataSync(), expected);
    std::cout << "[ INFO ] matMul 256x512x128, math " << m.name << ": relative L2 error " << err << " vs reference\n";
    EXPECT_LT(err, m.maxError) << m.name;
  }
  st::cuda::setMath(st::cuda::Math::fp32);
}
