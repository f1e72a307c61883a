// Initializers, regularizers and constraints (strata/initializers.h, models/weight_policies.h).
// TF.js draws with another generator, so its values cannot be matched: every expected value here
// comes from mathematics (the distributions' moments and bounds, orthogonality, the regularizer
// and constraint formulas of tfjs-layers computed on the host, and their derivatives).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "models/model.h"
#include "models/weight_policies.h"
#include "strata/initializers.h"
#include "strata/strata.h"

namespace st = strata;
namespace init = strata::initializers;
using Json = nlohmann::json;

namespace {

class WeightPolicies : public ::testing::Test {
 protected:
  void SetUp() override { st::setBackend("reference"); }
};

struct Moments {
  double mean = 0, std = 0, minv = 0, maxv = 0, maxAbs = 0;
};
Moments moments(const std::vector<float>& v) {
  Moments m;
  m.minv = m.maxv = v[0];
  for (float x : v) {
    m.mean += x;
    m.minv = std::min<double>(m.minv, x);
    m.maxv = std::max<double>(m.maxv, x);
    m.maxAbs = std::max<double>(m.maxAbs, std::abs(x));
  }
  m.mean /= static_cast<double>(v.size());
  for (float x : v) m.std += (x - m.mean) * (x - m.mean);
  m.std = std::sqrt(m.std / static_cast<double>(v.size()));
  return m;
}

// Standard deviation of a normal truncated at +-2 sigma, over sigma:
// sqrt(1 - 2 * 2 phi(2) / (2 Phi(2) - 1)).
double truncatedStdFactor() {
  const double phi = std::exp(-2.0) / std::sqrt(2 * M_PI);
  const double mass = std::erf(2 / std::sqrt(2.0));  // 2 Phi(2) - 1
  return std::sqrt(1 - 4 * phi / mass);
}

// Checks sample mean and std of n draws against the formula, within 6 standard errors
// (mean: sigma / sqrt(n); std: at most sigma / sqrt(2n) for these light-tailed laws).
void expectMoments(const std::vector<float>& v, double mean, double sd, const std::string& what) {
  const Moments m = moments(v);
  const double n = static_cast<double>(v.size());
  EXPECT_NEAR(m.mean, mean, 6 * sd / std::sqrt(n)) << what;
  EXPECT_NEAR(m.std, sd, 6 * sd / std::sqrt(2 * n)) << what;
}

void expectUniform(const st::Tensor& t, double limit, const std::string& what) {
  auto v = t.dataSync();
  const Moments m = moments(v);
  const double bound = limit * (1 + 1e-6);  // the limit as the float32 kernel rounds it
  EXPECT_GE(m.minv, -bound) << what;
  EXPECT_LT(m.maxv, bound) << what;
  EXPECT_GT(m.maxAbs, 0.99 * limit) << what;  // reaches the limit (n is large)
  expectMoments(v, 0, limit / std::sqrt(3.0), what);
}

void expectTruncated(const st::Tensor& t, double sigma, const std::string& what) {
  auto v = t.dataSync();
  EXPECT_LE(moments(v).maxAbs, 2 * sigma * (1 + 1e-6)) << what;
  expectMoments(v, 0, sigma * truncatedStdFactor(), what);
}

// Gram matrix of the rows (byRows) or columns of a [r, c] matrix.
std::vector<double> gram(const std::vector<float>& a, int64_t r, int64_t c, bool byRows) {
  const int64_t k = byRows ? r : c, len = byRows ? c : r;
  std::vector<double> g(k * k);
  for (int64_t i = 0; i < k; ++i)
    for (int64_t j = 0; j < k; ++j) {
      double s = 0;
      for (int64_t t = 0; t < len; ++t)
        s += byRows ? double(a[i * c + t]) * a[j * c + t] : double(a[t * c + i]) * a[t * c + j];
      g[i * k + j] = s;
    }
  return g;
}

void expectScaledIdentity(const std::vector<double>& g, double diag, double tol, const std::string& what) {
  const auto k = static_cast<int64_t>(std::lround(std::sqrt(double(g.size()))));
  for (int64_t i = 0; i < k; ++i)
    for (int64_t j = 0; j < k; ++j) EXPECT_NEAR(g[i * k + j], i == j ? diag : 0.0, tol) << what << " at " << i << "," << j;
}

template <class F>
void expectError(F&& f, std::initializer_list<std::string> needles) {
  try {
    f();
    ADD_FAILURE() << "expected a strata::Error";
  } catch (const st::Error& e) {
    for (const auto& n : needles) EXPECT_NE(std::string(e.what()).find(n), std::string::npos) << e.what();
  }
}

// ---- models built from JSON, without a weightsManifest (so initialized on load) ----------

Json layerJson(const std::string& cls, Json config) { return {{"class_name", cls}, {"config", std::move(config)}}; }

// model.json of a Sequential model with these layers and no weightsManifest.
Json sequentialJson(const Json& layers) {
  Json config = Json::object();
  config["name"] = "seq";
  config["layers"] = layers;
  Json topology = Json::object();
  topology["class_name"] = "Sequential";
  topology["config"] = config;
  Json m = Json::object();
  m["format"] = "layers-model";
  m["modelTopology"] = topology;
  return m;
}

st::LayersModel loadSequential(std::initializer_list<Json> layers) {
  Json list = Json::array();
  for (const Json& l : layers) list.push_back(l);
  return st::loadLayersModelFromMemory(sequentialJson(list).dump(), {}, "test.json");
}

st::Variable& weightOf(st::layers::Layer& layer, const std::string& name) {
  for (st::layers::Weight* w : layer.allWeights())
    if (w->name == name) return w->value;
  throw st::Error("test: no weight " + name + " in " + layer.name());
}
st::Variable& weightOf(const st::LayersModel& m, const std::string& layer, const std::string& name) {
  return weightOf(m.getLayer(layer), name);
}

std::vector<float> hostRandom(size_t n, uint64_t seed, float scale) {
  return st::tidy([&] { return st::randomUniform({static_cast<int64_t>(n)}, -scale, scale, st::DType::float32, seed); })
      .dataSync();
}

}  // namespace

