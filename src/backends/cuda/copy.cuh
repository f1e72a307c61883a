// Data movement shared by the shape, slice and indexing kernels of the cuda backend: one
// strided copy that every gather-like shape kernel reduces to, and small helpers to move
// elements as raw 1/2/4/8/16-byte words (every kernel here copies bytes, whatever the dtype).
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <vector>

#include "backends/cuda/kernels.cuh"

namespace strata::cuda {

/// For every multi-index k over `dims` (row-major),
///   dst[dstBase + sum_d k[d] * dstStrides[d]] = src[srcBase + sum_d k[d] * srcStrides[d]],
/// offsets and strides in elements of `es` bytes (source strides may be 0 or negative).
/// Axes of extent 1 are dropped and contiguous runs merged; the innermost run moves in
/// 16/8/4-byte words where sizes and alignment allow; a copy whose source-contiguous axis is
/// not the destination's (a transpose) goes through shared-memory tiles.
void stridedCopy(void* dst, const void* src, size_t es, const Shape& dims, const std::vector<int64_t>& srcStrides,
                 int64_t srcBase, const std::vector<int64_t>& dstStrides, int64_t dstBase);

/// stridedCopy into a contiguous (row-major over `dims`) destination.
void gatherCopy(void* dst, const void* src, size_t es, const Shape& dims, const std::vector<int64_t>& srcStrides,
                int64_t srcBase = 0);

/// The widest word (bytes: es, 2, 4, 8 or 16, a multiple of es) in which runs of `counts`
/// elements (each) can move with every pointer in `ptrs` aligned to it.
size_t wordBytes(size_t es, std::initializer_list<int64_t> counts, std::initializer_list<const void*> ptrs);

/// Calls f(W{}) with W an unsigned type of `bytes` bytes (1, 2, 4, 8 or 16).
template <class F>
void dispatchBytes(size_t bytes, F&& f) {
  switch (bytes) {
    case 1: f(uint8_t{}); return;
    case 2: f(uint16_t{}); return;
    case 4: f(uint32_t{}); return;
    case 8: f(uint2{}); return;
    case 16: f(uint4{}); return;
    default: break;
  }
  throw Error("cuda: no word type of " + std::to_string(bytes) + " bytes");
}

/// Calls f(I{}) with I = uint32_t when every flat index below `n` (plus a grid stride) fits,
/// else uint64_t: 32-bit division is several times cheaper in index arithmetic.
template <class F>
void dispatchIndex(int64_t n, F&& f) {
  if (n < (int64_t{1} << 31)) f(uint32_t{});
  else f(uint64_t{});
}

}  // namespace strata::cuda
