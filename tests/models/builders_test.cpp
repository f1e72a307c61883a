// The C++ model-building API (strata/layers_api.h).
//  - BuilderTwins: the models of tests/conformance/models/builders.mjs, built again here with the
//    same arguments and names. Oracle: TF.js. Their Keras configs must equal what TF.js wrote to
//    model.json, and with TF.js's weights they must predict what TF.js predicted.
//  - EveryBuilder: each builder in a one-layer model; output shapes from the layer arithmetic
//    (conv/pool length formulas), predict runs, save/reload is identical.
//  - Sequential/Functional/Errors: graph semantics (shared layers, node numbering, add after use)
//    and the messages of bad arguments.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>

#include "models/model.h"
#include "strata/strata.h"

namespace st = strata;
namespace L = strata::layers;
namespace fs = std::filesystem;
using Json = nlohmann::json;

namespace {

fs::path fixturesDir() {
  const char* dir = std::getenv("STRATA_FIXTURES");
  return fs::path(dir && *dir ? dir : "fixtures") / "models";
}

fs::path tempDir(const std::string& name) {
  fs::path p = fs::temp_directory_path() / ("strata_builders_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(p);
  return p;
}

Json readJson(const fs::path& p) {
  std::ifstream in(p);
  if (!in) throw std::runtime_error("cannot read " + p.string());
  return Json::parse(in);
}

// Saves to a temporary directory and returns model.json's modelTopology.
Json savedTopology(const st::LayersModel& m, const fs::path& dir) {
  m.save(dir.string());
  return readJson(dir / "model.json")["modelTopology"];
}

std::string expectThrows(const std::function<void()>& f) {
  try {
    f();
  } catch (const st::Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected a strata::Error";
  return "";
}

// ---- the twins of tests/conformance/models/builders.mjs ------------------------------------

std::map<std::string, std::function<st::LayersModel()>> twins() {
  std::map<std::string, std::function<st::LayersModel()>> t;
  t["builders_cnn"] = [] {
    auto m = st::sequential({.name = "b_cnn"});
    m.add(L::conv2d({.filters = 4,
                     .kernelSize = {3, 3},
                     .activation = "relu",
                     .kernelInitializer = "heNormal",
                     .kernelRegularizer = st::l2(0.001),
                     .inputShape = {10, 10, 2},
                     .name = "c1"}));
    m.add(L::batchNormalization({.momentum = 0.9, .name = "bn"}));
    m.add(
        L::depthwiseConv2d({.kernelSize = 3, .depthMultiplier = 2, .padding = "same", .useBias = false, .name = "dw"}));
    m.add(L::separableConv2d({.filters = 3, .kernelSize = {2, 2}, .activation = "tanh", .name = "sep"}));
    m.add(L::zeroPadding2d({.padding = {{1, 0}, {0, 1}}, .name = "zp"}));
    m.add(L::maxPooling2d({.poolSize = {2, 2}, .name = "mp"}));
    m.add(L::upSampling2d({.size = {2, 2}, .name = "up"}));
    m.add(L::cropping2d({.cropping = {{1, 1}, {0, 2}}, .name = "crop"}));
    m.add(L::conv2dTranspose({.filters = 2,
                              .kernelSize = 3,
                              .strides = 2,
                              .padding = "same",
                              .kernelConstraint = st::maxNorm({.maxValue = 3}),
                              .name = "ct"}));
    m.add(L::averagePooling2d({.poolSize = 2, .strides = 1, .name = "ap"}));
    m.add(L::reLU({.maxValue = 6, .name = "relu6"}));
    m.add(L::globalAveragePooling2d({.name = "gap"}));
    m.add(L::dense({.units = 3, .activation = "softmax", .name = "out"}));
    return m;
  };
  t["builders_cnn_activations"] = [] {
    return st::sequential(
        {.layers = {L::conv2d(
                        {.filters = 3, .kernelSize = 3, .dilationRate = 2, .inputShape = {9, 9, 1}, .name = "dil"}),
                    L::pReLU({.sharedAxes = {1, 2}, .name = "prelu"}), L::globalMaxPooling2d({.name = "gmp"}),
                    L::elu({.name = "elu"}), L::thresholdedReLU({.theta = 0.1, .name = "thr"}),
                    L::leakyReLU({.alpha = 0.2, .name = "leaky"}), L::dense({.units = 4, .name = "d"}),
                    L::softmax({.name = "sm"})},
         .name = "b_acts"});
  };
  t["builders_conv1d"] = [] {
    auto x = st::input({.shape = {12, 3}, .name = "seq"});
    auto h = L::conv1d({.filters = 4, .kernelSize = 3, .padding = "same", .activation = "relu", .name = "c1"}).apply(x);
    h = L::maxPooling1d({.poolSize = 2, .name = "mp"}).apply(h);
    h = L::averagePooling1d({.poolSize = 3, .strides = 1, .padding = "same", .name = "ap"}).apply(h);
    h = L::spatialDropout1d({.rate = 0.3, .seed = 5, .name = "sd"}).apply(h);
    h = L::conv1d({.filters = 2, .kernelSize = 2, .dilationRate = 2, .name = "c2"}).apply(h);
    auto a = L::globalAveragePooling1d({.name = "gap"}).apply(h);
    auto b = L::globalMaxPooling1d({.name = "gmp"}).apply(h);
    return st::model({.inputs = {x}, .outputs = {a, b}, .name = "b_conv1d"});
  };
  t["builders_core"] = [] {
    auto m = st::sequential({.name = "b_core"});
    m.add(L::dense({.units = 8,
                    .activation = "elu",
                    .kernelInitializer = "leCunUniform",
                    .biasInitializer = "ones",
                    .kernelRegularizer = "l1l2",
                    .biasRegularizer = st::l1(0.02),
                    .biasConstraint = "nonNeg",
                    .inputShape = {6},
                    .name = "d1"}));
    m.add(L::dropout({.rate = 0.25, .seed = 3, .name = "drop"}));
    m.add(L::gaussianNoise({.stddev = 0.1, .name = "gn"}));
    m.add(L::gaussianDropout({.rate = 0.2, .name = "gd"}));
    m.add(L::alphaDropout({.rate = 0.1, .name = "ad"}));
    m.add(L::activation({.activation = "hardSigmoid", .name = "hs"}));
    m.add(L::reshape({.targetShape = {2, 4}, .name = "rs"}));
    m.add(L::permute({.dims = {2, 1}, .name = "perm"}));
    m.add(L::layerNormalization({.epsilon = 0.01, .name = "ln"}));
    m.add(L::flatten({.name = "flat"}));
    m.add(L::dense({.units = 2,
                    .useBias = false,
                    .kernelInitializer = st::initializer("randomNormal", {{"mean", 0.1}, {"stddev", 0.2}, {"seed", 9}}),
                    .kernelConstraint = st::nonNeg(),
                    .name = "d2"}));
    m.add(L::repeatVector({.n = 3, .name = "rep"}));
    m.add(L::masking({.maskValue = 0.5, .name = "mask"}));
    m.add(L::batchNormalization({.center = false, .name = "bn", .trainable = false}));
    m.add(L::flatten({.name = "flat2"}));
    return m;
  };
  t["builders_rnn"] = [] {
    auto m = st::sequential({.name = "b_rnn"});
    m.add(L::embedding({.inputDim = 10, .outputDim = 4, .maskZero = true, .inputLength = 5, .name = "emb"}));
    m.add(L::lstm({.units = 3,
                   .recurrentActivation = "sigmoid",
                   .unitForgetBias = true,
                   .returnSequences = true,
                   .name = "lstm"}));
    m.add(L::bidirectional({.layer = L::gru({.units = 2, .returnSequences = true, .name = "gru_inner"}),
                            .mergeMode = "ave",
                            .name = "bidi"}));
    m.add(L::timeDistributed({.layer = L::dense({.units = 2, .name = "td_inner"}), .name = "td"}));
    m.add(L::simpleRNN({.units = 3, .activation = "relu", .goBackwards = true, .name = "srnn"}));
    return m;
  };
  t["builders_masking_gru"] = [] {
    return st::sequential(
        {.layers = {L::masking({.inputShape = {4, 3}, .name = "mask"}), L::gru({.units = 2, .name = "gru"})},
         .name = "b_mask"});
  };
  t["builders_functional_shared"] = [] {
    auto a = st::input({.shape = {4}, .name = "a"});
    auto b = st::input({.shape = {4}, .name = "b"});
    auto shared = L::dense({.units = 3, .activation = "tanh", .name = "shared"});
    auto ha = shared.apply(a), hb = shared.apply(b);
    auto s = L::add({.name = "sum"}).apply({ha, hb});
    auto p = L::multiply({.name = "prod"}).apply({ha, hb});
    auto v = L::average({.name = "avg"}).apply({ha, hb});
    auto x = L::maximum({.name = "max"}).apply({ha, hb});
    auto c = L::concatenate({.axis = -1, .name = "cat"}).apply({s, p, v, x});
    auto out = L::dense({.units = 2, .name = "head"}).apply(c);
    return st::model({.inputs = {a, b}, .outputs = {out, s}, .name = "b_shared"});
  };
  return t;
}

std::vector<std::string> twinNames() {
  std::vector<std::string> v;
  for (auto& [name, f] : twins()) v.push_back(name);
  return v;
}

// TF.js rewrites LayerNormalization's axis when the layer is built (-1 becomes [rank - 1]);
// Strata keeps the axis as given, which Keras and TF.js read the same way. `rank` is the rank of
// the layer's input in the Strata model.
bool sameLayerNormAxis(const Json& ours, const Json& tfjs, int rank) {
  if (!ours.is_number_integer() || !tfjs.is_array() || tfjs.size() != 1) return false;
  const int a = ours.get<int>();
  return (a < 0 ? a + rank : a) == tfjs[0].get<int>();
}

int inputRankOf(const st::LayersModel& m, const std::string& layerName) {
  for (const auto& n : m.impl().nodes)  // a LayerNormalization's output has its input's shape
    if (m.layers()[n.layer]->name() == layerName) return static_cast<int>(n.outputShapes[0].size());
  return -1;
}

// Keras config equality: Sequential layer lists in order; functional layers by name (TF.js
// orders them by depth, Strata by first use; the order carries no meaning).
void expectSameTopology(const st::LayersModel& m, const Json& got, const Json& want) {
  ASSERT_EQ(got["class_name"], want["class_name"]);
  const Json &g = got["config"], &w = want["config"];
  EXPECT_EQ(g["name"], w["name"]);
  ASSERT_EQ(g["layers"].size(), w["layers"].size()) << "got " << g.dump() << "\nTF.js " << w.dump();
  std::map<std::string, Json> byName;
  for (const Json& l : g["layers"]) byName[l["config"]["name"].get<std::string>()] = l;
  for (size_t i = 0; i < w["layers"].size(); ++i) {
    const Json& wl = w["layers"][i];
    Json gl = want["class_name"] == "Sequential" ? g["layers"][i] : byName[wl["config"]["name"].get<std::string>()];
    if (gl["class_name"] == "LayerNormalization") {
      const std::string name = gl["config"]["name"];
      EXPECT_TRUE(sameLayerNormAxis(gl["config"]["axis"], wl["config"]["axis"], inputRankOf(m, name)))
          << name << ": axis " << gl["config"]["axis"] << " vs TF.js " << wl["config"]["axis"];
      gl["config"]["axis"] = wl["config"]["axis"];
    }
    EXPECT_EQ(gl, wl) << "layer " << i << "\nStrata: " << gl.dump() << "\nTF.js:  " << wl.dump();
  }
  for (const char* key : {"input_layers", "output_layers"})
    if (w.contains(key)) EXPECT_EQ(g[key], w[key]) << key;
}

void expectClose(const st::Tensor& a, const st::Tensor& e, double atol, double rtol, const std::string& what) {
  ASSERT_EQ(a.shape(), e.shape()) << what;
  auto x = a.dataSync(), y = e.dataSync();
  int bad = 0;
  for (size_t i = 0; i < x.size(); ++i)
    if (!(std::abs(x[i] - y[i]) <= atol + rtol * std::abs(y[i])) && bad++ < 5)
      ADD_FAILURE() << what << ": element " << i << " is " << x[i] << ", TF.js " << y[i];
}

class BuilderTwins : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override { st::setBackend("reference"); }
  fs::path dir() const { return fixturesDir() / GetParam(); }
};

TEST_P(BuilderTwins, ConfigAndPredictionsMatchTfjs) {
  ASSERT_TRUE(fs::exists(dir() / "model.json"))
      << "fixture missing: run `node tests/conformance/generate_models.mjs DIR` and set STRATA_FIXTURES=DIR";
  const Json fixture = readJson(dir() / "model.json");
  const Json entry = readJson(dir() / "case.json");
  const auto before = st::memory().numTensors;
  {
    st::LayersModel built = twins().at(GetParam())();
    const fs::path out = tempDir(GetParam());
    const Json topology = savedTopology(built, out);
    expectSameTopology(built, topology, fixture["modelTopology"]);

    // With TF.js's weights, the built model predicts what TF.js predicted.
    built.setWeights(st::loadLayersModel((dir() / "model.json").string()).getWeights());
    std::vector<st::Tensor> inputs, expected;
    for (int i = 0; i < entry["numInputs"].get<int>(); ++i)
      inputs.push_back(st::loadNpy((dir() / ("input_" + std::to_string(i) + ".npy")).string()));
    for (int i = 0; i < entry["numOutputs"].get<int>(); ++i)
      expected.push_back(st::loadNpy((dir() / ("output_" + std::to_string(i) + ".npy")).string()));
    auto outputs = built.predict(inputs);
    ASSERT_EQ(outputs.size(), expected.size());
    for (size_t i = 0; i < outputs.size(); ++i)
      expectClose(outputs[i], expected[i], entry["atol"].get<double>(), entry["rtol"].get<double>(),
                  GetParam() + " output " + std::to_string(i));

    // Saved and reloaded (with those weights), the model is the same: config, weights, predictions.
    fs::remove_all(out);
    built.save(out.string());
    auto again = st::loadLayersModel((out / "model.json").string());
    EXPECT_EQ(readJson(out / "model.json")["modelTopology"], savedTopology(again, tempDir(GetParam() + "_again")));
    auto reloaded = again.predict(inputs);
    for (size_t i = 0; i < outputs.size(); ++i) EXPECT_EQ(outputs[i].dataSync(), reloaded[i].dataSync());
    fs::remove_all(out);
    fs::remove_all(tempDir(GetParam() + "_again"));
  }
  EXPECT_EQ(st::memory().numTensors, before) << "building, predicting and saving leaked tensors";
}

INSTANTIATE_TEST_SUITE_P(Tfjs, BuilderTwins, ::testing::ValuesIn(twinNames()));

// ---- every builder -----------------------------------------------------------------------

struct Case {
  std::string what;
  std::function<L::LayerSpec()> make;  // with inputShape
  st::Shape input;                     // batch included
  st::Shape output;
  bool intInput = false;
};

// Expected shapes from the layer arithmetic: valid conv/pool length (n - k) / s + 1, same
// ceil(n / s), dilated kernel d * (k - 1) + 1, transposed conv n * s (same).
std::vector<Case> cases() {
  return {
      {"dense", [] { return L::dense({.units = 5, .inputShape = {3}}); }, {2, 3}, {2, 5}},
      {"dense3d",
       [] {
         return L::dense({.units = 5, .activation = "relu", .inputShape = {4, 3}});
       },
       {2, 4, 3},
       {2, 4, 5}},
      {"denseInputDim", [] { return L::dense({.units = 2, .inputDim = 3}); }, {2, 3}, {2, 2}},
      {"conv1d",
       [] {
         return L::conv1d({.filters = 4, .kernelSize = 3, .strides = 2, .inputShape = {9, 2}});
       },
       {2, 9, 2},
       {2, 4, 4}},
      {"conv2d",
       [] {
         return L::conv2d({.filters = 3, .kernelSize = {3, 2}, .inputShape = {6, 5, 2}});
       },
       {2, 6, 5, 2},
       {2, 4, 4, 3}},
      {"conv2dSame",
       [] {
         return L::conv2d({.filters = 3, .kernelSize = 3, .strides = 2, .padding = "same", .inputShape = {5, 5, 1}});
       },
       {2, 5, 5, 1},
       {2, 3, 3, 3}},
      {"conv2dDilated",
       [] {
         return L::conv2d({.filters = 1, .kernelSize = 3, .dilationRate = 2, .inputShape = {7, 7, 1}});
       },
       {1, 7, 7, 1},
       {1, 3, 3, 1}},
      {"conv2dTranspose",
       [] {
         return L::conv2dTranspose(
             {.filters = 2, .kernelSize = 3, .strides = 2, .padding = "same", .inputShape = {3, 4, 1}});
       },
       {2, 3, 4, 1},
       {2, 6, 8, 2}},
      {"depthwiseConv2d",
       [] {
         return L::depthwiseConv2d({.kernelSize = 3, .depthMultiplier = 2, .inputShape = {5, 5, 3}});
       },
       {2, 5, 5, 3},
       {2, 3, 3, 6}},
      {"separableConv2d",
       [] {
         return L::separableConv2d({.filters = 4, .kernelSize = 2, .depthMultiplier = 2, .inputShape = {4, 4, 3}});
       },
       {2, 4, 4, 3},
       {2, 3, 3, 4}},
      {"maxPooling1d",
       [] {
         return L::maxPooling1d({.poolSize = 2, .inputShape = {7, 3}});
       },
       {2, 7, 3},
       {2, 3, 3}},
      {"averagePooling1d",
       [] {
         return L::averagePooling1d({.poolSize = 3, .strides = 1, .padding = "same", .inputShape = {7, 3}});
       },
       {2, 7, 3},
       {2, 7, 3}},
      {"maxPooling2d",
       [] {
         return L::maxPooling2d({.poolSize = {2, 2}, .inputShape = {5, 6, 2}});
       },
       {2, 5, 6, 2},
       {2, 2, 3, 2}},
      {"averagePooling2d",
       [] {
         return L::averagePooling2d({.poolSize = 3, .strides = 2, .padding = "same", .inputShape = {5, 6, 2}});
       },
       {2, 5, 6, 2},
       {2, 3, 3, 2}},
      {"globalAveragePooling1d",
       [] {
         return L::globalAveragePooling1d({.inputShape = {5, 3}});
       },
       {2, 5, 3},
       {2, 3}},
      {"globalMaxPooling1d",
       [] {
         return L::globalMaxPooling1d({.inputShape = {5, 3}});
       },
       {2, 5, 3},
       {2, 3}},
      {"globalAveragePooling2d",
       [] {
         return L::globalAveragePooling2d({.inputShape = {4, 5, 3}});
       },
       {2, 4, 5, 3},
       {2, 3}},
      {"globalMaxPooling2d",
       [] {
         return L::globalMaxPooling2d({.inputShape = {4, 5, 3}});
       },
       {2, 4, 5, 3},
       {2, 3}},
      {"flatten",
       [] {
         return L::flatten({.inputShape = {2, 3, 4}});
       },
       {2, 2, 3, 4},
       {2, 24}},
      {"reshape",
       [] {
         return L::reshape({.targetShape = {3, -1}, .inputShape = {12}});
       },
       {2, 12},
       {2, 3, 4}},
      {"permute",
       [] {
         return L::permute({.dims = {2, 1}, .inputShape = {3, 4}});
       },
       {2, 3, 4},
       {2, 4, 3}},
      {"repeatVector", [] { return L::repeatVector({.n = 3, .inputShape = {4}}); }, {2, 4}, {2, 3, 4}},
      {"dropout",
       [] {
         return L::dropout({.rate = 0.5, .noiseShape = {-1, 1}, .seed = 1, .inputShape = {4}});
       },
       {2, 4},
       {2, 4}},
      {"spatialDropout1d",
       [] {
         return L::spatialDropout1d({.rate = 0.5, .inputShape = {3, 4}});
       },
       {2, 3, 4},
       {2, 3, 4}},
      {"spatialDropout2d",
       [] {
         return L::spatialDropout2d({.rate = 0.5, .seed = 2, .inputShape = {3, 3, 2}});
       },
       {2, 3, 3, 2},
       {2, 3, 3, 2}},
      {"gaussianNoise", [] { return L::gaussianNoise({.stddev = 0.3, .seed = 4, .inputShape = {4}}); }, {2, 4}, {2, 4}},
      {"gaussianDropout", [] { return L::gaussianDropout({.rate = 0.3, .inputShape = {4}}); }, {2, 4}, {2, 4}},
      {"alphaDropout", [] { return L::alphaDropout({.rate = 0.3, .inputShape = {4}}); }, {2, 4}, {2, 4}},
      {"activation", [] { return L::activation({.activation = "logSoftmax", .inputShape = {4}}); }, {2, 4}, {2, 4}},
      {"batchNormalization",
       [] {
         return L::batchNormalization({.axis = 1, .inputShape = {3, 4}});
       },
       {2, 3, 4},
       {2, 3, 4}},
      {"layerNormalization",
       [] {
         return L::layerNormalization({.axis = {1, 2}, .inputShape = {3, 4}});
       },
       {2, 3, 4},
       {2, 3, 4}},
      {"embedding",
       [] { return L::embedding({.inputDim = 7, .outputDim = 3, .inputLength = 5}); },
       {2, 5},
       {2, 5, 3},
       true},
      {"simpleRNN",
       [] {
         return L::simpleRNN({.units = 3, .returnSequences = true, .inputShape = {5, 2}});
       },
       {2, 5, 2},
       {2, 5, 3}},
      {"lstm",
       [] {
         return L::lstm({.units = 3, .inputShape = {5, 2}});
       },
       {2, 5, 2},
       {2, 3}},
      {"gru",
       [] {
         return L::gru({.units = 3, .resetAfter = true, .inputShape = {5, 2}});
       },
       {2, 5, 2},
       {2, 3}},
      {"bidirectional",
       [] {
         return L::bidirectional({.layer = L::lstm({.units = 3}), .inputShape = {5, 2}});
       },
       {2, 5, 2},
       {2, 6}},
      {"timeDistributed",
       [] {
         return L::timeDistributed({.layer = L::dense({.units = 3}), .inputShape = {5, 2}});
       },
       {2, 5, 2},
       {2, 5, 3}},
      {"zeroPadding2d",
       [] {
         return L::zeroPadding2d({.padding = {1, 2}, .inputShape = {3, 3, 1}});
       },
       {2, 3, 3, 1},
       {2, 5, 7, 1}},
      {"cropping2d",
       [] {
         return L::cropping2d({.cropping = 1, .inputShape = {4, 5, 1}});
       },
       {2, 4, 5, 1},
       {2, 2, 3, 1}},
      {"upSampling2d",
       [] {
         return L::upSampling2d({.size = {2, 3}, .interpolation = "bilinear", .inputShape = {2, 2, 1}});
       },
       {2, 2, 2, 1},
       {2, 4, 6, 1}},
      {"reLU", [] { return L::reLU({.inputShape = {4}}); }, {2, 4}, {2, 4}},
      {"leakyReLU", [] { return L::leakyReLU({.inputShape = {4}}); }, {2, 4}, {2, 4}},
      {"pReLU",
       [] {
         return L::pReLU({.alphaInitializer = st::initializer("constant", {{"value", 0.25}}), .inputShape = {4}});
       },
       {2, 4},
       {2, 4}},
      {"elu", [] { return L::elu({.inputShape = {4}}); }, {2, 4}, {2, 4}},
      {"thresholdedReLU", [] { return L::thresholdedReLU({.inputShape = {4}}); }, {2, 4}, {2, 4}},
      {"softmax",
       [] {
         return L::softmax({.axis = -1, .inputShape = {3, 4}});
       },
       {2, 3, 4},
       {2, 3, 4}},
      {"masking",
       [] {
         return L::masking({.inputShape = {3, 4}});
       },
       {2, 3, 4},
       {2, 3, 4}},
      {"genericLayer",
       [] {
         return L::layer("Dense", {{"units", 2}, {"useBias", false}, {"batchInputShape", {nullptr, 3}}});
       },
       {2, 3},
       {2, 2}},
  };
}

class EveryBuilder : public ::testing::TestWithParam<Case> {
 protected:
  void SetUp() override { st::setBackend("reference"); }
};

TEST_P(EveryBuilder, PredictsWithTheExpectedShapeAndReloads) {
  const Case& c = GetParam();
  const auto before = st::memory().numTensors;
  {
    auto m = st::sequential({.layers = {c.make()}});
    st::Shape declared = c.output;
    declared[0] = -1;
    ASSERT_EQ(m.outputs().size(), 1u);
    EXPECT_EQ(m.outputs()[0].shape, declared);
    st::Tensor x = c.intInput ? st::floor(st::randomUniform(c.input, 0, 7, st::DType::float32, 1))
                              : st::randomUniform(c.input, -1, 1, st::DType::float32, 1);
    st::Tensor y = m.predict(x);
    EXPECT_EQ(y.shape(), c.output);
    for (float v : y.dataSync()) ASSERT_TRUE(std::isfinite(v));
    // Every kernel-like weight was initialized (all-zero only where the initializer is zeros).
    for (const auto& l : m.layers())
      for (auto* w : l->allWeights())
        if (w->name.find("kernel") != std::string::npos || w->name == "embeddings") {
          auto v = w->value.dataSync();
          EXPECT_TRUE(std::any_of(v.begin(), v.end(), [](float f) { return f != 0; })) << w->name << " is all zeros";
        }
    fs::path dir = tempDir("every_" + c.what);
    m.save(dir.string());
    auto again = st::loadLayersModel((dir / "model.json").string());
    EXPECT_EQ(again.predict(x).dataSync(), y.dataSync());
    fs::remove_all(dir);
  }
  EXPECT_EQ(st::memory().numTensors, before);
}

INSTANTIATE_TEST_SUITE_P(Layers, EveryBuilder, ::testing::ValuesIn(cases()),
                         [](const ::testing::TestParamInfo<Case>& i) { return i.param.what; });

TEST(Builders, MergeBuildersInAFunctionalModel) {
  st::setBackend("reference");
  auto a = st::input({.shape = {3}}), b = st::input({.shape = {3}});
  std::vector<st::layers::KerasTensor> outs;
  for (auto spec : {L::add(), L::subtract(), L::multiply(), L::average(), L::maximum(), L::minimum()})
    outs.push_back(spec.apply({a, b}));
  outs.push_back(L::concatenate().apply({a, b}));
  outs.push_back(L::dot({.axes = 1}).apply({a, b}));
  auto m = st::model({.inputs = {a, b}, .outputs = outs});
  st::Tensor x = st::tensor({1, -2, 3, 4, 5, -6}, {2, 3}), y = st::tensor({2, 2, -1, 0, 1, 3}, {2, 3});
  auto r = m.predict({x, y});
  ASSERT_EQ(r.size(), 8u);
  // Elementwise identities: a+b, a-b, a*b, (a+b)/2, max, min; concat; row dot products.
  auto xs = x.dataSync(), ys = y.dataSync();
  for (size_t i = 0; i < xs.size(); ++i) {
    EXPECT_FLOAT_EQ(r[0].dataSync()[i], xs[i] + ys[i]);
    EXPECT_FLOAT_EQ(r[1].dataSync()[i], xs[i] - ys[i]);
    EXPECT_FLOAT_EQ(r[2].dataSync()[i], xs[i] * ys[i]);
    EXPECT_FLOAT_EQ(r[3].dataSync()[i], (xs[i] + ys[i]) / 2);
    EXPECT_FLOAT_EQ(r[4].dataSync()[i], std::max(xs[i], ys[i]));
    EXPECT_FLOAT_EQ(r[5].dataSync()[i], std::min(xs[i], ys[i]));
  }
  EXPECT_EQ(r[6].shape(), (st::Shape{2, 6}));
  EXPECT_EQ(r[7].shape(), (st::Shape{2, 1}));
  EXPECT_FLOAT_EQ(r[7].dataSync()[0], 1 * 2 + -2 * 2 + 3 * -1);
  EXPECT_FLOAT_EQ(r[7].dataSync()[1], 4 * 0 + 5 * 1 + -6 * 3);
}

// ---- configs -------------------------------------------------------------------------------

TEST(BuilderConfigs, NamesAndJsonSpelling) {
  // Keras-style unique default names.
  auto d1 = L::dense({.units = 1}), d2 = L::dense({.units = 1});
  EXPECT_EQ(d1.name().rfind("dense", 0), 0u);
  EXPECT_NE(d1.name(), d2.name());
  // camelCase enumerations become snake_case; initializer names become TF.js's Keras JSON.
  auto c = L::lstm({.units = 2, .recurrentActivation = "hardSigmoid", .kernelInitializer = "glorot_uniform"}).config();
  EXPECT_EQ(c["recurrent_activation"], "hard_sigmoid");
  EXPECT_EQ(c["kernel_initializer"]["class_name"], "VarianceScaling");
  EXPECT_EQ(c["kernel_initializer"]["config"]["mode"], "fan_avg");
  EXPECT_EQ(c["kernel_initializer"]["config"]["distribution"], "uniform");
  // Partial initializer JSON is completed with TF.js's defaults (camelCase keys accepted).
  auto k =
      L::dense({.units = 1, .kernelInitializer = Json{{"className", "RandomUniform"}, {"config", {{"maxval", 1}}}}})
          .config()["kernel_initializer"];
  EXPECT_EQ(k,
            (Json{{"class_name", "RandomUniform"}, {"config", {{"minval", -0.05}, {"maxval", 1}, {"seed", nullptr}}}}));
  // Regularizers are written as TF.js writes them (L1L2 with both factors).
  EXPECT_EQ(L::dense({.units = 1, .kernelRegularizer = "l2"}).config()["kernel_regularizer"], st::l2(0.01));
  EXPECT_EQ(st::l1l2(0.1, 0.2), (Json{{"class_name", "L1L2"}, {"config", {{"l1", 0.1}, {"l2", 0.2}}}}));
  // Constraints by name get TF.js's default parameters, as by function.
  EXPECT_EQ(L::dense({.units = 1, .kernelConstraint = "unitNorm"}).config()["kernel_constraint"], st::unitNorm());
  EXPECT_EQ(L::dense({.units = 1, .kernelConstraint = "min_max_norm"}).config()["kernel_constraint"], st::minMaxNorm());
  // Keras's SpatialDropout2D (not in TF.js 4.22): Keras's config keys.
  auto sd = L::spatialDropout2d({.rate = 0.2, .name = "sd2"}).config();
  EXPECT_EQ(sd, (Json{{"rate", 0.2},
                      {"noise_shape", nullptr},
                      {"seed", nullptr},
                      {"data_format", "channels_last"},
                      {"name", "sd2"},
                      {"trainable", true}}));
  // SeparableConv2D's depth_multiplier: written only when not 1 (TF.js omits it).
  EXPECT_FALSE(L::separableConv2d({.filters = 1, .kernelSize = 1}).config().contains("depth_multiplier"));
  EXPECT_EQ(L::separableConv2d({.filters = 1, .kernelSize = 1, .depthMultiplier = 3}).config()["depth_multiplier"], 3);
  // inputShape + batchSize -> batch_input_shape with dtype.
  auto in = L::dense({.units = 1, .inputShape = {3}, .batchSize = 8, .dtype = st::DType::int32}).config();
  EXPECT_EQ(in["batch_input_shape"], (Json{8, 3}));
  EXPECT_EQ(in["dtype"], "int32");
}

// ---- Sequential --------------------------------------------------------------------------

TEST(Sequential, AddAfterUseKeepsEarlierWeightsAndRebuildsThePlan) {
  st::setBackend("reference");
  auto m = st::sequential();
  m.add(L::dense({.units = 4, .activation = "relu", .inputShape = {3}}));
  st::Tensor x = st::randomUniform({2, 3}, -1, 1, st::DType::float32, 7);
  st::Tensor h = m.predict(x);
  auto w0 = m.getWeights();
  m.add(L::dense({.units = 2}));
  auto w1 = m.getWeights();
  ASSERT_EQ(w1.size(), 4u);
  EXPECT_EQ(w1[0].dataSync(), w0[0].dataSync());
  EXPECT_EQ(w1[1].dataSync(), w0[1].dataSync());
  st::Tensor y = m.predict(x);
  EXPECT_EQ(y.shape(), (st::Shape{2, 2}));
  // y = h @ kernel + bias, with h the first layer's output computed before the add.
  st::Tensor want = st::add(st::matMul(h, w1[2]), w1[3]);
  auto a = y.dataSync(), b = want.dataSync();
  for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], b[i], 1e-5);
}

