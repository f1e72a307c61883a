// Gathers, scatters, one-hot, top-k and unsortedSegmentSum (mirror of reference/indexing.cpp).
// Gathers copy elements of any dtype as raw words. Sums are deterministic and equal the
// reference's: the rows of each segment are found by a stable radix sort of the ids, then each
// output element adds its rows in index order in double (float32) or int64 (int32), as the
// reference does. Out-of-range indices are recorded for throwIndexFault() (index_check.h).
#include <cub/device/device_radix_sort.cuh>
#include <cub/device/device_segmented_radix_sort.cuh>

#include <atomic>
#include <cstring>
#include <string>

#include "backends/cuda/copy.cuh"
#include "backends/cuda/index_check.h"
#include "core/schema/indexing.h"

namespace strata::cuda {
namespace {

using schema::GatherAttrs;
using schema::OneHotAttrs;
using schema::TopKAttrs;
using schema::UnsortedSegmentSumAttrs;

// ---- out-of-range indices -----------------------------------------------------------------

constexpr int kFaultRank = 8;
enum : int { kGatherFault = 1, kGatherNdFault = 2, kScatterNdFault = 3 };

// A shape for a fault message (its first 8 axes) and for bounds checks of up to 8 coordinates.
struct ShapeRec {  // trivial: it is part of a __device__ variable
  int rank;
  int64_t dims[kFaultRank];
};

struct IndexFault {
  int kernel;
  int k;                      // coordinates recorded
  int64_t coord[kFaultRank];  // the bad index (GatherV2: coord[0])
  int64_t limit;              // GatherV2: the axis extent
  ShapeRec shape;             // x (gathers) or the output (ScatterNd)
};

__device__ int gFaultFlag;
__device__ IndexFault gFault;
std::atomic<bool> gFaultPending{false};  // an index kernel ran since the last check

// The first faulting thread writes the record; the host reads it after synchronizing.
__device__ void recordFault(int kernel, const int32_t* coord, int k, int64_t limit, const ShapeRec& shape) {
  if (atomicCAS(&gFaultFlag, 0, 1) != 0) return;
  gFault.kernel = kernel;
  gFault.k = k < kFaultRank ? k : kFaultRank;
  for (int j = 0; j < gFault.k; ++j) gFault.coord[j] = coord[j];
  gFault.limit = limit;
  gFault.shape = shape;
}

ShapeRec shapeRec(const Shape& s) {
  ShapeRec r{};
  r.rank = static_cast<int>(std::min<size_t>(s.size(), kFaultRank));
  for (int d = 0; d < r.rank; ++d) r.dims[d] = s[d];
  return r;
}

std::string faultMessage(const IndexFault& f) {
  std::string shape = "[";
  for (int d = 0; d < f.shape.rank; ++d) {
    if (d) shape += ',';
    shape += std::to_string(f.shape.dims[d]);
  }
  shape += "]";
  if (f.kernel == kGatherFault)
    return "gather (GatherV2): index " + std::to_string(f.coord[0]) + " is not in [0, " + std::to_string(f.limit) +
           ") for x of shape " + shape;
  std::string at;
  for (int j = 0; j < f.k; ++j) {
    if (j) at += ',';
    at += std::to_string(f.coord[j]);
  }
  const char* kernel = f.kernel == kGatherNdFault ? "gatherND (GatherNd)" : "scatterND (ScatterNd)";
  return std::string(kernel) + ": index [" + at + "] does not address shape " + shape;
}

int64_t product(const Shape& s, size_t from, size_t to) {
  int64_t p = 1;
  for (size_t i = from; i < to; ++i) p *= s[i];
  return p;
}

// ---- GatherV2 -------------------------------------------------------------------------------

// x as [nb*no, d, ni], indices as [nb, nj] -> out [nb*no, nj, ni], in words of the row.
template <class W, class I>
__global__ void gatherKernel(const W* __restrict__ x, const int32_t* __restrict__ idx, W* __restrict__ out, I n,
                             I ni, I nj, I no, I d, ShapeRec xs) {
  const I step = static_cast<I>(gridDim.x) * blockDim.x;
  for (I i = static_cast<I>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += step) {
    const I e = i % ni;
    I r = i / ni;
    const I j = r % nj;
    r /= nj;  // b * no + o
    const int32_t k = idx[(r / no) * nj + j];
    if (k < 0 || static_cast<I>(k) >= d) {
      recordFault(kGatherFault, &k, 1, static_cast<int64_t>(d), xs);
      out[i] = W{};
      continue;
    }
    out[i] = x[(r * d + static_cast<I>(k)) * ni + e];
  }
}

void gatherV2K(const KernelCall& c) {
  const auto& a = c.attr<GatherAttrs>();
  const TensorView &x = c.in(0), &idx = c.in(1), &o = c.out();
  if (o.size == 0) return;
  const Shape& xs = *x.shape;
  const int64_t nb = product(xs, 0, a.batchDims), no = product(xs, a.batchDims, a.axis);
  const int64_t d = xs[a.axis], ni = product(xs, a.axis + 1, xs.size());
  const int64_t nj = idx.size / nb;
  const size_t es = dtypeSize(x.dtype);
  const size_t w = wordBytes(es, {ni}, {x.data, o.data});
  const int64_t v = static_cast<int64_t>(w / es);
  const int64_t n = o.size / v, words = ni / v;
  gFaultPending = true;
  dispatchBytes(w, [&](auto word) {
    using W = decltype(word);
    dispatchIndex(std::max(n, x.size / v), [&](auto i) {
      using I = decltype(i);
      gatherKernel<W, I><<<blocksFor(n), kThreads, 0, stream()>>>(
          static_cast<const W*>(x.data), idx.as<int32_t>(), static_cast<W*>(o.data), static_cast<I>(n),
          static_cast<I>(words), static_cast<I>(nj), static_cast<I>(no), static_cast<I>(d), shapeRec(xs));
      STRATA_CUDA_LAUNCHED();
    });
  });
}

// ---- segment sums (UnsortedSegmentSum, ScatterNd) -------------------------------------------

// dst [segments, w] = for each segment s, the sum of rows i of src [n, w] with ids[i] == s, in
// increasing i, accumulated in Acc. Ids outside [0, segments) are dropped.
template <class T, class Acc>
void segmentSum(const T* src, const int32_t* ids, int64_t n, int64_t w, int64_t segments, T* dst) {
  const int64_t outN = segments * w;
  if (outN == 0) return;
  if (n == 0) {
    STRATA_CUDA_CHECK(cudaMemsetAsync(dst, 0, static_cast<size_t>(outN) * sizeof(T), stream()));
    return;
  }
  if (n >= (int64_t{1} << 31) || segments >= (int64_t{1} << 31) - 1)
    throw Error("cuda: a segment sum of " + std::to_string(n) + " rows into " + std::to_string(segments) +
                " segments is too large (2^31 limit)");
  const int32_t segs = static_cast<int32_t>(segments);
  const uint32_t dropped = static_cast<uint32_t>(segments);
  Scratch keysIn(n * sizeof(uint32_t)), keysOut(n * sizeof(uint32_t));
  Scratch rowsIn(n * sizeof(int32_t)), rowsOut(n * sizeof(int32_t));
  Scratch starts((segments + 1) * sizeof(int32_t));
  uint32_t *kIn = keysIn.as<uint32_t>(), *kOut = keysOut.as<uint32_t>();
  int32_t *rIn = rowsIn.as<int32_t>(), *rOut = rowsOut.as<int32_t>(), *st = starts.as<int32_t>();
  // Dropped ids sort last, under the key `segments`.
  forEach(n, [=] __device__(int64_t i) {
    const int32_t s = ids[i];
    kIn[i] = s >= 0 && s < segs ? static_cast<uint32_t>(s) : dropped;
    rIn[i] = static_cast<int32_t>(i);
  });
  int endBit = 1;
  while ((int64_t{1} << endBit) <= segments) ++endBit;
  size_t tempBytes = 0;
  STRATA_CUDA_CHECK(cub::DeviceRadixSort::SortPairs(nullptr, tempBytes, kIn, kOut, rIn, rOut, static_cast<int>(n), 0,
                                                    endBit, stream()));
  Scratch temp(tempBytes);
  STRATA_CUDA_CHECK(cub::DeviceRadixSort::SortPairs(temp.get(), tempBytes, kIn, kOut, rIn, rOut, static_cast<int>(n),
                                                    0, endBit, stream()));
  // starts[s] = the first sorted position with key >= s.
  const int32_t rows = static_cast<int32_t>(n);
  forEach(segments + 1, [=] __device__(int64_t s) {
    int32_t lo = 0, hi = rows;
    while (lo < hi) {
      const int32_t mid = lo + (hi - lo) / 2;
      if (kOut[mid] < s) lo = mid + 1;
      else hi = mid;
    }
    st[s] = lo;
  });
  forEach(outN, [=] __device__(int64_t i) {
    const int64_t s = i / w, e = i % w;
    Acc acc = 0;
    for (int32_t r = st[s]; r < st[s + 1]; ++r) acc += static_cast<Acc>(src[static_cast<int64_t>(rOut[r]) * w + e]);
    dst[i] = static_cast<T>(acc);
  });
}

void unsortedSegmentSumK(const KernelCall& c) {
  const TensorView &x = c.in(0), &ids = c.in(1), &o = c.out();
  const int64_t segments = c.attr<UnsortedSegmentSumAttrs>().numSegments;
  const int64_t n = ids.size;
  const int64_t w = n == 0 ? product(*x.shape, ids.shape->size(), x.shape->size()) : x.size / n;
  if (x.dtype == DType::int32)
    segmentSum<int32_t, int64_t>(x.as<int32_t>(), ids.as<int32_t>(), n, w, segments, o.as<int32_t>());
  else
    segmentSum<float, double>(x.as<float>(), ids.as<int32_t>(), n, w, segments, o.as<float>());
}

// ---- GatherNd, ScatterNd --------------------------------------------------------------------

// The flat row (in units of the slice below the first k axes) one k-coordinate index addresses;
// -1 (after recording the fault) when it is out of range.
__device__ int64_t rowOf(int kernel, const int32_t* coord, int k, const ShapeRec& s) {
  int64_t row = 0;
  bool ok = true;
#pragma unroll
  for (int j = 0; j < kFaultRank; ++j)
    if (j < k) {
      const int32_t q = coord[j];
      ok = ok && q >= 0 && q < s.dims[j];
      row = row * s.dims[j] + q;
    }
  if (ok) return row;
  recordFault(kernel, coord, k, 0, s);
  return -1;
}

template <class W>
__global__ void gatherNdKernel(const W* __restrict__ x, const int32_t* __restrict__ idx, W* __restrict__ out, int64_t n,
                               int64_t slice, int k, ShapeRec xs) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t m = i / slice, e = i % slice;
    const int64_t row = rowOf(kGatherNdFault, idx + m * k, k, xs);
    out[i] = row < 0 ? W{} : x[row * slice + e];
  }
}

