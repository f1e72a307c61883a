// Shape and data-movement ops: validation, output shapes, dispatch and gradients. Slicing and
// padding live in src/ops/slice.cpp.
#include "strata/ops/shape.h"

#include <algorithm>

#include "core/schema/shape.h"
#include "ops/op_util.h"

namespace strata {

using detail::GradArgs;
using detail::OutputSpec;
using detail::run1;
using schema::AxisAttrs;
using schema::BlockAttrs;

namespace {

template <class A>
std::vector<Tensor> runN(const char* kernel, const std::vector<Tensor>& inputs, const std::vector<OutputSpec>& outputs,
                         const A& attrs) {
  return detail::runKernel(kernelId(kernel), inputs, outputs, &attrs, &detail::copyAttrs<A>);
}

std::string str(int64_t v) { return std::to_string(v); }

template <class T>
std::string listString(const std::vector<T>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) s += ",";
    s += std::to_string(v[i]);
  }
  return s + "]";
}

void checkAll(const std::vector<Tensor>& xs, const char* op) {
  if (xs.empty()) throw Error(std::string(op) + ": needs at least one tensor");
  for (size_t i = 0; i < xs.size(); ++i) detail::checkUsable(xs[i], op, i);
  for (size_t i = 1; i < xs.size(); ++i)
    if (xs[i].dtype() != xs[0].dtype())
      throw Error(std::string(op) + ": all tensors must have the same dtype, but tensor 0 is " +
                  std::string(dtypeName(xs[0].dtype())) + " and tensor " + str(i) + " is " +
                  std::string(dtypeName(xs[i].dtype())));
}

}  // namespace

Tensor reshape(const Tensor& x, const Shape& shape) {
  detail::checkUsable(x, "reshape", 0);
  Shape s = shape;
  int infer = -1;
  int64_t known = 1;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == -1) {
      if (infer >= 0) throw Error("reshape: shape " + shapeString(shape) + " has more than one -1");
      infer = static_cast<int>(i);
    } else if (s[i] < 0) {
      throw Error("reshape: shape " + shapeString(shape) + " has a negative dimension");
    } else {
      known *= s[i];
    }
  }
  if (infer >= 0) {
    if (known == 0 || x.size() % known != 0)
      throw Error("reshape: cannot reshape tensor of shape " + shapeString(x.shape()) + " into " + shapeString(shape));
    s[infer] = x.size() / known;
  }
  if (shapeSize(s) != x.size())
    throw Error("reshape: cannot reshape tensor of shape " + shapeString(x.shape()) + " (" +
                std::to_string(x.size()) + " elements) into " + shapeString(shape));
  static const KernelId kReshape = kernelId("Reshape");
  return detail::makeView(kReshape, x, s, nullptr, nullptr);
}

Tensor flatten(const Tensor& x) {
  detail::checkUsable(x, "flatten", 0);
  return reshape(x, {x.size()});
}

Tensor expandDims(const Tensor& x, int axis) {
  detail::checkUsable(x, "expandDims", 0);
  const int rank = x.rank();
  if (axis > rank || axis < -(rank + 1))
    throw Error("expandDims: axis " + str(axis) + " must be in [" + str(-(rank + 1)) + ", " + str(rank) +
                "] for shape " + shapeString(x.shape()));
  const int a = axis < 0 ? axis + rank + 1 : axis;
  Shape s = x.shape();
  s.insert(s.begin() + a, 1);
  static const KernelId kExpandDims = kernelId("ExpandDims");
  return detail::makeView(kExpandDims, x, s, nullptr, nullptr);
}

Tensor squeeze(const Tensor& x, const std::vector<int>& axes) {
  detail::checkUsable(x, "squeeze", 0);
  const Shape& in = x.shape();
  std::vector<bool> drop(in.size(), false);
  if (axes.empty()) {
    for (size_t i = 0; i < in.size(); ++i) drop[i] = in[i] == 1;
  } else {
    for (int a : axes) {
      int n = detail::normalizeAxis(a, x.rank(), "squeeze");
      if (x.rank() == 0 || in[n] != 1)
        throw Error("squeeze: cannot squeeze axis " + str(a) + " of shape " + shapeString(in) + ": its size is not 1");
      drop[n] = true;
    }
  }
  Shape s;
  for (size_t i = 0; i < in.size(); ++i)
    if (!drop[i]) s.push_back(in[i]);
  static const KernelId kSqueeze = kernelId("Squeeze");
  return detail::makeView(kSqueeze, x, s, nullptr, nullptr);
}

