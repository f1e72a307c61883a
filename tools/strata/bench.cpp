// `strata bench` (DESIGN §5, issue 5): times predict (and optionally one training step) of
// models on every requested backend and batch size: warm-up runs, then N timed runs, each
// ending with a read of the outputs so that asynchronous backends are measured in full.
// Prints a table; --json writes every number with the machine; --report draws an HTML page
// (bench_report.cpp). Knows no backend by name except `reference` (the baseline of the
// speedups) and, for the GPU/CPU ratio, `cuda` and `cpu` when both ran.
#include <malloc.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <thread>

#include "bench.h"
#include "commands.h"
#include "write_file.h"
#include "mnist_cnn.h"
#include "strata/datasets.h"
#include "strata/strata.h"

namespace strata::cli {

namespace {

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;  // keys in the order written, for people reading it

constexpr const char* kVersion = "0.1.0";  // the CMake project version, as `strata info` prints it
constexpr const char* kMnist = "mnist_cnn";
constexpr const char* kMobileNet = "mobilenet_v2";

struct BenchArgs {
  std::vector<std::string> models;
  std::string backends = "all", batches = "1,8", json, report;
  int warmup = 2, runs = 10;
  bool train = false, profile = false;
  uint64_t seed = 42;
};

// A model is loaded only while its cases run, so that memory figures hold it alone.
struct BenchModel {
  std::string label, source;  // source: "built-in" or the model.json path
  bool isMnist = false;
  json info;                  // name, source, parameters, input and output shapes
  LayersModel model;          // while loaded
  int64_t weightBytes = 0;
  std::map<int, std::vector<Tensor>> xs, ys;  // per batch size: inputs, one-hot targets
  std::string trainSkip;                      // why --train cannot run on it (empty: it can)
  bool compiled = false;
};

// ---- argument checking: every error is one line naming what the user wrote --------------

std::vector<std::string> splitList(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  for (std::string item; std::getline(in, item, ',');) out.push_back(item);
  return out;
}

std::vector<int> parseBatches(const std::string& text) {
  std::vector<int> out;
  for (const std::string& item : splitList(text)) {
    char* end = nullptr;
    long v = item.empty() ? 0 : std::strtol(item.c_str(), &end, 10);
    if (item.empty() || *end != '\0' || v < 1 || v > 1 << 20)
      throw Error("bad --batch '" + text + "': expected comma-separated positive integers such as 1,8,32");
    if (std::find(out.begin(), out.end(), int(v)) == out.end()) out.push_back(int(v));
  }
  if (out.empty()) throw Error("bad --batch '" + text + "': expected comma-separated positive integers such as 1,8,32");
  return out;
}

std::string joined(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

// `reference` first (the baseline of every speedup, so rows can print as they finish), then
// the others in priority order.
std::vector<std::string> resolveBackends(const std::string& text) {
  std::vector<std::string> available, out;
  for (const BackendStatus& s : backendStatus())
    if (s.available) available.push_back(s.name);
  const std::vector<std::string> registered = backendNames();
  if (text == "all") {
    out = available;
  } else {
    for (const std::string& name : splitList(text)) {
      if (std::find(registered.begin(), registered.end(), name) == registered.end())
        throw Error("unknown backend '" + name + "' in --backend; available: " + joined(available));
      if (std::find(available.begin(), available.end(), name) == available.end()) setBackend(name);  // says why
      if (std::find(out.begin(), out.end(), name) == out.end()) out.push_back(name);
    }
  }
  if (out.empty()) throw Error("no backend to run in --backend '" + text + "'; available: " + joined(available));
  std::stable_partition(out.begin(), out.end(), [](const std::string& n) { return n == "reference"; });
  return out;
}

// The converted nsfwjs MobileNetV2 that tests/conformance/generate_models.mjs writes to
// DIR/models/mobilenet_v2/ (DIR = its argument, by default build/fixtures of the repository).
std::string mobileNetFixture() {
  std::vector<fs::path> dirs;
  if (const char* env = std::getenv("STRATA_FIXTURES"); env && *env) dirs.emplace_back(env);
  dirs.emplace_back("build/fixtures");
  for (const fs::path& d : dirs)
    if (fs::path p = d / "models" / kMobileNet / "model.json"; fs::exists(p)) return p.string();
  return "";
}

std::string labelFor(const fs::path& path) {
  if (path.filename() == "model.json" && path.has_parent_path()) return path.parent_path().filename().string();
  return path.stem().string();
}

json modelInfo(const BenchModel& m) {
  json ins = json::array(), outs = json::array();
  for (const auto& s : m.model.inputs()) ins.push_back({{"name", s.name}, {"shape", s.shape}});
  for (const auto& s : m.model.outputs()) outs.push_back({{"name", s.name}, {"shape", s.shape}});
  return {{"name", m.label}, {"source", m.source}, {"params", m.model.countParams()}, {"inputs", ins}, {"outputs", outs}};
}

void loadModel(BenchModel& m, uint64_t seed) {
  if (m.isMnist) setRandomSeed(seed);  // its initial weights
  m.model = m.isMnist ? mnistCnn() : loadLayersModel(m.source);
  m.weightBytes = tidy([&] {
    int64_t bytes = 0;
    for (const Tensor& w : m.model.getWeights()) bytes += w.size() * static_cast<int64_t>(dtypeSize(w.dtype()));
    return bytes;
  });
}

void releaseModel(BenchModel& m) {
  for (auto& [b, ts] : m.xs) dispose(ts);
  for (auto& [b, ts] : m.ys) dispose(ts);
  m.xs.clear(), m.ys.clear();
  m.model = LayersModel();  // the last reference: weights and optimizer state go with it
  m.compiled = false;
}

Shape concreteShape(const BenchModel& m, const SymbolicTensor& s, int batch, const char* what) {
  Shape shape = s.shape;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] >= 0) continue;
    if (i == 0) shape[i] = batch;
    else
      throw Error("model '" + m.label + "' " + what + " '" + s.name + "' has shape " + shapeString(s.shape) +
                  ": only the batch axis may be unknown to make random data for it");
  }
  return shape;
}

