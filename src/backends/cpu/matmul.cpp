// cpu kernels for the matrix products: BatchMatMul (float32; int32 runs the reference kernel)
// and _FusedMatMul, on oneDNN's sgemm (row-major, transposes as 'T'), one call per batch
// matrix with NumPy batch broadcasting, then the bias/activation epilogue as one OpenMP pass.
#ifdef STRATA_CPU_BACKEND

#include <algorithm>

#include "backends/cpu/common.h"
#include "core/schema/matmul.h"
#include "core/shape_util.h"

namespace strata::cpu {
namespace {

void product(const KernelCall& c, bool transposeA, bool transposeB) {
  const Shape &sa = *c.in(0).shape, &sb = *c.in(1).shape, &so = *c.out().shape;
  const size_t ra = sa.size(), ro = so.size();
  const int64_t m = so[ro - 2], n = so[ro - 1], k = transposeA ? sa[ra - 2] : sa[ra - 1];
  float* y = c.out().as<float>();
  if (c.out().size == 0) return;
  if (k == 0) {
    std::fill(y, y + c.out().size, 0.f);
    return;
  }
  Shape batch(so.begin(), so.end() - 2);
  Shape batchA(sa.begin(), sa.end() - 2), batchB(sb.begin(), sb.end() - 2);
  const int64_t batches = shapeSize(batch);
  const float* A = c.in(0).as<float>();
  const float* B = c.in(1).as<float>();
  const int64_t lda = transposeA ? m : k, ldb = transposeB ? k : n;
  applyThreads();
  if (batches == 1) {
    dnnl_sgemm(transposeA ? 'T' : 'N', transposeB ? 'T' : 'N', m, n, k, 1.f, A, lda, B, ldb, 0.f, y, n);
    return;
  }
  detail::StridedIter it(batch, {detail::broadcastStrides(batchA, batch), detail::broadcastStrides(batchB, batch)});
  for (int64_t i = 0; i < batches; ++i, it.next()) {
    const float* a = A + it.offsets()[0] * m * k;
    const float* b = B + it.offsets()[1] * k * n;
    dnnl_sgemm(transposeA ? 'T' : 'N', transposeB ? 'T' : 'N', m, n, k, 1.f, a, lda, b, ldb, 0.f, y + i * m * n, n);
  }
}

void batchMatMul(const KernelCall& c) {
  if (c.in(0).dtype != DType::float32) return callReference("BatchMatMul", c);
  const auto& at = c.attr<schema::BatchMatMulAttrs>();
  product(c, at.transposeA, at.transposeB);
}

void fusedMatMul(const KernelCall& c) {
  const auto& at = c.attr<schema::FusedMatMulAttrs>();
  product(c, at.transposeA, at.transposeB);
  if (at.fused.hasBias || at.fused.activation != Activation::linear) applyEpilogue(c, at.fused, true);
}

const KernelEntry kKernels[] = {
    {"BatchMatMul", batchMatMul},
    {"_FusedMatMul", fusedMatMul},
};

}  // namespace

void registerMatMulKernels() { registerKernels(kName, kKernels); }

}  // namespace strata::cpu

#endif  // STRATA_CPU_BACKEND
