// Magnitude pruning: the PolynomialDecay schedule against its formula (TFMOT's definition), masks
// that keep pruned weights at exactly zero through training with the per-step zero count the
// schedule implies, one-shot pruning keeping the largest |w|, errors, memory. Expected values
// come from the formula and from counting (no recorded numbers).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <unistd.h>

#include "strata/layers_api.h"
#include "strata/strata.h"

namespace st = strata;
namespace fs = std::filesystem;

namespace {

// The schedule as TFMOT writes it, computed independently here.
double formula(double initial, double final_, double begin, double end, double power, double step) {
  double p = std::min(1.0, std::max(0.0, (step - begin) / (end - begin)));
  return final_ + (initial - final_) * std::pow(1.0 - p, power);
}

int64_t expectedZeros(int64_t n, double sparsity) {
  return n - std::max<int64_t>(1, std::llround(static_cast<double>(n) * (1.0 - sparsity)));
}

// Conv2D(4, 3x3) on 6x6x1 -> Flatten -> Dense(3): kernels of 36 and 192 weights.
st::LayersModel convNet() {
  st::setRandomSeed(5);
  auto m = st::sequential({.name = "prune_net"});
  m.add(st::layers::conv2d({.filters = 4, .kernelSize = 3, .activation = "relu", .inputShape = {6, 6, 1}, .name = "conv"}));
  m.add(st::layers::batchNormalization({.name = "bn"}));
  m.add(st::layers::flatten({.name = "flat"}));
  m.add(st::layers::dense({.units = 3, .activation = "softmax", .name = "out"}));
  m.compile({.optimizer = st::adam(0.01f), .loss = {"categoricalCrossentropy"}, .metrics = {"accuracy"}});
  return m;
}

struct Data {
  st::Tensor x, y;
};
Data data(int n = 32) {
  Data d;
  d.x = st::randomUniform({n, 6, 6, 1}, 0, 1, st::DType::float32, 7);
  st::Tensor s = st::sum(d.x, {1, 2, 3});
  st::Tensor cls = st::cast(st::floor(st::mul(st::sub(s, st::min(s)), st::scalar(2.999f / 36.0f))), st::DType::int32);
  d.y = st::oneHot(st::minimum(cls, st::scalar(int32_t{2})), 3, 1, 0, st::DType::float32);
  return d;
}

int64_t zerosOf(const st::Tensor& t) {
  int64_t z = 0;
  for (float v : t.dataSync<float>()) z += v == 0.0f;
  return z;
}

st::Tensor weightOf(const st::LayersModel& m, const std::string& layer, const std::string& weight) {
  for (auto& w : m.getLayer(layer).ownWeights())
    if (w.name == weight) return w.value;
  ADD_FAILURE() << "no weight " << layer << "/" << weight;
  return {};
}

}  // namespace

TEST(PruneSchedule, SparsityFollowsPolynomialDecayFormula) {
  struct Case {
    float initial, final_;
    int64_t begin, end;
    float power;
  };
  for (const Case& c : {Case{0.0f, 0.8f, 0, 100, 3}, Case{0.5f, 0.9f, 10, 60, 2}, Case{0.2f, 0.5f, 5, 5, 3},
                        Case{0.0f, 0.5f, 0, 7, 1}}) {
    st::PolynomialDecay s{.initialSparsity = c.initial, .finalSparsity = c.final_, .beginStep = c.begin,
                          .endStep = c.end, .power = c.power, .frequency = 1};
    for (int64_t step : {int64_t{0}, c.begin, c.begin + 1, (c.begin + c.end) / 2, c.end - 1, c.end, c.end + 10}) {
      if (c.begin == c.end) {
        // A zero-length schedule jumps to the final sparsity at begin.
        EXPECT_DOUBLE_EQ(s.sparsityAt(step), step >= c.begin ? c.final_ : c.initial) << step;
        continue;
      }
      EXPECT_NEAR(s.sparsityAt(step), formula(c.initial, c.final_, c.begin, c.end, c.power, step), 1e-12)
          << "step " << step << " begin " << c.begin << " end " << c.end;
    }
    if (c.begin < c.end) EXPECT_NEAR(s.sparsityAt(c.begin), c.initial, 1e-7);
    EXPECT_NEAR(s.sparsityAt(c.end), c.final_, 1e-7);
  }
}

TEST(PruneSchedule, MasksUpdateEveryFrequencyStepsAndAtTheEnd) {
  st::PolynomialDecay s{.finalSparsity = 0.5f, .beginStep = 10, .endStep = 50, .frequency = 15};
  std::vector<int64_t> pruned;
  for (int64_t step = 0; step <= 80; ++step)
    if (s.shouldPrune(step)) pruned.push_back(step);
  EXPECT_EQ(pruned, (std::vector<int64_t>{10, 25, 40, 50}));
}

