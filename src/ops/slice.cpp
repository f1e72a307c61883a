// Slicing and padding ops (declared in strata/ops/shape.h): slice, stridedSlice, pad,
// mirrorPad, with their gradients.
#include <algorithm>

#include "core/schema/shape.h"
#include "ops/op_util.h"
#include "strata/ops/shape.h"

namespace strata {

using detail::GradArgs;
using detail::run1;
using schema::PadAttrs;
using schema::SliceAttrs;

namespace {

std::string str(int64_t v) { return std::to_string(v); }

std::string listString(const std::vector<int64_t>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) s += ",";
    s += std::to_string(v[i]);
  }
  return s + "]";
}

std::string padString(const std::vector<std::pair<int64_t, int64_t>>& p) {
  std::string s = "[";
  for (size_t i = 0; i < p.size(); ++i) {
    s += i ? ",[" : "[";
    s += str(p[i].first);
    s += ",";
    s += str(p[i].second);
    s += "]";
  }
  return s + "]";
}

}  // namespace

// TF.js parseSliceParams: short `begin` is padded with 0, short `size` with -1 (the rest).
Tensor slice(const Tensor& x, const std::vector<int64_t>& begin, const std::vector<int64_t>& size) {
  detail::checkUsable(x, "slice", 0);
  const Shape& s = x.shape();
  const size_t rank = s.size();
  if (begin.size() > rank || size.size() > rank)
    throw Error("slice: begin " + listString(begin) + " and size " + listString(size) + " must not be longer than the rank of shape " +
                shapeString(s));
  std::vector<int64_t> b(rank, 0);
  Shape out(rank);
  for (size_t i = 0; i < rank; ++i) {
    if (i < begin.size()) b[i] = begin[i];
    if (b[i] < 0 || b[i] > s[i])
      throw Error("slice: begin " + listString(begin) + " is out of range for shape " + shapeString(s));
    int64_t n = i < size.size() ? size[i] : -1;
    if (n < -1) throw Error("slice: size " + listString(size) + " may only use -1 as a negative entry");
    out[i] = n == -1 ? s[i] - b[i] : n;
    if (b[i] + out[i] > s[i])
      throw Error("slice: begin " + listString(begin) + " + size " + listString(size) + " overflows shape " + shapeString(s) +
                  " on axis " + str(static_cast<int64_t>(i)));
  }
  return run1(kernelId("Slice"), {x}, out, x.dtype(), SliceAttrs{b, {}, {}});
}

