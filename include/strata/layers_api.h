// Building models in C++ the way TF.js builds them (`tf.sequential`, `model.add`, `tf.layers.*`,
// `tf.input`, `tf.model`), with C++20 designated initializers for TF.js's argument objects:
//
//   namespace st = strata;
//   auto model = st::sequential({.name = "cnn"});
//   model.add(st::layers::conv2d({.filters = 32, .kernelSize = {3, 3}, .activation = "relu",
//                                 .inputShape = {28, 28, 1}}));
//   model.add(st::layers::maxPooling2d({.poolSize = {2, 2}}));
//   model.add(st::layers::flatten());
//   model.add(st::layers::dense({.units = 10, .activation = "softmax"}));
//
//   auto in = st::input({.shape = {784}});                      // functional models
//   auto h = st::layers::dense({.units = 32, .activation = "relu"}).apply(in);
//   auto out = st::layers::dense({.units = 10}).apply(h);
//   auto m = st::model({.inputs = {in}, .outputs = {out}, .name = "mlp"});
//
// A builder returns a LayerSpec: the Keras class name and the Keras config exactly as TF.js's
// model.json stores it (snake_case keys, TF.js's defaults written out, initializers,
// regularizers and constraints as {"class_name": ..., "config": {...}}). Models are then built
// from those configs by the same code that loads model.json, and save() writes them back.
//
// Arguments: field names are TF.js's (camelCase). Designated initializers must follow the
// declaration order, which is TF.js's documentation order: the layer's own fields first, then
// the fields every layer has (STRATA_LAYER_COMMON_ARGS: inputShape, batchInputShape, batchSize,
// dtype, name, trainable). Strings that TF.js spells in camelCase ("hardSigmoid",
// "channelsLast", "glorotUniform") may also be given in Keras's snake_case.
//
// Validation happens when the builder runs, by constructing the layer: a bad argument (units <= 0,
// an unknown activation) throws strata::Error naming the builder, the layer and the config key.
// Layers get unique Keras-style default names ("dense", "dense_1", ...) when `name` is empty.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "strata/dtype.h"
#include "strata/layer.h"
#include "strata/models.h"

