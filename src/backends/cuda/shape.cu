// Shape and data-movement kernels (mirror of reference/shape.cpp). Elements are moved as raw
// words of their size, so every dtype works. Gathers (BroadcastTo, Transpose, Reverse, Tile,
// DepthToSpace, SpaceToDepth) are strided copies (copy.cu); Concat/Pack and SplitV/Unpack move
// up to kParts operands per launch. Slicing and padding are in slice.cu.
#include <vector>

#include "backends/cuda/copy.cuh"
#include "core/schema/shape.h"

namespace strata::cuda {
namespace {

using schema::AxisAttrs;
using schema::BlockAttrs;

size_t elemBytes(const TensorView& t) { return dtypeSize(t.dtype); }

void broadcastToK(const KernelCall& c) {
  const TensorView &x = c.in(0), &o = c.out();
  if (o.size == 0) return;
  gatherCopy(o.data, x.data, elemBytes(o), *o.shape, detail::broadcastStrides(*x.shape, *o.shape));
}

void transposeK(const KernelCall& c) {
  const TensorView &x = c.in(0), &o = c.out();
  if (o.size == 0) return;
  const auto& perm = c.attr<schema::TransposeAttrs>().perm;
  const std::vector<int64_t> in = detail::stridesOf(*x.shape);
  std::vector<int64_t> st(perm.size());
  for (size_t i = 0; i < perm.size(); ++i) st[i] = in[perm[i]];
  gatherCopy(o.data, x.data, elemBytes(o), *o.shape, st);
}

// A reversed axis is walked with a negative stride from its last element.
void reverseK(const KernelCall& c) {
  const TensorView &x = c.in(0), &o = c.out();
  if (o.size == 0) return;
  const Shape& s = *x.shape;
  std::vector<int64_t> st = detail::stridesOf(s);
  int64_t base = 0;
  for (int a : c.attr<schema::ReverseAttrs>().axes) {
    base += (s[a] - 1) * st[a];
    st[a] = -st[a];
  }
  gatherCopy(o.data, x.data, elemBytes(o), s, st, base);
}

// Output axis d of extent reps*x is read as the pair (rep, x) with strides (0, stride of x).
void tileK(const KernelCall& c) {
  const TensorView &x = c.in(0), &o = c.out();
  if (o.size == 0) return;
  const Shape& xs = *x.shape;
  const Shape& os = *o.shape;
  const std::vector<int64_t> st = detail::stridesOf(xs);
  Shape dims;
  std::vector<int64_t> strides;
  for (size_t d = 0; d < xs.size(); ++d) {
    dims.push_back(os[d] / xs[d]);
    strides.push_back(0);
    dims.push_back(xs[d]);
    strides.push_back(st[d]);
  }
  gatherCopy(o.data, x.data, elemBytes(o), dims, strides);
}

// Concat/Pack and SplitV/Unpack see the joined tensor as [outer, total] words and operand j
// as [outer, chunk_j], its columns [begin_j, begin_j + chunk_j) of the joined one.
constexpr int kParts = 16;
struct Parts {
  void* ptr[kParts] = {};
  int64_t begin[kParts + 1] = {};
  int count = 0;
};

// Over the columns [colBegin, colBegin + width) that this launch's operands cover. The operand
// is found by an unrolled scan (static indices keep the parameters out of local memory).
template <class W, bool Join>
__global__ void joinSplitKernel(W* __restrict__ whole, Parts parts, int64_t total, int64_t colBegin, int64_t width,
                                int64_t n) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t b = i / width, col = colBegin + i % width;
    W* part = static_cast<W*>(parts.ptr[0]);
    int64_t lo = parts.begin[0], hi = parts.begin[1];
#pragma unroll
    for (int q = 1; q < kParts; ++q)
      if (q < parts.count && col >= parts.begin[q]) {
        part = static_cast<W*>(parts.ptr[q]);
        lo = parts.begin[q];
        hi = parts.begin[q + 1];
      }
    W* p = part + b * (hi - lo) + (col - lo);
    W* w = whole + b * total + col;
    if (Join) *w = *p;
    else *p = *w;
  }
}

