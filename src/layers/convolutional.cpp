// Convolution layers (TF.js 4.22 tfjs-layers semantics, channels_last only): Conv1D, Conv2D,
// Conv2DTranspose, DepthwiseConv2D and SeparableConv2D.
//
// TF.js specifics kept here:
//  * padding "causal" is accepted by the config check but Conv1D/Conv2D cannot run it (TF.js
//    throws NotImplementedError); DepthwiseConv2D runs it as "valid".
//  * DepthwiseConv2D ignores dilation_rate (TF.js passes no dilation to the op and its output
//    shape ignores it too).
//  * Conv2DTranspose ignores dilation_rate and output_padding.
#include <string>
#include <vector>

#include "layers/spatial_common.h"
#include "models/activations.h"
#include "strata/error.h"
#include "strata/layer.h"
#include "strata/ops.h"

namespace strata::layers {
namespace {

using namespace spatial;

// The configuration shared by every convolution (TF.js BaseConv).
class BaseConv : public Layer {
 public:
  BaseConv(const Json& config, const std::string& cls, int rank) : Layer(config, cls), rank_(rank) {
    Config c = cfg();
    if (!c.has("kernel_size")) throw Error(c.where("kernel_size") + " is missing");
    kernelSize_ = readPositiveInts(c, "kernel_size", rank, {});
    strides_ = readPositiveInts(c, "strides", rank, std::vector<int>(rank, 1));
    padding_ = readPaddingMode(c);
    requireChannelsLast(c);
    dilation_ = readPositiveInts(c, "dilation_rate", rank, std::vector<int>(rank, 1));
    activation_ = readActivation(c, describe());
    useBias_ = c.getBool("use_bias", true);
    // Keras writes "groups": 1; TF.js has no grouped convolution (its kernel shape would not
    // match a grouped model's weights), so anything else is refused here with a clear message.
    if (c.has("groups") && c.getInt("groups") != 1)
      throw Error(c.where("groups") + " is " + std::to_string(c.getInt("groups")) +
                  "; grouped convolutions are not supported (TF.js has none)");
  }

 protected:
  // Index of a weight in weights_ (handles stay valid whatever the loader does with values).
  const Tensor& weight(int index) const { return weights_.at(static_cast<size_t>(index)).value; }
  Tensor biasOrNone() const { return biasIndex_ >= 0 ? Tensor(weight(biasIndex_)) : Tensor(); }

  void checkChannels(const Tensor& x, int64_t expected) const {
    if (x.shape().back() != expected)
      throw Error(describe() + " was built for " + std::to_string(expected) + " input channels, got input shape " +
                  shapeString(x.shape()));
  }

  int rank_;
  std::vector<int> kernelSize_, strides_, dilation_;
  std::string padding_;
  ActivationSpec activation_;
  bool useBias_ = true;
  int biasIndex_ = -1;
  int64_t inputDim_ = -1;
};

// Conv with `filters` (TF.js Conv): Conv1D, Conv2D and the bases of the transposed/separable forms.
class Conv : public BaseConv {
 public:
  Conv(const Json& config, const std::string& cls, int rank) : BaseConv(config, cls, rank) {
    Config c = cfg();
    filters_ = c.getInt("filters");
    if (filters_ <= 0) throw Error(c.where("filters") + " must be a positive integer, got " + std::to_string(filters_));
  }

  void build(const std::vector<SymShape>& inputShapes) override {
    const SymShape& s = oneShape(*this, inputShapes, rank_ + 2);
    inputDim_ = knownChannels(*this, s);
    Shape kshape(kernelSize_.begin(), kernelSize_.end());
    kshape.push_back(inputDim_);
    kshape.push_back(filters_);
    addWeight("kernel", kshape);
    if (useBias_) {
      biasIndex_ = static_cast<int>(weights_.size());
      addWeight("bias", {filters_});
    }
  }

  std::vector<SymShape> outputShapes(const std::vector<SymShape>& inputShapes) const override {
    const SymShape& s = oneShape(*this, inputShapes, rank_ + 2);
    SymShape out{s[0]};
    for (int i = 0; i < rank_; ++i)
      out.push_back(convOutputLength(s[1 + i], kernelSize_[i], padding_, strides_[i], dilation_[i]));
    out.push_back(filters_);
    return {out};
  }

 protected:
  void rejectCausal() const {
    if (padding_ == "causal")
      throw Error(describe() + ": config.padding \"causal\" is not supported (TF.js " + className_ +
                  " does not implement causal padding)");
  }

