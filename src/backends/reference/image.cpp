// Reference kernels for the image op family.
#include "backends/reference/kernels.h"

namespace strata::reference {

void registerImageKernels() {}

}  // namespace strata::reference
