// The reference backend: portable scalar C++, single-threaded, every kernel. It is the oracle
// every other backend is tested against, so clarity beats speed here.
#include "backends/reference/kernels.h"

namespace strata::reference {
namespace {

class ReferenceBackend : public HostBackend {
 public:
  std::string description() const override { return "portable scalar C++ on the host, single thread"; }
};

bool registered = [] {
  registerElementwiseKernels();
  registerReduceKernels();
  registerShapeKernels();
  registerMatMulKernels();
  registerConvKernels();
  registerPoolKernels();
  registerNormalizationKernels();
  registerIndexingKernels();
  registerImageKernels();
  registerRandomKernels();
  registerBackend("reference", [] { return std::make_unique<ReferenceBackend>(); }, /*priority=*/0);
  return true;
}();

}  // namespace
}  // namespace strata::reference