void checkCoordinates(const char* kernel, int64_t k, const Shape& s) {
  if (k > kFaultRank)
    throw Error(std::string("cuda: ") + kernel + " with " + std::to_string(k) +
                " index coordinates (more than 8) is not supported; shape " + shapeString(s));
}

// GatherNd: indices [m, k] -> m slices of x below its first k axes.
void gatherNdK(const KernelCall& c) {
  const TensorView &x = c.in(0), &idx = c.in(1), &o = c.out();
  if (o.size == 0) return;
  const Shape& xs = *x.shape;
  const int64_t k = idx.shape->back();
  checkCoordinates("GatherNd", k, xs);
  const int64_t slice = product(xs, static_cast<size_t>(k), xs.size());
  const size_t es = dtypeSize(x.dtype);
  const size_t w = wordBytes(es, {slice}, {x.data, o.data});
  const int64_t v = static_cast<int64_t>(w / es);
  gFaultPending = true;
  dispatchBytes(w, [&](auto word) {
    using W = decltype(word);
    gatherNdKernel<W><<<blocksFor(o.size / v), kThreads, 0, stream()>>>(
        static_cast<const W*>(x.data), idx.as<int32_t>(), static_cast<W*>(o.data), o.size / v, slice / v,
        static_cast<int>(k), shapeRec(xs));
    STRATA_CUDA_LAUNCHED();
  });
}

