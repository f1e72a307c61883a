// Records TF.js training runs that tests/train/fit_conformance_test.cpp replays with Strata's
// compile/fit/evaluate. Each case: a tiny model with seeded weights saved BEFORE training
// (initial/model.json + weights.bin), seeded x/y (.npy), the compile arguments (the optimizer as
// TF.js serializes it, loss and metric names), the fit arguments, and what TF.js computed:
// history.history (every key, every epoch), the loss of every batch (onBatchEnd, in order), the
// final weights in model.getWeights() order (final_<i>.npy) and evaluate() on x/y afterwards.
//
// Where TF.js 4.22 lacks a Keras feature that Strata's API has, the case emulates it with TF.js's
// own pieces and says so in case.json `notes` (lossWeights, the huber loss by name, weight
// constraints during fit). sampleWeight is not recorded: tfjs-layers 4.22's fit throws
// "sample weight is not supported yet". Dropout is left out (its RNG cannot match).
import fs from 'node:fs';
import path from 'node:path';
import { rng, hash, writeNpy } from '../npy.mjs';

// ---- helpers -------------------------------------------------------------------------------

// Seeded values for every weight (as generate_models.mjs): variances stay positive.
function seedWeights(tf, model, rand, scale) {
  const values = model.weights.map((w) => {
    const n = w.shape.reduce((a, b) => a * b, 1);
    const positive = /moving_variance/.test(w.originalName ?? w.name);
    const v = new Float32Array(n);
    for (let i = 0; i < n; i++) v[i] = positive ? 0.5 + rand() : (rand() * 2 - 1) * scale;
    return tf.tensor(v, w.shape, 'float32');
  });
  model.setWeights(values);  // note: applies weight constraints, so initial weights satisfy them
}

async function saveModel(tf, model, dir) {
  fs.mkdirSync(dir, { recursive: true });
  await model.save(tf.io.withSaveHandler(async (artifacts) => {
    const json = {
      modelTopology: artifacts.modelTopology, format: artifacts.format, generatedBy: artifacts.generatedBy,
      convertedBy: artifacts.convertedBy, weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }],
    };
    fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify(json));
    fs.writeFileSync(path.join(dir, 'weights.bin'), Buffer.from(artifacts.weightData));
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
}

// Seeded data generators: each returns a tf.Tensor.
const data = {
  uniform: (tf, rand, shape, lo = -1, hi = 1) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const v = new Float32Array(n);
    for (let i = 0; i < n; i++) v[i] = lo + (hi - lo) * rand();
    return tf.tensor(v, shape, 'float32');
  },
  // Teacher logits: a seeded linear map of the flattened inputs, so that labels are learnable
  // and accuracies move during training.
  logits: (tf, rand, x, k) => tf.tidy(() => {
    const flat = x.reshape([x.shape[0], -1]).toFloat();
    return flat.matMul(data.uniform(tf, rand, [flat.shape[1], k])).add(data.uniform(tf, rand, [x.shape[0], k], -0.3, 0.3));
  }),
  classes: (tf, rand, x, k) => data.logits(tf, rand, x, k).argMax(-1),
  oneHot: (tf, rand, x, k) => tf.oneHot(data.classes(tf, rand, x, k), k).toFloat(),
  // Sparse labels as float32 [n, 1], as Keras users feed them.
  sparse: (tf, rand, x, k) => data.classes(tf, rand, x, k).toFloat().reshape([-1, 1]),
  // 0/1 targets, one column per label.
  binary: (tf, rand, x, k = 1) => data.logits(tf, rand, x, k).greater(0).toFloat(),
  // -1/+1 targets for the hinge losses.
  signs: (tf, rand, x, k) => data.binary(tf, rand, x, k).mul(2).sub(1),
  // Rows of positive values summing to 1 (targets for kld).
  distribution: (tf, rand, x, k) => tf.softmax(data.logits(tf, rand, x, k)),
  // Small non-negative integers as float32 (Poisson counts).
  counts: (tf, rand, x, k) => data.uniform(tf, rand, [x.shape[0], k], 0, 4).floor(),
  ints: (tf, rand, shape, k) => {
    const n = shape.reduce((a, b) => a * b, 1);
    return tf.tensor(Array.from({ length: n }, () => Math.min(k - 1, Math.floor(rand() * k))), shape, 'int32');
  },
};

// ---- models --------------------------------------------------------------------------------

