// Builders of the core, noise, normalization, embedding, merge and activation layers
// (strata/layers_api.h). Each writes the config TF.js 4.22's getConfig() + toJSON() writes for
// the same arguments: every field with its default, enumerations in snake_case.
#include "layers/builders.h"

#include "strata/error.h"

namespace strata::layers {

using namespace detail;

namespace {

// An int for one value, a list for several (TF.js writes axis/axes as given).
Json intOrList(const Ints& v, const std::string& w, const char* field) {
  if (v.empty()) throw Error(w + ": " + field + " is required");
  return v.values.size() == 1 ? Json(v.values[0]) : Json(v.values);
}

template <class T>
Json orNull(const std::optional<T>& v) {
  return v ? Json(*v) : Json(nullptr);
}

}  // namespace

LayerSpec inputLayer(const InputLayerArgs& a) {
  const std::string w = who("inputLayer", a.name);
  Json c = Json::object();
  addCommonKeys(c, a.inputShape, a.batchInputShape, a.batchSize, a.dtype, a.name, a.trainable, w);
  if (!c.contains("batch_input_shape")) throw Error(w + ": give inputShape or batchInputShape");
  c.erase("trainable");  // TF.js's InputLayer config has none
  c["sparse"] = a.sparse;
  return LayerSpec("InputLayer", c, w);
}

LayerSpec dense(const DenseArgs& a) {
  const std::string w = who("dense", a.name);
  Json c{{"units", a.units},
         {"activation", toSnake(a.activation)},
         {"use_bias", a.useBias},
         {"kernel_initializer", initializerJson(a.kernelInitializer, "glorotNormal", w, "kernelInitializer")},
         {"bias_initializer", initializerJson(a.biasInitializer, "zeros", w, "biasInitializer")},
         {"kernel_regularizer", regularizerJson(a.kernelRegularizer, w, "kernelRegularizer")},
         {"bias_regularizer", regularizerJson(a.biasRegularizer, w, "biasRegularizer")},
         {"activity_regularizer", regularizerJson(a.activityRegularizer, w, "activityRegularizer")},
         {"kernel_constraint", constraintJson(a.kernelConstraint, w, "kernelConstraint")},
         {"bias_constraint", constraintJson(a.biasConstraint, w, "biasConstraint")}};
  if (a.inputDim && !a.inputShape.given() && !a.batchInputShape.given()) {
    DenseArgs b = a;  // inputDim is shorthand for inputShape {inputDim}
    b.inputShape = Shape{*a.inputDim};
    return finish("dense", "Dense", c, b);
  }
  return finish("dense", "Dense", c, a);
}

LayerSpec flatten(const LayerArgs& a) { return finish("flatten", "Flatten", Json::object(), a); }

LayerSpec reshape(const ReshapeArgs& a) {
  if (a.targetShape.empty()) throw Error(who("reshape", a.name) + ": targetShape is required");
  return finish("reshape", "Reshape", Json{{"target_shape", a.targetShape}}, a);
}

LayerSpec permute(const PermuteArgs& a) {
  if (a.dims.empty()) throw Error(who("permute", a.name) + ": dims is required");
  return finish("permute", "Permute", Json{{"dims", a.dims}}, a);
}

LayerSpec repeatVector(const RepeatVectorArgs& a) {
  return finish("repeatVector", "RepeatVector", Json{{"n", a.n}}, a);
}

// ---- noise ---------------------------------------------------------------------------------

LayerSpec dropout(const DropoutArgs& a) {
  Json c{{"rate", a.rate},
         {"noise_shape", a.noiseShape.given() ? shapeJson(*a.noiseShape.value) : Json(nullptr)},
         {"seed", orNull(a.seed)}};
  return finish("dropout", "Dropout", c, a);
}

LayerSpec spatialDropout1d(const SpatialDropoutArgs& a) {
  Json c{{"rate", a.rate}, {"noise_shape", nullptr}, {"seed", orNull(a.seed)}};
  return finish("spatialDropout1d", "SpatialDropout1D", c, a);
}

LayerSpec spatialDropout2d(const SpatialDropoutArgs& a) {
  Json c{{"rate", a.rate}, {"noise_shape", nullptr}, {"seed", orNull(a.seed)}, {"data_format", toSnake(a.dataFormat)}};
  return finish("spatialDropout2d", "SpatialDropout2D", c, a);
}

// TF.js's configs of these three have no seed; Keras 3's do, and Strata's layers read it.
LayerSpec gaussianNoise(const GaussianNoiseArgs& a) {
  Json c{{"stddev", a.stddev}};
  if (a.seed) c["seed"] = *a.seed;
  return finish("gaussianNoise", "GaussianNoise", c, a);
}

LayerSpec gaussianDropout(const GaussianDropoutArgs& a) {
  Json c{{"rate", a.rate}};
  if (a.seed) c["seed"] = *a.seed;
  return finish("gaussianDropout", "GaussianDropout", c, a);
}

LayerSpec alphaDropout(const AlphaDropoutArgs& a) {
  Json c{{"rate", a.rate}};
  if (a.seed) c["seed"] = *a.seed;
  return finish("alphaDropout", "AlphaDropout", c, a);
}

LayerSpec activation(const ActivationArgs& a) {
  return finish("activation", "Activation", Json{{"activation", toSnake(a.activation)}}, a);
}

// ---- normalization -------------------------------------------------------------------------

LayerSpec batchNormalization(const BatchNormalizationArgs& a) {
  const std::string w = who("batchNormalization", a.name);
  Json c{{"axis", a.axis},
         {"momentum", a.momentum},
         {"epsilon", a.epsilon},
         {"center", a.center},
         {"scale", a.scale},
         {"beta_initializer", initializerJson(a.betaInitializer, "zeros", w, "betaInitializer")},
         {"gamma_initializer", initializerJson(a.gammaInitializer, "ones", w, "gammaInitializer")},
         {"moving_mean_initializer", initializerJson(a.movingMeanInitializer, "zeros", w, "movingMeanInitializer")},
         {"moving_variance_initializer",
          initializerJson(a.movingVarianceInitializer, "ones", w, "movingVarianceInitializer")},
         {"beta_regularizer", regularizerJson(a.betaRegularizer, w, "betaRegularizer")},
         {"gamma_regularizer", regularizerJson(a.gammaRegularizer, w, "gammaRegularizer")},
         {"beta_constraint", constraintJson(a.betaConstraint, w, "betaConstraint")},
         {"gamma_constraint", constraintJson(a.gammaConstraint, w, "gammaConstraint")}};
  return finish("batchNormalization", "BatchNormalization", c, a);
}

LayerSpec layerNormalization(const LayerNormalizationArgs& a) {
  const std::string w = who("layerNormalization", a.name);
  Json c{{"axis", intOrList(a.axis, w, "axis")},
         {"epsilon", a.epsilon},
         {"center", a.center},
         {"scale", a.scale},
         {"beta_initializer", initializerJson(a.betaInitializer, "zeros", w, "betaInitializer")},
         {"gamma_initializer", initializerJson(a.gammaInitializer, "ones", w, "gammaInitializer")},
         {"beta_regularizer", regularizerJson(a.betaRegularizer, w, "betaRegularizer")},
         {"gamma_regularizer", regularizerJson(a.gammaRegularizer, w, "gammaRegularizer")}};
  return finish("layerNormalization", "LayerNormalization", c, a);
}

// ---- embedding -----------------------------------------------------------------------------

LayerSpec embedding(const EmbeddingArgs& a) {
  const std::string w = who("embedding", a.name);
  Json c{
      {"input_dim", a.inputDim},
      {"output_dim", a.outputDim},
      {"embeddings_initializer", initializerJson(a.embeddingsInitializer, "randomUniform", w, "embeddingsInitializer")},
      {"embeddings_regularizer", regularizerJson(a.embeddingsRegularizer, w, "embeddingsRegularizer")},
      {"activity_regularizer", regularizerJson(a.activityRegularizer, w, "activityRegularizer")},
      {"embeddings_constraint", constraintJson(a.embeddingsConstraint, w, "embeddingsConstraint")},
      {"mask_zero", orNull(a.maskZero)},
      {"input_length", orNull(a.inputLength)}};
  if (a.inputShape.given() || a.batchInputShape.given()) return finish("embedding", "Embedding", c, a);
  // TF.js: without an input shape, [batchSize, inputLength] (no dtype), so Embedding can start a model.
  c["batch_input_shape"] = Json::array({orNull(a.batchSize), orNull(a.inputLength)});
  EmbeddingArgs b = a;
  b.batchSize.reset();
  return finish("embedding", "Embedding", c, b);
}

// ---- merge ---------------------------------------------------------------------------------

LayerSpec add(const LayerArgs& a) { return finish("add", "Add", Json::object(), a); }
LayerSpec subtract(const LayerArgs& a) { return finish("subtract", "Subtract", Json::object(), a); }
LayerSpec multiply(const LayerArgs& a) { return finish("multiply", "Multiply", Json::object(), a); }
LayerSpec average(const LayerArgs& a) { return finish("average", "Average", Json::object(), a); }
LayerSpec maximum(const LayerArgs& a) { return finish("maximum", "Maximum", Json::object(), a); }
LayerSpec minimum(const LayerArgs& a) { return finish("minimum", "Minimum", Json::object(), a); }

LayerSpec concatenate(const ConcatenateArgs& a) {
  return finish("concatenate", "Concatenate", Json{{"axis", a.axis}}, a);
}

LayerSpec dot(const DotArgs& a) {
  Json c{{"axes", intOrList(a.axes, who("dot", a.name), "axes")}, {"normalize", a.normalize}};
  return finish("dot", "Dot", c, a);
}

// ---- activation layers ---------------------------------------------------------------------

LayerSpec reLU(const ReLUArgs& a) { return finish("reLU", "ReLU", Json{{"max_value", orNull(a.maxValue)}}, a); }
LayerSpec leakyReLU(const LeakyReLUArgs& a) { return finish("leakyReLU", "LeakyReLU", Json{{"alpha", a.alpha}}, a); }
LayerSpec elu(const ELUArgs& a) { return finish("elu", "ELU", Json{{"alpha", a.alpha}}, a); }
LayerSpec thresholdedReLU(const ThresholdedReLUArgs& a) {
  return finish("thresholdedReLU", "ThresholdedReLU", Json{{"theta", a.theta}}, a);
}
LayerSpec softmax(const SoftmaxArgs& a) {
  return finish("softmax", "Softmax", Json{{"axis", intOrList(a.axis, who("softmax", a.name), "axis")}}, a);
}
LayerSpec masking(const MaskingArgs& a) { return finish("masking", "Masking", Json{{"mask_value", a.maskValue}}, a); }

LayerSpec pReLU(const PReLUArgs& a) {
  const std::string w = who("pReLU", a.name);
  Json c{{"alpha_initializer", initializerJson(a.alphaInitializer, "zeros", w, "alphaInitializer")},
         {"alpha_regularizer", regularizerJson(a.alphaRegularizer, w, "alphaRegularizer")},
         {"alpha_constraint", constraintJson(a.alphaConstraint, w, "alphaConstraint")},
         {"shared_axes", a.sharedAxes.empty() ? Json(nullptr) : Json(a.sharedAxes)}};
  return finish("pReLU", "PReLU", c, a);
}

}  // namespace strata::layers
