// Unit tests for the convolution, pooling, spatial reshaping, normalization and merge layers,
// driven directly (no model graph): config parsing and errors, weight names/order/shapes,
// symbolic output shapes, values against the ops they are built from, BatchNormalization's
// training path (batch statistics and moving-average updates) and merge masks.
#include <gtest/gtest.h>

#include <cmath>

#include "strata/engine.h"
#include "strata/grad.h"
#include "strata/layer.h"
#include "strata/ops.h"

namespace strata::layers {
namespace {

class SpatialLayers : public ::testing::Test {
 protected:
  void SetUp() override { setBackend("reference"); }

  static std::unique_ptr<Layer> make(const std::string& cls, Json config) {
    return createLayer(cls, config, "conv_test");
  }
  static SymShape unbatched(Shape s) {
    s[0] = -1;
    return s;
  }
  // Builds for the inputs' shapes (batch -1) and runs; checks outputShapes against the result.
  static Tensor runN(Layer& l, const std::vector<Tensor>& xs, bool training = false, std::vector<Tensor> masks = {}) {
    std::vector<SymShape> shapes, concrete;
    for (const Tensor& x : xs) {
      shapes.push_back(unbatched(x.shape()));
      concrete.push_back(x.shape());
    }
    l.ensureBuilt(shapes);
    CallArgs args;
    args.training = training;
    args.masks = std::move(masks);
    auto out = l.call(xs, args);
    EXPECT_EQ(out.size(), 1u);
    EXPECT_EQ(l.outputShapes(concrete)[0], out[0].shape());
    SymShape sym = l.outputShapes(shapes)[0];
    EXPECT_EQ(sym[0], -1);
    for (size_t i = 1; i < sym.size(); ++i) EXPECT_EQ(sym[i], out[0].shape()[i]) << "axis " << i;
    return out[0];
  }
  static Tensor run(Layer& l, const Tensor& x, bool training = false) { return runN(l, {x}, training); }
  static void setWeight(Layer& l, size_t i, const Tensor& v) { l.ownWeights().at(i).value.assign(v); }
  static Tensor seeded(const Shape& s, float scale = 1.0f, int seed = 1) {
    int64_t n = 1;
    for (auto d : s) n *= d;
    std::vector<float> v(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) v[i] = scale * std::sin(0.7f * static_cast<float>(i + 1) * seed + 0.3f * seed);
    return tensor(v, s);
  }
};

void expectNear(const Tensor& t, const std::vector<float>& want, float tol = 1e-5f) {
  auto got = t.dataSync();
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(got[i], want[i], tol) << "at " << i;
}
void expectClose(const Tensor& a, const Tensor& b, float tol = 1e-5f) {
  ASSERT_EQ(a.shape(), b.shape());
  expectNear(a, b.dataSync(), tol);
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

void expectWeights(Layer& l, const std::vector<std::pair<std::string, Shape>>& want) {
  ASSERT_EQ(l.ownWeights().size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(l.ownWeights()[i].name, want[i].first);
    EXPECT_EQ(l.ownWeights()[i].value.shape(), want[i].second) << want[i].first;
  }
}

// ---- convolutions -------------------------------------------------------------------------

TEST_F(SpatialLayers, Conv2DMatchesOpsWithStridesSameAndFusedRelu) {
  auto l = make("Conv2D", {{"name", "c1"}, {"filters", 4}, {"kernel_size", {3, 3}}, {"strides", {2, 2}},
                           {"padding", "same"}, {"activation", "relu"}});
  l->ensureBuilt({{-1, 7, 7, 3}});
  expectWeights(*l, {{"kernel", {3, 3, 3, 4}}, {"bias", {4}}});
  Tensor k = seeded({3, 3, 3, 4}, 0.5f, 2), b = seeded({4}, 0.5f, 3);
  setWeight(*l, 0, k);
  setWeight(*l, 1, b);
  Tensor x = seeded({2, 7, 7, 3});
  Tensor y = run(*l, x);
  EXPECT_EQ(y.shape(), (Shape{2, 4, 4, 4}));
  Conv2DOptions o;
  o.strides = {2, 2};
  o.pad = "same";
  expectClose(y, relu(add(conv2d(x, k, o), b)));
  EXPECT_EQ(l->countParams(), 3 * 3 * 3 * 4 + 4);
}

TEST_F(SpatialLayers, Conv2DDilatedValidUnfusedActivationNoBias) {
  auto l = make("Conv2D", {{"filters", 2}, {"kernel_size", 3}, {"dilation_rate", 2}, {"use_bias", false},
                           {"activation", "tanh"}});
  l->ensureBuilt({{-1, 8, 9, 2}});
  expectWeights(*l, {{"kernel", {3, 3, 2, 2}}});
  Tensor k = seeded({3, 3, 2, 2}, 0.4f, 5);
  setWeight(*l, 0, k);
  Tensor x = seeded({1, 8, 9, 2});
  Tensor y = run(*l, x);
  EXPECT_EQ(y.shape(), (Shape{1, 4, 5, 2}));
  Conv2DOptions o;
  o.dilations = {2, 2};
  expectClose(y, tanh(conv2d(x, k, o)));
}

TEST_F(SpatialLayers, Conv2DConfigErrorsNameLayerAndKey) {
  expectThrowsWith([] { createLayer("Conv2D", {{"name", "cf"}, {"filters", 2}, {"kernel_size", 3},
                                               {"data_format", "channels_first"}}, "t"); },
                   {"'cf'", "Conv2D", "data_format", "channels_first"});
  expectThrowsWith([] { createLayer("Conv2D", {{"name", "nk"}, {"filters", 2}}, "t"); }, {"'nk'", "kernel_size"});
  expectThrowsWith([] { createLayer("Conv2D", {{"name", "pf"}, {"filters", 2}, {"kernel_size", 3}, {"padding", "full"}}, "t"); },
                   {"'pf'", "padding", "full"});
  expectThrowsWith([] { createLayer("Conv2D", {{"name", "zf"}, {"filters", 0}, {"kernel_size", 3}}, "t"); },
                   {"'zf'", "filters"});
  expectThrowsWith([] { createLayer("Conv2D", {{"name", "gr"}, {"filters", 4}, {"kernel_size", 3}, {"groups", 2}}, "t"); },
                   {"'gr'", "groups"});
  EXPECT_NO_THROW(createLayer("Conv2D", {{"filters", 4}, {"kernel_size", 3}, {"groups", 1}}, "t"));
  auto causal = createLayer("Conv2D", {{"name", "cc"}, {"filters", 2}, {"kernel_size", 3}, {"padding", "causal"}}, "t");
  causal->ensureBuilt({{-1, 5, 5, 1}});
  expectThrowsWith([&] { causal->call({zeros({1, 5, 5, 1})}, {}); }, {"'cc'", "causal"});
  auto l = createLayer("Conv2D", {{"name", "rk"}, {"filters", 2}, {"kernel_size", 3}}, "t");
  expectThrowsWith([&] { l->ensureBuilt({{-1, 5, 5}}); }, {"'rk'", "rank 4"});
  expectThrowsWith([&] { l->ensureBuilt({{-1, 5, 5, -1}}); }, {"'rk'", "channel"});
}

TEST_F(SpatialLayers, Conv1DMatchesConv1dOp) {
  auto l = make("Conv1D", {{"filters", 3}, {"kernel_size", {3}}, {"strides", 2}, {"padding", "same"},
                           {"activation", "sigmoid"}});
  l->ensureBuilt({{-1, 9, 2}});
  expectWeights(*l, {{"kernel", {3, 2, 3}}, {"bias", {3}}});
  Tensor k = seeded({3, 2, 3}, 0.5f, 7), b = seeded({3}, 0.3f, 8);
  setWeight(*l, 0, k);
  setWeight(*l, 1, b);
  Tensor x = seeded({2, 9, 2});
  Tensor y = run(*l, x);
  EXPECT_EQ(y.shape(), (Shape{2, 5, 3}));
  Conv1DOptions o;
  o.stride = 2;
  o.pad = "same";
  expectClose(y, sigmoid(add(conv1d(x, k, o), b)));

  auto d = make("Conv1D", {{"filters", 2}, {"kernel_size", 2}, {"dilation_rate", 3}, {"use_bias", false}});
  d->ensureBuilt({{-1, 9, 2}});
  Tensor k2 = seeded({2, 2, 2}, 0.5f, 9);
  setWeight(*d, 0, k2);
  Conv1DOptions o2;
  o2.dilation = 3;
  expectClose(run(*d, x), conv1d(x, k2, o2));
}

TEST_F(SpatialLayers, Conv1DCausalIsRejectedLikeTfjs) {
  auto l = make("Conv1D", {{"name", "causal1"}, {"filters", 2}, {"kernel_size", 2}, {"padding", "causal"}});
  l->ensureBuilt({{-1, 6, 1}});
  EXPECT_EQ(l->outputShapes({{-1, 6, 1}})[0], (SymShape{-1, 5, 2}));
  expectThrowsWith([&] { l->call({zeros({1, 6, 1})}, {}); }, {"'causal1'", "Conv1D", "causal"});
}

TEST_F(SpatialLayers, Conv2DTransposeShapesAndValues) {
  auto l = make("Conv2DTranspose", {{"filters", 2}, {"kernel_size", {3, 2}}, {"strides", {2, 3}},
                                    {"padding", "valid"}, {"activation", "relu"}});
  l->ensureBuilt({{-1, 3, 4, 5}});
  expectWeights(*l, {{"kernel", {3, 2, 2, 5}}, {"bias", {2}}});
  Tensor k = seeded({3, 2, 2, 5}, 0.5f, 3), b = seeded({2}, 0.5f, 4);
  setWeight(*l, 0, k);
  setWeight(*l, 1, b);
  Tensor x = seeded({2, 3, 4, 5});
  Tensor y = run(*l, x);
  // valid: h*s + max(k - s, 0): 3*2+1 = 7, 4*3+0 = 12
  EXPECT_EQ(y.shape(), (Shape{2, 7, 12, 2}));
  Conv2DOptions o;
  o.strides = {2, 3};
  expectClose(y, relu(add(conv2dTranspose(x, k, {2, 7, 12, 2}, o), b)));

  auto same = make("Conv2DTranspose", {{"filters", 1}, {"kernel_size", 3}, {"strides", 2}, {"padding", "same"}});
  EXPECT_EQ(same->outputShapes({{-1, 3, -1, 2}})[0], (SymShape{-1, 6, -1, 1}));
  expectThrowsWith([] { createLayer("Conv2DTranspose", {{"name", "tc"}, {"filters", 1}, {"kernel_size", 3},
                                                        {"padding", "causal"}}, "t"); },
                   {"'tc'", "padding"});
}

TEST_F(SpatialLayers, DepthwiseConv2DMultiplierAndIgnoredDilation) {
  auto l = make("DepthwiseConv2D", {{"kernel_size", 3}, {"depth_multiplier", 2}, {"strides", 2}, {"padding", "same"},
                                    {"dilation_rate", 2}, {"activation", "relu6"}});
  l->ensureBuilt({{-1, 6, 5, 3}});
  expectWeights(*l, {{"depthwise_kernel", {3, 3, 3, 2}}, {"bias", {6}}});
  Tensor k = seeded({3, 3, 3, 2}, 1.0f, 5), b = seeded({6}, 0.5f, 6);
  setWeight(*l, 0, k);
  setWeight(*l, 1, b);
  Tensor x = seeded({2, 6, 5, 3}, 2.0f);
  Tensor y = run(*l, x);
  EXPECT_EQ(y.shape(), (Shape{2, 3, 3, 6}));
  Conv2DOptions o;  // TF.js passes no dilation to the op
  o.strides = {2, 2};
  o.pad = "same";
  expectClose(y, relu6(add(depthwiseConv2d(x, k, o), b)));
}

TEST_F(SpatialLayers, SeparableConv2DWeightsAndValues) {
  auto l = make("SeparableConv2D", {{"filters", 4}, {"kernel_size", 3}, {"depth_multiplier", 2},
                                    {"dilation_rate", 2}, {"activation", "elu"}});
  l->ensureBuilt({{-1, 7, 7, 3}});
  expectWeights(*l, {{"depthwise_kernel", {3, 3, 3, 2}}, {"pointwise_kernel", {1, 1, 6, 4}}, {"bias", {4}}});
  Tensor dk = seeded({3, 3, 3, 2}, 0.5f, 2), pk = seeded({1, 1, 6, 4}, 0.5f, 3), b = seeded({4}, 0.5f, 4);
  setWeight(*l, 0, dk);
  setWeight(*l, 1, pk);
  setWeight(*l, 2, b);
  Tensor x = seeded({2, 7, 7, 3});
  Tensor y = run(*l, x);
  EXPECT_EQ(y.shape(), (Shape{2, 3, 3, 4}));
  Conv2DOptions o;
  o.dilations = {2, 2};
  expectClose(y, elu(add(separableConv2d(x, dk, pk, o), b)));
}

// ---- pooling ------------------------------------------------------------------------------

TEST_F(SpatialLayers, Pooling2DDefaultsAndStrides) {
  auto mp = make("MaxPooling2D", {{"pool_size", {2, 2}}});
  Tensor x = seeded({1, 5, 5, 2});
  Tensor y = run(*mp, x);
  EXPECT_EQ(y.shape(), (Shape{1, 2, 2, 2}));  // strides default to the pool size
  expectClose(y, maxPool(x, {}));

  auto ap = make("AveragePooling2D", {{"pool_size", 3}, {"strides", {2, 1}}, {"padding", "same"}});
  Tensor z = run(*ap, x);
  EXPECT_EQ(z.shape(), (Shape{1, 3, 5, 2}));
  Pool2DOptions o;
  o.filterSize = {3, 3};
  o.strides = {2, 1};
  o.pad = "same";
  expectClose(z, avgPool(x, o));
  expectThrowsWith([] { createLayer("MaxPooling2D", {{"name", "mp0"}, {"pool_size", 0}}, "t"); }, {"'mp0'", "pool_size"});
}

TEST_F(SpatialLayers, Pooling1DValues) {
  auto mp = make("MaxPooling1D", {{"pool_size", {3}}, {"strides", {2}}, {"padding", "same"}});
  Tensor x = tensor({1, -1, 5, 2, 0, 3, -4, 7, 6, -2}, {1, 5, 2});
  // 'same', k3 s2 over 5 steps -> 3 outputs; padding 1 before and 1 after: windows [-1..1],
  // [1..3], [3..5]. Channel 0 is [1, 5, 0, -4, 6], channel 1 is [-1, 2, 3, 7, -2].
  expectNear(run(*mp, x), {5, 2, 5, 7, 6, 7});
  auto ap = make("AveragePooling1D", {});
  expectNear(run(*ap, x), {(1 + 5) / 2.f, (-1 + 2) / 2.f, (0 - 4) / 2.f, (3 + 7) / 2.f});
}

TEST_F(SpatialLayers, GlobalPooling) {
  Tensor x = seeded({2, 3, 4, 5});
  expectClose(run(*make("GlobalAveragePooling2D", {}), x), mean(x, {1, 2}));
  expectClose(run(*make("GlobalMaxPooling2D", {{"keepdims", false}}), x), max(x, {1, 2}));
  Tensor s = seeded({2, 6, 3});
  expectClose(run(*make("GlobalAveragePooling1D", {}), s), mean(s, {1}));
  expectClose(run(*make("GlobalMaxPooling1D", {}), s), max(s, {1}));
  auto g = make("GlobalMaxPooling1D", {{"name", "g1"}});
  expectThrowsWith([&] { g->ensureBuilt({{-1, 3, 4, 5}}); }, {"'g1'", "rank 3"});
}

// ---- padding, cropping, upsampling --------------------------------------------------------

TEST_F(SpatialLayers, ZeroPaddingAndCropping) {
  Tensor x = tensor({1, 2, 3, 4, 5, 6}, {1, 2, 3, 1});
  auto p = make("ZeroPadding2D", {{"padding", {{1, 0}, {0, 2}}}});
  Tensor y = run(*p, x);
  EXPECT_EQ(y.shape(), (Shape{1, 3, 5, 1}));
  expectNear(y, {0, 0, 0, 0, 0, 1, 2, 3, 0, 0, 4, 5, 6, 0, 0});
  EXPECT_EQ(make("ZeroPadding2D", {})->outputShapes({{-1, 2, -1, 3}})[0], (SymShape{-1, 4, -1, 3}));

  auto c = make("Cropping2D", {{"cropping", {{1, 0}, {0, 2}}}});
  expectClose(run(*c, y), x);
  auto c2 = make("Cropping2D", {{"cropping", {0, 1}}});
  expectNear(run(*c2, x), {2, 5});
  expectThrowsWith([] { createLayer("Cropping2D", {{"name", "cr"}}, "t"); }, {"'cr'", "cropping"});
  expectThrowsWith([] { createLayer("ZeroPadding2D", {{"name", "zp"}, {"padding", {1, 2, 3}}}, "t"); },
                   {"'zp'", "padding"});
}

TEST_F(SpatialLayers, UpSampling2D) {
  Tensor x = tensor({1, 2, 3, 4}, {1, 2, 2, 1});
  auto n = make("UpSampling2D", {{"size", {1, 2}}});
  expectNear(run(*n, x), {1, 1, 2, 2, 3, 3, 4, 4});
  auto b = make("UpSampling2D", {{"interpolation", "bilinear"}});
  Tensor y = run(*b, x);
  expectClose(y, image::resizeBilinear(x, {4, 4}));
  expectThrowsWith([] { createLayer("UpSampling2D", {{"name", "us"}, {"interpolation", "bicubic"}}, "t"); },
                   {"'us'", "interpolation", "bicubic"});
}

// ---- normalization ------------------------------------------------------------------------

TEST_F(SpatialLayers, BatchNormalizationInference) {
  auto l = make("BatchNormalization", {{"epsilon", 0.01}});
  l->ensureBuilt({{-1, 2, 3}});
  expectWeights(*l, {{"gamma", {3}}, {"beta", {3}}, {"moving_mean", {3}}, {"moving_variance", {3}}});
  EXPECT_TRUE(l->ownWeights()[0].trainable);
  EXPECT_FALSE(l->ownWeights()[2].trainable);
  EXPECT_FALSE(l->ownWeights()[3].trainable);
  Tensor g = tensor({1, 2, 0.5f}), be = tensor({0, 1, -1}), mm = tensor({0.5f, -1, 2}), mv = tensor({1, 0.25f, 4});
  setWeight(*l, 0, g);
  setWeight(*l, 1, be);
  setWeight(*l, 2, mm);
  setWeight(*l, 3, mv);
  Tensor x = seeded({2, 2, 3}, 2.0f);
  auto xv = x.dataSync();
  std::vector<float> want;
  float gv[] = {1, 2, 0.5f}, bv[] = {0, 1, -1}, mmv[] = {0.5f, -1, 2}, mvv[] = {1, 0.25f, 4};
  for (size_t i = 0; i < xv.size(); ++i) {
    size_t c = i % 3;
    want.push_back((xv[i] - mmv[c]) / std::sqrt(mvv[c] + 0.01f) * gv[c] + bv[c]);
  }
  expectNear(run(*l, x), want, 1e-5f);
}

TEST_F(SpatialLayers, BatchNormalizationCenterScaleOffAndAxis1) {
  auto l = make("BatchNormalization", {{"axis", {1}}, {"center", false}, {"scale", false}});
  l->ensureBuilt({{-1, 2, 3}});
  expectWeights(*l, {{"moving_mean", {2}}, {"moving_variance", {2}}});
  setWeight(*l, 0, tensor({1, -1}));
  setWeight(*l, 1, tensor({4, 1}));
  Tensor x = tensor({1, 2, 3, 4, 5, 6}, {1, 2, 3});
  float e = 1e-3f;
  expectNear(run(*l, x), {0, 1 / std::sqrt(4 + e), 2 / std::sqrt(4 + e), 5 / std::sqrt(1 + e), 6 / std::sqrt(1 + e),
                          7 / std::sqrt(1 + e)});
  auto bad = createLayer("BatchNormalization", {{"name", "bn5"}}, "t");
  bad->ensureBuilt({{-1, 2, 2, 2, 2}});
  expectThrowsWith([&] { bad->call({zeros({1, 2, 2, 2, 2})}, {}); }, {"'bn5'", "rank 5"});
}

TEST_F(SpatialLayers, BatchNormalizationTrainingUsesBatchStatsAndUpdatesMovingStats) {
  auto l = make("BatchNormalization", {{"momentum", 0.9}, {"epsilon", 0.001}});
  l->ensureBuilt({{-1, 2}});
  setWeight(*l, 0, tensor({2, 1}));     // gamma
  setWeight(*l, 1, tensor({0.5f, 0}));  // beta
  setWeight(*l, 2, tensor({1, 1}));     // moving mean
  setWeight(*l, 3, tensor({2, 2}));     // moving variance
  Tensor x = tensor({1, 10, 3, 20, 5, 30}, {3, 2});
  // batch mean [3, 20], biased variance [8/3, 200/3]
  Tensor y = run(*l, x, /*training=*/true);
  float v0 = 8.f / 3, v1 = 200.f / 3;
  expectNear(y, {-2 / std::sqrt(v0 + 1e-3f) * 2 + 0.5f, -10 / std::sqrt(v1 + 1e-3f), 0.5f, 0,
                 2 / std::sqrt(v0 + 1e-3f) * 2 + 0.5f, 10 / std::sqrt(v1 + 1e-3f)},
             1e-4f);
  // moving = moving - (moving - batch) * 0.1
  expectNear(l->ownWeights()[2].value, {1 - (1 - 3) * 0.1f, 1 - (1 - 20) * 0.1f}, 1e-5f);
  expectNear(l->ownWeights()[3].value, {2 - (2 - v0) * 0.1f, 2 - (2 - v1) * 0.1f}, 1e-4f);
  // inference afterwards uses the moved statistics and leaves them alone
  run(*l, x, false);
  expectNear(l->ownWeights()[2].value, {1.2f, 2.9f}, 1e-5f);
}

TEST_F(SpatialLayers, BatchNormalizationTrainingUnderGradientTape) {
  auto l = make("BatchNormalization", {{"momentum", 0.5}});
  l->ensureBuilt({{-1, 2, 2, 3}});
  Tensor x = seeded({2, 2, 2, 3}, 2.0f);
  Variable gamma = l->ownWeights()[0].value, beta = l->ownWeights()[1].value;
  setWeight(*l, 0, tensor({1, 2, 3}));
  CallArgs args;
  args.training = true;
  auto r = variableGrads([&] { return sum(mul(l->call({x}, args)[0], seeded({2, 2, 2, 3}, 1.0f, 4))); }, {gamma, beta});
  ASSERT_EQ(r.grads.size(), 2u);
  // d/dbeta of sum(y * w) is the per-channel sum of w
  expectClose(r.grads.at(beta.name()), sum(seeded({2, 2, 2, 3}, 1.0f, 4), {0, 1, 2}), 1e-5f);
  // moving mean moved halfway from 0 to the batch mean
  expectClose(l->ownWeights()[2].value, mul(mean(x, {0, 1, 2}), scalar(0.5f)), 1e-5f);

  // TF.js crashes here (it reads gamma/beta unconditionally); Strata normalizes without them.
  auto bare = make("BatchNormalization", {{"center", false}, {"scale", false}});
  Tensor y = run(*bare, x, /*training=*/true);
  expectClose(mean(y, {0, 1, 2}), zeros({3}), 1e-5f);
}

TEST_F(SpatialLayers, LayerNormalization) {
  auto l = make("LayerNormalization", {{"axis", -1}, {"epsilon", 1e-5}});
  l->ensureBuilt({{-1, 2, 4}});
  expectWeights(*l, {{"gamma", {4}}, {"beta", {4}}});
  setWeight(*l, 0, tensor({1, 2, 1, 0.5f}));
  setWeight(*l, 1, tensor({0, 0, 1, 0}));
  Tensor x = tensor({1, 2, 3, 4, -1, -1, 1, 1}, {1, 2, 4});
  // row0: mean 2.5 var 1.25; row1: mean 0 var 1
  float s0 = std::sqrt(1.25f + 1e-5f), s1 = std::sqrt(1 + 1e-5f);
  expectNear(run(*l, x), {-1.5f / s0, -0.5f / s0 * 2, 0.5f / s0 + 1, 1.5f / s0 * 0.5f, -1 / s1, -2 / s1, 1 / s1 + 1,
                          0.5f / s1},
             1e-5f);
  auto multi = make("LayerNormalization", {{"axis", {1, 2}}, {"center", false}});
  multi->ensureBuilt({{-1, 2, 4}});
  expectWeights(*multi, {{"gamma", {2, 4}}});
  setWeight(*multi, 0, ones({2, 4}));
  Tensor y = run(*multi, x);
  Tensor m = mean(x, {1, 2}, true);
  expectClose(y, div(sub(x, m), sqrt(add(mean(square(sub(x, m)), {1, 2}, true), scalar(1e-3f)))), 1e-5f);
  auto dup = createLayer("LayerNormalization", {{"name", "ln"}, {"axis", {2, -1}}}, "t");
  expectThrowsWith([&] { dup->ensureBuilt({{-1, 2, 4}}); }, {"'ln'", "axis"});
}

// ---- merge --------------------------------------------------------------------------------

TEST_F(SpatialLayers, ElementwiseMergesBroadcastLowerRankAfterBatch) {
  Tensor a = seeded({2, 3, 4}), b = seeded({2, 4}, 1.0f, 2), c = seeded({2, 3, 1}, 1.0f, 3);
  Tensor b3 = reshape(b, {2, 1, 4});
  expectClose(runN(*make("Add", {}), {a, b}), add(a, b3));
  expectClose(runN(*make("Multiply", {}), {b, a, c}), mul(mul(b3, a), c));
  expectClose(runN(*make("Average", {}), {a, c}), mul(add(a, c), scalar(0.5f)));
  expectClose(runN(*make("Maximum", {}), {a, b, c}), maximum(maximum(a, b3), c));
  expectClose(runN(*make("Minimum", {}), {c, a}), minimum(c, a));
  expectClose(runN(*make("Subtract", {}), {a, c}), sub(a, c));
  auto sub3 = createLayer("Subtract", {{"name", "s3"}}, "t");
  expectThrowsWith([&] { sub3->ensureBuilt({{-1, 2}, {-1, 2}, {-1, 2}}); }, {"'s3'", "exactly 2"});
  auto one = createLayer("Add", {{"name", "a1"}}, "t");
  expectThrowsWith([&] { one->ensureBuilt({{-1, 2}}); }, {"'a1'", "at least 2"});
  auto bad = createLayer("Add", {{"name", "a2"}}, "t");
  expectThrowsWith([&] { bad->ensureBuilt({{-1, 3}, {-1, 4}}); }, {"'a2'", "broadcast"});
  expectThrowsWith([&] { createLayer("Add", {{"name", "a3"}}, "t")->ensureBuilt({{2, 3}, {5, 3}}); },
                   {"'a3'", "batch"});
  EXPECT_EQ(make("Add", {})->outputShapes({{-1, 3, 4}, {-1, -1, 4}})[0], (SymShape{-1, -1, 4}));
}

TEST_F(SpatialLayers, MergeMaskIsAndOfInputMasks) {
  auto l = make("Add", {});
  Tensor m1 = tensorBool({true, true, false}, {1, 3}), m2 = tensorBool({true, false, false}, {1, 3});
  Tensor x = zeros({1, 3, 2});
  EXPECT_EQ(l->computeMask({x, x}, {m1, m2}).dataSync<bool>(), (std::vector<bool>{true, false, false}));
  EXPECT_EQ(l->computeMask({x, x}, {Tensor(), m2}).dataSync<bool>(), (std::vector<bool>{true, false, false}));
  EXPECT_FALSE(l->computeMask({x, x}, {}).defined());
}

TEST_F(SpatialLayers, ConcatenateAxesShapesAndMasks) {
  Tensor a = seeded({2, 3, 4}), b = seeded({2, 5, 4}, 1.0f, 2), c = seeded({2, 3, 2}, 1.0f, 3);
  expectClose(runN(*make("Concatenate", {{"axis", 1}}), {a, b}), concat({a, b}, 1));
  expectClose(runN(*make("Concatenate", {}), {a, c, a}), concat({a, c, a}, 2));
  expectClose(runN(*make("Concatenate", {{"axis", -2}}), {a, b}), concat({a, b}, 1));
  auto l = make("Concatenate", {});
  EXPECT_EQ(l->outputShapes({{-1, 3, 4}, {-1, 3, -1}})[0], (SymShape{-1, 3, -1}));
  auto bad = createLayer("Concatenate", {{"name", "cat"}, {"axis", 1}}, "t");
  expectThrowsWith([&] { bad->ensureBuilt({{-1, 3, 4}, {-1, 3, 2}}); }, {"'cat'", "matching shapes"});
  // masks: a missing one counts as all-true; [batch, time] masks gain a trailing axis
  Tensor m = tensorBool({true, false, true}, {1, 3});
  Tensor x1 = zeros({1, 3, 2}), x2 = zeros({1, 3, 1});
  EXPECT_EQ(l->computeMask({x1, x2}, {m, Tensor()}).dataSync<bool>(), (std::vector<bool>{true, false, true}));
  EXPECT_FALSE(l->computeMask({x1, x2}, {Tensor(), Tensor()}).defined());
}

TEST_F(SpatialLayers, DotRanksAxesAndNormalize) {
  Tensor v1 = tensor({1, 2, 3, 0, 1, 0}, {2, 3}), v2 = tensor({4, 5, 6, 1, 1, 1}, {2, 3});
  auto d = make("Dot", {{"axes", 1}});
  Tensor y = runN(*d, {v1, v2});
  expectNear(y, {32, 1});
  EXPECT_EQ(y.shape(), (Shape{2, 1}));
  auto n = make("Dot", {{"axes", -1}, {"normalize", true}});
  expectNear(runN(*n, {v1, v2}), {32 / std::sqrt(14.f * 77.f), 1 / std::sqrt(3.f)}, 1e-5f);

  Tensor s1 = seeded({2, 3, 4}), s2 = seeded({2, 5, 4}, 1.0f, 2);
  auto att = make("Dot", {{"axes", {2, 2}}});
  expectClose(runN(*att, {s1, s2}), matMul(s1, s2, false, true));
  Tensor s3 = seeded({2, 3, 6}, 1.0f, 3);
  expectClose(runN(*make("Dot", {{"axes", 1}}), {s1, s3}), matMul(s1, s3, true, false));
  Tensor w = seeded({2, 4}, 1.0f, 4);
  Tensor mixed = runN(*make("Dot", {{"axes", {2, 1}}}), {s1, w});
  expectClose(mixed, reshape(matMul(s1, reshape(w, {2, 4, 1})), {2, 3}));
  auto bad = createLayer("Dot", {{"name", "dt"}, {"axes", 1}}, "t");
  expectThrowsWith([&] { bad->ensureBuilt({{-1, 3}, {-1, 4}}); }, {"'dt'", "incompatib"});
  expectThrowsWith([] { createLayer("Dot", {{"name", "dn"}}, "t"); }, {"'dn'", "axes"});
  auto r4 = createLayer("Dot", {{"name", "d4"}, {"axes", 1}}, "t");
  expectThrowsWith([&] { r4->ensureBuilt({{-1, 2, 2, 2}, {-1, 2, 2, 2}}); }, {"'d4'", "rank"});
}

}  // namespace
}  // namespace strata::layers
