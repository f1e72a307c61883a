// Advanced activation layers (TF.js 4.22 tfjs-layers/src/layers/advanced_activations.ts
// semantics): ReLU, LeakyReLU, PReLU, ELU, ThresholdedReLU, Softmax.
#include <algorithm>

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

std::string shapeText(const SymShape& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + (s[i] < 0 ? std::string("null") : std::to_string(s[i]));
  return out + "]";
}

/// Elementwise activation layers: one input, same output shape.
class ElementwiseLayer : public Layer {
 public:
  using Layer::Layer;
  std::vector<SymShape> outputShapes(const std::vector<SymShape>& in) const override { return {oneShape(*this, in)}; }
  std::vector<Tensor> call(const std::vector<Tensor>& inputs, const CallArgs& args) override {
    expectInputs(*this, inputs, 1);
    return {apply(inputs[0], args)};
  }

 protected:
  virtual Tensor apply(const Tensor& x, const CallArgs& args) = 0;
};

// ---- ReLU -------------------------------------------------------------------------------

/// max(x, 0) clipped at max_value. TF.js reads only max_value; Keras's negative_slope and
/// threshold (written by Python Keras) are honored with Keras's semantics when non-zero:
/// x > threshold ? min(x, max_value) : negative_slope * (x - threshold).
class ReLU : public ElementwiseLayer {
 public:
  explicit ReLU(const Json& config) : ElementwiseLayer(config, "ReLU") {
    Config c = cfg();
    if (c.has("max_value")) {
      maxValue_ = c.getFloat("max_value");
      if (*maxValue_ < 0) throw Error(c.where("max_value") + " must be >= 0, got " + std::to_string(*maxValue_));
    }
    negativeSlope_ = c.getFloat("negative_slope", 0.0f);
    if (negativeSlope_ < 0)
      throw Error(c.where("negative_slope") + " must be >= 0, got " + std::to_string(negativeSlope_));
    threshold_ = c.getFloat("threshold", 0.0f);
  }
  bool supportsMasking() const override { return true; }

 protected:
  Tensor apply(const Tensor& x, const CallArgs&) override {
    Tensor y = threshold_ != 0 ? mul(x, cast(greater(x, scalar(threshold_)), x.dtype())) : relu(x);
    if (maxValue_) y = clipByValue(y, 0.0f, *maxValue_);
    if (negativeSlope_ != 0) y = sub(y, mul(scalar(negativeSlope_), relu(sub(scalar(threshold_), x))));
    return y;
  }

 private:
  std::optional<float> maxValue_;
  float negativeSlope_ = 0, threshold_ = 0;
};

// ---- LeakyReLU --------------------------------------------------------------------------

/// x < 0 ? alpha * x : x, alpha defaulting to 0.3. Keras 3 names the key negative_slope; it is
/// read when alpha is absent.
class LeakyReLU : public ElementwiseLayer {
 public:
  explicit LeakyReLU(const Json& config) : ElementwiseLayer(config, "LeakyReLU") {
    Config c = cfg();
    alpha_ = c.has("alpha") ? c.getFloat("alpha") : c.getFloat("negative_slope", 0.3f);
  }

 protected:
  Tensor apply(const Tensor& x, const CallArgs&) override { return leakyRelu(x, alpha_); }

 private:
  float alpha_ = 0.3f;
};

// ---- PReLU ------------------------------------------------------------------------------

/// Leaky ReLU with a learned slope per element ("alpha" of the input's shape without the batch),
/// shared (size 1) along `shared_axes` (counted from 1, the batch excluded).
class PReLU : public ElementwiseLayer {
 public:
  explicit PReLU(const Json& config) : ElementwiseLayer(config, "PReLU") {
    Config c = cfg();
    if (c.has("shared_axes")) {
      const Json& v = c.raw("shared_axes");
      if (v.is_number_integer()) {
        sharedAxes_.push_back(v.get<int>());
      } else if (v.is_array()) {
        for (const Json& e : v) {
          if (!e.is_number_integer())
            throw Error(c.where("shared_axes") + " must be an integer or a list of integers, got " + v.dump());
          sharedAxes_.push_back(e.get<int>());
        }
      } else {
        throw Error(c.where("shared_axes") + " must be an integer or a list of integers, got " + v.dump());
      }
    }
  }
  bool supportsMasking() const override { return true; }

  std::vector<SymShape> outputShapes(const std::vector<SymShape>& in) const override {
    const SymShape& s = oneShape(*this, in);
    paramShape(s);  // validates
    if (built_ && s.size() != builtShape_.size())
      throw Error(describe() + ": expected an input of rank " + std::to_string(builtShape_.size()) + ", got shape " +
                  shapeText(s));
    return {s};
  }

  void build(const std::vector<SymShape>& in) override {
    const SymShape& s = oneShape(*this, in);
    SymShape p = paramShape(s);
    for (size_t i = 0; i < p.size(); ++i)
      if (p[i] < 0)
        throw Error(describe() + ": input dimension " + std::to_string(i + 1) + " of shape " + shapeText(s) +
                    " is unknown; list it in shared_axes or give the input a known shape");
    builtShape_ = s;
    alpha_ = addWeight("alpha", p);
  }

