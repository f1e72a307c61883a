// The engine's state. Only core/*.cpp include this.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/engine.h"

namespace strata::detail {

struct BackendRecord {
  std::string name;
  BackendFactory factory;
  int priority = 0;
  BackendOptions options;
  std::unique_ptr<Backend> instance;
  bool failed = false;
  std::string reason;
  int64_t bytes = 0;
  int64_t buffers = 0;
};

struct TapeEntry {
  KernelId kernel = -1;  // -1: a customGrad call
  std::vector<int64_t> inputIds, outputIds;
  std::vector<Tensor> inputs, outputs;  // clones sharing storage, untouched by tidy
  std::shared_ptr<const void> attrs;
  std::function<std::vector<Tensor>(const Tensor&)> custom;
};

struct Tape {
  std::vector<TapeEntry> entries;
  std::unordered_set<int64_t> watched;  // ids that depend on a watched source
};

struct Engine {
  std::vector<std::unique_ptr<BackendRecord>> backends;  // highest priority first
  std::map<std::string, std::vector<KernelFn>> kernelTables;
  BackendRecord* active = nullptr;

  int64_t nextTensorId = 0;
  int64_t numTensors = 0, numDataBuffers = 0, numBytes = 0;

  std::vector<std::vector<std::weak_ptr<TensorNode>>> scopes;
  std::unordered_map<std::string, std::weak_ptr<TensorNode>> variables;
  int64_t nextVariableId = 0;

  std::vector<Tape*> tapes;  // innermost last
  int recordingDepth = 0;    // > 0 while tapes record (0 while paused)

  int profiling = 0;
  int64_t peakBytes = 0;
  std::vector<KernelProfile> profileKernels;

  uint64_t randomState = 0x5DEECE66Dull;
};

Engine& engine();
BackendRecord& activeBackend();
BackendRecord* findBackend(const std::string& name);
std::shared_ptr<TensorNode> newNode(Shape shape, DType dtype, std::shared_ptr<Storage> storage, bool track = true);
std::string describe(const TensorNode& n);
void moveTo(Storage& s, BackendRecord& b);

}  // namespace strata::detail
