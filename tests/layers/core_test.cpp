// Unit tests for the core, noise, advanced-activation and embedding layers, driven directly
// (no model graph): config parsing and errors, weights, shapes, inference and training paths.
#include <gtest/gtest.h>

#include <cmath>

#include "models/activations.h"
#include "strata/engine.h"
#include "strata/layer.h"
#include "strata/ops.h"

namespace strata::layers {
namespace {

class CoreLayers : public ::testing::Test {
 protected:
  void SetUp() override { setBackend("reference"); }

  static std::unique_ptr<Layer> make(const std::string& cls, Json config) {
    return createLayer(cls, config, "core_test");
  }
  // Builds for `shape` (batch -1) and runs on x.
  static Tensor run(Layer& l, const Tensor& x, bool training = false, std::vector<Tensor> masks = {}) {
    SymShape s = x.shape();
    s[0] = -1;
    l.ensureBuilt({s});
    CallArgs args;
    args.training = training;
    args.masks = std::move(masks);
    auto out = l.call({x}, args);
    EXPECT_EQ(out.size(), 1u);
    EXPECT_EQ(l.outputShapes({x.shape()})[0], out[0].shape());
    return out[0];
  }
  static void setWeight(Layer& l, size_t i, const Tensor& v) { l.ownWeights().at(i).value.assign(v); }
};

void expectNear(const Tensor& t, const std::vector<float>& want, float tol = 1e-5f) {
  auto got = t.dataSync();
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(got[i], want[i], tol) << "at " << i;
}

template <class F>
void expectThrowsWith(F f, const std::vector<std::string>& parts) {
  try {
    f();
    ADD_FAILURE() << "no exception";
  } catch (const Error& e) {
    for (const auto& p : parts) EXPECT_NE(std::string(e.what()).find(p), std::string::npos) << e.what();
  }
}

// ---- Dense --------------------------------------------------------------------------------

TEST_F(CoreLayers, DenseWeightsAndValues) {
  auto l = make("Dense", {{"name", "d1"}, {"units", 2}, {"activation", "relu"}});
  Tensor x = tensor({1, 2, 3, -1, -2, -3}, {2, 3});
  l->ensureBuilt({{-1, 3}});
  ASSERT_EQ(l->ownWeights().size(), 2u);
  EXPECT_EQ(l->ownWeights()[0].name, "kernel");
  EXPECT_EQ(l->ownWeights()[0].value.shape(), (Shape{3, 2}));
  EXPECT_EQ(l->ownWeights()[1].name, "bias");
  EXPECT_EQ(l->ownWeights()[1].value.shape(), (Shape{2}));
  setWeight(*l, 0, tensor({1, 0, 0, 1, 1, -1}, {3, 2}));
  setWeight(*l, 1, tensor({0.5f, -0.5f}));
  // row0: [1+3, 2-3] + b = [4.5, -1.5] -> relu [4.5, 0]; row1: [-4, 1] + b = [-3.5, 0.5] -> [0, 0.5]
  expectNear(run(*l, x), {4.5f, 0, 0, 0.5f});
  EXPECT_EQ(l->countParams(), 8);
}

TEST_F(CoreLayers, DenseNoBiasOn3DInputWithUnfusedActivation) {
  auto l = make("Dense", {{"units", 2}, {"use_bias", false}, {"activation", "tanh"}});
  l->ensureBuilt({{-1, 2, 2}});
  ASSERT_EQ(l->ownWeights().size(), 1u);
  setWeight(*l, 0, tensor({1, 2, 3, 4}, {2, 2}));
  Tensor y = run(*l, tensor({0.1f, 0.2f, -0.1f, 0.0f, 0.3f, 0.1f, 0, 0}, {2, 2, 2}));
  EXPECT_EQ(y.shape(), (Shape{2, 2, 2}));
  expectNear(y, {std::tanh(0.7f), std::tanh(1.0f), std::tanh(-0.1f), std::tanh(-0.2f), std::tanh(0.6f),
                 std::tanh(1.0f), 0, 0});
}

TEST_F(CoreLayers, DenseShapesAndErrors) {
  auto l = make("Dense", {{"name", "dd"}, {"units", 4}});
  EXPECT_EQ(l->outputShapes({{-1, 3, 5}})[0], (SymShape{-1, 3, 4}));
  expectThrowsWith([&] { l->outputShapes({{-1}}); }, {"layer 'dd' (Dense)", "rank >= 2"});
  expectThrowsWith([&] { l->ensureBuilt({{-1, -1}}); }, {"layer 'dd' (Dense)", "last dimension"});
  l->ensureBuilt({{-1, 3}});
  expectThrowsWith([&] { l->call({zeros({2, 5})}, {}); }, {"layer 'dd' (Dense)", "last dimension to be 3"});
  expectThrowsWith([] { make("Dense", {{"name", "z"}, {"units", 0}}); }, {"layer 'z' (Dense)", "units"});
  expectThrowsWith([] { make("Dense", {{"name", "q"}}); }, {"layer 'q' (Dense)", "config.units"});
}

TEST_F(CoreLayers, UnknownActivationIsAnError) {
  expectThrowsWith([] { make("Dense", {{"name", "dx"}, {"units", 2}, {"activation", "swoosh"}}); },
                   {"layer 'dx' (Dense)", "unknown activation 'swoosh'", "relu"});
  expectThrowsWith([] { make("Activation", {{"name", "ax"}, {"activation", "nope"}}); },
                   {"layer 'ax' (Activation)", "unknown activation 'nope'"});
  expectThrowsWith([] { make("Activation", {{"name", "ay"}, {"activation", 3}}); }, {"layer 'ay' (Activation)"});
}

// Every activation known works through Dense (kernel = identity, zero bias) and Activation, and
// matches a scalar reference.
TEST_F(CoreLayers, EveryActivationThroughDenseAndActivation) {
  const std::vector<float> xs{-3.0f, -0.5f, 0.0f, 0.7f, 2.0f, 7.0f};
  auto sig = [](double v) { return 1 / (1 + std::exp(-v)); };
  auto softplus = [](double v) { return std::log1p(std::exp(v)); };
  auto ref = [&](const std::string& name, double v) -> double {
    if (name == "linear") return v;
    if (name == "relu") return std::max(v, 0.0);
    if (name == "relu6") return std::min(std::max(v, 0.0), 6.0);
    if (name == "elu") return v > 0 ? v : std::expm1(v);
    if (name == "selu") return 1.0507009873554805 * (v > 0 ? v : 1.6732632423543772 * std::expm1(v));
    if (name == "sigmoid") return sig(v);
    if (name == "hardSigmoid") return std::clamp(0.2 * v + 0.5, 0.0, 1.0);
    if (name == "tanh") return std::tanh(v);
    if (name == "softplus") return softplus(v);
    if (name == "softsign") return v / (1 + std::abs(v));
    if (name == "swish") return v * sig(v);
    if (name == "mish") return v * std::tanh(softplus(v));
    if (name == "gelu") return 0.5 * v * (1 + std::erf(v / std::sqrt(2.0)));
    if (name == "gelu_new")
      return 0.5 * v * (1 + std::tanh(std::sqrt(2 / M_PI) * (v + 0.044715 * v * v * v)));
    if (name == "exponential") return std::exp(v);
    return NAN;
  };
  double lse = 0;
  for (float v : xs) lse += std::exp(v);
  lse = std::log(lse);
  int checked = 0;
  for (const std::string& name : activationNames()) {
    SCOPED_TRACE(name);
    std::vector<float> want;
    for (float v : xs) {
      if (name == "softmax") want.push_back(static_cast<float>(std::exp(v - lse)));
      else if (name == "logSoftmax") want.push_back(static_cast<float>(v - lse));
      else want.push_back(static_cast<float>(ref(name, v)));
    }
    ASSERT_FALSE(std::isnan(want[0])) << "no reference for activation " << name;
    Tensor x = tensor(xs, {1, 6});
    auto dense = make("Dense", {{"units", 6}, {"activation", name}});
    dense->ensureBuilt({{-1, 6}});
    setWeight(*dense, 0, eye(6));
    expectNear(run(*dense, x), want, 1e-4f);
    auto act = make("Activation", {{"activation", name}});
    expectNear(run(*act, x), want, 1e-4f);
    ++checked;
  }
  EXPECT_GE(checked, 17);
  // Keras snake_case spellings load too.
  for (const char* n : {"hard_sigmoid", "log_softmax", "silu"}) EXPECT_NO_THROW(make("Activation", {{"activation", n}}));
}

// ---- Dropout family ----------------------------------------------------------------------

TEST_F(CoreLayers, DropoutIsIdentityAtInference) {
  Tensor x = randomNormal({2, 3, 4}, 0, 1, 1);
  for (const char* cls : {"Dropout", "SpatialDropout1D", "GaussianNoise", "GaussianDropout", "AlphaDropout"}) {
    SCOPED_TRACE(cls);
    auto l = make(cls, {{"rate", 0.5}, {"stddev", 0.5}});
    EXPECT_TRUE(l->supportsMasking());
    expectNear(run(*l, x), x.dataSync(), 0);
  }
  auto sd2 = make("SpatialDropout2D", {{"rate", 0.5}});
  Tensor x4 = randomNormal({2, 3, 3, 2}, 0, 1, 2);
  expectNear(run(*sd2, x4), x4.dataSync(), 0);
}

TEST_F(CoreLayers, DropoutTrainingScalesAndSharesNoise) {
  Tensor x = ones({4, 5, 6});
  auto l = make("Dropout", {{"rate", 0.5}, {"noise_shape", {nullptr, 1, 6}}, {"seed", 3}});
  auto y = run(*l, x, true).dataSync();
  int dropped = 0;
  for (size_t i = 0; i < y.size(); ++i) {
    EXPECT_TRUE(y[i] == 0.0f || std::abs(y[i] - 2.0f) < 1e-6f) << y[i];
    dropped += y[i] == 0;
    // Shared along axis 1: element (b, t, c) equals (b, 0, c).
    size_t b = i / 30, c = i % 6;
    EXPECT_EQ(y[i], y[b * 30 + c]);
  }
  EXPECT_GT(dropped, 0);
  // A rate of 1 (or above, clamped) leaves the input unchanged, as in TF.js.
  auto all = make("Dropout", {{"rate", 1.5}});
  expectNear(run(*all, x, true), x.dataSync(), 0);
}

TEST_F(CoreLayers, SpatialDropoutDropsWholeChannels) {
  auto l1 = make("SpatialDropout1D", {{"name", "sd"}, {"rate", 0.5}, {"seed", 5}});
  auto y = run(*l1, ones({3, 7, 8}), true).dataSync();
  for (size_t i = 0; i < y.size(); ++i) EXPECT_EQ(y[i], y[(i / 56) * 56 + i % 8]);
  expectThrowsWith([&] { l1->outputShapes({{-1, 3}}); }, {"layer 'sd' (SpatialDropout1D)", "rank 3"});
  auto l2 = make("SpatialDropout2D", {{"rate", 0.5}, {"seed", 5}});
  auto y2 = run(*l2, ones({2, 3, 4, 5}), true).dataSync();
  for (size_t i = 0; i < y2.size(); ++i) EXPECT_EQ(y2[i], y2[(i / 60) * 60 + i % 5]);
  expectThrowsWith([] { make("SpatialDropout2D", {{"name", "s2"}, {"rate", 0.5}, {"data_format", "channels_first"}}); },
                   {"layer 's2' (SpatialDropout2D)", "channels_first"});
}

TEST_F(CoreLayers, NoiseLayersInTraining) {
  Tensor x = fill({200, 10}, 2.0f);
  // GaussianNoise: x + N(0, stddev).
  auto gn = make("GaussianNoise", {{"stddev", 0.5}});
  Tensor d = sub(run(*gn, x, true), x);
  EXPECT_NEAR(mean(d).item(), 0.0f, 0.08f);
  EXPECT_NEAR(std::sqrt(mean(square(d)).item()), 0.5f, 0.05f);
  // GaussianDropout: x * N(1, sqrt(rate / (1 - rate))).
  auto gd = make("GaussianDropout", {{"rate", 0.2}});
  Tensor r = div(run(*gd, x, true), x);
  EXPECT_NEAR(mean(r).item(), 1.0f, 0.05f);
  EXPECT_NEAR(std::sqrt(mean(square(sub(r, scalar(1.0f)))).item()), 0.5f, 0.05f);
  // AlphaDropout: kept -> a*x + b, dropped -> a*(-alphaP) + b. (TF.js 4.22 adds
  // (kept - 1) * alphaP where Keras adds (1 - kept) * alphaP; TF.js's sign is kept.)
  const double rate = 0.3, alphaP = -1.6732632423543772 * 1.0507009873554805;
  const double a = std::pow((1 - rate) * (1 + rate * alphaP * alphaP), -0.5), b = -a * alphaP * rate;
  auto ad = make("AlphaDropout", {{"rate", rate}});
  auto y = run(*ad, x, true).dataSync();
  int dropped = 0;
  for (float v : y) {
    bool kept = std::abs(v - (a * 2 + b)) < 1e-5, drop = std::abs(v - (-a * alphaP + b)) < 1e-5;
    EXPECT_TRUE(kept || drop) << v;
    dropped += drop;
  }
  EXPECT_NEAR(dropped / 2000.0, rate, 0.05);
}

// ---- Flatten / Reshape / Permute / RepeatVector ------------------------------------------

TEST_F(CoreLayers, Flatten) {
  auto l = make("Flatten", {{"name", "f"}});
  Tensor x = range(0, 24, 1);
  EXPECT_EQ(run(*l, reshape(x, {2, 3, 4})).shape(), (Shape{2, 12}));
  expectThrowsWith([&] { l->outputShapes({{-1, 4}}); }, {"layer 'f' (Flatten)", "rank >= 3"});
  expectThrowsWith([&] { l->outputShapes({{-1, -1, 4}}); }, {"layer 'f' (Flatten)", "not fully defined"});
  auto cf = make("Flatten", {{"data_format", "channels_first"}});
  // [1, 2, 3] channels first -> [1, 3, 2] -> 0 3 1 4 2 5
  expectNear(run(*cf, reshape(range(0, 6, 1), {1, 2, 3})), {0, 3, 1, 4, 2, 5});
}

TEST_F(CoreLayers, ReshapeInfersOneDimension) {
  auto l = make("Reshape", {{"name", "r"}, {"target_shape", {-1, 4}}});
  EXPECT_EQ(l->outputShapes({{-1, 2, 6}})[0], (SymShape{-1, 3, 4}));
  EXPECT_EQ(l->outputShapes({{-1, -1, 6}})[0], (SymShape{-1, -1, 4}));
  EXPECT_EQ(run(*l, zeros({5, 2, 6})).shape(), (Shape{5, 3, 4}));
  auto n = make("Reshape", {{"target_shape", {3, nullptr}}});
  EXPECT_EQ(run(*n, zeros({2, 12})).shape(), (Shape{2, 3, 4}));
  expectThrowsWith([&] { l->outputShapes({{-1, 5}}); }, {"layer 'r' (Reshape)", "total size"});
  expectThrowsWith([&] { l->call({zeros({2, 7})}, {}); }, {"layer 'r' (Reshape)", "[7]"});
  expectThrowsWith([] { make("Reshape", {{"name", "r2"}, {"target_shape", {-1, -1}}}); },
                   {"layer 'r2' (Reshape)", "one unknown"});
  auto fixed = make("Reshape", {{"name", "r3"}, {"target_shape", {2, 2}}});
  expectThrowsWith([&] { fixed->outputShapes({{-1, 5}}); }, {"layer 'r3' (Reshape)", "total size"});
}

TEST_F(CoreLayers, Permute) {
  auto l = make("Permute", {{"name", "p"}, {"dims", {2, 1}}});
  EXPECT_EQ(l->outputShapes({{-1, 2, 3}})[0], (SymShape{-1, 3, 2}));
  expectNear(run(*l, reshape(range(0, 6, 1), {1, 2, 3})), {0, 3, 1, 4, 2, 5});
  expectThrowsWith([&] { l->outputShapes({{-1, 2, 3, 4}}); }, {"layer 'p' (Permute)", "rank 3"});
  expectThrowsWith([] { make("Permute", {{"name", "p2"}, {"dims", {0, 1}}}); }, {"layer 'p2' (Permute)", "permutation"});
  expectThrowsWith([] { make("Permute", {{"name", "p3"}, {"dims", {1, 1}}}); }, {"layer 'p3' (Permute)", "dims"});
}

TEST_F(CoreLayers, RepeatVector) {
  auto l = make("RepeatVector", {{"name", "rv"}, {"n", 3}});
  EXPECT_EQ(l->outputShapes({{-1, 2}})[0], (SymShape{-1, 3, 2}));
  expectNear(run(*l, tensor({1, 2, 3, 4}, {2, 2})), {1, 2, 1, 2, 1, 2, 3, 4, 3, 4, 3, 4});
  expectThrowsWith([&] { l->outputShapes({{-1, 2, 2}}); }, {"layer 'rv' (RepeatVector)", "rank 2"});
}

// ---- Masking ------------------------------------------------------------------------------

TEST_F(CoreLayers, MaskingZeroesAndMasksSteps) {
  auto l = make("Masking", {{"mask_value", 1.5}});
  EXPECT_TRUE(l->supportsMasking());
  Tensor x = tensor({1.5f, 1.5f, 1, 1.5f, 2, 3, 1.5f, 1.5f}, {2, 2, 2});
  expectNear(run(*l, x), {0, 0, 1, 1.5f, 2, 3, 0, 0});
  Tensor m = l->computeMask({x}, {Tensor()});
  EXPECT_EQ(m.dtype(), DType::bool_);
  EXPECT_EQ(m.shape(), (Shape{2, 2}));
  EXPECT_EQ(m.dataSync<int32_t>(), (std::vector<int32_t>{0, 1, 1, 0}));
  // Masks pass through layers that support masking.
  auto d = make("Dense", {{"units", 1}});
  EXPECT_TRUE(d->supportsMasking());
  EXPECT_EQ(d->computeMask({x}, {m}).id(), m.id());
  EXPECT_FALSE(make("Flatten", Json::object())->computeMask({x}, {m}).defined());
}

// ---- Advanced activations -----------------------------------------------------------------

TEST_F(CoreLayers, ReLUVariants) {
  Tensor x = tensor({-2, -0.5f, 0.2f, 0.8f, 3}, {1, 5});
  expectNear(run(*make("ReLU", Json::object()), x), {0, 0, 0.2f, 0.8f, 3});
  expectNear(run(*make("ReLU", {{"max_value", 0.5}}), x), {0, 0, 0.2f, 0.5f, 0.5f});
  expectNear(run(*make("ReLU", {{"max_value", nullptr}}), x), {0, 0, 0.2f, 0.8f, 3});
  // Keras's negative_slope and threshold (TF.js ignores them; Keras semantics here).
  expectNear(run(*make("ReLU", {{"negative_slope", 0.1}}), x), {-0.2f, -0.05f, 0.2f, 0.8f, 3});
  expectNear(run(*make("ReLU", {{"threshold", 0.5}}), x), {0, 0, 0, 0.8f, 3});
  expectNear(run(*make("ReLU", {{"threshold", 0.5}, {"negative_slope", 0.1}, {"max_value", 2}}), x),
             {-0.25f, -0.1f, -0.03f, 0.8f, 2});
  expectNear(run(*make("LeakyReLU", Json::object()), x), {-0.6f, -0.15f, 0.2f, 0.8f, 3});
  expectNear(run(*make("LeakyReLU", {{"alpha", 0.1}}), x), {-0.2f, -0.05f, 0.2f, 0.8f, 3});
  expectNear(run(*make("LeakyReLU", {{"negative_slope", 0.2}}), x), {-0.4f, -0.1f, 0.2f, 0.8f, 3});
  expectNear(run(*make("ELU", Json::object()), x), {std::expm1(-2.0f), std::expm1(-0.5f), 0.2f, 0.8f, 3});
  expectNear(run(*make("ELU", {{"alpha", 0.5}}), x), {0.5f * std::expm1(-2.0f), 0.5f * std::expm1(-0.5f), 0.2f, 0.8f, 3});
  expectNear(run(*make("ThresholdedReLU", Json::object()), x), {0, 0, 0, 0, 3});
  expectNear(run(*make("ThresholdedReLU", {{"theta", 0.5}}), x), {0, 0, 0, 0.8f, 3});
}

TEST_F(CoreLayers, PReLUSharedAxes) {
  auto l = make("PReLU", {{"name", "pr"}, {"shared_axes", {1, 2}}});
  l->ensureBuilt({{-1, 2, 2, 3}});
  ASSERT_EQ(l->ownWeights().size(), 1u);
  EXPECT_EQ(l->ownWeights()[0].name, "alpha");
  EXPECT_EQ(l->ownWeights()[0].value.shape(), (Shape{1, 1, 3}));
  setWeight(*l, 0, tensor({0.1f, 0.2f, 0.3f}, {1, 1, 3}));
  Tensor y = run(*l, fill({1, 2, 2, 3}, -1.0f));
  expectNear(y, {-0.1f, -0.2f, -0.3f, -0.1f, -0.2f, -0.3f, -0.1f, -0.2f, -0.3f, -0.1f, -0.2f, -0.3f});
  auto one = make("PReLU", {{"shared_axes", 1}});
  one->ensureBuilt({{-1, -1, 4}});
  EXPECT_EQ(one->ownWeights()[0].value.shape(), (Shape{1, 4}));
  auto full = make("PReLU", Json::object());
  full->ensureBuilt({{-1, 3, 4}});
  EXPECT_EQ(full->ownWeights()[0].value.shape(), (Shape{3, 4}));
  expectThrowsWith([] { make("PReLU", {{"name", "pu"}})->ensureBuilt({{-1, -1, 4}}); },
                   {"layer 'pu' (PReLU)", "unknown"});
  expectThrowsWith([] { make("PReLU", {{"name", "pa"}, {"shared_axes", {3}}})->ensureBuilt({{-1, 4, 4}}); },
                   {"layer 'pa' (PReLU)", "shared_axes"});
  expectThrowsWith([&] { l->call({zeros({1, 2, 2, 4})}, {}); }, {"layer 'pr' (PReLU)", "expected input shape"});
}

TEST_F(CoreLayers, SoftmaxAxesAndMask) {
  Tensor x = tensor({1, 2, 3, 4, 0, 0}, {1, 2, 3});
  auto sum = [](const Tensor& t, std::vector<int> axes) { return strata::sum(t, axes).dataSync(); };
  // TF.js's default axis is 1 (Keras always writes the axis).
  auto def = run(*make("Softmax", Json::object()), x);
  for (float v : sum(def, {1})) EXPECT_NEAR(v, 1, 1e-6);
  for (float v : sum(run(*make("Softmax", {{"axis", -1}}), x), {2})) EXPECT_NEAR(v, 1, 1e-6);
  for (float v : sum(run(*make("Softmax", {{"axis", {1, 2}}}), x), {1, 2})) EXPECT_NEAR(v, 1, 1e-6);
  expectNear(run(*make("Softmax", {{"axis", {2}}}), x), run(*make("Softmax", {{"axis", 2}}), x).dataSync());
  // A mask pushes the masked entries to ~0.
  Tensor m = tensorBool({true, false, true}, {1, 1, 3});
  auto y = run(*make("Softmax", {{"axis", -1}}), x, false, {m}).dataSync();
  EXPECT_NEAR(y[1], 0, 1e-6);
  EXPECT_NEAR(y[0] + y[2], 1, 1e-6);
  expectThrowsWith([] { make("Softmax", {{"name", "sm"}, {"axis", 3}})->outputShapes({{-1, 4}}); },
                   {"layer 'sm' (Softmax)", "axis"});
}

// ---- Embedding ----------------------------------------------------------------------------

TEST_F(CoreLayers, EmbeddingLooksUpRows) {
  auto l = make("Embedding", {{"name", "emb"}, {"input_dim", 4}, {"output_dim", 2}});
  l->ensureBuilt({{-1, 3}});
  ASSERT_EQ(l->ownWeights().size(), 1u);
  EXPECT_EQ(l->ownWeights()[0].name, "embeddings");
  EXPECT_EQ(l->ownWeights()[0].value.shape(), (Shape{4, 2}));
  setWeight(*l, 0, tensor({0, 1, 10, 11, 20, 21, 30, 31}, {4, 2}));
  // Integer-valued floats are cast to int32.
  Tensor ids = tensor({3, 0, 1, 2, 2, 0}, {2, 3});
  expectNear(run(*l, ids), {30, 31, 0, 1, 10, 11, 20, 21, 20, 21, 0, 1});
  expectNear(run(*l, tensorInt({1, 1, 3}, {1, 3})), {10, 11, 10, 11, 30, 31});
  EXPECT_FALSE(l->supportsMasking());
  EXPECT_FALSE(l->computeMask({ids}, {Tensor()}).defined());
  EXPECT_EQ(l->outputShapes({{-1, 3, 5}})[0], (SymShape{-1, 3, 5, 2}));
  expectThrowsWith([&] { l->call({tensor({1, 4}, {1, 2})}, {}); },
                   {"layer 'emb' (Embedding)", "id 4", "[0, 4)", "input_dim"});
  expectThrowsWith([&] { l->call({tensor({-1, 0}, {1, 2})}, {}); }, {"layer 'emb' (Embedding)", "id -1"});
}

TEST_F(CoreLayers, EmbeddingMaskZeroAndInputLength) {
  auto l = make("Embedding", {{"name", "e2"}, {"input_dim", 5}, {"output_dim", 3}, {"mask_zero", true},
                              {"input_length", 4}});
  EXPECT_TRUE(l->supportsMasking());
  EXPECT_EQ(l->outputShapes({{-1, 4}})[0], (SymShape{-1, 4, 3}));
  EXPECT_EQ(l->outputShapes({{-1, -1}})[0], (SymShape{-1, 4, 3}));
  expectThrowsWith([&] { l->outputShapes({{-1, 5}}); }, {"layer 'e2' (Embedding)", "input_length"});
  expectThrowsWith([&] { l->outputShapes({{-1, 4, 2}}); }, {"layer 'e2' (Embedding)", "input_length"});
  Tensor ids = tensor({0, 1, 4, 0}, {1, 4});
  Tensor m = l->computeMask({ids}, {Tensor()});
  EXPECT_EQ(m.dtype(), DType::bool_);
  EXPECT_EQ(m.dataSync<int32_t>(), (std::vector<int32_t>{0, 1, 1, 0}));
  EXPECT_EQ(run(*l, ids).shape(), (Shape{1, 4, 3}));
  expectThrowsWith([] { make("Embedding", {{"name", "e3"}, {"input_dim", 0}, {"output_dim", 2}}); },
                   {"layer 'e3' (Embedding)", "input_dim"});
}

TEST_F(CoreLayers, RegisteredClasses) {
  auto names = registeredLayerClasses();
  for (const char* cls : {"Dense", "Activation", "Dropout", "SpatialDropout1D", "SpatialDropout2D", "Flatten", "Reshape",
                          "Permute", "RepeatVector", "Masking", "GaussianNoise", "GaussianDropout", "AlphaDropout",
                          "ReLU", "LeakyReLU", "PReLU", "ELU", "ThresholdedReLU", "Softmax", "Embedding"})
    EXPECT_NE(std::find(names.begin(), names.end(), cls), names.end()) << cls;
}

}  // namespace
}  // namespace strata::layers