Tensor transpose(const Tensor& x, const std::vector<int>& perm) {
  detail::checkUsable(x, "transpose", 0);
  const int rank = x.rank();
  std::vector<int> p = perm;
  if (p.empty())
    for (int i = rank - 1; i >= 0; --i) p.push_back(i);
  if (static_cast<int>(p.size()) != rank)
    throw Error("transpose: perm " + listString(p) + " must have one entry per axis of shape " + shapeString(x.shape()));
  std::vector<bool> seen(rank, false);
  for (int a : p) {
    if (a < 0 || a >= rank || seen[a])
      throw Error("transpose: perm " + listString(p) + " must be a permutation of [0, " + str(rank) + ")");
    seen[a] = true;
  }
  if (rank <= 1) return x.clone();
  Shape out(rank);
  for (int i = 0; i < rank; ++i) out[i] = x.shape()[p[i]];
  return run1(kernelId("Transpose"), {x}, out, x.dtype(), schema::TransposeAttrs{p});
}

Tensor concat(const std::vector<Tensor>& xs, int axis) {
  checkAll(xs, "concat");
  const Shape& s0 = xs[0].shape();
  if (s0.empty()) throw Error("concat: cannot concatenate scalars (use stack)");
  const int a = detail::normalizeAxis(axis, xs[0].rank(), "concat");
  Shape out = s0;
  for (size_t i = 1; i < xs.size(); ++i) {
    const Shape& si = xs[i].shape();
    bool ok = si.size() == s0.size();
    for (size_t d = 0; ok && d < s0.size(); ++d) ok = static_cast<int>(d) == a || si[d] == s0[d];
    if (!ok)
      throw Error("concat: tensor " + str(i) + " has shape " + shapeString(si) + ", which does not match " +
                  shapeString(s0) + " except along axis " + str(a));
    out[a] += si[a];
  }
  if (xs.size() == 1) return xs[0].clone();
  return runN("Concat", xs, {{out, xs[0].dtype()}}, AxisAttrs{a})[0];
}

Tensor stack(const std::vector<Tensor>& xs, int axis) {
  checkAll(xs, "stack");
  const Shape& s0 = xs[0].shape();
  for (size_t i = 1; i < xs.size(); ++i)
    if (xs[i].shape() != s0)
      throw Error("stack: all tensors must have the same shape, but tensor 0 has shape " + shapeString(s0) +
                  " and tensor " + str(i) + " has shape " + shapeString(xs[i].shape()));
  const int rank = xs[0].rank();
  if (axis > rank || axis < -(rank + 1))
    throw Error("stack: axis " + str(axis) + " must be in [" + str(-(rank + 1)) + ", " + str(rank) +
                "] for tensors of shape " + shapeString(s0));
  const int a = axis < 0 ? axis + rank + 1 : axis;
  if (xs.size() == 1) return expandDims(xs[0], a);
  Shape out = s0;
  out.insert(out.begin() + a, static_cast<int64_t>(xs.size()));
  return runN("Pack", xs, {{out, xs[0].dtype()}}, AxisAttrs{a})[0];
}

std::vector<Tensor> unstack(const Tensor& x, int axis) {
  detail::checkUsable(x, "unstack", 0);
  if (x.rank() == 0) throw Error("unstack: x must have rank >= 1, got a scalar");
  const int a = detail::normalizeAxis(axis, x.rank(), "unstack");
  Shape part = x.shape();
  part.erase(part.begin() + a);
  std::vector<OutputSpec> outs(static_cast<size_t>(x.shape()[a]), OutputSpec{part, x.dtype()});
  if (outs.empty()) return {};
  return runN("Unpack", {x}, outs, AxisAttrs{a});
}

namespace {
std::vector<Tensor> splitSizes(const Tensor& x, const std::vector<int64_t>& sizes, int a) {
  std::vector<OutputSpec> outs;
  for (int64_t n : sizes) {
    Shape s = x.shape();
    s[a] = n;
    outs.push_back({s, x.dtype()});
  }
  return runN("SplitV", {x}, outs, AxisAttrs{a});
}
}  // namespace