// Resolves the name or path and loads the model once, so that a bad file fails before any
// measuring; describes it, then lets it go.
BenchModel openModel(const std::string& arg, uint64_t seed) {
  BenchModel m;
  if (arg == kMnist) {
    m.label = kMnist;
    m.source = "built-in";
    m.isMnist = true;
    loadModel(m, seed);
    m.info = modelInfo(m);
    releaseModel(m);
    return m;
  }
  std::string path = arg;
  if (arg == kMobileNet) {
    path = mobileNetFixture();
    if (path.empty())
      throw Error("model 'mobilenet_v2': its fixture is not in $STRATA_FIXTURES/models/mobilenet_v2/ nor "
                  "build/fixtures/models/mobilenet_v2/ (run: node tests/conformance/generate_models.mjs DIR, "
                  "then set STRATA_FIXTURES=DIR)");
  } else if (fs::is_directory(path)) {
    path = (fs::path(path) / "model.json").string();
  }
  if (!fs::exists(path)) throw Error("model file '" + path + "' not found");
  m.label = arg == kMobileNet ? kMobileNet : labelFor(path);
  m.source = path;
  loadModel(m, seed);
  m.info = modelInfo(m);
  for (const auto& in : m.model.inputs()) concreteShape(m, in, 1, "input");  // random inputs can be made
  releaseModel(m);
  return m;
}

std::vector<BenchModel> openModels(const std::vector<std::string>& args, uint64_t seed,
                                   std::vector<std::string>& notes) {
  std::vector<std::string> names = args;
  if (names.empty()) {
    names.push_back(kMnist);
    if (!mobileNetFixture().empty()) names.push_back(kMobileNet);
    else notes.push_back("MobileNetV2 skipped: not in $STRATA_FIXTURES/models/mobilenet_v2/ nor build/fixtures/ "
                     "(tests/conformance/generate_models.mjs writes it)");
  }
  std::vector<BenchModel> out;
  std::map<std::string, int> seen;
  for (const std::string& n : names) {
    BenchModel m = openModel(n, seed);
    if (int k = ++seen[m.label]; k > 1) m.label += "#" + std::to_string(k), m.info["name"] = m.label;  // named twice
    out.push_back(std::move(m));
  }
  return out;
}

