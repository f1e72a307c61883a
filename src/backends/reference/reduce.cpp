// Reference kernels for reductions and scans. Accumulation is in double, like TF.js's
// JavaScript numbers.
#include <cmath>

#include "backends/reference/kernels.h"
#include "core/schema/reduce.h"
#include "core/shape_util.h"

namespace strata::reference {
namespace {

using schema::ReduceAttrs;

// Strides that map an input index to its output offset (0 along reduced axes).
std::vector<int64_t> outputStridesFor(const Shape& in, const std::vector<int>& axes) {
  Shape kept = in;
  for (int a : axes) kept[a] = 1;
  std::vector<int64_t> st = detail::stridesOf(kept);
  for (int a : axes) st[a] = 0;
  return st;
}

// Folds every input element into its output slot: acc = f(acc, x).
template <class T, class F>
void reduceInto(const KernelCall& c, double init, F f) {
  const TensorView& x = c.in(0);
  const TensorView& o = c.out();
  std::vector<double> acc(static_cast<size_t>(o.size), init);
  if (x.size > 0) {
    detail::StridedIter it(*x.shape, {outputStridesFor(*x.shape, c.attr<ReduceAttrs>().axes)});
    const T* px = x.as<T>();
    for (int64_t i = 0; i < x.size; ++i, it.next()) acc[it.offsets()[0]] = f(acc[it.offsets()[0]], px[i]);
  }
  if (o.dtype == DType::float32)
    for (int64_t i = 0; i < o.size; ++i) o.as<float>()[i] = static_cast<float>(acc[i]);
  else if (o.dtype == DType::int32)
    for (int64_t i = 0; i < o.size; ++i) o.as<int32_t>()[i] = static_cast<int32_t>(acc[i]);
  else
    for (int64_t i = 0; i < o.size; ++i) o.as<uint8_t>()[i] = acc[i] != 0;
}

template <class F>
void reduceNumeric(const KernelCall& c, double init, F f) {
  if (c.in(0).dtype == DType::int32) reduceInto<int32_t>(c, init, f);
  else reduceInto<float>(c, init, f);
}

void sumK(const KernelCall& c) { reduceNumeric(c, 0.0, [](double a, double x) { return a + x; }); }

const KernelEntry kKernels[] = {
    {"Sum", sumK},
};

}  // namespace

void registerReduceKernels() { registerKernels(kName, kKernels); }

}  // namespace strata::reference
