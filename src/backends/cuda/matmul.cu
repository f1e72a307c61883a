// Matrix products of the cuda backend, mirroring reference/matmul.cpp: BatchMatMul (float32 on
// cuBLAS, int32 as a direct kernel) and _FusedMatMul (cuBLASLt with a bias/ReLU epilogue when
// that fits, else a GEMM followed by applyFusedEpilogue).
//
// Row-major products on column-major cuBLAS: C = A x B (row-major, m x n) is C^T = B^T x A^T in
// column-major terms, so every call passes B first and swaps m and n.
#include <climits>
#include <map>
#include <mutex>
#include <tuple>

#include "backends/cuda/epilogue.cuh"
#include "backends/cuda/kernels.cuh"
#include "core/schema/matmul.h"

namespace strata::cuda {
namespace {

// The geometry of one batched product (see schema/matmul.h).
struct Product {
  int64_t m = 0, n = 0, k = 0;
  bool tA = false, tB = false;
  Shape batch, batchA, batchB;       // output batch shape and each operand's own
  int64_t batches = 1, countA = 1, countB = 1;  // matrices in each
};

Product productOf(const KernelCall& c, bool tA, bool tB) {
  const Shape &sa = *c.in(0).shape, &sb = *c.in(1).shape, &so = *c.out().shape;
  Product p;
  p.tA = tA;
  p.tB = tB;
  p.m = so[so.size() - 2];
  p.n = so[so.size() - 1];
  p.k = tA ? sa[sa.size() - 2] : sa[sa.size() - 1];
  p.batch.assign(so.begin(), so.end() - 2);
  p.batchA.assign(sa.begin(), sa.end() - 2);
  p.batchB.assign(sb.begin(), sb.end() - 2);
  p.batches = shapeSize(p.batch);
  p.countA = shapeSize(p.batchA);
  p.countB = shapeSize(p.batchB);
  return p;
}

std::string describe(const KernelCall& c, const char* kernel) {
  return std::string("cuda ") + kernel + ": shapes " + shapeString(*c.in(0).shape) + " and " +
         shapeString(*c.in(1).shape) + " (" + std::string(dtypeName(c.in(0).dtype)) + ")";
}

int asInt(int64_t v, const KernelCall& c, const char* kernel) {
  if (v > INT_MAX) throw Error(describe(c, kernel) + ": a dimension exceeds cuBLAS's int range");
  return static_cast<int>(v);
}

// ---- float32 on cuBLAS ------------------------------------------------------------------

// cuBLAS's view of one product: operand order swapped (B first), m and n swapped.
struct GemmArgs {
  cublasOperation_t opB, opA;
  int m, n, k, ldb, lda;
};
GemmArgs gemmArgs(const Product& p, int64_t rows, const KernelCall& c, const char* kernel) {
  return {p.tB ? CUBLAS_OP_T : CUBLAS_OP_N, p.tA ? CUBLAS_OP_T : CUBLAS_OP_N, asInt(rows, c, kernel),
          asInt(p.n, c, kernel), asInt(p.k, c, kernel), asInt(p.tB ? p.k : p.n, c, kernel),
          asInt(p.tA ? p.m : p.k, c, kernel)};
}

// y = A x B for float32 with the reference's batch broadcasting. k > 0, y non-empty.
void gemmFloat(const KernelCall& c, const Product& p, const float* A, const float* B, float* y, const char* kernel) {
  const float one = 1.f, zero = 0.f;
  const cublasComputeType_t ct = gemmComputeType();
  // B shared by every batch and A not transposed: the batches are rows of one product.
  if (p.countB == 1 && !p.tA) {
    const GemmArgs g = gemmArgs(p, p.batches * p.m, c, kernel);
    STRATA_CUBLAS_CHECK(cublasGemmEx(cublas(), g.opB, g.opA, g.n, g.m, g.k, &one, B, CUDA_R_32F, g.ldb, A,
                                     CUDA_R_32F, g.lda, &zero, y, CUDA_R_32F, g.n, ct, CUBLAS_GEMM_DEFAULT));
    return;
  }
  const GemmArgs g = gemmArgs(p, p.m, c, kernel);
  const int batches = asInt(p.batches, c, kernel);
  // Each operand either has every batch matrix or one shared by all (stride 0).
  const bool stridedA = p.countA == p.batches || p.countA == 1;
  const bool stridedB = p.countB == p.batches || p.countB == 1;
  if (stridedA && stridedB) {
    const long long strideA = p.countA == 1 ? 0 : p.m * p.k, strideB = p.countB == 1 ? 0 : p.k * p.n;
    STRATA_CUBLAS_CHECK(cublasGemmStridedBatchedEx(cublas(), g.opB, g.opA, g.n, g.m, g.k, &one, B, CUDA_R_32F, g.ldb,
                                                   strideB, A, CUDA_R_32F, g.lda, strideA, &zero, y, CUDA_R_32F, g.n,
                                                   p.m * p.n, batches, ct, CUBLAS_GEMM_DEFAULT));
    return;
  }
  // General broadcast (e.g. [2, 1] x [3] batches): per-batch pointers computed on the device.
  Scratch ptrs(3 * static_cast<size_t>(p.batches) * sizeof(void*));
  void** py = ptrs.as<void*>();
  const void** pa = const_cast<const void**>(py + p.batches);
  const void** pb = pa + p.batches;
  const Indexer<2> ix = broadcastIndexer<2>(p.batch, {&p.batchA, &p.batchB});
  const int64_t sizeA = p.m * p.k, sizeB = p.k * p.n, sizeY = p.m * p.n;
  forEach(p.batches, [=] __device__(int64_t i) {
    int64_t o[2];
    ix.offsets(i, o);
    pa[i] = A + o[0] * sizeA;
    pb[i] = B + o[1] * sizeB;
    py[i] = y + i * sizeY;
  });
  STRATA_CUBLAS_CHECK(cublasGemmBatchedEx(cublas(), g.opB, g.opA, g.n, g.m, g.k, &one, pb, CUDA_R_32F, g.ldb, pa,
                                          CUDA_R_32F, g.lda, &zero, py, CUDA_R_32F, g.n, batches, ct,
                                          CUBLAS_GEMM_DEFAULT));
}

// The whole float32 product into y (zeros when k == 0, as the reference's empty sums).
void productFloat(const KernelCall& c, const Product& p, float* y, const char* kernel) {
  const int64_t total = p.batches * p.m * p.n;
  if (total == 0) return;
  if (p.k == 0) {
    STRATA_CUDA_CHECK(cudaMemsetAsync(y, 0, static_cast<size_t>(total) * sizeof(float), stream()));
    return;
  }
  gemmFloat(c, p, c.in(0).as<float>(), c.in(1).as<float>(), y, kernel);
}

// ---- int32: direct, accumulated in int64 and wrapped like the reference's cast ----------

void productInt(const KernelCall& c, const Product& p) {
  const int64_t total = p.batches * p.m * p.n;
  if (total == 0) return;
  const int32_t* A = c.in(0).as<int32_t>();
  const int32_t* B = c.in(1).as<int32_t>();
  int32_t* y = c.out().as<int32_t>();
  const Indexer<2> ix = broadcastIndexer<2>(p.batch, {&p.batchA, &p.batchB});
  const int64_t m = p.m, n = p.n, k = p.k;
  // Element strides of each operand's last two axes seen as [m, k] and [k, n].
  const int64_t aI = p.tA ? 1 : k, aK = p.tA ? m : 1, bK = p.tB ? 1 : n, bJ = p.tB ? k : 1;
  forEach(total, [=] __device__(int64_t i) {
    const int64_t j = i % n, r = i / n, row = r % m, bt = r / m;
    int64_t o[2];
    ix.offsets(bt, o);
    const int32_t* a = A + o[0] * m * k + row * aI;
    const int32_t* b = B + o[1] * k * n + j * bJ;
    int64_t s = 0;
    for (int64_t q = 0; q < k; ++q) s += static_cast<int64_t>(a[q * aK]) * static_cast<int64_t>(b[q * bK]);
    y[i] = static_cast<int32_t>(s);
  });
}

// ---- cuBLASLt: one kernel for product + bias (+ ReLU) ----------------------------------

// The largest power of two (up to 256) dividing a pointer: cuBLASLt's heuristic assumes 256
// unless told, and would pick kernels that fault on less aligned buffers.
uint32_t alignmentOf(const void* p) {
  uint32_t a = 256;
  while (a > 4 && reinterpret_cast<uintptr_t>(p) % a != 0) a /= 2;
  return a;
}

struct LtKey {
  int m, n, k;
  bool tA, tB;
  uint32_t epilogue, alignA, alignB, alignY, alignBias;
  int computeType;
  auto tie() const { return std::tie(m, n, k, tA, tB, epilogue, alignA, alignB, alignY, alignBias, computeType); }
  bool operator<(const LtKey& o) const { return tie() < o.tie(); }
};

// Heuristic results by problem: the query costs more than the product for small matrices.
std::mutex gLtMutex;
std::map<LtKey, std::pair<bool, cublasLtMatmulHeuristicResult_t>> gLtAlgos;

template <class T, cublasStatus_t (*Destroy)(T)>
struct LtHandle {
  T h = nullptr;
  ~LtHandle() {
    if (h) Destroy(h);
  }
};
using LtDesc = LtHandle<cublasLtMatmulDesc_t, cublasLtMatmulDescDestroy>;
using LtLayout = LtHandle<cublasLtMatrixLayout_t, cublasLtMatrixLayoutDestroy>;
using LtPref = LtHandle<cublasLtMatmulPreference_t, cublasLtMatmulPreferenceDestroy>;

constexpr uint64_t kLtMaxWorkspace = uint64_t{32} << 20;

// y (rows x n, row-major) = epilogue(A x B + bias) as one cuBLASLt call. Returns false, having
// queued nothing, when cuBLASLt has no algorithm for it (the caller then runs GEMM + epilogue).
bool ltProduct(const Product& p, int rows, const float* A, const float* B, const float* bias, bool relu, float* y) {
  const int m = rows, n = static_cast<int>(p.n), k = static_cast<int>(p.k);
  const cublasLtEpilogue_t epi = bias ? (relu ? CUBLASLT_EPILOGUE_RELU_BIAS : CUBLASLT_EPILOGUE_BIAS)
                                      : (relu ? CUBLASLT_EPILOGUE_RELU : CUBLASLT_EPILOGUE_DEFAULT);
  const cublasComputeType_t ct = gemmComputeType();
  const cublasOperation_t opB = p.tB ? CUBLAS_OP_T : CUBLAS_OP_N, opA = p.tA ? CUBLAS_OP_T : CUBLAS_OP_N;
  LtDesc desc;
  LtLayout lb, la, ly;
  STRATA_CUBLAS_CHECK(cublasLtMatmulDescCreate(&desc.h, ct, CUDA_R_32F));
  STRATA_CUBLAS_CHECK(cublasLtMatmulDescSetAttribute(desc.h, CUBLASLT_MATMUL_DESC_TRANSA, &opB, sizeof(opB)));
  STRATA_CUBLAS_CHECK(cublasLtMatmulDescSetAttribute(desc.h, CUBLASLT_MATMUL_DESC_TRANSB, &opA, sizeof(opA)));
  const uint32_t epiValue = epi;
  STRATA_CUBLAS_CHECK(cublasLtMatmulDescSetAttribute(desc.h, CUBLASLT_MATMUL_DESC_EPILOGUE, &epiValue, sizeof(epiValue)));
  if (bias) STRATA_CUBLAS_CHECK(cublasLtMatmulDescSetAttribute(desc.h, CUBLASLT_MATMUL_DESC_BIAS_POINTER, &bias, sizeof(bias)));
  // Column-major layouts of the stored buffers: B is [k, n] (n x k col-major) or [n, k] when
  // transposed; A is [rows, k] (k x rows) or [k, rows] when transposed; y is n x rows.
  STRATA_CUBLAS_CHECK(p.tB ? cublasLtMatrixLayoutCreate(&lb.h, CUDA_R_32F, k, n, k)
                           : cublasLtMatrixLayoutCreate(&lb.h, CUDA_R_32F, n, k, n));
  STRATA_CUBLAS_CHECK(p.tA ? cublasLtMatrixLayoutCreate(&la.h, CUDA_R_32F, m, k, m)
                           : cublasLtMatrixLayoutCreate(&la.h, CUDA_R_32F, k, m, k));
  STRATA_CUBLAS_CHECK(cublasLtMatrixLayoutCreate(&ly.h, CUDA_R_32F, n, m, n));

  const LtKey key{m, n, k, p.tA, p.tB, epiValue, alignmentOf(A), alignmentOf(B), alignmentOf(y),
                  bias ? alignmentOf(bias) : 256u, static_cast<int>(ct)};
  std::pair<bool, cublasLtMatmulHeuristicResult_t> found{};
  {
    std::lock_guard<std::mutex> lock(gLtMutex);
    auto it = gLtAlgos.find(key);
    if (it != gLtAlgos.end()) found = it->second;
    else {
      LtPref pref;
      STRATA_CUBLAS_CHECK(cublasLtMatmulPreferenceCreate(&pref.h));
      STRATA_CUBLAS_CHECK(cublasLtMatmulPreferenceSetAttribute(pref.h, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES,
                                                               &kLtMaxWorkspace, sizeof(kLtMaxWorkspace)));
      const std::pair<cublasLtMatmulPreferenceAttributes_t, uint32_t> aligns[] = {
          {CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES, key.alignB},  // cuBLASLt's A is our B
          {CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES, key.alignA},
          {CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES, key.alignY},
          {CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES, key.alignY}};
      for (const auto& [attr, value] : aligns)
        STRATA_CUBLAS_CHECK(cublasLtMatmulPreferenceSetAttribute(pref.h, attr, &value, sizeof(value)));
      int count = 0;
      cublasLtMatmulHeuristicResult_t result{};
      const cublasStatus_t s =
          cublasLtMatmulAlgoGetHeuristic(cublasLt(), desc.h, lb.h, la.h, ly.h, ly.h, pref.h, 1, &result, &count);
      found = {s == CUBLAS_STATUS_SUCCESS && count > 0 && result.state == CUBLAS_STATUS_SUCCESS, result};
      gLtAlgos.emplace(key, found);
    }
  }
  if (!found.first) return false;
  const float one = 1.f, zero = 0.f;
  Scratch workspace(found.second.workspaceSize);
  const cublasStatus_t s = cublasLtMatmul(cublasLt(), desc.h, &one, B, lb.h, A, la.h, &zero, y, ly.h, y, ly.h,
                                          &found.second.algo, workspace.get(), workspace.bytes(), stream());
  if (s == CUBLAS_STATUS_NOT_SUPPORTED || s == CUBLAS_STATUS_INVALID_VALUE) {
    std::lock_guard<std::mutex> lock(gLtMutex);
    gLtAlgos[key].first = false;  // never again for this problem
    return false;
  }
  STRATA_CUBLAS_CHECK(s);
  return true;
}

// ---- kernels ----------------------------------------------------------------------------

void batchMatMulK(const KernelCall& c) {
  const auto& at = c.attr<schema::BatchMatMulAttrs>();
  const Product p = productOf(c, at.transposeA, at.transposeB);
  switch (c.in(0).dtype) {
    case DType::float32: return productFloat(c, p, c.out().as<float>(), "BatchMatMul");
    case DType::int32: return productInt(c, p);
    default: throw Error(describe(c, "BatchMatMul") + ": unsupported dtype");
  }
}

void fusedMatMulK(const KernelCall& c) {
  const auto& at = c.attr<schema::FusedMatMulAttrs>();
  const auto& f = at.fused;
  const Product p = productOf(c, at.transposeA, at.transposeB);
  const Shape& outShape = *c.out().shape;
  float* y = c.out().as<float>();
  if (c.in(0).dtype != DType::float32) throw Error(describe(c, "_FusedMatMul") + ": unsupported dtype");
  if (c.out().size == 0) return;
  // One cuBLASLt call: a single matrix product (after folding batches into rows) with a
  // per-column bias and/or ReLU. (ReLU there is max(z, 0); the reference keeps NaN.)
  const bool relu = f.activation == Activation::relu;
  const TensorView* bias = f.hasBias ? &c.in(2) : nullptr;
  const bool columnBias = bias && bias->size == p.n && !bias->shape->empty() && bias->shape->back() == p.n &&
                          reinterpret_cast<uintptr_t>(bias->data) % 16 == 0;
  const bool single = p.batches == 1 || (p.countB == 1 && !p.tA);
  const int64_t rows = p.batches * p.m;
  if (p.k > 0 && single && !f.hasPreluWeights && (relu || f.activation == Activation::linear) &&
      (columnBias || (!bias && relu)) && rows <= INT_MAX && p.n <= INT_MAX && p.k <= INT_MAX &&
      ltProduct(p, static_cast<int>(rows), c.in(0).as<float>(), c.in(1).as<float>(),
                columnBias ? bias->as<float>() : nullptr, relu, y))
    return;
  productFloat(c, p, y, "_FusedMatMul");
  applyFusedEpilogue(c, f, y, outShape, 2);
}

const KernelEntry kTable[] = {
    {"BatchMatMul", batchMatMulK},
    {"_FusedMatMul", fusedMatMulK},
};

}  // namespace

void registerMatMulKernels() { registerKernels(kName, kTable); }

}  // namespace strata::cuda