const mlp = (tf, { inputs = 4, hidden = 8, units = 3, activation = 'softmax', hiddenActivation = 'relu' } = {}) =>
  tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [inputs], units: hidden, activation: hiddenActivation, name: 'hidden' }),
      tf.layers.dense({ units, activation, name: 'out' }),
    ],
  });

// x ~ U(-1, 1) [n, 4]; y one-hot over 3 classes.
const classification = (tf, rand, n = 40) => {
  const x = data.uniform(tf, rand, [n, 4]);
  return { x, y: data.oneHot(tf, rand, x, 3) };
};

// ---- optimizers (TF.js objects; case.json stores their serialization) -----------------------

const optimizers = {
  sgd: (tf) => tf.train.sgd(0.1),
  momentum: (tf) => tf.train.momentum(0.05, 0.9, false),
  nesterov: (tf) => tf.train.momentum(0.05, 0.9, true),
  adam: (tf) => tf.train.adam(0.01, 0.85, 0.995, 1e-6),
  adamax: (tf) => tf.train.adamax(0.02, 0.9, 0.99, 1e-6, 0.01),
  adagrad: (tf) => tf.train.adagrad(0.1, 0.2),
  adadelta: (tf) => tf.train.adadelta(1.0, 0.9, 1e-6),
  rmsprop: (tf) => tf.train.rmsprop(0.01, 0.9, 0, 1e-6, false),
  // epsilon 0: TF.js 4.22's centered RMSProp divides by sqrt(ms - (mg^2 + epsilon)) (epsilon
  // subtracted, NaN as soon as a gradient is near 0) where Keras uses sqrt(ms - mg^2 + epsilon);
  // with epsilon 0 both are sqrt(ms - mg^2). Its case uses tanh so that no gradient is exactly 0.
  rmsprop_centered_momentum: (tf) => tf.train.rmsprop(0.01, 0.8, 0.5, 0, true),
};

// ---- cases ---------------------------------------------------------------------------------
// name, build(tf), data(tf, rand) -> {x, y} (arrays for several outputs), compile {optimizer,
// loss, metrics, lossWeights}, fit {epochs, batchSize, validationSplit, classWeight}; optional
// rtol/atol with tolReason, emulate (see run()), notes.

const cases = [];

for (const [opt, make] of Object.entries(optimizers)) {
  cases.push({
    name: `optimizer_${opt}`,
    build: (tf) => mlp(tf, { hiddenActivation: opt === 'rmsprop_centered_momentum' ? 'tanh' : 'relu' }),
    data: classification,
    // 'acc' and 'accuracy' both log as "acc" in TF.js; use each spelling somewhere.
    compile: { optimizer: make, loss: 'categoricalCrossentropy', metrics: [opt.length % 2 ? 'acc' : 'accuracy'] },
    fit: { epochs: 3, batchSize: 16 },  // 40 samples: batches of 16, 16, 8
  });
}

// x ~ U(-1, 1) [32, 4]; y from `targets(x)` (default: U(-1, 1) [32, out]).
const regression = (tf, rand, { out = 2, targets = null } = {}) => {
  const x = data.uniform(tf, rand, [32, 4]);
  return { x, y: targets ? targets(x) : data.uniform(tf, rand, [32, out]) };
};

