// compile/fit/evaluate/trainOnBatch/fitDataset and the callbacks, on small models built in C++.
// Expected values come from identities (evaluate in one batch == in many; a frozen layer does
// not move; a failed fit restores the weights) and from the behaviour TF.js documents; the
// numeric agreement with TF.js is in fit_conformance_test.cpp.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <unistd.h>

#include "strata/layers_api.h"
#include "strata/strata.h"

namespace st = strata;
namespace fs = std::filesystem;

namespace {

// 64 samples of 4 features; 3 classes from a fixed linear rule, one-hot.
struct Data {
  st::Tensor x, y, labels;
};
Data makeData(int n = 64, uint64_t seed = 3) {
  Data d;
  d.x = st::randomUniform({n, 4}, -1, 1, st::DType::float32, seed);
  st::Tensor w = st::tensor({1, -1, 0.5f, 2, -1, 0, 0.5f, 1, -2, 1, 1, 0}, {4, 3});
  d.labels = st::argMax(st::matMul(d.x, w), 1);
  d.y = st::oneHot(d.labels, 3);
  return d;
}

st::LayersModel mlp(bool freezeFirst = false) {
  st::setRandomSeed(11);
  auto m = st::sequential();
  m.add(st::layers::dense({.units = 8, .activation = "relu", .inputShape = {4}, .name = "hidden", .trainable = !freezeFirst}));
  m.add(st::layers::dense({.units = 3, .activation = "softmax", .name = "probs"}));
  return m;
}

std::vector<float> flat(const std::vector<st::Tensor>& ts) {
  std::vector<float> out;
  for (const auto& t : ts) {
    auto v = t.dataSync<float>();
    out.insert(out.end(), v.begin(), v.end());
  }
  return out;
}

fs::path tempDir(const std::string& name) {
  fs::path p = fs::temp_directory_path() / ("strata_fit_test_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(p);
  fs::create_directories(p);
  return p;
}

}  // namespace

TEST(Fit, LossDecreasesAndHistoryHasTfjsKeys) {
  Data d = makeData();
  auto m = mlp();
  m.compile({.optimizer = "adam", .loss = {"categoricalCrossentropy"}, .metrics = {"accuracy"}});
  EXPECT_EQ(m.metricsNames(), (std::vector<std::string>{"loss", "acc"}));
  st::History h = m.fit(d.x, d.y, {.epochs = 5, .batchSize = 16, .verbose = 0, .seed = 1});
  EXPECT_EQ(h.epoch, (std::vector<int>{0, 1, 2, 3, 4}));
  ASSERT_EQ(h.history.count("loss"), 1u);
  ASSERT_EQ(h.history.count("acc"), 1u);
  EXPECT_EQ(h.batchLoss.size(), 5u * 4u);
  EXPECT_LT(h.history["loss"].back(), h.history["loss"].front());
  // The epoch loss is the sample-weighted mean of its batch losses (equal batches here).
  double mean = 0;
  for (int b = 0; b < 4; ++b) mean += h.batchLoss[b] / 4;
  EXPECT_NEAR(h.history["loss"][0], mean, 1e-6);
}

TEST(Fit, EvaluateIsIndependentOfBatchSize) {
  Data d = makeData();
  auto m = mlp();
  m.compile({.optimizer = "sgd", .loss = {"categoricalCrossentropy"}, .metrics = {"accuracy", "mse"}});
  st::Logs one = m.evaluate(d.x, d.y, {.batchSize = 64});
  st::Logs many = m.evaluate(d.x, d.y, {.batchSize = 7});
  for (const auto& [k, v] : one) EXPECT_NEAR(many[k], v, 1e-5) << k;
  // And equals the loss computed directly from predictions.
  float direct = st::tidy([&] { return st::mean(st::losses::categoricalCrossentropy(d.y, m.predict(d.x))); }).item<float>();
  EXPECT_NEAR(one["loss"], direct, 1e-5);
}

TEST(Fit, FrozenLayerDoesNotMove) {
  Data d = makeData();
  auto m = mlp(/*freezeFirst=*/true);
  auto before = flat({m.getLayer("hidden").ownWeights()[0].value});
  m.compile({.optimizer = "adam", .loss = {"categoricalCrossentropy"}});
  auto last0 = flat({m.getLayer("probs").ownWeights()[0].value});
  m.fit(d.x, d.y, {.epochs = 2, .verbose = 0});
  EXPECT_EQ(flat({m.getLayer("hidden").ownWeights()[0].value}), before);
  EXPECT_NE(flat({m.getLayer("probs").ownWeights()[0].value}), last0);
}

TEST(Fit, NaNLossStopsWithEpochAndBatchAndRestoresWeights) {
  Data d = makeData();
  auto m = mlp();
  m.compile({.optimizer = st::sgd(1e30f), .loss = {"meanSquaredError"}});
  auto before = flat(m.getWeights());
  try {
    m.fit(d.x, st::mul(d.y, st::scalar(1e20f)), {.epochs = 3, .batchSize = 8, .verbose = 0});
    FAIL() << "expected a NaN/infinite loss error";
  } catch (const st::Error& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("epoch"), std::string::npos) << msg;
    EXPECT_NE(msg.find("batch"), std::string::npos) << msg;
  }
  EXPECT_EQ(flat(m.getWeights()), before);
}

