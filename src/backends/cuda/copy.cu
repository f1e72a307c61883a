// The strided copy behind Transpose, BroadcastTo, Reverse, Tile, Slice, StridedSlice,
// DepthToSpace and SpaceToDepth (copy.cuh). The copy is first simplified on the host (unit
// axes dropped, contiguous runs merged, the innermost run widened to 16-byte words where it
// can be), so most calls end as one memcpy or a rank-1/2 kernel moving uint4 words.
#include <string>

#include "backends/cuda/copy.cuh"

namespace strata::cuda {
namespace {

// Tile of the copy merged with Tile's interleaved axes; the rank after merging is what counts.
constexpr int kCopyRank = 12;

// Axes stored innermost first: ext[0] is the fastest-moving axis.
struct CopyGeom {
  int rank = 0;
  int64_t ext[kCopyRank] = {};
  int64_t s[kCopyRank] = {};  // source strides
  int64_t t[kCopyRank] = {};  // destination strides
  int64_t sBase = 0, tBase = 0;
};

// One thread per element; the loop is unrolled with uniform guards so every array index is
// static (no local-memory copy of the parameter struct).
template <class T, class I>
__global__ void copyKernel(const T* __restrict__ src, T* __restrict__ dst, CopyGeom g, I n) {
  const I step = static_cast<I>(gridDim.x) * blockDim.x;
  for (I i = static_cast<I>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += step) {
    I r = i;
    int64_t so = g.sBase, to = g.tBase;
#pragma unroll
    for (int d = 0; d < kCopyRank - 1; ++d) {
      if (d < g.rank - 1) {
        const I e = static_cast<I>(g.ext[d]);
        const I q = r % e;
        r /= e;
        so += static_cast<int64_t>(q) * g.s[d];
        to += static_cast<int64_t>(q) * g.t[d];
      }
    }
#pragma unroll
    for (int d = 0; d < kCopyRank; ++d)
      if (d == g.rank - 1) {
        so += static_cast<int64_t>(r) * g.s[d];
        to += static_cast<int64_t>(r) * g.t[d];
      }
    dst[to] = src[so];
  }
}

constexpr int kTile = 32;
constexpr int kTileRows = 8;

// A transpose: the destination is contiguous along axis 0 (L), the source along axis p. Each
// 32x32 tile of (p, L) is read along p and written along L through shared memory; the other
// axes are a batch walked per tile.
template <class T>
__global__ void transposeKernel(const T* __restrict__ src, T* __restrict__ dst, CopyGeom g, int p, int64_t extP,
                                int64_t tP, int64_t tilesL, int64_t tilesP, int64_t nTiles) {
  __shared__ T tile[kTile][kTile + 1];
  const int64_t extL = g.ext[0], sL = g.s[0];
  for (int64_t k = blockIdx.x; k < nTiles; k += gridDim.x) {
    const int64_t l0 = (k % tilesL) * kTile;
    int64_t r = k / tilesL;
    const int64_t p0 = (r % tilesP) * kTile;
    r /= tilesP;
    int64_t so = g.sBase, to = g.tBase;
#pragma unroll
    for (int d = 1; d < kCopyRank; ++d) {
      if (d < g.rank && d != p) {
        const int64_t q = r % g.ext[d];
        r /= g.ext[d];
        so += q * g.s[d];
        to += q * g.t[d];
      }
    }
    for (int j = threadIdx.y; j < kTile; j += kTileRows) {
      const int64_t l = l0 + j, pp = p0 + threadIdx.x;
      if (l < extL && pp < extP) tile[j][threadIdx.x] = src[so + pp + l * sL];
    }
    __syncthreads();
    for (int j = threadIdx.y; j < kTile; j += kTileRows) {
      const int64_t pp = p0 + j, l = l0 + threadIdx.x;
      if (l < extL && pp < extP) dst[to + pp * tP + l] = tile[threadIdx.x][j];
    }
    __syncthreads();
  }
}

bool aligned(const void* p, size_t w) { return reinterpret_cast<uintptr_t>(p) % w == 0; }

// Moves the innermost run (contiguous on both sides) in words of up to 16 bytes.
void widen(CopyGeom& g, size_t& es, const void* src, const void* dst) {
  if (g.rank == 0 || g.s[0] != 1 || g.t[0] != 1) return;
  for (size_t w = 16; w > es; w /= 2) {
    if (w % es) continue;
    const int64_t v = static_cast<int64_t>(w / es);
    bool ok = g.ext[0] % v == 0 && g.sBase % v == 0 && g.tBase % v == 0 && aligned(src, w) && aligned(dst, w);
    for (int d = 1; d < g.rank && ok; ++d) ok = g.s[d] % v == 0 && g.t[d] % v == 0;
    if (!ok) continue;
    g.ext[0] /= v;
    for (int d = 1; d < g.rank; ++d) {
      g.s[d] /= v;
      g.t[d] /= v;
    }
    g.sBase /= v;
    g.tBase /= v;
    es = w;
    return;
  }
}

int launchBlocks(int64_t units, int perSm) {
  const int64_t cap = static_cast<int64_t>(multiprocessors()) * perSm;
  return static_cast<int>(std::max<int64_t>(1, std::min(units, cap)));
}

}  // namespace

size_t wordBytes(size_t es, std::initializer_list<int64_t> counts, std::initializer_list<const void*> ptrs) {
  for (size_t w = 16; w > es; w /= 2) {
    if (w % es) continue;
    const int64_t v = static_cast<int64_t>(w / es);
    bool ok = true;
    for (int64_t c : counts) ok = ok && c % v == 0;
    for (const void* p : ptrs) ok = ok && aligned(p, w);
    if (ok) return w;
  }
  return es;
}

void stridedCopy(void* dst, const void* src, size_t es, const Shape& dims, const std::vector<int64_t>& srcStrides,
                 int64_t srcBase, const std::vector<int64_t>& dstStrides, int64_t dstBase) {
  // Drop unit axes and merge an axis into its outer neighbour where both sides are contiguous
  // across the pair; collected outermost first.
  struct Axis {
    int64_t ext, s, t;
  };
  std::vector<Axis> axes;
  for (size_t d = 0; d < dims.size(); ++d) {
    if (dims[d] == 0) return;
    if (dims[d] == 1) continue;
    const Axis a{dims[d], srcStrides[d], dstStrides[d]};
    if (!axes.empty() && axes.back().s == a.s * a.ext && axes.back().t == a.t * a.ext)
      axes.back() = Axis{axes.back().ext * a.ext, a.s, a.t};
    else
      axes.push_back(a);
  }
  if (axes.size() > static_cast<size_t>(kCopyRank))
    throw Error("cuda: a strided copy of shape " + shapeString(dims) + " has more than " + std::to_string(kCopyRank) +
                " non-mergeable axes");
  CopyGeom g;
  g.rank = static_cast<int>(axes.size());
  for (int d = 0; d < g.rank; ++d) {
    const Axis& a = axes[axes.size() - 1 - d];
    g.ext[d] = a.ext;
    g.s[d] = a.s;
    g.t[d] = a.t;
  }
  g.sBase = srcBase;
  g.tBase = dstBase;
  widen(g, es, src, dst);

  const char* s8 = static_cast<const char*>(src);
  char* d8 = static_cast<char*>(dst);
  if (g.rank == 0 || (g.rank == 1 && g.s[0] == 1 && g.t[0] == 1)) {
    const int64_t n = g.rank == 0 ? 1 : g.ext[0];
    STRATA_CUDA_CHECK(cudaMemcpyAsync(d8 + g.tBase * static_cast<int64_t>(es), s8 + g.sBase * static_cast<int64_t>(es),
                                      static_cast<size_t>(n) * es, cudaMemcpyDeviceToDevice, stream()));
    return;
  }

  // A transpose: the destination runs along axis 0, the source along another axis p.
  int p = -1;
  if (g.t[0] == 1 && g.s[0] != 1 && g.s[0] != 0 && es <= 4)
    for (int d = 1; d < g.rank; ++d)
      if (g.s[d] == 1) p = d;
  if (p > 0 && g.ext[0] >= 8 && g.ext[p] >= 8) {
    const int64_t tilesL = (g.ext[0] + kTile - 1) / kTile, tilesP = (g.ext[p] + kTile - 1) / kTile;
    int64_t nTiles = tilesL * tilesP;
    for (int d = 1; d < g.rank; ++d)
      if (d != p) nTiles *= g.ext[d];
    const dim3 block(kTile, kTileRows);
    const int blocks = launchBlocks(nTiles, 16);
    dispatchBytes(es, [&](auto w) {
      using W = decltype(w);
      if constexpr (sizeof(W) <= 4) {
        transposeKernel<W><<<blocks, block, 0, stream()>>>(static_cast<const W*>(src), static_cast<W*>(dst), g, p,
                                                           g.ext[p], g.t[p], tilesL, tilesP, nTiles);
        STRATA_CUDA_LAUNCHED();
      }
    });
    return;
  }

  int64_t n = 1;
  for (int d = 0; d < g.rank; ++d) n *= g.ext[d];
  dispatchBytes(es, [&](auto w) {
    using W = decltype(w);
    dispatchIndex(n, [&](auto i) {
      using I = decltype(i);
      copyKernel<W, I><<<blocksFor(n), kThreads, 0, stream()>>>(static_cast<const W*>(src), static_cast<W*>(dst), g,
                                                                static_cast<I>(n));
      STRATA_CUDA_LAUNCHED();
    });
  });
}

void gatherCopy(void* dst, const void* src, size_t es, const Shape& dims, const std::vector<int64_t>& srcStrides,
                int64_t srcBase) {
  stridedCopy(dst, src, es, dims, srcStrides, srcBase, detail::stridesOf(dims), 0);
}

}  // namespace strata::cuda
