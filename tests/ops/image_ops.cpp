// Op table entries for image resizing (see tests/conformance/ops/image.mjs).
#include <gtest/gtest.h>

#include "ops/op_table.h"

namespace strata::test {
namespace {

std::array<int, 2> sizeOf(const Json& a) { return {a["size"][0].get<int>(), a["size"][1].get<int>()}; }

Tensor bilinear(const Inputs& x, const Json& a) {
  return image::resizeBilinear(x[0], sizeOf(a), attr(a, "alignCorners", false), attr(a, "halfPixelCenters", false));
}
Tensor nearest(const Inputs& x, const Json& a) {
  return image::resizeNearestNeighbor(x[0], sizeOf(a), attr(a, "alignCorners", false),
                                      attr(a, "halfPixelCenters", false));
}

// The *Adjoint names are the same Strata ops; only the TF.js side computes their gradient
// differently (see image.mjs).
OpTableRegistrar registrar{
    {"resizeBilinear", one(bilinear)},
    {"resizeBilinearAdjoint", one(bilinear)},
    {"resizeNearestNeighbor", one(nearest)},
    {"resizeNearestNeighborAdjoint", one(nearest)},
};

TEST(ImageErrors, NameTheOpAndTheProblem) {
  Tensor x = zeros({1, 4, 4, 1});
  EXPECT_THROW(image::resizeBilinear(zeros({4, 4}), {2, 2}), Error);
  EXPECT_THROW(image::resizeBilinear(x, {0, 2}), Error);
  EXPECT_THROW(image::resizeNearestNeighbor(x, {2, 2}, true, true), Error);
  Tensor y = image::resizeNearestNeighbor(tensorInt({1, 2, 3, 4}, {2, 2, 1}), {4, 4});
  EXPECT_EQ(y.dtype(), DType::int32);
  EXPECT_EQ(y.shape(), (Shape{4, 4, 1}));
}

}  // namespace
}  // namespace strata::test
