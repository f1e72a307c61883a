// Micro-benchmarks (Google Benchmark): op dispatch overhead and the heavy kernels, per backend.
// Run: build/bench/strata_bench [--benchmark_filter=...]
#include <benchmark/benchmark.h>

#include "strata/strata.h"

namespace st = strata;

namespace {

// The cost of one op call on a 1-element tensor: validation, dispatch, allocation, bookkeeping.
void BM_AddDispatch(benchmark::State& state) {
  st::setBackend("reference");
  auto a = st::scalar(1.0f), b = st::scalar(2.0f);
  for (auto _ : state) {
    st::Tensor c = st::add(a, b);
    benchmark::DoNotOptimize(c);
  }
  state.SetLabel("reference, 1 element");
}
BENCHMARK(BM_AddDispatch);

void BM_MatMul(benchmark::State& state) {
  const std::string backend = st::backendNames()[state.range(1)];
  st::setBackend(backend);
  const int64_t n = state.range(0);
  auto a = st::randomUniform({n, n}, -1, 1, st::DType::float32, 1);
  auto b = st::randomUniform({n, n}, -1, 1, st::DType::float32, 2);
  for (auto _ : state) {
    auto c = st::matMul(a, b);
    c.dataSync();
  }
  state.counters["GFLOP/s"] =
      benchmark::Counter(2.0 * n * n * n * state.iterations() / 1e9, benchmark::Counter::kIsRate);
  state.SetLabel(backend);
}

void BM_Conv2D(benchmark::State& state) {
  const std::string backend = st::backendNames()[state.range(2)];
  st::setBackend(backend);
  const int64_t hw = state.range(0), c = state.range(1);
  auto x = st::randomUniform({1, hw, hw, c}, -1, 1, st::DType::float32, 1);
  auto f = st::randomUniform({3, 3, c, c}, -1, 1, st::DType::float32, 2);
  for (auto _ : state) {
    auto y = st::conv2d(x, f, {.pad = "same"});
    y.dataSync();
  }
  state.counters["GFLOP/s"] = benchmark::Counter(2.0 * hw * hw * c * c * 9 * state.iterations() / 1e9,
                                                 benchmark::Counter::kIsRate);
  state.SetLabel(backend);
}

// Registers each benchmark once per available backend.
bool registered = [] {
  auto names = st::backendNames();
  for (size_t i = 0; i < names.size(); ++i) {
    bool ok = false;
    for (const auto& s : st::backendStatus())
      if (s.name == names[i]) ok = s.available;
    if (!ok) continue;
    for (int n : {64, 256})
      benchmark::RegisterBenchmark(("BM_MatMul/" + names[i] + "/" + std::to_string(n)).c_str(), BM_MatMul)
          ->Args({n, static_cast<int64_t>(i)})
          ->Unit(benchmark::kMillisecond);
    for (auto [hw, c] : {std::pair{32, 16}, std::pair{56, 32}})
      benchmark::RegisterBenchmark(
          ("BM_Conv2D/" + names[i] + "/" + std::to_string(hw) + "x" + std::to_string(hw) + "x" + std::to_string(c)).c_str(),
          BM_Conv2D)
          ->Args({hw, c, static_cast<int64_t>(i)})
          ->Unit(benchmark::kMillisecond);
  }
  return true;
}();

}  // namespace
