// Structured pruning. The main check is mathematical: removing filters/units must leave every
// remaining unit computing exactly what it computed before, so the pruned model's outputs equal
// those of the original model in which the removed units' outgoing weights are zeroed (on
// `reference`, which accumulates in a fixed order in double, adding the zeroed terms changes no
// bit). Also: the removed units are those of lowest L1 norm, shapes, errors, memory.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "strata/layers_api.h"
#include "strata/strata.h"

namespace st = strata;

namespace {

struct BackendGuard {
  std::string saved = st::getBackend();
  explicit BackendGuard(const std::string& name) { st::setBackend(name); }
  ~BackendGuard() { st::setBackend(saved); }
};

// conv(6) -> BN -> pool -> conv(5, same) -> flatten -> dense(7) -> dropout -> dense(3, softmax)
st::LayersModel chain() {
  auto m = st::sequential({.name = "chain"});
  m.add(st::layers::conv2d({.filters = 6, .kernelSize = 3, .activation = "relu", .inputShape = {8, 8, 2}, .name = "c1"}));
  m.add(st::layers::batchNormalization({.name = "bn1"}));
  m.add(st::layers::maxPooling2d({.poolSize = 2, .name = "pool"}));
  m.add(st::layers::conv2d({.filters = 5, .kernelSize = 3, .padding = "same", .activation = "relu", .name = "c2"}));
  m.add(st::layers::flatten({.name = "flat"}));
  m.add(st::layers::dense({.units = 7, .activation = "relu", .name = "d1"}));
  m.add(st::layers::dropout({.rate = 0.3, .name = "drop"}));
  m.add(st::layers::dense({.units = 3, .activation = "softmax", .name = "out"}));
  return m;
}

// Random weights everywhere (BatchNormalization's variance positive) so nothing is trivially 0.
void randomize(const st::LayersModel& m, uint64_t seed) {
  for (auto& layer : m.layers())
    for (auto& w : layer->ownWeights())
      w.value.assign(w.name == "moving_variance" ? st::randomUniform(w.value.shape(), 0.5f, 1.5f, st::DType::float32, seed++)
                                                 : st::randomNormal(w.value.shape(), 0, 0.5f, seed++));
}

st::Tensor weightOf(const st::LayersModel& m, const std::string& layer, const std::string& name) {
  for (auto& w : m.getLayer(layer).ownWeights())
    if (w.name == name) return w.value;
  ADD_FAILURE() << "no weight " << layer << "/" << name;
  return {};
}

// Zeroes kernel entries whose index along `axis` (of its shape) is not in `kept` (mod `period`).
void zeroInputs(const st::LayersModel& m, const std::string& layer, int axis, const std::vector<int64_t>& kept,
                int64_t period) {
  st::Tensor k = weightOf(m, layer, "kernel");
  const st::Shape& s = k.shape();
  std::vector<float> v = k.dataSync<float>();
  int64_t inner = 1;
  for (size_t d = static_cast<size_t>(axis) + 1; d < s.size(); ++d) inner *= s[d];
  for (size_t i = 0; i < v.size(); ++i) {
    const int64_t index = (static_cast<int64_t>(i) / inner) % s[static_cast<size_t>(axis)];
    if (std::find(kept.begin(), kept.end(), index % period) == kept.end()) v[i] = 0.0f;
  }
  for (auto& w : m.getLayer(layer).ownWeights())
    if (w.name == "kernel") w.value.assign(st::tensor(v, s));
}

std::vector<int64_t> topByL1(const st::Tensor& kernel, int64_t keep) {
  const int64_t out = kernel.shape().back();
  std::vector<double> norms(static_cast<size_t>(out), 0.0);
  std::vector<float> v = kernel.dataSync<float>();
  for (size_t i = 0; i < v.size(); ++i) norms[i % static_cast<size_t>(out)] += std::fabs(v[i]);
  std::vector<int64_t> order(static_cast<size_t>(out));
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return norms[a] > norms[b]; });
  order.resize(static_cast<size_t>(keep));
  std::sort(order.begin(), order.end());
  return order;
}

}  // namespace

