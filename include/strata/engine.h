// The engine: backend selection, memory accounting, scopes (tidy/keep/dispose), profiling.
// The engine is process-wide and, like TF.js's, meant to be driven from one thread at a time.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "strata/tensor.h"

namespace strata {

// ---- backends ------------------------------------------------------------------------

/// Makes `name` the active backend, initializing it if needed. Throws strata::Error naming
/// the available backends (and why others are not) if it cannot.
void setBackend(const std::string& name);
/// The active backend's name, choosing and initializing the default first if none is set.
std::string getBackend();
/// Initializes the active (or default) backend; returns its name.
std::string ready();
/// Registered backend names, highest priority first.
std::vector<std::string> backendNames();
/// Unregisters a backend. Throws if tensors still hold memory on it.
void removeBackend(const std::string& name);

/// What `strata info` prints for one backend.
struct BackendStatus {
  std::string name;
  int priority = 0;
  bool available = false;   ///< initialized successfully (initializes it to find out)
  std::string reason;       ///< why not, when unavailable
  std::string description;  ///< the device, when available
  std::string kernelFallback;
  size_t numKernels = 0;    ///< kernels registered for this backend itself
};
std::vector<BackendStatus> backendStatus();
/// The backend the engine picks when none is set: STRATA_BACKEND if set, else the
/// highest-priority backend that initializes.
std::string defaultBackend();

// ---- memory ----------------------------------------------------------------------------

struct MemoryInfo {
  int64_t numTensors = 0;      ///< live, undisposed tensors (variables included)
  int64_t numDataBuffers = 0;  ///< distinct storages (reshape/clone share one)
  int64_t numBytes = 0;        ///< bytes held by those storages, all backends
  std::map<std::string, int64_t> bytesPerBackend;
  /// GPU backends (TF.js's webgl names): bytes held by tensors on the GPU, bytes reserved from
  /// the device by the caching allocator (in use + cached), and bytes free on the device.
  int64_t numBytesInGPU = 0;
  int64_t numBytesInGPUAllocated = 0;
  int64_t numBytesInGPUFree = 0;
};
MemoryInfo memory();

// ---- scopes ----------------------------------------------------------------------------

namespace detail {
void startScope();
void endScope(const std::vector<const Tensor*>& keepers);
inline void collectTensors(const Tensor& t, std::vector<const Tensor*>& out) { out.push_back(&t); }
// Anything else holds no tensors (declared first so the containers below can contain it).
template <class T>
  requires(!std::is_base_of_v<Tensor, T>)
void collectTensors(const T&, std::vector<const Tensor*>&) {}
template <class T>
void collectTensors(const std::vector<T>& v, std::vector<const Tensor*>& out) {
  for (const auto& x : v) collectTensors(x, out);
}
template <class K, class V>
void collectTensors(const std::map<K, V>& m, std::vector<const Tensor*>& out) {
  for (const auto& [k, v] : m) collectTensors(v, out);
}
template <class A, class B>
void collectTensors(const std::pair<A, B>& p, std::vector<const Tensor*>& out) {
  collectTensors(p.first, out);
  collectTensors(p.second, out);
}
template <class... Ts>
void collectTensors(const std::tuple<Ts...>& t, std::vector<const Tensor*>& out) {
  std::apply([&](const auto&... x) { (collectTensors(x, out), ...); }, t);
}
}  // namespace detail

/// Runs `fn` and disposes every tensor created inside it except those it returns (a Tensor, or
/// vectors, maps, pairs or tuples of them) and those passed to keep(). Nested tidies work.
template <class F>
auto tidy(F&& fn) -> decltype(fn()) {
  detail::startScope();
  if constexpr (std::is_void_v<decltype(fn())>) {
    try {
      fn();
    } catch (...) {
      detail::endScope({});
      throw;
    }
    detail::endScope({});
  } else {
    std::optional<decltype(fn())> result;
    try {
      result.emplace(fn());
    } catch (...) {
      detail::endScope({});
      throw;
    }
    std::vector<const Tensor*> keepers;
    detail::collectTensors(*result, keepers);
    detail::endScope(keepers);
    return std::move(*result);
  }
}

/// Protects `t` from every enclosing tidy; returns it.
Tensor keep(const Tensor& t);

/// Disposes every tensor in a container.
inline void dispose(Tensor& t) { t.dispose(); }
template <class C>
void dispose(C& container) {
  std::vector<const Tensor*> ts;
  detail::collectTensors(container, ts);
  for (const Tensor* t : ts) const_cast<Tensor*>(t)->dispose();
}

// ---- profiling -------------------------------------------------------------------------

struct KernelProfile {
  std::string name;
  std::string backend;
  double timeMs = 0;
  std::vector<Shape> inputShapes;
  std::vector<Shape> outputShapes;
  int64_t bytesAdded = 0;  ///< bytes of the outputs it allocated
};
struct ProfileInfo {
  int64_t newBytes = 0;    ///< bytes allocated during fn and still held after it
  int64_t newTensors = 0;  ///< tensors created during fn and still live after it
  int64_t peakBytes = 0;   ///< highest numBytes seen during fn
  std::vector<KernelProfile> kernels;
};
namespace detail {
void startProfile();
ProfileInfo endProfile(int64_t bytesBefore, int64_t tensorsBefore);
}  // namespace detail

/// Runs `fn` and reports every kernel it ran, with time and bytes (TF.js `tf.profile`).
template <class F>
ProfileInfo profile(F&& fn) {
  MemoryInfo before = memory();
  detail::startProfile();
  try {
    fn();
  } catch (...) {
    detail::endProfile(before.numBytes, before.numTensors);
    throw;
  }
  return detail::endProfile(before.numBytes, before.numTensors);
}

struct TimingInfo {
  double wallMs = 0;    ///< elapsed time of fn, after synchronizing the backend
  double kernelMs = 0;  ///< sum of kernel times
};
/// Times `fn` (TF.js `tf.time`).
template <class F>
TimingInfo time(F&& fn);

/// Seeds the generator used by random ops that are not given a seed.
void setRandomSeed(uint64_t seed);

}  // namespace strata

#include <chrono>
namespace strata {
namespace detail {
void synchronizeActive();
}
template <class F>
TimingInfo time(F&& fn) {
  auto t0 = std::chrono::steady_clock::now();
  ProfileInfo p = profile(std::forward<F>(fn));
  detail::synchronizeActive();
  auto t1 = std::chrono::steady_clock::now();
  TimingInfo info;
  info.wallMs = std::chrono::duration<double, std::milli>(t1 - t0).count();
  for (const auto& k : p.kernels) info.kernelMs += k.timeMs;
  return info;
}
}  // namespace strata