const lossCases = [
  // name, loss, output activation, units, targets, optimizer, metrics
  ['mse', 'meanSquaredError', 'linear', 2, null, (tf) => tf.train.sgd(0.1), ['mae']],
  ['mae', 'meanAbsoluteError', 'linear', 2, null, (tf) => tf.train.adam(0.02), ['mse']],
  ['binary_crossentropy', 'binaryCrossentropy', 'sigmoid', 1, (tf, r, x) => data.binary(tf, r, x, 1),
    (tf) => tf.train.adam(0.02), ['accuracy']],
  // tfjs-layers' precision counts a prediction as positive only when it equals 1 exactly (no 0.5
  // threshold), so on sigmoid probabilities it is 0 unless the sigmoid saturates; its own case
  // keeps that quirk from hiding the rest of the binary case.
  ['metric_precision', 'binaryCrossentropy', 'sigmoid', 1, (tf, r, x) => data.binary(tf, r, x, 1),
    (tf) => tf.train.adam(0.05), ['precision']],
  // Several sigmoid outputs: with binaryCrossentropy, "acc" is binary accuracy even though the
  // last axis is not 1 (the Keras rule).
  ['binary_multilabel', 'binaryCrossentropy', 'sigmoid', 3, (tf, r, x) => data.binary(tf, r, x, 3),
    (tf) => tf.train.sgd(0.2), ['acc']],
  ['sparse_categorical', 'sparseCategoricalCrossentropy', 'softmax', 3, (tf, r, x) => data.sparse(tf, r, x, 3),
    (tf) => tf.train.adam(0.02), ['accuracy']],
  ['hinge', 'hinge', 'tanh', 2, (tf, r, x) => data.signs(tf, r, x, 2), (tf) => tf.train.sgd(0.1), []],
  ['squared_hinge', 'squaredHinge', 'tanh', 2, (tf, r, x) => data.signs(tf, r, x, 2), (tf) => tf.train.sgd(0.1), []],
  ['categorical_hinge', 'categoricalHinge', 'softmax', 3, (tf, r, x) => data.oneHot(tf, r, x, 3),
    (tf) => tf.train.adam(0.02), ['accuracy']],
  ['kld', 'kullbackLeiblerDivergence', 'softmax', 3, (tf, r, x) => data.distribution(tf, r, x, 3),
    (tf) => tf.train.adam(0.02), []],
  ['poisson', 'poisson', 'softplus', 2, (tf, r, x) => data.counts(tf, r, x, 2), (tf) => tf.train.adam(0.02), []],
  ['logcosh', 'logcosh', 'linear', 2, null, (tf) => tf.train.sgd(0.2), []],
  ['cosine_proximity', 'cosineProximity', 'linear', 3, (tf, r, x) => data.uniform(tf, r, [x.shape[0], 3]),
    (tf) => tf.train.adam(0.02), ['cosine']],
  ['mape', 'meanAbsolutePercentageError', 'linear', 2, (tf, r, x) => data.uniform(tf, r, [x.shape[0], 2], 1, 2),
    (tf) => tf.train.adam(0.02), ['mape']],
  ['msle', 'meanSquaredLogarithmicError', 'softplus', 2, (tf, r, x) => data.uniform(tf, r, [x.shape[0], 2], 0, 3),
    (tf) => tf.train.adam(0.02), []],
];
for (const [name, loss, activation, units, targets, optimizer, metrics] of lossCases) {
  cases.push({
    name: name.startsWith('metric_') ? name : `loss_${name}`,
    build: (tf) => mlp(tf, { units, activation, hiddenActivation: 'tanh' }),
    data: (tf, rand) => regression(tf, rand, { out: units, targets: targets && ((x) => targets(tf, rand, x)) }),
    compile: { optimizer, loss, metrics },
    fit: { epochs: 3, batchSize: 12 },  // 32 samples: 12, 12, 8
  });
}

// huber: tfjs-layers 4.22's compile does not know the name (its lossesMap has no huber), so the
// oracle trains with a custom loss built from tf.losses.huberLoss (delta 1, no reduction) and
// the mean over the last axis, which is Keras's `huber` and Strata's losses::huber.
cases.push({
  name: 'loss_huber',
  build: (tf) => mlp(tf, { units: 2, activation: 'linear', hiddenActivation: 'tanh' }),
  data: (tf, rand) => regression(tf, rand, { targets: (x) => data.uniform(tf, rand, [x.shape[0], 2], -3, 3) }),
  compile: {
    optimizer: (tf) => tf.train.sgd(0.1), loss: 'huber', metrics: [],
    tfjsLoss: (tf) => (yTrue, yPred) => tf.losses.huberLoss(yTrue, yPred, undefined, 1.0, tf.Reduction.NONE).mean(-1),
  },
  fit: { epochs: 3, batchSize: 12 },
  notes: 'TF.js compile has no "huber"; the oracle uses tf.losses.huberLoss(delta 1, Reduction.NONE).mean(-1)',
});