TEST(Sequential, ACopySharesTheModelAndAFailedAddChangesNothing) {
  st::setBackend("reference");
  auto m = st::sequential({.name = "shared_handle"});
  auto copy = m;
  copy.add(L::dense({.units = 2, .inputShape = {3}, .name = "first"}));
  EXPECT_EQ(m.layers().size(), 2u);  // InputLayer + first
  // Conv2D cannot take a rank-2 input: the error names the layer; the model is unchanged.
  std::string e = expectThrows([&] { m.add(L::conv2d({.filters = 1, .kernelSize = 1, .name = "conv_bad"})); });
  EXPECT_NE(e.find("conv_bad"), std::string::npos) << e;
  EXPECT_EQ(m.layers().size(), 2u);
  EXPECT_EQ(m.predict(st::ones({1, 3})).shape(), (st::Shape{1, 2}));
  // Names must be unique within the model.
  e = expectThrows([&] { m.add(L::dense({.units = 1, .name = "first"})); });
  EXPECT_NE(e.find("'first'"), std::string::npos) << e;
}

TEST(Sequential, InputLayerFirstAndEmbeddingWithoutShape) {
  st::setBackend("reference");
  auto m = st::sequential({.layers = {L::inputLayer({.inputShape = {5}, .name = "in"}), L::dense({.units = 2})}});
  EXPECT_EQ(m.inputs()[0].shape, (st::Shape{-1, 5}));
  auto e = st::sequential({.layers = {L::embedding({.inputDim = 4, .outputDim = 2})}});
  EXPECT_EQ(e.inputs()[0].shape, (st::Shape{-1, -1}));  // TF.js: [null, inputLength]
  EXPECT_EQ(e.predict(st::tensor({0, 1, 2, 3, 3, 2}, {2, 3})).shape(), (st::Shape{2, 3, 2}));
}

