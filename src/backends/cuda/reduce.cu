// CUDA kernels for reductions and scans, mirroring src/backends/reference/reduce.cpp.
//
// A reduction is planned from the run structure of its input (size-1 axes dropped, neighbouring
// axes of the same kind merged):
//   rows     [kept][reduced]        one thread (short rows), warp or block(s) per output
//   columns  [kept][reduced][kept]  threads across the inner kept run, each looping down the
//                                   reduced run (coalesced): bias gradients, spatial means
//   general  anything else          the rows kernels with offsets decomposed over strides
// When there are too few outputs to fill the device, the reduced run is split into chunks whose
// partial results go to scratch and a second pass combines them: deterministic, no atomics.
// Float sums, means and products accumulate in double (cheap on an H100, and within an ulp of
// the reference's double accumulation); Max/Min/All/Any and ArgMax/ArgMin are exact.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "backends/cuda/kernels.cuh"
#include "core/schema/reduce.h"

namespace strata::cuda {
namespace {

using schema::ReduceAttrs;
using schema::ScanAttrs;

int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

[[noreturn]] void unsupported(const char* kernel, const TensorView& x) {
  throw Error(std::string("cuda ") + kernel + ": dtype " + std::string(dtypeName(x.dtype)) + " is not supported (shape " +
              shapeString(*x.shape) + ")");
}

// JavaScript's ToInt32, as the reference's store into an int32 output (wraps modulo 2^32).
__device__ inline int32_t toInt32(double v) {
  if (!isfinite(v)) return 0;
  double m = fmod(trunc(v), 4294967296.0);
  if (m < 0) m += 4294967296.0;
  return static_cast<int32_t>(static_cast<uint32_t>(m));
}

template <class T>
__device__ inline bool isNan(T v) {
  if constexpr (std::is_floating_point_v<T>) return isnan(v);
  else return false;
}

// ---- ops ------------------------------------------------------------------------------------
// An op has In (element type), Acc (accumulator, also the type of partial results), Out;
// identity(), load(x, r) (r: the element's index along the reduced run, for ArgMax/ArgMin),
// combine(a, b) (associative and commutative), finish(acc), and empty(): what the reference
// stores for an empty reduction (its initial value converted to the output dtype).

struct SumF {
  using In = float;
  using Acc = double;
  using Out = float;
  __device__ Acc identity() const { return 0.0; }
  __device__ Acc load(In x, int64_t) const { return x; }
  __device__ Acc combine(Acc a, Acc b) const { return a + b; }
  __device__ Out finish(Acc a) const { return static_cast<float>(a); }
  static Out empty() { return 0.0f; }
};

// int32 sums wrap: the reference's double sum is exact here, so modulo 2^32 is the same result.
struct SumI {
  using In = int32_t;
  using Acc = uint32_t;
  using Out = int32_t;
  __device__ Acc identity() const { return 0u; }
  __device__ Acc load(In x, int64_t) const { return static_cast<uint32_t>(x); }
  __device__ Acc combine(Acc a, Acc b) const { return a + b; }
  __device__ Out finish(Acc a) const { return static_cast<int32_t>(a); }
  static Out empty() { return 0; }
};

// The reference divides each element by the count first and rounds it to float32 (TF.js's cpu
// kernel), then sums in double. x * (1/n) in double rounds to the same float32 as x / n except
// within one double ulp of a float32 rounding boundary.
template <class T>
struct MeanOp {
  using In = T;
  using Acc = double;
  using Out = float;
  double inv;
  __device__ Acc identity() const { return 0.0; }
  __device__ Acc load(In x, int64_t) const {
    return static_cast<double>(static_cast<float>(static_cast<double>(x) * inv));
  }
  __device__ Acc combine(Acc a, Acc b) const { return a + b; }
  __device__ Out finish(Acc a) const { return static_cast<float>(a); }
  static Out empty() { return 0.0f; }
};

template <class T>
struct ProdOp {
  using In = T;
  using Acc = double;
  using Out = T;
  __device__ Acc identity() const { return 1.0; }
  __device__ Acc load(In x, int64_t) const { return static_cast<double>(x); }
  __device__ Acc combine(Acc a, Acc b) const { return a * b; }
  __device__ Out finish(Acc a) const {
    if constexpr (std::is_same_v<T, float>) return static_cast<float>(a);
    else return toInt32(a);
  }
  static Out empty() { return static_cast<T>(1); }
};

// Max/Min of float32, int32 or bool (kBool: T is uint8_t holding 0/1). NaN wins once seen.
template <class T, bool kMax, bool kBool = false>
struct ExtremeOp {
  using In = T;
  using Acc = T;
  using Out = T;
  __device__ Acc identity() const {
    if constexpr (kBool) return kMax ? 0 : 1;
    else if constexpr (std::is_floating_point_v<T>) return kMax ? -INFINITY : INFINITY;
    else return kMax ? std::numeric_limits<T>::lowest() : std::numeric_limits<T>::max();
  }
  __device__ Acc load(In x, int64_t) const {
    if constexpr (kBool) return x != 0 ? 1 : 0;
    else return x;
  }
  __device__ Acc combine(Acc a, Acc b) const {
    if (isNan(a)) return a;
    if (isNan(b)) return b;
    if constexpr (kMax) return b > a ? b : a;
    else return b < a ? b : a;
  }
  __device__ Out finish(Acc a) const { return a; }
  // The reference starts from -inf/+inf: as float32 that, as int32 0 (ToInt32), as bool true.
  static Out empty() {
    if constexpr (kBool) return 1;
    else if constexpr (std::is_floating_point_v<T>) return kMax ? -INFINITY : INFINITY;
    else return 0;
  }
};

template <bool kAll>
struct LogicOp {
  using In = uint8_t;
  using Acc = uint8_t;
  using Out = uint8_t;
  __device__ Acc identity() const { return kAll ? 1 : 0; }
  __device__ Acc load(In x, int64_t) const { return x != 0 ? 1 : 0; }
  __device__ Acc combine(Acc a, Acc b) const { return kAll ? (a & b) : (a | b); }
  __device__ Out finish(Acc a) const { return a; }
  static Out empty() { return kAll ? 1 : 0; }
};

// A candidate of ArgMax/ArgMin: value and index along the axis; i < 0 is "none".
template <class T>
struct ArgAcc {
  T v;
  int32_t i;
};

// The reference takes element 0, then each strictly better value: so the first extreme value
// wins ties, a NaN at index 0 is never replaced, and any other NaN never wins. Here NaNs other
// than at index 0 load as "none", and the NaN at index 0 beats everything.
template <class T, bool kMax, bool kBool = false>
struct ArgOp {
  using In = T;
  using Acc = ArgAcc<T>;
  using Out = int32_t;
  __device__ Acc identity() const { return {T{}, -1}; }
  __device__ Acc load(In x, int64_t r) const {
    if constexpr (kBool) x = x != 0 ? 1 : 0;
    if (isNan(x) && r != 0) return {T{}, -1};
    return {x, static_cast<int32_t>(r)};
  }
  __device__ Acc combine(Acc a, Acc b) const {
    if (a.i < 0) return b;
    if (b.i < 0) return a;
    if (isNan(a.v)) return a;
    if (isNan(b.v)) return b;
    const bool bBetter = kMax ? b.v > a.v : b.v < a.v;
    if (bBetter || (b.v == a.v && b.i < a.i)) return b;
    return a;
  }
  __device__ Out finish(Acc a) const { return a.i < 0 ? 0 : a.i; }
  static Out empty() { return 0; }
};

// ---- warp and block combining --------------------------------------------------------------

template <class T>
__device__ __forceinline__ T shflDown(T v, int d) {
  if constexpr (sizeof(T) < 4) return static_cast<T>(__shfl_down_sync(0xffffffffu, static_cast<int>(v), d));
  else return __shfl_down_sync(0xffffffffu, v, d);
}
template <class T>
__device__ __forceinline__ ArgAcc<T> shflDown(ArgAcc<T> v, int d) {
  return {shflDown(v.v, d), __shfl_down_sync(0xffffffffu, v.i, d)};
}

// Lane 0 gets the combination of the warp's 32 values.
template <class Op>
__device__ __forceinline__ typename Op::Acc warpReduce(const Op& op, typename Op::Acc v) {
#pragma unroll
  for (int d = 16; d > 0; d >>= 1) v = op.combine(v, shflDown(v, d));
  return v;
}

// Thread 0 gets the combination of the block's values (blockDim.x a multiple of 32). Every
// thread must call it; smem holds 32 accumulators and is free again on return.
template <class Op>
__device__ typename Op::Acc blockReduce(const Op& op, typename Op::Acc v, typename Op::Acc* smem) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
  v = warpReduce(op, v);
  if (lane == 0) smem[warp] = v;
  __syncthreads();
  if (warp == 0) {
    v = lane < warps ? smem[lane] : op.identity();
    v = warpReduce(op, v);
  }
  __syncthreads();
  return v;
}

// ---- loading and storing -------------------------------------------------------------------
// A first pass reads the input (Op::In), a second pass reads partials (Op::Acc); a last pass
// writes the output (Op::Out), an earlier one partials.

template <class Op, bool kFirst>
using SrcT = std::conditional_t<kFirst, typename Op::In, typename Op::Acc>;
template <class Op, bool kLast>
using DstT = std::conditional_t<kLast, typename Op::Out, typename Op::Acc>;

template <class Op, bool kFirst>
__device__ __forceinline__ typename Op::Acc fetch(const Op& op, const SrcT<Op, kFirst>* p, int64_t off, int64_t r) {
  if constexpr (kFirst) return op.load(p[off], r);
  else return p[off];
}

template <class Op, bool kLast>
__device__ __forceinline__ void put(const Op& op, DstT<Op, kLast>* p, int64_t i, typename Op::Acc a) {
  if constexpr (kLast) p[i] = op.finish(a);
  else p[i] = a;
}

// Offsets of a row's start (base) and of the r-th reduced element from it (off).
struct ContigMap {  // rows of `len` consecutive elements
  int64_t len;
  __device__ int64_t base(int64_t row) const { return row * len; }
  __device__ int64_t off(int64_t r) const { return r; }
};
struct StrideMap {  // the reduced run has a stride (columns); base is computed by the caller
  int64_t stride;
  __device__ int64_t off(int64_t r) const { return r * stride; }
};
// Any layout: the output index decomposes over the kept runs, the reduced index over the
// reduced runs (each in row-major order, with the input's strides).
struct GeneralMap {
  int nk = 0, nr = 0;
  int64_t kd[kMaxRank] = {}, ks[kMaxRank] = {}, rd[kMaxRank] = {}, rs[kMaxRank] = {};
  __device__ static int64_t decompose(int64_t i, int n, const int64_t* d, const int64_t* s) {
    int64_t o = 0;
    for (int k = n - 1; k >= 0; --k) {
      o += (i % d[k]) * s[k];
      i /= d[k];
    }
    return o;
  }
  __device__ int64_t base(int64_t row) const { return decompose(row, nk, kd, ks); }
  __device__ int64_t off(int64_t r) const { return decompose(r, nr, rd, rs); }
};

// Combines elements begin, begin+step, ... < end of a run, four loads in flight at a time.
template <class Op, bool kFirst, class Map>
__device__ __forceinline__ typename Op::Acc accumulate(const Op& op, const SrcT<Op, kFirst>* in, int64_t base,
                                                       const Map& map, int64_t begin, int64_t end, int64_t step) {
  typename Op::Acc acc = op.identity();
  int64_t r = begin;
  for (; r + 3 * step < end; r += 4 * step) {
    const auto v0 = fetch<Op, kFirst>(op, in, base + map.off(r), r);
    const auto v1 = fetch<Op, kFirst>(op, in, base + map.off(r + step), r + step);
    const auto v2 = fetch<Op, kFirst>(op, in, base + map.off(r + 2 * step), r + 2 * step);
    const auto v3 = fetch<Op, kFirst>(op, in, base + map.off(r + 3 * step), r + 3 * step);
    acc = op.combine(acc, op.combine(op.combine(v0, v1), op.combine(v2, v3)));
  }
  for (; r < end; r += step) acc = op.combine(acc, fetch<Op, kFirst>(op, in, base + map.off(r), r));
  return acc;
}

// ---- kernels --------------------------------------------------------------------------------

// One thread per output (short rows).
template <class Op, class Map>
__global__ void rowThreadKernel(Op op, const typename Op::In* in, typename Op::Out* out, int64_t rows, int64_t len,
                                Map map) {
  for (int64_t row = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; row < rows;
       row += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t base = map.base(row);
    typename Op::Acc acc = op.identity();
    for (int64_t r = 0; r < len; ++r) acc = op.combine(acc, op.load(in[base + map.off(r)], r));
    out[row] = op.finish(acc);
  }
}

// One warp per output.
template <class Op, bool kFirst, bool kLast, class Map>
__global__ void rowWarpKernel(Op op, const SrcT<Op, kFirst>* in, DstT<Op, kLast>* out, int64_t rows, int64_t len,
                              Map map) {
  const int lane = threadIdx.x & 31;
  const int64_t first = (blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x) >> 5;
  const int64_t warps = (static_cast<int64_t>(gridDim.x) * blockDim.x) >> 5;
  for (int64_t row = first; row < rows; row += warps) {  // uniform within the warp
    typename Op::Acc acc = accumulate<Op, kFirst>(op, in, map.base(row), map, lane, len, 32);
    acc = warpReduce(op, acc);
    if (lane == 0) put<Op, kLast>(op, out, row, acc);
  }
}

// One block per (output, chunk of the row): blockIdx.y is the chunk; the result goes to
// out[row * chunks + chunk] (partials when there are several chunks).
template <class Op, bool kFirst, bool kLast, class Map>
__global__ void rowBlockKernel(Op op, const SrcT<Op, kFirst>* in, DstT<Op, kLast>* out, int64_t rows, int64_t len,
                               int64_t chunk, Map map) {
  __shared__ typename Op::Acc smem[32];
  const int64_t s = blockIdx.y, chunks = gridDim.y;
  const int64_t begin = s * chunk, end = begin + chunk < len ? begin + chunk : len;
  for (int64_t row = blockIdx.x; row < rows; row += gridDim.x) {
    typename Op::Acc acc = accumulate<Op, kFirst>(op, in, map.base(row), map, begin + threadIdx.x, end, blockDim.x);
    acc = blockReduce(op, acc, smem);
    if (threadIdx.x == 0) put<Op, kLast>(op, out, row * chunks + s, acc);
  }
}

// [outer][len][inner] reduced over len. A block is (tx, ty) = 256 threads, tx a power of two
// <= 32 over consecutive inner positions, ty over rows of the chunk (blockIdx.y); the ty
// partials are combined in shared memory. The result goes to out[(a * chunks + chunk) * inner + b].
template <class Op, bool kFirst, bool kLast>
__global__ void colKernel(Op op, const SrcT<Op, kFirst>* in, DstT<Op, kLast>* out, int64_t outer, int64_t len,
                          int64_t inner, int64_t chunk) {
  __shared__ typename Op::Acc smem[kThreads];
  const int tx = threadIdx.x, ty = threadIdx.y, nx = blockDim.x, ny = blockDim.y;
  const int64_t tiles = (inner + nx - 1) / nx;
  const int64_t s = blockIdx.y, chunks = gridDim.y;
  const int64_t begin = s * chunk, end = begin + chunk < len ? begin + chunk : len;
  for (int64_t t = blockIdx.x; t < outer * tiles; t += gridDim.x) {
    const int64_t a = t / tiles, b = (t % tiles) * nx + tx;
    typename Op::Acc acc = op.identity();
    if (b < inner) acc = accumulate<Op, kFirst>(op, in, a * len * inner + b, StrideMap{inner}, begin + ty, end, ny);
    smem[ty * nx + tx] = acc;
    __syncthreads();
    for (int h = ny / 2; h > 0; h >>= 1) {
      if (ty < h) smem[ty * nx + tx] = op.combine(smem[ty * nx + tx], smem[(ty + h) * nx + tx]);
      __syncthreads();
    }
    if (ty == 0 && b < inner) put<Op, kLast>(op, out, (a * chunks + s) * inner + b, smem[tx]);
    __syncthreads();
  }
}

template <class T>
__global__ void fillKernel(T* out, int64_t n, T v) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x)
    out[i] = v;
}