// ---- initializers ------------------------------------------------------------------------

TEST_F(WeightPolicies, FansAsTfjsComputeFans) {
  auto f = [](const st::Shape& s) { return init::computeFans(s); };
  EXPECT_EQ(f({5, 7}).fanIn, 5);
  EXPECT_EQ(f({5, 7}).fanOut, 7);
  EXPECT_EQ(f({3, 16, 32}).fanIn, 3 * 16);  // Conv1D kernel
  EXPECT_EQ(f({3, 16, 32}).fanOut, 3 * 32);
  EXPECT_EQ(f({3, 5, 16, 32}).fanIn, 15 * 16);  // Conv2D kernel: receptive field 3 * 5
  EXPECT_EQ(f({3, 5, 16, 32}).fanOut, 15 * 32);
  EXPECT_EQ(f({2, 3, 3, 4, 8}).fanIn, 18 * 4);
  EXPECT_EQ(f({9}).fanIn, 3);  // other ranks: sqrt(size)
  EXPECT_EQ(f({9}).fanOut, 3);
  EXPECT_EQ(f({1, 1, 1, 2, 2, 4}).fanIn, 4);
}

TEST_F(WeightPolicies, SeededInitializersAreDeterministicAndSeedsDiffer) {
  const st::Shape s{12, 10};
  std::vector<std::pair<std::string, std::function<st::Tensor(uint64_t)>>> cases{
      {"randomUniform", [&](uint64_t k) { return init::randomUniform(s, -1, 1, k); }},
      {"randomNormal", [&](uint64_t k) { return init::randomNormal(s, 0, 1, k); }},
      {"truncatedNormal", [&](uint64_t k) { return init::truncatedNormal(s, 0, 1, k); }},
      {"glorotUniform", [&](uint64_t k) { return init::glorotUniform(s, k); }},
      {"glorotNormal", [&](uint64_t k) { return init::glorotNormal(s, k); }},
      {"heUniform", [&](uint64_t k) { return init::heUniform(s, k); }},
      {"heNormal", [&](uint64_t k) { return init::heNormal(s, k); }},
      {"leCunUniform", [&](uint64_t k) { return init::leCunUniform(s, k); }},
      {"leCunNormal", [&](uint64_t k) { return init::leCunNormal(s, k); }},
      {"varianceScaling", [&](uint64_t k) {
         return init::varianceScaling(s, 3, init::FanMode::fanOut, init::Distribution::untruncatedNormal, k);
       }},
      {"orthogonal", [&](uint64_t k) { return init::orthogonal(s, 1, k); }},
  };
  for (auto& [name, f] : cases) {
    auto a = f(7).dataSync(), b = f(7).dataSync(), c = f(8).dataSync();
    EXPECT_EQ(a, b) << name;
    int differ = 0;
    for (size_t i = 0; i < a.size(); ++i) differ += a[i] != c[i];
    EXPECT_GT(differ, static_cast<int>(a.size()) / 2) << name;
  }
}

