// Reference kernels for the normalization op family.
#include "backends/reference/kernels.h"

namespace strata::reference {

void registerNormalizationKernels() {}

}  // namespace strata::reference
