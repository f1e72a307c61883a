// Keras/TF.js Layers models: load, inspect, predict, save (TF.js `tf.loadLayersModel`,
// `model.predict`, `model.save`).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "strata/layer.h"
#include "strata/tensor.h"

namespace strata {

namespace layers {
class Model;
}

struct PredictOptions {
  int batchSize = 32;  ///< inputs are split into batches of this size and outputs concatenated
  /// Run Conv2D/DepthwiseConv2D + BatchNormalization (+ ReLU/ReLU6) chains as one fused
  /// convolution with folded weights (results equal the unfused ones within float rounding).
  bool fuseOps = true;
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