TEST_F(WeightPolicies, DistributionsMatchTheirFormulas) {
  const st::Shape s{300, 200};  // fanIn 300, fanOut 200, 60000 draws
  {
    auto v = init::randomUniform(s, -0.5f, 1.5f, 1).dataSync();
    Moments m = moments(v);
    EXPECT_GE(m.minv, -0.5);
    EXPECT_LT(m.maxv, 1.5);
    expectMoments(v, 0.5, 2 / std::sqrt(12.0), "randomUniform");
  }
  expectMoments(init::randomNormal(s, 1, 2, 2).dataSync(), 1, 2, "randomNormal");
  {
    auto v = init::truncatedNormal(s, 1, 2, 3).dataSync();
    for (float x : v) ASSERT_LE(std::abs(x - 1), 4 * (1 + 1e-6));
    expectMoments(v, 1, 2 * truncatedStdFactor(), "truncatedNormal");
  }
  expectUniform(init::glorotUniform(s, 4), std::sqrt(6.0 / 500), "glorotUniform");
  expectTruncated(init::glorotNormal(s, 5), std::sqrt(2.0 / 500), "glorotNormal");
  expectUniform(init::heUniform(s, 6), std::sqrt(6.0 / 300), "heUniform");
  expectTruncated(init::heNormal(s, 7), std::sqrt(2.0 / 300), "heNormal");
  expectUniform(init::leCunUniform(s, 8), std::sqrt(3.0 / 300), "leCunUniform");
  expectTruncated(init::leCunNormal(s, 9), std::sqrt(1.0 / 300), "leCunNormal");
  {
    // Untruncated: a plain normal, so some draws lie beyond two standard deviations.
    const double sigma = std::sqrt(3.0 / 200);
    auto v = init::varianceScaling(s, 3, init::FanMode::fanOut, init::Distribution::untruncatedNormal, 10).dataSync();
    EXPECT_GT(moments(v).maxAbs, 3 * sigma);
    expectMoments(v, 0, sigma, "varianceScaling untruncated fanOut");
  }
  // A conv kernel: fanIn 9 * 20, fanOut 9 * 40, scale / fanAvg.
  expectUniform(init::varianceScaling({3, 3, 20, 40}, 0.5f, init::FanMode::fanAvg, init::Distribution::uniform, 11),
                std::sqrt(3 * 0.5 / 270), "varianceScaling uniform fanAvg conv");
  expectError([] { init::varianceScaling({2, 2}, -1); }, {"scale"});
}

TEST_F(WeightPolicies, OrthogonalHasOrthonormalColumnsOrRowsTimesGain) {
  // More rows than columns: Q^T Q = gain^2 I.
  auto tall = init::orthogonal({20, 8}, 2.0f, 1).dataSync();
  expectScaledIdentity(gram(tall, 20, 8, false), 4.0, 1e-5, "[20, 8]");
  // More columns: the rows are orthonormal.
  auto wide = init::orthogonal({8, 20}, 0.5f, 2).dataSync();
  expectScaledIdentity(gram(wide, 8, 20, true), 0.25, 1e-6, "[8, 20]");
  // A conv kernel flattens to [3 * 3 * 4, 8].
  auto conv = init::orthogonal({3, 3, 4, 8}, 1.0f, 3).dataSync();
  expectScaledIdentity(gram(conv, 36, 8, false), 1.0, 1e-5, "[3, 3, 4, 8]");
  // Square: both.
  auto sq = init::orthogonal({16, 16}, 1.0f, 4).dataSync();
  expectScaledIdentity(gram(sq, 16, 16, true), 1.0, 1e-5, "[16, 16] rows");
  expectScaledIdentity(gram(sq, 16, 16, false), 1.0, 1e-5, "[16, 16] columns");
  expectError([] { init::orthogonal({5}); }, {"orthogonal", "[5]"});
}

TEST_F(WeightPolicies, IdentityIsGainTimesI) {
  auto v = init::identity({4, 4}, 3.0f).dataSync();
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 4; ++j) EXPECT_EQ(v[i * 4 + j], i == j ? 3.0f : 0.0f);
  expectError([] { init::identity({3, 4}); }, {"identity", "[3,4]"});
  expectError([] { init::identity({2, 2, 2}); }, {"identity"});
  EXPECT_EQ(init::constant({2, 3}, 0.25f).dataSync(), std::vector<float>(6, 0.25f));
  EXPECT_EQ(init::zeros({3}).dataSync(), std::vector<float>(3, 0.0f));
  EXPECT_EQ(init::ones({3}).dataSync(), std::vector<float>(3, 1.0f));
}

