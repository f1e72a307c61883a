// Core Keras layers (TF.js 4.22 tfjs-layers/src/layers/core.ts semantics): Dense, Activation,
// Dropout, SpatialDropout1D/2D, Flatten, Reshape, Permute, RepeatVector, Masking.
// InputLayer lives with the model graph (src/models/model.cpp).
#include <algorithm>
#include <numeric>

#include "models/activations.h"
#include "strata/error.h"
#include "strata/layer.h"
#include "strata/ops.h"

namespace strata::layers {

namespace {

std::string shapeText(const SymShape& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + (s[i] < 0 ? std::string("null") : std::to_string(s[i]));
  return out + "]";
}

const SymShape& oneShape(const Layer& l, const std::vector<SymShape>& shapes) {
  if (shapes.size() != 1)
    throw Error(l.describe() + " expects 1 input, got " + std::to_string(shapes.size()));
  return shapes[0];
}

void expectRank(const Layer& l, const SymShape& s, size_t rank) {
  if (s.size() != rank)
    throw Error(l.describe() + ": expected an input of rank " + std::to_string(rank) + " (batch included), got shape " +
                shapeText(s));
}

void expectMinRank(const Layer& l, const SymShape& s, size_t rank) {
  if (s.size() < rank)
    throw Error(l.describe() + ": expected an input of rank >= " + std::to_string(rank) +
                " (batch included), got shape " + shapeText(s));
}

// "noise_shape": a list of ints and nulls (-1), or null.
std::optional<SymShape> readNoiseShape(const Config& c, const char* key) {
  if (!c.has(key)) return std::nullopt;
  const Json& v = c.raw(key);
  if (!v.is_array()) throw Error(c.where(key) + " must be a list of integers or nulls, got " + v.dump());
  SymShape s;
  for (const Json& e : v) {
    if (e.is_null()) s.push_back(-1);
    else if (e.is_number_integer() && e.get<int64_t>() >= 0) s.push_back(e.get<int64_t>());
    else throw Error(c.where(key) + " must be a list of non-negative integers or nulls, got " + v.dump());
  }
  return s;
}

std::optional<uint64_t> readSeed(const Config& c) {
  if (!c.has("seed")) return std::nullopt;
  const Json& v = c.raw("seed");
  if (!v.is_number_integer()) throw Error(c.where("seed") + " must be an integer, got " + v.dump());
  return static_cast<uint64_t>(v.get<int64_t>());
}

void rejectChannelsFirst(const Config& c, const Layer& l) {
  std::string df = c.getString("data_format", "channels_last");
  if (df == "channels_first")
    throw Error(c.where("data_format") + " is 'channels_first', which Strata does not support for " + l.className() +
                " (only 'channels_last')");
  if (df != "channels_last")
    throw Error(c.where("data_format") + " must be 'channels_last' or 'channels_first', got '" + df + "'");
}

// ---- Dense ------------------------------------------------------------------------------

class Dense : public Layer {
 public:
  explicit Dense(const Json& config) : Layer(config, "Dense") {
    Config c = cfg();
    units_ = c.getInt("units");
    if (units_ <= 0) throw Error(c.where("units") + " must be a positive integer, got " + std::to_string(units_));
    activation_ = getActivation(c.has("activation") ? c.raw("activation") : Json(), describe());
    useBias_ = c.getBool("use_bias", true);
  }

  bool supportsMasking() const override { return true; }

  std::vector<SymShape> outputShapes(const std::vector<SymShape>& in) const override {
    SymShape s = oneShape(*this, in);
    expectMinRank(*this, s, 2);
    checkLastDim(s);
    s.back() = units_;
    return {s};
  }

  void build(const std::vector<SymShape>& in) override {
    const SymShape& s = oneShape(*this, in);
    expectMinRank(*this, s, 2);
    if (s.back() < 0)
      throw Error(describe() + ": the last dimension of the input must be known to create the kernel, got shape " +
                  shapeText(s));
    inputDim_ = s.back();
    kernel_ = addWeight("kernel", {inputDim_, units_});
    if (useBias_) bias_ = addWeight("bias", {units_});
  }