TEST(Sequential, AddAfterCompileIsRefused) {
  st::setBackend("reference");
  auto m = st::sequential({.layers = {L::dense({.units = 2, .inputShape = {3}})}});
  m.compile({.optimizer = "sgd", .loss = {"meanSquaredError"}});
  std::string e = expectThrows([&] { m.add(L::dense({.units = 1})); });
  EXPECT_NE(e.find("compile"), std::string::npos) << e;
  EXPECT_EQ(m.layers().size(), 2u);
}

// The example of strata/layers_api.h, as written there.
TEST(Builders, HeaderExample) {
  st::setBackend("reference");
  auto model = st::sequential({.name = "cnn"});
  model.add(st::layers::conv2d({.filters = 32, .kernelSize = {3, 3}, .activation = "relu", .inputShape = {28, 28, 1}}));
  model.add(st::layers::maxPooling2d({.poolSize = {2, 2}}));
  model.add(st::layers::flatten());
  model.add(st::layers::dense({.units = 10, .activation = "softmax"}));
  EXPECT_EQ(model.predict(st::zeros({1, 28, 28, 1})).shape(), (st::Shape{1, 10}));
  EXPECT_EQ(model.countParams(), (3 * 3 * 1 * 32 + 32) + (13 * 13 * 32 * 10 + 10));
  auto in = st::input({.shape = {784}});
  auto h = st::layers::dense({.units = 32, .activation = "relu"}).apply(in);
  auto out = st::layers::dense({.units = 10}).apply(h);
  auto m = st::model({.inputs = {in}, .outputs = {out}, .name = "mlp"});
  EXPECT_EQ(m.name(), "mlp");
  EXPECT_EQ(m.countParams(), (784 * 32 + 32) + (32 * 10 + 10));
}