std::vector<Tensor> split(const Tensor& x, int numSplits, int axis) {
  detail::checkUsable(x, "split", 0);
  if (x.rank() == 0) throw Error("split: x must have rank >= 1, got a scalar");
  const int a = detail::normalizeAxis(axis, x.rank(), "split");
  const int64_t dim = x.shape()[a];
  if (numSplits <= 0 || dim % numSplits != 0)
    throw Error("split: numSplits " + str(numSplits) + " must evenly divide axis " + str(axis) + " of shape " +
                shapeString(x.shape()));
  return splitSizes(x, std::vector<int64_t>(numSplits, dim / numSplits), a);
}

std::vector<Tensor> split(const Tensor& x, const std::vector<int64_t>& sizes, int axis) {
  detail::checkUsable(x, "split", 0);
  if (x.rank() == 0) throw Error("split: x must have rank >= 1, got a scalar");
  const int a = detail::normalizeAxis(axis, x.rank(), "split");
  if (sizes.empty()) throw Error("split: sizes must not be empty");
  std::vector<int64_t> s = sizes;
  int64_t total = 0;
  int infer = -1;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == -1 && infer < 0) infer = static_cast<int>(i);
    else if (s[i] < 0) throw Error("split: sizes " + listString(sizes) + " may hold one -1 and no other negative size");
    else total += s[i];
  }
  if (infer >= 0) s[infer] = x.shape()[a] - total;
  if ((infer >= 0 && s[infer] < 0) || (infer < 0 && total != x.shape()[a]))
    throw Error("split: sizes " + listString(sizes) + " must add up to " + str(x.shape()[a]) + ", the size of axis " +
                str(axis) + " of shape " + shapeString(x.shape()));
  return splitSizes(x, s, a);
}

Tensor tile(const Tensor& x, const std::vector<int64_t>& reps) {
  detail::checkUsable(x, "tile", 0);
  if (static_cast<int>(reps.size()) != x.rank())
    throw Error("tile: reps " + listString(reps) + " must have one entry per axis of shape " + shapeString(x.shape()));
  Shape out = x.shape();
  for (size_t i = 0; i < reps.size(); ++i) {
    if (reps[i] < 0) throw Error("tile: reps " + listString(reps) + " must not be negative");
    out[i] *= reps[i];
  }
  return run1(kernelId("Tile"), {x}, out, x.dtype(), schema::TileAttrs{reps});
}

Tensor reverse(const Tensor& x, const std::vector<int>& axes) {
  detail::checkUsable(x, "reverse", 0);
  if (x.rank() == 0) return x.clone();
  std::vector<int> ax = detail::normalizeAxes(axes, x.rank(), "reverse");
  return run1(kernelId("Reverse"), {x}, x.shape(), x.dtype(), schema::ReverseAttrs{ax});
}

Tensor broadcastTo(const Tensor& x, const Shape& shape) {
  detail::checkUsable(x, "broadcastTo", 0);
  if (shape.size() < x.shape().size())
    throw Error("broadcastTo: cannot broadcast shape " + shapeString(x.shape()) + " to lower-rank shape " +
                shapeString(shape));
  Shape out = detail::broadcastShapes(x.shape(), shape, "broadcastTo");
  if (out != shape)
    throw Error("broadcastTo: cannot broadcast shape " + shapeString(x.shape()) + " to " + shapeString(shape));
  if (x.shape() == shape) return x.clone();
  return run1(kernelId("BroadcastTo"), {x}, shape, x.dtype());
}

Tensor depthToSpace(const Tensor& x, int blockSize) {
  detail::requireRank(x, 4, "depthToSpace");
  const Shape& s = x.shape();
  if (blockSize < 2) throw Error("depthToSpace: blockSize must be > 1, got " + str(blockSize));
  const int64_t bb = static_cast<int64_t>(blockSize) * blockSize;
  if (s[3] % bb != 0)
    throw Error("depthToSpace: the channel count " + str(s[3]) + " of shape " + shapeString(s) +
                " must be divisible by blockSize^2 = " + str(bb));
  Shape out{s[0], s[1] * blockSize, s[2] * blockSize, s[3] / bb};
  return run1(kernelId("DepthToSpace"), {x}, out, x.dtype(), BlockAttrs{blockSize});
}

