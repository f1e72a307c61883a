// Pooling layers (TF.js 4.22 semantics, channels_last only): MaxPooling1D/2D,
// AveragePooling1D/2D, GlobalAveragePooling1D/2D, GlobalMaxPooling1D/2D.
//
// TF.js specifics kept here: padding "causal" pools like "valid"; strides default to the pool
// size; average pooling with "same" padding averages only the cells inside the input; the
// global layers have no keepdims (TF.js ignores Keras's `keepdims` key: the output is always
// [batch, channels]).
#include <string>
#include <vector>

#include "layers/spatial_common.h"
#include "strata/error.h"
#include "strata/layer.h"
#include "strata/ops.h"

namespace strata::layers {
namespace {

using namespace spatial;

enum class PoolMode { max, avg };

Tensor pool2d(const Tensor& x, std::array<int, 2> size, std::array<int, 2> strides, const std::string& padding,
              PoolMode mode) {
  Pool2DOptions o;
  o.filterSize = size;
  o.strides = strides;
  o.pad = opPadding(padding);
  return mode == PoolMode::max ? maxPool(x, o) : avgPool(x, o);
}

class Pooling1D : public Layer {
 public:
  Pooling1D(const Json& config, const std::string& cls, PoolMode mode) : Layer(config, cls), mode_(mode) {
    Config c = cfg();
    poolSize_ = readPositiveInts(c, "pool_size", 1, {2})[0];
    strides_ = readPositiveInts(c, "strides", 1, {poolSize_})[0];
    padding_ = readPaddingMode(c);
    requireChannelsLast(c);
  }

  void build(const std::vector<SymShape>& inputShapes) override { outputShapes(inputShapes); }

  std::vector<SymShape> outputShapes(const std::vector<SymShape>& inputShapes) const override {
    const SymShape& s = oneShape(*this, inputShapes, 3);
    return {{s[0], convOutputLength(s[1], poolSize_, padding_, strides_), s[2]}};
  }

  // As TF.js: pool2d over [batch, width, 1, channels].
  std::vector<Tensor> call(const std::vector<Tensor>& inputs, const CallArgs&) override {
    const Tensor& x = oneTensor(*this, inputs, 3);
    Tensor y = pool2d(expandDims(x, 2), {poolSize_, 1}, {strides_, 1}, padding_, mode_);
    return {squeeze(y, {2})};
  }

 private:
  PoolMode mode_;
  int poolSize_ = 2, strides_ = 2;
  std::string padding_;
};

class Pooling2D : public Layer {
 public:
  Pooling2D(const Json& config, const std::string& cls, PoolMode mode) : Layer(config, cls), mode_(mode) {
    Config c = cfg();
    std::vector<int> p = readPositiveInts(c, "pool_size", 2, {2, 2});
    std::vector<int> s = readPositiveInts(c, "strides", 2, p);
    poolSize_ = {p[0], p[1]};
    strides_ = {s[0], s[1]};
    padding_ = readPaddingMode(c);
    requireChannelsLast(c);
  }

  void build(const std::vector<SymShape>& inputShapes) override { outputShapes(inputShapes); }

  std::vector<SymShape> outputShapes(const std::vector<SymShape>& inputShapes) const override {
    const SymShape& s = oneShape(*this, inputShapes, 4);
    return {{s[0], convOutputLength(s[1], poolSize_[0], padding_, strides_[0]),
             convOutputLength(s[2], poolSize_[1], padding_, strides_[1]), s[3]}};
  }

  std::vector<Tensor> call(const std::vector<Tensor>& inputs, const CallArgs&) override {
    const Tensor& x = oneTensor(*this, inputs, 4);
    return {pool2d(x, poolSize_, strides_, padding_, mode_)};
  }

 private:
  PoolMode mode_;
  std::array<int, 2> poolSize_{2, 2}, strides_{2, 2};
  std::string padding_;
};

// Global pooling over the steps (rank 3) or the rows and columns (rank 4).
class GlobalPooling : public Layer {
 public:
  GlobalPooling(const Json& config, const std::string& cls, PoolMode mode, int rank)
      : Layer(config, cls), mode_(mode), rank_(rank) {
    requireChannelsLast(cfg());
  }

  void build(const std::vector<SymShape>& inputShapes) override { outputShapes(inputShapes); }

  std::vector<SymShape> outputShapes(const std::vector<SymShape>& inputShapes) const override {
    const SymShape& s = oneShape(*this, inputShapes, rank_);
    return {{s[0], s.back()}};
  }

  std::vector<Tensor> call(const std::vector<Tensor>& inputs, const CallArgs&) override {
    const Tensor& x = oneTensor(*this, inputs, rank_);
    std::vector<int> axes = rank_ == 3 ? std::vector<int>{1} : std::vector<int>{1, 2};
    return {mode_ == PoolMode::max ? max(x, axes) : mean(x, axes)};
  }

 private:
  PoolMode mode_;
  int rank_;
};

template <PoolMode M>
std::unique_ptr<Layer> makePool1D(const Json& c) {
  return std::make_unique<Pooling1D>(c, M == PoolMode::max ? "MaxPooling1D" : "AveragePooling1D", M);
}
template <PoolMode M>
std::unique_ptr<Layer> makePool2D(const Json& c) {
  return std::make_unique<Pooling2D>(c, M == PoolMode::max ? "MaxPooling2D" : "AveragePooling2D", M);
}
template <PoolMode M, int R>
std::unique_ptr<Layer> makeGlobal(const Json& c) {
  std::string cls = std::string(M == PoolMode::max ? "GlobalMaxPooling" : "GlobalAveragePooling") +
                    (R == 3 ? "1D" : "2D");
  return std::make_unique<GlobalPooling>(c, cls, M, R);
}

const LayerRegistrar registrar{
    {"MaxPooling1D", makePool1D<PoolMode::max>},
    {"AveragePooling1D", makePool1D<PoolMode::avg>},
    {"MaxPooling2D", makePool2D<PoolMode::max>},
    {"AveragePooling2D", makePool2D<PoolMode::avg>},
    {"GlobalMaxPooling1D", makeGlobal<PoolMode::max, 3>},
    {"GlobalAveragePooling1D", makeGlobal<PoolMode::avg, 3>},
    {"GlobalMaxPooling2D", makeGlobal<PoolMode::max, 4>},
    {"GlobalAveragePooling2D", makeGlobal<PoolMode::avg, 4>},
};

}  // namespace
}  // namespace strata::layers
