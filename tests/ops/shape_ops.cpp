// Op table entries for shape and data-movement ops (see tests/conformance/ops/shape.mjs), and
// unit tests for behaviour the TF.js cases cannot check.
#include <gtest/gtest.h>

#include "ops/op_table.h"

namespace strata::test {
namespace {

using Paddings = std::vector<std::pair<int64_t, int64_t>>;
using Ints = std::vector<int64_t>;

Paddings paddingsOf(const Json& a) {
  Paddings p;
  for (const auto& e : a["paddings"]) p.push_back({e[0].get<int64_t>(), e[1].get<int64_t>()});
  return p;
}
std::vector<int> intsOr(const Json& a, const char* key) {
  if (!a.contains(key) || a[key].is_null()) return {};
  if (a[key].is_number()) return {a[key].get<int>()};
  return a[key].get<std::vector<int>>();
}

OpTableRegistrar registrar{
    {"reshape", one([](const Inputs& x, const Json& a) { return reshape(x[0], a["shape"].get<Shape>()); })},
    {"flatten", one([](const Inputs& x, const Json&) { return flatten(x[0]); })},
    {"transpose", one([](const Inputs& x, const Json& a) { return transpose(x[0], intsOr(a, "perm")); })},
    {"expandDims", one([](const Inputs& x, const Json& a) { return expandDims(x[0], attr<int>(a, "axis", 0)); })},
    {"squeeze", one([](const Inputs& x, const Json& a) { return squeeze(x[0], intsOr(a, "axis")); })},
    {"concat", one([](const Inputs& x, const Json& a) { return concat(x, attr<int>(a, "axis", 0)); })},
    {"stack", one([](const Inputs& x, const Json& a) { return stack(x, attr<int>(a, "axis", 0)); })},
    {"unstack", [](const Inputs& x, const Json& a) { return unstack(x[0], attr<int>(a, "axis", 0)); }},
    {"split",
     [](const Inputs& x, const Json& a) {
       const Json& n = a["numOrSizeSplits"];
       int axis = attr<int>(a, "axis", 0);
       return n.is_number() ? split(x[0], n.get<int>(), axis) : split(x[0], n.get<Ints>(), axis);
     }},
    {"slice", one([](const Inputs& x, const Json& a) { return slice(x[0], a["begin"].get<Ints>(), attr<Ints>(a, "size", {})); })},
    {"stridedSlice", one([](const Inputs& x, const Json& a) {
       StridedSliceOptions o{attr<int>(a, "beginMask", 0), attr<int>(a, "endMask", 0), attr<int>(a, "ellipsisMask", 0),
                             attr<int>(a, "newAxisMask", 0), attr<int>(a, "shrinkAxisMask", 0)};
       return stridedSlice(x[0], a["begin"].get<Ints>(), a["end"].get<Ints>(), attr<Ints>(a, "strides", {}), o);
     })},
    {"tile", one([](const Inputs& x, const Json& a) { return tile(x[0], a["reps"].get<Ints>()); })},
    {"pad", one([](const Inputs& x, const Json& a) { return pad(x[0], paddingsOf(a), attr<float>(a, "value", 0)); })},
    {"mirrorPad",
     one([](const Inputs& x, const Json& a) { return mirrorPad(x[0], paddingsOf(a), a["mode"].get<std::string>()); })},
    {"reverse", one([](const Inputs& x, const Json& a) { return reverse(x[0], intsOr(a, "axis")); })},
    {"broadcastTo", one([](const Inputs& x, const Json& a) { return broadcastTo(x[0], a["shape"].get<Shape>()); })},
    {"depthToSpace", one([](const Inputs& x, const Json& a) { return depthToSpace(x[0], a["blockSize"].get<int>()); })},
    {"spaceToDepth", one([](const Inputs& x, const Json& a) { return spaceToDepth(x[0], a["blockSize"].get<int>()); })},
};

}  // namespace
}  // namespace strata::test

