// Internals of the C++ builder API (strata/layers_api.h): the recorded symbolic graph and the
// helpers the builder files (builders*.cpp) use to write Keras configs as TF.js writes them.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "strata/layers_api.h"

namespace strata::layers::detail {

/// One layer of the symbolic graph: what a LayerSpec (and its copies) refers to.
struct LayerState {
  std::string className;
  Json config;  ///< with "name"
  std::string name;
  /// The layer constructed from `config`: validates it once and gives output shapes for apply().
  /// It is never built, so it holds no weights.
  std::unique_ptr<Layer> probe;
  int calls = 0;  ///< how many nodes apply() has made (the next node's index)
};

/// One call of a layer (a Keras node): its inputs and symbolic outputs.
struct GraphNode {
  std::shared_ptr<LayerState> layer;
  int index = 0;  ///< which call of `layer`, in creation order
  std::vector<KerasTensor> inputs;
  std::vector<SymShape> outputShapes;
  std::vector<DType> outputDtypes;
};

// ---- writing configs ---------------------------------------------------------------------

/// "hardSigmoid" -> "hard_sigmoid", "channelsLast" -> "channels_last" (TF.js's toSnakeCase).
std::string toSnake(const std::string& s);
/// Object keys converted to snake_case, recursively (values untouched).
Json snakeKeys(const Json& j);
/// A shape as JSON, -1 as null.
Json shapeJson(const Shape& s);
/// `v` broadcast to `rank` entries (an int repeats); throws naming `who` and `field` otherwise.
Json intsJson(const Ints& v, size_t rank, const std::string& who, const char* field);

/// Keras JSON of an initializer/regularizer/constraint argument (names, partial JSON and null
/// handled as strata/layers_api.h says). `fallback` is the initializer used for null.
Json initializerJson(const ConfigArg& arg, const char* fallback, const std::string& who, const char* field);
Json regularizerJson(const ConfigArg& arg, const std::string& who, const char* field);
Json constraintJson(const ConfigArg& arg, const std::string& who, const char* field);

/// "st::layers::dense('fc1')" for messages.
std::string who(const char* builder, const std::string& name);

/// Adds the keys of TF.js's Layer.getConfig: name, trainable, and batch_input_shape + dtype when
/// an input shape is declared.
void addCommonKeys(Json& config, const ShapeArg& inputShape, const ShapeArg& batchInputShape,
                   std::optional<int64_t> batchSize, std::optional<DType> dtype, const std::string& name,
                   bool trainable, const std::string& who);

/// addCommonKeys, then the spec (constructing it validates the config).
template <class A>
LayerSpec finish(const char* builder, const char* className, Json config, const A& a) {
  const std::string w = who(builder, a.name);
  addCommonKeys(config, a.inputShape, a.batchInputShape, a.batchSize, a.dtype, a.name, a.trainable, w);
  return LayerSpec(className, std::move(config), w);
}

}  // namespace strata::layers::detail
