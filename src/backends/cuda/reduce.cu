// Placeholder: the reduce kernels are being written.
#include "backends/cuda/kernels.cuh"

namespace strata::cuda {
void registerReduceKernels() {}
}  // namespace strata::cuda