// ---- behaviour the TF.js cases cannot check ---------------------------------------------

namespace strata::test {
namespace {

std::vector<float> values(const Tensor& t) { return t.dataSync<float>(); }

Tensor iota(const Shape& shape) {
  std::vector<float> v(static_cast<size_t>(shapeSize(shape)));
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(i);
  return tensor(v, shape);
}

// TF.js 4.22's cpu kernel mis-indexes a shrunk axis combined with a stride other than 1
// (it reads the wrong elements or throws); Strata follows TensorFlow.
TEST(ShapeOps, StridedSliceShrinkWithStrides) {
  tidy([] {
    Tensor x = iota({2, 3, 4});
    StridedSliceOptions shrinkMiddle{.shrinkAxisMask = 2};
    Tensor a = stridedSlice(x, {0, 1, 0}, {2, 2, 4}, {1, 1, 2}, shrinkMiddle);  // x[:, 1, 0:4:2]
    EXPECT_EQ(a.shape(), (Shape{2, 2}));
    EXPECT_EQ(values(a), (std::vector<float>{4, 6, 16, 18}));
    StridedSliceOptions shrinkLast{.shrinkAxisMask = 4};
    Tensor b = stridedSlice(x, {0, 0, 1}, {2, 3, 2}, {1, 2, 1}, shrinkLast);  // x[:, ::2, 1]
    EXPECT_EQ(b.shape(), (Shape{2, 2}));
    EXPECT_EQ(values(b), (std::vector<float>{1, 9, 13, 21}));
    // The gradient scatters dy back to exactly the positions read.
    Tensor dx = grad([&](const Tensor& t) { return sum(mul(stridedSlice(t, {0, 0, 1}, {2, 3, 2}, {1, 2, 1}, shrinkLast),
                                                           tensor({1, 2, 3, 4}, {2, 2}))); })(x);
    std::vector<float> expect(24, 0.0f);
    expect[1] = 1, expect[9] = 2, expect[13] = 3, expect[21] = 4;
    EXPECT_EQ(values(dx), expect);
  });
}

TEST(ShapeOps, StridedSliceNegativeStrideGradient) {
  tidy([] {
    Tensor x = iota({7});
    Tensor dx = grad([](const Tensor& t) { return sum(mul(stridedSlice(t, {6}, {0}, {-3}), tensor({1, 2}))); })(x);
    EXPECT_EQ(values(dx), (std::vector<float>{0, 0, 0, 2, 0, 0, 1}));
    Tensor empty = stridedSlice(x, {2}, {2}, {1});
    EXPECT_EQ(empty.shape(), (Shape{0}));
  });
}

TEST(ShapeOps, ExpandDimsAndSqueezeAreViews) {
  tidy([] {
    Tensor x = iota({2, 1, 3});
    int64_t buffers = memory().numDataBuffers;
    Tensor e = expandDims(x, -1);
    Tensor s = squeeze(x);
    EXPECT_EQ(memory().numDataBuffers, buffers);
    EXPECT_EQ(e.shape(), (Shape{2, 1, 3, 1}));
    EXPECT_EQ(s.shape(), (Shape{2, 3}));
  });
}

TEST(ShapeOps, EmptyAndDegenerateShapes) {
  tidy([] {
    Tensor z = zeros({0, 3});
    EXPECT_EQ(concat({z, iota({2, 3})}, 0).shape(), (Shape{2, 3}));
    EXPECT_EQ(transpose(z).shape(), (Shape{3, 0}));
    EXPECT_EQ(tile(iota({2}), {0}).shape(), (Shape{0}));
    EXPECT_TRUE(unstack(z).empty());
    EXPECT_EQ(values(pad(z, {{1, 0}, {0, 0}}, 2.0f)), (std::vector<float>{2, 2, 2}));
    EXPECT_EQ(values(reverse(scalar(3.0f))), (std::vector<float>{3}));
  });
}

TEST(ShapeOps, IntegerAndBoolData) {
  tidy([] {
    Tensor i = tensorInt({1, 2, 3, 4, 5, 6}, {2, 3});
    EXPECT_EQ(transpose(i).dataSync<int32_t>(), (std::vector<int32_t>{1, 4, 2, 5, 3, 6}));
    EXPECT_EQ(pad(i, {{0, 0}, {1, 0}}, 9).dataSync<int32_t>(), (std::vector<int32_t>{9, 1, 2, 3, 9, 4, 5, 6}));
    Tensor b = tensorBool({true, false}, {2});
    EXPECT_EQ(pad(b, {{1, 1}}, 1).dataSync<bool>(), (std::vector<bool>{true, true, false, true}));
    EXPECT_EQ(mirrorPad(b, {{1, 1}}, "symmetric").dataSync<bool>(), (std::vector<bool>{true, true, false, false}));
  });
}

void expectError(const std::function<void()>& f, const std::string& text) {
  try {
    f();
    ADD_FAILURE() << "expected an error containing '" << text << "'";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(text), std::string::npos) << e.what();
  }
}

TEST(ShapeOps, ErrorsNameTheOpAndShapes) {
  tidy([] {
    Tensor x = iota({2, 3});
    expectError([&] { reshape(x, {4, -1}); }, "reshape: cannot reshape tensor of shape [2,3]");
    expectError([&] { transpose(x, {0, 0}); }, "transpose: perm [0,0] must be a permutation");
    expectError([&] { expandDims(x, 3); }, "expandDims: axis 3 must be in [-3, 2]");
    expectError([&] { squeeze(x, {0}); }, "squeeze: cannot squeeze axis 0 of shape [2,3]");
    expectError([&] { concat({x, iota({3, 3})}, 1); }, "concat: tensor 1 has shape [3,3]");
    expectError([&] { concat({x, cast(x, DType::int32)}); }, "concat: all tensors must have the same dtype");
    expectError([&] { stack({x, iota({3, 2})}); }, "stack: all tensors must have the same shape");
    expectError([&] { split(x, 2, 1); }, "split: numSplits 2 must evenly divide axis 1 of shape [2,3]");
    expectError([&] { split(x, std::vector<int64_t>{1, 1}, 1); }, "split: sizes [1,1] must add up to 3");
    expectError([&] { slice(x, {1, 1}, {2, 1}); }, "slice: begin [1,1] + size [2,1] overflows shape [2,3]");
    expectError([&] { stridedSlice(x, {0}, {1}, {0}); }, "stridedSlice: strides[0] must be non-zero");
    expectError([&] { stridedSlice(x, {0, 0}, {1, 1}, {1, 1}, {.ellipsisMask = 3}); }, "ellipsisMask may have only one bit");
    expectError([&] { stridedSlice(x, {5}, {6}, {1}, {.shrinkAxisMask = 1}); }, "index 5 is out of bounds for axis 0");
    expectError([&] { tile(x, {2}); }, "tile: reps [2] must have one entry per axis of shape [2,3]");
    expectError([&] { pad(scalar(1.0f), {}); }, "pad: cannot pad a scalar");
    expectError([&] { mirrorPad(x, {{0, 0}, {3, 0}}, "reflect"); }, "mirrorPad: paddings [[0,0],[3,0]] must be in [0, 2]");
    expectError([&] { mirrorPad(x, {{0, 0}, {0, 0}}, "edge"); }, "mode must be 'reflect' or 'symmetric'");
    expectError([&] { depthToSpace(iota({1, 1, 1, 6}), 2); }, "depthToSpace: the channel count 6");
    expectError([&] { spaceToDepth(iota({1, 3, 2, 1}), 2); }, "spaceToDepth: height and width of shape [1,3,2,1]");
    expectError([&] { broadcastTo(x, {3, 3}); }, "broadcastTo");
  });
}

}  // namespace
}  // namespace strata::test