TEST(Fit, BadInputGivesClearErrors) {
  Data d = makeData();
  auto m = mlp();
  EXPECT_THROW(m.fit(d.x, d.y), st::Error);  // not compiled
  auto expectMessage = [](auto f, const std::string& part) {
    try {
      f();
      ADD_FAILURE() << "expected an error containing '" << part << "'";
    } catch (const st::Error& e) {
      EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
    }
  };
  expectMessage([&] { m.compile({.optimizer = "adamw", .loss = {"mse"}}); }, "adamw");
  expectMessage([&] { m.compile({.optimizer = "adam", .loss = {"crossEntropyish"}}); }, "crossEntropyish");
  expectMessage([&] { m.compile({.optimizer = "adam", .loss = {"mse"}, .metrics = {"f1ish"}}); }, "f1ish");
  m.compile({.optimizer = "adam", .loss = {"categoricalCrossentropy"}});
  st::Tensor fewer = st::slice(d.y, {0, 0}, {10, 3});
  expectMessage([&] { m.fit(d.x, fewer, {.verbose = 0}); }, "samples");
  st::Tensor wrongWidth = st::oneHot(d.labels, 5);
  expectMessage([&] { m.fit(d.x, wrongWidth, {.verbose = 0}); }, "[64,5]");
  st::Tensor sparseForCategorical = st::reshape(st::cast(d.labels, st::DType::float32), {64, 1});
  expectMessage([&] { m.fit(d.x, sparseForCategorical, {.verbose = 0}); }, "sparseCategoricalCrossentropy");
  // The model still trains after the errors.
  EXPECT_NO_THROW(m.fit(d.x, d.y, {.epochs = 1, .verbose = 0}));
}

TEST(Fit, SparseLabelsAndSparseAccuracy) {
  Data d = makeData();
  auto m = mlp();
  m.compile({.optimizer = "adam", .loss = {"sparseCategoricalCrossentropy"}, .metrics = {"acc"}});
  st::History h = m.fit(d.x, st::cast(d.labels, st::DType::float32), {.epochs = 2, .verbose = 0});
  ASSERT_EQ(h.history["acc"].size(), 2u);
  EXPECT_GE(h.history["acc"][1], 0.0);
  EXPECT_LE(h.history["acc"][1], 1.0);
}

TEST(Fit, ValidationSplitAddsValKeys) {
  Data d = makeData();
  auto m = mlp();
  m.compile({.optimizer = "adam", .loss = {"categoricalCrossentropy"}, .metrics = {"accuracy"}});
  st::History h = m.fit(d.x, d.y, {.epochs = 2, .batchSize = 16, .validationSplit = 0.25f, .verbose = 0});
  ASSERT_EQ(h.history.count("val_loss"), 1u);
  ASSERT_EQ(h.history.count("val_acc"), 1u);
  EXPECT_EQ(h.batchLoss.size(), 2u * 3u);  // 48 training samples in batches of 16
  // val_loss after the last epoch is the model's loss on the last quarter.
  st::Tensor vx = st::slice(d.x, {48, 0}, {16, 4}), vy = st::slice(d.y, {48, 0}, {16, 3});
  EXPECT_NEAR(h.history["val_loss"].back(), m.evaluate(vx, vy)["loss"], 1e-5);
}

TEST(Fit, EarlyStoppingStopsAndRestoresBest) {
  Data d = makeData();
  auto m = mlp();
  m.compile({.optimizer = "adam", .loss = {"categoricalCrossentropy"}});
  // Mode "max" on a falling loss: epoch 0 is the best, epoch 1 does not improve -> stop.
  auto es = st::earlyStopping({.monitor = "loss", .patience = 1, .mode = "max", .restoreBestWeights = true});
  std::vector<float> afterFirst;
  auto grab = st::lambdaCallback({.onEpochEnd = [&](int e, st::Logs&) {
    if (e == 0) afterFirst = flat(m.getWeights());
  }});
  st::History h = m.fit(d.x, d.y, {.epochs = 10, .callbacks = {grab, es}, .verbose = 0});
  EXPECT_EQ(h.epoch.size(), 2u);
  EXPECT_EQ(flat(m.getWeights()), afterFirst);
}