// ---- planning and launching -----------------------------------------------------------------

enum class Layout { kRows, kCols, kGeneral };

struct Plan {
  Layout layout = Layout::kRows;
  int64_t outer = 1, len = 1, inner = 1;  // rows: outer rows of len; cols: [outer][len][inner]
  GeneralMap map;                          // general
};

Plan planFor(const Shape& s, const std::vector<int>& axes, int64_t outputs) {
  struct Run {
    int64_t extent, stride;
    bool reduced;
  };
  const std::vector<int64_t> st = detail::stridesOf(s);
  std::vector<Run> runs;
  for (size_t d = 0; d < s.size(); ++d) {
    if (s[d] == 1) continue;
    const bool red = std::find(axes.begin(), axes.end(), static_cast<int>(d)) != axes.end();
    // Adjacent axes (size-1 axes between them dropped) are contiguous: one run of the inner stride.
    if (!runs.empty() && runs.back().reduced == red) {
      runs.back().extent *= s[d];
      runs.back().stride = st[d];
    } else {
      runs.push_back({s[d], st[d], red});
    }
  }
  Plan p;
  int nReduced = 0;
  for (const Run& r : runs) nReduced += r.reduced ? 1 : 0;
  const size_t n = runs.size();
  if (nReduced == 0) {  // nothing to combine: each output is one element
    p.outer = outputs;
    p.len = 1;
  } else if (nReduced == 1 && runs[n - 1].reduced) {
    p.outer = outputs;
    p.len = runs[n - 1].extent;
  } else if (nReduced == 1 && n >= 2 && runs[n - 2].reduced) {
    p.layout = Layout::kCols;
    p.inner = runs[n - 1].extent;
    p.len = runs[n - 2].extent;
    p.outer = outputs / p.inner;
  } else {
    p.layout = Layout::kGeneral;
    p.outer = outputs;
    p.len = 1;
    for (const Run& r : runs) {
      if (r.reduced) {
        p.map.rd[p.map.nr] = r.extent;
        p.map.rs[p.map.nr++] = r.stride;
        p.len *= r.extent;
      } else {
        p.map.kd[p.map.nk] = r.extent;
        p.map.ks[p.map.nk++] = r.stride;
      }
    }
  }
  return p;
}

