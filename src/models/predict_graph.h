// Captured predict: on a backend that can capture work (the cuda backend's CUDA graphs), a
// model's forward pass for a repeated input signature is recorded once and replayed, turning
// hundreds of kernel launches into one. Weights are part of the signature (by storage id), so
// a weight update (fit, setWeights, load) invalidates the graph.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <vector>

#include "strata/tensor.h"

namespace strata::layers {

class Model;

class PredictGraphs {
 public:
  PredictGraphs() = default;
  ~PredictGraphs();
  PredictGraphs(const PredictGraphs&) = delete;
  PredictGraphs& operator=(const PredictGraphs&) = delete;

  /// The outputs of model.predictBatch(inputs): the first call of a signature runs eagerly
  /// (filling the backends' caches: reordered weights, algorithms, folded BatchNorms), the
  /// second captures and replays, later ones replay. Falls back to eager whenever capture is
  /// unavailable or fails (and remembers the failure for that signature).
  std::vector<Tensor> predict(Model& model, const std::vector<Tensor>& inputs);
  /// Drops every graph (the model's weights or structure changed).
  void clear();

 private:
  struct Entry {
    int runs = 0;
    bool uncapturable = false;
    uint64_t graphId = 0;               // 0: none captured
    std::vector<uint64_t> weightIds;    // weight storages the graph read
    std::vector<Tensor> inputs, outputs;  // the graph's own buffers
    std::string backend;
  };
  void drop(Entry& e);
  /// Runs e's graph on the inputs already in its buffers; returns copies of its outputs.
  std::vector<Tensor> replay(const Entry& e);
  std::map<std::vector<int64_t>, Entry> entries_;
};

}  // namespace strata::layers
