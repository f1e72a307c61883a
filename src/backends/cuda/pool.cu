// Placeholder: the pool kernels are being written.
#include "backends/cuda/kernels.cuh"

namespace strata::cuda {
void registerPoolKernels() {}
}  // namespace strata::cuda