// ---- functional --------------------------------------------------------------------------

TEST(Functional, SharedLayerIsOneLayerWithTwoNodes) {
  st::setBackend("reference");
  auto a = st::input({.shape = {3}}), b = st::input({.shape = {3}});
  auto shared = L::dense({.units = 2, .activation = "tanh"});
  auto ha = shared.apply(a), hb = shared.apply(b);
  EXPECT_EQ(ha.shape(), (st::Shape{-1, 2}));
  EXPECT_EQ(hb.nodeIndex(), 1);
  auto m = st::model({.inputs = {a, b}, .outputs = {ha, hb}});
  EXPECT_EQ(m.layers().size(), 3u);  // two inputs, one Dense
  Json cfg = st::functionalConfig({.inputs = {a, b}, .outputs = {ha, hb}});
  for (const Json& l : cfg["config"]["layers"])
    if (l["name"] == shared.name()) EXPECT_EQ(l["inbound_nodes"].size(), 2u);
  // One set of weights: swapping the inputs swaps the outputs.
  st::Tensor x = st::tensor({1, 2, 3}, {1, 3}), y = st::tensor({-1, 0, 4}, {1, 3});
  auto r1 = m.predict({x, y}), r2 = m.predict({y, x});
  EXPECT_EQ(r1[0].dataSync(), r2[1].dataSync());
  EXPECT_EQ(r1[1].dataSync(), r2[0].dataSync());
}

