// Shared by the cpu backend's kernel files: the oneDNN engine and stream, the thread count,
// a small LRU cache of oneDNN primitives, the reference-kernel fallback and the fused
// bias-and-activation epilogue for the cases oneDNN's post-ops do not cover.
#pragma once

#ifdef STRATA_CPU_BACKEND

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <oneapi/dnnl/dnnl.hpp>
#include <vector>

#include "core/schema/fused.h"
#include "strata/backend.h"

namespace strata::cpu {

inline constexpr const char* kName = "cpu";

/// The thread count the kernels use (STRATA_NUM_THREADS or OpenMP's default).
int threads();
/// Applies the thread count to the calling thread's OpenMP settings (oneDNN reads them).
void applyThreads();

dnnl::engine& dnnlEngine();
dnnl::stream& dnnlStream();

/// The reference backend's kernel `name` (the cpu backend's fallback), for the cases a cpu
/// kernel does not handle itself; runs it on the same call.
void callReference(const char* name, const KernelCall& c);

/// A small LRU cache of oneDNN primitives (and whatever they need) keyed by a vector of
/// integers (kind, shapes, strides, pads, attributes). Never keyed by data pointers.
template <class V>
class PrimitiveCache {
 public:
  explicit PrimitiveCache(size_t capacity = 128) : capacity_(capacity) {}
  std::shared_ptr<V> get(const std::vector<int64_t>& key, const std::function<std::shared_ptr<V>()>& make) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = map_.find(key);
    if (it != map_.end()) {
      order_.splice(order_.begin(), order_, it->second.second);
      return it->second.first;
    }
    auto v = make();
    order_.push_front(key);
    map_.emplace(key, std::make_pair(v, order_.begin()));
    if (map_.size() > capacity_) {
      map_.erase(order_.back());
      order_.pop_back();
    }
    return v;
  }

 private:
  size_t capacity_;
  std::mutex mu_;
  std::list<std::vector<int64_t>> order_;
  std::map<std::vector<int64_t>, std::pair<std::shared_ptr<V>, std::list<std::vector<int64_t>>::iterator>> map_;
};

/// `user` (a tensor's memory) in the layout `want`: `user` itself when the layouts agree, else
/// a reorder, cached under the tensor's storage id (storages are immutable and ids never reused,
/// so a cached copy can never be stale). A freed storage's copies are dropped with it
/// (forgetReorders), and the cache holds at most a bounded number of copies.
dnnl::memory reorderedWeights(const dnnl::memory& user, const dnnl::memory::desc& want, uint64_t storageId);
/// Drops the cached reorders of the storage at `ptr` (called when it is freed).
void forgetReorders(const void* ptr);

/// True when the epilogue's activation maps to a oneDNN eltwise post-op.
inline bool dnnlActivation(Activation a) {
  return a == Activation::linear || a == Activation::relu || a == Activation::relu6 || a == Activation::elu ||
         a == Activation::sigmoid;
}
/// Appends the activation as an eltwise post-op (nothing for linear).
void appendActivation(dnnl::post_ops& po, Activation a);

/// True when the bias (input 2 of a fused kernel) is one value per output channel (the last
/// axis), as oneDNN's bias input wants it.
bool channelBias(const KernelCall& c, const schema::FusedActivationAttrs& a);

/// Applies activation(y + bias) in place on the output, with NumPy broadcasting of the bias
/// and PReLU weights (inputs from index 2), for the epilogues oneDNN does not fuse.
void applyEpilogue(const KernelCall& c, const schema::FusedActivationAttrs& a, bool addBias);

inline float activate(float z, Activation act, float alpha, float w) {
  switch (act) {
    case Activation::linear: return z;
    case Activation::relu: return z < 0 ? 0.f : z;
    case Activation::relu6: return z < 0 ? 0.f : (z > 6 ? 6.f : z);
    case Activation::elu: return z >= 0 ? z : std::expm1(z);
    case Activation::leakyrelu: return z < 0 ? alpha * z : z;
    case Activation::prelu: return z < 0 ? w * z : z;
    case Activation::sigmoid: return 1.f / (1.f + std::exp(-z));
  }
  return z;
}

/// Runs body(begin, end) over [0, n) in chunks of `grain` elements on the OpenMP threads (in
/// one thread when n < minParallel). Write the loop in a separate function taking __restrict
/// pointers and its functor by value (see elementwise.cpp): a loop written inside an OpenMP
/// region reaches captured state through a pointer the compiler cannot prove unaliased with
/// the output, so it stays scalar and branchy (measured 20-40x slower on random signs).
template <class Body>
void parallelRanges(int64_t n, Body body, int64_t grain = 1 << 14, int64_t minParallel = 1 << 15) {
  const int64_t chunks = (n + grain - 1) / grain;
#pragma omp parallel for schedule(static) if (n >= minParallel)
  for (int64_t k = 0; k < chunks; ++k) body(k * grain, std::min(n, (k + 1) * grain));
}

void registerConvKernels();
void registerMatMulKernels();
void registerPoolKernels();
void registerNormalizationKernels();
void registerElementwiseKernels();
void registerReduceKernels();
void registerSliceKernels();

}  // namespace strata::cpu

#endif  // STRATA_CPU_BACKEND