TEST(PruneSchedule, RejectsBadValues) {
  auto bad = [](st::PolynomialDecay s, const std::string& word) {
    try {
      s.validate();
      ADD_FAILURE() << "no error for " << word;
    } catch (const st::Error& e) {
      EXPECT_NE(std::string(e.what()).find(word), std::string::npos) << e.what();
    }
  };
  bad({.finalSparsity = 1.0f}, "finalSparsity");
  bad({.finalSparsity = -0.1f}, "finalSparsity");
  bad({.finalSparsity = NAN}, "finalSparsity");
  bad({.initialSparsity = 1.5f}, "initialSparsity");
  bad({.beginStep = 10, .endStep = 5}, "endStep");
  bad({.beginStep = -1}, "beginStep");
  bad({.frequency = 0}, "frequency");
  st::PolynomialDecay ok{.finalSparsity = 0.0f};
  EXPECT_NO_THROW(ok.validate());
}

TEST(PruneLowMagnitude, MasksKeepPrunedWeightsZeroAndReachSparsityExactly) {
  st::LayersModel m = convNet();
  Data d = data();
  const float target = 0.75f;
  // 32 samples / batch 8 = 4 steps per epoch, 3 epochs: steps 0..11, final sparsity at step 11.
  st::PolynomialDecay schedule{.finalSparsity = target, .frequency = 1};
  st::PolynomialDecay filled = schedule;
  filled.endStep = 11;
  int64_t step = 0;
  std::vector<float> prevConv;
  int checked = 0;
  auto check = st::lambdaCallback({.onBatchEnd = [&](int, st::Logs&) {
    // After every optimizer step: exactly the zeros the schedule asks for at this step, and a
    // weight once pruned stays exactly zero.
    for (const char* layer : {"conv", "out"}) {
      st::Tensor k = weightOf(m, layer, "kernel");
      EXPECT_EQ(zerosOf(k), expectedZeros(k.size(), filled.sparsityAt(step))) << layer << " step " << step;
    }
    std::vector<float> conv = weightOf(m, "conv", "kernel").dataSync<float>();
    for (size_t i = 0; i < prevConv.size(); ++i)
      if (prevConv[i] == 0.0f) EXPECT_EQ(conv[i], 0.0f) << "weight " << i << " came back at step " << step;
    prevConv = conv;
    ++step;
    ++checked;
  }});
  st::PruneResult r = st::pruneLowMagnitude(
      m, d.x, d.y, {.schedule = schedule, .fit = {.epochs = 3, .batchSize = 8, .callbacks = {check}, .verbose = 0, .seed = 1}});
  EXPECT_EQ(checked, 12);
  ASSERT_EQ(r.layers.size(), 2u);
  EXPECT_EQ(r.layers[0].layer, "conv");
  EXPECT_EQ(r.layers[0].size, 36);
  EXPECT_EQ(r.layers[0].zeros, 27);  // 36 - round(36 * 0.25)
  EXPECT_EQ(r.layers[1].layer, "out");
  EXPECT_EQ(r.layers[1].size, 192);
  EXPECT_EQ(r.layers[1].zeros, 144);
  EXPECT_EQ(r.history.epoch.size(), 3u);
  // Biases and BatchNormalization are never masked.
  EXPECT_EQ(r.layers[0].weight, "kernel");
  EXPECT_EQ(r.layers[1].weight, "kernel");
  EXPECT_EQ(zerosOf(weightOf(m, "bn", "gamma")), 0);
  // The report of the model agrees, and the zeros survive save + load.
  fs::path dir = fs::temp_directory_path() / ("strata_prune_test_" + std::to_string(::getpid()));
  m.save(dir.string());
  auto again = st::sparsityReport(st::loadLayersModel(dir.string()));
  fs::remove_all(dir);
  ASSERT_EQ(again.size(), 2u);
  EXPECT_EQ(again[0].zeros, 27);
  EXPECT_EQ(again[1].zeros, 144);
}

TEST(PruneLowMagnitude, OnlyNamedLayersAndScheduleStartingLate) {
  st::LayersModel m = convNet();
  Data d = data();
  std::vector<float> outBefore = weightOf(m, "out", "kernel").dataSync<float>();
  // 2 epochs of 4 steps; pruning from step 4 (the second epoch), masks every 2 steps + the end.
  auto r = st::pruneLowMagnitude(m, d.x, d.y,
                                 {.schedule = {.initialSparsity = 0.25f, .finalSparsity = 0.5f, .beginStep = 4, .frequency = 2},
                                  .layers = {"conv"},
                                  .fit = {.epochs = 2, .batchSize = 8, .verbose = 0, .seed = 2}});
  ASSERT_EQ(r.layers.size(), 1u);
  EXPECT_EQ(r.layers[0].zeros, 18);
  EXPECT_EQ(zerosOf(weightOf(m, "out", "kernel")), 0);
}

