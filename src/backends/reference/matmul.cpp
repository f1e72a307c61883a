// Reference kernels for the matrix products: BatchMatMul (float32, int32) and _FusedMatMul.
// Each output element is one dot product accumulated in double, rounded once.
#include <vector>

#include "backends/reference/fused_epilogue.h"
#include "backends/reference/kernels.h"
#include "core/schema/matmul.h"
#include "core/shape_util.h"

namespace strata::reference {
namespace {

// z[batch, i, j] = sum_k A[batch, i, k] * B[batch, k, j] over the broadcast batch, in double.
template <class T>
std::vector<double> product(const KernelCall& c, bool transposeA, bool transposeB) {
  const Shape &sa = *c.in(0).shape, &sb = *c.in(1).shape, &so = *c.out().shape;
  const size_t ra = sa.size(), ro = so.size();
  const int64_t m = so[ro - 2], n = so[ro - 1], k = transposeA ? sa[ra - 2] : sa[ra - 1];
  // Element strides of the last two axes of each operand, seen as [m, k] and [k, n].
  const int64_t aI = transposeA ? 1 : k, aK = transposeA ? m : 1;
  const int64_t bK = transposeB ? 1 : n, bJ = transposeB ? k : 1;
  // Batch offsets (in matrices) of each operand for every output batch index.
  Shape batch(so.begin(), so.end() - 2);
  Shape batchA(sa.begin(), sa.end() - 2), batchB(sb.begin(), sb.end() - 2);
  const int64_t batches = shapeSize(batch);
  std::vector<int64_t> offA(batches), offB(batches);
  {
    detail::StridedIter it(batch, {detail::broadcastStrides(batchA, batch), detail::broadcastStrides(batchB, batch)});
    for (int64_t i = 0; i < batches; ++i, it.next()) {
      offA[i] = it.offsets()[0] * m * k;
      offB[i] = it.offsets()[1] * k * n;
    }
  }
  const T* A = c.in(0).as<T>();
  const T* B = c.in(1).as<T>();
  std::vector<double> z(static_cast<size_t>(batches * m * n));
  double* out = z.data();
  for (int64_t bt = 0; bt < batches; ++bt) {
    const T* a = A + offA[bt];
    const T* b = B + offB[bt];
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        double s = 0;
        for (int64_t p = 0; p < k; ++p) s += static_cast<double>(a[i * aI + p * aK]) * static_cast<double>(b[p * bK + j * bJ]);
        *out++ = s;
      }
  }
  return z;
}

void batchMatMul(const KernelCall& c) {
  const auto& at = c.attr<schema::BatchMatMulAttrs>();
  if (c.in(0).dtype == DType::int32) {
    auto z = product<int32_t>(c, at.transposeA, at.transposeB);
    int32_t* y = c.out().as<int32_t>();
    for (size_t i = 0; i < z.size(); ++i) y[i] = static_cast<int32_t>(static_cast<int64_t>(z[i]));
    return;
  }
  auto z = product<float>(c, at.transposeA, at.transposeB);
  float* y = c.out().as<float>();
  for (size_t i = 0; i < z.size(); ++i) y[i] = static_cast<float>(z[i]);
}

void fusedMatMul(const KernelCall& c) {
  const auto& at = c.attr<schema::FusedMatMulAttrs>();
  storeWithEpilogue(c, at.fused, product<float>(c, at.transposeA, at.transposeB));
}

const KernelEntry kKernels[] = {
    {"BatchMatMul", batchMatMul},
    {"_FusedMatMul", fusedMatMul},
};

}  // namespace

void registerMatMulKernels() { registerKernels(kName, kKernels); }

}  // namespace strata::reference
