#include "core/shape_util.h"

#include <algorithm>

namespace strata::detail {

std::vector<int64_t> stridesOf(const Shape& s) {
  std::vector<int64_t> st(s.size(), 1);
  for (int i = static_cast<int>(s.size()) - 2; i >= 0; --i) st[i] = st[i + 1] * s[i + 1];
  return st;
}

Shape broadcastShapes(const Shape& a, const Shape& b, std::string_view op) {
  size_t n = std::max(a.size(), b.size());
  Shape out(n);
  for (size_t i = 0; i < n; ++i) {
    int64_t da = i < n - a.size() ? 1 : a[i - (n - a.size())];
    int64_t db = i < n - b.size() ? 1 : b[i - (n - b.size())];
    if (da != db && da != 1 && db != 1)
      throw Error(std::string(op) + ": shapes " + shapeString(a) + " and " + shapeString(b) +
                  " cannot be broadcast together");
    out[i] = da == 1 ? db : da;
  }
  return out;
}

std::vector<int64_t> broadcastStrides(const Shape& in, const Shape& out) {
  std::vector<int64_t> st(out.size(), 0);
  auto inSt = stridesOf(in);
  size_t off = out.size() - in.size();
  for (size_t i = 0; i < in.size(); ++i) st[off + i] = in[i] == 1 ? 0 : inSt[i];
  return st;
}

int normalizeAxis(int axis, int rank, std::string_view op) {
  int a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= std::max(rank, 1))
    throw Error(std::string(op) + ": axis " + std::to_string(axis) + " is out of range for rank " +
                std::to_string(rank));
  return a;
}

std::vector<int> normalizeAxes(const std::vector<int>& axes, int rank, std::string_view op) {
  std::vector<int> out;
  if (axes.empty()) {
    for (int i = 0; i < rank; ++i) out.push_back(i);
    return out;
  }
  for (int a : axes) out.push_back(normalizeAxis(a, rank, op));
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::vector<int> broadcastedAxes(const Shape& in, const Shape& out) {
  std::vector<int> axes;
  size_t off = out.size() - in.size();
  for (size_t i = 0; i < out.size(); ++i)
    if (i < off || (in[i - off] == 1 && out[i] != 1)) axes.push_back(static_cast<int>(i));
  return axes;
}

StridedIter::StridedIter(const Shape& shape, std::vector<std::vector<int64_t>> strides)
    : shape_(shape), strides_(std::move(strides)), index_(shape.size(), 0), offsets_(strides_.size(), 0) {}

bool StridedIter::next() {
  for (int d = static_cast<int>(shape_.size()) - 1; d >= 0; --d) {
    if (++index_[d] < shape_[d]) {
      for (size_t k = 0; k < strides_.size(); ++k) offsets_[k] += strides_[k][d];
      return true;
    }
    for (size_t k = 0; k < strides_.size(); ++k) offsets_[k] -= strides_[k][d] * (shape_[d] - 1);
    index_[d] = 0;
  }
  return false;
}

}  // namespace strata::detail
