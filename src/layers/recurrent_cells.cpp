// RNN cells: SimpleRNNCell, LSTMCell, GRUCell (reset_after false as TF.js, and true as Keras),
// StackedRNNCells. Keras gate order: LSTM i, f, c, o; GRU z, r, h. TF.js computes every gate
// from one kernel product (Keras "implementation 2").
#include <algorithm>

#include "layers/recurrent.h"
#include "strata/error.h"
#include "strata/ops.h"

namespace strata::layers {

namespace {

// Keras's optional activation: the default when the key is absent, linear when it is null.
ActivationSpec activationOr(const Config& c, const char* key, const char* fallback, const std::string& ctx) {
  if (c.json().contains(key)) return getActivation(c.json()[key], ctx + ": config." + key);
  return getActivation(fallback, ctx);
}

float rateOf(const Config& c, const char* key) { return std::clamp(c.getFloat(key, 0.0f), 0.0f, 1.0f); }

// State shared by the three gated cells: config, weights by index in the owner's list, masks.
class BaseCell : public RnnCell {
 public:
  BaseCell(const Config& c, int gates, const char* defaultRecurrentActivation)
      : gates_(gates), ctx_("layer '" + c.layerName() + "' (" + c.className() + ")") {
    if (!c.has("units")) throw Error(c.where("units") + " is missing");
    units_ = c.getInt("units");
    if (units_ <= 0) throw Error(c.where("units") + " must be a positive integer, got " + std::to_string(units_));
    activation_ = activationOr(c, "activation", "tanh", ctx_);
    if (defaultRecurrentActivation)
      recurrentActivation_ = activationOr(c, "recurrent_activation", defaultRecurrentActivation, ctx_);
    useBias_ = c.getBool("use_bias", true);
    dropout_ = rateOf(c, "dropout");
    recurrentDropout_ = rateOf(c, "recurrent_dropout");
  }

  void build(int64_t inputDim, const WeightAdder& add, const std::vector<Weight>* store) override {
    store_ = store;
    base_ = store->size();
    inputDim_ = inputDim;
    add("kernel", {inputDim, gates_ * units_});
    add("recurrent_kernel", {units_, gates_ * units_});
    if (useBias_) add("bias", biasShape());
  }

  void begin(int64_t batch, bool training) override {
    end();
    if (!training) return;
    if (dropout_ > 0 && dropout_ < 1) dpMask_ = dropout(ones({batch, inputDim_}), dropout_);
    if (recurrentDropout_ > 0 && recurrentDropout_ < 1) recMask_ = dropout(ones({batch, units_}), recurrentDropout_);
  }
  void end() override {
    dpMask_ = Tensor();
    recMask_ = Tensor();
  }

  Tensor project(const Tensor& x) const override {
    Tensor in = x;
    if (dpMask_.defined()) in = mul(in, x.rank() == 3 ? expandDims(dpMask_, 1) : dpMask_);
    Shape outShape = in.shape();
    const int64_t n = in.size() / std::max<int64_t>(inputDim_, 1);
    Tensor flat = in.rank() == 2 ? in : reshape(in, {n, inputDim_});
    Tensor b = inputBias();
    FusedMatMulOptions o;
    o.bias = b;
    Tensor y = b.defined() ? fusedMatMul(flat, kernel(), o) : matMul(flat, kernel());
    outShape.back() = gates_ * units_;
    return in.rank() == 2 ? y : reshape(y, outShape);
  }

 protected:
  virtual Shape biasShape() const { return {gates_ * units_}; }
  virtual Tensor inputBias() const { return useBias_ ? bias() : Tensor(); }
  const Tensor& kernel() const { return (*store_)[base_].value; }
  const Tensor& recurrentKernel() const { return (*store_)[base_ + 1].value; }
  const Tensor& bias() const { return (*store_)[base_ + 2].value; }
  // h with the recurrent dropout mask applied (training only).
  Tensor dropped(const Tensor& h) const { return recMask_.defined() ? mul(h, recMask_) : h; }

