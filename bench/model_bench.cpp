// Model benchmarks: loading MobileNetV2 (the real nsfwjs model, uint8-quantized weights) and
// predict's overhead over its kernels. Needs STRATA_FIXTURES (the generated fixtures directory).
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>

#include "strata/strata.h"

namespace st = strata;

namespace {

std::string mobilenetPath() {
  const char* dir = std::getenv("STRATA_FIXTURES");
  return (std::filesystem::path(dir ? dir : "fixtures") / "models" / "mobilenet_v2" / "model.json").string();
}

void BM_LoadMobileNetV2(benchmark::State& state) {
  st::setBackend("reference");
  if (!std::filesystem::exists(mobilenetPath())) {
    state.SkipWithError("set STRATA_FIXTURES to the generated fixtures directory");
    return;
  }
  for (auto _ : state) {
    auto model = st::loadLayersModel(mobilenetPath());
    benchmark::DoNotOptimize(model);
  }
}
BENCHMARK(BM_LoadMobileNetV2)->Unit(benchmark::kMillisecond);

// Wall time of predict vs the sum of its kernels' times: the difference is the runtime's own
// cost (graph walk, dispatch, allocation).
void BM_PredictMobileNetV2(benchmark::State& state) {
  const std::string backend = st::backendNames()[state.range(1)];
  st::setBackend(backend);
  if (!std::filesystem::exists(mobilenetPath())) {
    state.SkipWithError("set STRATA_FIXTURES to the generated fixtures directory");
    return;
  }
  auto model = st::loadLayersModel(mobilenetPath());
  auto x = st::randomUniform({state.range(0), 224, 224, 3}, 0, 1, st::DType::float32, 1);
  model.predict(x).dispose();
  double kernelMs = 0, wallMs = 0;
  for (auto _ : state) {
    auto t = st::time([&] { model.predict(x).dataSync(); });
    kernelMs += t.kernelMs;
    wallMs += t.wallMs;
  }
  state.counters["kernel_ms"] = kernelMs / state.iterations();
  state.counters["overhead_ms"] = (wallMs - kernelMs) / state.iterations();
  state.counters["overhead_%"] = 100.0 * (wallMs - kernelMs) / wallMs;
  state.SetLabel(backend + ", batch " + std::to_string(state.range(0)));
}

bool registered = [] {
  auto names = st::backendNames();
  for (size_t i = 0; i < names.size(); ++i)
    benchmark::RegisterBenchmark(("BM_PredictMobileNetV2/" + names[i]).c_str(), BM_PredictMobileNetV2)
        ->Args({1, static_cast<int64_t>(i)})
        ->Unit(benchmark::kMillisecond)
        ->Iterations(3);
  return true;
}();

}  // namespace
