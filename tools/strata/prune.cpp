// `strata prune` (docs/pruning.md): magnitude pruning during fine-tuning (--sparsity, TFMOT's
// PolynomialDecay schedule) or structured pruning of whole Conv2D filters and Dense units
// (--structured) with optional fine-tuning. Prints what each layer lost and saves the model in
// the standard TF.js format (pruned weights are zeros in it).
#include <cmath>
#include <cstdio>
#include <memory>

#include "commands.h"
#include "optimize_flags.h"
#include "strata/strata.h"

namespace strata::cli {

namespace {

struct PruneFlags {
  std::string model, save, backend, layers, x, y;
  float sparsity = NAN, structured = NAN, initialSparsity = 0, power = 3;
  int epochs = -1;
  int64_t beginStep = 0, endStep = -1, frequency = 100;
  TrainingFlags train;
};

void checkFraction(const char* flag, float v) {
  if (!(v >= 0.0f && v < 1.0f)) throw Error(std::string(flag) + " must be in [0, 1), got " + std::to_string(v));
}

void printSparsity(const std::vector<LayerSparsity>& rows) {
  std::printf("%-24s %-18s %-18s %10s %10s %9s\n", "layer", "class", "weight", "size", "zeros", "sparsity");
  int64_t size = 0, zeros = 0;
  for (const LayerSparsity& r : rows) {
    std::printf("%-24s %-18s %-18s %10lld %10lld %8.2f%%\n", r.layer.c_str(), r.className.c_str(), r.weight.c_str(),
                static_cast<long long>(r.size), static_cast<long long>(r.zeros), 100 * r.sparsity());
    size += r.size;
    zeros += r.zeros;
  }
  std::printf("%-24s %-18s %-18s %10lld %10lld %8.2f%%\n", "total", "", "", static_cast<long long>(size),
              static_cast<long long>(zeros), size ? 100.0 * static_cast<double>(zeros) / static_cast<double>(size) : 0.0);
}

void printStructured(const StructuredPruneResult& r) {
  std::printf("%-24s %-18s %8s %8s\n", "layer", "class", "before", "after");
  for (const StructuredLayerReport& l : r.layers)
    std::printf("%-24s %-18s %8lld %8lld\n", l.layer.c_str(), l.className.c_str(), static_cast<long long>(l.before),
                static_cast<long long>(l.after));
  std::printf("parameters: %lld -> %lld (%.1f%%)\n", static_cast<long long>(r.paramsBefore),
              static_cast<long long>(r.paramsAfter),
              r.paramsBefore ? 100.0 * static_cast<double>(r.paramsAfter) / static_cast<double>(r.paramsBefore) : 0.0);
}

// Loss and metrics of the pruned model on the given data, when it knows its loss.
void printEvaluation(const LayersModel& model, const Tensor& x, const Tensor& y, const PruneFlags& f) {
  if (!model.isCompiled()) {
    if (!model.trainingConfig().is_object() && f.train.loss.empty()) return;
    compileFromFlags(model, f.train, f.model);
  }
  Logs logs = model.evaluate(x, y, {.batchSize = f.train.batchSize});
  std::printf("after pruning on --x/--y:");
  for (const auto& name : model.metricsNames())
    if (auto it = logs.find(name); it != logs.end()) std::printf(" %s: %.6g", name.c_str(), it->second);
  std::printf("\n");
}

void runPrune(const PruneFlags& f) {
  const bool magnitude = !std::isnan(f.sparsity), structured = !std::isnan(f.structured);
  if (magnitude == structured) throw Error("prune: give exactly one of --sparsity F (magnitude) or --structured F");
  if (magnitude) checkFraction("--sparsity", f.sparsity);
  else checkFraction("--structured", f.structured);
  checkFraction("--initial-sparsity", f.initialSparsity);
  if (f.x.empty() != f.y.empty()) throw Error("prune: --x and --y go together");
  const bool haveData = !f.x.empty();
  const int epochs = f.epochs >= 0 ? f.epochs : (haveData ? 1 : 0);
  if (epochs > 0 && !haveData)
    throw Error("prune: fine-tuning for --epochs " + std::to_string(epochs) + " needs --x X.npy and --y Y.npy");
  if (magnitude) {
    // Checked here so a bad schedule fails before the data is read.
    PolynomialDecay{f.initialSparsity, f.sparsity, f.beginStep, f.endStep, f.power, f.frequency}.validate();
  }

  if (!f.backend.empty()) setBackend(f.backend);
  LayersModel model = loadLayersModel(f.model);
  Tensor x, y;
  if (haveData) {
    x = loadNpy(f.x);
    y = loadNpy(f.y);
  }
  const std::vector<std::string> layers = splitNames(f.layers);
  LayersModel out = model;
  if (magnitude) {
    std::vector<LayerSparsity> report;
    if (epochs == 0) {
      report = pruneLowMagnitudeOnce(model, f.sparsity, layers);
    } else {
      compileFromFlags(model, f.train, f.model);
      PruneArgs args{.schedule = {f.initialSparsity, f.sparsity, f.beginStep, f.endStep, f.power, f.frequency},
                     .layers = layers,
                     .fit = fitArgsFromFlags(f.train, epochs)};
      report = pruneLowMagnitude(model, x, y, args).layers;
    }
    printSparsity(report);
  } else {
    StructuredPruneResult r = pruneStructured(model, {.fraction = f.structured, .layers = layers});
    printStructured(r);
    out = r.model;
    if (epochs > 0) {
      compileFromFlags(out, f.train, f.model);
      out.fit(x, y, fitArgsFromFlags(f.train, epochs));
    }
  }
  if (haveData) printEvaluation(out, x, y, f);
  if (f.save.empty()) {
    std::printf("not saved (no --save DIR)\n");
    return;
  }
  out.save(f.save);
  std::printf("saved to %s/\n", f.save.c_str());
}

}  // namespace

void addPruneCommand(CLI::App& app) {
  auto f = std::make_shared<PruneFlags>();
  auto* cmd = app.add_subcommand("prune", "Prune a TF.js Layers model (magnitude or structured) and save it");
  cmd->add_option("model", f->model, "Path to model.json (or its directory)")->required();
  cmd->add_option("--sparsity", f->sparsity,
                  "Magnitude pruning: final fraction of zeros in each Conv/Dense kernel, in [0, 1)");
  cmd->add_option("--structured", f->structured,
                  "Structured pruning: fraction of the filters/units of each hidden Conv2D/Dense to remove, in [0, 1)");
  cmd->add_option("--x", f->x, "Training inputs .npy (for fine-tuning)");
  cmd->add_option("--y", f->y, "Training targets .npy (for fine-tuning)");
  cmd->add_option("--epochs", f->epochs,
                  "Fine-tuning epochs (default 1 with --x/--y, else 0; 0 with --sparsity prunes at once)");
  cmd->add_option("--layers", f->layers, "Comma-separated layer names to prune (default: every prunable layer)");
  cmd->add_option("--initial-sparsity", f->initialSparsity, "Schedule: sparsity at --begin-step (default 0)");
  cmd->add_option("--begin-step", f->beginStep, "Schedule: first pruning step (default 0)");
  cmd->add_option("--end-step", f->endStep, "Schedule: step reaching --sparsity (default: the last batch)");
  cmd->add_option("--power", f->power, "Schedule: exponent of the polynomial decay (default 3)");
  cmd->add_option("--frequency", f->frequency, "Schedule: recompute masks every N steps (default 100)");
  addTrainingFlags(cmd, f->train, true);
  cmd->add_option("--backend", f->backend, "Backend to run on (default: the best available)");
  cmd->add_option("--save", f->save, "Directory for the pruned model (TF.js format); without it, only the report");
  cmd->callback([f] { runPrune(*f); });
}

}  // namespace strata::cli
