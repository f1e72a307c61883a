// Placeholder: the shape kernels are being written.
#include "backends/cuda/kernels.cuh"

namespace strata::cuda {
void registerShapeKernels() {}
}  // namespace strata::cuda
