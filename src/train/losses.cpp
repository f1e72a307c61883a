// Losses with tfjs-layers 4.22's exact formulas (tfjs-layers/src/losses.ts), written with public
// ops so that every backend gets them and their gradients. Each maps (yTrue, yPred) to one value
// per sample by reducing the last axis. The order and choice of ops follows tfjs-layers where it
// matters for gradients at clip boundaries and ties (e.g. maximum(0, x), clip before normalize).
#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>
#include <map>
#include <regex>

#include "strata/engine.h"
#include "strata/error.h"
#include "strata/losses.h"
#include "strata/ops.h"
#include "train/loss_util.h"

namespace strata {

// ---- shared helpers (declared in train/loss_util.h) ------------------------------------

namespace losses::detail {

void checkSameShape(std::string_view what, const Tensor& yTrue, const Tensor& yPred) {
  if (yTrue.shape() != yPred.shape())
    throw Error(std::string(what) + ": yTrue and yPred must have the same shape, got yTrue " +
                shapeString(yTrue.shape()) + " and yPred " + shapeString(yPred.shape()));
  if (yPred.rank() == 0)
    throw Error(std::string(what) + ": yTrue and yPred must have rank >= 1 (the last axis is reduced), got scalars");
}

void checkSparseLabels(std::string_view what, const Tensor& labels, const Tensor& yPred) {
  if (yPred.rank() == 0)
    throw Error(std::string(what) + ": yPred must have a class axis, got a scalar");
  Shape lead(yPred.shape().begin(), yPred.shape().end() - 1);
  Shape withOne = lead;
  withOne.push_back(1);
  if (labels.shape() != lead && labels.shape() != withOne)
    throw Error(std::string(what) + ": integer labels of shape " + shapeString(lead) + " or " +
                shapeString(withOne) + " are expected for yPred of shape " + shapeString(yPred.shape()) +
                ", got labels of shape " + shapeString(labels.shape()));
}

Tensor asFloat(const Tensor& t) { return t.dtype() == DType::float32 ? t : cast(t, DType::float32); }

std::string snakeCase(std::string_view camel) {
  static const std::regex upperWord("(.)([A-Z][a-z0-9]+)");
  static const std::regex lowerUpper("([a-z])([A-Z])");
  std::string s = std::regex_replace(std::string(camel), upperWord, "$1_$2");
  s = std::regex_replace(s, lowerUpper, "$1_$2");
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

namespace {
std::string folded(std::string_view s) {
  std::string out;
  for (unsigned char c : s)
    if (c != '_') out += static_cast<char>(std::tolower(c));
  return out;
}
}  // namespace

void throwUnknown(std::string_view kind, const std::string& name, const std::vector<std::string>& known,
                  std::string_view extra) {
  std::string msg = std::string(kind) + " '" + name + "' is unknown";
  for (const auto& k : known)
    if (folded(k) == folded(name)) {
      msg += " (did you mean '" + k + "'?)";
      break;
    }
  msg += "; known " + std::string(kind) + "s: ";
  for (size_t i = 0; i < known.size(); ++i) msg += (i ? ", " : "") + known[i];
  if (!extra.empty()) msg += " " + std::string(extra);
  throw Error(msg);
}

}  // namespace losses::detail

namespace losses {

using detail::asFloat;
using detail::checkSameShape;
using detail::kEpsilon;

namespace {

constexpr float kFloatMax = std::numeric_limits<float>::max();  // tfjs' Number.MAX_VALUE clip
const std::vector<int> kLast{-1};

// max(x, 0) - x * z + log(1 + exp(-|x|)): tfjs' sigmoidCrossEntropyWithLogits, elementwise.
Tensor sigmoidCrossEntropyWithLogits(const Tensor& labels, const Tensor& logits) {
  return add(sub(relu(logits), mul(logits, labels)), log1p(exp(neg(abs(logits)))));
}

// tfjs-layers' l2Normalize over the last axis: x / sqrt(max(sum(x^2), eps)).
Tensor l2Normalize(const Tensor& x) {
  Tensor squareSum = sum(square(x), kLast, true);
  return div(x, sqrt(maximum(squareSum, fill(squareSum.shape(), kEpsilon))));
}

// Categorical crossentropy from probabilities without the shape check (shared with the
// sparse form, whose one-hot target has the prediction's shape by construction).
Tensor crossentropyFromProbabilities(const Tensor& target, const Tensor& output) {
  // Scale so that each sample's class probabilities sum to 1, then clip away from log(0).
  Tensor p = div(output, sum(output, kLast, true));
  p = clipByValue(p, kEpsilon, 1 - kEpsilon);
  return neg(sum(mul(asFloat(target), log(p)), kLast));
}

}  // namespace

Tensor meanSquaredError(const Tensor& yTrue, const Tensor& yPred) {
  checkSameShape("meanSquaredError", yTrue, yPred);
  return tidy([&] { return mean(square(sub(yPred, asFloat(yTrue))), kLast); });
}

Tensor meanAbsoluteError(const Tensor& yTrue, const Tensor& yPred) {
  checkSameShape("meanAbsoluteError", yTrue, yPred);
  return tidy([&] { return mean(abs(sub(yPred, asFloat(yTrue))), kLast); });
}

Tensor meanAbsolutePercentageError(const Tensor& yTrue, const Tensor& yPred) {
  checkSameShape("meanAbsolutePercentageError", yTrue, yPred);
  return tidy([&] {
    Tensor t = asFloat(yTrue);
    Tensor clippedTrue = clipByValue(abs(t), kEpsilon, kFloatMax);
    return mul(scalar(100.0f), mean(abs(div(sub(t, yPred), clippedTrue)), kLast));
  });
}

Tensor meanSquaredLogarithmicError(const Tensor& yTrue, const Tensor& yPred) {
  checkSameShape("meanSquaredLogarithmicError", yTrue, yPred);
  return tidy([&] {
    Tensor firstLog = log(add(scalar(1.0f), clipByValue(yPred, kEpsilon, kFloatMax)));
    Tensor secondLog = log(add(scalar(1.0f), clipByValue(asFloat(yTrue), kEpsilon, kFloatMax)));
    return mean(square(sub(firstLog, secondLog)), kLast);
  });
}

Tensor squaredHinge(const Tensor& yTrue, const Tensor& yPred) {
  checkSameShape("squaredHinge", yTrue, yPred);
  return tidy([&] {
    Tensor m = maximum(scalar(0.0f), sub(scalar(1.0f), mul(asFloat(yTrue), yPred)));
    return mean(square(m), kLast);
  });
}

Tensor hinge(const Tensor& yTrue, const Tensor& yPred) {
  checkSameShape("hinge", yTrue, yPred);
  return tidy([&] { return mean(maximum(scalar(0.0f), sub(scalar(1.0f), mul(asFloat(yTrue), yPred))), kLast); });
}

Tensor categoricalHinge(const Tensor& yTrue, const Tensor& yPred) {
  checkSameShape("categoricalHinge", yTrue, yPred);
  return tidy([&] {
    Tensor t = asFloat(yTrue);
    Tensor pos = sum(mul(t, yPred), kLast);
    Tensor negative = max(mul(sub(scalar(1.0f), t), yPred), kLast);
    return maximum(scalar(0.0f), add(scalar(1.0f), sub(negative, pos)));
  });
}

Tensor logcosh(const Tensor& yTrue, const Tensor& yPred) {
  checkSameShape("logcosh", yTrue, yPred);
  return tidy([&] {
    // log(cosh(d)) = d + softplus(-2d) - log(2), stable for large |d|.
    Tensor d = sub(yPred, asFloat(yTrue));
    Tensor v = sub(add(d, softplus(mul(scalar(-2.0f), d))), scalar(static_cast<float>(std::log(2.0))));
    return mean(v, kLast);
  });
}

Tensor huber(const Tensor& yTrue, const Tensor& yPred) {
  checkSameShape("huber", yTrue, yPred);
  return tidy([&] {
    // tf.losses.huberLoss (delta 1, no reduction), then the mean over the last axis as Keras.
    Tensor delta = scalar(1.0f);
    Tensor error = abs(sub(yPred, asFloat(yTrue)));
    Tensor quadratic = minimum(error, delta);
    Tensor linear = sub(error, quadratic);
    return mean(add(mul(scalar(0.5f), square(quadratic)), mul(delta, linear)), kLast);
  });
}

Tensor categoricalCrossentropy(const Tensor& yTrue, const Tensor& yPred) {
  checkSameShape("categoricalCrossentropy", yTrue, yPred);
  return tidy([&] { return crossentropyFromProbabilities(yTrue, yPred); });
}

Tensor sparseCategoricalCrossentropy(const Tensor& yTrue, const Tensor& yPred) {
  detail::checkSparseLabels("sparseCategoricalCrossentropy", yTrue, yPred);
  return tidy([&] {
    // Float labels are floored first (tfjs-layers); out-of-range labels one-hot to all zeros.
    Tensor flat = flatten(yTrue);
    if (flat.dtype() == DType::float32) flat = floor(flat);
    flat = cast(flat, DType::int32);
    // tfjs-layers clips here and again inside the categorical form (after normalizing).
    Tensor output = clipByValue(yPred, kEpsilon, 1 - kEpsilon);
    const int classes = static_cast<int>(yPred.shape().back());
    Tensor target = reshape(oneHot(flat, classes), yPred.shape());
    return crossentropyFromProbabilities(target, output);
  });
}

Tensor binaryCrossentropy(const Tensor& yTrue, const Tensor& yPred) {
  checkSameShape("binaryCrossentropy", yTrue, yPred);
  return tidy([&] {
    // Back to logits from clipped probabilities, then the stable logistic loss (tfjs-layers).
    Tensor y = clipByValue(yPred, kEpsilon, 1 - kEpsilon);
    Tensor logits = log(div(y, sub(scalar(1.0f), y)));
    return mean(sigmoidCrossEntropyWithLogits(asFloat(yTrue), logits), kLast);
  });
}

Tensor binaryCrossentropyFromLogits(const Tensor& yTrue, const Tensor& logits) {
  checkSameShape("binaryCrossentropyFromLogits", yTrue, logits);
  return tidy([&] { return mean(sigmoidCrossEntropyWithLogits(asFloat(yTrue), logits), kLast); });
}

Tensor categoricalCrossentropyFromLogits(const Tensor& yTrue, const Tensor& logits) {
  checkSameShape("categoricalCrossentropyFromLogits", yTrue, logits);
  return tidy([&] {
    // tf.losses.softmaxCrossEntropy without reduction: -sum(labels * (logits - logSumExp)).
    Tensor logResult = sub(logits, logSumExp(logits, kLast, true));
    return sum(neg(mul(logResult, asFloat(yTrue))), kLast);
  });
}

Tensor kullbackLeiblerDivergence(const Tensor& yTrue, const Tensor& yPred) {
  checkSameShape("kullbackLeiblerDivergence", yTrue, yPred);
  return tidy([&] {
    Tensor t = asFloat(yTrue);
    Tensor ratio = div(clipByValue(t, kEpsilon, 1.0f), clipByValue(yPred, kEpsilon, 1.0f));
    return sum(mul(t, log(ratio)), kLast);
  });
}

Tensor poisson(const Tensor& yTrue, const Tensor& yPred) {
  checkSameShape("poisson", yTrue, yPred);
  return tidy([&] {
    Tensor logPred = log(add(scalar(kEpsilon), yPred));
    return mean(sub(yPred, mul(asFloat(yTrue), logPred)), kLast);
  });
}

Tensor cosineProximity(const Tensor& yTrue, const Tensor& yPred) {
  checkSameShape("cosineProximity", yTrue, yPred);
  return tidy([&] { return neg(sum(mul(l2Normalize(asFloat(yTrue)), l2Normalize(asFloat(yPred))), kLast)); });
}

// ---- lookup by name --------------------------------------------------------------------

namespace {

struct Named {
  const char* name;
  Tensor (*fn)(const Tensor&, const Tensor&);
};

// Canonical camelCase names: tfjs-layers' lossesMap, then Keras's huber and the from-logits
// forms (tfjs-layers has no names for these; Keras spells them as losses with from_logits).
constexpr Named kLosses[] = {
    {"meanSquaredError", meanSquaredError},
    {"meanAbsoluteError", meanAbsoluteError},
    {"meanAbsolutePercentageError", meanAbsolutePercentageError},
    {"meanSquaredLogarithmicError", meanSquaredLogarithmicError},
    {"squaredHinge", squaredHinge},
    {"hinge", hinge},
    {"categoricalHinge", categoricalHinge},
    {"logcosh", logcosh},
    {"categoricalCrossentropy", categoricalCrossentropy},
    {"sparseCategoricalCrossentropy", sparseCategoricalCrossentropy},
    {"binaryCrossentropy", binaryCrossentropy},
    {"kullbackLeiblerDivergence", kullbackLeiblerDivergence},
    {"poisson", poisson},
    {"cosineProximity", cosineProximity},
    {"huber", huber},
    {"binaryCrossentropyFromLogits", binaryCrossentropyFromLogits},
    {"categoricalCrossentropyFromLogits", categoricalCrossentropyFromLogits},
};

// Short aliases: tfjs-layers' exports (mse, MSE, ...) and Keras's spellings.
constexpr std::pair<const char*, const char*> kAliases[] = {
    {"mse", "meanSquaredError"}, {"MSE", "meanSquaredError"},
    {"mae", "meanAbsoluteError"}, {"MAE", "meanAbsoluteError"},
    {"mape", "meanAbsolutePercentageError"}, {"MAPE", "meanAbsolutePercentageError"},
    {"msle", "meanSquaredLogarithmicError"}, {"MSLE", "meanSquaredLogarithmicError"},
    {"kld", "kullbackLeiblerDivergence"}, {"KLD", "kullbackLeiblerDivergence"},
    {"cosine", "cosineProximity"}, {"log_cosh", "logcosh"}, {"huber_loss", "huber"},
};

// Every accepted spelling -> canonical name.
const std::map<std::string, std::string>& spellings() {
  static const std::map<std::string, std::string> m = [] {
    std::map<std::string, std::string> s;
    for (const auto& l : kLosses) {
      s[l.name] = l.name;
      s[detail::snakeCase(l.name)] = l.name;
    }
    for (const auto& [alias, canonical] : kAliases) s[alias] = canonical;
    return s;
  }();
  return m;
}

}  // namespace

std::string canonicalName(const std::string& name) {
  auto it = spellings().find(name);
  if (it != spellings().end()) return it->second;
  std::string lower = name;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  std::string extra = "(also their snake_case spellings and the aliases mse, mae, mape, msle, kld, cosine)";
  // tf.losses.* names are not compile() names (as tfjs-layers, say which name to use).
  if (lower.find("softmaxcrossentropy") != std::string::npos)
    extra += "; for tf.losses.softmaxCrossEntropy use 'categoricalCrossentropyFromLogits'";
  if (lower.find("sigmoidcrossentropy") != std::string::npos)
    extra += "; for tf.losses.sigmoidCrossEntropy use 'binaryCrossentropyFromLogits'";
  detail::throwUnknown("loss", name, names(), extra);
}

LossFn get(const std::string& name) {
  const std::string canonical = canonicalName(name);
  for (const auto& l : kLosses)
    if (canonical == l.name) return LossFn(l.fn);
  throw Error("loss '" + name + "': internal error, no function for '" + canonical + "'");
}

std::vector<std::string> names() {
  std::vector<std::string> out;
  for (const auto& l : kLosses) out.emplace_back(l.name);
  return out;
}

}  // namespace losses
}  // namespace strata
