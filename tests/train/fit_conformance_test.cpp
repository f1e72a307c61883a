// Training conformance with TF.js: every run that tests/conformance/training/fit_cases.mjs
// recorded with TF.js 4.22 (compile + fit + evaluate on a tiny model with seeded weights and
// data) is replayed with Strata's compile/fit/evaluate on every available backend. Expected values
// are TF.js's: the history (every key, every epoch), the loss of every batch, the final weights
// and evaluate() after training, within the case's tolerances (rtol 1e-4, atol 1e-5 unless the
// case says otherwise and why). The cases, and where their oracle emulates a Keras feature that
// TF.js 4.22 lacks (lossWeights, huber by name, constraints during fit), are described in the
// generator.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "strata/strata.h"

namespace st = strata;
namespace fs = std::filesystem;
using Json = nlohmann::json;

namespace {

fs::path casesDir() {
  const char* dir = std::getenv("STRATA_FIXTURES");
  return fs::path(dir && *dir ? dir : "fixtures") / "training" / "fit_cases";
}

// Case directories (those holding a case.json), sorted so that test names are stable.
std::vector<std::string> caseNames() {
  std::vector<std::string> names;
  std::error_code ec;
  if (!fs::is_directory(casesDir(), ec)) return names;
  for (const auto& e : fs::directory_iterator(casesDir()))
    if (e.is_directory() && fs::exists(e.path() / "case.json")) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

struct Param {
  std::string name;
  std::string backend;
};
void PrintTo(const Param& p, std::ostream* os) { *os << p.name << " on " << p.backend; }

std::vector<Param> params() {
  std::vector<Param> ps;
  auto names = caseNames();
  for (const auto& s : st::backendStatus()) {
    if (!s.available) continue;
    for (const auto& n : names) ps.push_back({n, s.name});
  }
  return ps;
}

// JSON null stands for NaN (JSON.stringify writes NaN as null).
double number(const Json& j) { return j.is_null() ? std::nan("") : j.get<double>(); }

struct Tolerance {
  double rtol, atol;
  bool close(double actual, double expected) const {
    if (std::isnan(expected)) return std::isnan(actual);
    return std::abs(actual - expected) <= atol + rtol * std::abs(expected);
  }
};

std::string str(double v) {
  std::ostringstream os;
  os.precision(9);
  os << v;
  return os.str();
}

// Element-wise comparison of a tensor with TF.js's; reports the first few differences.
void expectTensorClose(const st::Tensor& actual, const st::Tensor& expected, const Tolerance& tol, const std::string& what) {
  ASSERT_EQ(actual.shape(), expected.shape()) << what << ": shape differs from TF.js's";
  auto a = st::cast(actual, st::DType::float32).dataSync<float>();
  auto e = st::cast(expected, st::DType::float32).dataSync<float>();
  int bad = 0;
  double worst = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    worst = std::max(worst, std::abs(static_cast<double>(a[i]) - e[i]));
    if (!tol.close(a[i], e[i]) && bad++ < 4)
      ADD_FAILURE() << what << "[" << i << "]: strata " << str(a[i]) << ", TF.js " << str(e[i]);
  }
  if (bad) ADD_FAILURE() << what << ": " << bad << " of " << a.size() << " elements differ; worst |error| " << str(worst);
}

// Keys of a map as a sorted, printable list.
template <class M>
std::string keysOf(const M& m) {
  std::string s;
  for (const auto& [k, v] : m) s += (s.empty() ? "" : ", ") + k;
  return "{" + s + "}";
}

class FitConformance : public ::testing::TestWithParam<Param> {
 protected:
  void SetUp() override {
    st::setBackend(GetParam().backend);
    std::ifstream in(dir() / "case.json");
    ASSERT_TRUE(in) << "cannot read " << (dir() / "case.json");
    spec = Json::parse(in);
    tol = {spec.value("rtol", 1e-4), spec.value("atol", 1e-5)};
  }
  fs::path dir() const { return casesDir() / GetParam().name; }
  std::vector<st::Tensor> loadAll(const Json& files) const {
    std::vector<st::Tensor> v;
    for (const auto& f : files) v.push_back(st::loadNpy((dir() / f.get<std::string>()).string()));
    return v;
  }
  st::CompileArgs compileArgs() const {
    const Json& c = spec["compile"];
    st::CompileArgs args;
    args.optimizer = st::optimizerFromJson(c["optimizer"]);
    for (const auto& l : c["loss"]) args.loss.emplace_back(l.get<std::string>());
    if (!c["lossWeights"].is_null())
      for (const auto& w : c["lossWeights"]) args.lossWeights.push_back(w.get<float>());
    for (const auto& m : c["metrics"]) args.metrics.emplace_back(m.get<std::string>());
    return args;
  }
  st::FitArgs fitArgs() const {
    const Json& f = spec["fit"];
    st::FitArgs args;
    args.epochs = f["epochs"];
    args.batchSize = f["batchSize"];
    args.shuffle = f["shuffle"];
    args.verbose = f["verbose"];
    args.validationSplit = f.value("validationSplit", 0.0f);
    if (f.contains("classWeight"))
      for (const auto& [k, w] : f["classWeight"].items()) args.classWeight[std::stoi(k)] = w.get<float>();
    return args;
  }
  std::string tolNote() const {
    std::string s = " (rtol " + str(tol.rtol) + ", atol " + str(tol.atol) + ")";
    if (spec.contains("notes")) s += "; case note: " + spec["notes"].get<std::string>();
    return s;
  }

