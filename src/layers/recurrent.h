// Recurrent layers (internal): RNN cells (SimpleRNN, LSTM, GRU, stacked cells) and the RNN layer
// that runs a cell over time (TF.js/Keras `RNN`, `SimpleRNN`, `LSTM`, `GRU`). Bidirectional
// (src/layers/wrappers.cpp) builds on these. Steps are written with ops, so gradients through
// time come from autograd.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "models/activations.h"
#include "strata/layer.h"

namespace strata::layers {

/// Creates a weight on the owning layer (appended to its weight list).
using WeightAdder = std::function<void(const std::string& name, const Shape& shape)>;

/// One recurrent cell. Its weights live in the owning layer's weight list (read at call time, so
/// replacing or assigning them there takes effect).
class RnnCell {
 public:
  virtual ~RnnCell() = default;
  /// State sizes; the first is the output size (TF.js `stateSize`).
  virtual std::vector<int64_t> stateSizes() const = 0;
  int64_t outputSize() const { return stateSizes()[0]; }
  /// Creates the weights for this input size; they start at index `store->size()` of `store`.
  virtual void build(int64_t inputDim, const WeightAdder& add, const std::vector<Weight>* store) = 0;
  /// Before running a sequence: draws dropout masks when training.
  virtual void begin(int64_t batch, bool training) = 0;
  /// After the sequence: drops the masks.
  virtual void end() = 0;
  /// The input projection x @ kernel (+ input bias) for x [..., inputDim] (one step or a whole
  /// sequence at once); step() takes one time slice of it.
  virtual Tensor project(const Tensor& x) const = 0;
  /// One step: the projected input [batch, ...] and states -> {output, new states...}.
  virtual std::vector<Tensor> step(const Tensor& xProj, const std::vector<Tensor>& states) const = 0;
};

/// Builds a cell from a Keras cell class name ("LSTMCell", ...) and its config. `owner` names the
/// owning layer in errors.
std::unique_ptr<RnnCell> makeCell(const std::string& cellClass, const Json& config, const std::string& layerName,
                                  const std::string& ownerClass);

/// The RNN layer: runs a cell over the time axis of [batch, time, features] inputs, with
/// return_sequences, return_state, go_backwards, masks and optional initial-state inputs.
class RecurrentLayer : public Layer {
 public:
  RecurrentLayer(const Json& config, std::string className);
  std::vector<SymShape> outputShapes(const std::vector<SymShape>& inputShapes) const override;
  void build(const std::vector<SymShape>& inputShapes) override;
  std::vector<Tensor> call(const std::vector<Tensor>& inputs, const CallArgs& args) override;
  Tensor computeMask(const std::vector<Tensor>& inputs, const std::vector<Tensor>& masks) const override;
  bool supportsMasking() const override { return true; }

  bool returnSequences() const { return returnSequences_; }
  bool returnState() const { return returnState_; }
  bool goBackwards() const { return goBackwards_; }
  size_t numStates() const { return cell_->stateSizes().size(); }

 protected:
  std::unique_ptr<RnnCell> cell_;

 private:
  void checkInputCount(size_t n) const;
  bool returnSequences_ = false, returnState_ = false, goBackwards_ = false;
  int64_t inputDim_ = -1;
};

}  // namespace strata::layers