// ScatterNd(indices, updates): each update row goes to the output row its index addresses, and
// duplicates are summed: a segment sum over those rows.
void scatterNdK(const KernelCall& c) {
  const TensorView &idx = c.in(0), &upd = c.in(1), &o = c.out();
  if (o.size == 0) return;
  const Shape& os = *o.shape;
  const int64_t k = idx.shape->size() > 1 ? idx.shape->back() : 1;
  checkCoordinates("ScatterNd", k, os);
  const int64_t m = k == 0 ? product(*idx.shape, 0, idx.shape->size() - 1) : idx.size / k;
  const int64_t slice = product(os, static_cast<size_t>(k), os.size());
  const int64_t rows = product(os, 0, static_cast<size_t>(k));
  if (m >= (int64_t{1} << 31) || rows >= (int64_t{1} << 31) - 1)
    throw Error("cuda: ScatterNd of " + std::to_string(m) + " updates into shape " + shapeString(os) +
                " is too large (2^31 rows limit)");
  Scratch rowIds(std::max<int64_t>(m, 1) * sizeof(int32_t));
  int32_t* ids = rowIds.as<int32_t>();
  const int32_t* pi = idx.as<int32_t>();
  const int kk = static_cast<int>(k);
  const ShapeRec shape = shapeRec(os);
  gFaultPending = true;
  forEach(m, [=] __device__(int64_t i) { ids[i] = static_cast<int32_t>(rowOf(kScatterNdFault, pi + i * kk, kk, shape)); });
  if (upd.dtype == DType::int32)
    segmentSum<int32_t, int64_t>(upd.as<int32_t>(), ids, m, slice, rows, o.as<int32_t>());
  else
    segmentSum<float, double>(upd.as<float>(), ids, m, slice, rows, o.as<float>());
}

