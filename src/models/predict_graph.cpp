// Captured predict (see predict_graph.h).
#include "models/predict_graph.h"

#include <atomic>

#include "core/engine.h"
#include "models/model.h"
#include "strata/engine.h"

namespace strata::layers {

namespace {

std::atomic<uint64_t> gNextGraphId{1};

// The signature: fusion on/off, backend, then each input's dtype and shape.
std::vector<int64_t> signatureOf(const Model& model, const std::vector<Tensor>& inputs) {
  std::vector<int64_t> key{model.fuseForInference ? 1 : 0};
  for (char ch : getBackend()) key.push_back(ch);
  for (const Tensor& t : inputs) {
    key.push_back(-1 - static_cast<int64_t>(t.dtype()));
    key.insert(key.end(), t.shape().begin(), t.shape().end());
  }
  return key;
}

std::vector<uint64_t> weightIdsOf(Model& model) {
  std::vector<uint64_t> ids;
  for (Weight* w : model.allWeights())
    ids.push_back(w->value.defined() && !w->value.isDisposed() ? w->value.node()->storage->id : 0);
  return ids;
}

}  // namespace

PredictGraphs::~PredictGraphs() { clear(); }

void PredictGraphs::drop(Entry& e) {
  // The graph's buffers go back to its pool before the pool is released.
  e.inputs.clear();
  e.outputs.clear();
  if (e.graphId)
    if (Backend* b = detail::initializedBackend(e.backend)) b->dropGraph(e.graphId);
  e.graphId = 0;
  e.runs = 0;
}

void PredictGraphs::clear() {
  for (auto& [key, e] : entries_) drop(e);
  entries_.clear();
}

std::vector<Tensor> PredictGraphs::predict(Model& model, const std::vector<Tensor>& inputs) {
  // Under a gradient tape or profile() every kernel must run eagerly to be recorded.
  if (detail::isRecording() || detail::isProfiling() || !detail::activeBackendInstance().canCapture())
    return model.predictBatch(inputs);
  Entry& e = entries_[signatureOf(model, inputs)];
  if (e.uncapturable) return model.predictBatch(inputs);
  std::vector<uint64_t> ids = weightIdsOf(model);
  if (e.graphId && ids != e.weightIds) drop(e);  // weights changed: run eagerly once, then recapture
  if (e.graphId) {
    for (size_t i = 0; i < inputs.size(); ++i) detail::copyInto(e.inputs[i], inputs[i]);
    return replay(e);
  }
  if (e.runs++ == 0) return model.predictBatch(inputs);  // warm-up: caches fill, nothing captured

  // Capture into private buffers that live as long as the graph.
  Backend& backend = detail::activeBackendInstance();
  const uint64_t id = gNextGraphId++;
  std::vector<Tensor> graphInputs;
  for (const Tensor& x : inputs) graphInputs.push_back(keep(detail::copyTensor(x)));
  if (!backend.beginCapture(id)) {
    e.uncapturable = true;
    return model.predictBatch(inputs);
  }
  std::vector<Tensor> graphOutputs;
  bool ok = false;
  try {
    graphOutputs = model.predictBatch(graphInputs);
    ok = backend.endCapture(id);
  } catch (...) {
    // Something in the forward pass cannot be captured (a host read, say): run it eagerly,
    // now and from now on; a genuine error surfaces there.
    if (backend.endCapture(id)) backend.dropGraph(id);
    e.uncapturable = true;
    return model.predictBatch(inputs);
  }
  // A forward pass that changed a weight (a stateful layer) cannot be replayed.
  if (!ok || weightIdsOf(model) != ids) {
    if (ok) backend.dropGraph(id);
    e.uncapturable = true;
    return model.predictBatch(inputs);
  }
  for (Tensor& o : graphOutputs) keep(o);
  e.graphId = id;
  e.weightIds = std::move(ids);
  e.inputs = std::move(graphInputs);
  e.outputs = std::move(graphOutputs);
  e.backend = getBackend();
  // The capture recorded the work without running it (its inputs already hold this call's
  // data): run it now for this call's result.
  return replay(e);
}

std::vector<Tensor> PredictGraphs::replay(const Entry& e) {
  detail::activeBackendInstance().replay(e.graphId);
  std::vector<Tensor> outs;
  for (const Tensor& o : e.outputs) outs.push_back(detail::copyTensor(o));
  return outs;
}

}  // namespace strata::layers
