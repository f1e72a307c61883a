// Reference kernels for the matmul op family.
#include "backends/reference/kernels.h"

namespace strata::reference {

void registerMatMulKernels() {}

}  // namespace strata::reference