// operands: the pieces in order (inputs of a join, outputs of a split).
template <bool Join>
void joinSplit(void* whole, const TensorView& wholeView, int axis, std::span<const TensorView> operands) {
  if (wholeView.size == 0) return;
  const size_t es = elemBytes(wholeView);
  int64_t outer = 1;
  for (int d = 0; d < axis; ++d) outer *= (*wholeView.shape)[d];
  // The widest word every operand's row and pointer allow.
  size_t w = 16;
  for (const TensorView& t : operands)
    if (t.size) w = std::min(w, wordBytes(es, {t.size / outer}, {t.data}));
  w = std::min(w, wordBytes(es, {wholeView.size / outer}, {whole}));
  const int64_t v = static_cast<int64_t>(w / es);
  const int64_t total = wholeView.size / outer / v;

  Parts parts;
  int64_t col = 0, groupBegin = 0;
  auto flush = [&] {
    if (parts.count == 0) return;
    const int64_t width = col - groupBegin, n = outer * width;
    dispatchBytes(w, [&](auto word) {
      using W = decltype(word);
      joinSplitKernel<W, Join><<<blocksFor(n), kThreads, 0, stream()>>>(static_cast<W*>(whole), parts, total,
                                                                         groupBegin, width, n);
      STRATA_CUDA_LAUNCHED();
    });
    parts = Parts{};
    groupBegin = col;
  };
  for (const TensorView& t : operands) {
    const int64_t chunk = t.size / outer / v;
    if (chunk == 0) continue;
    parts.ptr[parts.count] = t.data;
    parts.begin[parts.count] = col;
    col += chunk;
    parts.begin[++parts.count] = col;
    if (parts.count == kParts) flush();
  }
  flush();
}

void joinK(const KernelCall& c) {
  joinSplit<true>(c.out().data, c.out(), c.attr<AxisAttrs>().axis, c.inputs);
}
void splitK(const KernelCall& c) {
  joinSplit<false>(c.in(0).data, c.in(0), c.attr<AxisAttrs>().axis, std::span<const TensorView>(c.outputs));
}

// The space side [N, H, W, C] is [N, H/bs, bs, W/bs, bs, C]; the depth side [N, H/bs, W/bs,
// C*bs*bs] is [N, H/bs, W/bs, bs, bs, C] (channel = (blockRow * bs + blockCol) * C + c).
void depthToSpaceK(const KernelCall& c) {
  const TensorView &x = c.in(0), &o = c.out();
  if (o.size == 0) return;
  const int64_t bs = c.attr<BlockAttrs>().blockSize;
  const Shape& s = *o.shape;
  const int64_t n = s[0], hb = s[1] / bs, wb = s[2] / bs, d = s[3], dd = d * bs * bs;
  gatherCopy(o.data, x.data, elemBytes(o), {n, hb, bs, wb, bs, d}, {hb * wb * dd, wb * dd, bs * d, dd, d, 1});
}
void spaceToDepthK(const KernelCall& c) {
  const TensorView &x = c.in(0), &o = c.out();
  if (o.size == 0) return;
  const int64_t bs = c.attr<BlockAttrs>().blockSize;
  const Shape& s = *x.shape;
  const int64_t n = s[0], h = s[1], w = s[2], d = s[3];
  gatherCopy(o.data, x.data, elemBytes(o), {n, h / bs, w / bs, bs, bs, d},
             {h * w * d, bs * w * d, bs * d, w * d, d, 1});
}

const KernelEntry kTable[] = {
    {"BroadcastTo", broadcastToK}, {"Transpose", transposeK},         {"Reverse", reverseK},
    {"Tile", tileK},               {"Concat", joinK},                 {"Pack", joinK},
    {"SplitV", splitK},            {"Unpack", splitK},                {"DepthToSpace", depthToSpaceK},
    {"SpaceToDepth", spaceToDepthK},
};

}  // namespace

void registerShapeKernels() { registerKernels(kName, kTable); }

}  // namespace strata::cuda