// ---- OneHot ---------------------------------------------------------------------------------

template <class W>
void oneHotAs(const TensorView& idx, const TensorView& o, int64_t depth, W on, W off) {
  const int32_t* pi = idx.as<int32_t>();
  W* out = o.as<W>();
  forEach(o.size, [=] __device__(int64_t i) { out[i] = pi[i / depth] == i % depth ? on : off; });
}

void oneHotK(const KernelCall& c) {
  const auto& a = c.attr<OneHotAttrs>();
  const TensorView &idx = c.in(0), &o = c.out();
  if (o.size == 0) return;
  switch (o.dtype) {
    case DType::float32: oneHotAs<float>(idx, o, a.depth, a.onValue, a.offValue); break;
    case DType::int32:
      oneHotAs<int32_t>(idx, o, a.depth, static_cast<int32_t>(a.onValue), static_cast<int32_t>(a.offValue));
      break;
    default:  // bool: nonzero is true
      oneHotAs<uint8_t>(idx, o, a.depth, a.onValue != 0 ? 1 : 0, a.offValue != 0 ? 1 : 0);
  }
}

// ---- TopK -----------------------------------------------------------------------------------

// Unsigned keys ordered as the reference orders values: NaN above every number (all NaNs
// equal), -0 equal to +0.
__device__ uint32_t orderKey(float v) {
  if (isnan(v)) return 0xFFFFFFFFu;
  const uint32_t u = __float_as_uint(v == 0.0f ? 0.0f : v);
  return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
}
__device__ uint32_t orderKey(int32_t v) { return static_cast<uint32_t>(v) ^ 0x80000000u; }

