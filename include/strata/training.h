// Training a Layers model (tfjs-layers `compile`, `fit`, `evaluate`, `trainOnBatch`,
// `fitDataset`, callbacks and `History`). The methods live on LayersModel (models.h); this
// header holds their arguments and results. Implemented in src/train/.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "strata/losses.h"
#include "strata/optimizers.h"
#include "strata/tensor.h"

namespace strata {

class LayersModel;

/// An optimizer given by name ("adam"), by TF.js JSON, or as an object.
struct OptimizerSpec {
  OptimizerSpec() = default;
  OptimizerSpec(const char* name) : name(name) {}
  OptimizerSpec(std::string name) : name(std::move(name)) {}
  OptimizerSpec(OptimizerPtr optimizer) : optimizer(std::move(optimizer)) {}
  std::string name;
  OptimizerPtr optimizer;
};

/// A loss or metric given by name or as a function (`name` then labels it in logs).
struct LossSpec {
  LossSpec() = default;
  LossSpec(const char* name) : name(name) {}
  LossSpec(std::string name) : name(std::move(name)) {}
  LossSpec(std::string name, LossFn fn) : name(std::move(name)), fn(std::move(fn)) {}
  std::string name;
  LossFn fn;
};

struct CompileArgs {
  OptimizerSpec optimizer;
  /// One loss for every output, or one per output in output order.
  std::vector<LossSpec> loss;
  /// Per-output loss weights (default 1 each).
  std::vector<float> lossWeights;
  /// Metrics for every output ("accuracy", "precision", loss names or functions).
  std::vector<LossSpec> metrics;
};

/// Values of the current batch or epoch by name: "loss", "acc", "val_loss", ...
using Logs = std::map<std::string, double>;

/// What fit() returns (TF.js `History`): the epochs run and each logged value per epoch.
struct History {
  std::vector<int> epoch;
  std::map<std::string, std::vector<double>> history;
  /// The loss of every training batch in order, computed before that batch's update.
  std::vector<double> batchLoss;
  /// {"epoch": [...], "history": {...}, "batchLoss": [...]} (the `strata fit --history` file).
  nlohmann::json toJson() const;
};

/// Hooks called by fit(). `model` is set before onTrainBegin. Set `model->stopTraining()` to
/// end training after the current epoch.
class Callback {
 public:
  virtual ~Callback() = default;
  virtual void onTrainBegin(Logs& logs) {}
  virtual void onTrainEnd(Logs& logs) {}
  virtual void onEpochBegin(int epoch, Logs& logs) {}
  virtual void onEpochEnd(int epoch, Logs& logs) {}
  virtual void onBatchBegin(int batch, Logs& logs) {}
  virtual void onBatchEnd(int batch, Logs& logs) {}
  LayersModel* model = nullptr;
};
using CallbackPtr = std::shared_ptr<Callback>;

struct EarlyStoppingArgs {
  std::string monitor = "val_loss";
  double minDelta = 0;
  int patience = 0;
  std::string mode = "auto";  ///< "min", "max" or "auto" (max for accuracy-like names)
  std::optional<double> baseline;
  bool restoreBestWeights = false;
};
/// Stops training when `monitor` has not improved by minDelta for `patience` epochs.
CallbackPtr earlyStopping(const EarlyStoppingArgs& args = {});

struct ModelCheckpointArgs {
  std::string monitor = "val_loss";
  bool saveBestOnly = true;
  std::string mode = "auto";
};
/// Saves the model to `dir` (TF.js format) at the end of each epoch that improves `monitor`
/// (every epoch when saveBestOnly is false).
CallbackPtr modelCheckpoint(const std::string& dir, const ModelCheckpointArgs& args = {});

/// Writes the history after every epoch: CSV when `path` ends in .csv, else JSON (History::toJson).
CallbackPtr historyLogger(const std::string& path);

/// A callback from functions (TF.js `CustomCallback`); unset hooks do nothing.
struct LambdaCallbackArgs {
  std::function<void(Logs&)> onTrainBegin, onTrainEnd;
  std::function<void(int, Logs&)> onEpochBegin, onEpochEnd, onBatchBegin, onBatchEnd;
};
CallbackPtr lambdaCallback(LambdaCallbackArgs args);

/// Inputs and targets of one batch (or of a validation set), one tensor per model input/output.
struct Batch {
  std::vector<Tensor> xs, ys;
};

struct FitArgs {
  int epochs = 1;
  int batchSize = 32;
  bool shuffle = true;
  /// Fraction of the samples, taken from the end before shuffling, used for validation.
  float validationSplit = 0;
  /// Validation inputs and targets (overrides validationSplit).
  std::optional<Batch> validationData;
  int initialEpoch = 0;
  /// Per-class loss weights (class index -> weight), for one-hot or sparse targets.
  std::map<int, float> classWeight;
  /// Per-sample loss weights, shape [samples].
  Tensor sampleWeight;
  std::vector<CallbackPtr> callbacks;
  /// 0 silent, 1 progress bar with ETA, 2 one line per epoch.
  int verbose = 1;
  /// Seeds the shuffling (and nothing else); without it each fit shuffles differently.
  std::optional<uint64_t> seed;
};

struct EvaluateArgs {
  int batchSize = 32;
  int verbose = 0;
  Tensor sampleWeight;
};

/// A source of batches for fitDataset: each call to `makeIterator` starts one pass; the
/// iterator returns std::nullopt at the end of the pass.
using BatchIterator = std::function<std::optional<Batch>()>;

struct FitDatasetArgs {
  int epochs = 1;
  /// Batches per epoch; 0 = until the iterator ends (a new iterator is made each epoch).
  int batchesPerEpoch = 0;
  std::optional<Batch> validationData;
  int initialEpoch = 0;
  std::vector<CallbackPtr> callbacks;
  int verbose = 1;
};

}  // namespace strata
