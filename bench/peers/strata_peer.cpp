// Strata peer of bench/peers (see README.md): MobileNetV2 inference (batch 1 and 8) and the
// MNIST CNN's training on the `cpu` backend, timed with the same protocol as libtorch_peer.cpp
// and tfjs_peer.mjs. Uses only the public API. Prints one JSON object on stdout.
//
// Usage: strata_peer --model DIR/models/mobilenet_v2/model.json [--threads N] [--warmup W]
//          [--runs R] [--batches 1,8] [--train-steps S] [--train-warmup K] [--backend cpu]
//          [--train-batch 64] [--mobilenet-train-batch B] [--graphs 1] [--profile 0]
//          [--check-input input_0.npy --check-output output_0.npy]
// bench/cuda/run.sh uses it on the cuda backend (batch 256 training, MobileNetV2 training step).
// Built by the `strata_peer` target (bench/CMakeLists.txt, STRATA_BUILD_BENCH=ON).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "strata/cuda.h"
#include "strata/strata.h"

namespace st = strata;
using json = nlohmann::json;

namespace {

struct Options {
  std::string model, checkInput, checkOutput, backend = "cpu";
  int threads = 1, warmup = 3, runs = 10, trainSteps = 125, trainWarmup = 3, batchSize = 64;
  int mobilenetTrainBatch = 0;  // 0: no MobileNetV2 training step
  bool graphs = true;
  bool profile = false;  // per-kernel time of one predict (b=1) and one training step
  std::vector<int> batches = {1, 8};
};

double msSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

template <class Fn>
json timeRuns(Fn&& fn, const Options& o, int batch) {
  for (int i = 0; i < o.warmup; ++i) fn();
  std::vector<double> ms;
  for (int i = 0; i < o.runs; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    fn();
    ms.push_back(msSince(t0));
  }
  std::sort(ms.begin(), ms.end());
  size_t h = ms.size() / 2;
  double median = ms.size() % 2 ? ms[h] : (ms[h - 1] + ms[h]) / 2;
  return {{"median_ms", median}, {"min_ms", ms.front()}, {"runs", o.runs}, {"warmup", o.warmup},
          {"images_per_s", 1000.0 * batch / median}};
}

// Kernel time by kernel name, largest first (strata::profile synchronizes after each kernel).
template <class Fn>
json kernelProfile(Fn&& fn) {
  st::ProfileInfo p = st::profile(fn);
  std::map<std::string, std::pair<int, double>> byName;
  double total = 0;
  for (const auto& k : p.kernels) {
    byName[k.name].first++;
    byName[k.name].second += k.timeMs;
    total += k.timeMs;
  }
  std::vector<std::pair<double, std::string>> order;
  for (const auto& [name, v] : byName) order.push_back({v.second, name});
  std::sort(order.rbegin(), order.rend());
  json top = json::array();
  for (size_t i = 0; i < order.size() && i < 15; ++i)
    top.push_back({{"kernel", order[i].second}, {"calls", byName[order[i].second].first}, {"ms", order[i].first}});
  return {{"kernels", p.kernels.size()}, {"kernel_ms", total}, {"top", top}};
}

json benchMobileNet(const Options& o) {
  st::LayersModel model = st::loadLayersModel(o.model);
  json r = {{"weights", "model.json"}};
  if (!o.checkInput.empty()) {
    st::Tensor x = st::loadNpy(o.checkInput), want = st::loadNpy(o.checkOutput);
    st::Tensor got = model.predict(x);
    std::vector<float> g = got.dataSync<float>(), w = want.dataSync<float>();
    if (g.size() != w.size()) throw st::Error("predict on " + o.checkInput + " gave the wrong number of outputs");
    double diff = 0;
    for (size_t i = 0; i < g.size(); ++i) diff = std::max(diff, double(std::fabs(g[i] - w[i])));
    r["check_max_abs_diff"] = diff;
    for (st::Tensor* t : {&x, &want, &got}) t->dispose();
  }
  for (int b : o.batches) {
    st::Tensor x = st::randomUniform({b, 224, 224, 3}, 0, 1, st::DType::float32, 1);
    r["batch_" + std::to_string(b)] = timeRuns(
        [&] {
          st::Tensor y = model.predict(x, {.batchSize = b, .useGraphs = o.graphs});
          y.dataSync<float>();
          y.dispose();
        },
        o, b);
    if (o.profile)
      r["batch_" + std::to_string(b)]["profile"] = kernelProfile([&] { model.predict(x, {.batchSize = b, .useGraphs = false}).dispose(); });
    x.dispose();
  }
  if (o.mobilenetTrainBatch > 0) {
    // Every layer trainable (the nsfwjs model freezes most), Adam, categorical cross-entropy
    // on the 5-way softmax: one trainOnBatch per run (it returns the loss, so it is synchronized).
    for (const auto& l : model.layers()) l->setTrainable(true);
    model.compile({.optimizer = st::adam(1e-3f), .loss = {"categoricalCrossentropy"}});
    const int b = o.mobilenetTrainBatch;
    st::Tensor x = st::randomUniform({b, 224, 224, 3}, 0, 1, st::DType::float32, 4);
    st::Tensor labels = st::randomUniform({b}, 0, 5, st::DType::int32, 5);
    st::Tensor y = st::oneHot(labels, 5, 1, 0, st::DType::float32);
    json t = timeRuns([&] { model.trainOnBatch({x}, {y}); }, o, b);
    t["optimizer"] = "adam(0.001)";
    if (o.profile) t["profile"] = kernelProfile([&] { model.trainOnBatch({x}, {y}); });
    r["train_batch_" + std::to_string(b)] = t;
    for (st::Tensor* p : {&x, &labels, &y}) p->dispose();
  }
  return r;
}

// tools/strata/mnist_cnn.cpp (the `strata demo` model), built with the public builders.
st::LayersModel mnistCnn() {
  namespace L = st::layers;
  auto model = st::sequential({.name = "mnist_cnn"});
  model.add(L::conv2d({.filters = 32, .kernelSize = 3, .activation = "relu", .kernelInitializer = "heNormal",
                       .inputShape = {28, 28, 1}}));
  model.add(L::maxPooling2d({.poolSize = 2}));
  model.add(L::conv2d({.filters = 64, .kernelSize = 3, .activation = "relu", .kernelInitializer = "heNormal"}));
  model.add(L::maxPooling2d({.poolSize = 2}));
  model.add(L::flatten());
  model.add(L::dense({.units = 128, .activation = "relu", .kernelInitializer = "heNormal"}));
  model.add(L::dense({.units = 10, .activation = "softmax"}));
  return model;
}

json benchTraining(const Options& o) {
  st::setRandomSeed(2);
  st::LayersModel model = mnistCnn();
  model.compile({.optimizer = st::adam(1e-3f), .loss = {"categoricalCrossentropy"}});
  int64_t n = int64_t(o.trainSteps) * o.batchSize;
  st::Tensor x = st::randomUniform({n, 28, 28, 1}, 0, 1, st::DType::float32, 2);
  st::Tensor labels = st::randomUniform({n}, 0, 10, st::DType::int32, 3);
  st::Tensor y = st::oneHot(labels, 10, 1, 0, st::DType::float32);
  st::Tensor xb = st::slice(x, {0, 0, 0, 0}, {o.batchSize, 28, 28, 1}), yb = st::slice(y, {0, 0}, {o.batchSize, 10});
  for (int i = 0; i < o.trainWarmup; ++i) model.trainOnBatch({xb}, {yb});
  auto t0 = std::chrono::steady_clock::now();
  st::History h = model.fit(x, y, {.epochs = 1, .batchSize = o.batchSize, .shuffle = false, .verbose = 0});
  double s = msSince(t0) / 1000;
  for (st::Tensor* t : {&x, &labels, &y, &xb, &yb}) t->dispose();
  return {{"batch_size", o.batchSize}, {"steps", o.trainSteps}, {"samples", n}, {"seconds", s},
          {"samples_per_s", n / s}, {"extrapolated", false}, {"final_loss", h.history.at("loss").back()},
          {"warmup_steps", o.trainWarmup}};
}

std::vector<int> parseInts(const std::string& s) {
  std::vector<int> v;
  std::stringstream ss(s);
  for (std::string tok; std::getline(ss, tok, ',');) v.push_back(std::stoi(tok));
  return v;
}

Options parseArgs(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (i + 1 >= argc) throw st::Error(a + " needs a value");
    std::string v = argv[++i];
    if (a == "--model") o.model = v;
    else if (a == "--check-input") o.checkInput = v;
    else if (a == "--check-output") o.checkOutput = v;
    else if (a == "--backend") o.backend = v;
    else if (a == "--threads") o.threads = std::stoi(v);
    else if (a == "--warmup") o.warmup = std::stoi(v);
    else if (a == "--runs") o.runs = std::stoi(v);
    else if (a == "--batches") o.batches = parseInts(v);
    else if (a == "--train-steps") o.trainSteps = std::stoi(v);
    else if (a == "--train-warmup") o.trainWarmup = std::stoi(v);
    else if (a == "--train-batch") o.batchSize = std::stoi(v);
    else if (a == "--mobilenet-train-batch") o.mobilenetTrainBatch = std::stoi(v);
    else if (a == "--graphs") o.graphs = v != "0";
    else if (a == "--profile") o.profile = v != "0";
    else throw st::Error("unknown option " + a);
  }
  if (o.model.empty()) throw st::Error("--model MODEL_JSON is required");
  if (o.runs < 1 || o.trainSteps < 1 || o.threads < 1) throw st::Error("--runs, --train-steps and --threads must be >= 1");
  if (o.checkInput.empty() != o.checkOutput.empty()) throw st::Error("give both --check-input and --check-output");
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    Options o = parseArgs(argc, argv);
    auto names = st::backendNames();
    if (std::find(names.begin(), names.end(), o.backend) == names.end())
      throw st::Error("backend '" + o.backend + "' is not built into this Strata");
    st::setBackend(o.backend);
    st::setNumThreads(o.threads);
    st::cuda::setGraphsEnabled(o.graphs);
    json r = {{"peer", "strata"}, {"backend", o.backend}, {"threads", st::getNumThreads()}};
    int64_t tensors = st::memory().numTensors;
    r["mobilenet_v2"] = benchMobileNet(o);
    r["mnist_cnn_train"] = benchTraining(o);
    r["tensors_left"] = st::memory().numTensors - tensors;
    std::cout << r.dump() << "\n";
  } catch (const std::exception& e) {
    std::cerr << "strata_peer: " << e.what() << "\n";
    return 1;
  }
}
