// Optimizers against TF.js: tests/conformance/training/optimizers.mjs recorded, for every
// optimizer configuration and every string name compile() accepts, the variables after each of a
// few applyGradients steps with fixed gradients; here the same gradients are replayed and the
// values compared (rtol/atol 1e-5). Also: configs and JSON as TF.js writes and reads them,
// minimize() on a quadratic (loss must fall: mathematics), memory, and errors.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <nlohmann/json.hpp>

#include "strata/optimizers.h"
#include "strata/strata.h"

namespace st = strata;
namespace fs = std::filesystem;
using Json = nlohmann::json;

namespace {

fs::path fixtureDir() {
  const char* dir = std::getenv("STRATA_FIXTURES");
  return fs::path(dir && *dir ? dir : "fixtures") / "training" / "optimizers";
}

const Json& index() {
  static Json j = [] {
    std::ifstream in(fixtureDir() / "index.json");
    if (!in) return Json{{"cases", Json::array()}, {"fixturesMissing", true}};
    return Json::parse(in);
  }();
  return j;
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// The optimizer a recorded configuration describes, built through the public float factories
// (so that sgd(0.05f) is checked to behave and serialize like TF.js's sgd(0.05)).
st::OptimizerPtr fromFactory(const std::string& cls, const Json& c) {
  auto f = [&](const char* key) { return c.at(key).get<float>(); };
  if (cls == "SGD") return st::sgd(f("learningRate"));
  if (cls == "Momentum") return st::momentum(f("learningRate"), f("momentum"), c.at("useNesterov").get<bool>());
  if (cls == "Adam") return st::adam(f("learningRate"), f("beta1"), f("beta2"), f("epsilon"));
  if (cls == "Adamax") return st::adamax(f("learningRate"), f("beta1"), f("beta2"), f("epsilon"), f("decay"));
  if (cls == "Adagrad") return st::adagrad(f("learningRate"), f("initialAccumulatorValue"));
  if (cls == "Adadelta") return st::adadelta(f("learningRate"), f("rho"), f("epsilon"));
  if (cls == "RMSProp")
    return st::rmsprop(f("learningRate"), f("decay"), f("momentum"), f("epsilon"), c.at("centered").get<bool>());
  throw std::runtime_error("no factory for " + cls);
}

// Element i of a stacked [steps, ...shape] array, as a tensor of `shape`.
st::Tensor stepOf(const std::vector<float>& stacked, const st::Shape& shape, int step) {
  int64_t n = 1;
  for (auto d : shape) n *= d;
  std::vector<float> v(stacked.begin() + step * n, stacked.begin() + (step + 1) * n);
  return st::tensor(v, shape);
}

struct Worst {
  double error = 0;
  int bitExact = 0, total = 0;
};

void expectClose(const st::Tensor& actual, const st::Tensor& expected, const std::string& what, Worst& worst) {
  constexpr double kTol = 1e-5;
  ASSERT_EQ(actual.shape(), expected.shape()) << what;
  auto a = actual.dataSync();
  auto e = expected.dataSync();
  for (size_t i = 0; i < a.size(); ++i) {
    double err = std::abs(static_cast<double>(a[i]) - e[i]);
    worst.error = std::max(worst.error, err);
    worst.bitExact += a[i] == e[i];
    ++worst.total;
    EXPECT_LE(err, kTol + kTol * std::abs(e[i])) << what << " element " << i << ": " << a[i] << " vs TF.js " << e[i];
  }
}

// Replays the recorded gradients through `opt` and compares every step with TF.js.
void replay(const Json& entry, st::Optimizer& opt, const std::string& label) {
  const fs::path dir = fixtureDir() / entry["name"].get<std::string>();
  const Json& shapes = index()["shapes"];
  const int steps = index()["steps"].get<int>();
  const int missingStep = index()["missing"]["step"].get<int>(), missingVar = index()["missing"]["variable"].get<int>();
  std::vector<st::Variable> vars;
  std::vector<std::vector<float>> grads, values;
  std::vector<st::Shape> shapeOf;
  for (size_t i = 0; i < shapes.size(); ++i) {
    shapeOf.push_back(shapes[i].get<st::Shape>());
    std::string k = std::to_string(i);
    st::Tensor init = st::loadNpy((dir / ("init_" + k + ".npy")).string());
    vars.push_back(st::variable(init));
    init.dispose();
    st::Tensor g = st::loadNpy((dir / ("grads_" + k + ".npy")).string());
    st::Tensor v = st::loadNpy((dir / ("values_" + k + ".npy")).string());
    grads.push_back(g.dataSync());
    values.push_back(v.dataSync());
    g.dispose();
    v.dispose();
  }
  Worst worst;
  for (int s = 0; s < steps; ++s) {
    std::vector<st::VariableGradient> list;
    for (size_t i = 0; i < vars.size(); ++i) {
      bool missing = s == missingStep && static_cast<int>(i) == missingVar;
      list.push_back({vars[i], missing ? st::Tensor() : stepOf(grads[i], shapeOf[i], s)});
    }
    opt.applyGradients(list);
    for (auto& item : list) st::dispose(item.gradient);
    for (size_t i = 0; i < vars.size(); ++i) {
      st::Tensor expected = stepOf(values[i], shapeOf[i], s);
      expectClose(vars[i], expected, label + " step " + std::to_string(s) + " variable " + std::to_string(i), worst);
      expected.dispose();
    }
  }
  EXPECT_EQ(opt.iterations(), entry["iterations"].get<int64_t>()) << label;
  for (auto& v : vars) v.dispose();
  std::cout << "  " << label << ": worst |error| " << worst.error << ", " << worst.bitExact << "/" << worst.total
            << " bit-exact\n";
}

class OptimizerConformance : public ::testing::TestWithParam<int> {
 protected:
  const Json& entry() const { return index()["cases"][GetParam()]; }
};

// Built from TF.js's own serialization (exact doubles), then through the public factory or the
// string name: every path must reproduce TF.js's steps, and the memory must come back.
TEST_P(OptimizerConformance, StepsMatchTfjs) {
  const Json& e = entry();
  const auto before = st::memory().numTensors;
  {
    auto fromJson = st::optimizerFromJson(e["optimizerConfig"]);
    replay(e, *fromJson, e["name"].get<std::string>() + " (optimizerFromJson)");
    st::OptimizerPtr other = e["source"] == "getOptimizer" ? st::getOptimizer(e["stringName"].get<std::string>())
                                                           : fromFactory(e["className"], e["config"]);
    replay(e, *other, e["name"].get<std::string>() + (e["source"] == "getOptimizer" ? " (getOptimizer)" : " (factory)"));
  }
  EXPECT_EQ(st::memory().numTensors, before) << "optimizer state leaked";
}

TEST_P(OptimizerConformance, ConfigAndJsonAsTfjsWritesThem) {
  const Json& e = entry();
  st::OptimizerPtr opt = e["source"] == "getOptimizer" ? st::getOptimizer(e["stringName"].get<std::string>())
                                                       : fromFactory(e["className"], e["config"]);
  EXPECT_EQ(opt->className(), e["className"]);
  EXPECT_EQ(opt->getConfig(), e["config"]);
  EXPECT_EQ(st::optimizerToJson(*opt), e["optimizerConfig"]);
  // Round trip: what Strata writes reads back as the same optimizer.
  auto again = st::optimizerFromJson(st::optimizerToJson(*opt));
  EXPECT_EQ(st::optimizerToJson(*again), e["optimizerConfig"]);
  if (e["source"] == "getOptimizer") {  // and the lookup ignores case
    std::string name = e["stringName"];
    for (char& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    EXPECT_EQ(st::optimizerToJson(*st::getOptimizer(name)), e["optimizerConfig"]) << name;
  }
}

std::string caseName(const ::testing::TestParamInfo<int>& info) {
  std::string n = index()["cases"][info.param]["name"];
  for (char& c : n)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return n;
}
std::vector<int> caseIndices() {
  std::vector<int> v(index()["cases"].size());
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<int>(i);
  return v;
}
INSTANTIATE_TEST_SUITE_P(Tfjs, OptimizerConformance, ::testing::ValuesIn(caseIndices()), caseName);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(OptimizerConformance);

TEST(OptimizerFixtures, Present) {
  ASSERT_FALSE(index().contains("fixturesMissing")) << "optimizer fixtures missing under " << fixtureDir()
                                            << " (run tests/conformance/generate_training.mjs)";
  // Every class and every TF.js string name is covered.
  std::set<std::string> classes, names;
  for (const auto& c : index()["cases"]) {
    classes.insert(c["className"]);
    if (c["source"] == "getOptimizer") names.insert(lower(c["stringName"]));
  }
  EXPECT_EQ(classes, (std::set<std::string>{"SGD", "Momentum", "Adam", "Adamax", "Adagrad", "Adadelta", "RMSProp"}));
  EXPECT_EQ(names, (std::set<std::string>{"sgd", "adam", "adamax", "adagrad", "adadelta", "rmsprop"}));
  EXPECT_DOUBLE_EQ(index()["epsilon"].get<double>(), 1e-7);  // the epsilon Strata's defaults assume
}

// Serialized optimizers (Keras snake_case keys, extra keys) read as TF.js's loadTrainingConfig reads them.
TEST(OptimizerJson, ReadsWhatTfjsReads) {
  ASSERT_FALSE(index().contains("fixturesMissing"));
  for (const auto& d : index()["deserialized"]) {
    auto opt = st::optimizerFromJson(d["json"]);
    EXPECT_EQ(opt->className(), d["className"]) << d["json"].dump();
    EXPECT_EQ(opt->getConfig(), d["config"]) << d["json"].dump();
  }
}

TEST(OptimizerJson, MissingKeysTakeTfTrainDefaults) {
  // tf.train.adam() = adam(0.001, 0.9, 0.999, backend epsilon); tf.train.rmsprop(lr) defaults.
  auto adam = st::optimizerFromJson(Json::parse(R"({"class_name": "Adam", "config": {}})"));
  EXPECT_EQ(adam->getConfig(), Json::parse(R"({"learningRate":0.001,"beta1":0.9,"beta2":0.999,"epsilon":1e-7})"));
  auto rms = st::optimizerFromJson(Json::parse(R"({"class_name": "RMSProp", "config": {"learningRate": 0.1}})"));
  EXPECT_EQ(rms->getConfig(),
            Json::parse(R"({"learningRate":0.1,"decay":0.9,"momentum":0,"epsilon":1e-7,"centered":false})"));
  auto keras = st::optimizerFromJson(Json::parse(R"({"class_name": "RMSprop", "config": {"learning_rate": 0.1}})"));
  EXPECT_EQ(keras->className(), "RMSProp");
}

void expectError(const std::function<void()>& f, const std::vector<std::string>& mentions) {
  try {
    f();
    ADD_FAILURE() << "no error; expected one mentioning " << mentions[0];
  } catch (const st::Error& e) {
    for (const auto& m : mentions) EXPECT_NE(std::string(e.what()).find(m), std::string::npos) << e.what();
  }
}

TEST(OptimizerJson, BadJsonGivesClearErrors) {
  expectError([] { st::optimizerFromJson(Json::array()); }, {"class_name"});
  expectError([] { st::optimizerFromJson(Json::parse(R"({"config": {}})")); }, {"class_name"});
  expectError([] { st::optimizerFromJson(Json::parse(R"({"class_name": "Nadam", "config": {}})")); },
              {"Nadam", "Adam", "RMSProp"});
  expectError([] { st::optimizerFromJson(Json::parse(R"({"class_name": "SGD", "config": [1]})")); }, {"config", "SGD"});
  expectError([] { st::optimizerFromJson(Json::parse(R"({"class_name": "SGD", "config": {}})")); }, {"learningRate"});
  expectError([] { st::optimizerFromJson(Json::parse(R"({"class_name": "Adam", "config": {"learningRate": "fast"}})")); },
              {"learningRate", "\"fast\""});
  expectError([] { st::optimizerFromJson(Json::parse(R"({"class_name": "Momentum", "config": {"learningRate": 0.1}})")); },
              {"momentum"});
  expectError([] {
    st::optimizerFromJson(Json::parse(R"({"class_name": "Momentum", "config": {"learningRate": 0.1, "momentum": 0.9, "useNesterov": 1}})"));
  }, {"useNesterov"});
  expectError([] { st::optimizerFromJson(Json::parse(R"({"class_name": "Adam", "config": {"LearningRate": 0.1}})")); },
              {"LearningRate", "learningRate"});
}

TEST(GetOptimizer, UnknownNamesAndTfjsRejections) {
  ASSERT_FALSE(index().contains("fixturesMissing"));
  // TF.js rejects these; Strata accepts those that are a known name in another case, and 'momentum'.
  const std::set<std::string> strataNames = {"sgd", "momentum", "adam", "adamax", "adagrad", "adadelta", "rmsprop"};
  for (const auto& r : index()["rejectedNames"]) {
    std::string name = r["name"];
    if (strataNames.count(lower(name))) {
      EXPECT_NO_THROW(st::getOptimizer(name)) << name;
    } else {
      expectError([&] { st::getOptimizer(name); }, {"'" + name + "'", "adam", "rmsprop"});
    }
  }
  expectError([] { st::getOptimizer(""); }, {"''", "sgd"});
  auto m = st::getOptimizer("Momentum");
  EXPECT_EQ(st::optimizerToJson(*m), Json::parse(R"({"class_name":"Momentum","config":{"learningRate":0.01,"momentum":0.9,"useNesterov":false}})"));
}

// ---- behaviour beyond the fixtures ---------------------------------------------------------

std::vector<std::pair<std::string, st::OptimizerPtr>> everyOptimizer() {
  return {{"sgd", st::sgd(0.1f)},
          {"momentum", st::momentum(0.05f, 0.9f)},
          {"nesterov", st::momentum(0.05f, 0.9f, true)},
          {"adam", st::adam(0.1f)},
          {"adamax", st::adamax(0.1f, 0.9f, 0.999f, 1e-7f, 0.01f)},
          {"adagrad", st::adagrad(0.5f)},
          {"adadelta", st::adadelta(1.0f)},
          {"rmsprop", st::rmsprop(0.05f, 0.9f, 0.5f)},
          {"rmsprop_centered", st::rmsprop(0.05f, 0.9f, 0.5f, 1e-7f, true)}};
}

// Mathematics: gradient steps on a convex quadratic lower it; minimize() returns the loss at the
// point where the gradient was taken.
TEST(OptimizerMinimize, LowersAQuadratic) {
  for (auto& [name, opt] : everyOptimizer()) {
    const auto before = st::memory().numTensors;
    {
      st::Tensor target = st::tensor({1.0f, -2.0f, 0.5f});
      st::Variable w = st::variable(st::tensor({0.0f, 0.0f, 0.0f}));
      auto loss = [&] { return st::mean(st::square(st::sub(w, target))); };
      const float initial = st::tidy(loss).item();
      float last = initial;
      for (int i = 0; i < 30; ++i) {
        st::Tensor value = opt->minimize(loss);
        if (i == 0) EXPECT_FLOAT_EQ(value.item(), initial) << name;
        value.dispose();
      }
      last = st::tidy(loss).item();
      EXPECT_LT(last, 0.5f * initial) << name << ": loss " << initial << " -> " << last;
      EXPECT_EQ(opt->iterations(), 30) << name;
      opt->dispose();
      w.dispose();
      target.dispose();
    }
    EXPECT_EQ(st::memory().numTensors, before) << name;
  }
}

TEST(OptimizerMinimize, VarListLimitsTheUpdate) {
  st::Variable a = st::variable(st::tensor({1.0f, 2.0f}));
  st::Variable b = st::variable(st::tensor({3.0f}));
  st::Variable unused = st::variable(st::tensor({5.0f}));
  auto opt = st::sgd(0.5f);
  // d/da sum(a^2) = 2a -> a - 0.5 * 2a = 0; b is not in varList; `unused` gets no gradient.
  st::Tensor v = opt->minimize([&] { return st::add(st::sum(st::square(a)), st::sum(b)); }, {a, unused});
  EXPECT_FLOAT_EQ(v.item(), 8.0f);
  EXPECT_EQ(a.dataSync(), (std::vector<float>{0.0f, 0.0f}));
  EXPECT_EQ(b.dataSync(), (std::vector<float>{3.0f}));
  EXPECT_EQ(unused.dataSync(), (std::vector<float>{5.0f}));
  v.dispose();
  a.dispose(), b.dispose(), unused.dispose();
}

TEST(OptimizerMemory, FlatOver100StepsAndDisposeFreesState) {
  for (auto& [name, opt] : everyOptimizer()) {
    const auto baseline = st::memory().numTensors;
    st::Variable w = st::variable(st::tensor({0.5f, -1.0f, 2.0f, 0.25f}, {2, 2}));
    st::Variable skipped = st::variable(st::tensor({1.0f}));
    st::Tensor g = st::tensor({0.1f, -0.2f, 0.3f, -0.4f}, {2, 2});
    opt->applyGradients({{w, g}, {skipped, st::Tensor()}});
    const auto afterFirst = st::memory().numTensors;
    for (int i = 0; i < 99; ++i) opt->applyGradients({{w, g}, {skipped, st::Tensor()}});
    EXPECT_EQ(st::memory().numTensors, afterFirst) << name << " grows per step";
    EXPECT_EQ(skipped.dataSync(), std::vector<float>{1.0f}) << name << " changed a variable without gradient";
    opt->dispose();
    EXPECT_EQ(st::memory().numTensors, baseline + 3) << name << ": dispose() left state behind";  // w, skipped, g
    w.dispose(), skipped.dispose(), g.dispose();
    EXPECT_EQ(st::memory().numTensors, baseline) << name;
  }
}

// After dispose() the next update starts from fresh state: it equals a new optimizer's first step.
TEST(OptimizerMemory, DisposeStartsFresh) {
  auto used = everyOptimizer();
  auto fresh = everyOptimizer();
  for (size_t k = 0; k < used.size(); ++k) {
    st::Variable a = st::variable(st::tensor({0.5f, -1.0f}));
    st::Variable b = st::variable(st::tensor({0.5f, -1.0f}));
    st::Tensor g1 = st::tensor({0.3f, 0.7f}), g2 = st::tensor({-0.2f, 0.9f});
    for (int i = 0; i < 3; ++i) used[k].second->applyGradients({{a, g1}});
    used[k].second->dispose();
    a.assign(b);
    used[k].second->applyGradients({{a, g2}});
    fresh[k].second->applyGradients({{b, g2}});
    EXPECT_EQ(a.dataSync(), b.dataSync()) << used[k].first;
    a.dispose(), b.dispose(), g1.dispose(), g2.dispose();
  }
}

TEST(OptimizerErrors, GradientShapeMustMatchTheVariable) {
  for (auto& entry : everyOptimizer()) {
    const auto& name = entry.first;  // not a structured binding: clang 14 cannot capture those
    const auto& opt = entry.second;
    st::Variable ok = st::variable(st::tensor({1.0f, 2.0f}));
    st::Variable w = st::variable(st::tensor({1.0f, 2.0f, 3.0f, 4.0f, 5.0f, 6.0f}, {2, 3}));
    st::Tensor gOk = st::tensor({1.0f, 1.0f}), gBad = st::ones({3, 2});
    expectError([&] { opt->applyGradients({{ok, gOk}, {w, gBad}}); }, {w.name(), "[3,2]", "[2,3]", opt->className()});
    // Checked before anything changes.
    EXPECT_EQ(ok.dataSync(), (std::vector<float>{1.0f, 2.0f})) << name;
    EXPECT_EQ(opt->iterations(), 0) << name;
    ok.dispose(), w.dispose(), gOk.dispose(), gBad.dispose();
  }
}

}  // namespace
