// Op table entries for the matrix products (see tests/conformance/ops/matmul.mjs).
#include <gtest/gtest.h>

#include "ops/nn_attrs.h"

namespace strata::test {
namespace {

OpTableRegistrar registrar{
    {"matMul", one([](const Inputs& x, const Json& a) {
       return matMul(x[0], x[1], attr<bool>(a, "transposeA", false), attr<bool>(a, "transposeB", false));
     })},
    {"dot", one([](const Inputs& x, const Json&) { return dot(x[0], x[1]); })},
    {"outerProduct", one([](const Inputs& x, const Json&) { return outerProduct(x[0], x[1]); })},
    {"fusedMatMul", one([](const Inputs& x, const Json& a) {
       FusedMatMulOptions o;
       o.transposeA = attr<bool>(a, "transposeA", false);
       o.transposeB = attr<bool>(a, "transposeB", false);
       fusedAttrs(o, x, a);
       return fusedMatMul(x[0], x[1], o);
     })},
};


// ---- errors and edge cases ---------------------------------------------------------------

class MatMulErrors : public ::testing::Test {
 protected:
  void SetUp() override { setBackend("reference"); }
};

TEST_F(MatMulErrors, NameTheOpAndShapes) {
  Tensor a = zeros({3, 4}), b = zeros({5, 4}), v = zeros({4});
  EXPECT_ERROR(matMul(a, b), "matMul: inner dimensions 4 and 5 of shapes [3,4] and [5,4]");
  EXPECT_NO_THROW(matMul(a, b, false, true));
  EXPECT_ERROR(matMul(a, v), "rank >= 2");
  EXPECT_ERROR(matMul(zeros({2, 3, 4}), zeros({3, 4, 5})), "batch dimensions");
  EXPECT_ERROR(dot(zeros({2, 2, 2}), v), "dot: inputs must have rank 1 or 2");
  EXPECT_ERROR(dot(zeros({3}), v), "dot: inner dimensions");
  EXPECT_ERROR(outerProduct(a, v), "outerProduct: inputs must have rank 1");
  EXPECT_ERROR(fusedMatMul(a, zeros({4, 5}), {.bias = zeros({4})}), "fusedMatMul: shapes [3,5] and [4] cannot be broadcast");
  EXPECT_ERROR(fusedMatMul(a, zeros({4, 5}), {.bias = zeros({2, 3, 5})}), "does not broadcast to the output shape [3,5]");
  EXPECT_ERROR(fusedMatMul(a, zeros({4, 5}), {.activation = Activation::prelu}), "needs preluActivationWeights");
}

TEST_F(MatMulErrors, IntegerProductStaysInteger) {
  Tensor y = matMul(tensorInt({1, 2, 3, 4}, {2, 2}), tensorInt({5, 6, 7, 8}, {2, 2}));
  EXPECT_EQ(y.dtype(), DType::int32);
  EXPECT_EQ(y.dataSync<int32_t>(), (std::vector<int32_t>{19, 22, 43, 50}));
  // Mixed int32/float32 computes in float32, as TF.js's makeTypesMatch does.
  EXPECT_EQ(matMul(tensorInt({1, 2}, {1, 2}), tensor({3, 4}, {2, 1})).dtype(), DType::float32);
}

}  // namespace
}  // namespace strata::test
