// The int8 layer classes of quantized models: QuantizedConv2D, QuantizedDepthwiseConv2D and
// QuantizedDense (config and weights: src/optimize/int8_layers.h). They are ordinary layers of
// the registry, so a saved int8 model loads through loadLayersModel like any other. A float32
// input is quantized with the layer's input parameters (inside the kernel); a uint8 input is
// already quantized with them (the previous int8 layer handed it on). Inference only.
#include "optimize/int8_layers.h"

#include "layers/spatial_common.h"
#include "strata/ops/quantized.h"

namespace strata::layers {
namespace {

using spatial::oneShape;
using spatial::oneTensor;

struct QParams {
  float scale = 1;
  int zeroPoint = 0;
};

QParams readParams(const Config& c, const Json& j, const char* which) {
  if (!j.is_object() || !j.contains("scale") || !j["scale"].is_number() || !j.contains("zero_point") ||
      !j["zero_point"].is_number_integer())
    throw Error(c.where("quantization") + "." + which + " needs numeric 'scale' and integer 'zero_point'");
  QParams p{j["scale"].get<float>(), j["zero_point"].get<int>()};
  if (!(p.scale > 0) || !std::isfinite(p.scale) || p.zeroPoint < 0 || p.zeroPoint > 255)
    throw Error(c.where("quantization") + "." + which + " has scale " + std::to_string(p.scale) + " and zero_point " +
                std::to_string(p.zeroPoint) + " (need scale > 0 and zero_point in [0, 255])");
  return p;
}

// What the three classes share: the quantization config, the weights' creation, the epilogue.
class QuantizedLayer : public Layer {
 public:
  QuantizedLayer(const Json& config, const std::string& cls) : Layer(config, cls) {
    Config c = cfg();
    if (!c.has("quantization") || !c.raw("quantization").is_object())
      throw Error(c.where("quantization") + " is missing (an int8 layer needs its quantization parameters)");
    const Json& q = c.raw("quantization");
    input_ = readParams(c, q.contains("input") ? q["input"] : Json(), "input");
    if (q.contains("output") && !q["output"].is_null()) {
      output_ = readParams(c, q["output"], "output");
      quantizedOutput_ = true;
    }
    activation_ = spatial::readActivation(c, describe());
    // Only linear/relu/relu6 run inside the kernel; any other activation follows in float32.
    fused_ = activation_.fused && (*activation_.fused == Activation::linear || *activation_.fused == Activation::relu ||
                                   *activation_.fused == Activation::relu6);
    if (quantizedOutput_ && !fused_)
      throw Error(c.where("quantization") + ".output: a uint8 output needs a linear, relu or relu6 activation, not '" +
                  activation_.name + "'");
    useBias_ = c.getBool("use_bias", true);
  }

 protected:
  // The int8 kernel, its per-channel scales and the bias (all read-only at inference).
  void addWeights(const char* kernelName, const Shape& kernelShape, int64_t outC) {
    if (shapeSize(kernelShape) > (int64_t{1} << 31))
      throw Error(describe() + ": weight '" + kernelName + "' of shape " + shapeString(kernelShape) + " is too large");
    std::vector<uint8_t> zeros(static_cast<size_t>(shapeSize(kernelShape)), 0);
    weights_.push_back(Weight{kernelName, variable(tensorFromBytes(zeros, kernelShape, DType::int8), false, "", DType::int8), false});
    addWeight("kernel_scale", {outC}, false);
    if (useBias_) addWeight("bias", {outC}, false);
  }

  // uint8 (handed on by the previous int8 layer) or float32 (the kernel quantizes it).
  static Tensor kernelInput(const Tensor& x) {
    return x.dtype() == DType::uint8 || x.dtype() == DType::float32 ? x : cast(x, DType::float32);
  }

  QuantizedEpilogue epilogue() const {
    QuantizedEpilogue e;
    e.inputScale = input_.scale;
    e.inputZeroPoint = input_.zeroPoint;
    e.filterScales = weights_[1].value;
    if (useBias_) e.bias = weights_[2].value;
    e.activation = fused_ ? *activation_.fused : Activation::linear;
    if (quantizedOutput_) {
      e.outputDType = DType::uint8;
      e.outputScale = output_.scale;
      e.outputZeroPoint = output_.zeroPoint;
    }
    return e;
  }

  Tensor finish(const Tensor& y) const { return fused_ ? y : activation_.fn(y); }

  QParams input_, output_;
  bool quantizedOutput_ = false, fused_ = true, useBias_ = true;
  ActivationSpec activation_;
};

// QuantizedConv2D and QuantizedDepthwiseConv2D.
class QuantizedConv : public QuantizedLayer {
 public:
  QuantizedConv(const Json& config, const std::string& cls, bool depthwise) : QuantizedLayer(config, cls), depthwise_(depthwise) {
    Config c = cfg();
    spatial::requireChannelsLast(c);
    kernel_ = spatial::readPositiveInts(c, "kernel_size", 2, {});
    if (kernel_.size() != 2) throw Error(c.where("kernel_size") + " is missing");
    strides_ = spatial::readPositiveInts(c, "strides", 2, {1, 1});
    // DepthwiseConv2D ignores dilation_rate (as TF.js's layer does).
    dilation_ = depthwise ? std::vector<int>{1, 1} : spatial::readPositiveInts(c, "dilation_rate", 2, {1, 1});
    if (depthwise) count_ = c.getInt("depth_multiplier", 1);
    else count_ = c.getInt("filters");
    if (count_ <= 0) throw Error(describe() + ": filters/depth_multiplier must be positive");
    const Json& p = c.has("padding") ? c.raw("padding") : Json("valid");
    if (p.is_array()) {
      if (p.size() != 2 || !p[0].is_array() || !p[1].is_array() || p[0].size() != 2 || p[1].size() != 2)
        throw Error(c.where("padding") + " must be \"same\", \"valid\" or [[top, bottom], [left, right]], got " + p.dump());
      pads_ = {p[0][0].get<int>(), p[0][1].get<int>(), p[1][0].get<int>(), p[1][1].get<int>()};
      for (int v : pads_)
        if (v < 0) throw Error(c.where("padding") + " must not be negative, got " + p.dump());
      pad_ = Padding::explicitPads(pads_[0], pads_[1], pads_[2], pads_[3]);
    } else {
      mode_ = spatial::readPaddingMode(c);
      pad_ = spatial::opPadding(mode_);
    }
  }