// Blocks of kThreads for one warp per row, capped (the kernels loop).
int warpBlocks(int64_t rows) {
  return static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(ceilDiv(rows, kThreads / 32), multiprocessors() * 32)));
}

template <class Op, class Map>
void reduceRows(const Op& op, const typename Op::In* in, typename Op::Out* out, int64_t rows, int64_t len,
                const Map& map) {
  using Acc = typename Op::Acc;
  const int64_t sms = multiprocessors();
  if (len <= 16) {
    rowThreadKernel<<<blocksFor(rows), kThreads, 0, stream()>>>(op, in, out, rows, len, map);
    STRATA_CUDA_LAUNCHED();
    return;
  }
  if (len <= 1024 || rows >= sms * 32) {
    rowWarpKernel<Op, true, true><<<warpBlocks(rows), kThreads, 0, stream()>>>(op, in, out, rows, len, map);
    STRATA_CUDA_LAUNCHED();
    return;
  }
  // Few long rows (rows < sms * 32 here): a block per row, and chunks of at least 4096
  // elements when that is still too few blocks for the device.
  int64_t chunks = std::max<int64_t>(1, std::min(ceilDiv(sms * 4, rows), ceilDiv(len, 4096)));
  const int64_t chunk = ceilDiv(len, chunks);
  chunks = ceilDiv(len, chunk);
  const dim3 grid(static_cast<unsigned>(rows), static_cast<unsigned>(chunks));
  if (chunks == 1) {
    rowBlockKernel<Op, true, true><<<grid, kThreads, 0, stream()>>>(op, in, out, rows, len, chunk, map);
    STRATA_CUDA_LAUNCHED();
    return;
  }
  Scratch partial(static_cast<size_t>(rows * chunks) * sizeof(Acc));
  rowBlockKernel<Op, true, false><<<grid, kThreads, 0, stream()>>>(op, in, partial.as<Acc>(), rows, len, chunk, map);
  STRATA_CUDA_LAUNCHED();
  rowWarpKernel<Op, false, true><<<warpBlocks(rows), kThreads, 0, stream()>>>(op, partial.as<Acc>(), out, rows,
                                                                             chunks, ContigMap{chunks});
  STRATA_CUDA_LAUNCHED();
}

