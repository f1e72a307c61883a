// Op cases for losses and metrics (src/train/losses.cpp, src/train/metrics.cpp), each computed
// by the TF.js function that compile() would call; tests/ops/loss_ops.cpp maps the same names
// to Strata's. Losses come from a compiled tfjs-layers model (model.lossFunctions[0] is exactly
// what compile() resolved the name to: several losses, e.g. hinge, logcosh, poisson, are not
// exported by tf.losses/tf.metrics). Losses tfjs-layers has no name for are composed from the
// tf.losses.* functions their Strata doc names; topKCategoricalAccuracy from tf.topk (tfjs-layers
// throws NotImplementedError for it).

const compiled = new Map();
function layersLoss(tf, name) {
  if (!compiled.has(name)) {
    const input = tf.input({ shape: [1] });
    const model = tf.model({ inputs: input, outputs: tf.layers.dense({ units: 1 }).apply(input) });
    model.compile({ optimizer: 'sgd', loss: name });
    compiled.set(name, model.lossFunctions[0]);
  }
  return compiled.get(name);
}

const L = (name) => (tf, [t, p]) => layersLoss(tf, name)(t, p);
const M = (name) => (tf, [t, p]) => tf.metrics[name](t, p);
const NONE = (tf) => tf.Reduction.NONE;

export const ops = {
  'losses.meanSquaredError': L('meanSquaredError'),
  'losses.meanAbsoluteError': L('meanAbsoluteError'),
  'losses.meanAbsolutePercentageError': L('meanAbsolutePercentageError'),
  'losses.meanSquaredLogarithmicError': L('meanSquaredLogarithmicError'),
  'losses.squaredHinge': L('squaredHinge'),
  'losses.hinge': L('hinge'),
  'losses.categoricalHinge': L('categoricalHinge'),
  'losses.logcosh': L('logcosh'),
  'losses.categoricalCrossentropy': L('categoricalCrossentropy'),
  'losses.sparseCategoricalCrossentropy': L('sparseCategoricalCrossentropy'),
  'losses.binaryCrossentropy': L('binaryCrossentropy'),
  'losses.kullbackLeiblerDivergence': L('kullbackLeiblerDivergence'),
  'losses.poisson': L('poisson'),
  'losses.cosineProximity': L('cosineProximity'),
  // tfjs-layers 4.22 has no 'huber' (compile throws "Unknown loss huber"): Keras's huber is
  // tf.losses.huberLoss (delta 1) per element, averaged over the last axis.
  'losses.huber': (tf, [t, p]) => tf.mean(tf.losses.huberLoss(t, p, undefined, 1, NONE(tf)), -1),
  'losses.binaryCrossentropyFromLogits': (tf, [t, x]) =>
    tf.mean(tf.losses.sigmoidCrossEntropy(t, x, undefined, 0, NONE(tf)), -1),
  'losses.categoricalCrossentropyFromLogits': (tf, [t, x]) =>
    tf.losses.softmaxCrossEntropy(t, x, undefined, 0, NONE(tf)),
  'metrics.binaryAccuracy': M('binaryAccuracy'),
  'metrics.categoricalAccuracy': M('categoricalAccuracy'),
  'metrics.sparseCategoricalAccuracy': M('sparseCategoricalAccuracy'),
  'metrics.precision': M('precision'),
  'metrics.recall': M('recall'),
  'metrics.topKCategoricalAccuracy': (tf, [t, p], a) =>
    tf.cast(tf.any(tf.equal(tf.topk(p, a.k).indices, tf.expandDims(tf.argMax(t, -1), -1)), -1), 'float32'),
};

const f = (shape, min, max) => ({ shape, min, max });
// One-hot rows for the given class indices.
const oneHot = (labels, classes) => ({
  values: labels.flatMap((l) => Array.from({ length: classes }, (_, c) => (c === l ? 1 : 0))),
  shape: [labels.length, classes],
});
const values = (v, shape, dtype) => ({ values: v, shape, ...(dtype ? { dtype } : {}) });
// Rows that sum to 1 (softmaxCrossEntropy's gradient assumes it: TF.js's custom gradient for
// the logits is softmax - labels, which is the true gradient only then).
const distributions = values([0.1, 0.2, 0.3, 0.4, 0.5, 0.25, 0.125, 0.125, 0.7, 0.1, 0.1, 0.1], [3, 4]);
const binaryLabels = values([1, 0, 0, 1, 1, 1, 0, 0, 1, 0, 1, 0], [3, 4]);
// Class scores with known argmax per row (0, 2, 0, 3, 1, 1), so the accuracies mix hits and misses.
const scoreRows = [[0.7, 0.1, 0.1, 0.1], [0.1, 0.2, 0.6, 0.1], [0.5, 0.3, 0.1, 0.1], [0.2, 0.1, 0.3, 0.4],
  [0.1, 0.6, 0.2, 0.1], [0.2, 0.5, 0.2, 0.1]];
