// Reference kernels for the indexing op family.
#include "backends/reference/kernels.h"

namespace strata::reference {

void registerIndexingKernels() {}

}  // namespace strata::reference