  std::vector<Tensor> call(const std::vector<Tensor>& inputs, const CallArgs&) override {
    expectInputs(*this, inputs, 1);
    const Tensor& x = inputs[0];
    expectMinRank(*this, x.shape(), 2);
    checkLastDim(x.shape());
    // TF.js K.dot: rank > 2 inputs are flattened to 2-D, multiplied, and reshaped back.
    Shape outShape = x.shape();
    outShape.back() = units_;
    Tensor x2 = x.rank() == 2 ? x : reshape(x, {-1, x.shape().back()});
    Tensor y;
    if (activation_.fused) {
      FusedMatMulOptions o;
      if (useBias_) o.bias = bias_;
      o.activation = *activation_.fused;
      y = fusedMatMul(x2, kernel_, o);
      if (x.rank() != 2) y = reshape(y, outShape);
    } else {
      y = matMul(x2, kernel_);
      if (x.rank() != 2) y = reshape(y, outShape);
      if (useBias_) y = add(y, bias_);
      y = activation_.fn(y);
    }
    return {y};
  }

 private:
  void checkLastDim(const SymShape& s) const {
    if (inputDim_ >= 0 && s.back() >= 0 && s.back() != inputDim_)
      throw Error(describe() + ": expected the input's last dimension to be " + std::to_string(inputDim_) +
                  " (the kernel is [" + std::to_string(inputDim_) + ", " + std::to_string(units_) + "]), got shape " +
                  shapeText(s));
  }

  int64_t units_ = 0;
  int64_t inputDim_ = -1;
  ActivationSpec activation_;
  bool useBias_ = true;
  Variable kernel_, bias_;
};

// ---- Activation -------------------------------------------------------------------------

class ActivationLayer : public Layer {
 public:
  explicit ActivationLayer(const Json& config) : Layer(config, "Activation") {
    Config c = cfg();
    activation_ = getActivation(c.has("activation") ? c.raw("activation") : Json(), describe());
  }
  bool supportsMasking() const override { return true; }
  std::vector<SymShape> outputShapes(const std::vector<SymShape>& in) const override { return {oneShape(*this, in)}; }
  std::vector<Tensor> call(const std::vector<Tensor>& inputs, const CallArgs&) override {
    expectInputs(*this, inputs, 1);
    return {activation_.fn(inputs[0])};
  }

 private:
  ActivationSpec activation_;
};

// ---- Dropout and its spatial variants ---------------------------------------------------

class Dropout : public Layer {
 public:
  explicit Dropout(const Json& config, const char* cls = "Dropout") : Layer(config, cls) {
    Config c = cfg();
    // TF.js clamps the rate to [0, 1]; a rate of 0 or 1 makes the layer the identity.
    rate_ = std::clamp(c.getFloat("rate"), 0.0f, 1.0f);
    noiseShape_ = readNoiseShape(c, "noise_shape");
    seed_ = readSeed(c);
  }
  bool supportsMasking() const override { return true; }
  std::vector<SymShape> outputShapes(const std::vector<SymShape>& in) const override {
    const SymShape& s = oneShape(*this, in);
    checkInput(s);
    return {s};
  }
  std::vector<Tensor> call(const std::vector<Tensor>& inputs, const CallArgs& args) override {
    expectInputs(*this, inputs, 1);
    const Tensor& x = inputs[0];
    checkInput(x.shape());
    if (!(rate_ > 0 && rate_ < 1) || !args.training) return {x};
    return {dropout(x, rate_, noiseShape(x.shape()), seed_)};
  }

 protected:
  virtual void checkInput(const SymShape&) const {}
  virtual Shape noiseShape(const Shape& x) const {
    if (!noiseShape_) return {};
    if (noiseShape_->size() != x.size())
      throw Error(cfg().where("noise_shape") + " " + shapeText(*noiseShape_) + " must have one entry per input axis (" +
                  std::to_string(x.size()) + ") for input of shape " + shapeString(x));
    Shape ns = *noiseShape_;
    for (size_t i = 0; i < ns.size(); ++i)
      if (ns[i] < 0) ns[i] = x[i];
    return ns;
  }

  float rate_ = 0;
  std::optional<SymShape> noiseShape_;
  std::optional<uint64_t> seed_;
};

/// Drops whole channels of [batch, time, channels] inputs.
class SpatialDropout1D : public Dropout {
 public:
  explicit SpatialDropout1D(const Json& config) : Dropout(config, "SpatialDropout1D") {}

 protected:
  void checkInput(const SymShape& s) const override { expectRank(*this, s, 3); }
  Shape noiseShape(const Shape& x) const override { return {x[0], 1, x[2]}; }
};

/// Drops whole channels of [batch, rows, cols, channels] inputs. (Keras only: TF.js 4.22 has
/// no SpatialDropout2D; this follows Keras with data_format channels_last.)
class SpatialDropout2D : public Dropout {
 public:
  explicit SpatialDropout2D(const Json& config) : Dropout(config, "SpatialDropout2D") {
    rejectChannelsFirst(cfg(), *this);
  }

