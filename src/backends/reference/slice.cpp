// Reference kernels for slicing and padding: Slice, StridedSlice, PadV2, MirrorPad. Elements
// are copied as dtypeSize bytes, so every dtype works.
#include <cmath>
#include <cstring>

#include "backends/reference/kernels.h"
#include "core/schema/shape.h"
#include "core/shape_util.h"

namespace strata::reference {

void registerSliceKernels();

namespace {

using schema::PadAttrs;
using schema::SliceAttrs;

// Reads input index begin[d] + k[d] * strides[d] for k over `counts` (row-major), which is the
// output's order whatever its own shape.
void stridedCopy(const KernelCall& c, const Shape& counts, const std::vector<int64_t>& begin,
                 const std::vector<int64_t>& strides) {
  const TensorView& x = c.in(0);
  const TensorView& o = c.out();
  if (o.size == 0) return;
  const size_t es = dtypeSize(o.dtype);
  const std::vector<int64_t> xs = detail::stridesOf(*x.shape);
  std::vector<int64_t> st(xs.size());
  int64_t base = 0;
  for (size_t d = 0; d < xs.size(); ++d) {
    base += begin[d] * xs[d];
    st[d] = (strides.empty() ? 1 : strides[d]) * xs[d];
  }
  detail::StridedIter it(counts, {st});
  const char* px = x.as<char>();
  char* po = o.as<char>();
  for (int64_t i = 0; i < o.size; ++i, it.next()) std::memcpy(po + i * es, px + (base + it.offsets()[0]) * es, es);
}

void sliceK(const KernelCall& c) { stridedCopy(c, *c.out().shape, c.attr<SliceAttrs>().begin, {}); }

void stridedSliceK(const KernelCall& c) {
  const auto& at = c.attr<SliceAttrs>();
  stridedCopy(c, at.shape, at.begin, at.strides);
}

// Fills the output with the constant (as the output dtype), then copies x into place.
void padK(const KernelCall& c) {
  const TensorView& x = c.in(0);
  const TensorView& o = c.out();
  const auto& at = c.attr<PadAttrs>();
  const double v = at.constantValue;
  switch (o.dtype) {
    case DType::float32:
      for (int64_t i = 0; i < o.size; ++i) o.as<float>()[i] = static_cast<float>(v);
      break;
    case DType::int32:
      for (int64_t i = 0; i < o.size; ++i) o.as<int32_t>()[i] = std::isfinite(v) ? static_cast<int32_t>(std::trunc(v)) : 0;
      break;
    case DType::bool_: std::memset(o.data, v != 0 ? 1 : 0, static_cast<size_t>(o.size)); break;
    default: std::memset(o.data, 0, static_cast<size_t>(o.size) * dtypeSize(o.dtype));
  }
  if (x.size == 0) return;
  const size_t es = dtypeSize(o.dtype);
  const std::vector<int64_t> os = detail::stridesOf(*o.shape);
  int64_t base = 0;
  for (size_t d = 0; d < os.size(); ++d) base += at.paddings[d].first * os[d];
  detail::StridedIter it(*x.shape, {os});
  const char* px = x.as<char>();
  char* po = o.as<char>();
  for (int64_t i = 0; i < x.size; ++i, it.next()) std::memcpy(po + (base + it.offsets()[0]) * es, px + i * es, es);
}

// Each output coordinate before the data mirrors around the first element (reflect) or the
// edge between it and the padding (symmetric); likewise after the data.
void mirrorPadK(const KernelCall& c) {
  const TensorView& x = c.in(0);
  const TensorView& o = c.out();
  if (o.size == 0) return;
  const auto& at = c.attr<PadAttrs>();
  const int64_t shift = at.symmetric ? 1 : 0;
  const size_t es = dtypeSize(o.dtype);
  const Shape& xs = *x.shape;
  const Shape& os = *o.shape;
  const std::vector<int64_t> st = detail::stridesOf(xs);
  std::vector<int64_t> idx(os.size(), 0);
  const char* px = x.as<char>();
  char* po = o.as<char>();
  for (int64_t i = 0; i < o.size; ++i) {
    int64_t off = 0;
    for (size_t d = 0; d < os.size(); ++d) {
      int64_t k = idx[d] - at.paddings[d].first;
      if (k < 0) k = -k - shift;
      else if (k >= xs[d]) k = 2 * (xs[d] - 1) - k + shift;
      off += k * st[d];
    }
    std::memcpy(po + i * es, px + off * es, es);
    for (int d = static_cast<int>(os.size()) - 1; d >= 0 && ++idx[d] == os[d]; --d) idx[d] = 0;
  }
}

const KernelEntry kKernels[] = {
    {"Slice", sliceK},
    {"StridedSlice", stridedSliceK},
    {"PadV2", padK},
    {"MirrorPad", mirrorPadK},
};

}  // namespace

void registerSliceKernels() { registerKernels(kName, kKernels); }

}  // namespace strata::reference