TEST(Fit, CallbacksRunInOrder) {
  Data d = makeData(20);
  auto m = mlp();
  m.compile({.optimizer = "sgd", .loss = {"categoricalCrossentropy"}});
  std::vector<std::string> events;
  auto cb = st::lambdaCallback({
      .onTrainBegin = [&](st::Logs&) { events.push_back("train"); },
      .onTrainEnd = [&](st::Logs&) { events.push_back("/train"); },
      .onEpochBegin = [&](int e, st::Logs&) { events.push_back("e" + std::to_string(e)); },
      .onEpochEnd = [&](int e, st::Logs& l) { events.push_back("/e" + std::to_string(e) + (l.count("loss") ? "+loss" : "")); },
      .onBatchBegin = [&](int b, st::Logs&) { events.push_back("b" + std::to_string(b)); },
      .onBatchEnd = [&](int b, st::Logs& l) { events.push_back("/b" + std::to_string(b) + (l.count("loss") ? "+loss" : "")); },
  });
  m.fit(d.x, d.y, {.epochs = 2, .batchSize = 10, .initialEpoch = 1, .callbacks = {cb}, .verbose = 0});
  EXPECT_EQ(events, (std::vector<std::string>{"train", "e1", "b0", "/b0+loss", "b1", "/b1+loss", "/e1+loss", "/train"}));
}

TEST(Fit, CheckpointAndHistoryLoggerWriteFiles) {
  Data d = makeData();
  auto m = mlp();
  m.compile({.optimizer = "adam", .loss = {"categoricalCrossentropy"}, .metrics = {"accuracy"}});
  fs::path dir = tempDir("ckpt");
  m.fit(d.x, d.y,
        {.epochs = 3, .validationSplit = 0.25f,
         .callbacks = {st::modelCheckpoint((dir / "best").string()), st::historyLogger((dir / "h.json").string()),
                       st::historyLogger((dir / "h.csv").string())},
         .verbose = 0});
  ASSERT_TRUE(fs::exists(dir / "best" / "model.json"));
  auto reloaded = st::loadLayersModel((dir / "best").string());
  EXPECT_EQ(reloaded.countParams(), m.countParams());
  std::ifstream hj(dir / "h.json");
  auto j = nlohmann::json::parse(hj);
  EXPECT_EQ(j["epoch"].size(), 3u);
  EXPECT_EQ(j["history"]["val_acc"].size(), 3u);
  std::ifstream hc(dir / "h.csv");
  std::string header;
  std::getline(hc, header);
  EXPECT_EQ(header.rfind("epoch,", 0), 0u) << header;
  EXPECT_NE(header.find("val_loss"), std::string::npos);
  fs::remove_all(dir);
}

TEST(Fit, TrainOnBatchAndFitDataset) {
  Data d = makeData();
  auto m = mlp();
  m.compile({.optimizer = "adam", .loss = {"categoricalCrossentropy"}, .metrics = {"accuracy"}});
  st::Logs l = m.trainOnBatch({d.x}, {d.y});
  EXPECT_EQ(l.count("loss"), 1u);
  EXPECT_EQ(l.count("acc"), 1u);
  EXPECT_EQ(m.optimizer()->iterations(), 1);

  int made = 0;
  auto makeIt = [&]() -> st::BatchIterator {
    ++made;
    auto pos = std::make_shared<int64_t>(0);
    return [&, pos]() -> std::optional<st::Batch> {
      if (*pos >= 64) return std::nullopt;
      st::Batch b{{st::slice(d.x, {*pos, 0}, {16, 4})}, {st::slice(d.y, {*pos, 0}, {16, 3})}};
      *pos += 16;
      return b;
    };
  };
  st::History h = m.fitDataset(makeIt, {.epochs = 3, .verbose = 0});
  EXPECT_EQ(made, 3);
  EXPECT_EQ(h.batchLoss.size(), 12u);
  EXPECT_EQ(m.optimizer()->iterations(), 13);
}

TEST(Fit, TrainingDoesNotLeakTensors) {
  Data d = makeData();
  auto m = mlp();
  m.compile({.optimizer = "adam", .loss = {"categoricalCrossentropy"}, .metrics = {"accuracy"}});
  m.fit(d.x, d.y, {.epochs = 1, .verbose = 0});  // creates the optimizer's slots
  const int64_t base = st::memory().numTensors;
  m.fit(d.x, d.y, {.epochs = 3, .validationSplit = 0.25f, .verbose = 0});
  m.evaluate(d.x, d.y);
  m.trainOnBatch({d.x}, {d.y});
  EXPECT_EQ(st::memory().numTensors, base);
}

