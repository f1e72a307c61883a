// The cuda backend's settings: device memory, math mode and CUDA graphs. When Strata was built
// without the CUDA toolkit, or runs without an NVIDIA device and driver, these calls are
// harmless: available() is false and the rest do nothing (or return zeros).
#pragma once

#include <cstdint>
#include <string>

namespace strata::cuda {

/// True when the cuda backend was built and a device and driver were found.
bool available();
/// Why the cuda backend is not available ("" when it is): not built, no device, driver too old.
std::string unavailableReason();

/// Device memory as the caching allocator sees it.
struct MemoryStats {
  int64_t bytesInUse = 0;     ///< held by live tensors and in-flight scratch buffers
  int64_t bytesReserved = 0;  ///< obtained from the driver (in use + cached for reuse)
  int64_t bytesFree = 0;      ///< free on the device, as the driver reports it
  int64_t bytesTotal = 0;     ///< the device's memory
  int64_t numAllocs = 0;      ///< cudaMalloc calls so far (cache misses)
};
MemoryStats memoryStats();
/// Returns every cached, unused block to the driver (tensors in use are untouched).
void emptyCache();

/// Arithmetic used by matMul and convolutions. fp32 (the default) matches TF.js's numerics;
/// tf32 lets cuBLAS and cuDNN use the tensor cores' 19-bit float32 mode; fp16/bf16 allow them
/// half-precision tensor-core math with float32 accumulation (inputs and outputs stay float32;
/// measured on an H100, cuBLAS chose its TF32 kernels for these too, so they currently give
/// tf32's accuracy and speed). Also read from STRATA_CUDA_MATH.
enum class Math { fp32, tf32, fp16, bf16 };
void setMath(Math m);
Math math();

/// Whether LayersModel::predict captures repeated forward passes in CUDA graphs (default on;
/// STRATA_CUDA_GRAPHS=0 turns it off).
void setGraphsEnabled(bool on);
bool graphsEnabled();

}  // namespace strata::cuda
