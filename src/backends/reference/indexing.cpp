// Reference kernels for gathers, scatters, one-hot, top-k and unsortedSegmentSum. Gathers copy
// elements of any dtype byte for byte; sums accumulate in double (float32) or int64 (int32).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>
#include <string>
#include <vector>

#include "backends/reference/kernels.h"
#include "core/schema/indexing.h"
#include "strata/error.h"

namespace strata::reference {
namespace {

using schema::GatherAttrs;
using schema::OneHotAttrs;
using schema::TopKAttrs;
using schema::UnsortedSegmentSumAttrs;

int64_t product(const Shape& s, size_t from, size_t to) {
  int64_t p = 1;
  for (size_t i = from; i < to; ++i) p *= s[i];
  return p;
}

[[noreturn]] void badIndex(const char* kernel, int64_t index, int64_t limit, const Shape& x) {
  throw Error(std::string(kernel) + ": index " + std::to_string(index) + " is not in [0, " + std::to_string(limit) +
              ") for x of shape " + shapeString(x));
}

// GatherV2: x as [nb, no, d, ni], indices as [nb, nj] -> out [nb, no, nj, ni].
void gatherV2K(const KernelCall& c) {
  const auto& a = c.attr<GatherAttrs>();
  const TensorView &x = c.in(0), &idx = c.in(1);
  const Shape& xs = *x.shape;
  const int64_t nb = product(xs, 0, a.batchDims), no = product(xs, a.batchDims, a.axis);
  const int64_t d = xs[a.axis], ni = product(xs, a.axis + 1, xs.size());
  const int64_t nj = nb == 0 ? 0 : idx.size / nb;
  const size_t es = dtypeSize(x.dtype);
  const char* px = x.as<char>();
  const int32_t* pi = idx.as<int32_t>();
  char* po = c.out().as<char>();
  for (int64_t b = 0; b < nb; ++b)
    for (int64_t o = 0; o < no; ++o)
      for (int64_t j = 0; j < nj; ++j) {
        const int64_t k = pi[b * nj + j];
        if (k < 0 || k >= d) badIndex("gather (GatherV2)", k, d, xs);
        const char* src = px + (((b * no + o) * d + k) * ni) * es;
        char* dst = po + (((b * no + o) * nj + j) * ni) * es;
        std::memcpy(dst, src, static_cast<size_t>(ni) * es);
      }
}

// Adds row i of `src` (width w) into row ids[i] of `dst` for every valid id.
template <class T, class Acc>
void segmentSum(const T* src, const int32_t* ids, int64_t n, int64_t w, int64_t segments, T* dst) {
  std::vector<Acc> acc(static_cast<size_t>(segments * w), Acc(0));
  for (int64_t i = 0; i < n; ++i) {
    const int64_t s = ids[i];
    if (s < 0 || s >= segments) continue;
    for (int64_t k = 0; k < w; ++k) acc[s * w + k] += src[i * w + k];
  }
  for (size_t i = 0; i < acc.size(); ++i) dst[i] = static_cast<T>(acc[i]);
}

void unsortedSegmentSumK(const KernelCall& c) {
  const TensorView &x = c.in(0), &ids = c.in(1);
  const int64_t segments = c.attr<UnsortedSegmentSumAttrs>().numSegments;
  const int64_t n = ids.size;
  const int64_t w = n == 0 ? product(*x.shape, ids.shape->size(), x.shape->size()) : x.size / n;
  if (x.dtype == DType::int32)
    segmentSum<int32_t, int64_t>(x.as<int32_t>(), ids.as<int32_t>(), n, w, segments, c.out().as<int32_t>());
  else
    segmentSum<float, double>(x.as<float>(), ids.as<int32_t>(), n, w, segments, c.out().as<float>());
}

// Flat row (in units of the slice below the first k axes) addressed by one k-coordinate index.
int64_t rowOf(const char* kernel, const int32_t* coord, int64_t k, const Shape& s) {
  int64_t row = 0;
  for (int64_t j = 0; j < k; ++j) {
    if (coord[j] < 0 || coord[j] >= s[j]) {
      std::string at;
      for (int64_t t = 0; t < k; ++t) {
        if (t) at += ',';
        at += std::to_string(coord[t]);
      }
      throw Error(std::string(kernel) + ": index [" + at + "] does not address shape " + shapeString(s));
    }
    row = row * s[j] + coord[j];
  }
  return row;
}

// GatherNd: indices [m, k] -> m slices of x below its first k axes.
void gatherNdK(const KernelCall& c) {
  const TensorView &x = c.in(0), &idx = c.in(1);
  const Shape& xs = *x.shape;
  const int64_t k = idx.shape->back();
  const int64_t slice = product(xs, static_cast<size_t>(k), xs.size());
  const int64_t m = product(*idx.shape, 0, idx.shape->size() - 1);
  const size_t es = dtypeSize(x.dtype);
  const int32_t* pi = idx.as<int32_t>();
  for (int64_t i = 0; i < m; ++i) {
    const int64_t row = rowOf("gatherND (GatherNd)", pi + i * k, k, xs);
    std::memcpy(c.out().as<char>() + i * slice * es, x.as<char>() + row * slice * es, static_cast<size_t>(slice) * es);
  }
}

// ScatterNd(indices, updates): duplicates are summed.
template <class T, class Acc>
void scatterNd(const KernelCall& c) {
  const TensorView &idx = c.in(0), &upd = c.in(1);
  const Shape& os = *c.out().shape;
  const int64_t k = idx.shape->size() > 1 ? idx.shape->back() : 1;
  const int64_t m = k == 0 ? product(*idx.shape, 0, idx.shape->size() - 1) : idx.size / k;
  const int64_t slice = product(os, static_cast<size_t>(k), os.size());
  std::vector<Acc> acc(static_cast<size_t>(c.out().size), Acc(0));
  const T* pu = upd.as<T>();
  for (int64_t i = 0; i < m; ++i) {
    const int64_t row = rowOf("scatterND (ScatterNd)", idx.as<int32_t>() + i * k, k, os);
    for (int64_t e = 0; e < slice; ++e) acc[row * slice + e] += pu[i * slice + e];
  }
  T* po = c.out().as<T>();
  for (size_t i = 0; i < acc.size(); ++i) po[i] = static_cast<T>(acc[i]);
}
void scatterNdK(const KernelCall& c) {
  if (c.in(1).dtype == DType::int32) scatterNd<int32_t, int64_t>(c);
  else scatterNd<float, double>(c);
}

template <class T>
void oneHotAs(const KernelCall& c) {
  const auto& a = c.attr<OneHotAttrs>();
  const int32_t* idx = c.in(0).as<int32_t>();
  T* out = c.out().as<T>();
  const T on = static_cast<T>(a.onValue), off = static_cast<T>(a.offValue);
  for (int64_t i = 0; i < c.in(0).size; ++i)
    for (int64_t d = 0; d < a.depth; ++d) out[i * a.depth + d] = idx[i] == d ? on : off;
}
void oneHotK(const KernelCall& c) {
  switch (c.out().dtype) {
    case DType::float32: oneHotAs<float>(c); break;
    case DType::int32: oneHotAs<int32_t>(c); break;
    default: {
      // bool: nonzero is true.
      const auto& a = c.attr<OneHotAttrs>();
      const int32_t* idx = c.in(0).as<int32_t>();
      uint8_t* out = c.out().as<uint8_t>();
      for (int64_t i = 0; i < c.in(0).size; ++i)
        for (int64_t d = 0; d < a.depth; ++d) out[i * a.depth + d] = (idx[i] == d ? a.onValue : a.offValue) != 0;
    }
  }
}

// TopK per row: larger value first, the lower index first among equals (TF.js's order); NaN
// counts as larger than every number so that the order stays strict.
template <class T>
void topkAs(const KernelCall& c) {
  const auto& a = c.attr<TopKAttrs>();
  const TensorView& x = c.in(0);
  const int64_t n = x.shape->back(), k = a.k;
  const int64_t rows = n == 0 ? 0 : x.size / n;
  const T* px = x.as<T>();
  T* values = c.out(0).as<T>();
  int32_t* indices = c.out(1).as<int32_t>();
  std::vector<int32_t> order(static_cast<size_t>(n));
  for (int64_t r = 0; r < rows; ++r) {
    const T* row = px + r * n;
    auto before = [row](int32_t i, int32_t j) {
      const bool ni = std::isnan(static_cast<double>(row[i])), nj = std::isnan(static_cast<double>(row[j]));
      if (ni != nj) return ni;
      if (!ni && row[i] != row[j]) return row[i] > row[j];
      return i < j;
    };
    std::iota(order.begin(), order.end(), 0);
    if (a.sorted) {
      std::partial_sort(order.begin(), order.begin() + k, order.end(), before);
    } else {
      // Unsorted: the same k entries, listed in index order.
      if (k < n) std::nth_element(order.begin(), order.begin() + k, order.end(), before);
      std::sort(order.begin(), order.begin() + k);
    }
    for (int64_t i = 0; i < k; ++i) {
      values[r * k + i] = row[order[i]];
      indices[r * k + i] = order[i];
    }
  }
}
void topkK(const KernelCall& c) {
  if (c.in(0).dtype == DType::int32) topkAs<int32_t>(c);
  else topkAs<float>(c);
}

const KernelEntry kKernels[] = {
    {"GatherV2", gatherV2K},
    {"UnsortedSegmentSum", unsortedSegmentSumK},
    {"GatherNd", gatherNdK},
    {"ScatterNd", scatterNdK},
    {"OneHot", oneHotK},
    {"TopK", topkK},
};

}  // namespace

void registerIndexingKernels() { registerKernels(kName, kKernels); }

}  // namespace strata::reference