// ---- inputs and targets ------------------------------------------------------------------

// The embedded digits (shuffled, so a batch holds mixed classes) for the MNIST CNN; seeded
// random tensors of the declared shapes for any other model. Targets are one-hot rows, for
// --train with categoricalCrossentropy.
void makeData(BenchModel& m, const std::vector<int>& batches, uint64_t seed, bool train) {
  if (m.isMnist) {
    MnistData all = loadMnist();
    // Not a structured binding: clang 14 cannot capture one in the lambda below.
    std::pair<MnistData, MnistData> split = mnistSplit(all, static_cast<int>(all.labels.size()), seed);
    MnistData& shuffled = split.first;
    MnistData& none = split.second;
    const int64_t n = shuffled.labels.size();
    for (int b : batches) {
      auto [x, y] = tidy([&] {
        Tensor idx = mod(range(0, static_cast<float>(b), 1, DType::int32), scalar(static_cast<int32_t>(n)));
        return std::make_pair(gather(shuffled.images, idx), cast(oneHot(gather(shuffled.labels, idx), 10), DType::float32));
      });
      m.xs[b] = {x};
      m.ys[b] = {y};
    }
    for (MnistData* d : {&all, &shuffled, &none}) d->images.dispose(), d->labels.dispose();
    return;
  }
  const auto inputs = m.model.inputs();
  const auto outputs = m.model.outputs();
  for (const auto& o : outputs)
    if (o.shape.size() != 2 || o.shape[1] < 1) m.trainSkip = "output '" + o.name + "' of shape " + shapeString(o.shape) +
                                                              " is not [batch, classes]";
  for (int b : batches) {
    uint64_t s = seed;
    for (const auto& in : inputs) {
      Shape shape = concreteShape(m, in, b, "input");
      m.xs[b].push_back(in.dtype == DType::int32 ? randomUniform(shape, 0, 10, DType::int32, s++)
                                                 : randomUniform(shape, 0, 1, DType::float32, s++));
    }
    if (!train || !m.trainSkip.empty()) continue;
    for (const auto& o : outputs) {
      const int classes = static_cast<int>(o.shape[1]);
      m.ys[b].push_back(tidy([&] {
        Tensor labels = randomUniform({b}, 0, static_cast<float>(classes), DType::int32, s++);
        return cast(oneHot(labels, classes), DType::float32);
      }));
    }
  }
}

// ---- measuring -----------------------------------------------------------------------------

using Clock = std::chrono::steady_clock;

double msSince(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

json stats(std::vector<double> ms, int batch) {
  json j;
  j["runsMs"] = ms;
  std::sort(ms.begin(), ms.end());
  const size_t n = ms.size();
  const double median = n % 2 ? ms[n / 2] : (ms[n / 2 - 1] + ms[n / 2]) / 2;
  double mean = 0;
  for (double v : ms) mean += v / n;
  j["minMs"] = ms.front();
  j["medianMs"] = median;
  j["meanMs"] = mean;
  j["samplesPerSec"] = median > 0 ? batch * 1000.0 / median : 0.0;
  return j;
}

// Process memory from /proc/self/status (kB lines such as "VmHWM:  1234 kB"), in bytes.
int64_t procStatusBytes(const std::string& key) {
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);)
    if (line.rfind(key + ":", 0) == 0) return std::atoll(line.c_str() + key.size() + 1) * 1024;
  return -1;
}

// Resets VmHWM to the current RSS (Linux >= 4.0) so each case reports its own peak, after
// handing freed heap back to the system so earlier cases' garbage does not count.
bool resetPeakRss() {
  malloc_trim(0);
  std::ofstream f("/proc/self/clear_refs");
  f << "5";
  f.flush();
  return static_cast<bool>(f);
}

