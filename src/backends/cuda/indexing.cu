// Placeholder: the indexing kernels are being written.
#include "backends/cuda/kernels.cuh"

namespace strata::cuda {
void registerIndexingKernels() {}
}  // namespace strata::cuda