 protected:
  void checkInput(const SymShape& s) const override { expectRank(*this, s, 4); }
  Shape noiseShape(const Shape& x) const override { return {x[0], 1, 1, x[3]}; }
};

// ---- Flatten ----------------------------------------------------------------------------

class Flatten : public Layer {
 public:
  explicit Flatten(const Json& config) : Layer(config, "Flatten") {
    Config c = cfg();
    std::string df = c.getString("data_format", "channels_last");
    if (df != "channels_last" && df != "channels_first")
      throw Error(c.where("data_format") + " must be 'channels_last' or 'channels_first', got '" + df + "'");
    channelsFirst_ = df == "channels_first";
  }
  std::vector<SymShape> outputShapes(const std::vector<SymShape>& in) const override {
    const SymShape& s = oneShape(*this, in);
    // TF.js's input spec: min_ndim 3.
    expectMinRank(*this, s, 3);
    int64_t n = 1;
    for (size_t i = 1; i < s.size(); ++i) {
      if (s[i] < 0)
        throw Error(describe() + ": the shape of the input is not fully defined (got " + shapeText(s) +
                    "); every dimension but the batch must be known");
      n *= s[i];
    }
    return {{s[0], n}};
  }
  std::vector<Tensor> call(const std::vector<Tensor>& inputs, const CallArgs&) override {
    expectInputs(*this, inputs, 1);
    Tensor x = inputs[0];
    expectMinRank(*this, x.shape(), 3);
    if (channelsFirst_) {
      // [batch, channels, d1, ...] -> [batch, d1, ..., channels] before flattening.
      std::vector<int> perm{0};
      for (int i = 2; i < x.rank(); ++i) perm.push_back(i);
      perm.push_back(1);
      x = transpose(x, perm);
    }
    return {reshape(x, {x.shape()[0], -1})};
  }

 private:
  bool channelsFirst_ = false;
};

// ---- Reshape ----------------------------------------------------------------------------

class Reshape : public Layer {
 public:
  explicit Reshape(const Json& config) : Layer(config, "Reshape") {
    Config c = cfg();
    const Json& v = c.raw("target_shape");
    if (!v.is_array()) throw Error(c.where("target_shape") + " must be a list of integers, got " + v.dump());
    int unknown = 0;
    for (const Json& e : v) {
      // -1 and null both mark the one dimension inferred from the input's size.
      if (e.is_null()) target_.push_back(-1);
      else if (e.is_number_integer()) target_.push_back(e.get<int64_t>() < 0 ? -1 : e.get<int64_t>());
      else throw Error(c.where("target_shape") + " must hold integers (-1 or null for one inferred dimension), got " +
                       v.dump());
      if (target_.back() < 0) ++unknown;
    }
    if (unknown > 1)
      throw Error(c.where("target_shape") + " " + v.dump() + " can only have one unknown (-1 or null) dimension");
  }
  std::vector<SymShape> outputShapes(const std::vector<SymShape>& in) const override {
    const SymShape& s = oneShape(*this, in);
    expectMinRank(*this, s, 1);
    SymShape out{s[0]};
    bool known = std::all_of(s.begin() + 1, s.end(), [](int64_t d) { return d >= 0; });
    SymShape rest = known ? resolve(SymShape(s.begin() + 1, s.end())) : target_;
    out.insert(out.end(), rest.begin(), rest.end());
    return {out};
  }
  std::vector<Tensor> call(const std::vector<Tensor>& inputs, const CallArgs&) override {
    expectInputs(*this, inputs, 1);
    const Tensor& x = inputs[0];
    expectMinRank(*this, x.shape(), 1);
    Shape out{x.shape()[0]};
    Shape rest = resolve(Shape(x.shape().begin() + 1, x.shape().end()));
    out.insert(out.end(), rest.begin(), rest.end());
    return {reshape(x, out)};
  }

 private:
  // Fills in the unknown target dimension from the input's (non-batch) size.
  SymShape resolve(const SymShape& inner) const {
    int64_t size = 1, known = 1;
    for (int64_t d : inner) size *= d;
    int unknownAt = -1;
    for (size_t i = 0; i < target_.size(); ++i) {
      if (target_[i] < 0) unknownAt = static_cast<int>(i);
      else known *= target_[i];
    }
    SymShape out = target_;
    auto fail = [&]() {
      return Error(describe() + ": cannot reshape an input of shape " + shapeText(inner) + " (batch excluded, " +
                   std::to_string(size) + " elements) to target_shape " + shapeText(target_) +
                   ": the total size must be unchanged");
    };
    if (unknownAt >= 0) {
      if (known == 0 || size % known != 0) throw fail();
      out[unknownAt] = size / known;
    } else if (known != size) {
      throw fail();
    }
    return out;
  }