// Convolution and matrix-product kernels: their FLOPs from the shapes the profile records
// (2 per multiply-add; the bias and activation of fused kernels are not counted).
//   conv: out [.., C_out] with filter [kh, kw, c_in/groups, C_out]: 2 * |out| * kh * kw * c_in
//   depthwise: filter [kh, kw, C_in, mult]: 2 * |out| * kh * kw
//   matmul: out [.., M, N] with a [.., M, K] or [.., K, M]: 2 * |out| * K
// The int8 kernels of quantized models count their integer multiply-adds the same way.
enum class Heavy { none, conv, depthwise, matmul };
const std::map<std::string, Heavy> kHeavyKernels = {
    {"Conv2D", Heavy::conv},           {"FusedConv2D", Heavy::conv},
    {"DepthwiseConv2dNative", Heavy::depthwise}, {"FusedDepthwiseConv2D", Heavy::depthwise},
    {"BatchMatMul", Heavy::matmul},    {"_FusedMatMul", Heavy::matmul},
    {"MatMul", Heavy::matmul},
    {"QuantizedConv2D", Heavy::conv},  {"QuantizedDepthwiseConv2D", Heavy::depthwise},
    {"QuantizedMatMul", Heavy::matmul},
};

Heavy heavyKind(const std::string& kernel) {
  auto it = kHeavyKernels.find(kernel);
  return it == kHeavyKernels.end() ? Heavy::none : it->second;
}

double kernelFlops(const KernelProfile& k) {
  const Heavy kind = heavyKind(k.name);
  if (kind == Heavy::none || k.inputShapes.size() < 2 || k.outputShapes.empty()) return 0;
  const Shape& out = k.outputShapes[0];
  double outSize = 1;
  for (int64_t d : out) outSize *= static_cast<double>(d);
  const Shape& a = k.inputShapes[0];
  const Shape& w = k.inputShapes[1];
  if (kind == Heavy::conv && w.size() == 4) return 2 * outSize * w[0] * w[1] * w[2];
  if (kind == Heavy::depthwise && w.size() == 4) return 2 * outSize * w[0] * w[1];
  if (kind == Heavy::matmul && a.size() >= 2 && out.size() >= 2) {
    const int64_t m = out[out.size() - 2];
    const int64_t kDim = a[a.size() - 2] == m ? a.back() : a[a.size() - 2];
    return 2 * outSize * static_cast<double>(kDim);
  }
  return 0;
}

json summarizeProfile(const ProfileInfo& p, double wallMs) {
  struct Agg {
    int calls = 0;
    double ms = 0, flops = 0;
  };
  std::map<std::string, Agg> by;
  double kernelMs = 0, heavyMs = 0, heavyFlops = 0;
  for (const KernelProfile& k : p.kernels) {
    Agg& a = by[k.name];
    a.calls++;
    a.ms += k.timeMs;
    a.flops += kernelFlops(k);
    kernelMs += k.timeMs;
    if (heavyKind(k.name) != Heavy::none) heavyMs += k.timeMs, heavyFlops += kernelFlops(k);
  }
  json kernels = json::array();
  for (const auto& [name, a] : by)
    kernels.push_back({{"name", name},
                       {"calls", a.calls},
                       {"ms", a.ms},
                       {"convOrMatmul", heavyKind(name) != Heavy::none},
                       {"gflop", a.flops / 1e9},
                       {"gflopPerSec", a.ms > 0 ? a.flops / a.ms / 1e6 : 0.0}});
  std::sort(kernels.begin(), kernels.end(), [](const json& x, const json& y) { return x["ms"] > y["ms"]; });
  return {{"wallMs", wallMs},
          {"kernelMs", kernelMs},
          {"convMatmulMs", heavyMs},
          {"convMatmulShareOfWall", wallMs > 0 ? heavyMs / wallMs : 0.0},
          {"convMatmulGflop", heavyFlops / 1e9},
          {"convMatmulGflopPerSec", heavyMs > 0 ? heavyFlops / heavyMs / 1e6 : 0.0},
          {"flopsFrom", "kernel shapes recorded by strata::profile()"},
          {"kernels", kernels}};
}