TEST_F(WeightPolicies, FromConfigReadsKerasTfjsAndKeras3Forms) {
  const st::Shape s{6, 5};
  auto from = [&](const Json& j, std::optional<uint64_t> seed = std::nullopt) {
    return init::fromConfig(j, s, seed).dataSync();
  };
  const auto glorot = init::glorotUniform(s, 5).dataSync();
  EXPECT_EQ(from(Json::parse(R"({"class_name": "GlorotUniform", "config": {"seed": 5}})")), glorot);
  EXPECT_EQ(from(Json::parse(R"({"module": "keras.initializers", "class_name": "GlorotUniform",
                                 "config": {"seed": 5}, "registered_name": null})")),
            glorot);
  EXPECT_EQ(from(Json::parse(R"({"class_name": "glorot_uniform", "config": {"seed": null}})"), 5), glorot);
  EXPECT_EQ(from("glorot_uniform", 5), glorot);
  EXPECT_EQ(from("glorotUniform", 5), glorot);
  // TF.js writes glorotNormal as VarianceScaling(1, fan_avg, normal).
  EXPECT_EQ(from(Json::parse(R"({"class_name": "VarianceScaling",
                                 "config": {"scale": 1, "mode": "fan_avg", "distribution": "normal", "seed": null}})"),
                 9),
            init::glorotNormal(s, 9).dataSync());
  EXPECT_EQ(from(Json::parse(R"({"class_name": "VarianceScaling",
                                 "config": {"scale": 2, "mode": "fan_out", "distribution": "uniform", "seed": 3}})")),
            init::varianceScaling(s, 2, init::FanMode::fanOut, init::Distribution::uniform, 3).dataSync());
  const auto lecun = init::leCunNormal(s, 4).dataSync();
  for (const char* name : {"LecunNormal", "LeCunNormal", "lecun_normal", "leCunNormal"})
    EXPECT_EQ(from(Json{{"class_name", name}, {"config", {{"seed", 4}}}}), lecun) << name;
  // The config's seed wins over the default seed.
  EXPECT_EQ(from(Json::parse(R"({"class_name": "RandomNormal", "config": {"mean": 0, "stddev": 1, "seed": 11}})"), 12),
            init::randomNormal(s, 0, 1, 11).dataSync());
  EXPECT_EQ(from(Json::parse(R"({"class_name": "Orthogonal", "config": {"gain": 2, "seed": 1}})")),
            init::orthogonal(s, 2, 1).dataSync());
  EXPECT_EQ(from(Json::parse(R"({"class_name": "OrthogonalInitializer", "config": {"gain": 2, "seed": 1}})")),
            init::orthogonal(s, 2, 1).dataSync());
  EXPECT_EQ(init::fromConfig(Json::parse(R"({"class_name": "IdentityInitializer", "config": {"gain": 1.5}})"), {3, 3})
                .dataSync(),
            init::identity({3, 3}, 1.5f).dataSync());
  EXPECT_EQ(from(Json::parse(R"({"class_name": "Constant", "config": {"value": 0.75}})")), std::vector<float>(30, 0.75f));
  EXPECT_EQ(from("zeros"), std::vector<float>(30, 0.0f));
  EXPECT_EQ(from(Json::parse(R"({"class_name": "Ones", "config": {}})")), std::vector<float>(30, 1.0f));
  // An explicit minval of 0 is kept (TF.js would replace it by -0.05).
  auto u = from(Json::parse(R"({"class_name": "RandomUniform", "config": {"minval": 0, "maxval": 2, "seed": 1}})"));
  EXPECT_GE(*std::min_element(u.begin(), u.end()), 0.0f);

  expectError([&] { from(Json::parse(R"({"class_name": "Fancy", "config": {}})")); }, {"unknown initializer", "Fancy"});
  expectError([&] { init::fromConfig(Json::parse(R"({"class_name": "Constant", "config": {}})"), s, {}, "ctx"); },
              {"ctx", "value"});
  expectError([&] { from(Json::parse(R"({"class_name": "VarianceScaling", "config": {"mode": "fan_sideways"}})")); },
              {"mode", "fan_sideways"});
  expectError([&] { from(Json(42)); }, {"initializer"});
}

// ---- a model's initializers --------------------------------------------------------------

TEST_F(WeightPolicies, ManifestlessModelLoadsWithInitializedWeights) {
  for (Json manifest : {Json(), Json::array()}) {
    Json m = sequentialJson(Json::array({layerJson("Dense", {{"name", "d1"}, {"units", 40}, {"batch_input_shape", {nullptr, 60}}}),
                                         layerJson("BatchNormalization", {{"name", "bn"}})}));
    if (!manifest.is_null()) m["weightsManifest"] = manifest;
    auto model = st::loadLayersModelFromMemory(m.dump(), {}, "nomanifest.json");
    // Dense's TF.js default kernel initializer: glorotNormal, sigma sqrt(2 / (60 + 40)).
    auto k = weightOf(model, "d1", "kernel").dataSync();
    EXPECT_LE(moments(k).maxAbs, 2 * std::sqrt(2.0 / 100) * (1 + 1e-6));
    EXPECT_GT(moments(k).std, 0.5 * std::sqrt(2.0 / 100));  // not zeros
    EXPECT_EQ(weightOf(model, "d1", "bias").dataSync(), std::vector<float>(40, 0.0f));
    EXPECT_EQ(weightOf(model, "bn", "gamma").dataSync(), std::vector<float>(40, 1.0f));
    EXPECT_EQ(weightOf(model, "bn", "beta").dataSync(), std::vector<float>(40, 0.0f));
    EXPECT_EQ(weightOf(model, "bn", "moving_mean").dataSync(), std::vector<float>(40, 0.0f));
    EXPECT_EQ(weightOf(model, "bn", "moving_variance").dataSync(), std::vector<float>(40, 1.0f));
    EXPECT_EQ(model.predict(st::ones({2, 60})).shape(), (st::Shape{2, 40}));
  }
  // An unknown initializer names the file, the layer, the key and the class.
  Json dense = layerJson("Dense", {{"name", "d1"}, {"units", 2}, {"batch_input_shape", {nullptr, 3}}});
  dense["config"]["kernel_initializer"] = Json::parse(R"({"class_name": "Mystery", "config": {}})");
  Json bad = sequentialJson(Json::array({dense}));
  expectError([&] { st::loadLayersModelFromMemory(bad.dump(), {}, "bad.json"); },
              {"bad.json", "d1", "kernel_initializer", "Mystery"});
}

