// Reference kernels for the random op family.
#include "backends/reference/kernels.h"

namespace strata::reference {

void registerRandomKernels() {}

}  // namespace strata::reference
