// The measured tables of docs/pruning.md and docs/distillation.md, on the embedded MNIST digits
// (the demo's split: 8,000 training digits, 2,000 held out, seed 42) and the demo CNN:
//
//   strata_optimize_bench magnitude  [--epochs 4] [--frequency 25]   accuracy vs sparsity (50/80/90%)
//   strata_optimize_bench structured [--epochs 2]                    50% of filters/units: speed, accuracy
//   strata_optimize_bench distill    [--epochs 40] [--temperature 4] [--alpha 0.1]
//                                     the student distilled vs trained on labels alone, seeds 1-3
//
// Every mode takes --cache DIR (default ./optimize-bench-cache), where the trained CNN (3 epochs,
// Adam 1e-3, batch 64, as `strata demo` trains it) is kept so the runs share it. Output: Markdown
// tables on stdout. Run through bench/optimize/*.sh, which build this program and print the
// date, machine and backend.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "mnist_cnn.h"
#include "strata/layers_api.h"
#include "strata/strata.h"

namespace st = strata;
namespace fs = std::filesystem;

namespace {

constexpr uint64_t kSeed = 42;
constexpr int kBatch = 64;

struct Split {
  st::MnistData train, test;
  st::Tensor yTrain, yTest;
};

Split loadSplit() {
  st::MnistData all = st::loadMnist();
  auto [train, test] = st::mnistSplit(all, 8000, kSeed);
  return {train, test, st::oneHot(train.labels, 10, 1, 0, st::DType::float32),
          st::oneHot(test.labels, 10, 1, 0, st::DType::float32)};
}

double accuracy(const st::LayersModel& m, const Split& s) {
  return st::tidy([&] {
           return st::mean(st::cast(st::equal(st::argMax(m.predict(s.test.images, {.batchSize = 256}), 1), s.test.labels),
                                    st::DType::float32));
         })
             .item<float>() *
         100.0;
}

void compileAdam(const st::LayersModel& m) {
  m.compile({.optimizer = st::adam(0.001f), .loss = {"categoricalCrossentropy"}, .metrics = {"accuracy"}});
}

// The demo's CNN trained as `strata demo` trains it, loaded from the cache when there.
st::LayersModel trainedCnn(const Split& s, const std::string& cache) {
  const fs::path dir = fs::path(cache) / "mnist_cnn";
  if (fs::exists(dir / "model.json")) return st::loadLayersModel(dir.string());
  std::fprintf(stderr, "training the MNIST CNN (3 epochs) into %s ...\n", dir.c_str());
  st::setRandomSeed(kSeed);
  st::LayersModel m = st::cli::mnistCnn();
  compileAdam(m);
  m.fit(s.train.images, s.yTrain, {.epochs = 3, .batchSize = kBatch, .verbose = 0, .seed = kSeed});
  m.save(dir.string());
  return st::loadLayersModel(dir.string());
}

st::LayersModel freshCopy(const std::string& cache) {
  return st::loadLayersModel((fs::path(cache) / "mnist_cnn").string());
}

double totalSparsity(const std::vector<st::LayerSparsity>& rows) {
  double size = 0, zeros = 0;
  for (const auto& r : rows) {
    size += static_cast<double>(r.size);
    zeros += static_cast<double>(r.zeros);
  }
  return size > 0 ? 100.0 * zeros / size : 0.0;
}

void magnitude(const std::string& cache, int epochs, int frequency) {
  Split s = loadSplit();
  st::LayersModel base = trainedCnn(s, cache);
  const double baseAcc = accuracy(base, s);
  std::printf("| target sparsity | one-shot, no fine-tuning | after %d epoch(s) of pruning + fine-tuning | achieved sparsity (all kernels) |\n",
              epochs);
  std::printf("| ---: | ---: | ---: | ---: |\n");
  // The same fine-tuning without pruning separates the effect of the extra epochs.
  st::LayersModel tuned = freshCopy(cache);
  compileAdam(tuned);
  tuned.fit(s.train.images, s.yTrain, {.epochs = epochs, .batchSize = kBatch, .verbose = 0, .seed = kSeed});
  std::printf("| 0%% (the trained CNN) | %.2f%% | %.2f%% | %.2f%% |\n", baseAcc, accuracy(tuned, s),
              totalSparsity(st::sparsityReport(tuned)));
  std::fflush(stdout);
  for (float target : {0.5f, 0.8f, 0.9f}) {
    st::LayersModel once = freshCopy(cache);
    st::pruneLowMagnitudeOnce(once, target);
    const double onceAcc = accuracy(once, s);
    st::LayersModel m = freshCopy(cache);
    compileAdam(m);
    st::PruneResult r = st::pruneLowMagnitude(
        m, s.train.images, s.yTrain,
        {.schedule = {.finalSparsity = target, .frequency = frequency}, .fit = {.epochs = epochs, .batchSize = kBatch, .verbose = 0, .seed = kSeed}});
    std::printf("| %.0f%% | %.2f%% | %.2f%% | %.2f%% |\n", 100 * target, onceAcc, accuracy(m, s), totalSparsity(r.layers));
    std::fflush(stdout);
  }
}

// Median seconds of one predict() of `x` by each of two models, measured alternately (a, b, a,
// b, ...) after two warm-up runs each, so that a change in the machine's load hits both alike.
std::pair<double, double> timePredicts(const st::LayersModel& a, const st::LayersModel& b, const st::Tensor& x, int reps) {
  auto once = [&x](const st::LayersModel& m) {
    auto t0 = std::chrono::steady_clock::now();
    st::tidy([&] { m.predict(x, {.batchSize = 1 << 20}).dataSync<float>(); });
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  };
  std::vector<double> ta, tb;
  for (int i = 0; i < reps + 2; ++i) {
    const double da = once(a), db = once(b);
    if (i >= 2) {
      ta.push_back(da);
      tb.push_back(db);
    }
  }
  std::sort(ta.begin(), ta.end());
  std::sort(tb.begin(), tb.end());
  return {ta[ta.size() / 2], tb[tb.size() / 2]};
}

void structured(const std::string& cache, int epochs) {
  Split s = loadSplit();
  st::LayersModel base = trainedCnn(s, cache);
  st::StructuredPruneResult r = st::pruneStructured(base, {.fraction = 0.5f});
  const double baseAcc = accuracy(base, s), onceAcc = accuracy(r.model, s);
  std::printf("| layer | filters/units before | after |\n| --- | ---: | ---: |\n");
  for (const auto& l : r.layers)
    std::printf("| %s (%s) | %lld | %lld |\n", l.layer.c_str(), l.className.c_str(), static_cast<long long>(l.before),
                static_cast<long long>(l.after));
  std::printf("\nparameters: %lld -> %lld\n\n", static_cast<long long>(r.paramsBefore),
              static_cast<long long>(r.paramsAfter));

  std::printf("| batch | original (ms) | pruned (ms) | speedup |\n| ---: | ---: | ---: | ---: |\n");
  for (int batch : {1, 64, 256}) {
    st::Tensor x = st::slice(s.test.images, {0, 0, 0, 0}, {batch, 28, 28, 1});
    const int reps = batch == 1 ? 200 : batch == 64 ? 50 : 20;
    const auto [a, b] = timePredicts(base, r.model, x, reps);
    std::printf("| %d | %.3f | %.3f | %.2fx |\n", batch, 1e3 * a, 1e3 * b, a / b);
    std::fflush(stdout);
  }
  compileAdam(r.model);
  r.model.fit(s.train.images, s.yTrain, {.epochs = epochs, .batchSize = kBatch, .verbose = 0, .seed = kSeed});
  const double tunedAcc = accuracy(r.model, s);
  // The same fine-tuning of the unpruned CNN: the fair reference for the fine-tuned pruned one.
  st::LayersModel tuned = freshCopy(cache);
  compileAdam(tuned);
  tuned.fit(s.train.images, s.yTrain, {.epochs = epochs, .batchSize = kBatch, .verbose = 0, .seed = kSeed});
  const double tunedBaseAcc = accuracy(tuned, s);
  std::printf("\n| model | test accuracy | change |\n| --- | ---: | ---: |\n");
  std::printf("| original CNN | %.2f%% | |\n", baseAcc);
  std::printf("| original CNN + %d epoch(s) of the same fine-tuning | %.2f%% | %+.2f points |\n", epochs, tunedBaseAcc,
              tunedBaseAcc - baseAcc);
  std::printf("| 50%% structured, no fine-tuning | %.2f%% | %+.2f points |\n", onceAcc, onceAcc - baseAcc);
  std::printf("| 50%% structured + %d epoch(s) fine-tuning | %.2f%% | %+.2f points (%+.2f vs the same fine-tuning unpruned) |\n",
              epochs, tunedAcc, tunedAcc - baseAcc, tunedAcc - tunedBaseAcc);
}

// The student: Flatten -> Dense(32, relu) -> Dense(10, softmax).
st::LayersModel student(uint64_t seed) {
  st::setRandomSeed(seed);
  auto m = st::sequential({.name = "student"});
  m.add(st::layers::flatten({.inputShape = {28, 28, 1}}));
  m.add(st::layers::dense({.units = 32, .activation = "relu", .kernelInitializer = "heNormal"}));
  m.add(st::layers::dense({.units = 10, .activation = "softmax"}));
  return m;
}

void distillTable(const std::string& cache, int epochs, float temperature, float alpha) {
  Split s = loadSplit();
  st::LayersModel teacher = trainedCnn(s, cache);
  std::printf("teacher (the demo CNN): %.2f%% on the 2,000 held-out digits\n\n", accuracy(teacher, s));
  std::printf("| seed | labels only | distilled (T = %g, alpha = %g) | difference |\n| ---: | ---: | ---: | ---: |\n",
              temperature, alpha);
  double sumA = 0, sumB = 0;
  for (uint64_t seed : {1, 2, 3}) {
    st::LayersModel plain = student(seed);
    compileAdam(plain);
    plain.fit(s.train.images, s.yTrain, {.epochs = epochs, .batchSize = kBatch, .verbose = 0, .seed = seed});
    const double a = accuracy(plain, s);
    st::LayersModel taught = student(seed);  // the same initial weights
    st::distill(teacher, taught, s.train.images, s.yTrain,
                {.temperature = temperature, .alpha = alpha, .epochs = epochs, .batchSize = kBatch, .seed = seed,
                 .optimizer = st::OptimizerSpec(st::adam(0.001f))});
    const double b = accuracy(taught, s);
    std::printf("| %llu | %.2f%% | %.2f%% | %+.2f points |\n", static_cast<unsigned long long>(seed), a, b, b - a);
    std::fflush(stdout);
    sumA += a;
    sumB += b;
  }
  std::printf("| mean | %.2f%% | %.2f%% | %+.2f points |\n", sumA / 3, sumB / 3, (sumB - sumA) / 3);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s magnitude|structured|distill [--cache DIR] [--epochs N] [--frequency F] [--temperature T] [--alpha A]\n",
                 argv[0]);
    return 2;
  }
  const std::string mode = argv[1];
  std::string cache = "optimize-bench-cache";
  // Defaults of the tables in the docs: 4 epochs of pruning (masks every 25 of its 500 steps),
  // 2 of fine-tuning after structured pruning, 40 of (distillation) training for the students.
  int epochs = mode == "distill" ? 40 : mode == "magnitude" ? 4 : 2;
  float temperature = 4, alpha = 0.1f;
  int frequency = 25;
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--cache") cache = v;
    else if (k == "--epochs") epochs = std::stoi(v);
    else if (k == "--temperature") temperature = std::stof(v);
    else if (k == "--alpha") alpha = std::stof(v);
    else if (k == "--frequency") frequency = std::stoi(v);
    else {
      std::fprintf(stderr, "unknown option %s\n", k.c_str());
      return 2;
    }
  }
  try {
    std::printf("backend: %s\n\n", st::ready().c_str());
    std::fflush(stdout);
    if (mode == "magnitude") magnitude(cache, epochs, frequency);
    else if (mode == "structured") structured(cache, epochs);
    else if (mode == "distill") distillTable(cache, epochs, temperature, alpha);
    else {
      std::fprintf(stderr, "unknown mode %s\n", mode.c_str());
      return 2;
    }
  } catch (const st::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