const classScores = { slice5: values(scoreRows.slice(0, 5).flat(), [5, 4]), all: values(scoreRows.flat(), [6, 4]) };
const rankedScores = values(Array.from({ length: 42 }, (_, i) => ((i * 17) % 43) / 43), [6, 7]);
const signLabels = values([1, -1, -1, 1, 1, 1, -1, -1, 1, -1, 1, -1], [3, 4]);

export const cases = [
  // Regression losses: random values; kinks (|d| = 0, hinge margins, huber's |d| = 1) are
  // measure-zero and the seeded draws keep well away from them.
  { name: 'loss_mse', op: 'losses.meanSquaredError', inputs: [f([3, 4]), f([3, 4])] },
  { name: 'loss_mse_rank3', op: 'losses.meanSquaredError', inputs: [f([2, 3, 4]), f([2, 3, 4])] },
  { name: 'loss_mse_rank1', op: 'losses.meanSquaredError', inputs: [f([5]), f([5])] },
  { name: 'loss_mae', op: 'losses.meanAbsoluteError', inputs: [f([3, 4]), f([3, 4])] },
  { name: 'loss_mape', op: 'losses.meanAbsolutePercentageError', inputs: [f([3, 4], 0.5, 2), f([3, 4], -2, 2)] },
  // A zero target is clipped to epsilon, giving values near 1e9: the forward and TF.js's
  // gradient still compare; finite differences in float32 mean nothing at that scale.
  { name: 'loss_mape_zero_true', op: 'losses.meanAbsolutePercentageError',
    inputs: [values([0, 1, -2, 0.5], [2, 2]), values([0.3, 0.8, -1, 2], [2, 2])], gradInputs: [1], fd: false },
  { name: 'loss_msle', op: 'losses.meanSquaredLogarithmicError', inputs: [f([3, 4], 0.1, 3), f([3, 4], 0.1, 3)] },
  { name: 'loss_squaredHinge', op: 'losses.squaredHinge', inputs: [signLabels, f([3, 4])] },
  { name: 'loss_hinge', op: 'losses.hinge', inputs: [signLabels, f([3, 4])] },
  { name: 'loss_categoricalHinge', op: 'losses.categoricalHinge', inputs: [oneHot([2, 0, 3], 4), f([3, 4], 0.1, 1)] },
  { name: 'loss_logcosh', op: 'losses.logcosh', inputs: [f([3, 4]), f([3, 4], -3, 3)] },
  { name: 'loss_huber', op: 'losses.huber', inputs: [f([3, 4]), f([3, 4])] },

  // Probability losses: predictions inside (0.05, 0.95), away from the clip bounds.
  { name: 'loss_categoricalCrossentropy', op: 'losses.categoricalCrossentropy', inputs: [oneHot([1, 3, 0], 4), f([3, 4], 0.05, 0.95)] },
  { name: 'loss_categoricalCrossentropy_soft', op: 'losses.categoricalCrossentropy', inputs: [distributions, f([3, 4], 0.05, 0.95)] },
  { name: 'loss_categoricalCrossentropy_rank3', op: 'losses.categoricalCrossentropy', inputs: [f([2, 2, 3], 0, 1), f([2, 2, 3], 0.05, 0.95)] },
  // TF.js's floor rejects int32 labels, so the oracle gets float labels; int32 labels (which
  // Strata also takes) are checked against float ones in tests/train/losses_test.cpp.
  { name: 'loss_sparseCategoricalCrossentropy', op: 'losses.sparseCategoricalCrossentropy',
    inputs: [values([1, 3, 0, 2], [4]), f([4, 4], 0.05, 0.95)], gradInputs: [1] },
  // Float labels of shape [batch, 1]: floored (1.7 is class 1); no gradient flows to labels.
  { name: 'loss_sparseCategoricalCrossentropy_float_col', op: 'losses.sparseCategoricalCrossentropy',
    inputs: [values([2, 0, 1.7], [3, 1]), f([3, 3], 0.05, 0.95)], gradInputs: [1] },
  { name: 'loss_sparseCategoricalCrossentropy_rank3', op: 'losses.sparseCategoricalCrossentropy',
    inputs: [values([0, 2, 1, 1, 2, 0], [2, 3]), f([2, 3, 3], 0.05, 0.95)], gradInputs: [1] },
  { name: 'loss_binaryCrossentropy', op: 'losses.binaryCrossentropy', inputs: [binaryLabels, f([3, 4], 0.05, 0.95)] },
  { name: 'loss_binaryCrossentropy_soft', op: 'losses.binaryCrossentropy', inputs: [f([3, 4], 0, 1), f([3, 4], 0.05, 0.95)] },
  { name: 'loss_binaryCrossentropy_column', op: 'losses.binaryCrossentropy', inputs: [values([1, 0, 1, 1], [4, 1]), f([4, 1], 0.05, 0.95)] },
  { name: 'loss_binaryCrossentropyFromLogits', op: 'losses.binaryCrossentropyFromLogits', inputs: [binaryLabels, f([3, 4], -4, 4)] },
  { name: 'loss_categoricalCrossentropyFromLogits', op: 'losses.categoricalCrossentropyFromLogits',
    inputs: [distributions, f([3, 4], -3, 3)], gradInputs: [1] },
  { name: 'loss_kld', op: 'losses.kullbackLeiblerDivergence', inputs: [f([3, 4], 0.05, 0.95), f([3, 4], 0.05, 0.95)] },
  { name: 'loss_poisson', op: 'losses.poisson', inputs: [f([3, 4], 0, 3), f([3, 4], 0.1, 3)] },
  { name: 'loss_cosineProximity', op: 'losses.cosineProximity', inputs: [f([3, 4]), f([3, 4])] },

  // Metrics: step functions of yPred, so no gradients (grad: false).
  { name: 'metric_binaryAccuracy', op: 'metrics.binaryAccuracy', inputs: [binaryLabels, f([3, 4], 0, 1)], grad: false },
  { name: 'metric_binaryAccuracy_column', op: 'metrics.binaryAccuracy',
    inputs: [values([1, 0, 1, 0, 1], [5, 1]), values([0.9, 0.2, 0.5, 0.51, 0.3], [5, 1])], grad: false },
  { name: 'metric_categoricalAccuracy', op: 'metrics.categoricalAccuracy', inputs: [oneHot([0, 2, 1, 3, 3], 4), classScores.slice5], grad: false },
  { name: 'metric_sparseCategoricalAccuracy', op: 'metrics.sparseCategoricalAccuracy',
    inputs: [values([0, 2, 1, 3, 3, 1], [6], 'int32'), classScores.all], grad: false },
  { name: 'metric_sparseCategoricalAccuracy_float_col', op: 'metrics.sparseCategoricalAccuracy',
    inputs: [values([0, 2, 1, 3, 3, 1], [6, 1]), classScores.all], grad: false },
  { name: 'metric_topKCategoricalAccuracy', op: 'metrics.topKCategoricalAccuracy',
    inputs: [oneHot([0, 2, 1, 3, 6, 5, 4, 1], 7), f([8, 7], 0, 1)], attrs: { k: 3 }, grad: false },
  // Distinct scores whose per-row ranking is known: the labels are ranked 1st, 3rd, 1st, 7th,
  // 1st and 2nd, so k = 1 and k = 3 give different mixes of hits.
  { name: 'metric_topKCategoricalAccuracy_k1', op: 'metrics.topKCategoricalAccuracy',
    inputs: [oneHot([5, 0, 1, 2, 2, 5], 7), rankedScores], attrs: { k: 1 }, grad: false },
  { name: 'metric_topKCategoricalAccuracy_k3', op: 'metrics.topKCategoricalAccuracy',
    inputs: [oneHot([5, 0, 1, 2, 2, 5], 7), rankedScores], attrs: { k: 3 }, grad: false },
  // tfjs-layers counts yPred == 1 (no threshold): exact 0/1 predictions, plus a 0.7 that counts
  // as neither.
  { name: 'metric_precision', op: 'metrics.precision',
    inputs: [values([1, 0, 1, 1, 0, 0, 1, 0], [4, 2]), values([1, 1, 0, 1, 0, 1, 0.7, 0], [4, 2])], grad: false },
  { name: 'metric_recall', op: 'metrics.recall',
    inputs: [values([1, 0, 1, 1, 0, 0, 1, 0], [4, 2]), values([1, 1, 0, 1, 0, 1, 0.7, 0], [4, 2])], grad: false },
  // Nothing predicted positive / no positive labels: 0, not NaN.
  { name: 'metric_precision_empty', op: 'metrics.precision', inputs: [values([1, 0, 1], [3, 1]), values([0, 0, 0.4], [3, 1])], grad: false },
  { name: 'metric_recall_empty', op: 'metrics.recall', inputs: [values([0, 0, 0], [3, 1]), values([1, 0, 1], [3, 1])], grad: false },
];
