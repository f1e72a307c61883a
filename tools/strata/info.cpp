// `strata info [--kernels]`: backends (available or why not), priorities, the default, and the
// kernel coverage per backend generated from the registry.
#include <algorithm>
#include <cstdio>
#include <iostream>

#include "commands.h"
#include "strata/backend.h"
#include "strata/engine.h"
#include "strata/strata.h"

namespace strata::cli {

namespace {

void printBackends() {
  std::printf("Strata %s\n\nBackends (highest priority first):\n", "0.1.0");
  std::string def;
  try {
    def = defaultBackend();
  } catch (const Error& e) {
    def = std::string("none (") + e.what() + ")";
  }
  for (const BackendStatus& s : backendStatus()) {
    std::printf("  %-10s priority %-4d %s", s.name.c_str(), s.priority,
                s.available ? "available" : "unavailable");
    if (s.available) std::printf(": %s", s.description.c_str());
    else std::printf(": %s", s.reason.c_str());
    std::printf("  [%zu kernels%s%s]\n", s.numKernels, s.kernelFallback.empty() ? "" : ", falls back to ",
                s.kernelFallback.c_str());
  }
  std::printf("\nDefault backend: %s", def.c_str());
  if (const char* env = std::getenv("STRATA_BACKEND"); env && *env) std::printf(" (from STRATA_BACKEND)");
  std::printf("\n");
}

void printKernels() {
  auto statuses = backendStatus();
  std::vector<std::string> names = allKernelNames();
  std::sort(names.begin(), names.end());
  std::printf("\nKernel coverage (x = own kernel, f = via fallback, . = missing):\n%-34s", "kernel");
  for (auto& s : statuses) std::printf(" %-10s", s.name.c_str());
  std::printf("\n");
  std::vector<int> counts(statuses.size(), 0);
  int rows = 0;
  for (const std::string& k : names) {
    bool any = false;
    for (auto& s : statuses) any |= hasKernel(s.name, k);
    if (!any) continue;  // view ops (Reshape, Identity...) need no kernel
    ++rows;
    std::printf("%-34s", k.c_str());
    for (size_t i = 0; i < statuses.size(); ++i) {
      const auto& s = statuses[i];
      char mark = '.';
      if (hasKernel(s.name, k)) mark = 'x';
      else if (!s.kernelFallback.empty() && hasKernel(s.kernelFallback, k)) mark = 'f';
      if (mark != '.') counts[i]++;
      std::printf(" %-10c", mark);
    }
    std::printf("\n");
  }
  std::printf("%-34s", "total");
  for (size_t i = 0; i < statuses.size(); ++i) std::printf(" %d/%-8d", counts[i], rows);
  std::printf("\n");
}

}  // namespace

void addInfoCommand(CLI::App& app) {
  auto* cmd = app.add_subcommand("info", "Backends, devices, versions and kernel coverage");
  auto kernels = std::make_shared<bool>(false);
  cmd->add_flag("--kernels", *kernels, "Also print the kernel coverage table per backend");
  cmd->callback([kernels] {
    printBackends();
    if (*kernels) printKernels();
  });
}

}  // namespace strata::cli
