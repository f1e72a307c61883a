// `strata predict MODEL.json --input IN.npy [--input ...] --output OUT.npy [--output ...]
// [--backend NAME] [--batch-size B]`: one --input per model input and one --output per model
// output, in model order. Outputs are written only after every prediction succeeded, each
// under a temporary name and renamed (saveNpy), so a failure leaves no partial file.
#include <cstdio>
#include <memory>
#include <unistd.h>

#include "commands.h"
#include "strata/strata.h"

namespace strata::cli {

void addPredictCommand(CLI::App& app) {
  struct Args {
    std::string model, backend;
    std::vector<std::string> inputs, outputs;
    int batchSize = 32;
  };
  auto a = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("predict", "Run a TF.js Layers model on .npy inputs");
  cmd->add_option("model", a->model, "Path to model.json (or its directory)")->required();
  cmd->add_option("--input", a->inputs, "Input .npy, one per model input in model order")->required();
  cmd->add_option("--output", a->outputs, "Output .npy, one per model output in model order")->required();
  cmd->add_option("--backend", a->backend, "Backend to run on (default: the best available)");
  cmd->add_option("--batch-size", a->batchSize, "Batch size for prediction (default 32)");
  cmd->callback([a] {
    if (!a->backend.empty()) setBackend(a->backend);
    LayersModel model = loadLayersModel(a->model);
    if (a->inputs.size() != model.inputs().size())
      throw Error("model '" + a->model + "' has " + std::to_string(model.inputs().size()) + " input(s) but " +
                  std::to_string(a->inputs.size()) + " --input file(s) were given");
    if (a->outputs.size() != model.outputs().size())
      throw Error("model '" + a->model + "' has " + std::to_string(model.outputs().size()) + " output(s) but " +
                  std::to_string(a->outputs.size()) + " --output file(s) were given");
    std::vector<Tensor> xs;
    for (const auto& path : a->inputs) xs.push_back(loadNpy(path));
    std::vector<Tensor> ys = model.predict(xs, {.batchSize = a->batchSize});
    // All outputs go to temporary names first, then are renamed: no partial set of outputs.
    const std::string suffix = ".partial-" + std::to_string(::getpid());
    std::vector<std::string> temps;
    try {
      for (size_t i = 0; i < ys.size(); ++i) {
        saveNpy(a->outputs[i] + suffix, ys[i]);
        temps.push_back(a->outputs[i] + suffix);
      }
      for (size_t i = 0; i < ys.size(); ++i)
        if (std::rename(temps[i].c_str(), a->outputs[i].c_str()) != 0)
          throw Error("cannot write '" + a->outputs[i] + "'");
    } catch (...) {
      for (const auto& t : temps) std::remove(t.c_str());
      throw;
    }
  });
}

}  // namespace strata::cli