TEST(Functional, NodesOutsideTheModelAreNotCounted) {
  st::setBackend("reference");
  auto other = st::input({.shape = {3}}), a = st::input({.shape = {3}});
  auto shared = L::dense({.units = 2});
  shared.apply(other);       // node 0 of the layer, in a graph the model does not include
  auto h = shared.apply(a);  // node 1 overall, node 0 of this model
  Json cfg = st::functionalConfig({.inputs = {a}, .outputs = {h}});
  EXPECT_EQ(cfg["config"]["output_layers"], (Json{{shared.name(), 0, 0}}));
  auto m = st::model({.inputs = {a}, .outputs = {h}});
  EXPECT_EQ(m.predict(st::ones({2, 3})).shape(), (st::Shape{2, 2}));
}

TEST(Functional, MultiOutputLayerWithApplyMulti) {
  st::setBackend("reference");
  auto x = st::input({.shape = {4, 2}});
  auto outs = L::lstm({.units = 3, .returnState = true}).applyMulti({x});
  ASSERT_EQ(outs.size(), 3u);  // output, h, c
  std::string e = expectThrows([&] { L::lstm({.units = 3, .returnState = true}).apply(x); });
  EXPECT_NE(e.find("applyMulti"), std::string::npos) << e;
  auto m = st::model({.inputs = {x}, .outputs = outs});
  auto r = m.predict(std::vector<st::Tensor>{st::ones({2, 4, 2})});
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0].dataSync(), r[1].dataSync());  // the last output is the last hidden state
}

