// Device-side helpers for the cuda backend's .cu files: grid-stride launches of device
// lambdas, broadcasting index arithmetic, and dtype dispatch. Plain and direct: a kernel file
// is a handful of __global__ functions or forEach() lambdas plus its registration table.
#pragma once

#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "backends/cuda/common.h"
#include "core/shape_util.h"
#include "strata/error.h"

namespace strata::cuda {

inline constexpr int kThreads = 256;
inline constexpr int kMaxRank = 8;

/// Blocks for a grid-stride loop over n elements: enough to fill the device, no more.
inline int blocksFor(int64_t n) {
  const int64_t want = (n + kThreads - 1) / kThreads;
  const int64_t cap = static_cast<int64_t>(multiprocessors()) * 32;
  return static_cast<int>(std::max<int64_t>(1, std::min(want, cap)));
}

template <class F>
__global__ void forEachKernel(int64_t n, F f) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x)
    f(i);
}

/// Runs f(i) for i in [0, n) on the stream (f is a __device__ lambda capturing by value).
template <class F>
void forEach(int64_t n, F f) {
  if (n <= 0) return;
  forEachKernel<<<blocksFor(n), kThreads, 0, stream()>>>(n, f);
  STRATA_CUDA_LAUNCHED();
}

/// Maps a flat index of an output shape to the flat offsets of N operands with their own
/// strides (0 on broadcast axes). Passed to kernels by value.
template <int N>
struct Indexer {
  int rank = 0;
  int64_t dims[kMaxRank] = {};
  int64_t strides[N][kMaxRank] = {};
  __device__ void offsets(int64_t i, int64_t (&o)[N]) const {
    for (int k = 0; k < N; ++k) o[k] = 0;
    for (int d = rank - 1; d >= 0; --d) {
      const int64_t q = i % dims[d];
      i /= dims[d];
      for (int k = 0; k < N; ++k) o[k] += q * strides[k][d];
    }
  }
};

/// An indexer reading each input shape broadcast against `out` (NumPy rules, right-aligned).
template <int N>
Indexer<N> broadcastIndexer(const Shape& out, const Shape* const (&in)[N]) {
  if (out.size() > kMaxRank) throw Error("cuda: tensors of rank > 8 are not supported (shape " + shapeString(out) + ")");
  Indexer<N> ix;
  ix.rank = static_cast<int>(out.size());
  for (int d = 0; d < ix.rank; ++d) ix.dims[d] = out[d];
  for (int k = 0; k < N; ++k) {
    std::vector<int64_t> s = detail::broadcastStrides(*in[k], out);
    for (int d = 0; d < ix.rank; ++d) ix.strides[k][d] = s[d];
  }
  return ix;
}

/// Calls f(T{}) with T the C++ type of `d` (bool is uint8_t).
template <class F>
void dispatchDType(DType d, F&& f) {
  switch (d) {
    case DType::float32: f(float{}); return;
    case DType::int32: f(int32_t{}); return;
    case DType::bool_:
    case DType::uint8: f(uint8_t{}); return;
    case DType::int8: f(int8_t{}); return;
    case DType::uint16: f(uint16_t{}); return;
    case DType::float16: break;
  }
  throw Error("cuda: dtype " + std::string(dtypeName(d)) + " is not supported by this kernel");
}

}  // namespace strata::cuda
