// Keras/TF.js Layers models: load, inspect, predict, save (TF.js `tf.loadLayersModel`,
// `model.predict`, `model.save`).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "strata/layer.h"
#include "strata/tensor.h"
#include "strata/training.h"

namespace strata {

namespace layers {
class Model;
class LayerSpec;  // strata/layers_api.h
}

struct PredictOptions {
  int batchSize = 32;  ///< inputs are split into batches of this size and outputs concatenated
  /// Run Conv2D/DepthwiseConv2D + BatchNormalization (+ ReLU/ReLU6) chains as one fused
  /// convolution with folded weights (results equal the unfused ones within float rounding).
  bool fuseOps = true;
  /// On a backend that captures work (cuda: CUDA graphs), a predict whose input shapes were
  /// seen before replays a recorded graph of the whole forward pass instead of launching each
  /// kernel (the first call of a shape runs eagerly, the second records). A weight change
  /// invalidates the graph. false always runs eagerly (as does STRATA_CUDA_GRAPHS=0).
  bool useGraphs = true;
};

/// A model's input or output as the graph declares it (-1 for unknown extents).
struct SymbolicTensor {
  std::string name;
  Shape shape;
  DType dtype = DType::float32;
};

/// A loaded (or built) Layers model. Copies share one model.
class LayersModel {
 public:
  LayersModel() = default;
  explicit LayersModel(std::shared_ptr<layers::Model> model);
  /// Appends a layer to a Sequential model (TF.js `model.add`; builders in strata/layers_api.h).
  /// The layer is built on the current output shape and its weights initialized; earlier layers
  /// keep theirs. Throws naming the layer if the model is not Sequential or is compiled, if the
  /// first layer declares no input shape, or if the name is taken.
  void add(const layers::LayerSpec& layer) const;

  const std::string& name() const;
  /// Predicts on one input (single-input models). Shapes are checked against the model's.
  Tensor predict(const Tensor& x, const PredictOptions& options = {}) const;
  /// One tensor per model input, in model order; returns one per output.
  std::vector<Tensor> predict(const std::vector<Tensor>& xs, const PredictOptions& options = {}) const;

  std::vector<SymbolicTensor> inputs() const;
  std::vector<SymbolicTensor> outputs() const;
  /// A Keras-like table: layer (type), output shape, parameters, connections; totals.
  std::string summary(int lineLength = 98) const;
  /// Throws strata::Error naming the model's layers if `name` is not one of them.
  layers::Layer& getLayer(const std::string& name) const;
  const std::vector<std::unique_ptr<layers::Layer>>& layers() const;
  /// Weights in TF.js order (trainable ones first, then the rest).
  std::vector<Tensor> getWeights() const;
  /// Same order and shapes as getWeights(); throws naming the first mismatch.
  void setWeights(const std::vector<Tensor>& weights) const;
  int64_t countParams() const;

  /// Writes DIR/model.json and weight shards of at most 4 MiB (group1-shardKofN.bin) that
  /// TF.js's loadLayersModel reads. Files are written under temporary names and renamed.
  void save(const std::string& dir) const;

  // ---- training (src/train/) ------------------------------------------------------------
  /// Sets the optimizer, losses and metrics (TF.js `compile`). Throws strata::Error for an
  /// unknown name or a loss count that does not match the outputs.
  void compile(const CompileArgs& args) const;
  /// Compiles from the model's `trainingConfig` (as loaded from model.json); throws if absent.
  void compileFromTrainingConfig() const;
  bool isCompiled() const;
  /// The `trainingConfig` as TF.js stores it in model.json (null when the model has none).
  nlohmann::json trainingConfig() const;
  /// Trains on x/y (one tensor per input and output). Returns the per-epoch history. If
  /// training fails (bad labels, NaN loss), the weights from before fit() are restored.
  History fit(const Tensor& x, const Tensor& y, const FitArgs& args = {}) const;
  History fit(const std::vector<Tensor>& xs, const std::vector<Tensor>& ys, const FitArgs& args = {}) const;
  /// Trains from batches produced by an iterator factory (TF.js `fitDataset`).
  History fitDataset(const std::function<BatchIterator()>& makeIterator, const FitDatasetArgs& args = {}) const;
  /// Loss and metrics over x/y in batches, by name ("loss", "acc", ...).
  Logs evaluate(const Tensor& x, const Tensor& y, const EvaluateArgs& args = {}) const;
  Logs evaluate(const std::vector<Tensor>& xs, const std::vector<Tensor>& ys, const EvaluateArgs& args = {}) const;
  /// One optimizer step on one batch; returns the loss and metrics computed before the step.
  Logs trainOnBatch(const std::vector<Tensor>& xs, const std::vector<Tensor>& ys) const;
  /// Names of the logged values in order: "loss", then per-output losses, then metrics.
  std::vector<std::string> metricsNames() const;
  OptimizerPtr optimizer() const;
  /// Asks a running fit() to stop after the current epoch (callbacks use this).
  void stopTraining() const;

  layers::Model& impl() const;

 private:
  std::shared_ptr<layers::Model> model_;
};

/// Loads `model.json` and its weight shards as TF.js writes them (quantized weights are
/// dequantized). Throws strata::Error naming the file and the JSON path or layer at fault.
LayersModel loadLayersModel(const std::string& path);

/// Same, from memory: the model.json text and the shard files by their manifest path.
LayersModel loadLayersModelFromMemory(const std::string& modelJson,
                                      const std::map<std::string, std::vector<uint8_t>>& shards,
                                      const std::string& context = "model.json");

}  // namespace strata
