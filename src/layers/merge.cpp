// Merge layers (TF.js 4.22 semantics): Add, Subtract, Multiply, Average, Maximum, Minimum,
// Concatenate and Dot.
//
// Elementwise merges broadcast the per-sample shapes right-aligned; inputs of lower rank first
// get unit axes inserted after the batch axis (TF.js/Keras reshape rule). Deviations from TF.js,
// where TF.js is plainly inconsistent with itself or with Keras:
//  * Subtract is not in TF.js 4.22; it follows Keras (exactly two inputs, a - b).
//  * Concatenate on a negative axis other than -1 concatenates along that axis (TF.js's call
//    uses the last axis for every negative axis while its output shape uses the right one).
//  * The mask of an elementwise merge is the AND of the inputs' masks (Keras); TF.js's port
//    returns the first mask with a leading unit axis.
#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "layers/spatial_common.h"
#include "strata/error.h"
#include "strata/layer.h"
#include "strata/ops.h"

namespace strata::layers {
namespace {

using namespace spatial;

std::string shapesString(const std::vector<SymShape>& shapes) {
  std::string out = "[";
  for (size_t i = 0; i < shapes.size(); ++i) out += (i ? ", " : "") + symShapeString(shapes[i]);
  return out + "]";
}

class Merge : public Layer {
 public:
  Merge(const Json& config, const std::string& cls) : Layer(config, cls) {}

  bool supportsMasking() const override { return true; }

  void build(const std::vector<SymShape>& inputShapes) override { outputShapes(inputShapes); }

  std::vector<SymShape> outputShapes(const std::vector<SymShape>& inputShapes) const override {
    checkCount(inputShapes.size());
    SymShape out(inputShapes[0].begin() + (inputShapes[0].empty() ? 0 : 1), inputShapes[0].end());
    for (size_t i = 1; i < inputShapes.size(); ++i) {
      const SymShape& s = inputShapes[i];
      out = elementwiseShape(out, SymShape(s.begin() + (s.empty() ? 0 : 1), s.end()), inputShapes);
    }
    out.insert(out.begin(), batchSize(inputShapes));
    return {out};
  }

  std::vector<Tensor> call(const std::vector<Tensor>& inputs, const CallArgs&) override {
    checkCount(inputs.size());
    int maxRank = 0;
    for (const Tensor& x : inputs) maxRank = std::max(maxRank, x.rank());
    std::vector<Tensor> xs;
    for (const Tensor& x : inputs) {
      Tensor t = x;
      if (t.rank() == 0) throw Error(describe() + " cannot merge a scalar input");
      while (t.rank() < maxRank) t = expandDims(t, 1);
      xs.push_back(t);
    }
    return {merge(xs)};
  }

  Tensor computeMask(const std::vector<Tensor>& inputs, const std::vector<Tensor>& masks) const override {
    Tensor out;
    for (const Tensor& m : masks) {
      if (!m.defined()) continue;
      out = out.defined() ? logicalAnd(out, m) : m;
    }
    return out;
  }

 protected:
  virtual Tensor merge(const std::vector<Tensor>& xs) const = 0;

  virtual void checkCount(size_t n) const {
    if (n < 2)
      throw Error(describe() + " must be called on a list of at least 2 inputs, got " + std::to_string(n));
  }

  // The batch extent of the inputs: the one known value, -1 if none; different ones throw.
  int64_t batchSize(const std::vector<SymShape>& shapes) const {
    std::set<int64_t> sizes;
    for (const SymShape& s : shapes)
      if (!s.empty() && s[0] >= 0) sizes.insert(s[0]);
    if (sizes.size() > 1)
      throw Error(describe() + " cannot merge tensors with different batch sizes; got input shapes " +
                  shapesString(shapes));
    return sizes.empty() ? -1 : *sizes.begin();
  }