template <class Op>
void reduceCols(const Op& op, const typename Op::In* in, typename Op::Out* out, int64_t outer, int64_t len,
                int64_t inner) {
  using Acc = typename Op::Acc;
  const int64_t sms = multiprocessors();
  int tx = 1;
  while (tx < 32 && tx < inner) tx <<= 1;
  const int ty = kThreads / tx;
  const int64_t blocks = outer * ceilDiv(inner, tx);
  // Split the reduced run when there are too few blocks, keeping >= 16 rows per thread.
  int64_t chunks = 1;
  if (blocks < sms * 4) chunks = std::max<int64_t>(1, std::min(ceilDiv(sms * 4, blocks), ceilDiv(len, ty * 16)));
  const int64_t chunk = ceilDiv(len, chunks);
  chunks = ceilDiv(len, chunk);
  const unsigned gx = static_cast<unsigned>(std::min<int64_t>(blocks, sms * 64));
  const dim3 block(tx, ty);
  if (chunks == 1) {
    colKernel<Op, true, true><<<dim3(gx, 1), block, 0, stream()>>>(op, in, out, outer, len, inner, len);
    STRATA_CUDA_LAUNCHED();
    return;
  }
  Scratch partial(static_cast<size_t>(outer * chunks * inner) * sizeof(Acc));
  colKernel<Op, true, false><<<dim3(gx, static_cast<unsigned>(chunks)), block, 0, stream()>>>(
      op, in, partial.as<Acc>(), outer, len, inner, chunk);
  STRATA_CUDA_LAUNCHED();
  colKernel<Op, false, true><<<dim3(gx, 1), block, 0, stream()>>>(op, partial.as<Acc>(), out, outer, chunks, inner,
                                                                   chunks);
  STRATA_CUDA_LAUNCHED();
}