  // fusedConv2d with bias and the activation when it has a fused form, else conv + bias + fn.
  Tensor conv2dBiasActivation(const Tensor& x, const Tensor& kernel, std::array<int, 2> strides,
                              std::array<int, 2> dilations) const {
    FusedConv2DOptions o;
    o.strides = strides;
    o.pad = opPadding(padding_);
    o.dilations = dilations;
    o.bias = biasOrNone();
    if (activation_.fused) {
      o.activation = *activation_.fused;
      return fusedConv2d(x, kernel, o);
    }
    return activation_.fn(fusedConv2d(x, kernel, o));
  }

  int filters_ = 0;
};

class Conv2D : public Conv {
 public:
  explicit Conv2D(const Json& config, const std::string& cls = "Conv2D") : Conv(config, cls, 2) {}

  std::vector<Tensor> call(const std::vector<Tensor>& inputs, const CallArgs&) override {
    const Tensor& x = oneTensor(*this, inputs, 4);
    rejectCausal();
    checkChannels(x, inputDim_);
    return {conv2dBiasActivation(x, weight(0), {strides_[0], strides_[1]}, {dilation_[0], dilation_[1]})};
  }
};

// Conv1D: TF.js runs conv1d as a conv2d over [batch, 1, width, channels]; so do we, fused.
class Conv1D : public Conv {
 public:
  explicit Conv1D(const Json& config) : Conv(config, "Conv1D", 1) {}

  std::vector<Tensor> call(const std::vector<Tensor>& inputs, const CallArgs&) override {
    const Tensor& x = oneTensor(*this, inputs, 3);
    rejectCausal();
    checkChannels(x, inputDim_);
    const Shape& xs = x.shape();
    const Tensor& k = weight(0);
    Tensor x4 = reshape(x, {xs[0], 1, xs[1], xs[2]});
    Tensor k4 = reshape(k, {1, k.shape()[0], k.shape()[1], k.shape()[2]});
    Tensor y = conv2dBiasActivation(x4, k4, {1, strides_[0]}, {1, dilation_[0]});
    const Shape& ys = y.shape();
    return {reshape(y, {ys[0], ys[2], ys[3]})};
  }
};

class Conv2DTranspose : public Conv {
 public:
  explicit Conv2DTranspose(const Json& config) : Conv(config, "Conv2DTranspose", 2) {
    if (padding_ != "same" && padding_ != "valid")
      throw Error(cfg().where("padding") + " must be \"same\" or \"valid\" for Conv2DTranspose, got \"" + padding_ +
                  "\"");
  }

  void build(const std::vector<SymShape>& inputShapes) override {
    const SymShape& s = oneShape(*this, inputShapes, 4);
    inputDim_ = knownChannels(*this, s);
    addWeight("kernel", {kernelSize_[0], kernelSize_[1], filters_, inputDim_});
    if (useBias_) {
      biasIndex_ = static_cast<int>(weights_.size());
      addWeight("bias", {filters_});
    }
  }

  std::vector<SymShape> outputShapes(const std::vector<SymShape>& inputShapes) const override {
    const SymShape& s = oneShape(*this, inputShapes, 4);
    return {{s[0], deconvLength(s[1], strides_[0], kernelSize_[0], padding_),
             deconvLength(s[2], strides_[1], kernelSize_[1], padding_), filters_}};
  }

  std::vector<Tensor> call(const std::vector<Tensor>& inputs, const CallArgs&) override {
    const Tensor& x = oneTensor(*this, inputs, 4);
    checkChannels(x, inputDim_);
    const Shape& xs = x.shape();
    Shape outShape{xs[0], deconvLength(xs[1], strides_[0], kernelSize_[0], padding_),
                   deconvLength(xs[2], strides_[1], kernelSize_[1], padding_), filters_};
    Conv2DOptions o;
    o.strides = {strides_[0], strides_[1]};
    o.pad = Padding(padding_);
    Tensor y = conv2dTranspose(x, weight(0), outShape, o);
    return {biasActivation(y, biasOrNone(), activation_)};
  }
};

class SeparableConv2D : public Conv {
 public:
  explicit SeparableConv2D(const Json& config) : Conv(config, "SeparableConv2D", 2) {
    Config c = cfg();
    if (padding_ != "same" && padding_ != "valid")
      throw Error(c.where("padding") + " must be \"same\" or \"valid\" for SeparableConv2D, got \"" + padding_ + "\"");
    depthMultiplier_ = c.getInt("depth_multiplier", 1);
    if (depthMultiplier_ <= 0)
      throw Error(c.where("depth_multiplier") + " must be a positive integer, got " + std::to_string(depthMultiplier_));
  }