 protected:
  Tensor apply(const Tensor& x, const CallArgs&) override {
    if (x.rank() != static_cast<int>(builtShape_.size()))
      throw Error(describe() + ": expected an input of rank " + std::to_string(builtShape_.size()) + ", got shape " +
                  shapeString(x.shape()));
    for (size_t i = 1; i < builtShape_.size(); ++i)
      if (builtShape_[i] >= 0 && x.shape()[i] != builtShape_[i])
        throw Error(describe() + ": expected input shape " + shapeText(builtShape_) + ", got " +
                    shapeString(x.shape()));
    return prelu(x, alpha_);
  }

 private:
  SymShape paramShape(const SymShape& s) const {
    if (s.size() < 2)
      throw Error(describe() + ": expected an input of rank >= 2 (batch included), got shape " + shapeText(s));
    SymShape p(s.begin() + 1, s.end());
    for (int a : sharedAxes_) {
      if (a < 1 || a >= static_cast<int>(s.size()))
        throw Error(cfg().where("shared_axes") + " has axis " + std::to_string(a) + ", outside 1.." +
                    std::to_string(s.size() - 1) + " for input shape " + shapeText(s));
      p[a - 1] = 1;
    }
    return p;
  }

  std::vector<int> sharedAxes_;
  SymShape builtShape_;
  Variable alpha_;
};

// ---- ELU --------------------------------------------------------------------------------

/// x > 0 ? x : alpha * (exp(x) - 1). TF.js only accepts alpha = 1; other values follow Keras.
class ELU : public ElementwiseLayer {
 public:
  explicit ELU(const Json& config) : ElementwiseLayer(config, "ELU") { alpha_ = cfg().getFloat("alpha", 1.0f); }

 protected:
  Tensor apply(const Tensor& x, const CallArgs&) override {
    if (alpha_ == 1.0f) return elu(x);
    return where(greater(x, scalar(0.0f)), x, mul(scalar(alpha_), expm1(x)));
  }

 private:
  float alpha_ = 1.0f;
};

// ---- ThresholdedReLU --------------------------------------------------------------------

/// x > theta ? x : 0.
class ThresholdedReLU : public ElementwiseLayer {
 public:
  explicit ThresholdedReLU(const Json& config) : ElementwiseLayer(config, "ThresholdedReLU") {
    theta_ = cfg().getFloat("theta", 1.0f);
  }

 protected:
  Tensor apply(const Tensor& x, const CallArgs&) override {
    return mul(x, cast(greater(x, scalar(theta_)), DType::float32));
  }

 private:
  float theta_ = 1.0f;
};

// ---- Softmax ----------------------------------------------------------------------------

/// Softmax over `axis` (an int or a list; TF.js's default when absent is 1). A mask given to
/// the call (TF.js passes the incoming mask) adds -1e9 where it is false, as TF.js does.
class Softmax : public ElementwiseLayer {
 public:
  explicit Softmax(const Json& config) : ElementwiseLayer(config, "Softmax") {
    Config c = cfg();
    if (!c.has("axis")) {
      axes_ = {1};
    } else {
      const Json& v = c.raw("axis");
      if (v.is_number_integer()) {
        axes_ = {v.get<int>()};
      } else if (v.is_array() && !v.empty()) {
        for (const Json& e : v) {
          if (!e.is_number_integer())
            throw Error(c.where("axis") + " must be an integer or a list of integers, got " + v.dump());
          axes_.push_back(e.get<int>());
        }
        listForm_ = true;
      } else {
        throw Error(c.where("axis") + " must be an integer or a non-empty list of integers, got " + v.dump());
      }
    }
  }

  std::vector<SymShape> outputShapes(const std::vector<SymShape>& in) const override {
    const SymShape& s = oneShape(*this, in);
    for (int a : axes_) checkAxis(a, static_cast<int>(s.size()), shapeText(s));
    return {s};
  }

 protected:
  Tensor apply(const Tensor& x0, const CallArgs& args) override {
    for (int a : axes_) checkAxis(a, x0.rank(), shapeString(x0.shape()));
    Tensor x = x0;
    if (!args.masks.empty() && args.masks[0].defined()) {
      Tensor adder = mul(sub(ones(x.shape()), cast(args.masks[0], x.dtype())), scalar(-1e9f));
      x = add(x, adder);
    }
    if (listForm_ && axes_.size() > 1) return exp(sub(x, logSumExp(x, axes_, true)));
    return softmax(x, axes_[0]);
  }

 private:
  void checkAxis(int a, int rank, const std::string& shape) const {
    if (a < -rank || a >= rank)
      throw Error(cfg().where("axis") + " " + std::to_string(a) + " is out of range for an input of shape " + shape);
  }

  std::vector<int> axes_;
  bool listForm_ = false;
};

LayerRegistrar registrar{
    {"ReLU", make<ReLU>},
    {"LeakyReLU", make<LeakyReLU>},
    {"PReLU", make<PReLU>},
    {"ELU", make<ELU>},
    {"ThresholdedReLU", make<ThresholdedReLU>},
    {"Softmax", make<Softmax>},
};

}  // namespace

}  // namespace strata::layers
