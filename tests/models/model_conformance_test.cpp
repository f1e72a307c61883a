// Every model the TF.js generator built (tests/conformance/models/*.mjs) loads in Strata and
// predicts what TF.js predicted, on every available backend; the whole layer list of the issue
// is covered; a model Strata saves loads back identically.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "strata/strata.h"

namespace st = strata;
namespace fs = std::filesystem;
using Json = nlohmann::json;

namespace {

fs::path modelsDir() {
  const char* dir = std::getenv("STRATA_FIXTURES");
  return fs::path(dir && *dir ? dir : "fixtures") / "models";
}

const Json& index() {
  static Json j = [] {
    std::ifstream in(modelsDir() / "index.json");
    if (!in) return Json{{"models", Json::array()}, {"missing", true}};
    return Json::parse(in);
  }();
  return j;
}

struct Param {
  int index;
  std::string backend;
};
void PrintTo(const Param& p, std::ostream* os) { *os << "model " << p.index << " on " << p.backend; }

std::vector<Param> params() {
  std::vector<Param> ps;
  for (const auto& s : st::backendStatus()) {
    if (!s.available) continue;
    for (int i = 0; i < static_cast<int>(index()["models"].size()); ++i) ps.push_back({i, s.name});
  }
  return ps;
}

void expectClose(const st::Tensor& actual, const st::Tensor& expected, double atol, double rtol, const std::string& what) {
  ASSERT_EQ(actual.shape(), expected.shape()) << what;
  auto a = actual.dataSync();
  auto e = expected.dataSync();
  int bad = 0;
  double worst = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    double err = std::abs(static_cast<double>(a[i]) - e[i]);
    worst = std::max(worst, err);
    if (!(err <= atol + rtol * std::abs(e[i])) && bad++ < 5)
      ADD_FAILURE() << what << ": element " << i << " is " << a[i] << ", expected " << e[i];
  }
  if (bad) ADD_FAILURE() << what << ": " << bad << " of " << a.size() << " elements differ; worst error " << worst;
}

class ModelConformance : public ::testing::TestWithParam<Param> {
 protected:
  void SetUp() override { st::setBackend(GetParam().backend); }
  const Json& entry() const { return index()["models"][GetParam().index]; }
  fs::path dir() const { return modelsDir() / entry()["name"].get<std::string>(); }
  std::vector<st::Tensor> load(const char* prefix, int n) const {
    std::vector<st::Tensor> v;
    for (int i = 0; i < n; ++i) v.push_back(st::loadNpy((dir() / (std::string(prefix) + std::to_string(i) + ".npy")).string()));
    return v;
  }
};

TEST_P(ModelConformance, PredictsLikeTfjs) {
  auto before = st::memory().numTensors;
  {
    auto model = st::loadLayersModel((dir() / "model.json").string());
    auto inputs = load("input_", entry()["numInputs"]);
    auto expected = load("output_", entry()["numOutputs"]);
    auto outputs = model.predict(inputs);
    ASSERT_EQ(outputs.size(), expected.size());
    for (size_t i = 0; i < outputs.size(); ++i)
      expectClose(outputs[i], expected[i], entry()["atol"], entry()["rtol"], "output " + std::to_string(i));
  }
  EXPECT_EQ(st::memory().numTensors, before) << "loading and predicting leaked tensors";
}

TEST_P(ModelConformance, SavedModelReloadsIdentically) {
  if (GetParam().backend != "reference") GTEST_SKIP() << "save/load is backend-independent";
  auto model = st::loadLayersModel((dir() / "model.json").string());
  // Kept for tests/conformance/check_saved.mjs, which loads these in TF.js (ctest runs it next).
  fs::path out = modelsDir().parent_path() / "strata_saved" / entry()["name"].get<std::string>();
  fs::remove_all(out);
  model.save(out.string());
  auto again = st::loadLayersModel((out / "model.json").string());
  auto inputs = load("input_", entry()["numInputs"]);
  auto a = model.predict(inputs);
  auto b = again.predict(inputs);
  for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].dataSync(), b[i].dataSync()) << "output " << i;
  auto wa = model.getWeights(), wb = again.getWeights();
  ASSERT_EQ(wa.size(), wb.size());
  for (size_t i = 0; i < wa.size(); ++i) EXPECT_EQ(wa[i].dataSync(), wb[i].dataSync()) << "weight " << i;
}