// ---- errors ------------------------------------------------------------------------------

TEST(BuilderErrors, MessagesNameTheLayerAndTheArgument) {
  st::setBackend("reference");
  auto has = [](const std::string& msg, std::initializer_list<const char*> parts) {
    for (const char* p : parts) EXPECT_NE(msg.find(p), std::string::npos) << "'" << p << "' not in: " << msg;
  };
  has(expectThrows([] { L::dense({.units = 0, .name = "fc"}); }), {"dense('fc')", "Dense", "units"});
  has(expectThrows([] { L::dense({.units = 2, .activation = "nope", .name = "fc"}); }), {"fc", "nope"});
  has(expectThrows([] { L::dense({.units = 2, .kernelInitializer = "glorotWrong"}); }),
      {"kernelInitializer", "glorotWrong"});
  has(expectThrows([] { L::dense({.units = 2, .kernelConstraint = "maxNorn"}); }), {"kernelConstraint", "maxNorn"});
  has(expectThrows([] { L::conv2d({.filters = 2}); }), {"conv2d", "kernelSize"});
  has(expectThrows([] { L::conv2d({.filters = 2, .kernelSize = {1, 2, 3}}); }), {"kernelSize", "2 entries"});
  has(expectThrows([] { L::bidirectional({}); }), {"bidirectional", "layer"});
  has(expectThrows([] { L::layer("NoSuchLayer"); }), {"NoSuchLayer"});
  has(expectThrows([] { L::dense({.units = 1, .batchSize = 4}); }), {"batchSize", "inputShape"});
  // The first layer of a Sequential model needs an input shape; the message names it.
  has(expectThrows([] { st::sequential({.layers = {L::dense({.units = 3, .name = "first_dense"})}}); }),
      {"first_dense", "inputShape"});
  // Functional models.
  has(expectThrows([] { st::input({}); }), {"st::input", "shape"});
  auto a = st::input({.shape = {2}, .name = "in_a"}), b = st::input({.shape = {2}, .name = "in_b"});
  auto s = L::add().apply({a, b});
  has(expectThrows([&] { st::model({.inputs = {a}, .outputs = {s}}); }), {"in_b", "disconnected"});
  has(expectThrows([&] { st::model({.inputs = {s}, .outputs = {s}}); }), {"inputs[0]", "st::input"});
  auto d1 = L::dense({.units = 1, .name = "twin"}).apply(a);
  auto d2 = L::dense({.units = 1, .name = "twin"}).apply(a);
  has(expectThrows([&] { st::model({.inputs = {a}, .outputs = {d1, d2}}); }), {"'twin'", "unique"});
  has(expectThrows([&] { L::dense({.units = 1}).apply(st::layers::KerasTensor()); }), {"Dense", "empty"});
  // Shape errors at apply() name the layer.
  has(expectThrows([&] { L::conv2d({.filters = 1, .kernelSize = 1, .name = "c2d"}).apply(a); }), {"apply()", "c2d"});
  // add() is for Sequential models.
  auto f = st::model({.inputs = {a}, .outputs = {d1}});
  has(expectThrows([&] { f.add(L::dense({.units = 1})); }), {"Sequential", "st::model"});
}

}  // namespace
