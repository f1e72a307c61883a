// Engine internals shared by core/, ops/ and backends: tensor nodes, storage, kernel dispatch,
// the gradient tape and the gradient registry. Not a public header.
#pragma once

#include <functional>
#include <memory>
#include <span>
#include <string>
#include <unordered_set>
#include <vector>

#include "strata/backend.h"
#include "strata/engine.h"
#include "strata/tensor.h"

namespace strata::detail {

struct BackendRecord;

/// Device memory holding one tensor's elements; shared by tensors that view the same data.
struct Storage {
  BackendRecord* owner = nullptr;
  void* ptr = nullptr;
  size_t bytes = 0;
  uint64_t id = 0;  // unique for the process's lifetime (TensorView::storageId)
  Storage(BackendRecord* owner, size_t bytes);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
};

struct TensorNode {
  int64_t id = 0;
  Shape shape;
  DType dtype = DType::float32;
  int64_t size = 0;
  std::shared_ptr<Storage> storage;  // null once disposed
  bool disposed = false;
  bool kept = false;
  // Variables only.
  bool isVariable = false;
  bool trainable = false;
  std::string name;
  TensorNode(Shape shape, DType dtype, std::shared_ptr<Storage> storage);
  ~TensorNode();
};

/// What an op asks the engine to allocate for one output.
struct OutputSpec {
  Shape shape;
  DType dtype;
};

using AttrsCopier = std::shared_ptr<const void> (*)(const void*);

/// Runs kernel `id` on the active backend: moves inputs there, allocates outputs, records the
/// call on active gradient tapes. Ops call this (through run/run1 below), never kernels directly.
std::vector<Tensor> runKernel(KernelId id, std::span<const Tensor> inputs,
                              std::span<const OutputSpec> outputs, const void* attrs,
                              AttrsCopier copier);

/// A tensor that shares `x`'s storage with a new shape (reshape, expandDims, squeeze, clone),
/// recorded on the tape as kernel `id` so that its gradient is found.
Tensor makeView(KernelId id, const Tensor& x, Shape shape, const void* attrs, AttrsCopier copier);

/// A tensor on the active backend holding a copy of host data (size = shapeSize * dtypeSize).
Tensor fromHost(const void* data, Shape shape, DType dtype);

/// A tensor with its own storage holding a copy of x's elements, on the active backend.
Tensor copyTensor(const Tensor& x);
/// Overwrites dst's storage with src's elements (same byte size; src moves to dst's backend).
/// Only for buffers the engine owns privately (a captured graph's inputs): storages seen by
/// users are immutable.
void copyInto(const Tensor& dst, const Tensor& src);
/// The active backend object (for work capture: beginCapture/replay).
Backend& activeBackendInstance();
/// Backend `name` if it has been initialized, else null.
Backend* initializedBackend(const std::string& name);

/// Throws DisposedError/Error if `t` cannot be used as input `index` of `op`.
void checkUsable(const Tensor& t, std::string_view op, size_t index);

template <class A>
std::shared_ptr<const void> copyAttrs(const void* p) {
  return std::make_shared<A>(*static_cast<const A*>(p));
}
struct NoAttrs {};

template <class A = NoAttrs>
std::vector<Tensor> run(KernelId id, std::initializer_list<Tensor> inputs,
                        std::initializer_list<OutputSpec> outputs, const A& attrs = {}) {
  return runKernel(id, std::span<const Tensor>(inputs.begin(), inputs.size()),
                   std::span<const OutputSpec>(outputs.begin(), outputs.size()), &attrs,
                   &copyAttrs<A>);
}
template <class A = NoAttrs>
Tensor run1(KernelId id, std::initializer_list<Tensor> inputs, Shape shape, DType dtype,
            const A& attrs = {}) {
  OutputSpec spec{std::move(shape), dtype};
  return runKernel(id, std::span<const Tensor>(inputs.begin(), inputs.size()),
                   std::span<const OutputSpec>(&spec, 1), &attrs, &copyAttrs<A>)[0];
}

// ---- gradients --------------------------------------------------------------------------

/// What a gradient function receives: the upstream gradients (one per output), the kernel's
/// inputs and outputs as they were, and its attributes.
struct GradArgs {
  std::span<const Tensor> dys;
  std::span<const Tensor> inputs;
  std::span<const Tensor> outputs;
  const void* attrs = nullptr;
  /// Bit i set: input i needs a gradient (it depends on a watched tensor). A gradient function
  /// may skip the work for the others and return an undefined Tensor in their place (TF.js
  /// evaluates only the needed closures of a gradient the same way).
  uint64_t needMask = ~uint64_t{0};
  bool needs(size_t i) const { return i >= 64 || ((needMask >> i) & 1u) != 0; }
  const Tensor& dy() const { return dys[0]; }
  const Tensor& x(size_t i = 0) const { return inputs[i]; }
  const Tensor& y(size_t i = 0) const { return outputs[i]; }
  template <class A> const A& attr() const { return *static_cast<const A*>(attrs); }
};

/// Returns one gradient per input (an undefined Tensor for inputs without one, e.g. indices).
/// Written with ops, so every backend gets it.
using GradFn = std::vector<Tensor> (*)(const GradArgs&);

void registerGradient(std::string_view kernel, GradFn fn);
GradFn findGradient(KernelId id);
/// Kernel names that have a registered gradient.
std::vector<std::string> gradientKernelNames();

/// Registers gradients at static-initialization time: `static GradientRegistrar r{{...}};`
struct GradientEntry {
  const char* kernel;
  GradFn fn;
};
struct GradientRegistrar {
  GradientRegistrar(std::initializer_list<GradientEntry> entries) {
    for (const auto& e : entries) registerGradient(e.kernel, e.fn);
  }
};

/// True while any gradient tape records (ops may skip work only needed for backprop).
bool isRecording();
/// True inside strata::profile() (kernels must run one by one to be timed).
bool isProfiling();

/// Records a customGrad call on active tapes.
void recordCustom(std::span<const Tensor> inputs, const Tensor& output,
                  std::function<std::vector<Tensor>(const Tensor& dy)> gradFunc);

/// Pauses tape recording for its lifetime (customGrad's forward function).
class TapePause {
 public:
  TapePause();
  ~TapePause();
  TapePause(const TapePause&) = delete;
  TapePause& operator=(const TapePause&) = delete;

 private:
  int saved_;
};

/// Random seed for an op that was not given one.
uint64_t nextRandomSeed();

}  // namespace strata::detail
