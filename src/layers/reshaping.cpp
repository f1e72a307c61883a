// Spatial reshaping layers (TF.js 4.22 semantics, channels_last only): ZeroPadding2D,
// Cropping2D and UpSampling2D (nearest and bilinear, TF.js resize without align_corners or
// half-pixel centers).
#include <string>
#include <vector>

#include "layers/spatial_common.h"
#include "strata/error.h"
#include "strata/layer.h"
#include "strata/ops.h"

namespace strata::layers {
namespace {

using namespace spatial;

// n, [a, b] (symmetric per axis) or [[top, bottom], [left, right]] -> {{top, bottom}, {left, right}}.
std::array<std::array<int, 2>, 2> readPairs(const Config& c, const char* key, int fallback, bool required) {
  if (!c.has(key)) {
    if (required) throw Error(c.where(key) + " is missing");
    return {{{fallback, fallback}, {fallback, fallback}}};
  }
  const Json& v = c.raw(key);
  auto bad = [&]() {
    return Error(c.where(key) + " must be an integer, a list of 2 integers or a list of 2 lists of 2 integers, got " +
                 v.dump());
  };
  auto nonNegative = [&](const Json& e) {
    if (!e.is_number_integer() || e.get<int>() < 0) throw bad();
    return e.get<int>();
  };
  if (v.is_number()) {
    int n = nonNegative(v);
    return {{{n, n}, {n, n}}};
  }
  if (!v.is_array() || v.size() != 2) throw bad();
  std::array<std::array<int, 2>, 2> out{};
  for (size_t i = 0; i < 2; ++i) {
    if (v[i].is_number()) {
      int n = nonNegative(v[i]);
      out[i] = {n, n};
    } else if (v[i].is_array() && v[i].size() == 2) {
      out[i] = {nonNegative(v[i][0]), nonNegative(v[i][1])};
    } else {
      throw bad();
    }
  }
  return out;
}

class ZeroPadding2D : public Layer {
 public:
  explicit ZeroPadding2D(const Json& config) : Layer(config, "ZeroPadding2D") {
    Config c = cfg();
    padding_ = readPairs(c, "padding", 1, false);
    requireChannelsLast(c);
  }

  void build(const std::vector<SymShape>& inputShapes) override { outputShapes(inputShapes); }

  std::vector<SymShape> outputShapes(const std::vector<SymShape>& inputShapes) const override {
    const SymShape& s = oneShape(*this, inputShapes, 4);
    auto grow = [](int64_t d, const std::array<int, 2>& p) { return d < 0 ? d : d + p[0] + p[1]; };
    return {{s[0], grow(s[1], padding_[0]), grow(s[2], padding_[1]), s[3]}};
  }

  std::vector<Tensor> call(const std::vector<Tensor>& inputs, const CallArgs&) override {
    const Tensor& x = oneTensor(*this, inputs, 4);
    return {pad(x, {{0, 0}, {padding_[0][0], padding_[0][1]}, {padding_[1][0], padding_[1][1]}, {0, 0}})};
  }

 private:
  std::array<std::array<int, 2>, 2> padding_{};
};

class Cropping2D : public Layer {
 public:
  explicit Cropping2D(const Json& config) : Layer(config, "Cropping2D") {
    Config c = cfg();
    cropping_ = readPairs(c, "cropping", 0, true);
    requireChannelsLast(c);
  }

  void build(const std::vector<SymShape>& inputShapes) override { outputShapes(inputShapes); }

  std::vector<SymShape> outputShapes(const std::vector<SymShape>& inputShapes) const override {
    const SymShape& s = oneShape(*this, inputShapes, 4);
    SymShape out{s[0], shrink(s[1], cropping_[0]), shrink(s[2], cropping_[1]), s[3]};
    return {out};
  }

  std::vector<Tensor> call(const std::vector<Tensor>& inputs, const CallArgs&) override {
    const Tensor& x = oneTensor(*this, inputs, 4);
    const Shape& s = x.shape();
    int64_t h = shrink(s[1], cropping_[0]), w = shrink(s[2], cropping_[1]);
    return {slice(x, {0, cropping_[0][0], cropping_[1][0], 0}, {s[0], h, w, s[3]})};
  }

 private:
  int64_t shrink(int64_t d, const std::array<int, 2>& c) const {
    if (d < 0) return d;
    int64_t r = d - c[0] - c[1];
    if (r < 0)
      throw Error(describe() + ": cropping " + std::to_string(c[0]) + " + " + std::to_string(c[1]) +
                  " is more than an axis of extent " + std::to_string(d));
    return r;
  }
  std::array<std::array<int, 2>, 2> cropping_{};
};

class UpSampling2D : public Layer {
 public:
  explicit UpSampling2D(const Json& config) : Layer(config, "UpSampling2D") {
    Config c = cfg();
    std::vector<int> s = readPositiveInts(c, "size", 2, {2, 2});
    size_ = {s[0], s[1]};
    requireChannelsLast(c);
    interpolation_ = c.getString("interpolation", "nearest");
    if (interpolation_ != "nearest" && interpolation_ != "bilinear")
      throw Error(c.where("interpolation") + " must be \"nearest\" or \"bilinear\", got \"" + interpolation_ + "\"");
  }

  void build(const std::vector<SymShape>& inputShapes) override { outputShapes(inputShapes); }

  std::vector<SymShape> outputShapes(const std::vector<SymShape>& inputShapes) const override {
    const SymShape& s = oneShape(*this, inputShapes, 4);
    return {{s[0], s[1] < 0 ? -1 : s[1] * size_[0], s[2] < 0 ? -1 : s[2] * size_[1], s[3]}};
  }

  std::vector<Tensor> call(const std::vector<Tensor>& inputs, const CallArgs&) override {
    const Tensor& x = oneTensor(*this, inputs, 4);
    std::array<int, 2> hw{static_cast<int>(x.shape()[1] * size_[0]), static_cast<int>(x.shape()[2] * size_[1])};
    return {interpolation_ == "nearest" ? image::resizeNearestNeighbor(x, hw) : image::resizeBilinear(x, hw)};
  }

 private:
  std::array<int, 2> size_{2, 2};
  std::string interpolation_;
};

const LayerRegistrar registrar{
    {"ZeroPadding2D", make<ZeroPadding2D>},
    {"Cropping2D", make<Cropping2D>},
    {"UpSampling2D", make<UpSampling2D>},
};

}  // namespace
}  // namespace strata::layers