TEST(PruneLowMagnitude, OneShotKeepsTheLargestMagnitudes) {
  st::LayersModel m = convNet();
  std::vector<float> before = weightOf(m, "out", "kernel").dataSync<float>();
  auto report = st::pruneLowMagnitudeOnce(m, 0.6f);
  ASSERT_EQ(report.size(), 2u);
  EXPECT_EQ(report[1].zeros, expectedZeros(192, 0.6));
  std::vector<float> after = weightOf(m, "out", "kernel").dataSync<float>();
  float smallestKept = INFINITY, largestPruned = 0;
  for (size_t i = 0; i < before.size(); ++i) {
    if (after[i] == 0.0f) largestPruned = std::max(largestPruned, std::fabs(before[i]));
    else {
      EXPECT_EQ(after[i], before[i]);  // kept weights are untouched
      smallestKept = std::min(smallestKept, std::fabs(before[i]));
    }
  }
  EXPECT_GE(smallestKept, largestPruned);
}

TEST(PruneLowMagnitude, EpochsZeroIsOneShot) {
  st::LayersModel m = convNet();
  Data d = data();
  auto r = st::pruneLowMagnitude(m, d.x, d.y, {.schedule = {.finalSparsity = 0.5f}, .fit = {.epochs = 0}});
  EXPECT_TRUE(r.history.epoch.empty());
  EXPECT_EQ(r.layers[0].zeros, 18);
  EXPECT_EQ(r.layers[1].zeros, 96);
}

TEST(PruneLowMagnitude, ClearErrorsAndNothingChanges) {
  st::LayersModel m = convNet();
  Data d = data();
  std::vector<st::Tensor> before = m.getWeights();
  auto expectError = [&](const st::PruneArgs& args, const std::string& word) {
    try {
      st::pruneLowMagnitude(m, d.x, d.y, args);
      ADD_FAILURE() << "no error for " << word;
    } catch (const st::Error& e) {
      EXPECT_NE(std::string(e.what()).find(word), std::string::npos) << e.what();
    }
  };
  expectError({.schedule = {.finalSparsity = 1.0f}, .fit = {.verbose = 0}}, "[0, 1)");
  expectError({.schedule = {.finalSparsity = -0.5f}, .fit = {.verbose = 0}}, "finalSparsity");
  expectError({.schedule = {.finalSparsity = 0.5f}, .layers = {"bn"}, .fit = {.verbose = 0}}, "'bn' (BatchNormalization)");
  expectError({.schedule = {.finalSparsity = 0.5f}, .layers = {"nope"}, .fit = {.verbose = 0}}, "no layer 'nope'");
  expectError({.schedule = {.finalSparsity = 0.5f, .beginStep = 100}, .fit = {.batchSize = 8, .verbose = 0}},
              "beginStep 100");
  std::vector<st::Tensor> after = m.getWeights();
  for (size_t i = 0; i < before.size(); ++i)
    EXPECT_TRUE(st::all(st::equal(before[i], after[i])).item<bool>()) << "weight " << i << " changed";

  st::setRandomSeed(5);
  auto plain = st::sequential();
  plain.add(st::layers::dense({.units = 3, .inputShape = {4}}));
  try {
    st::pruneLowMagnitude(plain, st::zeros({2, 4}), st::zeros({2, 3}), {.fit = {.verbose = 0}});
    ADD_FAILURE() << "an uncompiled model without trainingConfig was accepted";
  } catch (const st::Error& e) {
    EXPECT_NE(std::string(e.what()).find("compile"), std::string::npos) << e.what();
  }
}

TEST(PruneLowMagnitude, NoTensorLeaks) {
  st::LayersModel m = convNet();
  Data d = data(16);
  st::PruneArgs args{.schedule = {.finalSparsity = 0.5f, .frequency = 1}, .fit = {.epochs = 1, .batchSize = 8, .verbose = 0}};
  st::pruneLowMagnitude(m, d.x, d.y, args);  // creates the optimizer's slots
  const int64_t base = st::memory().numTensors;
  st::pruneLowMagnitude(m, d.x, d.y, args);
  st::pruneLowMagnitudeOnce(m, 0.6f);
  EXPECT_EQ(st::memory().numTensors, base);
}
