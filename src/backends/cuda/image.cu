// Placeholder: the image kernels are being written.
#include "backends/cuda/kernels.cuh"

namespace strata::cuda {
void registerImageKernels() {}
}  // namespace strata::cuda