TEST(PruneStructured, RemainingUnitsComputeExactlyWhatTheyDidBefore) {
  BackendGuard ref("reference");
  st::LayersModel m = chain();
  randomize(m, 100);
  std::vector<int64_t> c1Expected = topByL1(weightOf(m, "c1", "kernel"), 3);

  st::StructuredPruneResult r = st::pruneStructured(m, {.fraction = 0.5f});
  ASSERT_EQ(r.layers.size(), 3u);  // c1, c2, d1; the output layer keeps its units
  EXPECT_EQ(r.layers[0].layer, "c1");
  EXPECT_EQ(r.layers[0].before, 6);
  EXPECT_EQ(r.layers[0].after, 3);
  EXPECT_EQ(r.layers[0].kept, c1Expected);
  EXPECT_EQ(r.layers[1].layer, "c2");
  EXPECT_EQ(r.layers[1].after, 2);  // 5 - round(2.5)
  EXPECT_EQ(r.layers[2].layer, "d1");
  EXPECT_EQ(r.layers[2].after, 3);  // 7 - round(3.5)
  EXPECT_EQ(weightOf(r.model, "c1", "kernel").shape(), (st::Shape{3, 3, 2, 3}));
  EXPECT_EQ(weightOf(r.model, "bn1", "moving_mean").shape(), (st::Shape{3}));
  EXPECT_EQ(weightOf(r.model, "c2", "kernel").shape(), (st::Shape{3, 3, 3, 2}));
  EXPECT_EQ(weightOf(r.model, "d1", "kernel").shape(), (st::Shape{18, 3}));  // 3x3 positions x 2 channels
  EXPECT_EQ(weightOf(r.model, "out", "kernel").shape(), (st::Shape{3, 3}));
  EXPECT_EQ(r.paramsBefore, m.countParams());
  EXPECT_EQ(r.paramsAfter, r.model.countParams());
  EXPECT_LT(r.paramsAfter, r.paramsBefore);

  // The original with the removed units' outgoing weights zeroed.
  st::LayersModel zeroed = chain();
  zeroed.setWeights(m.getWeights());
  zeroInputs(zeroed, "c2", 2, r.layers[0].kept, 6);
  zeroInputs(zeroed, "d1", 0, r.layers[1].kept, 5);  // flattened rows p * 5 + c
  zeroInputs(zeroed, "out", 0, r.layers[2].kept, 7);

  st::Tensor x = st::randomUniform({5, 8, 8, 2}, -1, 1, st::DType::float32, 9);
  std::vector<float> want = zeroed.predict(x).dataSync<float>();
  std::vector<float> got = r.model.predict(x).dataSync<float>();
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i], want[i]) << "output " << i;
  // And the model really changed something: the unzeroed original differs.
  EXPECT_FALSE(st::all(st::equal(m.predict(x), r.model.predict(x))).item<bool>());
}

TEST(PruneStructured, NamedLayersOnlyAndOriginalUntouched) {
  st::LayersModel m = chain();
  randomize(m, 200);
  std::vector<st::Tensor> before = m.getWeights();
  st::StructuredPruneResult r = st::pruneStructured(m, {.fraction = 0.25f, .layers = {"c2"}});
  ASSERT_EQ(r.layers.size(), 1u);
  EXPECT_EQ(r.layers[0].after, 4);  // 5 - round(1.25)
  EXPECT_EQ(weightOf(r.model, "c1", "kernel").shape(), (st::Shape{3, 3, 2, 6}));
  EXPECT_EQ(weightOf(r.model, "d1", "kernel").shape(), (st::Shape{36, 7}));
  std::vector<st::Tensor> after = m.getWeights();
  for (size_t i = 0; i < before.size(); ++i) EXPECT_TRUE(st::all(st::equal(before[i], after[i])).item<bool>());
  // The pruned model trains (its weights are its own, not the original's).
  r.model.compile({.optimizer = "sgd", .loss = {"categoricalCrossentropy"}});
  st::Tensor x = st::randomUniform({8, 8, 8, 2}, -1, 1, st::DType::float32, 3);
  r.model.fit(x, st::oneHot(st::tensorInt({0, 1, 2, 0, 1, 2, 0, 1}, {8}), 3, 1, 0, st::DType::float32),
              {.epochs = 1, .batchSize = 4, .verbose = 0});
  std::vector<st::Tensor> still = m.getWeights();
  for (size_t i = 0; i < before.size(); ++i) EXPECT_TRUE(st::all(st::equal(before[i], still[i])).item<bool>());
}

TEST(PruneStructured, ClearErrorsNamingTheLayer) {
  auto expectError = [](const st::LayersModel& m, const st::StructuredPruneArgs& a, const std::string& word) {
    try {
      st::pruneStructured(m, a);
      ADD_FAILURE() << "no error for " << word;
    } catch (const st::Error& e) {
      EXPECT_NE(std::string(e.what()).find(word), std::string::npos) << e.what();
    }
  };
  st::LayersModel m = chain();
  expectError(m, {.fraction = 1.0f}, "[0, 1)");
  expectError(m, {.fraction = -0.1f}, "[0, 1)");
  expectError(m, {.layers = {"out"}}, "produces the model's output");
  expectError(m, {.layers = {"bn1"}}, "'bn1' (BatchNormalization) cannot lose");
  expectError(m, {.layers = {"nope"}}, "no layer 'nope'");

  auto dw = st::sequential({.name = "dw_net"});
  dw.add(st::layers::conv2d({.filters = 4, .kernelSize = 3, .inputShape = {6, 6, 1}, .name = "c"}));
  dw.add(st::layers::depthwiseConv2d({.kernelSize = 3, .name = "dw"}));
  dw.add(st::layers::flatten());
  dw.add(st::layers::dense({.units = 2, .name = "o"}));
  expectError(dw, {}, "layer 'dw' (DepthwiseConv2D) follows layer 'c' (Conv2D)");

  auto in = st::input({.shape = {4}});
  auto h = st::layers::dense({.units = 4}).apply(in);
  auto f = st::model({.inputs = {in}, .outputs = {st::layers::dense({.units = 2}).apply(h)}, .name = "func"});
  expectError(f, {}, "'func' is functional");
}

TEST(PruneStructured, NoTensorLeaks) {
  st::LayersModel m = chain();
  const int64_t base = st::memory().numTensors;
  {
    st::StructuredPruneResult r = st::pruneStructured(m, {.fraction = 0.5f});
    r.model.predict(st::zeros({1, 8, 8, 2})).dispose();
  }
  EXPECT_EQ(st::memory().numTensors, base);
}
