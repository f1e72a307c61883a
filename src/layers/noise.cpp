// Noise layers (TF.js 4.22 tfjs-layers/src/layers/noise.ts semantics): GaussianNoise,
// GaussianDropout, AlphaDropout. All are the identity at inference; in training they draw
// from randomNormal/randomUniform as TF.js does.
#include <cmath>

#include "strata/error.h"
#include "strata/layer.h"
#include "strata/ops.h"

namespace strata::layers {

namespace {

const SymShape& oneShape(const Layer& l, const std::vector<SymShape>& shapes) {
  if (shapes.size() != 1)
    throw Error(l.describe() + " expects 1 input, got " + std::to_string(shapes.size()));
  return shapes[0];
}

std::optional<uint64_t> readSeed(const Config& c) {
  if (!c.has("seed")) return std::nullopt;
  const Json& v = c.raw("seed");
  if (!v.is_number_integer()) throw Error(c.where("seed") + " must be an integer, got " + v.dump());
  return static_cast<uint64_t>(v.get<int64_t>());
}

/// Shared by the three: one input, same output shape, masks pass through.
class NoiseLayer : public Layer {
 public:
  using Layer::Layer;
  bool supportsMasking() const override { return true; }
  std::vector<SymShape> outputShapes(const std::vector<SymShape>& in) const override { return {oneShape(*this, in)}; }
};

/// Adds zero-centred normal noise of standard deviation `stddev` in training.
class GaussianNoise : public NoiseLayer {
 public:
  explicit GaussianNoise(const Json& config) : NoiseLayer(config, "GaussianNoise") {
    Config c = cfg();
    stddev_ = c.getFloat("stddev");
    if (!(stddev_ >= 0)) throw Error(c.where("stddev") + " must be >= 0, got " + std::to_string(stddev_));
    seed_ = readSeed(c);
  }
  std::vector<Tensor> call(const std::vector<Tensor>& inputs, const CallArgs& args) override {
    expectInputs(*this, inputs, 1);
    const Tensor& x = inputs[0];
    if (!args.training) return {x};
    return {add(randomNormal(x.shape(), 0.0f, stddev_, seed_), x)};
  }

 private:
  float stddev_ = 0;
  std::optional<uint64_t> seed_;
};

/// Multiplies by normal noise of mean 1 and standard deviation sqrt(rate / (1 - rate)) in training.
class GaussianDropout : public NoiseLayer {
 public:
  explicit GaussianDropout(const Json& config) : NoiseLayer(config, "GaussianDropout") {
    Config c = cfg();
    rate_ = c.getFloat("rate");
    seed_ = readSeed(c);
  }
  std::vector<Tensor> call(const std::vector<Tensor>& inputs, const CallArgs& args) override {
    expectInputs(*this, inputs, 1);
    const Tensor& x = inputs[0];
    if (!(rate_ > 0 && rate_ < 1) || !args.training) return {x};
    float stddev = static_cast<float>(std::sqrt(static_cast<double>(rate_) / (1.0 - rate_)));
    return {mul(x, randomNormal(x.shape(), 1.0f, stddev, seed_))};
  }

 private:
  float rate_ = 0;
  std::optional<uint64_t> seed_;
};

/// Dropout meant to keep SELU's self-normalization: dropped units are set to a fixed value,
/// then an affine map a*x + b is applied (training only).
class AlphaDropout : public NoiseLayer {
 public:
  explicit AlphaDropout(const Json& config) : NoiseLayer(config, "AlphaDropout") {
    Config c = cfg();
    rate_ = c.getFloat("rate");
    seed_ = readSeed(c);
    if (c.has("noise_shape")) {
      const Json& v = c.raw("noise_shape");
      if (!v.is_array()) throw Error(c.where("noise_shape") + " must be a list of integers or nulls, got " + v.dump());
      SymShape s;
      for (const Json& e : v) {
        if (e.is_null()) s.push_back(-1);
        else if (e.is_number_integer() && e.get<int64_t>() >= 0) s.push_back(e.get<int64_t>());
        else throw Error(c.where("noise_shape") + " must be a list of non-negative integers or nulls, got " + v.dump());
      }
      noiseShape_ = s;
    }
  }
  std::vector<Tensor> call(const std::vector<Tensor>& inputs, const CallArgs& args) override {
    expectInputs(*this, inputs, 1);
    const Tensor& x = inputs[0];
    if (!(rate_ > 0 && rate_ < 1) || !args.training) return {x};
    Shape ns = x.shape();
    if (noiseShape_) {
      if (noiseShape_->size() != ns.size())
        throw Error(cfg().where("noise_shape") + " must have one entry per input axis, got " +
                    shapeString(*noiseShape_) + " for input of shape " + shapeString(x.shape()));
      for (size_t i = 0; i < ns.size(); ++i)
        if ((*noiseShape_)[i] >= 0) ns[i] = (*noiseShape_)[i];
    }
    const double alpha = 1.6732632423543772848170429916717;
    const double scale = 1.0507009873554804934193349852946;
    const double alphaP = -alpha * scale;
    const double r = rate_;
    Tensor kept = cast(greaterEqual(randomUniform(ns, 0.0f, 1.0f, DType::float32, seed_), scalar(rate_)),
                       DType::float32);
    const double a = std::pow((1 - r) * (1 + r * alphaP * alphaP), -0.5);
    const double b = -a * alphaP * r;
    // As TF.js 4.22: dropped units become (kept - 1) * alphaP = -alphaP before the affine map
    // (Keras uses +alphaP; TF.js's sign is kept so training matches the oracle).
    Tensor y = add(mul(x, kept), mul(add(kept, scalar(-1.0f)), scalar(static_cast<float>(alphaP))));
    return {add(mul(y, scalar(static_cast<float>(a))), scalar(static_cast<float>(b)))};
  }

 private:
  float rate_ = 0;
  std::optional<SymShape> noiseShape_;
  std::optional<uint64_t> seed_;
};

LayerRegistrar registrar{
    {"GaussianNoise", make<GaussianNoise>},
    {"GaussianDropout", make<GaussianDropout>},
    {"AlphaDropout", make<AlphaDropout>},
};

}  // namespace

}  // namespace strata::layers
