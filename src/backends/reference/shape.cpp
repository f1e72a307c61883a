// Reference kernels for shape and data-movement ops.
#include <cstring>

#include "backends/reference/kernels.h"
#include "core/schema/shape.h"
#include "core/shape_util.h"

namespace strata::reference {
namespace {

// Copies elements of `dtype` size from broadcast input to output.
void broadcastToK(const KernelCall& c) {
  const TensorView& x = c.in(0);
  const TensorView& o = c.out();
  if (o.size == 0) return;
  const size_t es = dtypeSize(o.dtype);
  detail::StridedIter it(*o.shape, {detail::broadcastStrides(*x.shape, *o.shape)});
  const char* px = x.as<char>();
  char* po = o.as<char>();
  for (int64_t i = 0; i < o.size; ++i, it.next()) std::memcpy(po + i * es, px + it.offsets()[0] * es, es);
}

const KernelEntry kKernels[] = {
    {"BroadcastTo", broadcastToK},
};

}  // namespace

void registerShapeKernels() { registerKernels(kName, kKernels); }

}  // namespace strata::reference