Tensor spaceToDepth(const Tensor& x, int blockSize) {
  detail::requireRank(x, 4, "spaceToDepth");
  const Shape& s = x.shape();
  if (blockSize < 2) throw Error("spaceToDepth: blockSize must be > 1, got " + str(blockSize));
  if (s[1] % blockSize != 0 || s[2] % blockSize != 0)
    throw Error("spaceToDepth: height and width of shape " + shapeString(s) + " must be divisible by blockSize " +
                str(blockSize));
  Shape out{s[0], s[1] / blockSize, s[2] / blockSize, s[3] * blockSize * blockSize};
  return run1(kernelId("SpaceToDepth"), {x}, out, x.dtype(), BlockAttrs{blockSize});
}

// ---- gradients --------------------------------------------------------------------------

namespace {

std::vector<Tensor> reshapeGrad(const GradArgs& g) { return {reshape(g.dy(), g.x().shape())}; }

std::vector<Tensor> broadcastToGrad(const GradArgs& g) { return {detail::sumToShape(g.dy(), g.x().shape())}; }

std::vector<Tensor> transposeGrad(const GradArgs& g) {
  const auto& perm = g.attr<schema::TransposeAttrs>().perm;
  std::vector<int> inverse(perm.size());
  for (size_t i = 0; i < perm.size(); ++i) inverse[perm[i]] = static_cast<int>(i);
  return {transpose(g.dy(), inverse)};
}

std::vector<Tensor> concatGrad(const GradArgs& g) {
  const int a = g.attr<AxisAttrs>().axis;
  std::vector<int64_t> sizes;
  for (const Tensor& x : g.inputs) sizes.push_back(x.shape()[a]);
  return split(g.dy(), sizes, a);
}

std::vector<Tensor> packGrad(const GradArgs& g) { return unstack(g.dy(), g.attr<AxisAttrs>().axis); }

std::vector<Tensor> unpackGrad(const GradArgs& g) {
  return {stack(std::vector<Tensor>(g.dys.begin(), g.dys.end()), g.attr<AxisAttrs>().axis)};
}

std::vector<Tensor> splitGrad(const GradArgs& g) {
  return {concat(std::vector<Tensor>(g.dys.begin(), g.dys.end()), g.attr<AxisAttrs>().axis)};
}

// Views dy as [reps0, x0, reps1, x1, ...] and sums over the repetitions.
std::vector<Tensor> tileGrad(const GradArgs& g) {
  const Shape& xs = g.x().shape();
  if (xs.empty()) return {g.dy()};
  const auto& reps = g.attr<schema::TileAttrs>().reps;
  Shape split;
  std::vector<int> axes;
  for (size_t i = 0; i < xs.size(); ++i) {
    axes.push_back(static_cast<int>(split.size()));
    split.push_back(reps[i]);
    split.push_back(xs[i]);
  }
  return {reshape(sum(reshape(g.dy(), split), axes), xs)};
}

std::vector<Tensor> reverseGrad(const GradArgs& g) { return {reverse(g.dy(), g.attr<schema::ReverseAttrs>().axes)}; }

std::vector<Tensor> depthToSpaceGrad(const GradArgs& g) { return {spaceToDepth(g.dy(), g.attr<BlockAttrs>().blockSize)}; }
std::vector<Tensor> spaceToDepthGrad(const GradArgs& g) { return {depthToSpace(g.dy(), g.attr<BlockAttrs>().blockSize)}; }

detail::GradientRegistrar registrar{
    {"Reshape", reshapeGrad},
    {"ExpandDims", reshapeGrad},
    {"Squeeze", reshapeGrad},
    {"BroadcastTo", broadcastToGrad},
    {"Transpose", transposeGrad},
    {"Concat", concatGrad},
    {"Pack", packGrad},
    {"Unpack", unpackGrad},
    {"SplitV", splitGrad},
    {"Tile", tileGrad},
    {"Reverse", reverseGrad},
    {"DepthToSpace", depthToSpaceGrad},
    {"SpaceToDepth", spaceToDepthGrad},
};

}  // namespace
}  // namespace strata
