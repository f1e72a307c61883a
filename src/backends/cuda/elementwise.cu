// Placeholder: the elementwise kernels are being written.
#include "backends/cuda/kernels.cuh"

namespace strata::cuda {
void registerElementwiseKernels() {}
}  // namespace strata::cuda