namespace {

// The dense form of a strided slice (TF.js/TensorFlow sliceInfo): per input axis, the first
// index, the stride and the number of elements; plus the output shape with new axes added and
// shrunk axes removed.
struct DenseSlice {
  std::vector<int64_t> begin, strides;
  Shape counts, finalShape;
};

constexpr int kNewAxis = -2, kShrinkAxis = -1;

DenseSlice denseSlice(const Shape& xs, const std::vector<int64_t>& begin, const std::vector<int64_t>& end,
                      const std::vector<int64_t>& stridesIn, const StridedSliceOptions& o) {
  const std::string where = " (shape " + shapeString(xs) + ", begin " + listString(begin) + ", end " + listString(end) + ")";
  if (end.size() != begin.size())
    throw Error("stridedSlice: begin and end must have the same length" + where);
  std::vector<int64_t> strides = stridesIn.empty() ? std::vector<int64_t>(begin.size(), 1) : stridesIn;
  if (strides.size() != begin.size())
    throw Error("stridedSlice: strides " + listString(strides) + " must have the length of begin" + where);
  if (begin.size() > 30) throw Error("stridedSlice: at most 30 slice entries are supported" + where);
  if (o.ellipsisMask & (o.ellipsisMask - 1)) throw Error("stridedSlice: ellipsisMask may have only one bit set" + where);
  auto bit = [](int mask, int i) { return (mask >> i) & 1; };

  // Sparse spec: an ellipsis is implied after the last entry when none is given.
  int sparseDims = static_cast<int>(begin.size());
  int ellipsisMask = o.ellipsisMask;
  int newAxesAfterEllipsis = 0;
  bool seen = false;
  for (int i = 0; i < sparseDims; ++i) {
    if (seen && bit(o.newAxisMask, i)) ++newAxesAfterEllipsis;
    if (bit(ellipsisMask, i)) seen = true;
  }
  if (!seen) ellipsisMask |= 1 << sparseDims++;

  // Dense spec: one entry per input axis. Axes no entry addresses take everything.
  const int rank = static_cast<int>(xs.size());
  std::vector<int64_t> b(rank, 0), e(rank, 0), st(rank, 1);
  std::vector<bool> bMask(rank, true), eMask(rank, true), shrink(rank, false);
  std::vector<int> gather;  // per output axis: a dense axis, kNewAxis or kShrinkAxis
  int full = 0;
  for (int i = 0; i < sparseDims; ++i) {
    if (bit(ellipsisMask, i)) {
      int next = std::min(rank - (sparseDims - i) + 1 + newAxesAfterEllipsis, rank);
      for (; full < next; ++full) gather.push_back(full);
    } else if (bit(o.newAxisMask, i)) {
      gather.push_back(kNewAxis);
    } else {
      if (full >= rank) throw Error("stridedSlice: the slice addresses more axes than the input has" + where);
      b[full] = begin[i];
      e[full] = end[i];
      st[full] = strides[i];
      bMask[full] = bit(o.beginMask, i);
      eMask[full] = bit(o.endMask, i);
      shrink[full] = bit(o.shrinkAxisMask, i);
      gather.push_back(shrink[full] ? kShrinkAxis : full);
      ++full;
    }
  }

  DenseSlice d{std::vector<int64_t>(rank), st, Shape(rank), {}};
  for (int i = 0; i < rank; ++i) {
    const int64_t s = st[i], dim = xs[i];
    if (s == 0) throw Error("stridedSlice: strides[" + str(i) + "] must be non-zero" + where);
    if (shrink[i]) {
      if (s < 0) throw Error("stridedSlice: a shrunk axis needs a positive stride" + where);
      int64_t fwd = b[i] < 0 ? dim + b[i] : b[i];
      if (fwd < 0 || fwd >= dim)
        throw Error("stridedSlice: index " + str(b[i]) + " is out of bounds for axis " + str(i) + where);
      d.begin[i] = fwd;
      d.counts[i] = 1;
      continue;
    }
    // Valid range of indices; a negative stride may stop at -1 (before the first element).
    const int64_t lo = s > 0 ? 0 : -1, hi = s > 0 ? dim : dim - 1;
    auto canonical = [&](int64_t v, bool masked, bool isEnd) {
      if (masked) return (s > 0) != isEnd ? lo : hi;
      int64_t fwd = v < 0 ? dim + v : v;
      return std::clamp(fwd, lo, hi);
    };
    const int64_t first = canonical(b[i], bMask[i], false);
    const int64_t stop = canonical(e[i], eMask[i], true);
    const int64_t interval = stop - first;
    d.begin[i] = first;
    d.counts[i] = interval == 0 || (interval < 0) != (s < 0) ? 0 : interval / s + (interval % s != 0 ? 1 : 0);
  }
  for (int g : gather) {
    if (g >= 0) d.finalShape.push_back(d.counts[g]);
    else if (g == kNewAxis) d.finalShape.push_back(1);
  }
  return d;
}

}  // namespace

Tensor stridedSlice(const Tensor& x, const std::vector<int64_t>& begin, const std::vector<int64_t>& end,
                    const std::vector<int64_t>& strides, const StridedSliceOptions& options) {
  detail::checkUsable(x, "stridedSlice", 0);
  DenseSlice d = denseSlice(x.shape(), begin, end, strides, options);
  return run1(kernelId("StridedSlice"), {x}, d.finalShape, x.dtype(), SliceAttrs{d.begin, d.strides, d.counts});
}

Tensor pad(const Tensor& x, const std::vector<std::pair<int64_t, int64_t>>& paddings, float constantValue) {
  detail::checkUsable(x, "pad", 0);
  if (x.rank() == 0) throw Error("pad: cannot pad a scalar");
  if (static_cast<int>(paddings.size()) != x.rank())
    throw Error("pad: paddings " + padString(paddings) + " must have one pair per axis of shape " + shapeString(x.shape()));
  Shape out = x.shape();
  for (size_t i = 0; i < paddings.size(); ++i) {
    if (paddings[i].first < 0 || paddings[i].second < 0)
      throw Error("pad: paddings " + padString(paddings) + " must not be negative");
    out[i] += paddings[i].first + paddings[i].second;
  }
  return run1(kernelId("PadV2"), {x}, out, x.dtype(), PadAttrs{paddings, constantValue, false});
}

Tensor mirrorPad(const Tensor& x, const std::vector<std::pair<int64_t, int64_t>>& paddings, const std::string& mode) {
  detail::checkUsable(x, "mirrorPad", 0);
  if (mode != "reflect" && mode != "symmetric")
    throw Error("mirrorPad: mode must be 'reflect' or 'symmetric', got '" + mode + "'");
  if (x.rank() == 0) throw Error("mirrorPad: cannot pad a scalar");
  if (static_cast<int>(paddings.size()) != x.rank())
    throw Error("mirrorPad: paddings " + padString(paddings) + " must have one pair per axis of shape " +
                shapeString(x.shape()));
  const bool symmetric = mode == "symmetric";
  Shape out = x.shape();
  for (size_t i = 0; i < paddings.size(); ++i) {
    // reflect does not repeat the edge, so it can mirror at most dim - 1 elements.
    const int64_t limit = x.shape()[i] - (symmetric ? 0 : 1);
    if (paddings[i].first < 0 || paddings[i].second < 0 || paddings[i].first > limit || paddings[i].second > limit)
      throw Error("mirrorPad: paddings " + padString(paddings) + " must be in [0, " + str(limit) + "] on axis " +
                  str(static_cast<int64_t>(i)) + " of shape " + shapeString(x.shape()) + " in " + mode + " mode");
    out[i] += paddings[i].first + paddings[i].second;
  }
  return run1(kernelId("MirrorPad"), {x}, out, x.dtype(), PadAttrs{paddings, 0, symmetric});
}

