// One function per CLI command: registers it (options and callback) on the app.
#pragma once

#include <CLI/CLI.hpp>

namespace strata::cli {

void addInfoCommand(CLI::App& app);
void addDemoCommand(CLI::App& app);
void addPredictCommand(CLI::App& app);
void addFitCommand(CLI::App& app);
void addEvaluateCommand(CLI::App& app);
void addBenchCommand(CLI::App& app);
void addQuantizeCommand(CLI::App& app);
void addPruneCommand(CLI::App& app);
void addDistillCommand(CLI::App& app);

}  // namespace strata::cli