// The active backend's square float32 matMul rate: the size doubles from 256 until one product
// takes 20 ms (or 4096), then the best of three kernel times counts.
json matmulPeak() {
  int n = 256;
  double best = 0;
  auto once = [&](int size) {
    return tidy([&] {
      Tensor a = randomUniform({size, size}, -1, 1, DType::float32, 1);
      Tensor b = randomUniform({size, size}, -1, 1, DType::float32, 2);
      a.bytesSync(), b.bytesSync();
      ProfileInfo p = profile([&] { tidy([&] { matMul(a, b); }); });
      double ms = 0;
      for (const auto& k : p.kernels) ms += heavyKind(k.name) == Heavy::matmul ? k.timeMs : 0;
      return ms;
    });
  };
  for (double ms = once(n); ms < 20 && n < 4096; ms = once(n)) n *= 2;
  for (int i = 0; i < 3; ++i) {
    const double ms = once(n);
    if (i == 0 || ms < best) best = ms;
  }
  const double flops = 2.0 * n * n * n;
  return {{"size", n}, {"ms", best}, {"gflopPerSec", best > 0 ? flops / best / 1e6 : 0.0}};
}

struct Context {
  const BenchArgs& args;
  std::map<std::string, json> peaks;  // per backend, for --profile
};

json runCase(BenchModel& m, const std::string& backend, int batch, Context& ctx) {
  const BenchArgs& a = ctx.args;
  json r = {{"model", m.label}, {"backend", backend}, {"batch", batch}};
  const std::vector<Tensor>& xs = m.xs.at(batch);
  const PredictOptions opts{.batchSize = batch};
  auto predictOnce = [&] {
    tidy([&] {
      for (const Tensor& y : m.model.predict(xs, opts)) y.bytesSync();  // waits for every kernel
    });
  };

  const bool rssReset = resetPeakRss();
  const MemoryInfo before = memory();
  int64_t peak = before.numBytes;
  // At least two warm-up calls: on cuda the second predict of a shape captures a CUDA graph
  // (a one-time cost that owns its own buffers), and later ones replay it.
  for (int i = 0; i < std::max(a.warmup, 2); ++i) predictOnce();
  // Counted after the warm-up, which may fill caches (weights moved or folded for a backend).
  const int64_t tensorsWarm = memory().numTensors;
  const int64_t bytesWarm = memory().numBytes;
  const int64_t rssWarm = procStatusBytes("VmRSS");
  std::vector<double> ms;
  for (int i = 0; i < a.runs; ++i) {
    auto t0 = Clock::now();
    predictOnce();
    ms.push_back(msSince(t0));
    peak = std::max(peak, memory().numBytes);
  }
  // Flatness over the timed runs (`--runs 1000` is the long check): engine bytes and RSS.
  const int64_t bytesGrowth = memory().numBytes - bytesWarm;
  const int64_t rssGrowth = procStatusBytes("VmRSS") - rssWarm;
  // One more, profiled: its exact high-water mark of engine bytes and, for --profile, its kernels.
  auto t0 = Clock::now();
  ProfileInfo p = profile(predictOnce);
  const double profiledWallMs = msSince(t0);
  peak = std::max(peak, p.peakBytes);
  r["predict"] = stats(ms, batch);
  // The model's own footprint: its weights plus the most the case needed on top of what was
  // already held (the inputs, and optimizer state once --train ran).
  r["memory"] = {{"weightBytes", m.weightBytes},
                 {"modelPeakBytes", m.weightBytes + peak - before.numBytes},
                 {"baselineEngineBytes", before.numBytes},
                 {"peakEngineBytes", peak},
                 {"leakedTensors", memory().numTensors - tensorsWarm},
                 {"engineBytesGrowthOverRuns", bytesGrowth},
                 {"rssGrowthOverRunsBytes", rssGrowth},
                 {"peakRssBytes", procStatusBytes("VmHWM")},
                 {"rssPeakIsPerCase", rssReset}};
  if (a.profile) {
    r["profile"] = summarizeProfile(p, profiledWallMs);
    if (!ctx.peaks.count(backend)) ctx.peaks[backend] = matmulPeak();
    r["profile"]["matmulPeak"] = ctx.peaks[backend];
  }

  if (a.train) {
    if (!m.trainSkip.empty()) {
      r["train"] = {{"skipped", m.trainSkip}};
      return r;
    }
    if (!m.compiled) {
      m.model.compile({.optimizer = adam(0.001f), .loss = {"categoricalCrossentropy"}});
      m.compiled = true;
    }
    // Training changes the weights: put them back so that later cases predict with the same.
    std::vector<Tensor> saved = m.model.getWeights();
    const std::vector<Tensor>& ys = m.ys.at(batch);
    for (int i = 0; i < a.warmup; ++i) m.model.trainOnBatch(xs, ys);
    std::vector<double> tms;
    for (int i = 0; i < a.runs; ++i) {
      auto t = Clock::now();
      m.model.trainOnBatch(xs, ys);  // returns the loss as numbers: synchronized
      tms.push_back(msSince(t));
    }
    const int64_t trainBase = memory().numBytes;
    ProfileInfo tp = profile([&] { m.model.trainOnBatch(xs, ys); });  // its high-water mark
    m.model.setWeights(saved);
    dispose(saved);
    r["train"] = stats(tms, batch);
    r["train"]["modelPeakBytes"] = m.weightBytes + tp.peakBytes - trainBase;
    r["train"]["optimizer"] = "adam(0.001)";
    r["train"]["loss"] = "categoricalCrossentropy";
    r["memory"]["peakRssBytes"] = procStatusBytes("VmHWM");
  }
  return r;
}