namespace strata {

// ---- argument vocabulary -------------------------------------------------------------------

/// One integer or a list of them (TF.js `number | number[]`): `.kernelSize = 3` or `= {3, 3}`.
/// Empty means "not given" (the layer's default applies).
struct Ints {
  Ints() = default;
  Ints(int v) : values{v} {}
  Ints(std::initializer_list<int> v) : values(v) {}
  Ints(std::vector<int> v) : values(std::move(v)) {}
  bool empty() const { return values.empty(); }
  std::vector<int> values;
};

/// A shape argument: `.inputShape = {28, 28, 1}`; -1 marks an unknown extent (TF.js null).
/// Default-constructed means "not given".
struct ShapeArg {
  ShapeArg() = default;
  ShapeArg(std::initializer_list<int64_t> dims) : value(Shape(dims)) {}
  ShapeArg(Shape dims) : value(std::move(dims)) {}
  bool given() const { return value.has_value(); }
  std::optional<Shape> value;
};

/// 2-D padding or cropping (ZeroPadding2D, Cropping2D): `1` (all sides), `{1, 2}` (symmetric
/// rows, cols) or `{{top, bottom}, {left, right}}`.
struct Padding2D {
  Padding2D() = default;
  Padding2D(int all) : values{{all, all}, {all, all}} {}
  Padding2D(std::initializer_list<int> rowsCols);
  Padding2D(std::initializer_list<std::initializer_list<int>> pairs);
  bool empty() const { return values.empty(); }
  std::vector<std::vector<int>> values;
};

/// An initializer, regularizer or constraint: a name ("glorotUniform", "l2", "maxNorm"), its
/// Keras JSON ({"class_name": "RandomNormal", "config": {"stddev": 0.1}}: missing config
/// fields get TF.js's defaults), or nothing (null: the layer's default initializer, no
/// regularizer, no constraint).
struct ConfigArg {
  ConfigArg() = default;
  ConfigArg(const char* name) : value(name) {}
  ConfigArg(std::string name) : value(std::move(name)) {}
  ConfigArg(layers::Json json) : value(std::move(json)) {}
  layers::Json value;
};
using Initializer = ConfigArg;
using Regularizer = ConfigArg;
using Constraint = ConfigArg;

/// Initializer JSON by TF.js name ("zeros", "ones", "constant", "randomNormal",
/// "randomUniform", "truncatedNormal", "varianceScaling", "glorotNormal", "glorotUniform",
/// "heNormal", "heUniform", "leCunNormal", "leCunUniform", "orthogonal", "identity") with
/// parameters overriding TF.js's defaults: `st::initializer("randomNormal", {{"stddev", 0.1},
/// {"seed", 7}})`. Glorot/He/LeCun are written as VarianceScaling, as TF.js writes them.
layers::Json initializer(const std::string& name, const layers::Json& params = layers::Json::object());

/// Weight regularizers (TF.js `tf.regularizers.l1/l2/l1l2`), as TF.js serializes them: L1L2.
layers::Json l1(double l1 = 0.01);
layers::Json l2(double l2 = 0.01);
layers::Json l1l2(double l1 = 0.01, double l2 = 0.01);

/// Weight constraints (TF.js `tf.constraints.*`).
struct MaxNormArgs {
  double maxValue = 2;
  int axis = 0;
};
layers::Json maxNorm(const MaxNormArgs& args = {});
struct MinMaxNormArgs {
  double minValue = 0;
  double maxValue = 1;
  double rate = 1;
  int axis = 0;
};
layers::Json minMaxNorm(const MinMaxNormArgs& args = {});
layers::Json nonNeg();
struct UnitNormArgs {
  int axis = 0;
};
layers::Json unitNorm(const UnitNormArgs& args = {});

// ---- symbolic graph ------------------------------------------------------------------------

namespace layers {
namespace detail {
struct LayerState;  // src/layers/builders.h
struct GraphNode;
}  // namespace detail

/// A symbolic tensor of a functional model under construction (TF.js `SymbolicTensor`, Keras
/// `KerasTensor`; strata::SymbolicTensor is the plain descriptor of a built model's inputs).
/// Made by st::input() and LayerSpec::apply(); it records which call of which layer produced it.
class KerasTensor {
 public:
  KerasTensor() = default;
  bool defined() const { return node_ != nullptr; }
  /// The symbolic shape, batch first; -1 for unknown extents.
  const Shape& shape() const;
  DType dtype() const;
  /// The producing layer's name, which call of it (node) and which of its outputs.
  const std::string& layerName() const;
  int nodeIndex() const;
  int outputIndex() const { return index_; }
  /// "dense_1/0:0" style (layer/node:output), for messages.
  std::string name() const;

  const std::shared_ptr<const detail::GraphNode>& node() const { return node_; }
  KerasTensor(std::shared_ptr<const detail::GraphNode> node, int index) : node_(std::move(node)), index_(index) {}

 private:
  std::shared_ptr<const detail::GraphNode> node_;
  int index_ = 0;
};

/// A layer to add to a model: its Keras class name and config. Copies are the same layer: a
/// spec applied twice in a functional model is one layer (shared weights) with two nodes. Each
/// model built from a spec makes its own layer object (weights are not shared across models).
class LayerSpec {
 public:
  LayerSpec() = default;
  /// Any registered Keras class with its config (keys in snake_case; camelCase keys are
  /// converted). Constructs the layer once to validate it; throws naming `context` and the layer.
  LayerSpec(const std::string& className, Json config, const std::string& context = "");

  bool defined() const { return state_ != nullptr; }
  const std::string& className() const;
  const std::string& name() const;
  /// The Keras config as model.json stores it (with `name`).
  const Json& config() const;
  /// {"class_name": ..., "config": ...}
  Json toJson() const;

