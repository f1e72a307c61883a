// Gathers, scatters, one-hot, top-k and unsortedSegmentSum: validation, output shapes, dispatch
// and gradients (written with ops; the scatter-adds run through UnsortedSegmentSum).
#include "strata/ops/indexing.h"

#include <algorithm>

#include "core/schema/indexing.h"
#include "ops/op_util.h"

namespace strata {

using detail::GradArgs;
using detail::run1;
using schema::GatherAttrs;
using schema::OneHotAttrs;
using schema::TopKAttrs;
using schema::UnsortedSegmentSumAttrs;

namespace {

void requireIndices(const Tensor& t, const char* op, const char* arg, size_t index) {
  detail::checkUsable(t, op, index);
  if (t.dtype() != DType::int32)
    throw Error(std::string(op) + ": " + arg + " must be int32, got " + std::string(dtypeName(t.dtype())) +
                " of shape " + shapeString(t.shape()));
}

// Gathers and scatters move float32, int32 and bool elements; arithmetic ones need numbers.
Tensor numeric(const Tensor& x) { return x.dtype() == DType::bool_ ? cast(x, DType::int32) : x; }

Shape slice(const Shape& s, size_t from, size_t to) {
  return Shape(s.begin() + static_cast<std::ptrdiff_t>(from), s.begin() + static_cast<std::ptrdiff_t>(to));
}
Shape concatShapes(std::initializer_list<Shape> parts) {
  Shape out;
  for (const Shape& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

// [0, step, 2 step, ...] as an int32 tensor of `shape` (shapeSize(shape) entries): offsets that
// turn per-row indices into flat segment ids.
Tensor rowOffsets(int64_t rows, int64_t step, const Shape& shape) {
  std::vector<int32_t> v(static_cast<size_t>(rows));
  for (int64_t i = 0; i < rows; ++i) v[i] = static_cast<int32_t>(i * step);
  return tensorInt(v, shape);
}

}  // namespace

Tensor gather(const Tensor& x, const Tensor& indices, int axis, int batchDims) {
  detail::checkUsable(x, "gather", 0);
  requireIndices(indices, "gather", "indices", 1);
  if (x.rank() == 0) throw Error("gather: x must have rank >= 1, got a scalar");
  const int ax = detail::normalizeAxis(axis, x.rank(), "gather");
  const int irank = indices.rank();
  if (batchDims < -irank || batchDims > irank)
    throw Error("gather: batchDims must be in [-" + std::to_string(irank) + ", " + std::to_string(irank) +
                "] for indices of shape " + shapeString(indices.shape()) + ", got " + std::to_string(batchDims));
  const int bd = batchDims < 0 ? batchDims + irank : batchDims;
  if (bd > ax)
    throw Error("gather: batchDims (" + std::to_string(bd) + ") must not exceed axis (" + std::to_string(ax) + ")");
  for (int i = 0; i < bd; ++i)
    if (x.shape()[i] != indices.shape()[i])
      throw Error("gather: x.shape[" + std::to_string(i) + "] = " + std::to_string(x.shape()[i]) +
                  " must equal indices.shape[" + std::to_string(i) + "] = " + std::to_string(indices.shape()[i]) +
                  " (batchDims " + std::to_string(bd) + "); x " + shapeString(x.shape()) + ", indices " +
                  shapeString(indices.shape()));
  Shape out = concatShapes({slice(x.shape(), 0, ax), slice(indices.shape(), bd, irank),
                            slice(x.shape(), ax + 1, x.shape().size())});
  return run1(kernelId("GatherV2"), {x, indices}, out, x.dtype(), GatherAttrs{ax, bd});
}

Tensor unsortedSegmentSum(const Tensor& x, const Tensor& segmentIds, int numSegments) {
  detail::checkUsable(x, "unsortedSegmentSum", 0);
  requireIndices(segmentIds, "unsortedSegmentSum", "segmentIds", 1);
  if (numSegments < 0)
    throw Error("unsortedSegmentSum: numSegments must be >= 0, got " + std::to_string(numSegments));
  const Shape& xs = x.shape();
  const Shape& ids = segmentIds.shape();
  if (ids.size() > xs.size() || !std::equal(ids.begin(), ids.end(), xs.begin()))
    throw Error("unsortedSegmentSum: segmentIds shape " + shapeString(ids) + " must be a prefix of x's shape " +
                shapeString(xs));
  Tensor xn = numeric(x);
  Shape out = concatShapes({{numSegments}, slice(xs, ids.size(), xs.size())});
  return run1(kernelId("UnsortedSegmentSum"), {xn, segmentIds}, out, xn.dtype(),
              UnsortedSegmentSumAttrs{numSegments});
}

Tensor gatherND(const Tensor& x, const Tensor& indices) {
  detail::checkUsable(x, "gatherND", 0);
  requireIndices(indices, "gatherND", "indices", 1);
  if (x.rank() < 1) throw Error("gatherND: x must have rank >= 1, got a scalar");
  if (indices.rank() < 1) throw Error("gatherND: indices must have rank >= 1, got a scalar");
  const int64_t k = indices.shape().back();
  if (k > x.rank())
    throw Error("gatherND: the last axis of indices (" + std::to_string(k) + ") must not exceed the rank of x; x " +
                shapeString(x.shape()) + ", indices " + shapeString(indices.shape()));
  Shape out = concatShapes({slice(indices.shape(), 0, indices.shape().size() - 1),
                            slice(x.shape(), static_cast<size_t>(k), x.shape().size())});
  return run1(kernelId("GatherNd"), {x, indices}, out, x.dtype());
}

Tensor scatterND(const Tensor& indices, const Tensor& updates, const Shape& shape) {
  requireIndices(indices, "scatterND", "indices", 0);
  detail::checkUsable(updates, "scatterND", 1);
  for (int64_t d : shape)
    if (d < 0) throw Error("scatterND: shape " + shapeString(shape) + " has a negative dimension");
  if (indices.rank() < 1) throw Error("scatterND: indices must have rank >= 1, got a scalar");
  if (updates.rank() < 1) throw Error("scatterND: updates must have rank >= 1, got a scalar");
  if (shape.empty()) throw Error("scatterND: the output shape must have rank >= 1");
  // Rank-1 indices hold one coordinate per update (as in TF.js); otherwise the last axis does.
  const int64_t sliceDim = indices.rank() > 1 ? indices.shape().back() : 1;
  const size_t batchDim = indices.rank() > 1 ? indices.shape().size() - 1 : 1;
  auto fail = [&](const std::string& why) {
    return Error("scatterND: updates.shape must be indices.shape[:-1] + shape[" + std::to_string(sliceDim) +
                 ":]; got indices " + shapeString(indices.shape()) + ", updates " + shapeString(updates.shape()) +
                 ", shape " + shapeString(shape) + " (" + why + ")");
  };
  if (sliceDim > static_cast<int64_t>(shape.size())) throw fail("indices address more axes than shape has");
  Shape expected = concatShapes({slice(indices.shape(), 0, batchDim),
                                 slice(shape, static_cast<size_t>(sliceDim), shape.size())});
  if (updates.shape() != expected) throw fail("expected updates of shape " + shapeString(expected));
  Tensor un = numeric(updates);
  return run1(kernelId("ScatterNd"), {indices, un}, shape, un.dtype());
}

Tensor oneHot(const Tensor& indices, int depth, float onValue, float offValue, DType dtype) {
  requireIndices(indices, "oneHot", "indices", 0);
  if (depth < 2) throw Error("oneHot: depth must be >= 2, got " + std::to_string(depth));
  if (dtype != DType::float32 && dtype != DType::int32 && dtype != DType::bool_)
    throw Error("oneHot: dtype must be float32, int32 or bool, got " + std::string(dtypeName(dtype)));
  Shape out = indices.shape();
  out.push_back(depth);
  return run1(kernelId("OneHot"), {indices}, out, dtype, OneHotAttrs{depth, onValue, offValue});
}

TopK topk(const Tensor& x, int k, bool sorted) {
  detail::checkUsable(x, "topk", 0);
  if (x.rank() == 0) throw Error("topk: x must have rank >= 1, got a scalar");
  const int64_t n = x.shape().back();
  if (k < 0 || k > n)
    throw Error("topk: k must be in [0, " + std::to_string(n) + "] (the last axis of x, shape " +
                shapeString(x.shape()) + "), got " + std::to_string(k));
  Tensor xn = numeric(x);
  Shape out = x.shape();
  out.back() = k;
  auto r = detail::run(kernelId("TopK"), {xn}, {{out, xn.dtype()}, {out, DType::int32}}, TopKAttrs{k, sorted});
  return {r[0], r[1]};
}

// ---- gradients --------------------------------------------------------------------------

namespace {

bool isFloat(const Tensor& t) { return t.dtype() == DType::float32; }

// x [B, O, D, I] (flat sizes nb, no, D, ni), indices [B, J], dy [B, O, J, I]. Every dy row
// (b, o, j) lands on x row (b, o, indices[b, j]): with flat segment id (b*no + o)*D + index, one
// unsortedSegmentSum scatters all of them, in x's own memory order, without transposes.
std::vector<Tensor> gatherGrad(const GradArgs& g) {
  const Tensor &x = g.x(0), &indices = g.x(1), &dy = g.dy();
  if (!isFloat(x)) return {Tensor(), Tensor()};
  const auto& a = g.attr<GatherAttrs>();
  const Shape& xs = x.shape();
  int64_t nb = 1, no = 1, ni = 1;
  for (int i = 0; i < a.batchDims; ++i) nb *= xs[i];
  for (int i = a.batchDims; i < a.axis; ++i) no *= xs[i];
  for (size_t i = a.axis + 1; i < xs.size(); ++i) ni *= xs[i];
  const int64_t d = xs[a.axis];
  const int64_t nj = nb == 0 ? 0 : indices.size() / nb;
  Tensor idx = reshape(indices, {nb, 1, nj});
  Tensor ids = reshape(add(idx, rowOffsets(nb * no, d, {nb, no, 1})), {nb * no * nj});
  Tensor rows = reshape(dy, {nb * no * nj, ni});
  Tensor dx = unsortedSegmentSum(rows, ids, static_cast<int>(nb * no * d));
  return {reshape(dx, xs), Tensor()};
}

// Scatters dy back along axis 0 where the ids are in range; the rest of x got nothing.
std::vector<Tensor> unsortedSegmentSumGrad(const GradArgs& g) {
  const Tensor &x = g.x(0), &ids = g.x(1), &dy = g.dy();
  if (!isFloat(x)) return {Tensor(), Tensor()};
  const int n = g.attr<UnsortedSegmentSumAttrs>().numSegments;
  if (n == 0) return {zerosLike(x), Tensor()};
  Tensor clipped = maximum(minimum(ids, scalar(n - 1)), scalar(0));
  Tensor gathered = gather(dy, clipped, 0);
  Tensor valid = logicalAnd(greaterEqual(ids, scalar(0)), less(ids, scalar(n)));
  Shape maskShape = ids.shape();
  maskShape.resize(x.shape().size(), 1);
  return {where(reshape(valid, maskShape), gathered, zerosLike(gathered)), Tensor()};
}

std::vector<Tensor> gatherNdGrad(const GradArgs& g) {
  const Tensor &x = g.x(0), &indices = g.x(1), &dy = g.dy();
  if (!isFloat(x)) return {Tensor(), Tensor()};
  const int64_t k = indices.shape().back();
  const int64_t lookups = shapeSize(slice(indices.shape(), 0, indices.shape().size() - 1));
  Shape rows = concatShapes({{lookups}, slice(x.shape(), static_cast<size_t>(k), x.shape().size())});
  return {scatterND(reshape(indices, {lookups, k}), reshape(dy, rows), x.shape()), Tensor()};
}

std::vector<Tensor> scatterNdGrad(const GradArgs& g) {
  const Tensor &indices = g.x(0), &updates = g.x(1);
  if (!isFloat(updates)) return {Tensor(), Tensor()};
  Tensor idx = indices.rank() == 1 ? reshape(indices, {indices.size(), 1}) : indices;
  return {Tensor(), gatherND(g.dy(), idx)};
}

// d values scatters to the chosen positions of each row: flat ids row * n + index.
std::vector<Tensor> topkGrad(const GradArgs& g) {
  const Tensor& x = g.x(0);
  if (!isFloat(x)) return {Tensor()};
  const Tensor& indices = g.y(1);
  const int64_t n = x.shape().back(), k = indices.shape().back();
  const int64_t rows = n == 0 ? 0 : x.size() / n;
  Tensor ids = reshape(add(reshape(indices, {rows, k}), rowOffsets(rows, n, {rows, 1})), {rows * k});
  Tensor dx = unsortedSegmentSum(reshape(g.dys[0], {rows * k}), ids, static_cast<int>(rows * n));
  return {reshape(dx, x.shape())};
}

std::vector<Tensor> noGrad(const GradArgs& g) { return std::vector<Tensor>(g.inputs.size()); }

detail::GradientRegistrar registrar{
    {"GatherV2", gatherGrad},
    {"UnsortedSegmentSum", unsortedSegmentSumGrad},
    {"GatherNd", gatherNdGrad},
    {"ScatterNd", scatterNdGrad},
    {"TopK", topkGrad},
    {"OneHot", noGrad},
};

}  // namespace
}  // namespace strata
