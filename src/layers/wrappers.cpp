// Wrapper layers: Bidirectional (a forward and a backward copy of an RNN layer, merged) and
// TimeDistributed (a layer applied to every time step, by folding time into the batch).
// A wrapper's own weight list holds its inner layers' weights (the same variables), named as
// TF.js saves them: Bidirectional "forward_<layer>/kernel", ..., then "backward_<layer>/...";
// TimeDistributed the inner layer's names unchanged.
#include <set>

#include "layers/recurrent.h"
#include "strata/error.h"
#include "strata/ops.h"

namespace strata::layers {

namespace {

// config.layer: {class_name, config}.
const Json& innerSpec(const Config& c, const char* key) {
  const Json& spec = c.raw(key);
  if (!spec.is_object() || !spec.contains("class_name") || !spec["class_name"].is_string())
    throw Error(c.where(key) + " must be {class_name, config}, got " + spec.dump());
  return spec;
}

Json innerConfig(const Json& spec) {
  return spec.contains("config") && spec["config"].is_object() ? spec["config"] : Json::object();
}

// Runs `f`, prefixing errors from the wrapped layer with the wrapper's name.
template <class F>
auto inWrapper(const Layer& wrapper, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const DisposedError&) {
    throw;
  } catch (const OutOfMemoryError&) {
    throw;
  } catch (const Error& e) {
    throw Error(wrapper.describe() + ": " + e.what());
  }
}

bool jsonBool(const Json& j, const char* key) { return j.contains(key) && j[key].is_boolean() && j[key].get<bool>(); }

// Base for wrappers: owns the inner layers and mirrors their weights in its own list.
class WrapperBase : public Layer {
 public:
  using Layer::Layer;

 protected:
  // Appends `inner`'s weights to this layer's list as "<prefix><name>".
  void adoptWeights(Layer& inner, const std::string& prefix) {
    for (const Weight& w : weights_)
      if (w.name.rfind(prefix, 0) == 0) return;  // adopted already (build called again)
    for (Weight* w : inner.allWeights()) weights_.push_back(Weight{prefix + w->name, w->value, w->trainable});
  }
  // Hands this layer's (possibly replaced) variables back to the inner layers, in adoption order.
  void syncWeights(const std::vector<Layer*>& inner) {
    size_t k = 0;
    for (Layer* l : inner)
      for (Weight* w : l->allWeights()) {
        if (k >= weights_.size()) return;
        if (weights_[k].value.node() != w->value.node()) w->value = weights_[k].value;
        ++k;
      }
  }
};

// ---- Bidirectional -------------------------------------------------------------------------

class Bidirectional : public WrapperBase {
 public:
  explicit Bidirectional(const Json& config) : WrapperBase(config, "Bidirectional") {
    Config c = cfg();
    const Json& spec = innerSpec(c, "layer");
    const std::string cls = spec["class_name"].get<std::string>();
    Json inner = innerConfig(spec);
    const std::string ctx = describe() + " config.layer";
    std::string innerName = inner.contains("name") && inner["name"].is_string() ? inner["name"].get<std::string>() : "";
    if (innerName.empty()) innerName = createLayer(cls, inner, ctx)->name();

    Json fwd = inner;
    fwd["name"] = "forward_" + innerName;
    forward_ = createLayer(cls, fwd, ctx);
    if (c.has("backward_layer")) {
      // Keras: an explicit backward layer.
      const Json& bspec = innerSpec(c, "backward_layer");
      Json back = innerConfig(bspec);
      std::string bname = back.contains("name") && back["name"].is_string() ? back["name"].get<std::string>() : innerName;
      back["name"] = "backward_" + bname;
      backward_ = createLayer(bspec["class_name"].get<std::string>(), back, describe() + " config.backward_layer");
      if (jsonBool(back, "go_backwards") == jsonBool(inner, "go_backwards"))
        throw Error(c.where("backward_layer") + ".go_backwards must differ from config.layer's");
    } else {
      Json back = inner;
      back["go_backwards"] = !jsonBool(inner, "go_backwards");
      back["name"] = "backward_" + innerName;
      backward_ = createLayer(cls, back, ctx);
    }
    if (jsonBool(inner, "stateful")) throw Error(c.where("layer") + ": stateful RNNs are not supported");
    returnSequences_ = jsonBool(inner, "return_sequences");
    returnState_ = jsonBool(inner, "return_state");

    // Absent: "concat" (TF.js default); null: the two outputs unmerged.
    if (!c.json().contains("merge_mode")) mode_ = "concat";
    else if (c.json()["merge_mode"].is_null()) mode_ = "";
    else {
      mode_ = c.getString("merge_mode");
      static const std::set<std::string> modes{"concat", "sum", "mul", "ave"};
      if (!modes.count(mode_))
        throw Error(c.where("merge_mode") + " must be one of concat, sum, mul, ave or null, got '" + mode_ + "'");
    }
  }

  std::vector<SymShape> outputShapes(const std::vector<SymShape>& in) const override {
    checkInputs(in.size());
    std::vector<SymShape> fs = inWrapper(*this, [&] { return forward_->outputShapes(half(in, true)); });
    SymShape out = fs[0];
    if (mode_ == "concat" && out.back() >= 0) out.back() *= 2;
    std::vector<SymShape> r{out};
    if (mode_.empty()) r.push_back(out);
    if (returnState_) {
      std::vector<SymShape> bs = inWrapper(*this, [&] { return backward_->outputShapes(half(in, false)); });
      r.insert(r.end(), fs.begin() + 1, fs.end());
      r.insert(r.end(), bs.begin() + 1, bs.end());
    }
    return r;
  }

