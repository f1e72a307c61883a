// Op table entries for gathers, scatters, oneHot and topk (see
// tests/conformance/ops/indexing.mjs), and gradient checks TF.js cannot serve as oracle for.
#include <gtest/gtest.h>

#include "ops/op_table.h"

namespace strata::test {
namespace {

OpTableRegistrar registrar{
    {"gather", one([](const Inputs& x, const Json& a) {
       return gather(x[0], x[1], attr(a, "axis", 0), attr(a, "batchDims", 0));
     })},
    {"unsortedSegmentSum",
     one([](const Inputs& x, const Json& a) { return unsortedSegmentSum(x[0], x[1], a["numSegments"].get<int>()); })},
    {"gatherND", one([](const Inputs& x, const Json&) { return gatherND(x[0], x[1]); })},
    {"scatterND", one([](const Inputs& x, const Json& a) { return scatterND(x[0], x[1], a["shape"].get<Shape>()); })},
    {"oneHot", one([](const Inputs& x, const Json& a) {
       return oneHot(x[0], a["depth"].get<int>(), attr(a, "onValue", 1.0f), attr(a, "offValue", 0.0f),
                     parseDType(attr<std::string>(a, "dtype", "int32")));
     })},
    {"topk", [](const Inputs& x, const Json& a) {
       TopK r = topk(x[0], a["k"].get<int>(), attr(a, "sorted", true));
       return std::vector<Tensor>{r.values, r.indices};
     }},
};

// Central differences of sum(f(x) * w) against autograd, for ops whose gradient TF.js lacks.
void expectGradMatchesFiniteDifferences(const std::function<Tensor(const Tensor&)>& f, const Tensor& x0) {
  tidy([&] {
    Tensor y0 = f(x0);
    std::vector<float> w(static_cast<size_t>(y0.size()));
    for (size_t i = 0; i < w.size(); ++i) w[i] = 0.3f + 0.17f * static_cast<float>(i % 7) - 0.05f * static_cast<float>(i % 3);
    Tensor wt = tensor(w, y0.shape().empty() ? Shape{} : y0.shape());
    if (y0.shape().empty()) wt = reshape(wt, {});
    auto loss = [&](const Tensor& x) { return sum(mul(f(x), wt)); };
    Tensor g = grad(loss)(x0);
    std::vector<float> an = g.dataSync(), base = x0.dataSync();
    for (size_t e = 0; e < base.size(); ++e) {
      auto probe = [&](float d) {
        auto v = base;
        v[e] += d;
        return static_cast<double>(loss(tensor(v, x0.shape())).item());
      };
      double fd = (probe(1e-2f) - probe(-1e-2f)) / 2e-2;
      EXPECT_NEAR(an[e], fd, 2e-3 + 1e-2 * std::abs(fd)) << "element " << e;
    }
  });
}

TEST(IndexingGradients, GatherWithTwoBatchDims) {
  Tensor x = tensor({0.1f, -0.4f, 0.9f, 1.3f, -2.0f, 0.5f, 0.7f, -0.2f, 1.1f, 0.3f, -0.6f, 0.8f,
                     1.5f, -1.1f, 0.2f, 0.4f, -0.9f, 0.6f, 1.2f, -0.3f, 0.05f, -1.4f, 0.65f, 0.95f},
                    {2, 2, 3, 2});
  Tensor idx = tensorInt({2, 0, 1, 1, 0, 0, 2, 1}, {2, 2, 2});
  expectGradMatchesFiniteDifferences([&](const Tensor& t) { return gather(t, idx, 2, 2); }, x);
  expectGradMatchesFiniteDifferences([&](const Tensor& t) { return gather(t, idx, -2, -1); }, x);
}

TEST(IndexingGradients, UnsortedSegmentSumDropsOutOfRangeIds) {
  Tensor x = tensor({0.5f, -1.0f, 2.0f, 0.25f, 1.5f, -0.75f}, {3, 2});
  Tensor ids = tensorInt({2, 5, -1}, {3});
  expectGradMatchesFiniteDifferences([&](const Tensor& t) { return unsortedSegmentSum(t, ids, 3); }, x);
  Tensor ids2 = tensorInt({1, 0, 1, 1, 0, 2}, {3, 2});  // a rank-2 prefix of x's shape
  Tensor y = unsortedSegmentSum(x, ids2, 3);
  EXPECT_EQ(y.shape(), Shape{3});
  EXPECT_EQ(y.dataSync(), (std::vector<float>{-1.0f + 1.5f, 0.5f + 2.0f + 0.25f, -0.75f}));
}

TEST(IndexingErrors, NameTheOpAndTheShapes) {
  Tensor x = zeros({3, 4});
  EXPECT_THROW(gather(x, tensor({0.0f}, {1})), Error);              // float indices
  EXPECT_THROW(gather(x, tensorInt({4}, {1})).dataSync(), Error);   // out of range
  EXPECT_THROW(gather(x, tensorInt({0}, {1}), 2), Error);           // axis
  EXPECT_THROW(gather(x, tensorInt({0, 1}, {2}), 1, 1), Error);     // batch shapes differ
  EXPECT_THROW(gatherND(x, tensorInt({0, 1, 2}, {1, 3})), Error);   // k > rank
  EXPECT_THROW(gatherND(x, tensorInt({3, 0}, {1, 2})).dataSync(), Error);
  EXPECT_THROW(scatterND(tensorInt({0}, {1, 1}), zeros({1, 3}), {3, 4}), Error);
  EXPECT_THROW(scatterND(tensorInt({3}, {1, 1}), zeros({1, 4}), {3, 4}).dataSync(), Error);
  EXPECT_THROW(oneHot(tensorInt({0}, {1}), 1), Error);
  EXPECT_THROW(topk(x, 5), Error);
  EXPECT_THROW(unsortedSegmentSum(x, tensorInt({0, 1}, {2}), 2), Error);
  try {
    gather(x, tensorInt({0}, {1}), 0, 2);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("gather"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace strata::test
