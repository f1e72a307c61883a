// Normalization layers (TF.js 4.22 semantics): BatchNormalization and LayerNormalization.
//
// BatchNormalization: weights gamma (scale=true), beta (center=true), moving_mean and
// moving_variance (not trainable), in that order. Inference normalizes with the moving
// statistics; training=true normalizes with the batch's mean and (biased) variance and moves
// the moving statistics toward them: moving -= (moving - batch) * (1 - momentum), as TF.js.
// As in TF.js the input rank must be 2, 3 or 4 (tfjs batchNorm2d/3d/4d), for both layers.
#include <algorithm>
#include <string>
#include <vector>

#include "layers/spatial_common.h"
#include "strata/error.h"
#include "strata/layer.h"
#include "strata/ops.h"

namespace strata::layers {
namespace {

using namespace spatial;

void checkNormRank(const Layer& l, int rank) {
  if (rank < 2 || rank > 4)
    throw Error(l.describe() + ": inputs of rank " + std::to_string(rank) +
                " are not supported (TF.js batch normalization needs rank 2, 3 or 4)");
}

// (x - mean)^2 averaged over `axes` (TF.js moments' variance, biased).
Tensor varianceAround(const Tensor& x, const Tensor& meanKeep, const std::vector<int>& axes, bool keepDims) {
  return mean(square(sub(x, meanKeep)), axes, keepDims);
}

class BatchNormalization : public Layer {
 public:
  explicit BatchNormalization(const Json& config) : Layer(config, "BatchNormalization") {
    Config c = cfg();
    if (c.has("axis")) {
      const Json& a = c.raw("axis");
      // Keras may write a one-element list ([3]); TF.js reads it as that number.
      if (a.is_array() && a.size() == 1 && a[0].is_number_integer()) axis_ = a[0].get<int>();
      else if (a.is_number_integer()) axis_ = a.get<int>();
      else throw Error(c.where("axis") + " must be an integer (or a list of one), got " + a.dump());
    }
    momentum_ = c.getFloat("momentum", 0.99f);
    epsilon_ = c.getFloat("epsilon", 1e-3f);
    center_ = c.getBool("center", true);
    scale_ = c.getBool("scale", true);
  }

  bool supportsMasking() const override { return true; }

  void build(const std::vector<SymShape>& inputShapes) override {
    const SymShape& s = oneShape(*this, inputShapes, -1);
    int axis = normAxis(static_cast<int>(s.size()));
    if (s[axis] < 0)
      throw Error(describe() + ": axis " + std::to_string(axis) + " of the input must have a defined extent, got shape " +
                  symShapeString(s));
    dim_ = s[axis];
    if (scale_) gammaIndex_ = add("gamma", true);
    if (center_) betaIndex_ = add("beta", true);
    meanIndex_ = add("moving_mean", false);
    varIndex_ = add("moving_variance", false);
  }

  std::vector<SymShape> outputShapes(const std::vector<SymShape>& inputShapes) const override {
    const SymShape& s = oneShape(*this, inputShapes, -1);
    normAxis(static_cast<int>(s.size()));
    return {s};
  }

  std::vector<Tensor> call(const std::vector<Tensor>& inputs, const CallArgs& args) override {
    const Tensor& x = oneTensor(*this, inputs, -1);
    const int ndim = x.rank();
    checkNormRank(*this, ndim);
    const int axis = normAxis(ndim);
    if (x.shape()[axis] != dim_)
      throw Error(describe() + " was built for extent " + std::to_string(dim_) + " on axis " + std::to_string(axis) +
                  ", got input shape " + shapeString(x.shape()));
    std::vector<int> reductionAxes;
    for (int i = 0; i < ndim; ++i)
      if (i != axis) reductionAxes.push_back(i);
    // Parameters are [dim]; they broadcast as they are when the axis is the last one.
    Shape broadcastShape(ndim, 1);
    broadcastShape[axis] = dim_;
    const bool needsBroadcasting = axis != ndim - 1;
    auto bc = [&](const Tensor& p) { return !p.defined() || !needsBroadcasting ? p : reshape(p, broadcastShape); };
    Tensor gamma = gammaIndex_ >= 0 ? Tensor(weights_[gammaIndex_].value) : Tensor();
    Tensor beta = betaIndex_ >= 0 ? Tensor(weights_[betaIndex_].value) : Tensor();

    if (!args.training) {
      return {batchNorm(x, bc(weights_[meanIndex_].value), bc(weights_[varIndex_].value), bc(beta), bc(gamma),
                        epsilon_)};
    }
    Tensor batchMean = mean(x, reductionAxes);
    Tensor batchVar = varianceAround(x, reshape(batchMean, broadcastShape), reductionAxes, false);
    Tensor y = batchNorm(x, bc(batchMean), bc(batchVar), bc(beta), bc(gamma), epsilon_);
    // Moving averages: value - (value - batch) * (1 - momentum).
    const float decay = 1.0f - momentum_;
    for (auto [index, batch] : {std::pair{meanIndex_, batchMean}, std::pair{varIndex_, batchVar}}) {
      Variable& v = weights_[index].value;
      v.assign(sub(v, mul(sub(v, batch), scalar(decay))));
    }
    return {y};
  }

