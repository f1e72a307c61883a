// The elementwise engine shared by elementwise.cu (unary, cast, fills, AddN, registration) and
// binary.cu (arithmetic, comparisons, logical, Select): launch(op, out, inputs...) applies a
// __device__ functor over the output, reading each input either
//   - as a contiguous run of the output's shape (full), as one value (scalar), or as a "block"
//     (the input keeps one contiguous run of the output's axes: offset = (i / inner) % mid,
//     which covers bias rows [C] over [N, C], columns [N, 1] over [N, C] and [1, C, 1] forms),
//     4 elements per thread with 16-byte loads when sizes and alignment allow;
//   - or, for any other broadcast, through the general per-axis Indexer (adjacent axes merged).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "backends/cuda/kernels.cuh"

namespace strata::cuda {

/// Registers the binary, comparison, logical and Select kernels (binary.cu).
void registerElementwiseBinaryKernels();

namespace ew {

/// Throws naming the kernel, the tensor's shape and its dtype.
[[noreturn]] inline void unsupported(const char* kernel, const TensorView& x) {
  throw Error(std::string("cuda ") + kernel + ": unsupported dtype " + std::string(dtypeName(x.dtype)) +
              " (shape " + shapeString(*x.shape) + ")");
}

enum class MapKind : int { full, scalar, block };

/// How an input's flat offset follows from the output's flat index i.
struct Map {
  MapKind kind = MapKind::full;
  bool vec = false;    // the 4 elements of a 4-wide item are contiguous in the input (16-byte load)
  bool small = true;   // every index fits 32 bits: cheaper division
  int64_t inner = 1;   // block: product of the output's axes after the input's run
  int64_t mid = 1;     // block: the input's size
};

template <class T>
struct Operand {
  const T* p;
  Map m;
};

template <class T>
struct alignas(4 * sizeof(T)) Vec4 {
  T v[4];
};

__host__ __device__ __forceinline__ int64_t offsetOf(const Map& m, int64_t i) {
  if (m.kind == MapKind::full) return i;
  if (m.kind == MapKind::scalar) return 0;
  if (m.small) {
    uint32_t q = static_cast<uint32_t>(i);
    if (m.inner != 1) q /= static_cast<uint32_t>(m.inner);
    return q % static_cast<uint32_t>(m.mid);
  }
  const int64_t q = m.inner == 1 ? i : i / m.inner;
  return q % m.mid;
}

// The 4 values of the item starting at output index `base` (a multiple of 4): one vector load
// when contiguous, else one value repeated (a scalar, or a block whose inner is a multiple of 4).
template <class T>
__device__ __forceinline__ Vec4<T> load4(const Operand<T>& o, int64_t base) {
  const int64_t off = offsetOf(o.m, base);
  if (o.m.vec) return *reinterpret_cast<const Vec4<T>*>(o.p + off);
  const T x = o.p[off];
  return Vec4<T>{{x, x, x, x}};
}

template <class Out, class F, class... Ts>
__global__ void mapped4Kernel(int64_t n, Out* __restrict__ out, F f, Operand<Ts>... ops) {
  const int64_t items = (n + 3) / 4;
  for (int64_t v = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; v < items;
       v += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t base = v * 4;
    if (base + 4 <= n) {
      Vec4<Out> r;
      [&](const auto&... xs) {
#pragma unroll
        for (int j = 0; j < 4; ++j) r.v[j] = static_cast<Out>(f(xs.v[j]...));
      }(load4(ops, base)...);
      *reinterpret_cast<Vec4<Out>*>(out + base) = r;
    } else {
#pragma unroll 1
      for (int64_t i = base; i < n; ++i) out[i] = static_cast<Out>(f(ops.p[offsetOf(ops.m, i)]...));
    }
  }
}

template <class Out, class F, class... Ts>
__global__ void mapped1Kernel(int64_t n, Out* __restrict__ out, F f, Operand<Ts>... ops) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x)
    out[i] = static_cast<Out>(f(ops.p[offsetOf(ops.m, i)]...));
}

template <class F, size_t... K, class... Ts>
__device__ __forceinline__ auto callAt(const F& f, const int64_t* o, std::index_sequence<K...>, const Ts*... ps) {
  return f(ps[o[K]]...);
}

template <class Out, class F, class... Ts>
__global__ void indexedKernel(int64_t n, Out* __restrict__ out, F f, Indexer<sizeof...(Ts)> ix, const Ts*... ps) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    int64_t o[sizeof...(Ts)];
    ix.offsets(i, o);
    out[i] = static_cast<Out>(callAt(f, o, std::index_sequence_for<Ts...>{}, ps...));
  }
}

