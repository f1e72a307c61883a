// The caching device allocator (see allocator.h).
#include "backends/cuda/allocator.h"

#ifdef STRATA_CUDA_BACKEND

#include <cuda_runtime.h>

#include <string>

#include "backends/cuda/common.h"
#include "strata/error.h"

namespace strata::cuda {

size_t CachingAllocator::roundSize(size_t bytes) {
  constexpr size_t kSmall = 512, kLarge = size_t{2} << 20, kSmallLimit = size_t{1} << 20;
  if (bytes == 0) bytes = 1;
  if (bytes <= kSmallLimit) return (bytes + kSmall - 1) / kSmall * kSmall;
  return (bytes + kLarge - 1) / kLarge * kLarge;
}

namespace {
std::string mib(int64_t bytes) { return std::to_string(bytes / (1 << 20)) + " MiB"; }
}  // namespace

void* CachingAllocator::allocate(size_t bytes) {
  const size_t size = roundSize(bytes);
  std::lock_guard<std::mutex> lock(mu_);
  Bins& bins = binsOf(activePool_);
  if (auto it = bins.find(size); it != bins.end() && !it->second.empty()) {
    void* p = it->second.back();
    it->second.pop_back();
    blocks_[p].inUse = true;
    inUse_ += static_cast<int64_t>(size);
    return p;
  }
  void* p = nullptr;
  cudaError_t e = cudaMalloc(&p, size);
  if (e == cudaErrorMemoryAllocation) {
    (void)cudaGetLastError();
    freeCached(bins_);
    for (auto& [id, pool] : poolBins_) freeCached(pool);
    e = cudaMalloc(&p, size);
  }
  if (e == cudaErrorMemoryAllocation) {
    (void)cudaGetLastError();
    size_t freeBytes = 0, totalBytes = 0;
    cudaMemGetInfo(&freeBytes, &totalBytes);
    throw OutOfMemoryError("cuda: out of device memory allocating " + std::to_string(bytes) + " bytes (" +
                           mib(static_cast<int64_t>(bytes)) + "); the device has " +
                           mib(static_cast<int64_t>(freeBytes)) + " free of " + mib(static_cast<int64_t>(totalBytes)) +
                           ", " + mib(inUse_) + " held by Strata's tensors (the cache was emptied and the allocation retried)");
  }
  STRATA_CUDA_CHECK(e);
  blocks_[p] = Block{size, activePool_, true};
  reserved_ += static_cast<int64_t>(size);
  inUse_ += static_cast<int64_t>(size);
  ++numAllocs_;
  return p;
}

void CachingAllocator::release(void* ptr) {
  if (!ptr) return;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = blocks_.find(ptr);
  if (it == blocks_.end() || !it->second.inUse) return;
  it->second.inUse = false;
  inUse_ -= static_cast<int64_t>(it->second.size);
  if (it->second.pool && !poolBins_.count(it->second.pool)) {  // its pool was released meanwhile
    cudaFree(ptr);
    reserved_ -= static_cast<int64_t>(it->second.size);
    blocks_.erase(it);
    return;
  }
  binsOf(it->second.pool)[it->second.size].push_back(ptr);
}

void CachingAllocator::freeCached(Bins& bins) {
  // cudaFree waits for the device, so no queued kernel can still be using a block.
  for (auto& [size, ptrs] : bins) {
    for (void* p : ptrs) {
      cudaFree(p);
      reserved_ -= static_cast<int64_t>(size);
      blocks_.erase(p);
    }
    ptrs.clear();
  }
}

void CachingAllocator::emptyCache() {
  std::lock_guard<std::mutex> lock(mu_);
  freeCached(bins_);
}

void CachingAllocator::beginPrivatePool(uint64_t pool) {
  std::lock_guard<std::mutex> lock(mu_);
  poolBins_[pool];
  activePool_ = pool;
}

void CachingAllocator::endPrivatePool() {
  std::lock_guard<std::mutex> lock(mu_);
  activePool_ = 0;
}

void CachingAllocator::releasePool(uint64_t pool) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = poolBins_.find(pool);
  if (it == poolBins_.end()) return;
  freeCached(it->second);
  poolBins_.erase(it);
}

CachingAllocator& allocator() {
  static CachingAllocator* a = new CachingAllocator;  // never destroyed: tensors may outlive statics
  return *a;
}

}  // namespace strata::cuda

#endif  // STRATA_CUDA_BACKEND