// ---- gradients --------------------------------------------------------------------------

namespace {

// Entries [start, start + len) of axis `axis`.
Tensor sliceAxis(const Tensor& t, int axis, int64_t start, int64_t len) {
  std::vector<int64_t> b(t.rank(), 0), s(t.rank(), -1);
  b[axis] = start;
  s[axis] = len;
  return slice(t, b, s);
}

// Zero-pads axis `axis` only.
Tensor padAxis(const Tensor& t, int axis, int64_t before, int64_t after) {
  if (before == 0 && after == 0) return t;
  std::vector<std::pair<int64_t, int64_t>> p(t.rank(), {0, 0});
  p[axis] = {before, after};
  return pad(t, p);
}

// dy padded back to x's shape with zeros (TF.js).
std::vector<Tensor> sliceGrad(const GradArgs& g) {
  const Shape& xs = g.x().shape();
  const auto& begin = g.attr<SliceAttrs>().begin;
  std::vector<std::pair<int64_t, int64_t>> p;
  for (size_t i = 0; i < xs.size(); ++i) p.push_back({begin[i], xs[i] - begin[i] - g.dy().shape()[i]});
  if (xs.empty()) return {g.dy()};
  return {pad(g.dy(), p)};
}

// Scatters dy back to the positions it was read from, one axis at a time: negative strides are
// reversed, strides > 1 interleave zeros, then zeros pad the ends. (TF.js has no StridedSlice
// gradient.)
std::vector<Tensor> stridedSliceGrad(const GradArgs& g) {
  const Shape& xs = g.x().shape();
  const auto& at = g.attr<SliceAttrs>();
  if (g.dy().size() == 0) return {zeros(xs)};
  Tensor t = reshape(g.dy(), at.shape);
  for (int d = 0; d < static_cast<int>(xs.size()); ++d) {
    const int64_t k = at.shape[d];
    int64_t start = at.begin[d], s = at.strides[d];
    if (k > 1 && s < 0) {
      t = reverse(t, {d});
      start += (k - 1) * s;
      s = -s;
    }
    if (k > 1 && s > 1) {
      Shape wide = t.shape();
      wide.insert(wide.begin() + d + 1, 1);
      Tensor w = padAxis(reshape(t, wide), d + 1, 0, s - 1);
      Shape merged = t.shape();
      merged[d] = k * s;
      t = sliceAxis(reshape(w, merged), d, 0, (k - 1) * s + 1);
    }
    const int64_t len = k > 1 ? (k - 1) * s + 1 : 1;
    t = padAxis(t, d, start, xs[d] - start - len);
  }
  return {t};
}

std::vector<Tensor> padGrad(const GradArgs& g) {
  std::vector<int64_t> begin;
  for (const auto& p : g.attr<PadAttrs>().paddings) begin.push_back(p.first);
  return {slice(g.dy(), begin, g.x().shape())};
}

// Folds the mirrored borders back onto the elements they copy, axis by axis. (TF.js 4.22 only
// slices the centre out, which drops those contributions.)
std::vector<Tensor> mirrorPadGrad(const GradArgs& g) {
  const auto& at = g.attr<PadAttrs>();
  const Shape& xs = g.x().shape();
  const int64_t off = at.symmetric ? 0 : 1;
  Tensor t = g.dy();
  for (int d = 0; d < static_cast<int>(xs.size()); ++d) {
    const auto [before, after] = at.paddings[d];
    if (before == 0 && after == 0) continue;
    const int64_t n = xs[d];
    Tensor centre = sliceAxis(t, d, before, n);
    if (before > 0)
      centre = add(centre, padAxis(reverse(sliceAxis(t, d, 0, before), {d}), d, off, n - off - before));
    if (after > 0)
      centre = add(centre, padAxis(reverse(sliceAxis(t, d, before + n, after), {d}), d, n - off - after, off));
    t = centre;
  }
  return {t};
}

detail::GradientRegistrar registrar{
    {"Slice", sliceGrad},
    {"StridedSlice", stridedSliceGrad},
    {"PadV2", padGrad},
    {"MirrorPad", mirrorPadGrad},
};

}  // namespace
}  // namespace strata