// ---- output --------------------------------------------------------------------------------

std::string cpuModel() {
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("model name", 0) == 0 || line.rfind("Model", 0) == 0)
      if (auto colon = line.find(':'); colon != std::string::npos) return line.substr(line.find_first_not_of(" \t", colon + 1));
  return "unknown";
}

json machineInfo() {
  utsname u{};
  uname(&u);
  json j = {{"cpu", cpuModel()},
            {"cores", std::thread::hardware_concurrency()},
            {"os", std::string(u.sysname) + " " + u.release + " " + u.machine},
            {"memoryBytes", [] {
               std::ifstream in("/proc/meminfo");
               std::string key;
               int64_t kb = -1;
               in >> key >> kb;
               return kb * 1024;
             }()}};
  if (const char* t = std::getenv("STRATA_NUM_THREADS")) j["STRATA_NUM_THREADS"] = t;
  return j;
}

std::string utcNow() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

double mib(int64_t bytes) { return bytes / (1024.0 * 1024.0); }

struct Table {
  FILE* out;
  int modelW, backendW;
  bool train;

  void header() const {
    std::fprintf(out, "%-*s  %-*s  %5s  %9s  %9s  %10s  %9s  %8s  %7s", modelW, "model", backendW, "backend", "batch",
                 "min ms", "median ms", "samples/s", "mem MiB", "RSS MiB", "vs ref");
    if (train) std::fprintf(out, "  %9s  %10s", "train ms", "train s/s");
    std::fprintf(out, "\n");
  }
  void row(const json& r) const {
    const json& p = r["predict"];
    char vs[16] = "-";
    if (r.contains("speedupVsReference")) std::snprintf(vs, sizeof vs, "%.2fx", r["speedupVsReference"].get<double>());
    std::fprintf(out, "%-*s  %-*s  %5d  %9.2f  %9.2f  %10.1f  %9.1f  %8.1f  %7s", modelW,
                 r["model"].get<std::string>().c_str(), backendW, r["backend"].get<std::string>().c_str(),
                 r["batch"].get<int>(), p["minMs"].get<double>(), p["medianMs"].get<double>(),
                 p["samplesPerSec"].get<double>(), mib(r["memory"]["modelPeakBytes"]),
                 mib(r["memory"]["peakRssBytes"]), vs);
    if (train) {
      if (r.contains("train") && r["train"].contains("medianMs"))
        std::fprintf(out, "  %9.2f  %10.1f", r["train"]["medianMs"].get<double>(), r["train"]["samplesPerSec"].get<double>());
      else std::fprintf(out, "  %9s  %10s", "-", "-");
    }
    std::fprintf(out, "\n");
    std::fflush(out);
  }
};

