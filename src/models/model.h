// The model graph: a Keras functional or Sequential model built from its config, whose layers
// are created through the registry and built with symbolic shapes at construction. A model is a
// layer, so models nest.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "strata/layer.h"

namespace strata::train {
struct TrainingState;  // src/train/training_state.h: optimizer, losses, metrics after compile()
}

namespace strata::layers {

/// One tensor in the graph: output `tensor` of call `node` of layer `layer` (indices).
struct TensorRef {
  int layer = 0;
  int node = 0;
  int tensor = 0;
  bool operator<(const TensorRef& o) const {
    return std::tie(layer, node, tensor) < std::tie(o.layer, o.node, o.tensor);
  }
};

/// One call of a layer inside the model.
struct Node {
  int layer = 0;
  int index = 0;  ///< which call of that layer (Keras node index)
  std::vector<TensorRef> inputs;
  Json kwargs = Json::object();
  std::vector<SymShape> outputShapes;
};

/// InputLayer: a placeholder the model feeds; it has no call.
class InputLayer : public Layer {
 public:
  explicit InputLayer(const Json& config);
  std::vector<SymShape> outputShapes(const std::vector<SymShape>&) const override { return {batchShape}; }
  std::vector<Tensor> call(const std::vector<Tensor>& inputs, const CallArgs&) override { return inputs; }
  SymShape batchShape;
  DType dtype = DType::float32;
};

class PredictGraphs;

class Model : public Layer {
 public:
  /// Builds from a Keras model config (`class_name` Sequential, Model or Functional).
  /// `context` (e.g. the file name) prefixes every error.
  Model(const std::string& className, const Json& config, const std::string& context);

  std::vector<SymShape> outputShapes(const std::vector<SymShape>& inputShapes) const override;
  std::vector<Tensor> call(const std::vector<Tensor>& inputs, const CallArgs& args) override;
  std::vector<Weight*> allWeights() override;

  /// Runs the graph on concrete inputs after checking their count and shapes.
  std::vector<Tensor> predictBatch(const std::vector<Tensor>& inputs, bool training = false);

  /// Inference runs Conv+BatchNorm(+ReLU) chains as fused convolutions with folded weights.
  bool fuseForInference = true;
  /// Captured forward passes (predict_graph.h), created on first use.
  PredictGraphs& predictGraphs();
  /// Set by compile(); null until then.
  std::shared_ptr<train::TrainingState> training;

  std::vector<std::unique_ptr<Layer>> layers;
  std::vector<Node> nodes;  ///< topological order
  std::vector<TensorRef> inputs, outputs;
  std::vector<std::string> inputNames() const;
  std::vector<SymShape> inputShapes() const;
  std::vector<SymShape> outputShapesOfModel() const;
  Layer* findLayer(const std::string& name) const;
  bool isSequential() const { return sequential_; }
  /// The model's Keras config, regenerated from the graph (Keras 2 list form for inbound nodes).
  Json toConfig() const;

  // Builder API hooks (st::sequential / LayersModel::add, src/models/model_builder.cpp).
  /// An empty Sequential model named `name` (a default name when empty); appendSequential() fills it.
  static std::shared_ptr<Model> emptySequential(const std::string& name);
  /// Appends `layer` to this Sequential model and builds it on the current output shape; the first
  /// layer's declared input shape (or an InputLayer) makes the model's input. On error (naming
  /// `context` and the layer) the model is unchanged.
  void appendSequential(std::unique_ptr<Layer> layer, const std::string& context);

 private:
  explicit Model(const Json& ownConfig);  // empty Sequential (emptySequential)
  void buildSequential(const Json& config, const std::string& context);
  void buildFunctional(const Json& config, const std::string& context);
  void inferShapes(const std::string& context);
  SymShape shapeOf(const TensorRef& r) const;
  int layerIndex(const std::string& name, const std::string& context) const;
  bool sequential_ = false;
  std::shared_ptr<struct InferencePlan> plan_;
  std::shared_ptr<PredictGraphs> graphs_;
  std::map<std::string, int> layerByName_;           // name -> index in layers
  std::map<std::pair<int, int>, int> nodeByCall_;    // (layer, call index) -> index in nodes
};

}  // namespace strata::layers
