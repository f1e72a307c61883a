// Training flags shared by `strata prune` and `strata distill` (the same names and meaning as
// `strata fit`'s): the optimizer, learning rate, loss and metrics, with the model's
// trainingConfig filling in what the flags leave out.
#pragma once

#include <CLI/CLI.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "strata/strata.h"

namespace strata::cli {

struct TrainingFlags {
  std::string optimizer, loss, metrics;
  float learningRate = -1;
  int batchSize = 32, verbose = 1;
  int64_t seed = -1;
  bool noShuffle = false;
};

inline void addTrainingFlags(CLI::App* cmd, TrainingFlags& f, bool withLossAndMetrics) {
  cmd->add_option("--batch-size", f.batchSize, "Batch size (default 32)");
  cmd->add_option("--optimizer", f.optimizer,
                  "Optimizer name (sgd, momentum, adam, adamax, adagrad, adadelta, rmsprop) or TF.js JSON "
                  "{\"class_name\": ..., \"config\": {...}}");
  cmd->add_option("--learning-rate", f.learningRate, "Learning rate (overrides the optimizer's)");
  if (withLossAndMetrics) {
    cmd->add_option("--loss", f.loss, "Loss name (default: the model's trainingConfig)");
    cmd->add_option("--metrics", f.metrics, "Comma-separated metric names (default: the model's trainingConfig)");
  }
  cmd->add_flag("--no-shuffle", f.noShuffle, "Keep the sample order (default: shuffle each epoch)");
  cmd->add_option("--seed", f.seed, "Seed for shuffling");
  cmd->add_option("--verbose", f.verbose, "0 silent, 1 progress (default), 2 one line per epoch");
}

/// The optimizer the flags name (with --learning-rate applied), else `fallback`.
inline OptimizerPtr optimizerFromFlags(const TrainingFlags& f, const OptimizerSpec& fallback) {
  OptimizerPtr opt;
  const OptimizerSpec spec = f.optimizer.empty() ? fallback : OptimizerSpec(f.optimizer);
  if (spec.optimizer) opt = spec.optimizer;
  else if (spec.name.find('{') != std::string::npos) opt = optimizerFromJson(nlohmann::json::parse(spec.name));
  else opt = getOptimizer(spec.name);
  if (f.learningRate > 0) {
    nlohmann::json j = optimizerToJson(*opt);
    j["config"]["learningRate"] = f.learningRate;
    opt = optimizerFromJson(j);
  }
  return opt;
}

/// Compiles `model` as `strata fit` does: flags first, then the model's trainingConfig; throws
/// naming `path` when neither gives a loss.
inline void compileFromFlags(const LayersModel& model, const TrainingFlags& f, const std::string& path) {
  const nlohmann::json tc = model.trainingConfig();
  const bool hasTc = tc.is_object();
  if (hasTc) model.compileFromTrainingConfig();
  CompileArgs args;
  args.optimizer = OptimizerSpec(optimizerFromFlags(f, hasTc ? OptimizerSpec(model.optimizer()) : OptimizerSpec("adam")));
  if (!f.loss.empty()) {
    args.loss = {LossSpec(f.loss)};
  } else if (hasTc && tc.contains("loss")) {
    if (tc["loss"].is_string()) args.loss = {LossSpec(tc["loss"].get<std::string>())};
    else if (tc["loss"].is_array())
      for (const auto& l : tc["loss"]) args.loss.emplace_back(l.get<std::string>());
  }
  if (args.loss.empty()) throw Error("model '" + path + "' has no trainingConfig with a loss; pass --loss NAME");
  if (!f.metrics.empty()) {
    std::stringstream in(f.metrics);
    for (std::string m; std::getline(in, m, ',');)
      if (!m.empty()) args.metrics.emplace_back(m);
  } else if (hasTc && tc.contains("metrics") && tc["metrics"].is_array()) {
    for (const auto& m : tc["metrics"]) args.metrics.emplace_back(m.get<std::string>());
  }
  model.compile(args);
}

inline FitArgs fitArgsFromFlags(const TrainingFlags& f, int epochs) {
  FitArgs fit;
  fit.epochs = epochs;
  fit.batchSize = f.batchSize;
  fit.shuffle = !f.noShuffle;
  fit.verbose = f.verbose;
  if (f.seed >= 0) fit.seed = static_cast<uint64_t>(f.seed);
  return fit;
}

inline std::vector<std::string> splitNames(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  for (std::string item; std::getline(in, item, ',');)
    if (!item.empty()) out.push_back(item);
  return out;
}

}  // namespace strata::cli