// Two outputs, one loss each. TF.js logs loss, <out>_loss per output, then <out>_<metric>.
const twoOutputs = (tf) => {
  const input = tf.input({ shape: [4], name: 'features' });
  const h = tf.layers.dense({ units: 6, activation: 'tanh', name: 'trunk' }).apply(input);
  const cls = tf.layers.dense({ units: 3, activation: 'softmax', name: 'cls' }).apply(h);
  const reg = tf.layers.dense({ units: 2, name: 'reg' }).apply(h);
  return tf.model({ inputs: input, outputs: [cls, reg], name: 'two_outputs' });
};
const twoOutputData = (tf, rand) => {
  const x = data.uniform(tf, rand, [32, 4]);
  return { x, y: [data.oneHot(tf, rand, x, 3), data.logits(tf, rand, x, 2)] };
};
cases.push({
  name: 'two_outputs',
  build: twoOutputs,
  data: twoOutputData,
  compile: { optimizer: (tf) => tf.train.adam(0.02), loss: ['categoricalCrossentropy', 'meanSquaredError'], metrics: ['accuracy'] },
  fit: { epochs: 3, batchSize: 10 },  // 10, 10, 10, 2
});
// lossWeights: tfjs-layers 4.22 compile ignores them (a TODO in training.ts), so the oracle
// multiplies each output's per-sample loss by its weight in a custom loss. The weights are powers
// of two, so the weighted per-output means divided back by the weight are the unweighted means
// exactly: the <out>_loss keys are recorded unweighted (Keras logs them so); "loss" is weighted.
cases.push({
  name: 'two_outputs_loss_weights',
  build: twoOutputs,
  data: twoOutputData,
  compile: {
    optimizer: (tf) => tf.train.sgd(0.1), loss: ['categoricalCrossentropy', 'meanSquaredError'], lossWeights: [2, 0.5],
    metrics: ['accuracy'],
  },
  fit: { epochs: 3, batchSize: 10 },
  notes: 'TF.js ignores lossWeights; emulated with weighted custom losses (weights are powers of 2, so exact)',
});

// Conv2D + BatchNormalization (moving statistics update in training) + MaxPool + Flatten + Dense.
cases.push({
  name: 'cnn_batchnorm',
  build: (tf) => tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [6, 6, 2], filters: 3, kernelSize: 3, activation: 'relu', name: 'conv' }),
      tf.layers.batchNormalization({ momentum: 0.9, name: 'bn' }),
      tf.layers.maxPooling2d({ poolSize: 2, name: 'pool' }),
      tf.layers.flatten({ name: 'flat' }),
      tf.layers.dense({ units: 3, activation: 'softmax', name: 'out' }),
    ],
  }),
  data: (tf, rand) => {
    const x = data.uniform(tf, rand, [24, 6, 6, 2]);
    return { x, y: data.oneHot(tf, rand, x, 3) };
  },
  compile: { optimizer: (tf) => tf.train.momentum(0.05, 0.9), loss: 'categoricalCrossentropy', metrics: ['accuracy'] },
  fit: { epochs: 3, batchSize: 8 },
});

// Recurrent sequence classifiers (back-propagation through time).
for (const [name, layer, optimizer] of [
  ['lstm', 'lstm', (tf) => tf.train.adam(0.02)],
  ['gru', 'gru', (tf) => tf.train.rmsprop(0.01)],
  ['simple_rnn', 'simpleRNN', (tf) => tf.train.sgd(0.1)],
]) {
  cases.push({
    name: `rnn_${name}`,
    build: (tf) => tf.sequential({
      layers: [
        tf.layers[layer]({ inputShape: [5, 3], units: 4, name: 'rnn' }),
        tf.layers.dense({ units: 2, activation: 'softmax', name: 'out' }),
      ],
    }),
    data: (tf, rand) => {
      const x = data.uniform(tf, rand, [24, 5, 3]);
      return { x, y: data.oneHot(tf, rand, x, 2) };
    },
    compile: { optimizer, loss: 'categoricalCrossentropy', metrics: ['accuracy'] },
    fit: { epochs: 3, batchSize: 8 },
  });
}

// Embedding with int32 inputs + GlobalAveragePooling1D (gradients through gather).
cases.push({
  name: 'embedding_pooling',
  build: (tf) => tf.sequential({
    layers: [
      tf.layers.embedding({ inputDim: 10, outputDim: 4, inputLength: 6, name: 'embed' }),
      tf.layers.globalAveragePooling1d({ name: 'gap' }),
      tf.layers.dense({ units: 1, activation: 'sigmoid', name: 'out' }),
    ],
  }),
  data: (tf, rand) => {
    const x = data.ints(tf, rand, [32, 6], 10);
    return { x, y: data.binary(tf, rand, x.toFloat().sub(4.5), 1) };  // a linear teacher of the token ids
  },
  compile: { optimizer: (tf) => tf.train.adam(0.05), loss: 'binaryCrossentropy', metrics: ['accuracy'] },
  fit: { epochs: 3, batchSize: 8 },
});