TEST(Fit, SaveKeepsTrainingConfigAndRecompiles) {
  Data d = makeData();
  auto m = mlp();
  m.compile({.optimizer = st::momentum(0.05f, 0.9f), .loss = {"categoricalCrossentropy"}, .metrics = {"accuracy"}});
  m.fit(d.x, d.y, {.epochs = 1, .verbose = 0});
  fs::path dir = tempDir("tc");
  m.save(dir.string());
  std::ifstream in(dir / "model.json");
  auto j = nlohmann::json::parse(in);
  ASSERT_TRUE(j.contains("trainingConfig"));
  EXPECT_EQ(j["trainingConfig"]["loss"], "categorical_crossentropy");
  EXPECT_EQ(j["trainingConfig"]["metrics"], nlohmann::json::array({"accuracy"}));
  EXPECT_EQ(j["trainingConfig"]["optimizer_config"]["class_name"], "Momentum");
  auto reloaded = st::loadLayersModel(dir.string());
  reloaded.compileFromTrainingConfig();
  EXPECT_EQ(reloaded.optimizer()->className(), "Momentum");
  EXPECT_EQ(reloaded.metricsNames(), m.metricsNames());
  fs::remove_all(dir);
  // For tests/conformance/check_saved.mjs: TF.js must compile this model from its
  // trainingConfig and evaluate the same loss.
  if (const char* fixtures = std::getenv("STRATA_FIXTURES")) {
    fs::path out = fs::path(fixtures) / "strata_trained" / "momentum_mlp";
    fs::create_directories(out);
    m.save(out.string());
    st::saveNpy((out / "x.npy").string(), d.x);
    st::saveNpy((out / "y.npy").string(), d.y);
    std::ofstream(out / "strata_eval.json") << nlohmann::json{{"loss", m.evaluate(d.x, d.y)["loss"]}}.dump();
  }
}

TEST(Fit, BatchNormMovingStatisticsMoveInTraining) {
  st::setRandomSeed(5);
  auto m = st::sequential();
  m.add(st::layers::dense({.units = 4, .inputShape = {4}}));
  m.add(st::layers::batchNormalization({.name = "bn"}));
  m.add(st::layers::dense({.units = 3, .activation = "softmax"}));
  Data d = makeData();
  m.compile({.optimizer = "sgd", .loss = {"categoricalCrossentropy"}});
  auto& bn = m.getLayer("bn");
  auto meanBefore = flat({bn.ownWeights()[2].value});
  m.fit(d.x, d.y, {.epochs = 1, .verbose = 0});
  EXPECT_NE(flat({bn.ownWeights()[2].value}), meanBefore);
}

TEST(Fit, SeededDropoutTrainsReproducibly) {
  Data d = makeData();
  auto run = [&] {
    st::setRandomSeed(21);
    auto m = st::sequential();
    m.add(st::layers::dense({.units = 16, .activation = "relu", .inputShape = {4}}));
    m.add(st::layers::dropout({.rate = 0.5f, .seed = 7}));
    m.add(st::layers::dense({.units = 3, .activation = "softmax"}));
    m.compile({.optimizer = "adam", .loss = {"categoricalCrossentropy"}});
    return m.fit(d.x, d.y, {.epochs = 2, .verbose = 0, .seed = 9}).batchLoss;
  };
  EXPECT_EQ(run(), run());
}

// Identities: weights of 1 change nothing; weights of 2 double every per-sample loss.
TEST(Fit, SampleWeightScalesTheLoss) {
  Data d = makeData();
  auto run = [&](const st::Tensor& sw) {
    auto m = mlp();
    m.compile({.optimizer = "sgd", .loss = {"categoricalCrossentropy"}});
    return m.fit(d.x, d.y, {.epochs = 1, .batchSize = 16, .shuffle = false, .sampleWeight = sw, .verbose = 0}).batchLoss;
  };
  std::vector<double> plain = run(st::Tensor()), ones = run(st::ones({64})), twos = run(st::fill({64}, 2.0f));
  EXPECT_EQ(ones, plain);
  ASSERT_EQ(twos.size(), plain.size());
  EXPECT_NEAR(twos[0], 2 * plain[0], 1e-6 * plain[0]);  // first batch: same weights, loss doubled
  auto m = mlp();
  m.compile({.optimizer = "sgd", .loss = {"categoricalCrossentropy"}});
  double loss = m.evaluate(d.x, d.y)["loss"];
  EXPECT_NEAR(m.evaluate(d.x, d.y, {.sampleWeight = st::fill({64}, 2.0f)})["loss"], 2 * loss, 1e-6 * loss);
}