template <class Op>
void runReduce(const KernelCall& c, const Op& op, const std::vector<int>& axes) {
  const TensorView& x = c.in(0);
  const TensorView& o = c.out();
  using Out = typename Op::Out;
  if (o.size == 0) return;
  Out* out = o.as<Out>();
  if (x.size == 0) {
    fillKernel<<<blocksFor(o.size), kThreads, 0, stream()>>>(out, o.size, Op::empty());
    STRATA_CUDA_LAUNCHED();
    return;
  }
  if (x.shape->size() > kMaxRank)
    throw Error("cuda: tensors of rank > 8 are not supported (shape " + shapeString(*x.shape) + ")");
  const Plan p = planFor(*x.shape, axes, o.size);
  const auto* in = x.as<const typename Op::In>();
  switch (p.layout) {
    case Layout::kRows: reduceRows(op, in, out, p.outer, p.len, ContigMap{p.len}); break;
    case Layout::kCols: reduceCols(op, in, out, p.outer, p.len, p.inner); break;
    case Layout::kGeneral: reduceRows(op, in, out, p.outer, p.len, p.map); break;
  }
}

const std::vector<int>& axesOf(const KernelCall& c) { return c.attr<ReduceAttrs>().axes; }

void sumK(const KernelCall& c) {
  switch (c.in(0).dtype) {
    case DType::float32: return runReduce(c, SumF{}, axesOf(c));
    case DType::int32: return runReduce(c, SumI{}, axesOf(c));
    default: unsupported("Sum", c.in(0));
  }
}