// l2 kernel regularizer (its penalty is part of the training loss, not of evaluate's) and a
// binding maxNorm kernel constraint. TF.js 4.22's fit never applies constraints (the optimizer
// writes the variables directly; tensorflow/tfjs#3345), whereas Keras projects after every
// optimizer step, as Strata's weight_policies.h promises. The oracle therefore projects each
// constrained kernel with TF.js's own constraint after every batch (LayerVariable.write). The
// case records how many projections changed a weight, so it can be seen to bind.
cases.push({
  name: 'regularizer_constraint',
  build: (tf) => tf.sequential({
    layers: [
      tf.layers.dense({
        inputShape: [4], units: 6, activation: 'tanh', name: 'hidden',
        kernelRegularizer: tf.regularizers.l2({ l2: 0.01 }), kernelConstraint: tf.constraints.maxNorm({ maxValue: 0.9, axis: 0 }),
      }),
      tf.layers.dense({ units: 3, activation: 'softmax', name: 'out', kernelRegularizer: tf.regularizers.l1l2({ l1: 0.005, l2: 0.01 }) }),
    ],
  }),
  data: classification,
  compile: { optimizer: (tf) => tf.train.sgd(0.5), loss: 'categoricalCrossentropy', metrics: ['accuracy'] },
  fit: { epochs: 3, batchSize: 16 },
  weightScale: 0.8,
  emulate: 'constraints',
  notes: 'TF.js fit does not apply kernelConstraint (tfjs#3345); oracle applies it after each batch as Keras does',
});

// A frozen middle layer: its kernel and bias stay put and come after the trainable weights.
cases.push({
  name: 'frozen_layer',
  build: (tf) => tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [4], units: 6, activation: 'relu', name: 'first' }),
      tf.layers.dense({ units: 5, activation: 'tanh', name: 'frozen', trainable: false }),
      tf.layers.dense({ units: 3, activation: 'softmax', name: 'out' }),
    ],
  }),
  data: classification,
  compile: { optimizer: (tf) => tf.train.adam(0.02), loss: 'categoricalCrossentropy', metrics: ['accuracy'] },
  fit: { epochs: 3, batchSize: 16 },
});

// validationSplit: the last 25% (10 of 40 samples) is held out; val_ keys per epoch.
cases.push({
  name: 'validation_split',
  build: (tf) => mlp(tf),
  data: classification,
  compile: { optimizer: (tf) => tf.train.adam(0.02), loss: 'categoricalCrossentropy', metrics: ['accuracy', 'mse'] },
  fit: { epochs: 4, batchSize: 8, validationSplit: 0.25 },
});
cases.push({
  name: 'validation_split_two_outputs',
  build: twoOutputs,
  data: twoOutputData,
  compile: { optimizer: (tf) => tf.train.sgd(0.1), loss: ['categoricalCrossentropy', 'meanSquaredError'], metrics: ['acc'] },
  fit: { epochs: 2, batchSize: 8, validationSplit: 0.3 },  // splitAt floor(32 * 0.7) = 22
});

// classWeight: each sample's loss is multiplied by its class's weight (mean over the batch, not
// normalized by the weights), for one-hot and sparse targets.
cases.push({
  name: 'class_weight',
  build: (tf) => mlp(tf),
  data: classification,
  compile: { optimizer: (tf) => tf.train.sgd(0.1), loss: 'categoricalCrossentropy', metrics: ['accuracy'] },
  fit: { epochs: 3, batchSize: 16, classWeight: { 0: 1.0, 1: 2.5, 2: 0.5 } },
});
cases.push({
  name: 'class_weight_sparse',
  build: (tf) => mlp(tf),
  data: (tf, rand) => {
    const x = data.uniform(tf, rand, [40, 4]);
    return { x, y: data.sparse(tf, rand, x, 3) };
  },
  compile: { optimizer: (tf) => tf.train.adam(0.02), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] },
  fit: { epochs: 3, batchSize: 16, classWeight: { 0: 0.3, 1: 1.0, 2: 3.0 } },
});

// ---- running one case ------------------------------------------------------------------------

const asArray = (v) => (Array.isArray(v) ? v : [v]);

