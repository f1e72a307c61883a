// Builders of the convolution, pooling and 2-D reshaping layers (strata/layers_api.h), writing
// the configs TF.js 4.22 writes: sizes as lists of the layer's rank, snake_case enumerations.
#include "layers/builders.h"

#include "strata/error.h"

namespace strata::layers {

using namespace detail;

namespace {

// Keys every convolution has (TF.js BaseConv) and the bias/activation group.
void convCommon(Json& c, const Ints& kernelSize, const Ints& strides, const std::string& padding,
                const Ints& dilationRate, const std::string& activation, bool useBias, const Initializer& biasInit,
                const Regularizer& biasReg, const Regularizer& activityReg, const Constraint& biasCon, size_t rank,
                const std::string& w) {
  c["kernel_size"] = intsJson(kernelSize, rank, w, "kernelSize");
  c["strides"] = intsJson(strides, rank, w, "strides");
  c["padding"] = toSnake(padding);
  if (!dilationRate.empty()) c["dilation_rate"] = intsJson(dilationRate, rank, w, "dilationRate");
  c["activation"] = toSnake(activation);
  c["use_bias"] = useBias;
  c["bias_initializer"] = initializerJson(biasInit, "zeros", w, "biasInitializer");
  c["bias_regularizer"] = regularizerJson(biasReg, w, "biasRegularizer");
  c["activity_regularizer"] = regularizerJson(activityReg, w, "activityRegularizer");
  c["bias_constraint"] = constraintJson(biasCon, w, "biasConstraint");
}

// TF.js writes no data_format for 1-D layers; a non-default one is still written so that the
// layer class refuses it instead of it being dropped silently.
void dataFormat(Json& c, const std::string& format, bool always) {
  const std::string f = toSnake(format);
  if (always || f != "channels_last") c["data_format"] = f;
}

LayerSpec conv(const char* builder, const char* cls, const ConvArgs& a, size_t rank, bool transpose) {
  const std::string w = who(builder, a.name);
  Json c{{"filters", a.filters},
         {"kernel_initializer", initializerJson(a.kernelInitializer, "glorotNormal", w, "kernelInitializer")},
         {"kernel_regularizer", regularizerJson(a.kernelRegularizer, w, "kernelRegularizer")},
         {"kernel_constraint", constraintJson(a.kernelConstraint, w, "kernelConstraint")}};
  // Conv2DTranspose's TF.js config has no dilation_rate (the layer ignores it).
  convCommon(c, a.kernelSize, a.strides, a.padding, transpose ? Ints{} : a.dilationRate, a.activation, a.useBias,
             a.biasInitializer, a.biasRegularizer, a.activityRegularizer, a.biasConstraint, rank, w);
  dataFormat(c, a.dataFormat, rank == 2);
  return finish(builder, cls, c, a);
}

template <class A>
Json pooling(const A& a, size_t rank, const std::string& w) {
  const Json pool = intsJson(a.poolSize, rank, w, "poolSize");
  return Json{{"pool_size", pool},
              {"padding", toSnake(a.padding)},
              {"strides", a.strides.empty() ? pool : intsJson(a.strides, rank, w, "strides")}};
}

Json pairs2d(const Padding2D& p, const std::string& w, const char* field) {
  bool ok = p.values.size() == 2;
  for (const auto& v : p.values) ok = ok && v.size() == 2;
  if (!ok) throw Error(w + ": " + field + " must be an int, {rows, cols} or {{top, bottom}, {left, right}}");
  return Json(p.values);
}

}  // namespace

LayerSpec conv1d(const ConvArgs& a) { return conv("conv1d", "Conv1D", a, 1, false); }
LayerSpec conv2d(const ConvArgs& a) { return conv("conv2d", "Conv2D", a, 2, false); }
LayerSpec conv2dTranspose(const ConvArgs& a) { return conv("conv2dTranspose", "Conv2DTranspose", a, 2, true); }

LayerSpec depthwiseConv2d(const DepthwiseConv2DArgs& a) {
  const std::string w = who("depthwiseConv2d", a.name);
  Json c{{"depth_multiplier", a.depthMultiplier},
         {"depthwise_initializer", initializerJson(a.depthwiseInitializer, "glorotNormal", w, "depthwiseInitializer")},
         {"depthwise_regularizer", regularizerJson(a.depthwiseRegularizer, w, "depthwiseRegularizer")},
         {"depthwise_constraint", constraintJson(a.depthwiseConstraint, w, "depthwiseConstraint")}};
  convCommon(c, a.kernelSize, a.strides, a.padding, a.dilationRate, a.activation, a.useBias, a.biasInitializer,
             a.biasRegularizer, a.activityRegularizer, a.biasConstraint, 2, w);
  dataFormat(c, a.dataFormat, true);
  return finish("depthwiseConv2d", "DepthwiseConv2D", c, a);
}

LayerSpec separableConv2d(const SeparableConv2DArgs& a) {
  const std::string w = who("separableConv2d", a.name);
  Json c{{"filters", a.filters},
         {"depthwise_initializer", initializerJson(a.depthwiseInitializer, "glorotUniform", w, "depthwiseInitializer")},
         {"pointwise_initializer", initializerJson(a.pointwiseInitializer, "glorotUniform", w, "pointwiseInitializer")},
         {"depthwise_regularizer", regularizerJson(a.depthwiseRegularizer, w, "depthwiseRegularizer")},
         {"pointwise_regularizer", regularizerJson(a.pointwiseRegularizer, w, "pointwiseRegularizer")},
         {"depthwise_constraint", constraintJson(a.depthwiseConstraint, w, "depthwiseConstraint")},
         {"pointwise_constraint", constraintJson(a.pointwiseConstraint, w, "pointwiseConstraint")}};
  // TF.js 4.22 leaves depth_multiplier out of this config (and reloads it as 1); Strata writes it
  // when it matters, so the saved model means what was built.
  if (a.depthMultiplier != 1) c["depth_multiplier"] = a.depthMultiplier;
  convCommon(c, a.kernelSize, a.strides, a.padding, a.dilationRate, a.activation, a.useBias, a.biasInitializer,
             a.biasRegularizer, a.activityRegularizer, a.biasConstraint, 2, w);
  dataFormat(c, a.dataFormat, true);
  return finish("separableConv2d", "SeparableConv2D", c, a);
}

// ---- pooling -------------------------------------------------------------------------------

LayerSpec maxPooling1d(const Pooling1DArgs& a) {
  return finish("maxPooling1d", "MaxPooling1D", pooling(a, 1, who("maxPooling1d", a.name)), a);
}
LayerSpec averagePooling1d(const Pooling1DArgs& a) {
  return finish("averagePooling1d", "AveragePooling1D", pooling(a, 1, who("averagePooling1d", a.name)), a);
}

LayerSpec maxPooling2d(const Pooling2DArgs& a) {
  Json c = pooling(a, 2, who("maxPooling2d", a.name));
  dataFormat(c, a.dataFormat, true);
  return finish("maxPooling2d", "MaxPooling2D", c, a);
}
LayerSpec averagePooling2d(const Pooling2DArgs& a) {
  Json c = pooling(a, 2, who("averagePooling2d", a.name));
  dataFormat(c, a.dataFormat, true);
  return finish("averagePooling2d", "AveragePooling2D", c, a);
}

LayerSpec globalAveragePooling1d(const LayerArgs& a) {
  return finish("globalAveragePooling1d", "GlobalAveragePooling1D", Json::object(), a);
}
LayerSpec globalMaxPooling1d(const LayerArgs& a) {
  return finish("globalMaxPooling1d", "GlobalMaxPooling1D", Json::object(), a);
}
LayerSpec globalAveragePooling2d(const GlobalPooling2DArgs& a) {
  return finish("globalAveragePooling2d", "GlobalAveragePooling2D", Json{{"data_format", toSnake(a.dataFormat)}}, a);
}
LayerSpec globalMaxPooling2d(const GlobalPooling2DArgs& a) {
  return finish("globalMaxPooling2d", "GlobalMaxPooling2D", Json{{"data_format", toSnake(a.dataFormat)}}, a);
}

// ---- 2-D reshaping -------------------------------------------------------------------------

LayerSpec zeroPadding2d(const ZeroPadding2DArgs& a) {
  Json c{{"padding", pairs2d(a.padding, who("zeroPadding2d", a.name), "padding")},
         {"data_format", toSnake(a.dataFormat)}};
  return finish("zeroPadding2d", "ZeroPadding2D", c, a);
}

LayerSpec cropping2d(const Cropping2DArgs& a) {
  Json c{{"cropping", pairs2d(a.cropping, who("cropping2d", a.name), "cropping")},
         {"data_format", toSnake(a.dataFormat)}};
  return finish("cropping2d", "Cropping2D", c, a);
}

LayerSpec upSampling2d(const UpSampling2DArgs& a) {
  const std::string w = who("upSampling2d", a.name);
  Json c{{"size", intsJson(a.size, 2, w, "size")},
         {"data_format", toSnake(a.dataFormat)},
         {"interpolation", toSnake(a.interpolation)}};
  return finish("upSampling2d", "UpSampling2D", c, a);
}

}  // namespace strata::layers
