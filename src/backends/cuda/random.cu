// Placeholder: the random kernels are being written.
#include "backends/cuda/kernels.cuh"

namespace strata::cuda {
void registerRandomKernels() {}
}  // namespace strata::cuda
