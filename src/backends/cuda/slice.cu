// Placeholder: the slice kernels are being written.
#include "backends/cuda/kernels.cuh"

namespace strata::cuda {
void registerSliceKernels() {}
}  // namespace strata::cuda