  // Right-aligned broadcasting of per-sample shapes; unknown extents stay unknown.
  SymShape elementwiseShape(const SymShape& a, const SymShape& b, const std::vector<SymShape>& all) const {
    if (a.size() < b.size()) return elementwiseShape(b, a, all);
    SymShape out(a.begin(), a.end() - static_cast<std::ptrdiff_t>(b.size()));
    for (size_t k = 0; k < b.size(); ++k) {
      int64_t i = a[a.size() - b.size() + k], j = b[k];
      if (i < 0 || j < 0) out.push_back(-1);
      else if (i == 1) out.push_back(j);
      else if (j == 1) out.push_back(i);
      else if (i != j)
        throw Error(describe() + ": operands could not be broadcast together; got input shapes " + shapesString(all));
      else out.push_back(i);
    }
    return out;
  }
};

class Add : public Merge {
 public:
  explicit Add(const Json& c) : Merge(c, "Add") {}
  Tensor merge(const std::vector<Tensor>& xs) const override {
    Tensor out = xs[0];
    for (size_t i = 1; i < xs.size(); ++i) out = add(out, xs[i]);
    return out;
  }
};

class Subtract : public Merge {
 public:
  explicit Subtract(const Json& c) : Merge(c, "Subtract") {}
  void checkCount(size_t n) const override {
    if (n != 2) throw Error(describe() + " must be called on exactly 2 inputs, got " + std::to_string(n));
  }
  Tensor merge(const std::vector<Tensor>& xs) const override { return sub(xs[0], xs[1]); }
};

class Multiply : public Merge {
 public:
  explicit Multiply(const Json& c) : Merge(c, "Multiply") {}
  Tensor merge(const std::vector<Tensor>& xs) const override {
    Tensor out = xs[0];
    for (size_t i = 1; i < xs.size(); ++i) out = mul(out, xs[i]);
    return out;
  }
};

class Average : public Merge {
 public:
  explicit Average(const Json& c) : Merge(c, "Average") {}
  Tensor merge(const std::vector<Tensor>& xs) const override {
    Tensor out = xs[0];
    for (size_t i = 1; i < xs.size(); ++i) out = add(out, xs[i]);
    return mul(scalar(1.0f / static_cast<float>(xs.size())), out);
  }
};

class Maximum : public Merge {
 public:
  explicit Maximum(const Json& c) : Merge(c, "Maximum") {}
  Tensor merge(const std::vector<Tensor>& xs) const override {
    Tensor out = xs[0];
    for (size_t i = 1; i < xs.size(); ++i) out = maximum(out, xs[i]);
    return out;
  }
};

class Minimum : public Merge {
 public:
  explicit Minimum(const Json& c) : Merge(c, "Minimum") {}
  Tensor merge(const std::vector<Tensor>& xs) const override {
    Tensor out = xs[0];
    for (size_t i = 1; i < xs.size(); ++i) out = minimum(out, xs[i]);
    return out;
  }
};

class Concatenate : public Merge {
 public:
  explicit Concatenate(const Json& config) : Merge(config, "Concatenate") { axis_ = cfg().getInt("axis", -1); }

  void build(const std::vector<SymShape>& inputShapes) override { outputShapes(inputShapes); }

  std::vector<SymShape> outputShapes(const std::vector<SymShape>& inputShapes) const override {
    checkCount(inputShapes.size());
    const int rank = static_cast<int>(inputShapes[0].size());
    const int axis = normAxis(rank);
    for (const SymShape& s : inputShapes) {
      bool same = static_cast<int>(s.size()) == rank;
      for (int d = 0; same && d < rank; ++d)
        if (d != axis && s[d] != inputShapes[0][d]) same = false;
      if (!same)
        throw Error(describe() + " requires inputs with matching shapes except for the concatenation axis " +
                    std::to_string(axis_) + "; got input shapes " + shapesString(inputShapes));
    }
    SymShape out = inputShapes[0];
    for (size_t i = 1; i < inputShapes.size(); ++i) {
      if (out[axis] < 0 || inputShapes[i][axis] < 0) {
        out[axis] = -1;
        break;
      }
      out[axis] += inputShapes[i][axis];
    }
    return {out};
  }

