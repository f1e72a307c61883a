// Losses and metrics by name (camelCase, snake_case, aliases), errors for unknown names and
// mismatched shapes, and mathematical identities between the losses. Values against TF.js are
// checked by the op conformance suite (tests/conformance/ops/losses.mjs); the expected values
// here come from the definitions (e.g. huber(0.5) = 0.5 * 0.5^2) or from identities between
// two Strata functions (e.g. the from-logits forms against the probability forms).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "strata/losses.h"
#include "strata/strata.h"

namespace strata {
namespace {

void expectAllClose(const Tensor& a, const Tensor& b, double tol, const std::string& what) {
  ASSERT_EQ(a.shape(), b.shape()) << what;
  auto x = a.dataSync<float>();
  auto y = b.dataSync<float>();
  for (size_t i = 0; i < x.size(); ++i) EXPECT_NEAR(x[i], y[i], tol) << what << " element " << i;
}

std::string errorOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "<no strata::Error thrown>";
}

bool has(const std::string& haystack, const std::string& needle) { return haystack.find(needle) != std::string::npos; }

// Inputs every loss accepts: values inside (0, 1) for both (probabilities and targets).
Tensor yTrue43() { return tensor({0.2f, 0.7f, 0.1f, 0.9f, 0.3f, 0.4f, 0.5f, 0.5f, 0.6f, 0.1f, 0.8f, 0.25f}, {4, 3}); }
Tensor yPred43() { return tensor({0.3f, 0.6f, 0.1f, 0.2f, 0.5f, 0.3f, 0.15f, 0.7f, 0.15f, 0.4f, 0.4f, 0.2f}, {4, 3}); }
Tensor labels4() { return tensor({1, 0, 2, 1}, {4}); }

bool isSparse(const std::string& name) { return name.rfind("sparse", 0) == 0; }

// The names tfjs-layers' lossesMap knows (tfjs-layers/src/losses.ts), plus Keras's huber and
// the two from-logits forms that tfjs-layers has no name for.
const std::vector<std::string> kCanonicalLosses = {
    "meanSquaredError", "meanAbsoluteError", "meanAbsolutePercentageError", "meanSquaredLogarithmicError",
    "squaredHinge", "hinge", "categoricalHinge", "logcosh", "categoricalCrossentropy",
    "sparseCategoricalCrossentropy", "binaryCrossentropy", "kullbackLeiblerDivergence", "poisson",
    "cosineProximity", "huber", "binaryCrossentropyFromLogits", "categoricalCrossentropyFromLogits"};

TEST(LossNames, CanonicalSetIsTfjsLayersPlusHuberAndFromLogits) {
  auto names = losses::names();
  EXPECT_EQ(std::set<std::string>(names.begin(), names.end()),
            std::set<std::string>(kCanonicalLosses.begin(), kCanonicalLosses.end()));
  for (const auto& n : names) EXPECT_EQ(losses::canonicalName(n), n);
}

TEST(LossNames, SnakeCaseAndAliasesResolveToTheSameFunction) {
  const std::vector<std::pair<std::string, std::string>> spellings = {
      {"mean_squared_error", "meanSquaredError"}, {"mse", "meanSquaredError"}, {"MSE", "meanSquaredError"},
      {"mean_absolute_error", "meanAbsoluteError"}, {"mae", "meanAbsoluteError"}, {"MAE", "meanAbsoluteError"},
      {"mean_absolute_percentage_error", "meanAbsolutePercentageError"}, {"mape", "meanAbsolutePercentageError"},
      {"MAPE", "meanAbsolutePercentageError"}, {"mean_squared_logarithmic_error", "meanSquaredLogarithmicError"},
      {"msle", "meanSquaredLogarithmicError"}, {"MSLE", "meanSquaredLogarithmicError"},
      {"squared_hinge", "squaredHinge"}, {"categorical_hinge", "categoricalHinge"}, {"log_cosh", "logcosh"},
      {"categorical_crossentropy", "categoricalCrossentropy"},
      {"sparse_categorical_crossentropy", "sparseCategoricalCrossentropy"},
      {"binary_crossentropy", "binaryCrossentropy"}, {"kullback_leibler_divergence", "kullbackLeiblerDivergence"},
      {"kld", "kullbackLeiblerDivergence"}, {"KLD", "kullbackLeiblerDivergence"},
      {"cosine_proximity", "cosineProximity"}, {"cosine", "cosineProximity"}, {"huber_loss", "huber"},
      {"binary_crossentropy_from_logits", "binaryCrossentropyFromLogits"},
      {"categorical_crossentropy_from_logits", "categoricalCrossentropyFromLogits"}};
  for (const auto& [spelling, canonical] : spellings) {
    EXPECT_EQ(losses::canonicalName(spelling), canonical) << spelling;
    tidy([&, &spelling = spelling, &canonical = canonical] {
      Tensor t = isSparse(canonical) ? labels4() : yTrue43();
      expectAllClose(losses::get(spelling)(t, yPred43()), losses::get(canonical)(t, yPred43()), 0, spelling);
    });
  }
}

TEST(LossNames, UnknownNamesThrowListingTheKnownOnes) {
  std::string msg = errorOf([] { losses::get("nope"); });
  EXPECT_TRUE(has(msg, "'nope'")) << msg;
  for (const auto& n : kCanonicalLosses) EXPECT_TRUE(has(msg, n)) << msg;
  EXPECT_TRUE(has(errorOf([] { losses::canonicalName("CategoricalCrossentropy"); }),
                  "did you mean 'categoricalCrossentropy'"));
  EXPECT_TRUE(has(errorOf([] { losses::get("softmaxCrossEntropy"); }), "categoricalCrossentropyFromLogits"));
  // Metric-only names are not losses.
  EXPECT_TRUE(has(errorOf([] { losses::get("accuracy"); }), "'accuracy'"));
  EXPECT_TRUE(has(errorOf([] { losses::get("precision"); }), "'precision'"));
}

TEST(MetricNames, AccuraciesPrecisionRecallAndEveryLossName) {
  const std::vector<std::string> accepted = {
      "binaryAccuracy", "binary_accuracy", "categoricalAccuracy", "categorical_accuracy",
      "sparseCategoricalAccuracy", "sparse_categorical_accuracy", "topKCategoricalAccuracy",
      "top_k_categorical_accuracy", "precision", "recall", "mse", "MAE", "cosine", "categorical_crossentropy"};
  for (const auto& n : accepted) EXPECT_NO_THROW(metrics::get(n)) << n;
  for (const auto& n : losses::names()) EXPECT_NO_THROW(metrics::get(n)) << n;
  auto names = metrics::names();
  for (const auto& n : {"binaryAccuracy", "categoricalAccuracy", "sparseCategoricalAccuracy",
                        "topKCategoricalAccuracy", "precision", "recall", "meanSquaredError"})
    EXPECT_NE(std::find(names.begin(), names.end(), n), names.end()) << n;
  EXPECT_EQ(std::find(names.begin(), names.end(), "accuracy"), names.end());
  // A metric by a loss name is that loss.
  tidy([] { expectAllClose(metrics::get("mse")(yTrue43(), yPred43()), losses::meanSquaredError(yTrue43(), yPred43()), 0, "mse"); });
  // topKCategoricalAccuracy by name uses k = 5 (Keras's default).
  tidy([] {
    Tensor t = tensor({0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0}, {2, 7});
    Tensor p = tensor({.9f, .8f, .7f, .6f, .5f, .4f, .3f, .1f, .2f, .3f, .4f, .5f, .6f, .7f}, {2, 7});
    expectAllClose(metrics::get("topKCategoricalAccuracy")(t, p), metrics::topKCategoricalAccuracy(t, p, 5), 0, "k=5");
  });
}

TEST(MetricNames, AccuracyIsLeftToCompileAndUnknownNamesThrow) {
  for (const char* n : {"accuracy", "acc", "crossentropy", "ce"}) {
    std::string msg = errorOf([&] { metrics::get(n); });
    EXPECT_TRUE(has(msg, std::string("'") + n + "'") && has(msg, "compile()")) << msg;
  }
  std::string msg = errorOf([] { metrics::get("f1"); });
  EXPECT_TRUE(has(msg, "metric 'f1'") && has(msg, "binaryAccuracy") && has(msg, "precision") && has(msg, "meanSquaredError"))
      << msg;
}

TEST(LossShapes, MismatchedShapesNameTheLossAndBothShapes) {
  for (const auto& name : losses::names()) {
    if (isSparse(name)) continue;
    std::string msg = errorOf([&] {
      tidy([&] { losses::get(name)(tensor({1, 0, 1, 0}, {4, 1}), tensor({0.5f, 0.5f, 0.5f, 0.5f}, {4})); });
    });
    EXPECT_TRUE(has(msg, name) && has(msg, "[4,1]") && has(msg, "[4]")) << name << ": " << msg;
  }
  for (const char* name : {"binaryAccuracy", "categoricalAccuracy", "topKCategoricalAccuracy", "precision", "recall"}) {
    std::string msg = errorOf([&] { tidy([&] { metrics::get(name)(tensor({1, 0, 1}, {3}), tensor({1, 0, 1, 0, 1, 0}, {3, 2})); }); });
    EXPECT_TRUE(has(msg, name) && has(msg, "[3]") && has(msg, "[3,2]")) << name << ": " << msg;
  }
}

TEST(LossShapes, SparseLabelsAreBatchOrBatchByOne) {
  tidy([] {
    Tensor p = yPred43();
    expectAllClose(losses::sparseCategoricalCrossentropy(reshape(labels4(), {4, 1}), p),
                   losses::sparseCategoricalCrossentropy(labels4(), p), 0, "[4,1] vs [4] labels");
    expectAllClose(metrics::sparseCategoricalAccuracy(reshape(labels4(), {4, 1}), p),
                   metrics::sparseCategoricalAccuracy(labels4(), p), 0, "[4,1] vs [4] labels");
    for (const char* name : {"sparseCategoricalCrossentropy", "sparseCategoricalAccuracy"}) {
      auto fn = metrics::get(name);
      for (const Shape& bad : {Shape{5}, Shape{4, 2}, Shape{4, 3}}) {
        std::string msg = errorOf([&] { fn(zeros(bad), p); });
        EXPECT_TRUE(has(msg, name) && has(msg, shapeString(bad)) && has(msg, "[4,3]")) << msg;
      }
    }
  });
}

TEST(LossIdentities, SparseEqualsCategoricalWithOneHotForIntAndFloatLabels) {
  tidy([] {
    Tensor p = yPred43();
    Tensor dense = losses::categoricalCrossentropy(oneHot(tensorInt({1, 0, 2, 1}, {4}), 3), p);
    expectAllClose(losses::sparseCategoricalCrossentropy(tensorInt({1, 0, 2, 1}, {4}), p), dense, 1e-6, "int32 labels");
    expectAllClose(losses::sparseCategoricalCrossentropy(labels4(), p), dense, 1e-6, "float labels");
    expectAllClose(metrics::sparseCategoricalAccuracy(tensorInt({1, 0, 2, 1}, {4}), p),
                   metrics::categoricalAccuracy(oneHot(tensorInt({1, 0, 2, 1}, {4}), 3), p), 0, "accuracy");
  });
}

TEST(LossIdentities, FromLogitsFormsEqualTheProbabilityForms) {
  tidy([] {
    Tensor logits = tensor({0.5f, -1.0f, 2.0f, 0.1f, 1.5f, -0.3f, -2.0f, 0.7f, 0.0f, 1.0f, -1.2f, 0.4f}, {4, 3});
    Tensor soft = yTrue43() / sum(yTrue43(), {-1}, true);
    expectAllClose(losses::categoricalCrossentropyFromLogits(soft, logits),
                   losses::categoricalCrossentropy(soft, softmax(logits)), 1e-5, "softmax");
    expectAllClose(losses::binaryCrossentropyFromLogits(yTrue43(), logits),
                   losses::binaryCrossentropy(yTrue43(), sigmoid(logits)), 1e-5, "sigmoid");
  });
}

TEST(LossIdentities, ValuesFromTheDefinitions) {
  tidy([] {
    Tensor t = tensor({0, 0, 0, 0}, {2, 2});
    Tensor p = tensor({1, 3, 0.5f, -2}, {2, 2});
    expectAllClose(losses::meanSquaredError(t, p), tensor({(1 + 9) / 2.0f, (0.25f + 4) / 2.0f}, {2}), 1e-6, "mse");
    expectAllClose(losses::meanAbsoluteError(t, p), tensor({2, 1.25f}, {2}), 1e-6, "mae");
    // Huber (delta 1): 0.5 d^2 inside |d| <= 1, |d| - 0.5 outside; averaged over the last axis.
    expectAllClose(losses::huber(t, p), tensor({(0.5f + 2.5f) / 2, (0.125f + 1.5f) / 2}, {2}), 1e-6, "huber");
    // logcosh against the direct formula.
    expectAllClose(losses::logcosh(t, p), mean(log(cosh(p)), {-1}), 1e-6, "logcosh");
    // Cosine proximity of parallel and opposite vectors.
    Tensor x = tensor({1, 2, -3, 0.5f}, {2, 2});
    expectAllClose(losses::cosineProximity(x, x * 2.0f), tensor({-1, -1}, {2}), 1e-6, "parallel");
    expectAllClose(losses::cosineProximity(x, -x), tensor({1, 1}, {2}), 1e-6, "opposite");
  });
}

TEST(MetricValues, TopKCountsTiesAsInAndKAboveClassesAlwaysHits) {
  tidy([] {
    Tensor t = tensor({0, 1, 0, 0, 0, 1}, {2, 3});
    Tensor p = tensor({0.5f, 0.5f, 0.1f, 0.6f, 0.3f, 0.1f}, {2, 3});
    // Row 0: class 1 ties with class 0 for the top score (in, as Keras's in_top_k);
    // row 1: class 2 is the lowest of three.
    expectAllClose(metrics::topKCategoricalAccuracy(t, p, 1), tensor({1, 0}, {2}), 0, "k=1");
    expectAllClose(metrics::topKCategoricalAccuracy(t, p, 2), tensor({1, 0}, {2}), 0, "k=2");
    expectAllClose(metrics::topKCategoricalAccuracy(t, p, 5), tensor({1, 1}, {2}), 0, "k=5 > 3 classes");
    EXPECT_TRUE(has(errorOf([&] { metrics::topKCategoricalAccuracy(t, p, 0); }), "k must be >= 1"));
  });
}

TEST(LossMemory, EveryLossAndMetricLeavesOnlyItsResult) {
  Tensor t = yTrue43(), p = yPred43(), l = labels4();
  const int64_t before = memory().numTensors;
  for (const auto& name : metrics::names()) {
    Tensor out = metrics::get(name)(name.find("parse") != std::string::npos ? l : t, p);
    EXPECT_EQ(memory().numTensors, before + 1) << name;
    out.dispose();
  }
  EXPECT_EQ(memory().numTensors, before);
}

}  // namespace
}  // namespace strata
