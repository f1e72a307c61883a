// Repeated inference keeps memory flat on every backend, through the fused inference path
// (ZeroPadding2D folded into a strided depthwise convolution, BatchNormalization folded, ReLU6
// fused) and the backends' caches (the cpu backend caches reordered weights per storage).
// Expected values: the engine's own counters (memory() before the loop); the fused outputs
// are compared with the unfused ones (fuseOps = false) on the same backend.
#include <gtest/gtest.h>

#include "strata/backend.h"
#include "strata/strata.h"

namespace st = strata;
namespace L = strata::layers;

namespace {

st::LayersModel mobileBlock() {
  auto m = st::sequential({.name = "mobile_block"});
  m.add(L::conv2d({.filters = 8, .kernelSize = 3, .padding = "same", .useBias = false, .inputShape = {12, 12, 3}}));
  m.add(L::batchNormalization());
  m.add(L::reLU({.maxValue = 6.0}));
  m.add(L::zeroPadding2d({.padding = 1}));
  m.add(L::depthwiseConv2d({.kernelSize = 3, .strides = 2, .useBias = false}));
  m.add(L::batchNormalization());
  m.add(L::reLU({.maxValue = 6.0}));
  m.add(L::globalAveragePooling2d());
  m.add(L::dense({.units = 4, .activation = "softmax"}));
  return m;
}

}  // namespace

TEST(PredictMemory, ThousandPredictsKeepMemoryFlatOnEveryBackend) {
  const std::string before = st::getBackend();
  for (const std::string& backend : st::backendNames()) {
    SCOPED_TRACE(backend);
    if (!st::hasKernel(backend, "Conv2D")) continue;  // test doubles (other tests' fake devices)
    try {
      st::setBackend(backend);
    } catch (const st::Error&) {
      continue;  // not available here
    }
    auto model = mobileBlock();
    // BatchNormalization statistics away from 0/1 so the folding matters.
    std::vector<st::Tensor> ws = model.getWeights();
    for (auto& w : ws) w = st::add(st::mul(st::randomUniform(w.shape(), 0.5f, 1.5f, st::DType::float32, 7), w), st::scalar(0.1f));
    model.setWeights(ws);
    for (auto& w : ws) w.dispose();
    auto x = st::randomNormal({2, 12, 12, 3}, 0, 1, 3);
    auto unfused = model.predict(x, {.fuseOps = false});
    auto fused = model.predict(x);
    auto a = unfused.dataSync(), b = fused.dataSync();
    ASSERT_EQ(a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], b[i], 1e-5f) << i;
    unfused.dispose();
    fused.dispose();
    // On a backend with CUDA graphs the second call of a shape captures a graph that owns its
    // own input and output buffers (a one-time cost): measure from after it.
    model.predict(x).dispose();
    const st::MemoryInfo base = st::memory();
    for (int i = 0; i < 1000; ++i) {
      st::Tensor y = model.predict(x);
      y.dispose();
      const st::MemoryInfo now = st::memory();
      ASSERT_EQ(now.numTensors, base.numTensors) << "predict " << i;
      ASSERT_EQ(now.numBytes, base.numBytes) << "predict " << i;
      ASSERT_EQ(now.numDataBuffers, base.numDataBuffers) << "predict " << i;
    }
    x.dispose();
  }
  st::setBackend(before);
}