__device__ uint64_t rowKey(uint32_t order, int64_t i) {
  return (static_cast<uint64_t>(~order) << 32) | static_cast<uint64_t>(i);
}

// Block-wide ascending bitonic sort of len (a power of two) keys in shared memory; the keys
// must be visible to the block (synchronized) on entry, and are on exit.
__device__ void bitonicSort(uint64_t* keys, int len) {
  for (int size = 2; size <= len; size <<= 1)
    for (int stride = size >> 1; stride > 0; stride >>= 1) {
      for (int i = threadIdx.x; i < len; i += blockDim.x) {
        const int j = i ^ stride;
        if (j > i) {
          const uint64_t a = keys[i], b = keys[j];
          if ((a > b) == ((i & size) == 0)) {
            keys[i] = b;
            keys[j] = a;
          }
        }
      }
      __syncthreads();
    }
}

// Rows of up to kRowCap entries: one block sorts a row's keys (padded with ~0, above every
// real key) in shared memory; unsorted output re-sorts the k chosen indices.
constexpr int kRowCap = 2048;

template <class T>
__global__ void topkRowsKernel(const T* __restrict__ x, T* __restrict__ values, int32_t* __restrict__ indices,
                               int64_t rows, int n, int k, int cap, bool sorted) {
  extern __shared__ uint64_t keys[];
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const T* row = x + r * n;
    for (int i = threadIdx.x; i < cap; i += blockDim.x) keys[i] = i < n ? rowKey(orderKey(row[i]), i) : ~uint64_t{0};
    __syncthreads();
    bitonicSort(keys, cap);
    if (!sorted) {
      int len = 1;
      while (len < k) len <<= 1;
      for (int i = threadIdx.x; i < len; i += blockDim.x) keys[i] = i < k ? (keys[i] & 0xFFFFFFFFull) : ~uint64_t{0};
      __syncthreads();
      bitonicSort(keys, len);
    }
    for (int j = threadIdx.x; j < k; j += blockDim.x) {
      const int idx = static_cast<int>(static_cast<uint32_t>(keys[j]));
      values[r * k + j] = row[idx];
      indices[r * k + j] = idx;
    }
    __syncthreads();
  }
}

// Longer rows: a stable segmented radix sort of each row (CUB, no host synchronization) on
// bits [beginBit, endBit) of the keys.
template <class K>
void sortRows(const K* in, K* out, int64_t rows, int64_t len, int beginBit, int endBit) {
  if (rows * len >= (int64_t{1} << 31))
    throw Error("cuda: TopK over " + std::to_string(rows) + " rows of " + std::to_string(len) +
                " (2^31 entries or more) is not supported");
  Scratch offsets((rows + 1) * sizeof(int));
  int* off = offsets.as<int>();
  forEach(rows + 1, [=] __device__(int64_t s) { off[s] = static_cast<int>(s * len); });
  const int items = static_cast<int>(rows * len), segments = static_cast<int>(rows);
  size_t tempBytes = 0;
  STRATA_CUDA_CHECK(cub::DeviceSegmentedRadixSort::SortKeys(nullptr, tempBytes, in, out, items, segments, off, off + 1,
                                                            beginBit, endBit, stream()));
  Scratch temp(tempBytes);
  STRATA_CUDA_CHECK(cub::DeviceSegmentedRadixSort::SortKeys(temp.get(), tempBytes, in, out, items, segments, off,
                                                            off + 1, beginBit, endBit, stream()));
}

