// Recurrent layers: RNN (with a cell or StackedRNNCells), SimpleRNN, LSTM, GRU. Each runs its
// cell over the time axis as TF.js's `rnn()` does: zero initial states unless given as extra
// inputs, masked steps carry output and states forward unchanged, go_backwards walks time in
// reverse (and returns the sequence in that order). The cells are in recurrent_cells.cpp.
#include "layers/recurrent.h"

#include "strata/error.h"
#include "strata/ops.h"

namespace strata::layers {

RecurrentLayer::RecurrentLayer(const Json& config, std::string className) : Layer(config, std::move(className)) {
  Config c = cfg();
  returnSequences_ = c.getBool("return_sequences", false);
  returnState_ = c.getBool("return_state", false);
  goBackwards_ = c.getBool("go_backwards", false);
  if (c.getBool("stateful", false))
    throw Error(c.where("stateful") + " is true: stateful RNNs are not supported (save the model with stateful false)");
  if (c.getBool("time_major", false))
    throw Error(c.where("time_major") + " is true: only batch-major [batch, time, features] inputs are supported");
  // "unroll" has no effect on an imperative runtime (TF.js ignores it too); dropout and
  // recurrent_dropout apply only in training.
}

void RecurrentLayer::checkInputCount(size_t n) const {
  const size_t s = numStates();
  if (n != 1 && n != 1 + s)
    throw Error(describe() + " expects 1 input, or 1 input and " + std::to_string(s) + " initial state(s), got " +
                std::to_string(n) + " inputs");
}

std::vector<SymShape> RecurrentLayer::outputShapes(const std::vector<SymShape>& in) const {
  checkInputCount(in.size());
  const SymShape& x = in[0];
  if (x.size() != 3)
    throw Error(describe() + " expects input of rank 3 [batch, time, features], got shape " + shapeString(x));
  const auto sizes = cell_->stateSizes();
  std::vector<SymShape> out;
  out.push_back(returnSequences_ ? SymShape{x[0], x[1], sizes[0]} : SymShape{x[0], sizes[0]});
  if (returnState_)
    for (int64_t s : sizes) out.push_back({x[0], s});
  return out;
}

void RecurrentLayer::build(const std::vector<SymShape>& in) {
  outputShapes(in);  // validates
  inputDim_ = in[0][2];
  if (inputDim_ < 0) throw Error(describe() + " needs a known feature size (last input axis), got shape " + shapeString(in[0]));
  cell_->build(inputDim_, [this](const std::string& n, const Shape& s) { addWeight(n, s); }, &weights_);
}

std::vector<Tensor> RecurrentLayer::call(const std::vector<Tensor>& inputs, const CallArgs& args) {
  checkInputCount(inputs.size());
  const Tensor& x = inputs[0];
  if (x.rank() != 3)
    throw Error(describe() + " expects input of rank 3 [batch, time, features], got shape " + shapeString(x.shape()));
  if (x.shape()[2] != inputDim_)
    throw Error(describe() + " was built for " + std::to_string(inputDim_) + " input features, got input of shape " +
                shapeString(x.shape()));
  const int64_t batch = x.shape()[0], time = x.shape()[1];
  if (time == 0) throw Error(describe() + ": input has no time steps (shape " + shapeString(x.shape()) + ")");
  const auto sizes = cell_->stateSizes();

  std::vector<Tensor> states;
  if (inputs.size() > 1) {
    for (size_t i = 0; i < sizes.size(); ++i) {
      const Tensor& s = inputs[1 + i];
      if (s.shape() != Shape{batch, sizes[i]})
        throw Error(describe() + ": initial state " + std::to_string(i) + " must have shape " +
                    shapeString(Shape{batch, sizes[i]}) + ", got " + shapeString(s.shape()));
      states.push_back(s.dtype() == DType::float32 ? s : cast(s, DType::float32));
    }
  } else {
    for (int64_t s : sizes) states.push_back(zeros({batch, s}));
  }

  std::vector<Tensor> stepMasks;
  if (!args.masks.empty() && args.masks[0].defined()) {
    Tensor m = args.masks[0];
    if (m.rank() == 3 && m.shape()[2] == 1) m = reshape(m, {m.shape()[0], m.shape()[1]});
    if (m.shape() != Shape{batch, time})
      throw Error(describe() + ": mask must have shape " + shapeString(Shape{batch, time}) + " for input of shape " +
                  shapeString(x.shape()) + ", got " + shapeString(m.shape()));
    // As TF.js: any nonzero mask value counts as 1.
    m = cast(cast(m, DType::bool_), DType::float32);
    for (const Tensor& t : unstack(m, 1)) stepMasks.push_back(reshape(t, {batch, 1}));
  }

  cell_->begin(batch, args.training);
  std::vector<Tensor> projected = unstack(cell_->project(x), 1);
  std::vector<Tensor> perStep;
  Tensor last;
  for (int64_t k = 0; k < time; ++k) {
    const int64_t t = goBackwards_ ? time - 1 - k : k;
    std::vector<Tensor> r = cell_->step(projected[t], states);
    if (stepMasks.empty()) {
      last = r[0];
      states.assign(r.begin() + 1, r.end());
    } else {
      // output = new * m + previous h * (1 - m); likewise each state (TF.js arithmetic blend).
      const Tensor& m = stepMasks[t];
      Tensor notM = sub(onesLike(m), m);
      last = add(mul(r[0], m), mul(states[0], notM));
      for (size_t i = 0; i < states.size(); ++i) states[i] = add(mul(r[1 + i], m), mul(states[i], notM));
    }
    if (returnSequences_) perStep.push_back(last);
  }
  cell_->end();

  std::vector<Tensor> out{returnSequences_ ? stack(perStep, 1) : last};
  if (returnState_) out.insert(out.end(), states.begin(), states.end());
  return out;
}

Tensor RecurrentLayer::computeMask(const std::vector<Tensor>& inputs, const std::vector<Tensor>& masks) const {
  if (!returnSequences_ || masks.empty()) return Tensor();
  return masks[0];
}

namespace {

class SimpleRNN : public RecurrentLayer {
 public:
  explicit SimpleRNN(const Json& config) : RecurrentLayer(config, "SimpleRNN") {
    cell_ = makeCell("SimpleRNN", config_, name_, className_);
  }
};

class LSTM : public RecurrentLayer {
 public:
  explicit LSTM(const Json& config) : RecurrentLayer(config, "LSTM") { cell_ = makeCell("LSTM", config_, name_, className_); }
};

class GRU : public RecurrentLayer {
 public:
  explicit GRU(const Json& config) : RecurrentLayer(config, "GRU") { cell_ = makeCell("GRU", config_, name_, className_); }
};

// Generic RNN: config.cell is {class_name, config} (a cell or StackedRNNCells) or a list of cells.
class RNN : public RecurrentLayer {
 public:
  explicit RNN(const Json& config) : RecurrentLayer(config, "RNN") {
    Config c = cfg();
    const Json& cell = c.raw("cell");
    if (cell.is_array()) {
      cell_ = makeCell("StackedRNNCells", Json{{"cells", cell}}, name_, className_);
      return;
    }
    if (!cell.is_object() || !cell.contains("class_name") || !cell["class_name"].is_string())
      throw Error(c.where("cell") + " must be {class_name, config} or a list of cells, got " + cell.dump());
    cell_ = makeCell(cell["class_name"].get<std::string>(), cell.contains("config") ? cell["config"] : Json::object(),
                     name_, className_);
  }
};

LayerRegistrar registrar{
    {"SimpleRNN", make<SimpleRNN>},
    {"LSTM", make<LSTM>},
    {"GRU", make<GRU>},
    {"RNN", make<RNN>},
};

}  // namespace

}  // namespace strata::layers