  void build(const std::vector<SymShape>& inputShapes) override {
    const SymShape& s = oneShape(*this, inputShapes, 4);
    inputDim_ = knownChannels(*this, s);
    addWeight("depthwise_kernel", {kernelSize_[0], kernelSize_[1], inputDim_, depthMultiplier_});
    addWeight("pointwise_kernel", {1, 1, inputDim_ * depthMultiplier_, filters_});
    if (useBias_) {
      biasIndex_ = static_cast<int>(weights_.size());
      addWeight("bias", {filters_});
    }
  }

  // The depthwise step, then the 1x1 pointwise convolution fused with bias and activation
  // (TF.js separableConv2d is exactly these two convolutions).
  std::vector<Tensor> call(const std::vector<Tensor>& inputs, const CallArgs&) override {
    const Tensor& x = oneTensor(*this, inputs, 4);
    checkChannels(x, inputDim_);
    Conv2DOptions o;
    o.strides = {strides_[0], strides_[1]};
    o.pad = Padding(padding_);
    o.dilations = {dilation_[0], dilation_[1]};
    Tensor d = depthwiseConv2d(x, weight(0), o);
    FusedConv2DOptions p;
    p.bias = biasOrNone();
    if (activation_.fused) {
      p.activation = *activation_.fused;
      return {fusedConv2d(d, weight(1), p)};
    }
    return {activation_.fn(fusedConv2d(d, weight(1), p))};
  }

 private:
  int depthMultiplier_ = 1;
};

class DepthwiseConv2D : public BaseConv {
 public:
  explicit DepthwiseConv2D(const Json& config) : BaseConv(config, "DepthwiseConv2D", 2) {
    Config c = cfg();
    depthMultiplier_ = c.getInt("depth_multiplier", 1);
    if (depthMultiplier_ <= 0)
      throw Error(c.where("depth_multiplier") + " must be a positive integer, got " + std::to_string(depthMultiplier_));
  }

  void build(const std::vector<SymShape>& inputShapes) override {
    const SymShape& s = oneShape(*this, inputShapes, 4);
    inputDim_ = knownChannels(*this, s);
    addWeight("depthwise_kernel", {kernelSize_[0], kernelSize_[1], inputDim_, depthMultiplier_});
    if (useBias_) {
      biasIndex_ = static_cast<int>(weights_.size());
      addWeight("bias", {inputDim_ * depthMultiplier_});
    }
  }

  std::vector<SymShape> outputShapes(const std::vector<SymShape>& inputShapes) const override {
    const SymShape& s = oneShape(*this, inputShapes, 4);
    int64_t outC = s[3] < 0 ? -1 : s[3] * depthMultiplier_;
    return {{s[0], convOutputLength(s[1], kernelSize_[0], padding_, strides_[0]),
             convOutputLength(s[2], kernelSize_[1], padding_, strides_[1]), outC}};
  }

  std::vector<Tensor> call(const std::vector<Tensor>& inputs, const CallArgs&) override {
    const Tensor& x = oneTensor(*this, inputs, 4);
    checkChannels(x, inputDim_);
    FusedConv2DOptions o;
    o.strides = {strides_[0], strides_[1]};
    o.pad = opPadding(padding_);
    o.bias = biasOrNone();
    if (activation_.fused) {
      o.activation = *activation_.fused;
      return {fusedDepthwiseConv2d(x, weight(0), o)};
    }
    return {activation_.fn(fusedDepthwiseConv2d(x, weight(0), o))};
  }

 private:
  int depthMultiplier_ = 1;
};

std::unique_ptr<Layer> makeConv2D(const Json& c) { return std::make_unique<Conv2D>(c); }

const LayerRegistrar registrar{
    {"Conv1D", make<Conv1D>},
    {"Conv2D", makeConv2D},
    {"Conv2DTranspose", make<Conv2DTranspose>},
    {"DepthwiseConv2D", make<DepthwiseConv2D>},
    {"SeparableConv2D", make<SeparableConv2D>},
};

}  // namespace
}  // namespace strata::layers
