// Random ops: the generator (Philox4x32-10 known answers), shapes and dtypes, seeding, the
// statistics of 100k samples, bounds, dropout and its gradient, and agreement across backends.
// Bounds on sample statistics are 5 standard errors or more, so a correct generator fails them
// with negligible probability (and, being seeded, the outcome is fixed anyway).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <set>

#include "core/philox.h"
#include "strata/backend.h"
#include "strata/strata.h"

namespace strata {
namespace {

constexpr int64_t kN = 100000;

struct Stats {
  double mean = 0, stddev = 0, min = 0, max = 0;
};
Stats statsOf(const std::vector<float>& v) {
  Stats s;
  double total = std::accumulate(v.begin(), v.end(), 0.0);
  s.mean = total / static_cast<double>(v.size());
  double sq = 0;
  for (float x : v) sq += (x - s.mean) * (x - s.mean);
  s.stddev = std::sqrt(sq / static_cast<double>(v.size()));
  auto [lo, hi] = std::minmax_element(v.begin(), v.end());
  s.min = *lo;
  s.max = *hi;
  return s;
}

TEST(Philox, MatchesRandom123KnownAnswers) {
  using philox::Block;
  auto run = [](Block ctr, uint32_t k0, uint32_t k1) { return philox::philox4x32_10(ctr, k0, k1); };
  Block a = run({{0, 0, 0, 0}}, 0, 0);
  EXPECT_EQ(std::vector<uint32_t>(a.v, a.v + 4), (std::vector<uint32_t>{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}));
  Block b = run({{0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff}}, 0xffffffff, 0xffffffff);
  EXPECT_EQ(std::vector<uint32_t>(b.v, b.v + 4), (std::vector<uint32_t>{0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}));
  Block c = run({{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}}, 0xa4093822, 0x299f31d0);
  EXPECT_EQ(std::vector<uint32_t>(c.v, c.v + 4), (std::vector<uint32_t>{0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}));
}

TEST(Random, ShapesAndDtypes) {
  Tensor u = randomUniform({2, 3}, 0, 1, DType::float32, 1);
  EXPECT_EQ(u.shape(), (Shape{2, 3}));
  EXPECT_EQ(u.dtype(), DType::float32);
  Tensor i = randomUniform({4}, 0, 10, DType::int32, 1);
  EXPECT_EQ(i.dtype(), DType::int32);
  EXPECT_EQ(randomNormal({3, 1, 2}, 0, 1, 1).shape(), (Shape{3, 1, 2}));
  EXPECT_EQ(truncatedNormal({5}, 0, 1, 1).dtype(), DType::float32);
  EXPECT_EQ(randomUniform({}, 0, 1, DType::float32, 1).shape(), Shape{});
  EXPECT_EQ(randomNormal({0, 4}, 0, 1, 1).size(), 0);
}

TEST(Random, SeedsAreReproducibleAndDistinct) {
  auto draw = [](uint64_t seed) { return randomUniform({64}, 0, 1, DType::float32, seed).dataSync(); };
  EXPECT_EQ(draw(42), draw(42));
  EXPECT_NE(draw(42), draw(43));
  EXPECT_EQ(randomNormal({64}, 0, 1, 5).dataSync(), randomNormal({64}, 0, 1, 5).dataSync());
  EXPECT_NE(randomNormal({64}, 0, 1, 5).dataSync(), randomNormal({64}, 0, 1, 6).dataSync());
  EXPECT_EQ(truncatedNormal({64}, 0, 1, 9).dataSync(), truncatedNormal({64}, 0, 1, 9).dataSync());
  // A value depends on (seed, element index) only, not on the shape around it.
  EXPECT_EQ(randomUniform({2, 3}, 0, 1, DType::float32, 11).dataSync(),
            randomUniform({6}, 0, 1, DType::float32, 11).dataSync());
}

TEST(Random, UnseededCallsFollowTheEngineSeed) {
  setRandomSeed(123);
  auto a1 = randomUniform({16}).dataSync();
  auto a2 = randomUniform({16}).dataSync();
  EXPECT_NE(a1, a2);
  setRandomSeed(123);
  EXPECT_EQ(randomUniform({16}).dataSync(), a1);
  EXPECT_EQ(randomUniform({16}).dataSync(), a2);
}

TEST(Random, UniformStatisticsAndBounds) {
  Stats s = statsOf(randomUniform({kN}, -3, 5, DType::float32, 1).dataSync());
  EXPECT_GE(s.min, -3.0);
  EXPECT_LT(s.max, 5.0);
  EXPECT_NEAR(s.mean, 1.0, 5 * 8 / std::sqrt(12.0 * kN));
  EXPECT_NEAR(s.stddev, 8 / std::sqrt(12.0), 0.02);
  // Narrow ranges round in float32 but stay half-open.
  Stats t = statsOf(randomUniform({kN}, 1.0f, std::nextafter(1.0f, 2.0f), DType::float32, 2).dataSync());
  EXPECT_EQ(t.max, 1.0);
}

TEST(Random, IntegerUniformCoversHalfOpenRange) {
  std::vector<int32_t> v = randomUniform({kN}, -3, 4, DType::int32, 3).dataSync<int32_t>();
  std::set<int32_t> seen(v.begin(), v.end());
  EXPECT_EQ(seen, (std::set<int32_t>{-3, -2, -1, 0, 1, 2, 3}));
  for (int32_t k : seen) {
    double share = static_cast<double>(std::count(v.begin(), v.end(), k)) / kN;
    EXPECT_NEAR(share, 1.0 / 7, 5 * std::sqrt((1.0 / 7) * (6.0 / 7) / kN)) << "value " << k;
  }
  EXPECT_THROW(randomUniform({2}, 3, 3, DType::int32), Error);
  EXPECT_THROW(randomUniform({2}, 0, 1, DType::bool_), Error);
}

TEST(Random, NormalStatistics) {
  std::vector<float> v = randomNormal({kN}, 2, 3, 4).dataSync();
  Stats s = statsOf(v);
  EXPECT_NEAR(s.mean, 2.0, 5 * 3 / std::sqrt(double(kN)));
  EXPECT_NEAR(s.stddev, 3.0, 5 * 3 / std::sqrt(2.0 * kN));
  double within1 = static_cast<double>(std::count_if(v.begin(), v.end(), [](float x) { return std::abs(x - 2) < 3; })) / kN;
  EXPECT_NEAR(within1, 0.682689, 5 * std::sqrt(0.6827 * 0.3173 / kN));
  EXPECT_LT(s.min, 2 - 3 * 3.5);  // tails exist: P(|z| > 3.5) * 1e5 is about 47 samples
  EXPECT_GT(s.max, 2 + 3 * 3.5);
  EXPECT_THROW(randomNormal({2}, 0, -1), Error);
}

TEST(Random, TruncatedNormalStaysWithinTwoStddev) {
  Stats s = statsOf(truncatedNormal({kN}, 1, 2, 5).dataSync());
  EXPECT_GE(s.min, 1 - 2 * 2.0);
  EXPECT_LE(s.max, 1 + 2 * 2.0);
  EXPECT_NEAR(s.mean, 1.0, 5 * 2 * 0.88 / std::sqrt(double(kN)));
  // The standard deviation of a standard normal truncated at +-2 is 0.87962.
  EXPECT_NEAR(s.stddev, 2 * 0.87962, 0.02);
  EXPECT_LT(s.min, 1 - 2 * 1.98);  // the tails reach the bounds
  EXPECT_GT(s.max, 1 + 2 * 1.98);
}

TEST(Dropout, KeepsAboutOneMinusRateAndScales) {
  const float rate = 0.3f;
  std::vector<float> y = dropout(ones({kN}), rate, {}, 6).dataSync();
  int64_t kept = 0;
  for (float v : y) {
    if (v != 0) {
      ++kept;
      EXPECT_FLOAT_EQ(v, 1 / (1 - rate));
    }
  }
  EXPECT_NEAR(static_cast<double>(kept) / kN, 1 - rate, 5 * std::sqrt(0.3 * 0.7 / kN));
  EXPECT_EQ(dropout(ones({32}), rate, {}, 6).dataSync(), dropout(ones({32}), rate, {}, 6).dataSync());
}

TEST(Dropout, NoiseShapeSharesOneDrawAcrossBroadcastAxes) {
  for (const Shape& ns : {Shape{1000, 1}, Shape{-1, 1}}) {
    std::vector<float> y = dropout(ones({1000, 8}), 0.5f, ns, 7).dataSync();
    int64_t keptRows = 0;
    for (int r = 0; r < 1000; ++r) {
      std::set<float> row(y.begin() + r * 8, y.begin() + r * 8 + 8);
      EXPECT_EQ(row.size(), 1u) << "row " << r;
      keptRows += *row.begin() != 0;
    }
    EXPECT_NEAR(keptRows / 1000.0, 0.5, 0.08);
  }
  EXPECT_THROW(dropout(ones({4, 8}), 0.5f, {4, 3}), Error);
}

TEST(Dropout, RateValidationAndIdentityAtZero) {
  Tensor x = tensor({1, 2, 3}, {3});
  EXPECT_EQ(dropout(x, 0).dataSync(), x.dataSync());
  EXPECT_THROW(dropout(x, 1), Error);
  EXPECT_THROW(dropout(x, -0.1f), Error);
  EXPECT_THROW(dropout(tensorInt({1, 2}, {2}), 0.5f), Error);
}

TEST(Dropout, GradientIsTheScaledMask) {
  Tensor x = ones({200});
  std::vector<float> w(200);
  for (int i = 0; i < 200; ++i) w[i] = 0.01f * static_cast<float>(i) - 1;
  Tensor wt = tensor(w, {200});
  auto f = [&](const Tensor& t) { return sum(mul(dropout(t, 0.4f, {}, 8), wt)); };
  std::vector<float> g = grad(f)(x).dataSync();
  std::vector<float> y = dropout(x, 0.4f, {}, 8).dataSync();  // = mask / (1 - rate) since x = 1
  for (int i = 0; i < 200; ++i) EXPECT_FLOAT_EQ(g[i], y[i] * w[i]) << i;
}

// Restores the active backend however the test ends.
struct BackendGuard {
  std::string saved = getBackend();
  ~BackendGuard() { setBackend(saved); }
};

TEST(Random, EveryBackendDrawsTheSameValues) {
  BackendGuard guard;
  setBackend("reference");
  auto u = randomUniform({257}, -1, 1, DType::float32, 99).dataSync();
  auto n = randomNormal({257}, 0, 1, 99).dataSync();
  auto t = truncatedNormal({257}, 0, 1, 99).dataSync();
  for (const auto& s : backendStatus()) {
    // Test backends without these kernels (and without a fallback) are not compared.
    bool has = hasKernel(s.name, "RandomUniform") && hasKernel(s.name, "RandomNormal") &&
               hasKernel(s.name, "TruncatedNormal");
    if (!s.available || s.name == "reference" || (!has && s.kernelFallback.empty())) continue;
    setBackend(s.name);
    EXPECT_EQ(randomUniform({257}, -1, 1, DType::float32, 99).dataSync(), u) << s.name;
    auto n2 = randomNormal({257}, 0, 1, 99).dataSync();
    auto t2 = truncatedNormal({257}, 0, 1, 99).dataSync();
    for (size_t i = 0; i < n.size(); ++i) {
      EXPECT_NEAR(n2[i], n[i], 1e-6) << s.name << " normal " << i;
      EXPECT_NEAR(t2[i], t[i], 1e-6) << s.name << " truncated " << i;
    }
  }
}

}  // namespace
}  // namespace strata
