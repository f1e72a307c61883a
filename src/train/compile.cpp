// compile(): resolves the optimizer, losses and metrics by name as tfjs-layers does, fixes the
// order of logged values, and records `trainingConfig` so that save() writes it.
#include <algorithm>

#include "strata/error.h"
#include "strata/models.h"
#include "train/loss_util.h"
#include "train/training_state.h"

namespace strata {

using layers::Json;

namespace {

std::string snakeCase(const std::string& s) { return losses::detail::snakeCase(s); }

OptimizerPtr resolveOptimizer(const OptimizerSpec& spec) {
  if (spec.optimizer) return spec.optimizer;
  if (spec.name.empty()) throw Error("compile: an optimizer is required (a name such as \"adam\", TF.js JSON, or an object)");
  auto first = spec.name.find_first_not_of(" \t\n");
  if (first != std::string::npos && spec.name[first] == '{') {
    Json j;
    try {
      j = Json::parse(spec.name);
    } catch (const Json::parse_error& e) {
      throw Error(std::string("compile: optimizer JSON is malformed: ") + e.what());
    }
    return optimizerFromJson(j);
  }
  return getOptimizer(spec.name);
}

bool isAccuracyName(const std::string& n) { return n == "accuracy" || n == "acc"; }
bool isCrossentropyName(const std::string& n) { return n == "crossentropy" || n == "ce"; }

}  // namespace

namespace train {

TrainingState& compiledState(layers::Model& model, const char* op) {
  if (!model.training)
    throw Error(std::string(op) + ": model '" + model.name() + "' is not compiled; call compile() first");
  return *model.training;
}

}  // namespace train

void LayersModel::compile(const CompileArgs& args) const {
  layers::Model& m = impl();
  auto state = std::make_shared<train::TrainingState>();
  const size_t nOut = m.outputs.size();
  const auto outShapes = m.outputShapesOfModel();
  std::vector<std::string> outNames;
  for (const auto& r : m.outputs) outNames.push_back(m.layers[r.layer]->name());

  state->optimizer = resolveOptimizer(args.optimizer);

  if (args.loss.empty()) throw Error("compile: model '" + name() + "': a loss is required");
  if (args.loss.size() != 1 && args.loss.size() != nOut)
    throw Error("compile: model '" + name() + "' has " + std::to_string(nOut) + " output(s), but " +
                std::to_string(args.loss.size()) + " losses were given (give one, or one per output)");
  Json lossConfig = Json::array();
  for (size_t i = 0; i < nOut; ++i) {
    const LossSpec& spec = args.loss.size() == 1 ? args.loss[0] : args.loss[i];
    if (spec.fn) {
      state->losses.push_back(spec.fn);
      state->lossNames.push_back("");
      state->sparseLoss.push_back(false);
      lossConfig.push_back(spec.name.empty() ? "custom" : spec.name);
    } else {
      std::string canonical = losses::canonicalName(spec.name);
      state->losses.push_back(losses::get(canonical));
      state->lossNames.push_back(canonical);
      state->sparseLoss.push_back(canonical == "sparseCategoricalCrossentropy");
      lossConfig.push_back(snakeCase(canonical));
    }
  }
  if (!args.lossWeights.empty() && args.lossWeights.size() != nOut)
    throw Error("compile: model '" + name() + "' has " + std::to_string(nOut) + " output(s), but " +
                std::to_string(args.lossWeights.size()) + " loss weights were given");
  state->lossWeights = args.lossWeights.empty() ? std::vector<float>(nOut, 1.0f) : args.lossWeights;

  // Logged values in tfjs-layers' order: per-output losses (several outputs only), then each
  // metric for each output; names get the output's name as prefix when there are several.
  state->metricsNames = {"loss"};
  if (nOut > 1)
    for (size_t i = 0; i < nOut; ++i)
      state->logged.push_back({outNames[i] + "_loss", state->losses[i], static_cast<int>(i), true});
  Json metricConfig = Json::array();
  for (const LossSpec& metric : args.metrics) {
    for (size_t i = 0; i < nOut; ++i) {
      std::string label;
      LossFn fn;
      if (metric.fn) {
        label = metric.name.empty() ? "custom" : metric.name;
        fn = metric.fn;
      } else if (isAccuracyName(metric.name) || isCrossentropyName(metric.name)) {
        // As Keras: binary when the output has one unit or the loss is binary crossentropy,
        // sparse when the loss is sparse, categorical otherwise.
        const bool acc = isAccuracyName(metric.name);
        const bool binary = (!outShapes[i].empty() && outShapes[i].back() == 1) || state->lossNames[i] == "binaryCrossentropy";
        const bool sparse = state->sparseLoss[i];
        const char* fnName = acc ? (binary ? "binaryAccuracy" : sparse ? "sparseCategoricalAccuracy" : "categoricalAccuracy")
                                 : (binary ? "binaryCrossentropy" : sparse ? "sparseCategoricalCrossentropy" : "categoricalCrossentropy");
        fn = metrics::get(fnName);
        label = acc ? "acc" : "ce";
      } else {
        fn = metrics::get(metric.name);
        label = metric.name;
      }
      if (nOut > 1) label = outNames[i] + "_" + label;
      state->logged.push_back({label, fn, static_cast<int>(i), false});
    }
    metricConfig.push_back(snakeCase(metric.name.empty() ? "custom" : metric.name));
  }
  for (const auto& l : state->logged) state->metricsNames.push_back(l.name);

  // trainingConfig as TF.js writes it; loss_weights only when not all 1 (TF.js cannot load them).
  Json tc{{"loss", lossConfig.size() == 1 || args.loss.size() == 1 ? lossConfig[0] : lossConfig},
          {"metrics", metricConfig},
          {"optimizer_config", optimizerToJson(*state->optimizer)}};
  if (std::any_of(state->lossWeights.begin(), state->lossWeights.end(), [](float w) { return w != 1.0f; }))
    tc["loss_weights"] = state->lossWeights;
  m.mutableConfig()["__trainingConfig"] = tc;
  m.training = state;
}

void LayersModel::compileFromTrainingConfig() const {
  layers::Model& m = impl();
  const Json& cfg = m.config();
  if (!cfg.contains("__trainingConfig") || !cfg["__trainingConfig"].is_object())
    throw Error("compile: model '" + name() + "' has no trainingConfig; give an optimizer and a loss");
  const Json& tc = cfg["__trainingConfig"];
  CompileArgs args;
  if (!tc.contains("optimizer_config")) throw Error("compile: trainingConfig of model '" + name() + "' has no optimizer_config");
  args.optimizer = OptimizerSpec(optimizerFromJson(tc["optimizer_config"]));
  auto readNames = [&](const char* key, std::vector<LossSpec>& out) {
    if (!tc.contains(key) || tc[key].is_null()) return;
    const Json& v = tc[key];
    if (v.is_string()) {
      out.emplace_back(v.get<std::string>());
    } else if (v.is_array()) {
      for (const Json& e : v) {
        if (!e.is_string()) throw Error("compile: trainingConfig." + std::string(key) + " must hold names, got " + v.dump());
        out.emplace_back(e.get<std::string>());
      }
    } else if (v.is_object()) {
      // {outputName: name}: in output order.
      for (const auto& r : m.outputs) {
        const std::string& on = m.layers[r.layer]->name();
        if (!v.contains(on) || !v[on].is_string())
          throw Error("compile: trainingConfig." + std::string(key) + " has no entry for output '" + on + "'");
        out.emplace_back(v[on].get<std::string>());
      }
    } else {
      throw Error("compile: trainingConfig." + std::string(key) + " must be a name, a list or an object, got " + v.dump());
    }
  };
  readNames("loss", args.loss);
  readNames("metrics", args.metrics);
  if (tc.contains("loss_weights") && tc["loss_weights"].is_array())
    for (const Json& w : tc["loss_weights"]) args.lossWeights.push_back(w.get<float>());
  compile(args);
}

nlohmann::json LayersModel::trainingConfig() const {
  const Json& cfg = impl().config();
  return cfg.contains("__trainingConfig") ? cfg["__trainingConfig"] : Json();
}

bool LayersModel::isCompiled() const { return impl().training != nullptr; }

std::vector<std::string> LayersModel::metricsNames() const {
  return train::compiledState(impl(), "metricsNames").metricsNames;
}

OptimizerPtr LayersModel::optimizer() const { return impl().training ? impl().training->optimizer : nullptr; }

void LayersModel::stopTraining() const { train::compiledState(impl(), "stopTraining").stopTraining = true; }

}  // namespace strata
