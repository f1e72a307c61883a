// Layers (public API for writing and inspecting layers): the base class every Keras layer class
// derives from, the config reader that turns Keras JSON into typed values with errors naming the
// layer and the JSON path, and the registry of layer classes by Keras class_name. Layers call ops.
#pragma once

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "strata/ops.h"
#include "strata/tensor.h"

namespace strata::layers {

using Json = nlohmann::json;

/// A symbolic shape: -1 marks an unknown extent (the batch, a variable time axis).
using SymShape = Shape;

/// Reads a layer's Keras config. Every error names the layer, its class and the key.
class Config {
 public:
  Config(const Json& json, std::string layerName, std::string className)
      : json_(json), layer_(std::move(layerName)), cls_(std::move(className)) {}
  bool has(const char* key) const { return json_.contains(key) && !json_[key].is_null(); }
  const Json& raw(const char* key) const;
  const Json& json() const { return json_; }
  int getInt(const char* key) const;
  int getInt(const char* key, int fallback) const { return has(key) ? getInt(key) : fallback; }
  float getFloat(const char* key) const;
  float getFloat(const char* key, float fallback) const { return has(key) ? getFloat(key) : fallback; }
  bool getBool(const char* key, bool fallback) const;
  std::string getString(const char* key) const;
  std::string getString(const char* key, const std::string& fallback) const {
    return has(key) ? getString(key) : fallback;
  }
  /// An int or a list of ints; an int n becomes {n, n, ...} of length `n` ("kernel_size": 3).
  std::vector<int> getInts(const char* key, size_t n) const;
  std::vector<int> getInts(const char* key, size_t n, std::vector<int> fallback) const {
    return has(key) ? getInts(key, n) : fallback;
  }
  /// A shape with null entries as -1.
  SymShape getShape(const char* key) const;
  /// "layer 'dense_1' (Dense): config.units ..." prefix for errors.
  std::string where(const char* key) const;
  const std::string& layerName() const { return layer_; }
  const std::string& className() const { return cls_; }

 private:
  const Json& json_;
  std::string layer_, cls_;
};

/// What call() receives besides its inputs.
struct CallArgs {
  bool training = false;
  /// One mask per input (undefined Tensor = no mask): bool [batch, time] for sequence layers.
  std::vector<Tensor> masks;
  /// Keyword arguments the model's graph recorded for this call (Keras inbound-node kwargs).
  Json kwargs = Json::object();
};

/// One weight of a layer: its short name ("kernel"), the variable, and whether it trains.
struct Weight {
  std::string name;
  Variable value;
  bool trainable = true;
};

/// A Keras layer. Subclasses read their config in the constructor, create weights in build()
/// and compute in call(). Weight names and order follow Keras/TF.js exactly (they are how
/// weights are matched on load and written on save).
class Layer {
 public:
  Layer(const Json& config, std::string className);
  virtual ~Layer();
  Layer(const Layer&) = delete;
  Layer& operator=(const Layer&) = delete;

  const std::string& name() const { return name_; }
  const std::string& className() const { return className_; }
  bool trainable() const { return trainable_; }
  void setTrainable(bool t) { trainable_ = t; }
  /// The Keras config as loaded (written back unchanged on save, apart from `name`).
  const Json& config() const { return config_; }
  Json& mutableConfig() { return config_; }

  /// Creates the weights for these input shapes. Called once, before the first call().
  virtual void build(const std::vector<SymShape>& inputShapes) {}
  /// Output shapes for these input shapes (symbolic).
  virtual std::vector<SymShape> outputShapes(const std::vector<SymShape>& inputShapes) const = 0;
  /// The computation. Inputs are validated against the shapes given to build().
  virtual std::vector<Tensor> call(const std::vector<Tensor>& inputs, const CallArgs& args) = 0;
  /// The output mask: by default the first input's mask if the layer supports masking, else none.
  virtual Tensor computeMask(const std::vector<Tensor>& inputs, const std::vector<Tensor>& masks) const;
  virtual bool supportsMasking() const { return false; }

  bool built() const { return built_; }
  void ensureBuilt(const std::vector<SymShape>& inputShapes);

  /// Weights in Keras order. Nested models return all their layers' weights.
  virtual std::vector<Weight*> allWeights();
  std::vector<Weight>& ownWeights() { return weights_; }
  /// Count of scalars in all weights.
  int64_t countParams();

  /// "layer 'conv1' (Conv2D)" for error messages.
  std::string describe() const;

 protected:
  /// Adds a weight (initialized to zeros until loaded or initialized by training code).
  Variable& addWeight(const std::string& name, const Shape& shape, bool trainable = true);
  Config cfg() const { return Config(config_, name_, className_); }

  std::string name_, className_;
  Json config_;
  bool trainable_ = true;
  bool built_ = false;
  std::vector<Weight> weights_;
};

/// Builds a layer from its Keras class name and config.
using LayerFactory = std::function<std::unique_ptr<Layer>(const Json& config)>;
void registerLayer(const std::string& className, LayerFactory factory);
/// Throws strata::Error naming the class (and `context`, e.g. the model file) if unknown.
std::unique_ptr<Layer> createLayer(const std::string& className, const Json& config, const std::string& context);
std::vector<std::string> registeredLayerClasses();

/// Registers layer classes at static initialization: `static LayerRegistrar r{{"Dense", make<Dense>}};`
struct LayerRegistrar {
  LayerRegistrar(std::initializer_list<std::pair<const char*, LayerFactory>> entries) {
    for (auto& [name, f] : entries) registerLayer(name, f);
  }
};
template <class L>
std::unique_ptr<Layer> make(const Json& config) {
  return std::make_unique<L>(config);
}

/// Throws unless `inputs` has exactly `n` tensors.
void expectInputs(const Layer& layer, const std::vector<Tensor>& inputs, size_t n);

}  // namespace strata::layers