// Rows are ordered by the 64-bit key (~orderKey(value), index): larger values first, the lower
// index first among equals, which is the reference's strict order. Sorted output takes the
// first k; unsorted output lists those k entries by index.
template <class T>
void topkAs(const KernelCall& c) {
  const auto& a = c.attr<TopKAttrs>();
  const TensorView& x = c.in(0);
  const int64_t n = x.shape->back(), k = a.k;
  const int64_t rows = n == 0 ? 0 : x.size / n;
  if (rows == 0 || k == 0) return;
  const T* px = x.as<T>();
  T* values = c.out(0).as<T>();
  int32_t* indices = c.out(1).as<int32_t>();
  if (n <= kRowCap) {
    int cap = 32;
    while (cap < n) cap <<= 1;
    const int threads = std::min(cap, 512);
    const int blocks = static_cast<int>(std::min<int64_t>(rows, static_cast<int64_t>(multiprocessors()) * 16));
    topkRowsKernel<T><<<blocks, threads, cap * sizeof(uint64_t), stream()>>>(
        px, values, indices, rows, static_cast<int>(n), static_cast<int>(k), cap, a.sorted);
    STRATA_CUDA_LAUNCHED();
    return;
  }
  Scratch keysIn(x.size * sizeof(uint64_t)), keysOut(x.size * sizeof(uint64_t));
  uint64_t *kIn = keysIn.as<uint64_t>(), *kOut = keysOut.as<uint64_t>();
  forEach(x.size, [=] __device__(int64_t i) { kIn[i] = rowKey(orderKey(px[i]), i % n); });
  // Only the value half is sorted: the sort is stable and the input is in index order.
  sortRows(kIn, kOut, rows, n, 32, 64);
  if (a.sorted) {
    forEach(rows * k, [=] __device__(int64_t i) {
      const int64_t r = i / k;
      const int64_t j = static_cast<uint32_t>(kOut[r * n + i % k]);
      values[i] = px[r * n + j];
      indices[i] = static_cast<int32_t>(j);
    });
    return;
  }
  Scratch chosen(rows * k * sizeof(uint32_t)), ordered(rows * k * sizeof(uint32_t));
  uint32_t *ch = chosen.as<uint32_t>(), *ord = ordered.as<uint32_t>();
  forEach(rows * k, [=] __device__(int64_t i) { ch[i] = static_cast<uint32_t>(kOut[(i / k) * n + i % k]); });
  int idxBits = 1;
  while ((int64_t{1} << idxBits) < n) ++idxBits;
  sortRows(ch, ord, rows, k, 0, idxBits);
  forEach(rows * k, [=] __device__(int64_t i) {
    const int64_t j = ord[i];
    values[i] = px[(i / k) * n + j];
    indices[i] = static_cast<int32_t>(j);
  });
}

void topkK(const KernelCall& c) {
  if (c.in(0).dtype == DType::int32) topkAs<int32_t>(c);
  else topkAs<float>(c);
}

const KernelEntry kTable[] = {
    {"GatherV2", gatherV2K}, {"UnsortedSegmentSum", unsortedSegmentSumK},
    {"GatherNd", gatherNdK}, {"ScatterNd", scatterNdK},
    {"OneHot", oneHotK},     {"TopK", topkK},
};

}  // namespace

void throwIndexFault() {
  if (!gFaultPending.exchange(false)) return;
  int flag = 0;
  STRATA_CUDA_CHECK(cudaMemcpyFromSymbolAsync(&flag, gFaultFlag, sizeof flag, 0, cudaMemcpyDeviceToHost, stream()));
  STRATA_CUDA_CHECK(cudaStreamSynchronize(stream()));
  if (!flag) return;
  IndexFault f{};
  const int zero = 0;
  STRATA_CUDA_CHECK(cudaMemcpyFromSymbolAsync(&f, gFault, sizeof f, 0, cudaMemcpyDeviceToHost, stream()));
  STRATA_CUDA_CHECK(cudaMemcpyToSymbolAsync(gFaultFlag, &zero, sizeof zero, 0, cudaMemcpyHostToDevice, stream()));
  STRATA_CUDA_CHECK(cudaStreamSynchronize(stream()));
  throw Error(faultMessage(f));
}

void registerIndexingKernels() { registerKernels(kName, kTable); }

}  // namespace strata::cuda
