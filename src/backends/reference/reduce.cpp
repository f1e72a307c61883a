// Reference kernels for reductions and scans. Accumulation is in double, like TF.js's
// JavaScript numbers; results are rounded once to the output dtype.
#include <cmath>
#include <cstring>

#include "backends/reference/kernels.h"
#include "core/schema/reduce.h"
#include "core/shape_util.h"

namespace strata::reference {
namespace {

using schema::ReduceAttrs;
using schema::ScanAttrs;

// Element i of a float32, int32 or bool tensor as a double.
double load(const TensorView& t, int64_t i) {
  switch (t.dtype) {
    case DType::int32: return t.as<int32_t>()[i];
    case DType::bool_: return t.as<uint8_t>()[i];
    default: return t.as<float>()[i];
  }
}

// JavaScript's ToInt32: what storing a number into an Int32Array does (wraps modulo 2^32).
int32_t toInt32(double v) {
  if (!std::isfinite(v)) return 0;
  double m = std::fmod(std::trunc(v), 4294967296.0);
  if (m < 0) m += 4294967296.0;
  return static_cast<int32_t>(static_cast<uint32_t>(m));
}

void store(const TensorView& t, int64_t i, double v) {
  switch (t.dtype) {
    case DType::int32: t.as<int32_t>()[i] = toInt32(v); break;
    case DType::bool_: t.as<uint8_t>()[i] = v != 0 ? 1 : 0; break;
    default: t.as<float>()[i] = static_cast<float>(v);
  }
}

// Strides that map an input index to its output offset (0 along reduced axes).
std::vector<int64_t> outputStridesFor(const Shape& in, const std::vector<int>& axes) {
  Shape kept = in;
  for (int a : axes) kept[a] = 1;
  std::vector<int64_t> st = detail::stridesOf(kept);
  for (int a : axes) st[a] = 0;
  return st;
}

// Folds every input element into its output slot: acc = f(acc, x), in input order.
template <class F>
void reduceInto(const KernelCall& c, double init, F f) {
  const TensorView& x = c.in(0);
  const TensorView& o = c.out();
  std::vector<double> acc(static_cast<size_t>(o.size), init);
  if (x.size > 0) {
    detail::StridedIter it(*x.shape, {outputStridesFor(*x.shape, c.attr<ReduceAttrs>().axes)});
    for (int64_t i = 0; i < x.size; ++i, it.next()) {
      double& a = acc[static_cast<size_t>(it.offsets()[0])];
      a = f(a, load(x, i));
    }
  }
  for (int64_t i = 0; i < o.size; ++i) store(o, i, acc[static_cast<size_t>(i)]);
}

void sumK(const KernelCall& c) { reduceInto(c, 0.0, [](double a, double x) { return a + x; }); }
void prodK(const KernelCall& c) { reduceInto(c, 1.0, [](double a, double x) { return a * x; }); }

void meanK(const KernelCall& c) {
  const double n = c.out().size > 0 ? static_cast<double>(c.in(0).size) / static_cast<double>(c.out().size) : 1.0;
  reduceInto(c, 0.0, [n](double a, double x) { return a + static_cast<float>(x / n); });
}

// NaN wins once seen (TF.js tests isNaN before comparing).
void maxK(const KernelCall& c) {
  reduceInto(c, -INFINITY, [](double a, double x) { return std::isnan(x) || x > a ? x : a; });
}
void minK(const KernelCall& c) {
  reduceInto(c, INFINITY, [](double a, double x) { return std::isnan(x) || x < a ? x : a; });
}
void allK(const KernelCall& c) { reduceInto(c, 1.0, [](double a, double x) { return a != 0 && x != 0 ? 1.0 : 0.0; }); }
void anyK(const KernelCall& c) { reduceInto(c, 0.0, [](double a, double x) { return a != 0 || x != 0 ? 1.0 : 0.0; }); }

// Index of the first strictly better value along the axis, starting from the first element.
template <class Better>
void argK(const KernelCall& c, Better better) {
  const TensorView& x = c.in(0);
  const TensorView& o = c.out();
  const int axis = c.attr<ReduceAttrs>().axes.at(0);
  const int64_t axisStride = detail::stridesOf(*x.shape)[axis];
  const int64_t axisSize = (*x.shape)[axis];
  std::vector<double> best(static_cast<size_t>(o.size), 0.0);
  std::vector<int32_t> index(static_cast<size_t>(o.size), 0);
  if (x.size > 0) {
    detail::StridedIter it(*x.shape, {outputStridesFor(*x.shape, {axis})});
    for (int64_t i = 0; i < x.size; ++i, it.next()) {
      const size_t slot = static_cast<size_t>(it.offsets()[0]);
      const int32_t k = static_cast<int32_t>((i / axisStride) % axisSize);
      const double v = load(x, i);
      if (k == 0 || better(v, best[slot])) {
        best[slot] = v;
        index[slot] = k;
      }
    }
  }
  std::memcpy(o.data, index.data(), index.size() * sizeof(int32_t));
}
void argMaxK(const KernelCall& c) { argK(c, [](double v, double b) { return v > b; }); }
void argMinK(const KernelCall& c) { argK(c, [](double v, double b) { return v < b; }); }

// Scans each line along the axis. The running value is rounded to the output dtype at every
// step, as TF.js keeps it in the output's typed array.
template <class T, class Op>
void scan(const KernelCall& c, T identity, Op op) {
  const TensorView& x = c.in(0);
  const TensorView& o = c.out();
  const auto& at = c.attr<ScanAttrs>();
  const Shape& s = *x.shape;
  int64_t outer = 1, inner = 1;
  for (int d = 0; d < at.axis; ++d) outer *= s[d];
  for (size_t d = at.axis + 1; d < s.size(); ++d) inner *= s[d];
  const int64_t n = s[at.axis];
  const T* px = x.as<T>();
  T* po = o.as<T>();
  for (int64_t b = 0; b < outer; ++b) {
    for (int64_t r = 0; r < inner; ++r) {
      T acc = identity;
      for (int64_t j = 0; j < n; ++j) {
        const int64_t k = at.reverse ? n - 1 - j : j;
        const int64_t idx = (b * n + k) * inner + r;
        if (at.exclusive) {
          po[idx] = acc;
          acc = op(acc, px[idx]);
        } else {
          acc = op(acc, px[idx]);
          po[idx] = acc;
        }
      }
    }
  }
}

// int32 arithmetic wraps (as the Int32Array store does); computed unsigned to stay defined.
int32_t wrapAdd(int32_t a, int32_t b) { return static_cast<int32_t>(static_cast<uint32_t>(a) + static_cast<uint32_t>(b)); }
int32_t wrapMul(int32_t a, int32_t b) { return static_cast<int32_t>(static_cast<uint32_t>(a) * static_cast<uint32_t>(b)); }

void cumsumK(const KernelCall& c) {
  if (c.in(0).dtype == DType::int32) scan<int32_t>(c, 0, wrapAdd);
  else scan<float>(c, 0.0f, [](float a, float x) { return static_cast<float>(static_cast<double>(a) + x); });
}
void cumprodK(const KernelCall& c) {
  if (c.in(0).dtype == DType::int32) scan<int32_t>(c, 1, wrapMul);
  else scan<float>(c, 1.0f, [](float a, float x) { return static_cast<float>(static_cast<double>(a) * x); });
}

const KernelEntry kKernels[] = {
    {"Sum", sumK},       {"Prod", prodK},     {"Mean", meanK},       {"Max", maxK},
    {"Min", minK},       {"All", allK},       {"Any", anyK},         {"ArgMax", argMaxK},
    {"ArgMin", argMinK}, {"Cumsum", cumsumK}, {"Cumprod", cumprodK},
};

}  // namespace

void registerReduceKernels() { registerKernels(kName, kKernels); }

}  // namespace strata::reference
