// Losses and metrics (tfjs-layers `tf.losses`/`tf.metrics` as compile() uses them). Each maps
// (yTrue, yPred) of the same shape to one value per sample: the last axis is reduced, the
// others are kept (a [batch, classes] pair gives [batch]). Training takes the mean over the
// batch. Implemented in src/train/losses.cpp and src/train/metrics.cpp.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "strata/tensor.h"

namespace strata {

/// (yTrue, yPred) -> per-sample values.
using LossFn = std::function<Tensor(const Tensor& yTrue, const Tensor& yPred)>;

namespace losses {
Tensor meanSquaredError(const Tensor& yTrue, const Tensor& yPred);
Tensor meanAbsoluteError(const Tensor& yTrue, const Tensor& yPred);
Tensor meanAbsolutePercentageError(const Tensor& yTrue, const Tensor& yPred);
Tensor meanSquaredLogarithmicError(const Tensor& yTrue, const Tensor& yPred);
Tensor squaredHinge(const Tensor& yTrue, const Tensor& yPred);
Tensor hinge(const Tensor& yTrue, const Tensor& yPred);
Tensor categoricalHinge(const Tensor& yTrue, const Tensor& yPred);
Tensor logcosh(const Tensor& yTrue, const Tensor& yPred);
/// Huber with delta 1 (tf.losses.huberLoss's default), reduced over the last axis.
Tensor huber(const Tensor& yTrue, const Tensor& yPred);
/// From probabilities (clipped to [eps, 1 - eps] after normalizing to sum 1), as tfjs-layers.
Tensor categoricalCrossentropy(const Tensor& yTrue, const Tensor& yPred);
/// Integer class labels ([batch] or [batch, 1], any float/int dtype) against probabilities.
Tensor sparseCategoricalCrossentropy(const Tensor& yTrue, const Tensor& yPred);
/// From probabilities (clipped), as tfjs-layers' binaryCrossentropy.
Tensor binaryCrossentropy(const Tensor& yTrue, const Tensor& yPred);
/// From logits (tf.losses.sigmoidCrossEntropy's numerically stable form), per sample.
Tensor binaryCrossentropyFromLogits(const Tensor& yTrue, const Tensor& logits);
/// From logits (softmax inside), per sample.
Tensor categoricalCrossentropyFromLogits(const Tensor& yTrue, const Tensor& logits);
Tensor kullbackLeiblerDivergence(const Tensor& yTrue, const Tensor& yPred);
Tensor poisson(const Tensor& yTrue, const Tensor& yPred);
/// -sum(l2normalize(yTrue) * l2normalize(yPred)) over the last axis, as tfjs-layers.
Tensor cosineProximity(const Tensor& yTrue, const Tensor& yPred);

/// A loss by its TF.js/Keras name: camelCase ("categoricalCrossentropy"), snake_case
/// ("categorical_crossentropy") and the short aliases ("mse", "mae", "mape", "msle", "kld",
/// "cosine"). Throws strata::Error listing the known names.
LossFn get(const std::string& name);
/// The canonical camelCase name for any accepted spelling (throws like get()).
std::string canonicalName(const std::string& name);
std::vector<std::string> names();
}  // namespace losses

namespace metrics {
Tensor binaryAccuracy(const Tensor& yTrue, const Tensor& yPred);       ///< threshold 0.5
Tensor categoricalAccuracy(const Tensor& yTrue, const Tensor& yPred);  ///< argmax match
Tensor sparseCategoricalAccuracy(const Tensor& yTrue, const Tensor& yPred);
Tensor topKCategoricalAccuracy(const Tensor& yTrue, const Tensor& yPred, int k = 5);
/// Precision and recall of the batch, a scalar, as tfjs-layers computes them: a prediction
/// counts as positive only when it equals 1 exactly (no threshold), so use them with 0/1 outputs.
Tensor precision(const Tensor& yTrue, const Tensor& yPred);
Tensor recall(const Tensor& yTrue, const Tensor& yPred);

/// A metric by name: the accuracies, "precision", "recall", and every loss name (loss-like
/// metrics). "accuracy"/"acc" are resolved by compile() from the loss and output shape
/// (binary, categorical or sparse, as Keras does) and are not accepted here.
LossFn get(const std::string& name);
std::vector<std::string> names();
}  // namespace metrics

}  // namespace strata
