// `strata demo`: until the training issue lands, a showcase of the engine: tensors on every
// available backend, tidy/memory accounting, and a gradient.
#include <cstdio>

#include "commands.h"
#include "strata/strata.h"

namespace strata::cli {

namespace {

void runDemo() {
  ready();  // fails with one clear line if STRATA_BACKEND names an unusable backend
  std::printf("Strata engine demo\n\n");
  for (const BackendStatus& s : backendStatus()) {
    if (!s.available) {
      std::printf("backend %-10s unavailable: %s\n", s.name.c_str(), s.reason.c_str());
      continue;
    }
    setBackend(s.name);
    MemoryInfo before = memory();
    Tensor x = tensor({1, 2, 3, 4}, {2, 2});
    Tensor y = tidy([&] { return relu(matMul(x, x) + 1.0f); });
    std::printf("backend %-10s relu(x @ x + 1) = %s\n", s.name.c_str(), y.toString().c_str() + 7);
    auto g = grad([](const Tensor& t) { return sum(square(t)); });
    Tensor dx = g(x);
    std::printf("  d/dx sum(x^2) = 2x: %s\n", dx.toString().c_str() + 7);
    x.dispose();
    y.dispose();
    dx.dispose();
    MemoryInfo after = memory();
    std::printf("  tensors before %lld, after %lld (everything was freed)\n",
                static_cast<long long>(before.numTensors), static_cast<long long>(after.numTensors));
  }
}

}  // namespace

void addDemoCommand(CLI::App& app) {
  auto* cmd = app.add_subcommand("demo", "Run the demo on the embedded default data");
  cmd->callback(runDemo);
}

}  // namespace strata::cli