  SymShape target_;
};

// ---- Permute ----------------------------------------------------------------------------

class Permute : public Layer {
 public:
  explicit Permute(const Json& config) : Layer(config, "Permute") {
    Config c = cfg();
    const Json& v = c.raw("dims");
    if (!v.is_array()) throw Error(c.where("dims") + " must be a list of integers, got " + v.dump());
    for (const Json& e : v) {
      if (!e.is_number_integer()) throw Error(c.where("dims") + " must hold integers, got " + v.dump());
      dims_.push_back(e.get<int>());
    }
    std::vector<int> sorted = dims_;
    std::sort(sorted.begin(), sorted.end());
    for (size_t i = 0; i < sorted.size(); ++i)
      if (sorted[i] != static_cast<int>(i) + 1)
        throw Error(c.where("dims") + " " + v.dump() +
                    " is not a permutation: it must contain the integers 1.." + std::to_string(dims_.size()) +
                    " (axes counted from 1, the batch excluded)");
  }
  std::vector<SymShape> outputShapes(const std::vector<SymShape>& in) const override {
    const SymShape& s = oneShape(*this, in);
    expectRank(*this, s, dims_.size() + 1);
    SymShape out = s;
    for (size_t i = 0; i < dims_.size(); ++i) out[i + 1] = s[dims_[i]];
    return {out};
  }
  std::vector<Tensor> call(const std::vector<Tensor>& inputs, const CallArgs&) override {
    expectInputs(*this, inputs, 1);
    expectRank(*this, inputs[0].shape(), dims_.size() + 1);
    std::vector<int> perm{0};
    perm.insert(perm.end(), dims_.begin(), dims_.end());
    return {transpose(inputs[0], perm)};
  }

 private:
  std::vector<int> dims_;
};

// ---- RepeatVector -----------------------------------------------------------------------

class RepeatVector : public Layer {
 public:
  explicit RepeatVector(const Json& config) : Layer(config, "RepeatVector") {
    Config c = cfg();
    n_ = c.getInt("n");
    if (n_ < 0) throw Error(c.where("n") + " must be a non-negative integer, got " + std::to_string(n_));
  }
  std::vector<SymShape> outputShapes(const std::vector<SymShape>& in) const override {
    const SymShape& s = oneShape(*this, in);
    expectRank(*this, s, 2);
    return {{s[0], n_, s[1]}};
  }
  std::vector<Tensor> call(const std::vector<Tensor>& inputs, const CallArgs&) override {
    expectInputs(*this, inputs, 1);
    expectRank(*this, inputs[0].shape(), 2);
    return {tile(expandDims(inputs[0], 1), {1, n_, 1})};
  }

 private:
  int64_t n_ = 1;
};

// ---- Masking ----------------------------------------------------------------------------

class Masking : public Layer {
 public:
  explicit Masking(const Json& config) : Layer(config, "Masking") { maskValue_ = cfg().getFloat("mask_value", 0.0f); }
  bool supportsMasking() const override { return true; }
  std::vector<SymShape> outputShapes(const std::vector<SymShape>& in) const override { return {oneShape(*this, in)}; }
  Tensor computeMask(const std::vector<Tensor>& inputs, const std::vector<Tensor>&) const override {
    expectInputs(*this, inputs, 1);
    return any(notEqual(inputs[0], scalar(maskValue_)), {-1});
  }
  std::vector<Tensor> call(const std::vector<Tensor>& inputs, const CallArgs&) override {
    expectInputs(*this, inputs, 1);
    const Tensor& x = inputs[0];
    Tensor keep = any(notEqual(x, scalar(maskValue_)), {-1}, true);
    return {mul(x, cast(keep, x.dtype()))};
  }

 private:
  float maskValue_ = 0;
};

LayerRegistrar registrar{
    {"Dense", make<Dense>},
    {"Activation", make<ActivationLayer>},
    {"Dropout", [](const Json& c) -> std::unique_ptr<Layer> { return std::make_unique<Dropout>(c); }},
    {"SpatialDropout1D", make<SpatialDropout1D>},
    {"SpatialDropout2D", make<SpatialDropout2D>},
    {"Flatten", make<Flatten>},
    {"Reshape", make<Reshape>},
    {"Permute", make<Permute>},
    {"RepeatVector", make<RepeatVector>},
    {"Masking", make<Masking>},
};

}  // namespace

}  // namespace strata::layers
