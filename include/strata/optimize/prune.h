// Pruning (docs/pruning.md): magnitude pruning during fine-tuning, as TensorFlow Model
// Optimization's `prune_low_magnitude` with a `PolynomialDecay` schedule, and structured pruning
// that removes whole Conv2D filters and Dense units so the model gets smaller and faster on every
// backend. Implemented in src/optimize/prune.cpp and src/optimize/prune_structured.cpp.
//
//   // magnitude: 80% of every kernel's weights become exact zeros while the model fine-tunes
//   model.compile({.optimizer = "adam", .loss = {"categoricalCrossentropy"}, .metrics = {"accuracy"}});
//   auto r = st::pruneLowMagnitude(model, x, y, {.schedule = {.finalSparsity = 0.8f},
//                                                .fit = {.epochs = 2, .batchSize = 64}});
//   model.save("pruned/");                 // the standard format, zeros included
//
//   // structured: half the filters/units of each hidden Conv2D/Dense are removed
//   auto s = st::pruneStructured(model, {.fraction = 0.5f});
//   s.model.compile(...); s.model.fit(x, y, {.epochs = 1});   // optional fine-tuning
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "strata/models.h"
#include "strata/training.h"

namespace strata {

// ---- magnitude pruning -----------------------------------------------------------------------

/// TFMOT's PolynomialDecay pruning schedule. At training step `step` (0 = the first batch of the
/// pruning run) the target sparsity is
///   final + (initial - final) * (1 - clamp((step - begin) / (end - begin), 0, 1)) ^ power
/// and masks are recomputed at the steps begin <= step <= end where (step - begin) % frequency
/// == 0, and also at step == end (TFMOT omits this, so with its defaults the final sparsity is
/// often never reached; here it always is).
struct PolynomialDecay {
  float initialSparsity = 0.0f;  ///< in [0, 1)
  float finalSparsity = 0.5f;    ///< in [0, 1)
  int64_t beginStep = 0;
  /// The step at which the final sparsity is reached; -1 = the last step of the pruning run
  /// (pruneLowMagnitude fills it in from epochs and batches).
  int64_t endStep = -1;
  float power = 3.0f;
  int64_t frequency = 100;