void prodK(const KernelCall& c) {
  switch (c.in(0).dtype) {
    case DType::float32: return runReduce(c, ProdOp<float>{}, axesOf(c));
    case DType::int32: return runReduce(c, ProdOp<int32_t>{}, axesOf(c));
    default: unsupported("Prod", c.in(0));
  }
}

void meanK(const KernelCall& c) {
  const double n = c.out().size > 0 ? static_cast<double>(c.in(0).size) / static_cast<double>(c.out().size) : 1.0;
  switch (c.in(0).dtype) {
    case DType::float32: return runReduce(c, MeanOp<float>{1.0 / n}, axesOf(c));
    case DType::int32: return runReduce(c, MeanOp<int32_t>{1.0 / n}, axesOf(c));
    default: unsupported("Mean", c.in(0));
  }
}

template <bool kMax>
void extremeK(const KernelCall& c) {
  switch (c.in(0).dtype) {
    case DType::float32: return runReduce(c, ExtremeOp<float, kMax>{}, axesOf(c));
    case DType::int32: return runReduce(c, ExtremeOp<int32_t, kMax>{}, axesOf(c));
    case DType::bool_: return runReduce(c, ExtremeOp<uint8_t, kMax, true>{}, axesOf(c));
    default: unsupported(kMax ? "Max" : "Min", c.in(0));
  }
}