  Json spec;
  Tolerance tol{1e-4, 1e-5};
};

TEST_P(FitConformance, MatchesTfjs) {
  const auto before = st::memory().numTensors;
  {
    auto model = st::loadLayersModel((dir() / spec["model"].get<std::string>()).string());
    auto xs = loadAll(spec["x"]);
    auto ys = loadAll(spec["y"]);
    model.compile(compileArgs());
    st::History history = model.fit(xs, ys, fitArgs());

    // Epoch numbers and the history: the same keys as TF.js, each epoch within tolerance.
    EXPECT_EQ(history.epoch, spec["epoch"].get<std::vector<int>>()) << "History.epoch";
    std::set<std::string> expectedKeys, actualKeys;
    for (const auto& [k, v] : spec["history"].items()) expectedKeys.insert(k);
    for (const auto& [k, v] : history.history) actualKeys.insert(k);
    EXPECT_EQ(actualKeys, expectedKeys) << "history keys: strata " << keysOf(history.history) << ", TF.js "
                                        << keysOf(spec["history"].get<std::map<std::string, Json>>());
    for (const auto& [key, values] : spec["history"].items()) {
      auto it = history.history.find(key);
      if (it == history.history.end()) continue;  // reported above
      ASSERT_EQ(it->second.size(), values.size()) << "history['" << key << "'] length";
      for (size_t e = 0; e < values.size(); ++e)
        EXPECT_TRUE(tol.close(it->second[e], number(values[e])))
            << "history['" << key << "'] epoch " << e << ": strata " << str(it->second[e]) << ", TF.js "
            << str(number(values[e])) << tolNote();
    }

    // The loss of every batch, before that batch's update, in order.
    const Json& batchLoss = spec["batchLoss"];
    EXPECT_EQ(history.batchLoss.size(), batchLoss.size()) << "number of batch losses";
    int badBatches = 0;
    for (size_t b = 0; b < std::min(history.batchLoss.size(), batchLoss.size()); ++b)
      if (!tol.close(history.batchLoss[b], number(batchLoss[b])) && badBatches++ < 4)
        ADD_FAILURE() << "batch loss " << b << ": strata " << str(history.batchLoss[b]) << ", TF.js "
                      << str(number(batchLoss[b])) << tolNote();

    // Final weights, in TF.js's getWeights() order (trainable first, then the rest).
    auto weights = model.getWeights();
    const Json& expectedWeights = spec["weights"];
    ASSERT_EQ(weights.size(), expectedWeights.size()) << "number of weights";
    for (size_t i = 0; i < weights.size(); ++i) {
      const Json& w = expectedWeights[i];
      auto expected = st::loadNpy((dir() / w["file"].get<std::string>()).string());
      expectTensorClose(weights[i], expected, tol,
                        "final weight " + std::to_string(i) + " (TF.js: " + w["name"].get<std::string>() +
                            (w.value("trainable", true) ? ", trainable)" : ", non-trainable)"));
    }

    // evaluate() on all of x/y after training.
    st::Logs logs = model.evaluate(xs, ys, {.batchSize = spec["evaluateBatchSize"].get<int>()});
    std::set<std::string> evalKeys, expectedEvalKeys;
    for (const auto& [k, v] : logs) evalKeys.insert(k);
    for (const auto& [k, v] : spec["evaluate"].items()) expectedEvalKeys.insert(k);
    EXPECT_EQ(evalKeys, expectedEvalKeys) << "evaluate() keys";
    for (const auto& [key, value] : spec["evaluate"].items()) {
      auto it = logs.find(key);
      if (it == logs.end()) continue;
      EXPECT_TRUE(tol.close(it->second, number(value)))
          << "evaluate '" << key << "': strata " << str(it->second) << ", TF.js " << str(number(value)) << tolNote();
    }
  }
  EXPECT_EQ(st::memory().numTensors, before) << "loading, training and evaluating leaked tensors";
}

std::string paramName(const ::testing::TestParamInfo<Param>& info) {
  std::string n = info.param.name + "_" + info.param.backend;
  for (char& c : n)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return n;
}

INSTANTIATE_TEST_SUITE_P(Tfjs, FitConformance, ::testing::ValuesIn(params()), paramName);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(FitConformance);

// The fixtures must exist for the suite to mean anything: skipped without them (the generator has
// not run), failed if the directory is there but empty (the generator broke).
TEST(FitConformanceFixtures, ArePresent) {
  if (!fs::is_directory(casesDir()))
    GTEST_SKIP() << "no TF.js training fixtures at " << casesDir()
                 << "; run: (cd tests/conformance && node generate_training.mjs $STRATA_FIXTURES)";
  auto names = caseNames();
  ASSERT_FALSE(names.empty()) << casesDir() << " exists but holds no case (no */case.json)";
  // Every optimizer of the issue has its case.
  for (const char* opt : {"sgd", "momentum", "nesterov", "adam", "adamax", "adagrad", "adadelta", "rmsprop",
                          "rmsprop_centered_momentum"})
    EXPECT_TRUE(std::count(names.begin(), names.end(), std::string("optimizer_") + opt)) << "no case for optimizer " << opt;
}

}  // namespace