// The loss TF.js trains with for output i: a name, or a custom function where TF.js lacks the
// feature (lossWeights, huber).
function tfjsLosses(tf, compile) {
  const names = asArray(compile.loss);
  if (compile.tfjsLoss) return compile.tfjsLoss(tf);
  if (!compile.lossWeights) return compile.loss;
  return names.map((n, i) => {
    const w = compile.lossWeights[i];
    const fn = lossFnByName(tf, n);
    return (yTrue, yPred) => tf.mul(fn(yTrue, yPred), w);
  });
}

// tfjs-layers' own loss functions by compile name (tf.metrics.* call the same functions that
// compile('name') uses).
function lossFnByName(tf, name) {
  const table = {
    categoricalCrossentropy: tf.metrics.categoricalCrossentropy,
    meanSquaredError: tf.metrics.meanSquaredError,
  };
  if (!table[name]) throw new Error(`fit_cases: no TF.js loss function for '${name}' in lossWeights emulation`);
  return table[name];
}

// Projects every constrained kernel of `model` with its own constraint (LayerVariable.write
// applies the constraint); returns how many weights changed.
function applyConstraints(tf, model) {
  let changed = 0;
  for (const layer of model.layers) {
    for (const w of layer.weights) {
      if (!w.constraint) continue;
      tf.tidy(() => {
        const before = w.read().clone();
        w.write(before.clone());
        changed += w.read().notEqual(before).sum().dataSync()[0];
      });
    }
  }
  return changed;
}

// TF.js 4.22's test function (evaluate and validation) returns, for k > 1 outputs, the running
// total loss after each output (k values) and then the metrics, but labels them with
// metricsNames (loss, <out>_loss..., metrics) from the start: "loss" gets output 0's loss, the
// last metric falls off. Keras's meaning, recovered by name: loss = the k-th value, then the
// per-output losses and metrics in metricsNames order.
function testOutputsByName(values, numOutputs, names) {
  const k = numOutputs;
  const ordered = k === 1 ? values : [values[k - 1], ...values.slice(k)];
  if (ordered.length !== names.length) throw new Error(`test outputs: ${values.length} values for ${names}`);
  return Object.fromEntries(names.map((n, i) => [n, ordered[i]]));
}

const evaluateByName = (tf, model, xs, ys, batchSize) => {
  const out = asArray(model.evaluate(xs.length === 1 ? xs[0] : xs, ys.length === 1 ? ys[0] : ys, { batchSize }));
  const values = out.map((t) => t.dataSync()[0]);
  tf.dispose(out);
  return { values, byName: testOutputsByName(values, ys.length, model.metricsNames) };
};