  std::vector<Tensor> call(const std::vector<Tensor>& inputs, const CallArgs&) override {
    checkCount(inputs.size());
    return {merge(inputs)};
  }
  Tensor merge(const std::vector<Tensor>& xs) const override { return concat(xs, normAxis(xs[0].rank())); }

  // TF.js: missing masks become all-true masks of the input's shape, lower-rank masks get a
  // trailing axis; the concatenation is reduced with `all` over the last axis.
  Tensor computeMask(const std::vector<Tensor>& inputs, const std::vector<Tensor>& masks) const override {
    if (masks.empty() || std::none_of(masks.begin(), masks.end(), [](const Tensor& m) { return m.defined(); }))
      return Tensor();
    if (masks.size() != inputs.size())
      throw Error(describe() + ": got " + std::to_string(masks.size()) + " masks for " + std::to_string(inputs.size()) +
                  " inputs");
    std::vector<Tensor> parts;
    for (size_t i = 0; i < inputs.size(); ++i) {
      if (!masks[i].defined()) parts.push_back(cast(onesLike(inputs[i]), DType::bool_));
      else if (masks[i].rank() < inputs[i].rank()) parts.push_back(expandDims(masks[i], -1));
      else parts.push_back(masks[i]);
    }
    return all(concat(parts, normAxis(parts[0].rank())), {-1}, false);
  }

 private:
  int normAxis(int rank) const {
    int a = axis_ < 0 ? axis_ + rank : axis_;
    if (a < 0 || a >= rank)
      throw Error(cfg().where("axis") + " is " + std::to_string(axis_) + ", out of range for inputs of rank " +
                  std::to_string(rank));
    return a;
  }
  int axis_ = -1;
};

// TF.js l2Normalize: x / sqrt(max(sum(x^2, axis), epsilon)), epsilon 1e-7.
Tensor l2Normalize(const Tensor& x, int axis) {
  Tensor ss = sum(square(x), {axis}, true);
  Tensor norm = sqrt(maximum(ss, fill(ss.shape(), 1e-7f)));
  return div(x, norm);
}

// TF.js batchDot for ranks 2 and 3.
Tensor batchDot(Tensor x, Tensor y, std::array<int, 2> axes) {
  const int xN = x.rank(), yN = y.rank();
  int diff = 0;
  if (xN > yN) {
    diff = xN - yN;
    Shape s = y.shape();
    s.insert(s.end(), diff, 1);
    y = reshape(y, s);
  } else if (yN > xN) {
    diff = yN - xN;
    Shape s = x.shape();
    s.insert(s.end(), diff, 1);
    x = reshape(x, s);
  }
  Tensor out;
  if (x.rank() == 2 && y.rank() == 2) {
    if (axes[0] == axes[1]) out = sum(mul(x, y), {axes[0]});
    else out = sum(mul(transpose(x, {1, 0}), y), {axes[1]});
  } else {
    bool adjX = axes[0] != x.rank() - 1;
    bool adjY = axes[1] == y.rank() - 1;
    out = matMul(x, y, adjX, adjY);
  }
  if (diff > 0) {
    int idx = xN > yN ? xN + yN - 3 : xN - 1;
    std::vector<int> sq;
    for (int i = idx; i < idx + diff; ++i) sq.push_back(i);
    out = squeeze(out, sq);
  }
  if (out.rank() == 1) out = expandDims(out, 1);
  return out;
}

class Dot : public Merge {
 public:
  explicit Dot(const Json& config) : Merge(config, "Dot") {
    Config c = cfg();
    const Json& a = c.raw("axes");
    if (a.is_number_integer()) {
      axes_ = {a.get<int>(), a.get<int>()};
      single_ = true;
    } else if (a.is_array() && a.size() == 2 && a[0].is_number_integer() && a[1].is_number_integer()) {
      axes_ = {a[0].get<int>(), a[1].get<int>()};
    } else {
      throw Error(c.where("axes") + " must be an integer or a list of 2 integers, got " + a.dump());
    }
    normalize_ = c.getBool("normalize", false);
  }

