// The implicit GEMM of the cuda backend's QuantizedConv2D and QuantizedMatMul (quantized.cuh).
#include "backends/cuda/quantized.cuh"

namespace strata::cuda::quantized {
namespace {

// Conv2D and MatMul are one implicit GEMM: out[m, n] = sum_k (x[m, k] - zx) * w[k, n] with
// m = (batch, oy, ox), k = (ky, kx, ci) — the HWIO filter is already [K, N] row-major — and a
// MatMul is a 1x1 convolution of 1x1 images. Tiles of 64 x kTileN outputs (kTileN 64, or 32 for
// narrow layers such as MobileNetV2's projections), 32 k per step, staged in shared memory as
// 4-byte words of four k, multiplied on the tensor cores (mma u8 x s8 -> s32). The zero point comes
// off at the end: sum (x - zx) w = sum x w - zx sum w. Padding cells load as the zero point and
// contribute nothing, as in the direct formula.
constexpr int kTileM = 64, kTileK = 32, kGemmThreads = 256;
constexpr int kWordsK = kTileK / 4;     // words of k per tile row
constexpr int kStride = 12;             // words per shared row: a fragment read (8 rows x 4 words) hits 32 banks
constexpr int kRowsPerPass = kGemmThreads / kWordsK;  // A rows loaded per pass (2 passes)


// How A's words are read: byte by byte (inC % 4 != 0), as aligned words of one tap, or as the
// words of one contiguous row (1x1, stride 1, no padding: row m is x + m * K; MatMul too).
enum class ALoad { bytes, words, rows };

// One output pixel's origin: its batch's first pixel and the input cell of tap (0, 0).
struct PixelOrigin {
  int64_t batchPixel;
  int iy0, ix0;
  bool valid;
};

template <ALoad kLoad>
__device__ __forceinline__ PixelOrigin originOf(const ImplicitGemm& g, int64_t m) {
  PixelOrigin o{0, 0, 0, m < g.M};
  if (!o.valid) return o;
  if constexpr (kLoad == ALoad::rows) {
    o.batchPixel = m;
    return o;
  }
  const int ox = static_cast<int>(m % g.outW);
  const int64_t t = m / g.outW;
  const int oy = static_cast<int>(t % g.outH);
  o.batchPixel = (t / g.outH) * g.inH * g.inW;
  o.iy0 = oy * g.strideH - g.padTop;
  o.ix0 = ox * g.strideW - g.padLeft;
  return o;
}

// Byte loads (inC % 4 != 0: the first layer of an image model, K small) look k's offsets up in
// a table that the block fills once, instead of dividing twice per byte.
constexpr int kTapTable = 512;
struct TapOffset {
  int dy, dx, ci;
};

__device__ __forceinline__ TapOffset tapOffset(const ImplicitGemm& g, int k) {
  const int tap = k / g.inC, ci = k - tap * g.inC;
  const int ky = tap / g.fw, kx = tap - ky * g.fw;
  return {ky * g.dilationH, kx * g.dilationW, ci};
}

// Input byte k of a pixel, or the zero point in padding and past K.
__device__ __forceinline__ uint32_t inputByte(const ImplicitGemm& g, const PixelOrigin& o, int k, const TapOffset* table) {
  if (k >= g.K) return static_cast<uint32_t>(g.zx);
  const TapOffset t = table ? table[k] : tapOffset(g, k);
  const int iy = o.iy0 + t.dy, ix = o.ix0 + t.dx, ci = t.ci;
  if (iy < 0 || iy >= g.inH || ix < 0 || ix >= g.inW) return static_cast<uint32_t>(g.zx);
  return g.x[(o.batchPixel + static_cast<int64_t>(iy) * g.inW + ix) * g.inC + ci];
}

// Four input bytes k..k+3 of a pixel. For words and rows, K % 4 == 0, so k < K covers all four.
template <ALoad kLoad>
__device__ __forceinline__ uint32_t inputWord(const ImplicitGemm& g, const PixelOrigin& o, int k, const TapOffset* table) {
  const uint32_t zx4 = 0x01010101u * static_cast<uint32_t>(g.zx);
  if (!o.valid) return zx4;
  if constexpr (kLoad == ALoad::rows) {
    return k < g.K ? *reinterpret_cast<const uint32_t*>(g.x + o.batchPixel * g.K + k) : zx4;
  } else if constexpr (kLoad == ALoad::words) {
    if (k >= g.K) return zx4;
    const int tap = k / g.inC, ci = k - tap * g.inC;
    const int ky = tap / g.fw, kx = tap - ky * g.fw;
    const int iy = o.iy0 + ky * g.dilationH, ix = o.ix0 + kx * g.dilationW;
    if (iy < 0 || iy >= g.inH || ix < 0 || ix >= g.inW) return zx4;
    return *reinterpret_cast<const uint32_t*>(g.x + (o.batchPixel + static_cast<int64_t>(iy) * g.inW + ix) * g.inC + ci);
  } else {
    uint32_t v = 0;
    for (int j = 0; j < 4; ++j) v |= inputByte(g, o, k + j, table) << (8 * j);
    return v;
  }
}

// D (16 x 8, s32) += A (16 x 32, u8, row-major) x B (32 x 8, s8, column-major) on the tensor
// cores. With g = lane / 4 and t = lane % 4, the fragments are words of four consecutive k:
// A: a0 = (row g, k 4t..), a1 = (row g + 8, k 4t..), a2 = (row g, k 16 + 4t..), a3 = (row g + 8,
// k 16 + 4t..); B: b0 = (column g, k 4t..), b1 = (column g, k 16 + 4t..); D: d0, d1 = row g,
// columns 2t, 2t + 1; d2, d3 = row g + 8, the same columns. Integer: exact (wraps mod 2^32).
__device__ __forceinline__ void mmaU8S8(int32_t (&d)[4], uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3, uint32_t b0, uint32_t b1) {
  asm volatile("mma.sync.aligned.m16n8k32.row.col.s32.u8.s8.s32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};"
               : "+r"(d[0]), "+r"(d[1]), "+r"(d[2]), "+r"(d[3])
               : "r"(a0), "r"(a1), "r"(a2), "r"(a3), "r"(b0), "r"(b1));
}

// The 8 warps split the 64 x kTileN tile into 4 row bands of 16 and 2 column halves; a warp's
// half is kTileN / 16 mma columns of 8.
template <ALoad kLoad, int kTileN>
__global__ void __launch_bounds__(kGemmThreads) int8GemmKernel(ImplicitGemm g, Requantizer r) {
  constexpr int kSubN = kTileN / 16;                      // 8-wide mma columns per warp
  constexpr int kBWordColumns = kTileN / 4;               // filter words per k row of a tile
  constexpr int kBRowsPerPass = kGemmThreads / kBWordColumns;
  __shared__ uint32_t tileA[kTileM][kStride];  // [m][k / 4]
  __shared__ uint32_t tileB[kTileN][kStride];  // [n][k / 4]: transposed while stored
  __shared__ int32_t columnSums[kTileN];
  __shared__ TapOffset taps[kLoad == ALoad::bytes ? kTapTable : 1];
  const int tid = threadIdx.x, lane = tid % 32, warp = tid / 32, gq = lane / 4, tq = lane % 4;
  const int warpRow = (warp % 4) * 16, warpCol = (warp / 4) * (kTileN / 2);
  const int64_t m0 = static_cast<int64_t>(blockIdx.x) * kTileM;
  const int n0 = blockIdx.y * kTileN;
  // A: this thread loads word aWord of rows aRow and aRow + kRowsPerPass.
  const int aRow = tid / kWordsK, aWord = tid % kWordsK;
  const PixelOrigin rows[2] = {originOf<kLoad>(g, m0 + aRow), originOf<kLoad>(g, m0 + aRow + kRowsPerPass)};
  // B: this thread loads columns 4 bq .. 4 bq + 3 of k rows bRow + p * kBRowsPerPass: one word
  // when N % 4 == 0 (the rows are then word-aligned), else byte by byte. It sums those four
  // columns for the zero point.
  const int bq = tid % kBWordColumns, bRow = tid / kBWordColumns;
  const bool bWords = g.N % 4 == 0 && reinterpret_cast<uintptr_t>(g.w) % 4 == 0;
  int32_t sums[4] = {};
  if (tid < kTileN) columnSums[tid] = 0;
  const TapOffset* table = nullptr;
  if constexpr (kLoad == ALoad::bytes) {
    if (g.K <= kTapTable) {
      for (int k = tid; k < g.K; k += kGemmThreads) taps[k] = tapOffset(g, k);
      table = taps;
      __syncthreads();  // the condition is the same for the whole block
    }
  }
  int32_t acc[kSubN][4] = {};
  uint8_t* tileBBytes = reinterpret_cast<uint8_t*>(&tileB[0][0]);
  const int kBegin = blockIdx.z * g.kSplit, kEnd = min(g.K, kBegin + g.kSplit);
  for (int k0 = kBegin; k0 < kEnd; k0 += kTileK) {
    for (int p = 0; p < 2; ++p) tileA[aRow + p * kRowsPerPass][aWord] = inputWord<kLoad>(g, rows[p], k0 + 4 * aWord, table);
#pragma unroll
    for (int p = 0; p < kTileK / kBRowsPerPass; ++p) {
      const int kr = bRow + p * kBRowsPerPass, k = k0 + kr, n = n0 + 4 * bq;
      uint32_t v = 0;
      if (k < g.K) {
        const int8_t* src = g.w + static_cast<int64_t>(k) * g.N + n;
        if (bWords) {
          if (n < g.N) v = *reinterpret_cast<const uint32_t*>(src);
        } else {
          for (int j = 0; j < 4; ++j)
            if (n + j < g.N) v |= static_cast<uint32_t>(static_cast<uint8_t>(src[j])) << (8 * j);
        }
      }
#pragma unroll
      for (int j = 0; j < 4; ++j) {
        const uint8_t byte = static_cast<uint8_t>(v >> (8 * j));
        sums[j] += static_cast<int8_t>(byte);
        tileBBytes[(4 * bq + j) * kStride * 4 + kr] = byte;
      }
    }
    __syncthreads();
    const uint32_t a0 = tileA[warpRow + gq][tq], a1 = tileA[warpRow + gq + 8][tq];
    const uint32_t a2 = tileA[warpRow + gq][tq + 4], a3 = tileA[warpRow + gq + 8][tq + 4];
#pragma unroll
    for (int sn = 0; sn < kSubN; ++sn) {
      const int col = warpCol + sn * 8 + gq;
      mmaU8S8(acc[sn], a0, a1, a2, a3, tileB[col][tq], tileB[col][tq + 4]);
    }
    __syncthreads();
  }
#pragma unroll
  for (int j = 0; j < 4; ++j) atomicAdd(&columnSums[4 * bq + j], sums[j]);  // shared, exact
  __syncthreads();
  // Per column: the zero-point term (in uint32: the true sum fits int32, the partial terms may
  // not; wrap-around is exact) and the folded requantization factors.
  __shared__ Requantizer::Channel channels[kTileN];
  if (tid < kTileN) {
    columnSums[tid] = static_cast<int32_t>(static_cast<uint32_t>(g.zx) * static_cast<uint32_t>(columnSums[tid]));
    if (!g.partial && n0 + tid < g.N) channels[tid] = r.channel(n0 + tid);
  }
  __syncthreads();
#pragma unroll
  for (int sn = 0; sn < kSubN; ++sn) {
    const int col = warpCol + sn * 8 + 2 * tq, nn = n0 + col;  // this thread's columns: nn, nn + 1
    if (nn >= g.N) continue;
    const bool second = nn + 1 < g.N;
#pragma unroll
    for (int half = 0; half < 2; ++half) {
      const int64_t m = m0 + warpRow + gq + 8 * half;
      if (m >= g.M) continue;
      const int32_t v0 = static_cast<int32_t>(static_cast<uint32_t>(acc[sn][2 * half]) - static_cast<uint32_t>(columnSums[col]));
      const int32_t v1 = static_cast<int32_t>(static_cast<uint32_t>(acc[sn][2 * half + 1]) - static_cast<uint32_t>(columnSums[col + 1]));
      const int64_t i = m * g.N + nn;
      if (g.partial) {
        atomicAdd(g.partial + i, v0);
        if (second) atomicAdd(g.partial + i + 1, v1);
        continue;
      }
      const float y0 = r.value(v0, channels[col]);
      if (second && g.N % 2 == 0) {
        r.storePair(i, y0, r.value(v1, channels[col + 1]));
      } else {
        r.store(i, y0);
        if (second) r.store(i + 1, r.value(v1, channels[col + 1]));
      }
    }
  }
}

template <ALoad kLoad, int kTileN>
void launchTiles(ImplicitGemm g, const Requantizer& r) {
  const int64_t tilesM = (g.M + kTileM - 1) / kTileM, tilesN = (g.N + kTileN - 1) / kTileN;
  if (tilesM > std::numeric_limits<int>::max() || tilesN > 65535)
    throw Error("cuda int8 GEMM: " + std::to_string(g.M) + " x " + std::to_string(g.N) + " outputs are too many");
  // Few output tiles (batch 1: MobileNetV2's 7x7 layers, Dense layers) leave most SMs idle
  // while one block walks all of K: split K over blockIdx.z, at least 2 k-steps per split.
  const int64_t blocks = tilesM * tilesN, kSteps = (g.K + kTileK - 1) / kTileK, want = 2 * multiprocessors();
  int64_t splits = blocks < want && kSteps >= 4 ? std::min(kSteps / 2, (want + blocks - 1) / blocks) : 1;
  g.kSplit = static_cast<int>((kSteps + splits - 1) / splits) * kTileK;
  splits = (g.K + g.kSplit - 1) / g.kSplit;
  Scratch partial(splits > 1 ? static_cast<size_t>(g.M * g.N) * sizeof(int32_t) : 0);
  g.partial = splits > 1 ? partial.as<int32_t>() : nullptr;
  if (g.partial) STRATA_CUDA_CHECK(cudaMemsetAsync(g.partial, 0, partial.bytes(), stream()));
  const dim3 grid(static_cast<unsigned>(tilesM), static_cast<unsigned>(tilesN), static_cast<unsigned>(splits));
  int8GemmKernel<kLoad, kTileN><<<grid, kGemmThreads, 0, stream()>>>(g, r);
  STRATA_CUDA_LAUNCHED();
  if (g.partial) {
    const int32_t* sums = g.partial;
    const int64_t n = g.N;
    forEach(g.M * g.N, [=] __device__(int64_t e) { r(e, e % n, sums[e]); });
  }
}

template <ALoad kLoad>
void launchInt8Gemm(const ImplicitGemm& g, const Requantizer& r) {
  if (g.N <= 32) launchTiles<kLoad, 32>(g, r);
  else launchTiles<kLoad, 64>(g, r);
}

}  // namespace

void launchInt8Gemm(const ImplicitGemm& g, const Requantizer& r) {
  if (g.M == 0 || g.N == 0) return;
  const bool aligned = reinterpret_cast<uintptr_t>(g.x) % 4 == 0 && g.inC % 4 == 0;
  const bool rows = g.K == g.inC && g.strideH == 1 && g.strideW == 1 && g.padTop == 0 && g.padLeft == 0 &&
                    g.outH == g.inH && g.outW == g.inW;
  if (aligned && rows) launchInt8Gemm<ALoad::rows>(g, r);
  else if (aligned) launchInt8Gemm<ALoad::words>(g, r);
  else launchInt8Gemm<ALoad::bytes>(g, r);
}

}  // namespace strata::cuda::quantized