async function run(tf, spec, outDir) {
  const dir = path.join(outDir, spec.name);
  fs.mkdirSync(dir, { recursive: true });
  const rand = rng(hash(`fit_cases/${spec.name}`));

  const model = spec.build(tf);
  seedWeights(tf, model, rand, spec.weightScale ?? 0.5);
  await saveModel(tf, model, path.join(dir, 'initial'));

  const { x, y } = spec.data(tf, rand);
  const xs = asArray(x), ys = asArray(y);
  const xFiles = xs.length === 1 ? ['x.npy'] : xs.map((_, i) => `x_${i}.npy`);
  const yFiles = ys.length === 1 ? ['y.npy'] : ys.map((_, i) => `y_${i}.npy`);
  xs.forEach((t, i) => writeNpy(path.join(dir, xFiles[i]), t));
  ys.forEach((t, i) => writeNpy(path.join(dir, yFiles[i]), t));

  const optimizer = spec.compile.optimizer(tf);
  const optimizerJson = { class_name: optimizer.getClassName(), config: optimizer.getConfig() };
  const metrics = spec.compile.metrics ?? [];
  model.compile({ optimizer, loss: tfjsLosses(tf, spec.compile), metrics });

  const batchLoss = [];
  let projections = 0;
  // Validation of a multi-output model: TF.js's val_ logs are mislabeled (testOutputsByName), so
  // the epoch's validation is evaluated again at onEpochEnd (same weights, same batch size, same
  // test function) and checked against the values TF.js did log.
  const fixVal = spec.fit.validationSplit && ys.length > 1;
  const splitAt = Math.floor(xs[0].shape[0] * (1 - (spec.fit.validationSplit ?? 0)));
  const valXs = xs.map((t) => t.slice(splitAt)), valYs = ys.map((t) => t.slice(splitAt));
  const valHistory = {};
  const fitArgs = {
    epochs: spec.fit.epochs, batchSize: spec.fit.batchSize, shuffle: false, verbose: 0,
    ...(spec.fit.validationSplit ? { validationSplit: spec.fit.validationSplit } : {}),
    ...(spec.fit.classWeight ? { classWeight: spec.fit.classWeight } : {}),
  };
  const history = await model.fit(xs.length === 1 ? xs[0] : xs, ys.length === 1 ? ys[0] : ys, {
    ...fitArgs,
    callbacks: {
      onBatchEnd: async (batch, logs) => {
        batchLoss.push(logs.loss);
        if (spec.emulate === 'constraints') projections += applyConstraints(tf, model);
      },
      onEpochEnd: async (epoch, logs) => {
        if (!fixVal) return;
        const { values, byName } = evaluateByName(tf, model, valXs, valYs, spec.fit.batchSize);
        model.metricsNames.forEach((n, i) => {
          if (logs[`val_${n}`] !== values[i]) throw new Error(`re-evaluated validation differs from TF.js's at val_${n}`);
          (valHistory[`val_${n}`] ??= []).push(byName[n]);
        });
      },
    },
  });
  tf.dispose([...valXs, ...valYs]);
  if (spec.emulate === 'constraints' && projections === 0)
    throw new Error(`case ${spec.name}: the constraint never bound; make it tighter`);

  // Per-output losses are logged unweighted (see two_outputs_loss_weights).
  const hist = {};
  for (const [k, v] of Object.entries(history.history)) hist[k] = v.slice();
  Object.assign(hist, valHistory);
  if (spec.compile.lossWeights) {
    model.outputNames.forEach((name, i) => {
      for (const prefix of ['', 'val_']) {
        const key = `${prefix}${name}_loss`;
        if (hist[key]) hist[key] = hist[key].map((v) => v / spec.compile.lossWeights[i]);
      }
    });
  }

  const finalWeights = model.getWeights();
  finalWeights.forEach((t, i) => writeNpy(path.join(dir, `final_${i}.npy`), t));

  // evaluate() on all of x/y after training, with the fit batch size.
  const evaluate = evaluateByName(tf, model, xs, ys, spec.fit.batchSize).byName;
  if (spec.compile.lossWeights) {
    model.outputNames.forEach((name, i) => { evaluate[`${name}_loss`] /= spec.compile.lossWeights[i]; });
  }

  const entry = {
    name: spec.name,
    model: 'initial/model.json',
    x: xFiles,
    y: yFiles,
    compile: {
      optimizer: optimizerJson,
      loss: asArray(spec.compile.loss),
      lossWeights: spec.compile.lossWeights ?? null,
      metrics,
    },
    fit: fitArgs,
    evaluateBatchSize: spec.fit.batchSize,
    epoch: history.epoch,
    history: hist,
    batchLoss,
    // trainable as the model sees it (a frozen layer's variables keep their own flag true).
    weights: model.weights.map((w, i) => ({
      file: `final_${i}.npy`, name: w.originalName ?? w.name, shape: w.shape, trainable: model.trainableWeights.includes(w),
    })),
    evaluate,
    rtol: spec.rtol ?? 1e-4,
    atol: spec.atol ?? 1e-5,
    ...(spec.tolReason ? { tolReason: spec.tolReason } : {}),
    ...(spec.emulate ? { emulated: spec.emulate, constraintProjections: projections } : {}),
    ...(spec.notes ? { notes: spec.notes } : {}),
  };
  fs.writeFileSync(path.join(dir, 'case.json'), JSON.stringify(entry, null, 1));
  tf.dispose([...xs, ...ys]);  // getWeights() returns the variables themselves
  optimizer.dispose();
  model.dispose();
  return entry;
}

export async function generate(outDir, tf) {
  // Start clean: a case dropped from this file must not linger as a stale fixture.
  fs.rmSync(outDir, { recursive: true, force: true });
  fs.mkdirSync(outDir, { recursive: true });
  const index = [];
  for (const spec of cases) {
    try {
      const entry = await run(tf, spec, outDir);
      index.push(entry.name);
    } catch (e) {
      throw new Error(`fit_cases: case '${spec.name}': ${e.stack}`);
    }
  }
  fs.writeFileSync(path.join(outDir, 'index.json'), JSON.stringify({
    tfjs: tf.version.tfjs, cases: index,
    skipped: { sampleWeight: 'tfjs-layers 4.22 fit() throws "sample weight is not supported yet"' },
  }, null, 1));
}