TEST_F(WeightPolicies, LayerDefaultsWrappersAndRecurrentInitializers) {
  auto model = loadSequential(
      {layerJson("Embedding", {{"name", "emb"}, {"input_dim", 50}, {"output_dim", 8}, {"batch_input_shape", {nullptr, 7}}}),
       layerJson("LSTM", {{"name", "lstm"},
                          {"units", 5},
                          {"return_sequences", true},
                          {"unit_forget_bias", true},
                          {"bias_initializer", {{"class_name", "Constant"}, {"config", {{"value", 0.25}}}}}}),
       layerJson("Bidirectional", {{"name", "bidi"},
                                   {"layer", layerJson("LSTM", {{"name", "inner"},
                                                                {"units", 3},
                                                                {"return_sequences", true},
                                                                {"kernel_initializer", "ones"},
                                                                {"recurrent_initializer", "zeros"}})}}),
       layerJson("TimeDistributed",
                 {{"name", "td"},
                  {"layer", layerJson("Dense", {{"name", "tdd"},
                                                {"units", 2},
                                                {"bias_initializer", {{"class_name", "Constant"},
                                                                      {"config", {{"value", 0.5}}}}}})}}),
       layerJson("RNN", {{"name", "rnn"},
                         {"cell", Json::array({layerJson("SimpleRNNCell", {{"units", 2}, {"kernel_initializer", "zeros"}}),
                                               layerJson("GRUCell", {{"units", 3}, {"bias_initializer", "ones"}})})}}),
       layerJson("PReLU", {{"name", "prelu"}})});
  // Embedding: randomUniform in [-0.05, 0.05).
  auto e = weightOf(model, "emb", "embeddings").dataSync();
  EXPECT_LE(moments(e).maxAbs, 0.05);
  EXPECT_GT(moments(e).maxAbs, 0.04);
  // LSTM unit_forget_bias: [bias_init(units), ones(units), bias_init(2 * units)].
  std::vector<float> bias(20, 0.25f);
  std::fill(bias.begin() + 5, bias.begin() + 10, 1.0f);
  EXPECT_EQ(weightOf(model, "lstm", "bias").dataSync(), bias);
  // recurrent_kernel [5, 20]: orthogonal rows.
  expectScaledIdentity(gram(weightOf(model, "lstm", "recurrent_kernel").dataSync(), 5, 20, true), 1, 1e-5,
                       "lstm recurrent_kernel");
  // Bidirectional: both directions read config.layer; unit_forget_bias absent -> zeros (TF.js).
  for (const char* dir : {"forward_inner/", "backward_inner/"}) {
    EXPECT_EQ(weightOf(model, "bidi", std::string(dir) + "kernel").dataSync(), std::vector<float>(5 * 12, 1.0f)) << dir;
    EXPECT_EQ(weightOf(model, "bidi", std::string(dir) + "recurrent_kernel").dataSync(), std::vector<float>(36, 0.0f));
    EXPECT_EQ(weightOf(model, "bidi", std::string(dir) + "bias").dataSync(), std::vector<float>(12, 0.0f));
  }
  EXPECT_EQ(weightOf(model, "td", "bias").dataSync(), std::vector<float>(2, 0.5f));
  // Stacked cells: RNNCell_i/<name> reads cell i's config.
  EXPECT_EQ(weightOf(model, "rnn", "RNNCell_0/kernel").dataSync(), std::vector<float>(2 * 2, 0.0f));
  EXPECT_EQ(weightOf(model, "rnn", "RNNCell_1/bias").dataSync(), std::vector<float>(9, 1.0f));
  expectScaledIdentity(gram(weightOf(model, "rnn", "RNNCell_1/recurrent_kernel").dataSync(), 3, 9, true), 1, 1e-5,
                       "GRUCell recurrent_kernel");
  EXPECT_EQ(weightOf(model, "prelu", "alpha").dataSync(), std::vector<float>(3, 0.0f));
}

