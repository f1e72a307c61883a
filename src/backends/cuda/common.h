// Shared by the cuda backend's files (host C++ and .cu kernels): the stream and library
// handles, error checks, scratch memory and the registration function of each kernel family.
// Kernels run on the backend's one stream, in order; nothing here synchronizes.
#pragma once

#ifdef STRATA_CUDA_BACKEND

#include <cublasLt.h>
#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cudnn.h>

#include <cstddef>
#include <string>

#include "strata/backend.h"
#include "strata/cuda.h"

namespace strata::cuda {

inline constexpr const char* kName = "cuda";

/// Throws strata::Error naming the failed call, where it is, and the library's message.
[[noreturn]] void fail(const char* call, const char* file, int line, const std::string& message);

#define STRATA_CUDA_CHECK(expr)                                                        \
  do {                                                                                 \
    cudaError_t strata_e_ = (expr);                                                    \
    if (strata_e_ != cudaSuccess)                                                      \
      ::strata::cuda::fail(#expr, __FILE__, __LINE__, cudaGetErrorString(strata_e_));  \
  } while (0)
#define STRATA_CUBLAS_CHECK(expr)                                                          \
  do {                                                                                     \
    cublasStatus_t strata_s_ = (expr);                                                     \
    if (strata_s_ != CUBLAS_STATUS_SUCCESS)                                                \
      ::strata::cuda::fail(#expr, __FILE__, __LINE__, cublasGetStatusString(strata_s_));   \
  } while (0)
#define STRATA_CUDNN_CHECK(expr)                                                         \
  do {                                                                                   \
    cudnnStatus_t strata_s_ = (expr);                                                    \
    if (strata_s_ != CUDNN_STATUS_SUCCESS)                                               \
      ::strata::cuda::fail(#expr, __FILE__, __LINE__, cudnnGetErrorString(strata_s_));   \
  } while (0)
/// After every kernel launch: reports a bad launch configuration at its source.
#define STRATA_CUDA_LAUNCHED() STRATA_CUDA_CHECK(cudaGetLastError())

/// The engine's stream: every kernel and copy of the backend runs on it, in order.
cudaStream_t stream();
cublasHandle_t cublas();      ///< bound to stream(), with a workspace (graph-capturable)
cublasLtHandle_t cublasLt();
cudnnHandle_t cudnn();        ///< bound to stream()
int multiprocessors();        ///< of the device, for grid sizing
/// cuBLAS compute type and cuDNN math type for the current strata::cuda::math(): fp32 is
/// strict float32 (no TF32 in cuBLAS or cuDNN), the others allow the tensor cores' formats.
cublasComputeType_t gemmComputeType();
cudnnMathType_t convMathType();

/// Device memory for a kernel's temporaries (cuDNN workspaces, partial reductions), from the
/// caching allocator. Freeing is stream-ordered: the block may be reused by later work on the
/// same stream only, so it is safe to let a Scratch die right after queueing the kernels using it.
class Scratch {
 public:
  explicit Scratch(size_t bytes);
  ~Scratch();
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  void* get() const { return ptr_; }
  template <class T> T* as() const { return static_cast<T*>(ptr_); }
  size_t bytes() const { return bytes_; }

 private:
  void* ptr_ = nullptr;
  size_t bytes_ = 0;
};

// One registration function per kernel family (one .cu file each), called by backend.cpp.
void registerElementwiseKernels();
void registerReduceKernels();
void registerShapeKernels();
void registerSliceKernels();
void registerIndexingKernels();
void registerMatMulKernels();
void registerConvKernels();
void registerPoolKernels();
void registerNormalizationKernels();
void registerImageKernels();
void registerRandomKernels();
void registerQuantizedKernels();

/// Drops conv.cu's cached reordered filters of a storage being freed (called by deallocate).
void forgetReorders(const void* ptr);

}  // namespace strata::cuda

#endif  // STRATA_CUDA_BACKEND