  /// The target sparsity at `step` (the formula above; needs endStep >= 0).
  double sparsityAt(int64_t step) const;
  /// Whether masks are recomputed at `step` (needs endStep >= 0).
  bool shouldPrune(int64_t step) const;
  /// Throws strata::Error naming the field if a sparsity is outside [0, 1) (or NaN), beginStep
  /// < 0, endStep is neither -1 nor >= beginStep, frequency <= 0 or power <= 0.
  void validate() const;
};

/// Class name -> the weight magnitude pruning masks (TFMOT's registry): Dense, Conv1D, Conv2D and
/// Conv2DTranspose `kernel`, DepthwiseConv2D `depthwise_kernel`, SeparableConv2D
/// `pointwise_kernel`. Biases and BatchNormalization parameters are never pruned.
std::vector<std::pair<std::string, std::string>> prunableWeightNames();

struct PruneArgs {
  PolynomialDecay schedule;
  /// Names of the layers to prune; empty = every layer with a prunable weight (nested models
  /// included). A name that is not such a layer is an error.
  std::vector<std::string> layers;
  /// The fine-tuning run (epochs, batchSize, seed, callbacks, ...). With epochs = 0 the kernels
  /// are pruned at once to the final sparsity (one-shot pruning, no training).
  FitArgs fit;
};

/// Zeros of one pruned weight after pruning.
struct LayerSparsity {
  std::string layer;      ///< layer name
  std::string className;  ///< its Keras class
  std::string weight;     ///< "kernel", "depthwise_kernel", ...
  int64_t size = 0;       ///< scalars in the weight
  int64_t zeros = 0;      ///< how many are exactly 0
  double sparsity() const { return size ? static_cast<double>(zeros) / static_cast<double>(size) : 0.0; }
};

struct PruneResult {
  History history;
  std::vector<LayerSparsity> layers;
};

/// A fit() callback that applies magnitude pruning masks to `layers` (empty = every prunable
/// layer) of the model it is attached to: before each batch it recomputes the masks when the
/// schedule says so (keeping the k = max(1, round(size * (1 - sparsity))) largest |w| of each
/// kernel, ties broken by position, so the sparsity is exact), and after every optimizer step it
/// multiplies the kernels by their masks, so pruned weights are exactly zero between steps and
/// at the end. Steps are counted by the callback across fits. `schedule.endStep` must be set.
CallbackPtr pruningCallback(const PolynomialDecay& schedule, const std::vector<std::string>& layers = {});

/// Fine-tunes `model` on x/y with magnitude pruning (TFMOT `prune_low_magnitude` + `fit` with
/// `UpdatePruningStep`). The model must be compiled, or have a trainingConfig to compile from.
/// With schedule.endStep = -1 the final sparsity is reached at the last batch. If training
/// fails the weights from before are restored (fit's guarantee). Throws strata::Error for a bad
/// schedule or a layer name that cannot be pruned, before anything changes.
PruneResult pruneLowMagnitude(const LayersModel& model, const Tensor& x, const Tensor& y, const PruneArgs& args);
PruneResult pruneLowMagnitude(const LayersModel& model, const std::vector<Tensor>& xs, const std::vector<Tensor>& ys,
                              const PruneArgs& args);

/// One-shot magnitude pruning without training: each prunable kernel of `layers` (empty = every
/// prunable layer) keeps its max(1, round(size * (1 - sparsity))) largest |w|; the rest become 0.
/// Throws strata::Error for a sparsity outside [0, 1) or a layer that cannot be pruned.
std::vector<LayerSparsity> pruneLowMagnitudeOnce(const LayersModel& model, float sparsity,
                                                 const std::vector<std::string>& layers = {});

/// The zeros of every prunable weight of `model` (in layer order), pruned or not.
std::vector<LayerSparsity> sparsityReport(const LayersModel& model);

// ---- structured pruning ----------------------------------------------------------------------

struct StructuredPruneArgs {
  /// Fraction of the filters (Conv2D) or units (Dense) of each pruned layer to remove, in
  /// [0, 1): round(fraction * n) of them, keeping at least one.
  float fraction = 0.5f;
  /// Names of the Conv2D/Dense layers to prune; empty = every Conv2D and Dense whose output
  /// reaches another Conv2D or Dense (the output layer keeps its units).
  std::vector<std::string> layers;
};

/// What happened to one pruned layer.
struct StructuredLayerReport {
  std::string layer, className;
  int64_t before = 0, after = 0;  ///< filters or units
  std::vector<int64_t> kept;      ///< indices of the kept filters/units, ascending
};

struct StructuredPruneResult {
  LayersModel model;  ///< the smaller model (uncompiled; it keeps the original's trainingConfig)
  std::vector<StructuredLayerReport> layers;
  int64_t paramsBefore = 0, paramsAfter = 0;
};

/// Removes the filters/units with the lowest L1 norm (sum of |kernel| over the filter's slice)
/// from Conv2D and Dense layers of a Sequential model and rewrites what follows: the
/// BatchNormalization parameters of those channels, the next Conv2D's input channels, the next
/// Dense's input rows (after Flatten: the rows of those channels at every spatial position).
/// Between a pruned layer and the next Conv2D/Dense only per-channel layers may appear
/// (pooling, padding, cropping, upsampling, activations, dropout and noise, BatchNormalization,
/// Flatten, global pooling). The remaining units compute exactly what they computed before;
/// the removed ones' contributions are gone. The original model is not changed. Throws
/// strata::Error naming the model or layer for a functional model, a bad fraction, an unknown or
/// unprunable layer name, or a layer this rewrite does not support after a pruned layer.
StructuredPruneResult pruneStructured(const LayersModel& model, const StructuredPruneArgs& args = {});

}  // namespace strata