std::string paramName(const ::testing::TestParamInfo<Param>& info) {
  std::string n = index()["models"][info.param.index]["name"].get<std::string>() + "_" + info.param.backend;
  for (char& c : n)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return n;
}

INSTANTIATE_TEST_SUITE_P(Tfjs, ModelConformance, ::testing::ValuesIn(params()), paramName);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(ModelConformance);

TEST(ModelCoverage, EveryLayerClassOfTheIssueIsExercised) {
  ASSERT_FALSE(index().contains("missing")) << "model fixtures missing under " << modelsDir();
  std::set<std::string> seen;
  for (const auto& m : index()["models"])
    for (const auto& c : m["classes"]) seen.insert(c.get<std::string>());
  const char* required[] = {
      "InputLayer", "Dense", "Activation", "Dropout", "SpatialDropout1D", "SpatialDropout2D", "GaussianNoise",
      "GaussianDropout", "AlphaDropout", "Flatten", "Reshape", "Permute", "RepeatVector", "Masking", "Conv1D",
      "Conv2D", "Conv2DTranspose", "DepthwiseConv2D", "SeparableConv2D", "MaxPooling1D", "MaxPooling2D",
      "AveragePooling1D", "AveragePooling2D", "GlobalAveragePooling1D", "GlobalAveragePooling2D",
      "GlobalMaxPooling1D", "GlobalMaxPooling2D", "ZeroPadding2D", "Cropping2D", "UpSampling2D",
      "BatchNormalization", "LayerNormalization", "Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum",
      "Concatenate", "Dot", "ReLU", "LeakyReLU", "PReLU", "ELU", "ThresholdedReLU", "Softmax", "Embedding",
      "SimpleRNN", "LSTM", "GRU", "Bidirectional", "TimeDistributed"};
  for (const char* c : required) EXPECT_TRUE(seen.count(c)) << "no TF.js model uses layer class " << c;
  EXPECT_GE(index()["models"].size(), 30u);
}

}  // namespace

namespace {

// Folding BatchNormalization into convolutions changes results only by float rounding, and the
// folded graph runs no FusedBatchNorm kernel (MobileNetV2 becomes a chain of fused convolutions).
TEST(InferenceFusion, FoldedMatchesUnfolded) {
  ASSERT_FALSE(index().contains("missing"));
  st::setBackend("reference");
  for (const char* name : {"mobilenet_v2", "mobilenetv2_block", "batchnorm_after_conv"}) {
    fs::path dir = modelsDir() / name;
    if (!fs::exists(dir)) {
      ADD_FAILURE() << "fixture " << name << " missing";
      continue;
    }
    auto model = st::loadLayersModel((dir / "model.json").string());
    auto x = st::loadNpy((dir / "input_0.npy").string());
    st::Tensor fusedOut, plainOut;
    model.predict(x).dispose();  // folds the weights once; later calls reuse them
    auto fusedProfile = st::profile([&] { fusedOut = model.predict(x, {.fuseOps = true}); });
    auto plainProfile = st::profile([&] { plainOut = model.predict(x, {.fuseOps = false}); });
    expectClose(fusedOut, plainOut, 1e-5, 1e-4, name);
    auto count = [](const st::ProfileInfo& p, const std::string& k) {
      return std::count_if(p.kernels.begin(), p.kernels.end(), [&](const auto& e) { return e.name == k; });
    };
    // batchnorm_after_conv also has BatchNormalization layers that follow no convolution.
    if (std::string(name) != "batchnorm_after_conv") EXPECT_EQ(count(fusedProfile, "FusedBatchNorm"), 0) << name;
    EXPECT_LT(count(fusedProfile, "FusedBatchNorm"), count(plainProfile, "FusedBatchNorm")) << name;
    EXPECT_LT(fusedProfile.kernels.size(), plainProfile.kernels.size()) << name;
  }
}

}  // namespace