  void checkCount(size_t n) const override {
    if (n != 2) throw Error(describe() + " must be called on a list of exactly 2 inputs, got " + std::to_string(n));
  }

  void build(const std::vector<SymShape>& inputShapes) override { outputShapes(inputShapes); }

  std::vector<SymShape> outputShapes(const std::vector<SymShape>& inputShapes) const override {
    checkCount(inputShapes.size());
    SymShape a = inputShapes[0], b = inputShapes[1];
    if (a.size() > 3 || b.size() > 3 || a.size() < 2 || b.size() < 2)
      throw Error(describe() + " supports inputs of rank 2 or 3 only; got input shapes " + shapesString(inputShapes));
    auto ax = resolve(static_cast<int>(a.size()), static_cast<int>(b.size()));
    if (a[ax[0]] != b[ax[1]])
      throw Error(describe() + ": dimension incompatibility, axis " + std::to_string(ax[0]) + " of " +
                  symShapeString(a) + " vs axis " + std::to_string(ax[1]) + " of " + symShapeString(b));
    a.erase(a.begin() + ax[0]);
    b.erase(b.begin() + ax[1]);
    b.erase(b.begin());
    a.insert(a.end(), b.begin(), b.end());
    if (a.size() == 1) a.push_back(1);
    return {a};
  }

  std::vector<Tensor> call(const std::vector<Tensor>& inputs, const CallArgs&) override {
    checkCount(inputs.size());
    Tensor x1 = inputs[0], x2 = inputs[1];
    if (x1.rank() > 3 || x2.rank() > 3 || x1.rank() < 2 || x2.rank() < 2)
      throw Error(describe() + " supports inputs of rank 2 or 3 only; got shapes " + shapeString(x1.shape()) + " and " +
                  shapeString(x2.shape()));
    auto ax = resolve(x1.rank(), x2.rank());
    if (normalize_) {
      x1 = l2Normalize(x1, ax[0]);
      x2 = l2Normalize(x2, ax[1]);
    }
    return {batchDot(x1, x2, ax)};
  }

  Tensor computeMask(const std::vector<Tensor>&, const std::vector<Tensor>&) const override { return Tensor(); }

 protected:
  Tensor merge(const std::vector<Tensor>& xs) const override { return xs[0]; }  // unused: call is overridden

 private:
  std::array<int, 2> resolve(int r1, int r2) const {
    std::array<int, 2> out{axes_[0], axes_[1]};
    int ranks[2] = {r1, r2};
    for (int i = 0; i < 2; ++i) {
      if (single_) {
        while (out[i] < 0) out[i] += ranks[i];
      } else if (out[i] < 0) {
        out[i] += ranks[i];
      }
      if (out[i] < 0 || out[i] >= ranks[i])
        throw Error(cfg().where("axes") + ": axis " + std::to_string(axes_[i]) + " is out of range for input " +
                    std::to_string(i) + " of rank " + std::to_string(ranks[i]));
    }
    return out;
  }
  std::array<int, 2> axes_{-1, -1};
  bool single_ = false;
  bool normalize_ = false;
};

const LayerRegistrar registrar{
    {"Add", make<Add>},           {"Subtract", make<Subtract>}, {"Multiply", make<Multiply>},
    {"Average", make<Average>},   {"Maximum", make<Maximum>},   {"Minimum", make<Minimum>},
    {"Concatenate", make<Concatenate>}, {"Dot", make<Dot>},
};

}  // namespace
}  // namespace strata::layers