TEST_F(WeightPolicies, ConvDefaultsAndConfigSeedsAndSeededModelInitialization) {
  auto model = loadSequential(
      {layerJson("Conv2D", {{"name", "conv"},
                            {"filters", 8},
                            {"kernel_size", 3},
                            {"batch_input_shape", {nullptr, 10, 10, 4}},
                            {"kernel_initializer", {{"class_name", "HeUniform"}, {"config", {{"seed", 3}}}}}}),
       layerJson("SeparableConv2D", {{"name", "sep"}, {"filters", 6}, {"kernel_size", 3}}),
       layerJson("DepthwiseConv2D", {{"name", "dw"}, {"kernel_size", 3}}),
       layerJson("Flatten", {{"name", "flat"}}), layerJson("Dense", {{"name", "a"}, {"units", 4}}),
       layerJson("Dense", {{"name", "b"}, {"units", 4}}), layerJson("Dense", {{"name", "c"}, {"units", 4}})});
  auto& impl = model.impl();
  // The config's seed: exactly heUniform(shape, 3).
  EXPECT_EQ(weightOf(model, "conv", "kernel").dataSync(), init::heUniform({3, 3, 4, 8}, 3).dataSync());
  // SeparableConv2D depthwise [3, 3, 8, 1]: glorotUniform, limit sqrt(6 / (9 * 8 + 9 * 1)).
  EXPECT_LE(moments(weightOf(model, "sep", "depthwise_kernel").dataSync()).maxAbs, std::sqrt(6.0 / 81));
  // pointwise [1, 1, 8, 6]: glorotUniform.
  EXPECT_LE(moments(weightOf(model, "sep", "pointwise_kernel").dataSync()).maxAbs, std::sqrt(6.0 / 14));
  // DepthwiseConv2D [3, 3, 6, 1]: glorotNormal (TF.js), sigma sqrt(2 / (54 + 9)).
  EXPECT_LE(moments(weightOf(model, "dw", "depthwise_kernel").dataSync()).maxAbs, 2 * std::sqrt(2.0 / 63) * (1 + 1e-6));

  auto snapshot = [&] {
    std::vector<std::vector<float>> all;
    for (auto* w : impl.allWeights()) all.push_back(w->value.dataSync());
    return all;
  };
  const int64_t tensors = st::memory().numTensors;
  st::layers::initializeWeights(impl, 42);
  EXPECT_EQ(st::memory().numTensors, tensors);  // values replaced in place, temporaries freed
  auto first = snapshot();
  st::layers::initializeWeights(impl, 42);
  EXPECT_EQ(snapshot(), first);
  st::layers::initializeWeights(impl, 43);
  auto other = snapshot();
  EXPECT_EQ(other[0], first[0]);  // the conv kernel's config seed wins
  EXPECT_NE(other[2], first[2]);  // sep depthwise: drawn from the model seed
  // Each weight its own stream: b and c have one shape and differ.
  EXPECT_NE(weightOf(model, "b", "kernel").dataSync(), weightOf(model, "c", "kernel").dataSync());
}

// ---- regularizers ------------------------------------------------------------------------

namespace {

// Dense(3 -> 4) with L1L2 kernel and Keras L2 bias regularizers, then a nested Sequential with
// a Keras 3 L1 on a Dense kernel, then BatchNormalization with an l2 gamma regularizer (bare name).
st::LayersModel regularizedModel() {
  Json inner = {{"class_name", "Sequential"},
                {"config",
                 {{"name", "inner"},
                  {"layers", {layerJson("Dense", {{"name", "d2"},
                                                  {"units", 5},
                                                  {"batch_input_shape", {nullptr, 4}},
                                                  {"kernel_regularizer", {{"module", "keras.regularizers"},
                                                                          {"class_name", "L1"},
                                                                          {"config", {{"l1", 0.05}}},
                                                                          {"registered_name", nullptr}}}})}}}}};
  return loadSequential(
      {layerJson("Dense", {{"name", "d1"},
                           {"units", 4},
                           {"batch_input_shape", {nullptr, 3}},
                           {"kernel_regularizer", {{"class_name", "L1L2"}, {"config", {{"l1", 0.01}, {"l2", 0.02}}}}},
                           {"bias_regularizer", {{"class_name", "L2"}, {"config", {{"l2", 0.03}}}}}}),
       inner, layerJson("BatchNormalization", {{"name", "bn"}, {"gamma_regularizer", "l2"}})});
}

}  // namespace