void printProfile(FILE* out, const json& r) {
  const json& p = r["profile"];
  const json& peak = p["matmulPeak"];
  std::fprintf(out,
               "\nprofile %s / %s / batch %d: predict %.2f ms wall, kernels %.2f ms; conv+matmul %.2f ms "
               "(%.0f%% of wall) at %.2f GFLOP/s, %.2fx the %dx%d matMul rate (%.2f GFLOP/s)\n",
               r["model"].get<std::string>().c_str(), r["backend"].get<std::string>().c_str(), r["batch"].get<int>(),
               p["wallMs"].get<double>(), p["kernelMs"].get<double>(), p["convMatmulMs"].get<double>(),
               100 * p["convMatmulShareOfWall"].get<double>(), p["convMatmulGflopPerSec"].get<double>(),
               peak["gflopPerSec"].get<double>() > 0
                   ? p["convMatmulGflopPerSec"].get<double>() / peak["gflopPerSec"].get<double>()
                   : 0.0,
               peak["size"].get<int>(), peak["size"].get<int>(), peak["gflopPerSec"].get<double>());
  std::fprintf(out, "  %-24s %6s %10s %10s %10s\n", "kernel", "calls", "ms", "GFLOP", "GFLOP/s");
  double otherMs = 0;
  int otherCalls = 0, otherKinds = 0;
  for (const json& k : p["kernels"]) {
    if (!k["convOrMatmul"].get<bool>()) {
      otherMs += k["ms"].get<double>(), otherCalls += k["calls"].get<int>(), otherKinds++;
      continue;
    }
    std::fprintf(out, "  %-24s %6d %10.3f %10.4f %10.2f\n", k["name"].get<std::string>().c_str(), k["calls"].get<int>(),
                 k["ms"].get<double>(), k["gflop"].get<double>(), k["gflopPerSec"].get<double>());
  }
  std::fprintf(out, "  %-24s %6d %10.3f\n", ("other (" + std::to_string(otherKinds) + " kernels)").c_str(), otherCalls,
               otherMs);
}