  void build(const std::vector<SymShape>& in) override {
    checkInputs(in.size());
    inWrapper(*this, [&] {
      forward_->ensureBuilt(half(in, true));
      backward_->ensureBuilt(half(in, false));
    });
    adoptWeights(*forward_, forward_->name() + "/");
    adoptWeights(*backward_, backward_->name() + "/");
  }

  std::vector<Tensor> call(const std::vector<Tensor>& inputs, const CallArgs& args) override {
    checkInputs(inputs.size());
    syncWeights({forward_.get(), backward_.get()});
    CallArgs a = args;
    Tensor mask = !args.masks.empty() ? args.masks[0] : Tensor();
    std::vector<Tensor> fin = half(inputs, true), bin = half(inputs, false);
    a.masks.assign(fin.size(), Tensor());
    a.masks[0] = mask;
    std::vector<Tensor> y = inWrapper(*this, [&] { return forward_->call(fin, a); });
    std::vector<Tensor> yRev = inWrapper(*this, [&] { return backward_->call(bin, a); });
    Tensor b = returnSequences_ ? reverse(yRev[0], {1}) : yRev[0];
    std::vector<Tensor> out;
    if (mode_ == "concat") out.push_back(concat({y[0], b}, -1));
    else if (mode_ == "sum") out.push_back(add(y[0], b));
    else if (mode_ == "ave") out.push_back(0.5f * add(y[0], b));
    else if (mode_ == "mul") out.push_back(mul(y[0], b));
    else out = {y[0], b};
    if (returnState_) {
      out.insert(out.end(), y.begin() + 1, y.end());
      out.insert(out.end(), yRev.begin() + 1, yRev.end());
    }
    return out;
  }

  Tensor computeMask(const std::vector<Tensor>& inputs, const std::vector<Tensor>& masks) const override {
    if (!returnSequences_ || masks.empty()) return Tensor();
    return masks[0];
  }
  bool supportsMasking() const override { return true; }

 private:
  // Extra inputs are initial states: the first half for the forward layer, the rest backward.
  void checkInputs(size_t n) const {
    if (n == 0 || (n - 1) % 2 != 0)
      throw Error(describe() + " expects 1 input, or 1 input and the initial states of both directions (an even "
                               "number), got " + std::to_string(n) + " inputs");
  }
  template <class T>
  static std::vector<T> half(const std::vector<T>& in, bool first) {
    std::vector<T> r{in[0]};
    const size_t ns = (in.size() - 1) / 2;
    const size_t from = first ? 1 : 1 + ns;
    r.insert(r.end(), in.begin() + from, in.begin() + from + ns);
    return r;
  }

  std::unique_ptr<Layer> forward_, backward_;
  std::string mode_;
  bool returnSequences_ = false, returnState_ = false;
};

// ---- TimeDistributed -----------------------------------------------------------------------

class TimeDistributed : public WrapperBase {
 public:
  explicit TimeDistributed(const Json& config) : WrapperBase(config, "TimeDistributed") {
    const Json& spec = innerSpec(cfg(), "layer");
    layer_ = createLayer(spec["class_name"].get<std::string>(), innerConfig(spec), describe() + " config.layer");
  }

  std::vector<SymShape> outputShapes(const std::vector<SymShape>& in) const override {
    expectShapes(in);
    std::vector<SymShape> child = inWrapper(*this, [&] { return layer_->outputShapes({childShape(in[0])}); });
    if (child.size() != 1)
      throw Error(describe() + ": the wrapped " + layer_->describe() + " must have one output, got " +
                  std::to_string(child.size()));
    SymShape out{child[0][0], in[0][1]};
    out.insert(out.end(), child[0].begin() + 1, child[0].end());
    return {out};
  }

  void build(const std::vector<SymShape>& in) override {
    expectShapes(in);
    inWrapper(*this, [&] { layer_->ensureBuilt({childShape(in[0])}); });
    adoptWeights(*layer_, "");
  }

  std::vector<Tensor> call(const std::vector<Tensor>& inputs, const CallArgs& args) override {
    expectInputs(*this, inputs, 1);
    const Tensor& x = inputs[0];
    if (x.rank() < 3)
      throw Error(describe() + " expects input of rank 3 or more [batch, time, ...], got shape " + shapeString(x.shape()));
    syncWeights({layer_.get()});
    const int64_t batch = x.shape()[0], time = x.shape()[1];
    Shape folded{batch * time};
    folded.insert(folded.end(), x.shape().begin() + 2, x.shape().end());
    CallArgs a;
    a.training = args.training;
    a.kwargs = args.kwargs;
    std::vector<Tensor> y = inWrapper(*this, [&] { return layer_->call({reshape(x, folded)}, a); });
    if (y.size() != 1)
      throw Error(describe() + ": the wrapped " + layer_->describe() + " must have one output, got " +
                  std::to_string(y.size()));
    Shape out{batch, time};
    out.insert(out.end(), y[0].shape().begin() + 1, y[0].shape().end());
    return {reshape(y[0], out)};
  }

  bool supportsMasking() const override { return true; }

 private:
  void expectShapes(const std::vector<SymShape>& in) const {
    if (in.size() != 1) throw Error(describe() + " expects 1 input, got " + std::to_string(in.size()));
    if (in[0].size() < 3)
      throw Error(describe() + " expects input of rank 3 or more [batch, time, ...], got shape " + shapeString(in[0]));
  }
  static SymShape childShape(const SymShape& s) {
    SymShape c{s[0]};
    c.insert(c.end(), s.begin() + 2, s.end());
    return c;
  }

  std::unique_ptr<Layer> layer_;
};

LayerRegistrar registrar{
    {"Bidirectional", make<Bidirectional>},
    {"TimeDistributed", make<TimeDistributed>},
};

}  // namespace

}  // namespace strata::layers