TEST_F(WeightPolicies, RegularizationLossAndGradientMatchTheFormula) {
  auto model = regularizedModel();
  auto& impl = model.impl();
  auto* innerModel = dynamic_cast<st::layers::Model*>(&model.getLayer("inner"));
  ASSERT_NE(innerModel, nullptr);
  struct Reg {
    st::Variable* w;
    double l1, l2;
  };
  std::vector<Reg> regs{{&weightOf(model, "d1", "kernel"), 0.01, 0.02},
                        {&weightOf(model, "d1", "bias"), 0, 0.03},
                        {&weightOf(*innerModel->findLayer("d2"), "kernel"), 0.05, 0},
                        {&weightOf(model, "bn", "gamma"), 0, 0.01}};  // bare "l2": 0.01
  uint64_t seed = 1;
  for (auto* w : impl.allWeights()) w->value.assign(st::tensor(hostRandom(w->value.size(), seed++, 2.0f), w->value.shape()));

  double expected = 0;
  for (const Reg& r : regs)
    for (float x : r.w->dataSync()) expected += r.l1 * std::abs(x) + r.l2 * double(x) * x;

  const int64_t before = st::memory().numTensors;
  {
    st::Tensor loss = st::layers::regularizationLoss(impl);
    ASSERT_TRUE(loss.defined());
    EXPECT_EQ(loss.shape(), st::Shape{});
    EXPECT_NEAR(loss.item(), expected, 1e-5 * expected);
    loss.dispose();
  }
  EXPECT_EQ(st::memory().numTensors, before);  // no tensor left behind

  // d/dw (l1 |w| + l2 w^2) = l1 sign(w) + 2 l2 w.
  std::vector<st::Variable> vars;
  for (const Reg& r : regs) vars.push_back(*r.w);
  vars.push_back(weightOf(model, "bn", "beta"));  // no regularizer
  auto g = st::variableGrads([&] { return st::layers::regularizationLoss(impl); }, vars);
  for (const Reg& r : regs) {
    ASSERT_TRUE(g.grads.count(r.w->name())) << r.w->name();
    auto gv = g.grads[r.w->name()].dataSync();
    auto wv = r.w->dataSync();
    for (size_t i = 0; i < wv.size(); ++i)
      EXPECT_NEAR(gv[i], r.l1 * ((wv[i] > 0) - (wv[i] < 0)) + 2 * r.l2 * wv[i], 1e-6) << r.w->name() << "[" << i << "]";
  }
  auto beta = g.grads.find(weightOf(model, "bn", "beta").name());
  if (beta != g.grads.end()) EXPECT_EQ(beta->second.dataSync(), std::vector<float>(5, 0.0f));

  // A wrapped layer's regularizer sits under config.layer and covers both directions.
  auto bidi = loadSequential(
      {layerJson("Bidirectional",
                 {{"name", "bd"},
                  {"batch_input_shape", {nullptr, 4, 3}},
                  {"layer", layerJson("SimpleRNN", {{"name", "r"},
                                                    {"units", 2},
                                                    {"kernel_regularizer", Json::parse(R"({"class_name": "L1L2",
                                                                                         "config": {"l1": 0, "l2": 0.1}})")}})}})});
  double bidiExpected = 0;
  for (const char* n : {"forward_r/kernel", "backward_r/kernel"})
    for (float x : weightOf(bidi, "bd", n).dataSync()) bidiExpected += 0.1 * double(x) * x;
  EXPECT_NEAR(st::layers::regularizationLoss(bidi.impl()).item(), bidiExpected, 1e-6 * bidiExpected);

  // A model without regularizers gives an undefined tensor.
  auto plain = loadSequential({layerJson("Dense", {{"name", "p"}, {"units", 2}, {"batch_input_shape", {nullptr, 3}}})});
  EXPECT_FALSE(st::layers::regularizationLoss(plain.impl()).defined());
}

TEST_F(WeightPolicies, UnknownRegularizerOrConstraintNamesLayerKeyAndClass) {
  auto withKey = [](const char* key, const char* cls) {
    return loadSequential({layerJson("Dense", {{"name", "dz"},
                                               {"units", 2},
                                               {"batch_input_shape", {nullptr, 3}},
                                               {key, {{"class_name", cls}, {"config", {}}}}})});
  };
  auto m1 = withKey("kernel_regularizer", "OrthogonalRegularizer");
  expectError([&] { st::layers::regularizationLoss(m1.impl()); }, {"dz", "kernel_regularizer", "OrthogonalRegularizer"});
  auto m2 = withKey("bias_constraint", "RadialConstraint");
  expectError([&] { st::layers::applyConstraints(m2.impl()); }, {"dz", "bias_constraint", "RadialConstraint"});
  auto m3 = loadSequential({layerJson("Dense", {{"name", "dz"},
                                                {"units", 2},
                                                {"batch_input_shape", {nullptr, 3}},
                                                {"kernel_constraint", {{"class_name", "MaxNorm"}, {"config", {{"axis", 2}}}}}})});
  expectError([&] { st::layers::applyConstraints(m3.impl()); }, {"dz", "kernel_constraint", "axis"});
}

// ---- constraints -------------------------------------------------------------------------

TEST_F(WeightPolicies, ConstraintsMatchTfjsFormulas) {
  auto model = loadSequential(
      {layerJson("Dense", {{"name", "c1"},
                           {"units", 6},
                           {"batch_input_shape", {nullptr, 4}},
                           {"kernel_constraint", {{"class_name", "MaxNorm"}, {"config", {{"max_value", 1.5}, {"axis", 0}}}}},
                           {"bias_constraint", {{"class_name", "NonNeg"}, {"config", {}}}}}),
       layerJson("Dense", {{"name", "c2"},
                           {"units", 3},
                           {"kernel_constraint",
                            {{"class_name", "MinMaxNorm"},
                             {"config", {{"min_value", 1.0}, {"max_value", 2.0}, {"rate", 0.5}, {"axis", Json::array({0})}}}}},
                           {"bias_constraint", "unit_norm"}}),
       layerJson("Dense", {{"name", "c3"},
                           {"units", 2},
                           {"kernel_constraint", {{"module", "keras.constraints"},
                                                  {"class_name", "UnitNorm"},
                                                  {"config", {{"axis", -1}}},
                                                  {"registered_name", nullptr}}}})});
  auto& impl = model.impl();
  uint64_t seed = 10;
  for (auto* w : impl.allWeights()) w->value.assign(st::tensor(hostRandom(w->value.size(), seed++, 1.5f), w->value.shape()));
  std::map<std::string, std::vector<float>> before;
  for (auto* w : impl.allWeights()) before[w->value.name()] = w->value.dataSync();
  const int64_t tensorsBefore = st::memory().numTensors;
  st::layers::applyConstraints(impl);
  st::layers::applyConstraints(impl);  // the second call finds the parsed policies cached
  EXPECT_EQ(st::memory().numTensors, tensorsBefore);

  const double eps = 1e-7;
  // Norms over axis 0 (per column) or axis 1 (per row) of a [r, c] matrix; a vector is [n, 1].
  auto norms = [](const std::vector<float>& w, int64_t r, int64_t c, int axis) {
    std::vector<double> n(axis == 0 ? c : r, 0.0);
    for (int64_t i = 0; i < r; ++i)
      for (int64_t j = 0; j < c; ++j) n[axis == 0 ? j : i] += double(w[i * c + j]) * w[i * c + j];
    for (double& x : n) x = std::sqrt(x);
    return n;
  };
  auto check = [&](st::Variable& v, int64_t r, int64_t c, int axis, const std::function<double(double)>& desired) {
    auto w0 = before[v.name()];
    auto n = norms(w0, r, c, axis);
    auto got = v.dataSync();
    for (int64_t i = 0; i < r; ++i)
      for (int64_t j = 0; j < c; ++j) {
        const double nn = n[axis == 0 ? j : i];
        // A constraint applied twice: the formula once more on its own output.
        const double once = w0[i * c + j] * desired(nn) / (eps + nn);
        const double n1 = nn * desired(nn) / (eps + nn);
        const double twice = once * desired(n1) / (eps + n1);
        EXPECT_NEAR(got[i * c + j], twice, 1e-6) << v.name() << " [" << i << "," << j << "]";
      }
  };
  auto clip = [](double x, double lo, double hi) { return std::min(std::max(x, lo), hi); };
  check(weightOf(model, "c1", "kernel"), 4, 6, 0, [&](double n) { return clip(n, 0, 1.5); });
  check(weightOf(model, "c2", "kernel"), 6, 3, 0, [&](double n) { return 0.5 * clip(n, 1, 2) + 0.5 * n; });
  check(weightOf(model, "c2", "bias"), 3, 1, 0, [](double) { return 1.0; });  // unit norm over the vector
  check(weightOf(model, "c3", "kernel"), 3, 2, 1, [](double) { return 1.0; });  // axis -1: rows
  auto b1 = weightOf(model, "c1", "bias").dataSync();
  auto b0 = before[weightOf(model, "c1", "bias").name()];
  for (size_t i = 0; i < b1.size(); ++i) EXPECT_EQ(b1[i], std::max(0.0f, b0[i]));
  // The norms were on both sides of the limits, so every branch of the clips ran.
  auto n1 = norms(before[weightOf(model, "c1", "kernel").name()], 4, 6, 0);
  EXPECT_LT(*std::min_element(n1.begin(), n1.end()), 1.5);
  EXPECT_GT(*std::max_element(n1.begin(), n1.end()), 1.5);
}