 private:
  int normAxis(int rank) const {
    int a = axis_ < 0 ? axis_ + rank : axis_;
    if (a < 0 || a >= rank)
      throw Error(cfg().where("axis") + " is " + std::to_string(axis_) + ", out of range for an input of rank " +
                  std::to_string(rank));
    return a;
  }
  int add(const char* name, bool trainable) {
    int i = static_cast<int>(weights_.size());
    addWeight(name, {dim_}, trainable);
    return i;
  }

  int axis_ = -1;
  float momentum_ = 0.99f, epsilon_ = 1e-3f;
  bool center_ = true, scale_ = true;
  int64_t dim_ = -1;
  int gammaIndex_ = -1, betaIndex_ = -1, meanIndex_ = -1, varIndex_ = -1;
};

class LayerNormalization : public Layer {
 public:
  explicit LayerNormalization(const Json& config) : Layer(config, "LayerNormalization") {
    Config c = cfg();
    if (c.has("axis")) {
      const Json& a = c.raw("axis");
      if (a.is_number_integer()) {
        axes_ = {a.get<int>()};
      } else if (a.is_array() && !a.empty()) {
        axes_.clear();
        for (const auto& e : a) {
          if (!e.is_number_integer()) throw Error(c.where("axis") + " must be an integer or a list of integers, got " + a.dump());
          axes_.push_back(e.get<int>());
        }
      } else {
        throw Error(c.where("axis") + " must be an integer or a list of integers, got " + a.dump());
      }
    }
    epsilon_ = c.getFloat("epsilon", 1e-3f);
    center_ = c.getBool("center", true);
    scale_ = c.getBool("scale", true);
  }

  bool supportsMasking() const override { return true; }

  void build(const std::vector<SymShape>& inputShapes) override {
    const SymShape& s = oneShape(*this, inputShapes, -1);
    rank_ = static_cast<int>(s.size());
    resolved_ = resolve(rank_);
    Shape paramShape;
    for (int a : resolved_) {
      if (s[a] < 0)
        throw Error(describe() + ": axis " + std::to_string(a) + " of the input must have a defined extent, got shape " +
                    symShapeString(s));
      paramShape.push_back(s[a]);
    }
    if (scale_) {
      gammaIndex_ = static_cast<int>(weights_.size());
      addWeight("gamma", paramShape);
    }
    if (center_) {
      betaIndex_ = static_cast<int>(weights_.size());
      addWeight("beta", paramShape);
    }
  }

  std::vector<SymShape> outputShapes(const std::vector<SymShape>& inputShapes) const override {
    const SymShape& s = oneShape(*this, inputShapes, -1);
    resolve(static_cast<int>(s.size()));
    return {s};
  }

  std::vector<Tensor> call(const std::vector<Tensor>& inputs, const CallArgs&) override {
    const Tensor& x = oneTensor(*this, inputs, rank_);
    checkNormRank(*this, rank_);
    Tensor m = mean(x, resolved_, true);
    Tensor v = varianceAround(x, m, resolved_, true);
    // gamma/beta are reshaped (not transposed) to the broadcast shape, as TF.js does.
    Shape broadcastShape(rank_, 1);
    for (int a : resolved_) broadcastShape[a] = x.shape()[a];
    auto bc = [&](int index) {
      if (index < 0) return Tensor();
      Tensor p = weights_[index].value;
      return p.rank() != rank_ ? reshape(p, broadcastShape) : p;
    };
    return {batchNorm(x, m, v, bc(betaIndex_), bc(gammaIndex_), epsilon_)};
  }

 private:
  std::vector<int> resolve(int rank) const {
    std::vector<int> out;
    for (int a : axes_) {
      int r = a < 0 ? a + rank : a;
      if (r < 0 || r >= rank)
        throw Error(cfg().where("axis") + ": axis " + std::to_string(a) + " is out of range for an input of rank " +
                    std::to_string(rank));
      if (std::find(out.begin(), out.end(), r) != out.end())
        throw Error(cfg().where("axis") + " has the axis " + std::to_string(r) + " twice");
      out.push_back(r);
    }
    return out;
  }

  std::vector<int> axes_{-1}, resolved_;
  float epsilon_ = 1e-3f;
  bool center_ = true, scale_ = true;
  int rank_ = -1;
  int gammaIndex_ = -1, betaIndex_ = -1;
};

const LayerRegistrar registrar{
    {"BatchNormalization", make<BatchNormalization>},
    {"LayerNormalization", make<LayerNormalization>},
};

}  // namespace
}  // namespace strata::layers
