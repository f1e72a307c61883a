// One batch through the model: losses, metrics and (in training) the optimizer step, with
// tfjs-layers' arithmetic: per-output loss = mean over the batch of (per-sample loss * sample
// weight); total = sum of loss weight * per-output loss + regularization penalties.
#include <set>

#include "models/weight_policies.h"
#include "strata/engine.h"
#include "strata/error.h"
#include "strata/grad.h"
#include "strata/ops.h"
#include "train/training_state.h"

namespace strata::train {

namespace {

std::string shapeWithNull(const Shape& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? "," : "") + (s[i] < 0 ? std::string("null") : std::to_string(s[i]));
  return out + "]";
}

void collectTrainable(layers::Layer& layer, std::vector<Variable>& out, std::set<std::string>& seen) {
  if (!layer.trainable()) return;
  if (auto* m = dynamic_cast<layers::Model*>(&layer)) {
    for (auto& l : m->layers) collectTrainable(*l, out, seen);
    return;
  }
  for (layers::Weight* w : layer.allWeights())
    if (w->trainable && seen.insert(w->value.name()).second) out.push_back(w->value);
}

}  // namespace

std::vector<Variable> trainableVariables(layers::Model& model) {
  std::vector<Variable> out;
  std::set<std::string> seen;  // a shared layer's weights count once
  for (auto& l : model.layers) collectTrainable(*l, out, seen);
  return out;
}

void checkData(layers::Model& model, const TrainingState& state, const std::vector<Tensor>& xs,
               const std::vector<Tensor>& ys, const char* op) {
  const std::string where = std::string(op) + ": model '" + model.name() + "'";
  if (xs.size() != model.inputs.size())
    throw Error(where + " expects " + std::to_string(model.inputs.size()) + " input tensor(s), got " +
                std::to_string(xs.size()));
  if (ys.size() != model.outputs.size())
    throw Error(where + " has " + std::to_string(model.outputs.size()) + " output(s), but " + std::to_string(ys.size()) +
                " target tensor(s) were given");
  for (size_t i = 0; i < xs.size(); ++i)
    if (!xs[i].defined() || xs[i].isDisposed() || xs[i].rank() == 0)
      throw Error(where + ": input " + std::to_string(i) + " is empty, disposed or a scalar");
  const int64_t n = xs[0].shape()[0];
  for (size_t i = 0; i < xs.size(); ++i)
    if (xs[i].shape()[0] != n)
      throw Error(where + ": input " + std::to_string(i) + " has " + std::to_string(xs[i].shape()[0]) +
                  " samples but input 0 has " + std::to_string(n));
  const auto outShapes = model.outputShapesOfModel();
  for (size_t i = 0; i < ys.size(); ++i) {
    const std::string outName = model.layers[model.outputs[i].layer]->name();
    const std::string target = "target " + std::to_string(i) + " (output '" + outName + "')";
    if (!ys[i].defined() || ys[i].isDisposed() || ys[i].rank() == 0)
      throw Error(where + ": " + target + " is empty, disposed or a scalar");
    const Shape& y = ys[i].shape();
    if (y[0] != n)
      throw Error(where + ": " + target + " has " + std::to_string(y[0]) + " samples but the inputs have " +
                  std::to_string(n));
    const Shape& o = outShapes[i];
    if (state.sparseLoss[i]) {
      const bool ok = (y.size() == 1 || (y.size() == 2 && y[1] == 1)) && o.size() == 2;
      if (!ok)
        throw Error(where + ": " + target + " has shape " + shapeString(y) +
                    ", but sparseCategoricalCrossentropy expects class indices of shape [n] or [n,1] for an output of shape " +
                    shapeWithNull(o) + " ([n, classes])");
      continue;
    }
    bool ok = y.size() == o.size();
    for (size_t d = 1; ok && d < y.size(); ++d) ok = o[d] < 0 || o[d] == y[d];
    if (!ok) {
      std::string hint;
      if (state.lossNames[i] == "categoricalCrossentropy" && y.size() == 2 && y[1] == 1)
        hint = " (for class indices use sparseCategoricalCrossentropy)";
      throw Error(where + ": " + target + " has shape " + shapeString(y) + " but the output has shape " +
                  shapeWithNull(o) + (state.lossNames[i].empty() ? "" : " (loss " + state.lossNames[i] + ")") + hint);
    }
  }
}

std::vector<Tensor> runBatch(layers::Model& model, TrainingState& state, const std::vector<Tensor>& xs,
                             const std::vector<Tensor>& ys, const std::vector<Tensor>& sampleWeights, bool training) {
  std::vector<Tensor> logged;
  auto lossOf = [&]() -> Tensor {
    std::vector<Tensor> outputs = model.predictBatch(xs, training);
    std::vector<Tensor> outputLosses;
    Tensor total;
    for (size_t i = 0; i < outputs.size(); ++i) {
      Tensor perSample = state.losses[i](ys[i], outputs[i]);
      if (i < sampleWeights.size() && sampleWeights[i].defined()) perSample = mul(perSample, sampleWeights[i]);
      Tensor l = mean(perSample);
      outputLosses.push_back(l);
      Tensor weighted = state.lossWeights[i] == 1.0f ? l : mul(l, scalar(state.lossWeights[i]));
      total = total.defined() ? add(total, weighted) : weighted;
    }
    for (const LoggedValue& v : state.logged) {
      Tensor value = v.isOutputLoss ? outputLosses[v.output] : mean(v.fn(ys[v.output], outputs[v.output]));
      logged.push_back(keep(value));
    }
    if (training)
      if (Tensor reg = layers::regularizationLoss(model); reg.defined()) total = add(total, reg);
    return total;
  };
  if (!training) {
    Tensor total = lossOf();
    logged.insert(logged.begin(), total);
    return logged;
  }
  std::vector<Variable> vars = trainableVariables(model);
  VariableGradsResult r = variableGrads(lossOf, vars);
  std::vector<VariableGradient> grads;
  for (const Variable& v : vars)
    if (auto g = r.grads.find(v.name()); g != r.grads.end()) grads.push_back({v, g->second});
  state.optimizer->applyGradients(grads);
  for (auto& [name, g] : r.grads) g.dispose();
  layers::applyConstraints(model);
  logged.insert(logged.begin(), r.value);
  return logged;
}

}  // namespace strata::train