  void build(const std::vector<SymShape>& in) override {
    inC_ = spatial::knownChannels(*this, oneShape(*this, in, 4));
    const int64_t outC = depthwise_ ? inC_ * count_ : count_;
    addWeights(depthwise_ ? "depthwise_kernel" : "kernel", {kernel_[0], kernel_[1], inC_, count_}, outC);
  }

  std::vector<SymShape> outputShapes(const std::vector<SymShape>& in) const override {
    const SymShape& s = oneShape(*this, in, 4);
    const int64_t outC = depthwise_ ? (s[3] < 0 ? -1 : s[3] * count_) : count_;
    return {{s[0], length(s[1], 0), length(s[2], 1), outC}};
  }

  std::vector<Tensor> call(const std::vector<Tensor>& inputs, const CallArgs&) override {
    const Tensor& x = oneTensor(*this, inputs, 4);
    if (x.shape()[3] != inC_)
      throw Error(describe() + " expects " + std::to_string(inC_) + " input channels, got shape " + shapeString(x.shape()));
    QuantizedConv2DOptions o;
    o.strides = {strides_[0], strides_[1]};
    o.dilations = {dilation_[0], dilation_[1]};
    o.pad = pad_;
    o.q = epilogue();
    Tensor xq = kernelInput(x);
    const Tensor& k = weights_[0].value;
    return {finish(depthwise_ ? quantizedDepthwiseConv2d(xq, k, o) : quantizedConv2d(xq, k, o))};
  }

 private:
  // Output length along spatial axis `axis` (0 rows, 1 columns); -1 stays unknown.
  int64_t length(int64_t in, int axis) const {
    if (pad_.kind != Padding::Kind::explicit_) return spatial::convOutputLength(in, kernel_[axis], mode_, strides_[axis], dilation_[axis]);
    if (in < 0) return -1;
    const int64_t effective = (kernel_[axis] - 1) * static_cast<int64_t>(dilation_[axis]) + 1;
    return (in + pads_[2 * axis] + pads_[2 * axis + 1] - effective) / strides_[axis] + 1;
  }

  bool depthwise_;
  std::vector<int> kernel_, strides_, dilation_;
  int count_ = 1;
  std::string mode_ = "valid";
  std::array<int, 4> pads_{0, 0, 0, 0};
  Padding pad_;
  int64_t inC_ = 0;
};

class QuantizedDense : public QuantizedLayer {
 public:
  explicit QuantizedDense(const Json& config) : QuantizedLayer(config, int8::kDense) {
    units_ = cfg().getInt("units");
    if (units_ <= 0) throw Error(cfg().where("units") + " must be a positive integer, got " + std::to_string(units_));
  }

  std::vector<SymShape> outputShapes(const std::vector<SymShape>& in) const override {
    SymShape s = oneShape(*this, in, -1);
    if (s.size() < 2) throw Error(describe() + " expects an input of rank >= 2, got " + spatial::symShapeString(s));
    s.back() = units_;
    return {s};
  }

  void build(const std::vector<SymShape>& in) override {
    inputDim_ = spatial::knownChannels(*this, oneShape(*this, in, -1));
    addWeights("kernel", {inputDim_, units_}, units_);
  }

  // Leading axes are flattened into rows of one product, as Dense applies to the last axis.
  std::vector<Tensor> call(const std::vector<Tensor>& inputs, const CallArgs&) override {
    const Tensor& x = oneTensor(*this, inputs, -1);
    const Shape& xs = x.shape();
    if (xs.size() < 2 || xs.back() != inputDim_)
      throw Error(describe() + " expects an input of rank >= 2 with last dimension " + std::to_string(inputDim_) +
                  ", got shape " + shapeString(xs));
    Tensor x2 = xs.size() == 2 ? x : reshape(x, {-1, inputDim_});
    Tensor y = quantizedMatMul(kernelInput(x2), weights_[0].value, epilogue());
    if (xs.size() != 2) {
      Shape out = xs;
      out.back() = units_;
      y = reshape(y, out);
    }
    return {finish(y)};
  }

 private:
  int64_t units_ = 0, inputDim_ = 0;
};

LayerRegistrar registrar{
    {int8::kConv2D, [](const Json& c) -> std::unique_ptr<Layer> { return std::make_unique<QuantizedConv>(c, int8::kConv2D, false); }},
    {int8::kDepthwiseConv2D,
     [](const Json& c) -> std::unique_ptr<Layer> { return std::make_unique<QuantizedConv>(c, int8::kDepthwiseConv2D, true); }},
    {int8::kDense, make<QuantizedDense>},
};

}  // namespace
}  // namespace strata::layers
