// Metrics with tfjs-layers 4.22's semantics (tfjs-layers/src/metrics.ts), written with public
// ops. The accuracies give a float32 0/1 (or a fraction, for binaryAccuracy over several
// outputs) per sample; precision and recall give one scalar for the whole batch.
#include <map>

#include "strata/engine.h"
#include "strata/error.h"
#include "strata/losses.h"
#include "strata/ops.h"
#include "train/loss_util.h"

namespace strata::metrics {

using losses::detail::asFloat;
using losses::detail::checkSameShape;

namespace {

const std::vector<int> kLast{-1};

Tensor asF32(const Tensor& t) { return cast(t, DType::float32); }

// Counts (float32 scalar) of positions where yTrue == a and yPred == b exactly: tfjs-layers'
// true/false positives and negatives compare yPred with 1 and 0 without any threshold.
Tensor countWhere(const Tensor& yTrue, float a, const Tensor& yPred, float b) {
  return asF32(sum(asF32(logicalAnd(equal(yTrue, scalar(a)), equal(yPred, scalar(b))))));
}

// tp / (tp + other), or 0 when the denominator is 0.
Tensor ratioOrZero(const Tensor& tp, const Tensor& other) {
  Tensor denominator = add(tp, other);
  return where(greater(denominator, scalar(0.0f)), div(tp, denominator), zerosLike(tp));
}

}  // namespace

Tensor binaryAccuracy(const Tensor& yTrue, const Tensor& yPred) {
  checkSameShape("binaryAccuracy", yTrue, yPred);
  return tidy([&] {
    // Strictly greater than 0.5 counts as 1 (tfjs-layers).
    Tensor thresholded = asF32(greater(yPred, scalar(0.5f)));
    return mean(asF32(equal(asFloat(yTrue), thresholded)), kLast);
  });
}

Tensor categoricalAccuracy(const Tensor& yTrue, const Tensor& yPred) {
  checkSameShape("categoricalAccuracy", yTrue, yPred);
  return tidy([&] {
    const int last = yPred.rank() - 1;
    return asF32(equal(argMax(yTrue, last), argMax(yPred, last)));
  });
}

Tensor sparseCategoricalAccuracy(const Tensor& yTrue, const Tensor& yPred) {
  losses::detail::checkSparseLabels("sparseCategoricalAccuracy", yTrue, yPred);
  return tidy([&] {
    // Labels are compared as given (a float label 1.5 never matches), as tfjs-layers does.
    Shape lead(yPred.shape().begin(), yPred.shape().end() - 1);
    Tensor labels = asFloat(reshape(yTrue, lead));
    Tensor predicted = asF32(argMax(yPred, yPred.rank() - 1));
    return asF32(equal(labels, predicted));
  });
}

Tensor topKCategoricalAccuracy(const Tensor& yTrue, const Tensor& yPred, int k) {
  checkSameShape("topKCategoricalAccuracy", yTrue, yPred);
  if (k < 1) throw Error("topKCategoricalAccuracy: k must be >= 1, got " + std::to_string(k));
  return tidy([&] {
    // Keras's in_top_k(yPred, argmax(yTrue), k): the target is in the top k when fewer than k
    // classes score strictly higher (classes tied at the boundary all count as in the top k).
    // tfjs-layers 4.22 throws NotImplementedError here.
    const int last = yPred.rank() - 1;
    const int classes = static_cast<int>(yPred.shape().back());
    Tensor target = oneHot(argMax(yTrue, last), classes, 1, 0, DType::float32);
    Tensor targetScore = sum(mul(yPred, target), kLast, true);
    Tensor higher = sum(asF32(greater(yPred, targetScore)), kLast);
    return asF32(less(higher, scalar(static_cast<float>(k))));
  });
}

Tensor precision(const Tensor& yTrue, const Tensor& yPred) {
  checkSameShape("precision", yTrue, yPred);
  return tidy([&] { return ratioOrZero(countWhere(yTrue, 1, yPred, 1), countWhere(yTrue, 0, yPred, 1)); });
}

Tensor recall(const Tensor& yTrue, const Tensor& yPred) {
  checkSameShape("recall", yTrue, yPred);
  return tidy([&] { return ratioOrZero(countWhere(yTrue, 1, yPred, 1), countWhere(yTrue, 1, yPred, 0)); });
}

// ---- lookup by name --------------------------------------------------------------------

namespace {

struct Named {
  const char* name;
  Tensor (*fn)(const Tensor&, const Tensor&);
};

Tensor topK5(const Tensor& yTrue, const Tensor& yPred) { return topKCategoricalAccuracy(yTrue, yPred, 5); }

constexpr Named kMetrics[] = {
    {"binaryAccuracy", binaryAccuracy},
    {"categoricalAccuracy", categoricalAccuracy},
    {"sparseCategoricalAccuracy", sparseCategoricalAccuracy},
    {"topKCategoricalAccuracy", topK5},
    {"precision", precision},
    {"recall", recall},
};

// Every accepted spelling of a metric proper (loss-like metrics go through losses::).
const std::map<std::string, Tensor (*)(const Tensor&, const Tensor&)>& spellings() {
  static const std::map<std::string, Tensor (*)(const Tensor&, const Tensor&)> m = [] {
    std::map<std::string, Tensor (*)(const Tensor&, const Tensor&)> s;
    for (const auto& n : kMetrics) {
      s[n.name] = n.fn;
      s[losses::detail::snakeCase(n.name)] = n.fn;
    }
    return s;
  }();
  return m;
}

}  // namespace

LossFn get(const std::string& name) {
  // These depend on the loss and the output shape; only compile() can pick the variant.
  if (name == "accuracy" || name == "acc" || name == "crossentropy" || name == "ce")
    throw Error("metric '" + name + "' is resolved by compile() from the loss and the output shape; " +
                "here name the variant: binaryAccuracy, categoricalAccuracy, sparseCategoricalAccuracy, " +
                "binaryCrossentropy, categoricalCrossentropy or sparseCategoricalCrossentropy");
  auto it = spellings().find(name);
  if (it != spellings().end()) return LossFn(it->second);
  std::string lossName;
  try {
    lossName = losses::canonicalName(name);
  } catch (const Error&) {
    losses::detail::throwUnknown("metric", name, names(),
                                 "(also their snake_case spellings and the aliases mse, mae, mape, msle, kld, cosine)");
  }
  return losses::get(lossName);
}

std::vector<std::string> names() {
  std::vector<std::string> out;
  for (const auto& n : kMetrics) out.emplace_back(n.name);
  for (const auto& l : losses::names()) out.push_back(l);
  return out;
}

}  // namespace strata::metrics
