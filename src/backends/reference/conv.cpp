// Reference kernels for the conv op family.
#include "backends/reference/kernels.h"

namespace strata::reference {

void registerConvKernels() {}

}  // namespace strata::reference