  /// Calls the layer on symbolic inputs (TF.js `layer.apply`), returning its single output.
  KerasTensor apply(const KerasTensor& input) const;
  /// Several inputs (merge layers, RNN initial states): `add.apply({a, b})`.
  KerasTensor apply(const std::vector<KerasTensor>& inputs) const;
  /// Every output, for layers with several (an RNN with returnState, Bidirectional with
  /// mergeMode null).
  std::vector<KerasTensor> applyMulti(const std::vector<KerasTensor>& inputs) const;

  const std::shared_ptr<detail::LayerState>& state() const { return state_; }

 private:
  std::shared_ptr<detail::LayerState> state_;
};

// ---- layer arguments -----------------------------------------------------------------------

/// The fields every layer's arguments end with (TF.js LayerArgs):
///  - inputShape: the input shape without the batch axis; the first layer of a Sequential model
///    needs it (or batchInputShape). Written as batch_input_shape [batchSize or null, ...].
///  - batchInputShape: the full input shape, batch first (wins over inputShape).
///  - batchSize: the batch extent used with inputShape (unknown when absent).
///  - dtype: the input dtype declared with an input shape (float32 when absent).
///  - name: unique within a model; a Keras-style default ("dense_2") when empty.
///  - trainable: false freezes the layer's weights.
#define STRATA_LAYER_COMMON_ARGS          \
  ::strata::ShapeArg inputShape{};        \
  ::strata::ShapeArg batchInputShape{};   \
  std::optional<int64_t> batchSize{};     \
  std::optional<::strata::DType> dtype{}; \
  std::string name{};                     \
  bool trainable = true;

/// Layers that have only the common fields (Flatten, GlobalPooling1D, the merge layers).
struct LayerArgs {
  STRATA_LAYER_COMMON_ARGS
};

struct InputLayerArgs {
  bool sparse = false;
  STRATA_LAYER_COMMON_ARGS
};

struct DenseArgs {
  int units = 0;
  std::string activation = "linear";
  bool useBias = true;
  Initializer kernelInitializer = "glorotNormal";  ///< TF.js's default (Keras uses glorotUniform)
  Initializer biasInitializer = "zeros";
  Regularizer kernelRegularizer{};
  Regularizer biasRegularizer{};
  Regularizer activityRegularizer{};
  Constraint kernelConstraint{};
  Constraint biasConstraint{};
  std::optional<int64_t> inputDim{};  ///< shorthand for inputShape {inputDim}
  STRATA_LAYER_COMMON_ARGS
};

/// Conv1D, Conv2D and Conv2DTranspose (ints broadcast to the rank: `.kernelSize = 3`).
struct ConvArgs {
  int filters = 0;
  Ints kernelSize{};
  Ints strides = 1;
  std::string padding = "valid";  ///< "valid", "same" or "causal"
  std::string dataFormat = "channelsLast";
  Ints dilationRate = 1;  ///< not written for Conv2DTranspose (TF.js ignores it there)
  std::string activation = "linear";
  bool useBias = true;
  Initializer kernelInitializer = "glorotNormal";
  Initializer biasInitializer = "zeros";
  Regularizer kernelRegularizer{};
  Regularizer biasRegularizer{};
  Regularizer activityRegularizer{};
  Constraint kernelConstraint{};
  Constraint biasConstraint{};
  STRATA_LAYER_COMMON_ARGS
};
using Conv1DArgs = ConvArgs;
using Conv2DArgs = ConvArgs;
using Conv2DTransposeArgs = ConvArgs;

struct DepthwiseConv2DArgs {
  Ints kernelSize{};
  int depthMultiplier = 1;
  Ints strides = 1;
  std::string padding = "valid";
  std::string dataFormat = "channelsLast";
  Ints dilationRate = 1;
  std::string activation = "linear";
  bool useBias = true;
  Initializer depthwiseInitializer = "glorotNormal";
  Initializer biasInitializer = "zeros";
  Regularizer depthwiseRegularizer{};
  Regularizer biasRegularizer{};
  Regularizer activityRegularizer{};
  Constraint depthwiseConstraint{};
  Constraint biasConstraint{};
  STRATA_LAYER_COMMON_ARGS
};

struct SeparableConv2DArgs {
  int filters = 0;
  Ints kernelSize{};
  /// Written only when not 1: TF.js's config omits it (and would reload it as 1).
  int depthMultiplier = 1;
  Ints strides = 1;
  std::string padding = "valid";
  std::string dataFormat = "channelsLast";
  Ints dilationRate = 1;
  std::string activation = "linear";
  bool useBias = true;
  Initializer depthwiseInitializer = "glorotUniform";
  Initializer pointwiseInitializer = "glorotUniform";
  Initializer biasInitializer = "zeros";
  Regularizer depthwiseRegularizer{};
  Regularizer pointwiseRegularizer{};
  Regularizer biasRegularizer{};
  Regularizer activityRegularizer{};
  Constraint depthwiseConstraint{};
  Constraint pointwiseConstraint{};
  Constraint biasConstraint{};
  STRATA_LAYER_COMMON_ARGS
};

struct Pooling1DArgs {
  Ints poolSize = 2;
  Ints strides{};  ///< default: poolSize
  std::string padding = "valid";
  STRATA_LAYER_COMMON_ARGS
};

struct Pooling2DArgs {
  Ints poolSize = 2;
  Ints strides{};  ///< default: poolSize
  std::string padding = "valid";
  std::string dataFormat = "channelsLast";
  STRATA_LAYER_COMMON_ARGS
};

struct GlobalPooling2DArgs {
  std::string dataFormat = "channelsLast";
  STRATA_LAYER_COMMON_ARGS
};

struct ReshapeArgs {
  Shape targetShape{};  ///< -1 for the one inferred extent
  STRATA_LAYER_COMMON_ARGS
};

struct PermuteArgs {
  std::vector<int> dims{};  ///< 1-based, batch excluded (Keras)
  STRATA_LAYER_COMMON_ARGS
};

struct RepeatVectorArgs {
  int n = 0;
  STRATA_LAYER_COMMON_ARGS
};

struct DropoutArgs {
  double rate = 0;
  ShapeArg noiseShape{};
  std::optional<int64_t> seed{};
  STRATA_LAYER_COMMON_ARGS
};

/// SpatialDropout1D and SpatialDropout2D (dataFormat is written for 2D only).
struct SpatialDropoutArgs {
  double rate = 0;
  std::optional<int64_t> seed{};
  std::string dataFormat = "channelsLast";
  STRATA_LAYER_COMMON_ARGS
};

/// TF.js has no seed for these layers (Keras 3 has): it is written only when given.
struct GaussianNoiseArgs {
  double stddev = 0;
  std::optional<int64_t> seed{};
  STRATA_LAYER_COMMON_ARGS
};
struct GaussianDropoutArgs {
  double rate = 0;
  std::optional<int64_t> seed{};
  STRATA_LAYER_COMMON_ARGS
};
using AlphaDropoutArgs = GaussianDropoutArgs;

struct ActivationArgs {
  std::string activation = "linear";
  STRATA_LAYER_COMMON_ARGS
};

struct BatchNormalizationArgs {
  int axis = -1;
  double momentum = 0.99;
  double epsilon = 1e-3;
  bool center = true;
  bool scale = true;
  Initializer betaInitializer = "zeros";
  Initializer gammaInitializer = "ones";
  Initializer movingMeanInitializer = "zeros";
  Initializer movingVarianceInitializer = "ones";
  Regularizer betaRegularizer{};
  Regularizer gammaRegularizer{};
  Constraint betaConstraint{};
  Constraint gammaConstraint{};
  STRATA_LAYER_COMMON_ARGS
};

struct LayerNormalizationArgs {
  Ints axis = -1;
  double epsilon = 1e-3;
  bool center = true;
  bool scale = true;
  Initializer betaInitializer = "zeros";
  Initializer gammaInitializer = "ones";
  Regularizer betaRegularizer{};
  Regularizer gammaRegularizer{};
  STRATA_LAYER_COMMON_ARGS
};

/// Without an input shape, Embedding declares batch_input_shape [null, inputLength] (as TF.js
/// does), so it can start a Sequential model.
struct EmbeddingArgs {
  int inputDim = 0;
  int outputDim = 0;
  Initializer embeddingsInitializer = "randomUniform";
  Regularizer embeddingsRegularizer{};
  Regularizer activityRegularizer{};
  Constraint embeddingsConstraint{};
  std::optional<bool> maskZero{};  ///< null (false) unless given, as TF.js writes it
  std::optional<int64_t> inputLength{};
  STRATA_LAYER_COMMON_ARGS
};

struct SimpleRNNArgs {
  int units = 0;
  std::string activation = "tanh";
  bool useBias = true;
  Initializer kernelInitializer = "glorotNormal";
  Initializer recurrentInitializer = "orthogonal";
  Initializer biasInitializer = "zeros";
  Regularizer kernelRegularizer{};
  Regularizer recurrentRegularizer{};
  Regularizer biasRegularizer{};
  Regularizer activityRegularizer{};
  Constraint kernelConstraint{};
  Constraint recurrentConstraint{};
  Constraint biasConstraint{};
  double dropout = 0;
  double recurrentDropout = 0;
  bool returnSequences = false;
  bool returnState = false;
  bool goBackwards = false;
  bool stateful = false;
  bool unroll = false;
  STRATA_LAYER_COMMON_ARGS
};

struct LSTMArgs {
  int units = 0;
  std::string activation = "tanh";
  std::string recurrentActivation = "hardSigmoid";
  bool useBias = true;
  Initializer kernelInitializer = "glorotNormal";
  Initializer recurrentInitializer = "orthogonal";
  Initializer biasInitializer = "zeros";
  std::optional<bool> unitForgetBias{};
  Regularizer kernelRegularizer{};
  Regularizer recurrentRegularizer{};
  Regularizer biasRegularizer{};
  Regularizer activityRegularizer{};
  Constraint kernelConstraint{};
  Constraint recurrentConstraint{};
  Constraint biasConstraint{};
  double dropout = 0;
  double recurrentDropout = 0;
  std::optional<int> implementation{};
  bool returnSequences = false;
  bool returnState = false;
  bool goBackwards = false;
  bool stateful = false;
  bool unroll = false;
  STRATA_LAYER_COMMON_ARGS
};

struct GRUArgs {
  int units = 0;
  std::string activation = "tanh";
  std::string recurrentActivation = "hardSigmoid";
  bool useBias = true;
  Initializer kernelInitializer = "glorotNormal";
  Initializer recurrentInitializer = "orthogonal";
  Initializer biasInitializer = "zeros";
  Regularizer kernelRegularizer{};
  Regularizer recurrentRegularizer{};
  Regularizer biasRegularizer{};
  Regularizer activityRegularizer{};
  Constraint kernelConstraint{};
  Constraint recurrentConstraint{};
  Constraint biasConstraint{};
  double dropout = 0;
  double recurrentDropout = 0;
  std::optional<int> implementation{};
  bool resetAfter = false;  ///< Keras's reset_after (TF.js 4.22 refuses true; Strata runs it)
  bool returnSequences = false;
  bool returnState = false;
  bool goBackwards = false;
  bool stateful = false;
  bool unroll = false;
  STRATA_LAYER_COMMON_ARGS
};

struct BidirectionalArgs {
  LayerSpec layer{};  ///< a recurrent layer spec
  /// "concat", "sum", "mul", "ave", or nullopt for the two outputs unmerged.
  std::optional<std::string> mergeMode = "concat";
  STRATA_LAYER_COMMON_ARGS
};

struct TimeDistributedArgs {
  LayerSpec layer{};
  STRATA_LAYER_COMMON_ARGS
};

struct ConcatenateArgs {
  int axis = -1;
  STRATA_LAYER_COMMON_ARGS
};

struct DotArgs {
  Ints axes{};  ///< one axis for both inputs or one per input
  bool normalize = false;
  STRATA_LAYER_COMMON_ARGS
};

struct ZeroPadding2DArgs {
  Padding2D padding = 1;
  std::string dataFormat = "channelsLast";
  STRATA_LAYER_COMMON_ARGS
};

struct Cropping2DArgs {
  Padding2D cropping{};
  std::string dataFormat = "channelsLast";
  STRATA_LAYER_COMMON_ARGS
};

struct UpSampling2DArgs {
  Ints size = {2, 2};
  std::string dataFormat = "channelsLast";
  std::string interpolation = "nearest";  ///< or "bilinear"
  STRATA_LAYER_COMMON_ARGS
};

struct ReLUArgs {
  std::optional<double> maxValue{};
  STRATA_LAYER_COMMON_ARGS
};
struct LeakyReLUArgs {
  double alpha = 0.3;
  STRATA_LAYER_COMMON_ARGS
};
struct PReLUArgs {
  Initializer alphaInitializer = "zeros";
  Regularizer alphaRegularizer{};
  Constraint alphaConstraint{};
  std::vector<int> sharedAxes{};  ///< axes sharing one alpha (1-based); empty = none (null)
  STRATA_LAYER_COMMON_ARGS
};
struct ELUArgs {
  double alpha = 1;
  STRATA_LAYER_COMMON_ARGS
};
struct ThresholdedReLUArgs {
  double theta = 1;
  STRATA_LAYER_COMMON_ARGS
};
/// TF.js's Softmax layer defaults to axis 1 (Keras: -1); both are the last axis for 2-D inputs.
struct SoftmaxArgs {
  Ints axis = 1;
  STRATA_LAYER_COMMON_ARGS
};
struct MaskingArgs {
  double maskValue = 0;
  STRATA_LAYER_COMMON_ARGS
};

// ---- builders (TF.js tf.layers.*) ----------------------------------------------------------

LayerSpec inputLayer(const InputLayerArgs& args);
LayerSpec dense(const DenseArgs& args);
LayerSpec conv1d(const ConvArgs& args);
LayerSpec conv2d(const ConvArgs& args);
LayerSpec conv2dTranspose(const ConvArgs& args);
LayerSpec depthwiseConv2d(const DepthwiseConv2DArgs& args);
LayerSpec separableConv2d(const SeparableConv2DArgs& args);
LayerSpec maxPooling1d(const Pooling1DArgs& args = {});
LayerSpec averagePooling1d(const Pooling1DArgs& args = {});
LayerSpec maxPooling2d(const Pooling2DArgs& args = {});
LayerSpec averagePooling2d(const Pooling2DArgs& args = {});
LayerSpec globalAveragePooling1d(const LayerArgs& args = {});
LayerSpec globalMaxPooling1d(const LayerArgs& args = {});
LayerSpec globalAveragePooling2d(const GlobalPooling2DArgs& args = {});
LayerSpec globalMaxPooling2d(const GlobalPooling2DArgs& args = {});
LayerSpec flatten(const LayerArgs& args = {});
LayerSpec reshape(const ReshapeArgs& args);
LayerSpec permute(const PermuteArgs& args);
LayerSpec repeatVector(const RepeatVectorArgs& args);
LayerSpec dropout(const DropoutArgs& args);
LayerSpec spatialDropout1d(const SpatialDropoutArgs& args);
LayerSpec spatialDropout2d(const SpatialDropoutArgs& args);
LayerSpec gaussianNoise(const GaussianNoiseArgs& args);
LayerSpec gaussianDropout(const GaussianDropoutArgs& args);
LayerSpec alphaDropout(const AlphaDropoutArgs& args);
LayerSpec activation(const ActivationArgs& args);
LayerSpec batchNormalization(const BatchNormalizationArgs& args = {});
LayerSpec layerNormalization(const LayerNormalizationArgs& args = {});
LayerSpec embedding(const EmbeddingArgs& args);
LayerSpec simpleRNN(const SimpleRNNArgs& args);
LayerSpec lstm(const LSTMArgs& args);
LayerSpec gru(const GRUArgs& args);
LayerSpec bidirectional(const BidirectionalArgs& args);
LayerSpec timeDistributed(const TimeDistributedArgs& args);
LayerSpec add(const LayerArgs& args = {});
LayerSpec subtract(const LayerArgs& args = {});
LayerSpec multiply(const LayerArgs& args = {});
LayerSpec average(const LayerArgs& args = {});
LayerSpec maximum(const LayerArgs& args = {});
LayerSpec minimum(const LayerArgs& args = {});
LayerSpec concatenate(const ConcatenateArgs& args = {});
LayerSpec dot(const DotArgs& args);
LayerSpec zeroPadding2d(const ZeroPadding2DArgs& args = {});
LayerSpec cropping2d(const Cropping2DArgs& args);
LayerSpec upSampling2d(const UpSampling2DArgs& args = {});
LayerSpec reLU(const ReLUArgs& args = {});
LayerSpec leakyReLU(const LeakyReLUArgs& args = {});
LayerSpec pReLU(const PReLUArgs& args = {});
LayerSpec elu(const ELUArgs& args = {});
LayerSpec thresholdedReLU(const ThresholdedReLUArgs& args = {});
LayerSpec softmax(const SoftmaxArgs& args = {});
LayerSpec masking(const MaskingArgs& args = {});

/// Any registered Keras layer class from its config (`layer("Dense", {{"units", 3}})`); keys in
/// snake_case or camelCase. Nothing is defaulted beyond what the layer class itself defaults.
LayerSpec layer(const std::string& className, const Json& config = Json::object());

}  // namespace layers

// ---- models (TF.js tf.sequential, tf.input, tf.model) ----------------------------------------

struct SequentialArgs {
  std::vector<layers::LayerSpec> layers{};  ///< added in order, as by add()
  std::string name{};                       ///< default "sequential", "sequential_1", ...
};
/// An empty (or pre-filled) Sequential model; grow it with LayersModel::add(). The first layer
/// needs inputShape or batchInputShape (or is an inputLayer()). Each added layer is built and its
/// weights initialized (layers::initializeWeights) at once, as TF.js does.
LayersModel sequential(const SequentialArgs& args = {});

struct InputArgs {
  ShapeArg shape{};       ///< without the batch axis
  ShapeArg batchShape{};  ///< with it (give one of the two)
  std::string name{};     ///< default "input_layer", "input_layer_1", ...
  DType dtype = DType::float32;
  bool sparse = false;
};
/// A model input (TF.js `tf.input`): an InputLayer and its symbolic output.
layers::KerasTensor input(const InputArgs& args);

struct ModelArgs {
  std::vector<layers::KerasTensor> inputs{};
  std::vector<layers::KerasTensor> outputs{};
  std::string name{};  ///< default "model", "model_1", ...
};
/// A functional model (TF.js `tf.model`) of the layers between `inputs` and `outputs`, built
/// from the Keras config it records (class_name "Model", as TF.js writes) with initialized
/// weights. Throws naming the tensor if an output does not depend only on `inputs`, or if two
/// different layers share a name.
LayersModel model(const ModelArgs& args);

/// The Keras config st::model() would build, without building it ({"class_name", "config"}).
layers::Json functionalConfig(const ModelArgs& args);

}  // namespace strata
