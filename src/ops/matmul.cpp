// Matrix products: matMul (BatchMatMul), dot, outerProduct, fusedMatMul (_FusedMatMul);
// validation, shape inference, dispatch and gradients.
#include "strata/ops/matmul.h"

#include "core/schema/matmul.h"
#include "ops/conv_util.h"

namespace strata {

using detail::GradArgs;
using detail::opError;
using detail::run1;
using detail::sumToShape;
using schema::BatchMatMulAttrs;
using schema::FusedMatMulAttrs;

namespace {

std::string flags(bool transposeA, bool transposeB) {
  return std::string(" (transposeA=") + (transposeA ? "true" : "false") + ", transposeB=" +
         (transposeB ? "true" : "false") + ")";
}

// The output shape of a batched product; throws naming `op` on bad ranks or shapes.
Shape productShape(std::string_view op, const Tensor& a, const Tensor& b, bool transposeA, bool transposeB) {
  detail::checkUsable(a, op, 0);
  detail::checkUsable(b, op, 1);
  const Shape &sa = a.shape(), &sb = b.shape();
  if (sa.size() < 2 || sb.size() < 2)
    throw Error(opError(op, "inputs must have rank >= 2 (use dot for vectors), got shapes " + shapeString(sa) +
                                " and " + shapeString(sb)));
  const size_t ra = sa.size(), rb = sb.size();
  int64_t innerA = transposeA ? sa[ra - 2] : sa[ra - 1];
  int64_t innerB = transposeB ? sb[rb - 1] : sb[rb - 2];
  if (innerA != innerB)
    throw Error(opError(op, "inner dimensions " + std::to_string(innerA) + " and " + std::to_string(innerB) +
                                " of shapes " + shapeString(sa) + " and " + shapeString(sb) + " must match" +
                                flags(transposeA, transposeB)));
  Shape batchA(sa.begin(), sa.end() - 2), batchB(sb.begin(), sb.end() - 2);
  Shape batch;
  try {
    batch = detail::broadcastShapes(batchA, batchB, op);
  } catch (const Error&) {
    throw Error(opError(op, "batch dimensions of shapes " + shapeString(sa) + " and " + shapeString(sb) +
                                " cannot be broadcast together"));
  }
  batch.push_back(transposeA ? sa[ra - 1] : sa[ra - 2]);
  batch.push_back(transposeB ? sb[rb - 2] : sb[rb - 1]);
  return batch;
}

// TF.js makeTypesMatch: float32 if either is float32, else int32 (bool computes as int32).
DType productType(const Tensor& a, const Tensor& b) {
  return a.dtype() == DType::float32 || b.dtype() == DType::float32 ? DType::float32 : DType::int32;
}
Tensor as(const Tensor& x, DType d) { return x.dtype() == d ? x : cast(x, d); }

}  // namespace

Tensor matMul(const Tensor& a, const Tensor& b, bool transposeA, bool transposeB) {
  Shape out = productShape("matMul", a, b, transposeA, transposeB);
  DType t = productType(a, b);
  return run1(kernelId("BatchMatMul"), {as(a, t), as(b, t)}, out, t, BatchMatMulAttrs{transposeA, transposeB});
}

Tensor dot(const Tensor& a, const Tensor& b) {
  detail::checkUsable(a, "dot", 0);
  detail::checkUsable(b, "dot", 1);
  if ((a.rank() != 1 && a.rank() != 2) || (b.rank() != 1 && b.rank() != 2))
    throw Error(opError("dot", "inputs must have rank 1 or 2, got shapes " + shapeString(a.shape()) + " and " +
                                   shapeString(b.shape())));
  int64_t innerA = a.rank() == 1 ? a.size() : a.shape()[1];
  int64_t innerB = b.rank() == 1 ? b.size() : b.shape()[0];
  if (innerA != innerB)
    throw Error(opError("dot", "inner dimensions of shapes " + shapeString(a.shape()) + " and " +
                                   shapeString(b.shape()) + " must match"));
  Tensor a2 = a.rank() == 1 ? reshape(a, {1, innerA}) : a;
  Tensor b2 = b.rank() == 1 ? reshape(b, {innerB, 1}) : b;
  Tensor p = matMul(a2, b2);
  if (a.rank() == 1 && b.rank() == 1) return reshape(p, {});
  if (a.rank() == 1 || b.rank() == 1) return reshape(p, {p.size()});
  return p;
}

Tensor outerProduct(const Tensor& a, const Tensor& b) {
  detail::checkUsable(a, "outerProduct", 0);
  detail::checkUsable(b, "outerProduct", 1);
  if (a.rank() != 1 || b.rank() != 1)
    throw Error(opError("outerProduct", "inputs must have rank 1, got shapes " + shapeString(a.shape()) + " and " +
                                            shapeString(b.shape())));
  return matMul(reshape(a, {a.size(), 1}), reshape(b, {1, b.size()}));
}

Tensor fusedMatMul(const Tensor& a, const Tensor& b, const FusedMatMulOptions& o) {
  Shape out = productShape("fusedMatMul", a, b, o.transposeA, o.transposeB);
  std::vector<Tensor> inputs{detail::toFloat(a), detail::toFloat(b)};
  FusedMatMulAttrs attrs{o.transposeA, o.transposeB, {}};
  attrs.fused = detail::fusedEpilogue("fusedMatMul", out, o.bias, o.activation, o.preluActivationWeights,
                                      o.leakyreluAlpha, inputs);
  detail::OutputSpec spec{out, DType::float32};
  return detail::runKernel(kernelId("_FusedMatMul"), inputs, std::span<const detail::OutputSpec>(&spec, 1), &attrs,
                           &detail::copyAttrs<FusedMatMulAttrs>)[0];
}

// ---- gradients --------------------------------------------------------------------------

namespace {

// TF.js's BatchMatMul gradient: products of dy with the other operand, with the transposes
// that undo the forward ones. TF.js stops there; we also sum over the batch axes an operand
// was broadcast along, so the gradient has the operand's shape.
std::pair<Tensor, Tensor> productGrads(const Tensor& dy, const Tensor& a, const Tensor& b, bool tA, bool tB) {
  Tensor da, db;
  if (!tA && !tB) {
    da = matMul(dy, b, false, true);
    db = matMul(a, dy, true, false);
  } else if (!tA && tB) {
    da = matMul(dy, b, false, false);
    db = matMul(dy, a, true, false);
  } else if (tA && !tB) {
    da = matMul(b, dy, false, true);
    db = matMul(a, dy, false, false);
  } else {
    da = matMul(b, dy, true, true);
    db = matMul(dy, a, true, true);
  }
  return {sumToShape(da, a.shape()), sumToShape(db, b.shape())};
}

std::vector<Tensor> batchMatMulGrad(const GradArgs& g) {
  const auto& at = g.attr<BatchMatMulAttrs>();
  if (g.x(0).dtype() != DType::float32) return {Tensor(), Tensor()};
  auto [da, db] = productGrads(g.dy(), g.x(0), g.x(1), at.transposeA, at.transposeB);
  return {da, db};
}

std::vector<Tensor> fusedMatMulGrad(const GradArgs& g) {
  const auto& at = g.attr<FusedMatMulAttrs>();
  auto e = detail::fusedEpilogueGrad(g, at.fused, [&] { return matMul(g.x(0), g.x(1), at.transposeA, at.transposeB); });
  auto [da, db] = productGrads(e.dz, g.x(0), g.x(1), at.transposeA, at.transposeB);
  std::vector<Tensor> r{da, db};
  if (at.fused.hasBias) r.push_back(e.dBias);
  if (at.fused.hasPreluWeights) r.push_back(e.dPrelu);
  return r;
}

detail::GradientRegistrar registrar{
    {"BatchMatMul", batchMatMulGrad},
    {"_FusedMatMul", fusedMatMulGrad},
};

}  // namespace
}  // namespace strata
