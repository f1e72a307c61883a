// `strata fit` and `strata evaluate` (DESIGN §5): train or score a TF.js Layers model on .npy
// arrays. fit compiles from the flags, falling back to the model's trainingConfig for whatever
// the flags leave out, and writes the trained model (TF.js format) and its history.
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <unistd.h>

#include "commands.h"
#include "write_file.h"
#include "strata/strata.h"

namespace strata::cli {

namespace {

std::vector<std::string> splitList(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  for (std::string item; std::getline(in, item, ',');)
    if (!item.empty()) out.push_back(item);
  return out;
}

std::vector<Tensor> loadAll(const std::vector<std::string>& paths) {
  std::vector<Tensor> out;
  for (const auto& p : paths) out.push_back(loadNpy(p));
  return out;
}

// The optimizer a spec names, as an object (to change its learning rate).
OptimizerPtr resolveOptimizerForCli(const OptimizerSpec& spec) {
  if (spec.optimizer) return spec.optimizer;
  if (spec.name.find('{') != std::string::npos) return optimizerFromJson(nlohmann::json::parse(spec.name));
  return getOptimizer(spec.name);
}

void printLogs(const LayersModel& model, const Logs& logs) {
  for (const auto& name : model.metricsNames())
    if (auto it = logs.find(name); it != logs.end()) std::printf("%s: %.6g\n", name.c_str(), it->second);
}

}  // namespace

void addFitCommand(CLI::App& app) {
  struct Args {
    std::string model, optimizer, loss, metrics, backend, save, history;
    std::vector<std::string> x, y;
    int epochs = 1, batchSize = 32, verbose = 1;
    float learningRate = -1, validationSplit = 0;
    bool noShuffle = false;
    int64_t seed = -1;
  };
  auto a = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("fit", "Train a TF.js Layers model on .npy arrays and save it");
  cmd->add_option("model", a->model, "Path to model.json (or its directory)")->required();
  cmd->add_option("--x", a->x, "Inputs .npy, one per model input in model order")->required();
  cmd->add_option("--y", a->y, "Targets .npy, one per model output in model order")->required();
  cmd->add_option("--epochs", a->epochs, "Epochs (default 1)");
  cmd->add_option("--batch-size", a->batchSize, "Batch size (default 32)");
  cmd->add_option("--optimizer", a->optimizer,
                  "Optimizer name (sgd, momentum, adam, adamax, adagrad, adadelta, rmsprop) or TF.js JSON "
                  "{\"class_name\": ..., \"config\": {...}}");
  cmd->add_option("--learning-rate", a->learningRate, "Learning rate (overrides the optimizer's)");
  cmd->add_option("--loss", a->loss, "Loss name (e.g. categoricalCrossentropy)");
  cmd->add_option("--metrics", a->metrics, "Comma-separated metric names (e.g. accuracy,mse)");
  cmd->add_option("--validation-split", a->validationSplit, "Fraction of samples (from the end) for validation");
  cmd->add_flag("--no-shuffle", a->noShuffle, "Keep the sample order (default: shuffle each epoch)");
  cmd->add_option("--seed", a->seed, "Seed for shuffling");
  cmd->add_option("--verbose", a->verbose, "0 silent, 1 progress bar (default), 2 one line per epoch");
  cmd->add_option("--backend", a->backend, "Backend to train on (default: the best available)");
  cmd->add_option("--save", a->save, "Directory for the trained model (TF.js format)")->required();
  cmd->add_option("--history", a->history, "Write the history JSON here");
  cmd->callback([a] {
    if (!a->backend.empty()) setBackend(a->backend);
    LayersModel model = loadLayersModel(a->model);
    const nlohmann::json tc = model.trainingConfig();
    const bool hasTrainingConfig = tc.is_object();
    if (hasTrainingConfig) model.compileFromTrainingConfig();
    // Flags override the trainingConfig piece by piece.
    CompileArgs args;
    if (!a->optimizer.empty()) args.optimizer = OptimizerSpec(a->optimizer);
    else if (hasTrainingConfig) args.optimizer = OptimizerSpec(model.optimizer());
    else args.optimizer = OptimizerSpec("adam");
    if (a->learningRate > 0) {
      nlohmann::json j = optimizerToJson(*resolveOptimizerForCli(args.optimizer));
      j["config"]["learningRate"] = a->learningRate;
      args.optimizer = OptimizerSpec(optimizerFromJson(j));
    }
    if (!a->loss.empty()) {
      args.loss = {LossSpec(a->loss)};
    } else if (hasTrainingConfig && tc.contains("loss")) {
      if (tc["loss"].is_string()) args.loss = {LossSpec(tc["loss"].get<std::string>())};
      else if (tc["loss"].is_array())
        for (const auto& l : tc["loss"]) args.loss.emplace_back(l.get<std::string>());
    }
    if (args.loss.empty())
      throw Error("model '" + a->model + "' has no trainingConfig with a loss; pass --loss NAME");
    if (!a->metrics.empty()) {
      for (const auto& m : splitList(a->metrics)) args.metrics.emplace_back(m);
    } else if (hasTrainingConfig && tc.contains("metrics") && tc["metrics"].is_array()) {
      for (const auto& m : tc["metrics"]) args.metrics.emplace_back(m.get<std::string>());
    }
    model.compile(args);

    std::vector<Tensor> xs = loadAll(a->x), ys = loadAll(a->y);
    FitArgs fit;
    fit.epochs = a->epochs;
    fit.batchSize = a->batchSize;
    fit.shuffle = !a->noShuffle;
    fit.validationSplit = a->validationSplit;
    fit.verbose = a->verbose;
    if (a->seed >= 0) fit.seed = static_cast<uint64_t>(a->seed);
    History h = model.fit(xs, ys, fit);
    model.save(a->save);
    if (!a->history.empty()) writeFileAtomically(a->history, h.toJson().dump(2) + "\n");
  });
}

void addEvaluateCommand(CLI::App& app) {
  struct Args {
    std::string model, backend, loss, metrics;
    std::vector<std::string> x, y;
    int batchSize = 32;
  };
  auto a = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("evaluate", "Print a model's loss and metrics on .npy arrays");
  cmd->add_option("model", a->model, "Path to model.json (or its directory)")->required();
  cmd->add_option("--x", a->x, "Inputs .npy, one per model input in model order")->required();
  cmd->add_option("--y", a->y, "Targets .npy, one per model output in model order")->required();
  cmd->add_option("--batch-size", a->batchSize, "Batch size (default 32)");
  cmd->add_option("--loss", a->loss, "Loss name when the model has no trainingConfig");
  cmd->add_option("--metrics", a->metrics, "Comma-separated metric names when the model has no trainingConfig");
  cmd->add_option("--backend", a->backend, "Backend to run on (default: the best available)");
  cmd->callback([a] {
    if (!a->backend.empty()) setBackend(a->backend);
    LayersModel model = loadLayersModel(a->model);
    if (!a->loss.empty()) {
      CompileArgs args{.optimizer = "sgd", .loss = {LossSpec(a->loss)}};
      for (const auto& m : splitList(a->metrics)) args.metrics.emplace_back(m);
      model.compile(args);
    } else {
      model.compileFromTrainingConfig();
    }
    std::vector<Tensor> xs = loadAll(a->x), ys = loadAll(a->y);
    printLogs(model, model.evaluate(xs, ys, {.batchSize = a->batchSize}));
  });
}

}  // namespace strata::cli
