// Placeholder: the normalization kernels are being written.
#include "backends/cuda/kernels.cuh"

namespace strata::cuda {
void registerNormalizationKernels() {}
}  // namespace strata::cuda