template <bool kAll>
void logicK(const KernelCall& c) {
  if (c.in(0).dtype != DType::bool_) unsupported(kAll ? "All" : "Any", c.in(0));
  runReduce(c, LogicOp<kAll>{}, axesOf(c));
}

template <bool kMax>
void argK(const KernelCall& c) {
  const std::vector<int> axis{axesOf(c).at(0)};
  switch (c.in(0).dtype) {
    case DType::float32: return runReduce(c, ArgOp<float, kMax>{}, axis);
    case DType::int32: return runReduce(c, ArgOp<int32_t, kMax>{}, axis);
    case DType::bool_: return runReduce(c, ArgOp<uint8_t, kMax, true>{}, axis);
    default: unsupported(kMax ? "ArgMax" : "ArgMin", c.in(0));
  }
}

// ---- scans ----------------------------------------------------------------------------------
// One thread per line along the axis ([outer][n][inner]; threads over inner are coalesced).
// Sequential, as the reference: every partial result is rounded to the dtype (float adds and
// multiplies of two floats in double round to exactly the float32 operation), int32 wraps.

template <class T, bool kProd>
__device__ __forceinline__ T scanStep(T acc, T x) {
  if constexpr (std::is_same_v<T, float>) return kProd ? __fmul_rn(acc, x) : __fadd_rn(acc, x);
  else {
    const uint32_t a = static_cast<uint32_t>(acc), b = static_cast<uint32_t>(x);
    return static_cast<int32_t>(kProd ? a * b : a + b);
  }
}

template <class T, bool kProd>
__global__ void scanKernel(const T* x, T* y, int64_t outer, int64_t n, int64_t inner, bool exclusive, bool reverse) {
  for (int64_t t = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; t < outer * inner;
       t += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t base = (t / inner) * n * inner + t % inner;
    T acc = kProd ? T(1) : T(0);
    for (int64_t j = 0; j < n; ++j) {
      const int64_t idx = base + (reverse ? n - 1 - j : j) * inner;
      const T v = x[idx];
      if (exclusive) {
        y[idx] = acc;
        acc = scanStep<T, kProd>(acc, v);
      } else {
        acc = scanStep<T, kProd>(acc, v);
        y[idx] = acc;
      }
    }
  }
}

template <bool kProd>
void scanK(const KernelCall& c) {
  const TensorView& x = c.in(0);
  const auto& a = c.attr<ScanAttrs>();
  if (x.size == 0) return;
  const Shape& s = *x.shape;
  int64_t outer = 1, inner = 1;
  for (int d = 0; d < a.axis; ++d) outer *= s[d];
  for (size_t d = a.axis + 1; d < s.size(); ++d) inner *= s[d];
  const int64_t n = s[a.axis];
  const int blocks = blocksFor(outer * inner);
  switch (x.dtype) {
    case DType::float32:
      scanKernel<float, kProd><<<blocks, kThreads, 0, stream()>>>(x.as<const float>(), c.out().as<float>(), outer, n,
                                                                  inner, a.exclusive, a.reverse);
      break;
    case DType::int32:
      scanKernel<int32_t, kProd><<<blocks, kThreads, 0, stream()>>>(x.as<const int32_t>(), c.out().as<int32_t>(),
                                                                    outer, n, inner, a.exclusive, a.reverse);
      break;
    default: unsupported(kProd ? "Cumprod" : "Cumsum", x);
  }
  STRATA_CUDA_LAUNCHED();
}

const KernelEntry kTable[] = {
    {"Sum", sumK},
    {"Prod", prodK},
    {"Mean", meanK},
    {"Max", extremeK<true>},
    {"Min", extremeK<false>},
    {"All", logicK<true>},
    {"Any", logicK<false>},
    {"ArgMax", argK<true>},
    {"ArgMin", argK<false>},
    {"Cumsum", scanK<false>},
    {"Cumprod", scanK<true>},
};

}  // namespace

void registerReduceKernels() { registerKernels(kName, kTable); }

}  // namespace strata::cuda
