// Placeholder: the quantized kernels are being written.
#include "backends/cuda/kernels.cuh"

namespace strata::cuda {
void registerQuantizedKernels() {}
}  // namespace strata::cuda
