// Builders of the recurrent layers and the wrappers (strata/layers_api.h), writing the configs
// TF.js 4.22 writes (its LSTM/GRU configs carry "implementation": null and LSTM's
// "unit_forget_bias": null when not given; SimpleRNN has neither).
#include "layers/builders.h"

#include "strata/error.h"

namespace strata::layers {

using namespace detail;

namespace {

template <class T>
Json orNull(const std::optional<T>& v) {
  return v ? Json(*v) : Json(nullptr);
}

// The keys SimpleRNN, LSTM and GRU share (TF.js's cell config plus the RNN layer's flags).
template <class A>
Json rnnConfig(const A& a, const std::string& w) {
  return Json{
      {"units", a.units},
      {"activation", toSnake(a.activation)},
      {"use_bias", a.useBias},
      {"kernel_initializer", initializerJson(a.kernelInitializer, "glorotNormal", w, "kernelInitializer")},
      {"recurrent_initializer", initializerJson(a.recurrentInitializer, "orthogonal", w, "recurrentInitializer")},
      {"bias_initializer", initializerJson(a.biasInitializer, "zeros", w, "biasInitializer")},
      {"kernel_regularizer", regularizerJson(a.kernelRegularizer, w, "kernelRegularizer")},
      {"recurrent_regularizer", regularizerJson(a.recurrentRegularizer, w, "recurrentRegularizer")},
      {"bias_regularizer", regularizerJson(a.biasRegularizer, w, "biasRegularizer")},
      {"activity_regularizer", regularizerJson(a.activityRegularizer, w, "activityRegularizer")},
      {"kernel_constraint", constraintJson(a.kernelConstraint, w, "kernelConstraint")},
      {"recurrent_constraint", constraintJson(a.recurrentConstraint, w, "recurrentConstraint")},
      {"bias_constraint", constraintJson(a.biasConstraint, w, "biasConstraint")},
      {"dropout", a.dropout},
      {"recurrent_dropout", a.recurrentDropout},
      {"return_sequences", a.returnSequences},
      {"return_state", a.returnState},
      {"go_backwards", a.goBackwards},
      {"stateful", a.stateful},
      {"unroll", a.unroll}};
}

const LayerSpec& wrapped(const LayerSpec& inner, const std::string& w) {
  if (!inner.defined()) throw Error(w + ": layer is required (the layer spec to wrap)");
  return inner;
}

}  // namespace

LayerSpec simpleRNN(const SimpleRNNArgs& a) {
  return finish("simpleRNN", "SimpleRNN", rnnConfig(a, who("simpleRNN", a.name)), a);
}

LayerSpec lstm(const LSTMArgs& a) {
  Json c = rnnConfig(a, who("lstm", a.name));
  c["recurrent_activation"] = toSnake(a.recurrentActivation);
  c["unit_forget_bias"] = orNull(a.unitForgetBias);
  c["implementation"] = orNull(a.implementation);
  return finish("lstm", "LSTM", c, a);
}

LayerSpec gru(const GRUArgs& a) {
  Json c = rnnConfig(a, who("gru", a.name));
  c["recurrent_activation"] = toSnake(a.recurrentActivation);
  c["implementation"] = orNull(a.implementation);
  c["reset_after"] = a.resetAfter;
  return finish("gru", "GRU", c, a);
}

LayerSpec bidirectional(const BidirectionalArgs& a) {
  const std::string w = who("bidirectional", a.name);
  Json c{{"layer", wrapped(a.layer, w).toJson()}, {"merge_mode", orNull(a.mergeMode)}};
  return finish("bidirectional", "Bidirectional", c, a);
}

LayerSpec timeDistributed(const TimeDistributedArgs& a) {
  const std::string w = who("timeDistributed", a.name);
  return finish("timeDistributed", "TimeDistributed", Json{{"layer", wrapped(a.layer, w).toJson()}}, a);
}

}  // namespace strata::layers