/// Classifies input shape `s` broadcast to `out` (n = its size > 0); false when the input keeps
/// output axes that are not one contiguous run (the general indexer handles it).
inline bool classify(const Shape& s, const Shape& out, int64_t n, Map& m) {
  m = Map{};
  m.small = n <= 0xffffffffLL;
  const int64_t size = shapeSize(s);
  if (size == n) {  // broadcasting can only add axes of 1 then: same flat layout
    m.kind = MapKind::full;
    m.vec = true;
    return true;
  }
  if (size == 1) {
    m.kind = MapKind::scalar;
    return true;
  }
  const int rank = static_cast<int>(out.size());
  const int lead = rank - static_cast<int>(s.size());
  if (lead < 0) return false;
  int last = -1;
  bool gap = false;  // a broadcast axis seen after the kept run started
  for (int d = 0; d < rank; ++d) {
    if (out[d] == 1) continue;
    const int64_t sd = d < lead ? 1 : s[d - lead];
    if (sd == out[d]) {
      if (gap) return false;
      last = d;
    } else if (last >= 0) {
      gap = true;
    }
  }
  if (last < 0) return false;
  int64_t inner = 1;
  for (int d = last + 1; d < rank; ++d) inner *= out[d];
  m.kind = MapKind::block;
  m.inner = inner;
  m.mid = size;
  m.vec = inner == 1;
  return true;
}

/// The general broadcast indexer with adjacent axes merged where every input allows it (size-1
/// axes dropped, [N, H, W, C] x [N, 1, 1, C] indexed as [N, H*W, C]): fewer divisions per element.
template <int N>
Indexer<N> coalescedIndexer(const Shape& out, const Shape* const (&in)[N]) {
  std::vector<int64_t> strides[N];
  for (int k = 0; k < N; ++k) strides[k] = detail::broadcastStrides(*in[k], out);
  Indexer<N> ix;
  int r = 0;
  for (size_t d = 0; d < out.size(); ++d) {
    if (out[d] == 1) continue;
    bool merge = r > 0;
    for (int k = 0; k < N && merge; ++k) merge = ix.strides[k][r - 1] == strides[k][d] * out[d];
    if (merge) {
      ix.dims[r - 1] *= out[d];
      for (int k = 0; k < N; ++k) ix.strides[k][r - 1] = strides[k][d];
      continue;
    }
    if (r == kMaxRank)
      throw Error("cuda: broadcasting to shape " + shapeString(out) + " needs more than 8 axes after merging");
    ix.dims[r] = out[d];
    for (int k = 0; k < N; ++k) ix.strides[k][r] = strides[k][d];
    ++r;
  }
  ix.rank = r;
  return ix;
}

// Whether an input can be read 4 outputs at a time.
template <class T>
bool vectorizable(const Map& m, const void* p) {
  const bool aligned = reinterpret_cast<uintptr_t>(p) % (4 * sizeof(T)) == 0;
  switch (m.kind) {
    case MapKind::full: return aligned;
    case MapKind::scalar: return true;
    case MapKind::block: return m.inner == 1 ? (m.mid % 4 == 0 && aligned) : m.inner % 4 == 0;
  }
  return false;
}

template <class Out, class... Ts, class F, size_t... K>
void launchImpl(F f, const TensorView& out, const std::array<const TensorView*, sizeof...(Ts)>& ins,
                std::index_sequence<K...>) {
  constexpr size_t N = sizeof...(Ts);
  const int64_t n = out.size;
  if (n <= 0) return;
  Out* po = out.as<Out>();
  std::array<Map, N> maps{};
  const bool mappable = (true && ... && classify(*ins[K]->shape, *out.shape, n, maps[K]));
  if (!mappable) {
    if constexpr (N >= 2) {
      const Shape* shapes[N] = {ins[K]->shape...};
      const Indexer<N> ix = coalescedIndexer<N>(*out.shape, shapes);
      indexedKernel<Out, F, Ts...><<<blocksFor(n), kThreads, 0, stream()>>>(n, po, f, ix, ins[K]->template as<const Ts>()...);
      STRATA_CUDA_LAUNCHED();
    }
    return;
  }
  const bool vec = reinterpret_cast<uintptr_t>(po) % (4 * sizeof(Out)) == 0 &&
                   (true && ... && vectorizable<Ts>(maps[K], ins[K]->data));
  if (vec)
    mapped4Kernel<Out, F, Ts...><<<blocksFor((n + 3) / 4), kThreads, 0, stream()>>>(
        n, po, f, Operand<Ts>{ins[K]->template as<const Ts>(), maps[K]}...);
  else
    mapped1Kernel<Out, F, Ts...><<<blocksFor(n), kThreads, 0, stream()>>>(
        n, po, f, Operand<Ts>{ins[K]->template as<const Ts>(), maps[K]}...);
  STRATA_CUDA_LAUNCHED();
}

/// out[i] = f(inputs broadcast to out at i...), on the stream. Ts are the inputs' element types,
/// Out the output's; f is a functor with a __device__ operator()(Ts...) whose result converts to Out.
/// The inputs are TensorViews whose shapes broadcast to out's (the op validated them).
template <class Out, class... Ts, class F, class... Views>
void launch(F f, const TensorView& out, const Views&... ins) {
  static_assert(sizeof...(Ts) == sizeof...(Views), "one element type per input");
  launchImpl<Out, Ts...>(f, out, {&ins...}, std::index_sequence_for<Ts...>{});
}

}  // namespace ew
}  // namespace strata::cuda
