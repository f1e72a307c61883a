// What compile() decides and fit()/evaluate() use: the optimizer, one loss per output, the
// logged values in order (loss, per-output losses, metrics) and the stop flag callbacks set.
#pragma once

#include <string>
#include <vector>

#include "models/model.h"
#include "strata/training.h"

namespace strata::train {

/// One logged value besides the total loss: a per-output loss (multi-output models) or a metric.
struct LoggedValue {
  std::string name;  ///< as it appears in logs ("acc", "dense_2_loss", "out_a_mse")
  LossFn fn;         ///< per-sample values; the batch mean is logged
  int output = 0;
  bool isOutputLoss = false;
};

struct TrainingState {
  OptimizerPtr optimizer;
  std::vector<LossFn> losses;            ///< one per output
  std::vector<std::string> lossNames;    ///< canonical names ("" for functions)
  std::vector<bool> sparseLoss;          ///< targets are class indices ([batch] or [batch, 1])
  std::vector<float> lossWeights;        ///< one per output
  std::vector<LoggedValue> logged;
  std::vector<std::string> metricsNames; ///< "loss" then logged[i].name
  bool stopTraining = false;
};

/// The compiled state of `model`; throws strata::Error naming `op` when compile() was not called.
TrainingState& compiledState(layers::Model& model, const char* op);

/// Trainable variables of the model in weight order (layers with trainable=false excluded).
std::vector<Variable> trainableVariables(layers::Model& model);

/// Checks xs/ys against the model's inputs/outputs and losses (counts, batch sizes, shapes);
/// `op` names the caller in errors.
void checkData(layers::Model& model, const TrainingState& state, const std::vector<Tensor>& xs,
               const std::vector<Tensor>& ys, const char* op);

/// One forward pass on a batch: the total loss (with regularization when `training`) followed by
/// every logged value, each a float32 scalar. With `training`, gradients are applied.
/// `sampleWeights` is per output (undefined = none).
std::vector<Tensor> runBatch(layers::Model& model, TrainingState& state, const std::vector<Tensor>& xs,
                             const std::vector<Tensor>& ys, const std::vector<Tensor>& sampleWeights, bool training);

}  // namespace strata::train