  int64_t gates_, units_ = 0, inputDim_ = -1;
  std::string ctx_;
  ActivationSpec activation_, recurrentActivation_;
  bool useBias_ = true;
  float dropout_ = 0, recurrentDropout_ = 0;
  const std::vector<Weight>* store_ = nullptr;
  size_t base_ = 0;
  Tensor dpMask_, recMask_;
};

// h = activation(x W + b + h U).
class SimpleRnnCell : public BaseCell {
 public:
  explicit SimpleRnnCell(const Config& c) : BaseCell(c, 1, nullptr) {}
  std::vector<int64_t> stateSizes() const override { return {units_}; }
  std::vector<Tensor> step(const Tensor& xProj, const std::vector<Tensor>& states) const override {
    Tensor h = activation_.fn(add(xProj, matMul(dropped(states[0]), recurrentKernel())));
    return {h, h};
  }
};

// States [h, c]; gates i, f, c, o from one product.
class LstmCell : public BaseCell {
 public:
  explicit LstmCell(const Config& c) : BaseCell(c, 4, "hard_sigmoid") {}
  std::vector<int64_t> stateSizes() const override { return {units_, units_}; }
  std::vector<Tensor> step(const Tensor& xProj, const std::vector<Tensor>& states) const override {
    Tensor z = add(xProj, matMul(dropped(states[0]), recurrentKernel()));
    std::vector<Tensor> g = split(z, 4, -1);
    Tensor i = recurrentActivation_.fn(g[0]);
    Tensor f = recurrentActivation_.fn(g[1]);
    Tensor c = add(mul(f, states[1]), mul(i, activation_.fn(g[2])));
    Tensor o = recurrentActivation_.fn(g[3]);
    Tensor h = mul(o, activation_.fn(c));
    return {h, h, c};
  }
};

// Gates z, r, h. reset_after false (TF.js): the reset gate scales h before its product with the
// candidate's recurrent kernel. reset_after true (Keras/cuDNN): it scales that product, and the
// bias is [2, 3*units] (input bias, recurrent bias).
class GruCell : public BaseCell {
 public:
  explicit GruCell(const Config& c) : BaseCell(c, 3, "hard_sigmoid"), resetAfter_(c.getBool("reset_after", false)) {}
  std::vector<int64_t> stateSizes() const override { return {units_}; }

  std::vector<Tensor> step(const Tensor& xProj, const std::vector<Tensor>& states) const override {
    // As TF.js: with recurrent dropout the masked h is used throughout the step.
    Tensor h = dropped(states[0]);
    std::vector<Tensor> x = split(xProj, 3, -1);
    const Tensor& u = recurrentKernel();
    if (!resetAfter_) {
      Tensor inner = matMul(h, slice(u, {0, 0}, {units_, 2 * units_}));
      std::vector<Tensor> rec = split(inner, 2, -1);
      Tensor z = recurrentActivation_.fn(add(x[0], rec[0]));
      Tensor r = recurrentActivation_.fn(add(x[1], rec[1]));
      Tensor recH = matMul(mul(r, h), slice(u, {0, 2 * units_}, {units_, units_}));
      Tensor hh = activation_.fn(add(x[2], recH));
      Tensor out = add(mul(z, h), mul(1.0f - z, hh));
      return {out, out};
    }
    Tensor inner = matMul(h, u);
    if (useBias_) inner = add(inner, reshape(slice(bias(), {1, 0}, {1, 3 * units_}), {3 * units_}));
    std::vector<Tensor> rec = split(inner, 3, -1);
    Tensor z = recurrentActivation_.fn(add(x[0], rec[0]));
    Tensor r = recurrentActivation_.fn(add(x[1], rec[1]));
    Tensor hh = activation_.fn(add(x[2], mul(r, rec[2])));
    Tensor out = add(mul(z, h), mul(1.0f - z, hh));
    return {out, out};
  }

 protected:
  Shape biasShape() const override { return resetAfter_ ? Shape{2, 3 * units_} : Shape{3 * units_}; }
  Tensor inputBias() const override {
    if (!useBias_) return Tensor();
    if (!resetAfter_) return bias();
    return reshape(slice(bias(), {0, 0}, {1, 3 * units_}), {3 * units_});
  }

