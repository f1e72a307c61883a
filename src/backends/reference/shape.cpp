// Reference kernels for shape and data-movement ops. They copy elements of dtypeSize bytes,
// so every dtype works. Slicing and padding kernels are in slice.cpp.
#include <cstring>

#include "backends/reference/kernels.h"
#include "core/schema/shape.h"
#include "core/shape_util.h"

namespace strata::reference {

void registerSliceKernels();  // slice.cpp

namespace {

using schema::AxisAttrs;
using schema::BlockAttrs;

// Output element i = input element at offsets()[0] of an iterator over the output shape.
void gather(const KernelCall& c, const std::vector<int64_t>& inStrides, int64_t base = 0) {
  const TensorView& x = c.in(0);
  const TensorView& o = c.out();
  if (o.size == 0) return;
  const size_t es = dtypeSize(o.dtype);
  detail::StridedIter it(*o.shape, {inStrides});
  const char* px = x.as<char>();
  char* po = o.as<char>();
  for (int64_t i = 0; i < o.size; ++i, it.next()) std::memcpy(po + i * es, px + (base + it.offsets()[0]) * es, es);
}

void broadcastToK(const KernelCall& c) { gather(c, detail::broadcastStrides(*c.in(0).shape, *c.out().shape)); }

void transposeK(const KernelCall& c) {
  const auto& perm = c.attr<schema::TransposeAttrs>().perm;
  std::vector<int64_t> in = detail::stridesOf(*c.in(0).shape), st(perm.size());
  for (size_t i = 0; i < perm.size(); ++i) st[i] = in[perm[i]];
  gather(c, st);
}

// Walking a reversed axis backwards: negative strides from the last element.
void reverseK(const KernelCall& c) {
  const Shape& s = *c.in(0).shape;
  std::vector<int64_t> st = detail::stridesOf(s);
  int64_t base = 0;
  for (int a : c.attr<schema::ReverseAttrs>().axes) {
    base += (s[a] - 1) * st[a];
    st[a] = -st[a];
  }
  gather(c, st, base);
}

void tileK(const KernelCall& c) {
  const TensorView& x = c.in(0);
  const TensorView& o = c.out();
  if (o.size == 0) return;
  const size_t es = dtypeSize(o.dtype);
  const Shape& xs = *x.shape;
  const Shape& os = *o.shape;
  const std::vector<int64_t> st = detail::stridesOf(xs);
  std::vector<int64_t> idx(os.size(), 0);
  const char* px = x.as<char>();
  char* po = o.as<char>();
  for (int64_t i = 0; i < o.size; ++i) {
    int64_t off = 0;
    for (size_t d = 0; d < os.size(); ++d) off += (idx[d] % xs[d]) * st[d];
    std::memcpy(po + i * es, px + off * es, es);
    for (int d = static_cast<int>(os.size()) - 1; d >= 0 && ++idx[d] == os[d]; --d) idx[d] = 0;
  }
}

// Concat and Pack: for each block of the axes before `axis`, each input contributes its
// contiguous chunk in turn.
void joinK(const KernelCall& c) {
  const TensorView& o = c.out();
  if (o.size == 0) return;
  const size_t es = dtypeSize(o.dtype);
  const int axis = c.attr<AxisAttrs>().axis;
  int64_t outer = 1;
  for (int d = 0; d < axis; ++d) outer *= (*o.shape)[d];
  char* po = o.as<char>();
  for (int64_t b = 0; b < outer; ++b)
    for (const TensorView& x : c.inputs) {
      const size_t chunk = static_cast<size_t>(x.size / outer) * es;
      if (chunk) std::memcpy(po, x.as<char>() + b * chunk, chunk);
      po += chunk;
    }
}

// SplitV and Unpack: the inverse of joinK.
void splitK(const KernelCall& c) {
  const TensorView& x = c.in(0);
  if (x.size == 0) return;
  const size_t es = dtypeSize(x.dtype);
  const int axis = c.attr<AxisAttrs>().axis;
  int64_t outer = 1;
  for (int d = 0; d < axis; ++d) outer *= (*x.shape)[d];
  const char* px = x.as<char>();
  for (int64_t b = 0; b < outer; ++b)
    for (const TensorView& o : c.outputs) {
      const size_t chunk = static_cast<size_t>(o.size / outer) * es;
      if (chunk) std::memcpy(o.as<char>() + b * chunk, px, chunk);
      px += chunk;
    }
}

// Channel index = (blockRow * blockSize + blockCol) * depth + c, as in TF.js.
template <bool ToSpace>
void blockK(const KernelCall& c) {
  const int64_t bs = c.attr<BlockAttrs>().blockSize;
  // The space side [N, H, W, C] and the depth side [N, H/bs, W/bs, C*bs*bs].
  const Shape& space = ToSpace ? *c.out().shape : *c.in(0).shape;
  const int64_t n = space[0], h = space[1], w = space[2], d = space[3];
  const int64_t dw = w / bs, dd = d * bs * bs;
  const size_t es = dtypeSize(c.out().dtype);
  const char* px = c.in(0).as<char>();
  char* po = c.out().as<char>();
  for (int64_t b = 0; b < n; ++b)
    for (int64_t y = 0; y < h; ++y)
      for (int64_t x = 0; x < w; ++x)
        for (int64_t k = 0; k < d; ++k) {
          const int64_t spaceIdx = ((b * h + y) * w + x) * d + k;
          const int64_t depthIdx = ((b * (h / bs) + y / bs) * dw + x / bs) * dd + ((y % bs) * bs + x % bs) * d + k;
          if (ToSpace) std::memcpy(po + spaceIdx * es, px + depthIdx * es, es);
          else std::memcpy(po + depthIdx * es, px + spaceIdx * es, es);
        }
}

const KernelEntry kKernels[] = {
    {"BroadcastTo", broadcastToK}, {"Transpose", transposeK},          {"Reverse", reverseK},
    {"Tile", tileK},               {"Concat", joinK},                  {"Pack", joinK},
    {"SplitV", splitK},            {"Unpack", splitK},                 {"DepthToSpace", blockK<true>},
    {"SpaceToDepth", blockK<false>},
};

}  // namespace

void registerShapeKernels() {
  registerKernels(kName, kKernels);
  registerSliceKernels();
}

}  // namespace strata::reference
