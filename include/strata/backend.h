// The backend extension API: what a backend implements and how it registers itself and its
// kernels. Users of models and ops never need this header; authors of backends do.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "strata/dtype.h"

namespace strata {

/// A device and its memory. Kernels are plain functions registered separately by name.
class Backend {
 public:
  virtual ~Backend() = default;
  /// Allocates `bytes` of device memory (never returns null; throws OutOfMemoryError).
  virtual void* allocate(size_t bytes) = 0;
  virtual void deallocate(void* ptr, size_t bytes) = 0;
  /// Copies host memory into device memory.
  virtual void upload(void* dst, const void* src, size_t bytes) = 0;
  /// Copies device memory into host memory, blocking until done.
  virtual void download(void* dst, const void* src, size_t bytes) = 0;
  /// Queues a copy of device memory into host memory and returns a function that waits for it
  /// and then fills `dst` (Tensor::data()). Synchronous backends copy at once (the default).
  virtual std::function<void()> downloadAsync(void* dst, const void* src, size_t bytes) {
    download(dst, src, bytes);
    return [] {};
  }
  /// Device memory beyond what tensors hold, for memory(): bytes reserved from the device
  /// (in use + cached) and bytes free on the device. False for backends without such a pool.
  virtual bool deviceMemory(int64_t& reserved, int64_t& free) const { return false; }
  /// True when device pointers are plain host pointers that any host backend may read and
  /// free: tensors then move between such backends without a copy.
  virtual bool hostMemory() const { return false; }
  /// Copies device memory to device memory (ordered with the backend's queued work).
  virtual void copyWithin(void* dst, const void* src, size_t bytes);
  /// Waits for queued work (a no-op for synchronous backends).
  virtual void synchronize() {}
  /// Work capture (CUDA graphs): between beginCapture and endCapture, queued kernels are
  /// recorded into graph `id` instead of run, and memory allocated meanwhile comes from a pool
  /// private to that graph (so replays cannot overwrite memory given to others later).
  /// canCapture() says whether the backend captures now (the cuda backend: unless disabled).
  virtual bool canCapture() const { return false; }
  /// Returns false when the capture could not start.
  virtual bool beginCapture(uint64_t id) { return false; }
  /// Ends the capture; returns false (and drops the graph) if it failed.
  virtual bool endCapture(uint64_t id) { return false; }
  /// Runs graph `id` again on the memory it was captured with.
  virtual void replay(uint64_t id) {}
  /// Frees graph `id` and its private memory pool (blocks still held by tensors are freed when released).
  virtual void dropGraph(uint64_t id) {}
  /// One line describing the device, for `strata info`.
  virtual std::string description() const { return ""; }
};

/// Host memory for CPU backends: 64-byte aligned, shared by every host backend.
class HostBackend : public Backend {
 public:
  void* allocate(size_t bytes) override;
  void deallocate(void* ptr, size_t bytes) override;
  void upload(void* dst, const void* src, size_t bytes) override;
  void download(void* dst, const void* src, size_t bytes) override;
  void copyWithin(void* dst, const void* src, size_t bytes) override;
  bool hostMemory() const override { return true; }
};

/// One tensor as a kernel sees it: a device pointer, its shape and dtype.
struct TensorView {
  void* data = nullptr;
  const Shape* shape = nullptr;
  DType dtype = DType::float32;
  int64_t size = 0;
  /// Identifies the storage's contents: storages are immutable once written and ids are never
  /// reused, so a backend may cache data derived from a tensor (reordered weights) under this id.
  /// 0 when unknown.
  uint64_t storageId = 0;
  template <class T> T* as() const { return static_cast<T*>(data); }
};

/// Everything a kernel receives. Outputs are allocated by the op (which inferred their shapes
/// and dtypes); the kernel fills them. `attrs` points to the op's attribute struct, declared in
/// the op family's schema header.
struct KernelCall {
  Backend& backend;
  std::span<const TensorView> inputs;
  std::span<TensorView> outputs;
  const void* attrs = nullptr;
  template <class A> const A& attr() const { return *static_cast<const A*>(attrs); }
  const TensorView& in(size_t i) const { return inputs[i]; }
  TensorView& out(size_t i = 0) const { return outputs[i]; }
};

/// A kernel: a plain function.
using KernelFn = void (*)(const KernelCall&);

/// Kernel names are interned to small integers so dispatch is an array lookup.
using KernelId = int32_t;
KernelId kernelId(std::string_view name);
const std::string& kernelName(KernelId id);
/// Every kernel name interned so far, in interning order.
std::vector<std::string> allKernelNames();

/// A (kernel name, function) pair for table-style registration.
struct KernelEntry {
  const char* name;
  KernelFn fn;
};

/// Registers kernels for a backend (the backend itself may be registered before or after).
void registerKernel(std::string_view backend, std::string_view kernel, KernelFn fn);
void registerKernels(std::string_view backend, std::span<const KernelEntry> table);
/// True if `backend` has its own kernel for `kernel` (fallbacks not counted).
bool hasKernel(std::string_view backend, std::string_view kernel);

using BackendFactory = std::function<std::unique_ptr<Backend>()>;

struct BackendOptions {
  /// A host-memory backend may borrow the kernels it lacks from another host backend
  /// (cpu borrows from reference); empty means none.
  std::string kernelFallback;
};

/// Registers a backend; the factory runs lazily, on first use. If it throws, the backend is
/// skipped and the message is kept as the reason (see backendStatus()). Higher priority wins
/// the default. Returns false if the name is taken.
bool registerBackend(const std::string& name, BackendFactory factory, int priority,
                     BackendOptions options = {});

}  // namespace strata