int runBench(const BenchArgs& a) {
  if (a.runs < 1) throw Error("bad --runs " + std::to_string(a.runs) + ": need at least 1");
  if (a.warmup < 0) throw Error("bad --warmup " + std::to_string(a.warmup) + ": cannot be negative");
  const std::vector<int> batches = parseBatches(a.batches);
  const std::vector<std::string> backends = resolveBackends(a.backends);
  for (const std::string& out : {a.json, a.report})  // fail before minutes of measuring, not after
    if (!out.empty() && out != "-" && fs::path(out).has_parent_path() && !fs::is_directory(fs::path(out).parent_path()))
      throw Error("cannot write '" + out + "': no directory '" + fs::path(out).parent_path().string() + "'");
  setBackend(backends.front());
  std::vector<std::string> notes;
  std::vector<BenchModel> models = openModels(a.models, a.seed, notes);

  // Machine-readable output never mixes with the table: with --json - the table goes to stderr.
  FILE* out = a.json == "-" ? stderr : stdout;
  json doc = {{"tool", "strata bench"}, {"version", kVersion}, {"date", utcNow()}, {"machine", machineInfo()}};
  doc["backends"] = json::array();
  for (const std::string& name : backends)  // in run order: reference (the baseline) first
    for (const BackendStatus& s : backendStatus())
      if (s.name == name) doc["backends"].push_back({{"name", s.name}, {"description", s.description}});
  doc["settings"] = {{"batches", batches}, {"warmup", a.warmup}, {"runs", a.runs}, {"train", a.train},
                     {"profile", a.profile}, {"seed", a.seed}};
  doc["models"] = json::array();
  for (const BenchModel& m : models) doc["models"].push_back(m.info);
  doc["notes"] = notes;

  const json& mach = doc["machine"];
  std::fprintf(out, "strata bench %s · %s · %d cores · %s\n", kVersion, mach["cpu"].get<std::string>().c_str(),
               mach["cores"].get<int>(), doc["date"].get<std::string>().c_str());
  std::fprintf(out, "backends: %s · warm-up %d, %d timed runs per case%s\n", joined(backends).c_str(), a.warmup, a.runs,
               a.train ? " · train: one trainOnBatch step (adam 0.001, categoricalCrossentropy)" : "");
  for (const auto& n : notes) std::fprintf(out, "note: %s\n", n.c_str());
  std::fprintf(out, "mem: the model's weights + the most its predict held on top (strata::memory()); "
                    "RSS: the process's peak resident memory in the case\n");
  std::fprintf(out, "\n");
  Table table{out, 5, 7, a.train};
  for (const BenchModel& m : models) table.modelW = std::max<int>(table.modelW, m.label.size());
  for (const std::string& b : backends) table.backendW = std::max<int>(table.backendW, b.size());
  table.header();

  Context ctx{a, {}};
  json results = json::array();
  std::map<std::tuple<std::string, std::string, int>, double> median;  // (model, backend, batch)
  for (BenchModel& m : models) {
    setBackend(backends.front());
    loadModel(m, a.seed);
    makeData(m, batches, a.seed, a.train);
    for (const std::string& backend : backends) {
      setBackend(backend);
      for (int b : batches) {
        json r = runCase(m, backend, b, ctx);
        const double med = r["predict"]["medianMs"];
        median[{m.label, backend, b}] = med;
        if (auto it = median.find({m.label, "reference", b}); it != median.end() && med > 0)
          r["speedupVsReference"] = it->second / med;
        if (backend == "cuda")
          if (auto it = median.find({m.label, "cpu", b}); it != median.end() && med > 0) r["speedupGpuOverCpu"] = it->second / med;
        table.row(r);
        results.push_back(std::move(r));
      }
    }
    releaseModel(m);
  }
  for (const json& r : results)
    if (r.contains("speedupGpuOverCpu"))
      std::fprintf(out, "cuda over cpu: %s batch %d: %.2fx\n", r["model"].get<std::string>().c_str(), r["batch"].get<int>(),
                   r["speedupGpuOverCpu"].get<double>());
  if (a.profile)
    for (const json& r : results) printProfile(out, r);
  doc["results"] = std::move(results);

  if (a.json == "-") std::printf("%s\n", doc.dump(2).c_str());
  else if (!a.json.empty()) writeFileAtomically(a.json, doc.dump(2) + "\n");
  if (!a.report.empty()) writeFileAtomically(a.report, benchReportHtml(doc));
  for (const std::string& f : {a.json, a.report})
    if (!f.empty() && f != "-") std::fprintf(out, "wrote %s\n", f.c_str());
  return 0;
}

}  // namespace

void addBenchCommand(CLI::App& app) {
  auto a = std::make_shared<BenchArgs>();
  auto* cmd = app.add_subcommand("bench", "Time predict (and a training step) per model, backend and batch size");
  cmd->add_option("models", a->models,
                  "model.json files (or their directories), or the built-in names mnist_cnn and mobilenet_v2 "
                  "(default: mnist_cnn, plus mobilenet_v2 if $STRATA_FIXTURES/models/mobilenet_v2 exists)");
  cmd->add_option("--backend", a->backends, "all (default: every available backend) or NAME,NAME,...");
  cmd->add_option("--batch", a->batches, "Batch sizes, comma-separated (default 1,8)");
  cmd->add_option("--warmup", a->warmup, "Untimed runs before timing (default 2)");
  cmd->add_option("--runs", a->runs, "Timed runs per case (default 10)");
  cmd->add_flag("--train", a->train, "Also time one training step (trainOnBatch, Adam, categoricalCrossentropy)");
  cmd->add_flag("--profile", a->profile, "Report the share and GFLOP/s of convolution and matmul kernels");
  cmd->add_option("--seed", a->seed, "Seed for initial weights and random inputs (default 42)");
  cmd->add_option("--json", a->json, "Write every result as JSON here (- for standard output)");
  cmd->add_option("--report", a->report, "Write a self-contained HTML page with charts here");
  cmd->callback([a] {
    int rc = runBench(*a);
    if (rc != 0) throw CLI::RuntimeError(rc);
  });
}

}  // namespace strata::cli
