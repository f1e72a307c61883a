// The cuda backend's caching device allocator: freed blocks are kept in size-class bins and
// reused by later allocations of the same class, so a training loop or repeated predict makes
// no cudaMalloc/cudaFree after its first step. One stream: a freed block may be handed out again
// at once, since any later use is queued behind the work that last used it.
#pragma once

#ifdef STRATA_CUDA_BACKEND

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace strata::cuda {

class CachingAllocator {
 public:
  /// A block of at least `bytes` (256-byte aligned). On a cache miss that cudaMalloc cannot
  /// serve, the cache is emptied and the allocation retried once; then OutOfMemoryError names
  /// the request and the device's free memory.
  void* allocate(size_t bytes);
  void release(void* ptr);
  /// cudaFree of every cached block.
  void emptyCache();

  /// Blocks allocated while a private pool is open (a CUDA graph's capture) go back to that
  /// pool when freed, never to the shared bins, so a graph replay cannot overwrite memory
  /// that was handed to someone else after the capture. Pools are numbered by their owner.
  void beginPrivatePool(uint64_t pool);
  void endPrivatePool();
  /// Frees every block of a pool (its graph was destroyed); blocks still in use stay until released.
  void releasePool(uint64_t pool);

  int64_t bytesInUse() const { return inUse_; }
  int64_t bytesReserved() const { return reserved_; }
  int64_t numAllocs() const { return numAllocs_; }

  /// The size class of a request: 512-byte steps up to 1 MiB, 2 MiB steps above.
  static size_t roundSize(size_t bytes);

 private:
  struct Block {
    size_t size = 0;
    uint64_t pool = 0;  // 0: the shared bins
    bool inUse = false;
  };
  using Bins = std::unordered_map<size_t, std::vector<void*>>;
  Bins& binsOf(uint64_t pool) { return pool ? poolBins_[pool] : bins_; }
  void freeCached(Bins& bins);

  std::mutex mu_;
  Bins bins_;
  std::unordered_map<uint64_t, Bins> poolBins_;
  std::unordered_map<void*, Block> blocks_;
  uint64_t activePool_ = 0;
  int64_t inUse_ = 0, reserved_ = 0, numAllocs_ = 0;
};

CachingAllocator& allocator();

}  // namespace strata::cuda

#endif  // STRATA_CUDA_BACKEND