 private:
  bool resetAfter_;
};

// Cells applied in sequence at each step. States are the cells' states concatenated in reverse
// cell order (TF.js), so the first state is the last cell's output. Weights of cell i are named
// "RNNCell_i/<name>".
class StackedCells : public RnnCell {
 public:
  explicit StackedCells(std::vector<std::unique_ptr<RnnCell>> cells) : cells_(std::move(cells)) {}

  std::vector<int64_t> stateSizes() const override {
    std::vector<int64_t> s;
    for (auto it = cells_.rbegin(); it != cells_.rend(); ++it) {
      auto cs = (*it)->stateSizes();
      s.insert(s.end(), cs.begin(), cs.end());
    }
    return s;
  }
  void build(int64_t inputDim, const WeightAdder& add, const std::vector<Weight>* store) override {
    for (size_t i = 0; i < cells_.size(); ++i) {
      std::string prefix = "RNNCell_" + std::to_string(i) + "/";
      cells_[i]->build(inputDim, [&](const std::string& n, const Shape& s) { add(prefix + n, s); }, store);
      inputDim = cells_[i]->outputSize();
    }
  }
  void begin(int64_t batch, bool training) override {
    for (auto& c : cells_) c->begin(batch, training);
  }
  void end() override {
    for (auto& c : cells_) c->end();
  }
  Tensor project(const Tensor& x) const override { return cells_[0]->project(x); }
  std::vector<Tensor> step(const Tensor& xProj, const std::vector<Tensor>& states) const override {
    // Per-cell states: the flat list holds the last cell's first.
    std::vector<std::vector<Tensor>> nested(cells_.size());
    size_t pos = 0;
    for (size_t k = cells_.size(); k-- > 0;) {
      size_t n = cells_[k]->stateSizes().size();
      nested[k].assign(states.begin() + pos, states.begin() + pos + n);
      pos += n;
    }
    Tensor out;
    for (size_t k = 0; k < cells_.size(); ++k) {
      std::vector<Tensor> r = cells_[k]->step(k == 0 ? xProj : cells_[k]->project(out), nested[k]);
      out = r[0];
      nested[k].assign(r.begin() + 1, r.end());
    }
    std::vector<Tensor> result{out};
    for (size_t k = cells_.size(); k-- > 0;) result.insert(result.end(), nested[k].begin(), nested[k].end());
    return result;
  }

 private:
  std::vector<std::unique_ptr<RnnCell>> cells_;
};

}  // namespace

std::unique_ptr<RnnCell> makeCell(const std::string& cellClass, const Json& config, const std::string& layerName,
                                  const std::string& ownerClass) {
  const std::string cls = ownerClass == cellClass ? ownerClass : ownerClass + " cell " + cellClass;
  const Json empty = Json::object();
  const Json& cfgJson = config.is_object() ? config : empty;
  Config c(cfgJson, layerName, cls);
  if (cellClass == "SimpleRNNCell" || cellClass == "SimpleRNN") return std::make_unique<SimpleRnnCell>(c);
  if (cellClass == "LSTMCell" || cellClass == "LSTM") return std::make_unique<LstmCell>(c);
  if (cellClass == "GRUCell" || cellClass == "GRU") return std::make_unique<GruCell>(c);
  if (cellClass == "StackedRNNCells") {
    if (!c.has("cells") || !cfgJson["cells"].is_array() || cfgJson["cells"].empty())
      throw Error(c.where("cells") + " must be a non-empty list of cells");
    std::vector<std::unique_ptr<RnnCell>> cells;
    for (const Json& cj : cfgJson["cells"]) {
      if (!cj.is_object() || !cj.contains("class_name") || !cj["class_name"].is_string())
        throw Error(c.where("cells") + " entries must be {class_name, config}, got " + cj.dump());
      std::string sub = cj["class_name"].get<std::string>();
      if (sub == "StackedRNNCells") throw Error(c.where("cells") + ": nested StackedRNNCells are not supported");
      cells.push_back(makeCell(sub, cj.contains("config") ? cj["config"] : Json::object(), layerName, ownerClass));
    }
    return std::make_unique<StackedCells>(std::move(cells));
  }
  throw Error("layer '" + layerName + "' (" + ownerClass + "): unknown RNN cell class '" + cellClass +
              "' (known: SimpleRNNCell, LSTMCell, GRUCell, StackedRNNCells)");
}

}  // namespace strata::layers
