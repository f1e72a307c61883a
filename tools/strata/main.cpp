// The strata command line (DESIGN §5). Each command lives in its own file; this one parses
// the command line and turns every strata::Error into one line on standard error.
#include <CLI/CLI.hpp>
#include <iostream>

#include "commands.h"
#include "strata/strata.h"

int main(int argc, char** argv) {
  CLI::App app{"strata: a C++ deep-learning runtime that reads and writes TF.js Layers models"};
  app.require_subcommand(1);
  strata::cli::addInfoCommand(app);
  strata::cli::addDemoCommand(app);
  strata::cli::addPredictCommand(app);
  strata::cli::addFitCommand(app);
  strata::cli::addEvaluateCommand(app);
  strata::cli::addBenchCommand(app);
  strata::cli::addQuantizeCommand(app);
  strata::cli::addPruneCommand(app);
  strata::cli::addDistillCommand(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const strata::Error& e) {
    std::cerr << "strata: error: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "strata: error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
