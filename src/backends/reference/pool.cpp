// Reference kernels for the pool op family.
#include "backends/reference/kernels.h"

namespace strata::reference {

void registerPoolKernels() {}

}  // namespace strata::reference
