// TF.js optimizer steps for tests/train/optimizer_test.cpp. For every optimizer configuration
// (non-default parameters, nesterov, centered rmsprop with and without momentum, adamax decay,
// and every string name through tfjs-layers' compile path), a few applyGradients steps on fixed
// float32 variables with fixed seeded gradients, and the variables after each step.
//
// OUT/index.json: {epsilon, shapes, steps, missing, cases: [{name, source, stringName?,
//   className, config, optimizerConfig, iterations}], rejectedNames: [{name, error}],
//   deserialized: [{json, className, config}]}
// OUT/<case>/init_<i>.npy       initial value of variable i
// OUT/<case>/grads_<i>.npy      [steps, ...shape] its gradient at each step (zeros where missing)
// OUT/<case>/values_<i>.npy     [steps, ...shape] its value after each step
import fs from 'node:fs';
import path from 'node:path';
import { hash, rng, writeNpy } from '../npy.mjs';

const SHAPES = [[4], [2, 3], [1]];
const STEPS = 5;
// At this step this variable gets no gradient: every optimizer must skip it (value and state).
const MISSING = { step: 2, variable: 1 };

// Optimizers built directly with tf.train.*, with non-default parameters where they have any.
const CONSTRUCTED = [
  ['sgd', (tf) => tf.train.sgd(0.1)],
  ['momentum', (tf) => tf.train.momentum(0.05, 0.9)],
  ['momentum_nesterov', (tf) => tf.train.momentum(0.05, 0.9, true)],
  ['adam', (tf) => tf.train.adam(0.02, 0.8, 0.95, 1e-6)],
  ['adam_defaults', (tf) => tf.train.adam()],
  ['adamax', (tf) => tf.train.adamax(0.01, 0.85, 0.99, 1e-6)],
  ['adamax_decay', (tf) => tf.train.adamax(0.01, 0.9, 0.999, undefined, 0.1)],
  ['adagrad', (tf) => tf.train.adagrad(0.1, 0.2)],
  ['adagrad_default_accumulator', (tf) => tf.train.adagrad(0.05)],
  ['adadelta', (tf) => tf.train.adadelta(0.5, 0.9, 1e-6)],
  ['adadelta_defaults', (tf) => tf.train.adadelta()],
  ['rmsprop', (tf) => tf.train.rmsprop(0.01, 0.8, 0, 1e-6)],
  ['rmsprop_momentum', (tf) => tf.train.rmsprop(0.01, 0.9, 0.5)],
  ['rmsprop_centered', (tf) => tf.train.rmsprop(0.01, 0.9, 0, undefined, true)],
  ['rmsprop_centered_momentum', (tf) => tf.train.rmsprop(0.02, 0.85, 0.6, 1e-6, true)],
];

// Every key of tfjs-layers' getOptimizer map, and names it rejects (Strata accepts some of them:
// its lookup is case-insensitive and it adds 'momentum').
const STRING_NAMES = ['Adagrad', 'adagrad', 'Adadelta', 'adadelta', 'Adam', 'adam', 'Adamax', 'adamax',
  'RMSProp', 'rmsprop', 'SGD', 'sgd'];
const REJECTED_NAMES = ['momentum', 'Momentum', 'ADAM', 'RmsProp', 'nadam'];

// Serialized optimizers as trainingConfig may hold them (Keras-style snake_case keys, extra keys
// TF.js ignores); what TF.js's loadTrainingConfig makes of them.
const DESERIALIZE = [
  { class_name: 'Adam', config: { learning_rate: 0.01, beta_1: 0.8, beta_2: 0.95, epsilon: 1e-6 } },
  { class_name: 'Momentum', config: { learning_rate: 0.05, momentum: 0.9, use_nesterov: true } },
  { class_name: 'RMSProp', config: { learningRate: 0.003, decay: 0.8, momentum: 0.1, epsilon: 1e-5, centered: true } },
  { class_name: 'SGD', config: { learningRate: 0.1, name: 'SGD', clipnorm: 1 } },
  { class_name: 'Adamax', config: { learningRate: 0.004, beta1: 0.7, beta2: 0.9, epsilon: 1e-7, decay: 0.01 } },
  { class_name: 'Adagrad', config: { learningRate: 0.2, initialAccumulatorValue: 0.3 } },
  { class_name: 'Adadelta', config: { learningRate: 2, rho: 0.8, epsilon: 1e-6 } },
];

function tinyModel(tf) {
  return tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [2] })] });
}

// Values in [-1, 1] for initial weights; gradients of magnitude in [0.1, 1] with a random sign,
// so that centered rmsprop's sqrt(ms - mg^2 - eps) stays well away from zero.
function values(next, n, gradient) {
  return Array.from({ length: n }, () => {
    if (!gradient) return 2 * next() - 1;
    const magnitude = 0.1 + 0.9 * next();
    return next() < 0.5 ? -magnitude : magnitude;
  });
}

function runSteps(tf, name, optimizer, outDir) {
  const dir = path.join(outDir, name);
  fs.mkdirSync(dir, { recursive: true });
  const next = rng(hash(name));
  const vars = SHAPES.map((shape, i) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const init = tf.tensor(values(next, n, false), shape, 'float32');
    writeNpy(path.join(dir, `init_${i}.npy`), init);
    const v = tf.variable(init, true, `optimizers_${name}_v${i}`);
    init.dispose();
    return v;
  });
  const grads = SHAPES.map(() => []);
  const after = SHAPES.map(() => []);
  for (let step = 0; step < STEPS; ++step) {
    const list = vars.map((v, i) => {
      const n = SHAPES[i].reduce((a, b) => a * b, 1);
      const missing = step === MISSING.step && i === MISSING.variable;
      const g = tf.tensor(missing ? new Array(n).fill(0) : values(next, n, true), SHAPES[i], 'float32');
      grads[i].push(g);
      // The array form keeps positions stable (TF.js indexes optimizer state by position).
      return { name: v.name, tensor: missing ? null : g };
    });
    optimizer.applyGradients(list);
    vars.forEach((v, i) => after[i].push(v.clone()));
  }
  SHAPES.forEach((_, i) => {
    const g = tf.stack(grads[i]);
    const a = tf.stack(after[i]);
    writeNpy(path.join(dir, `grads_${i}.npy`), g);
    writeNpy(path.join(dir, `values_${i}.npy`), a);
    tf.dispose([g, a, ...grads[i], ...after[i]]);
  });
  const iterations = optimizer.iterations;
  tf.dispose(vars);
  return iterations;
}

export async function generate(outDir, tf) {
  const cases = [];
  for (const [name, make] of CONSTRUCTED) {
    const optimizer = make(tf);
    const className = optimizer.getClassName();
    const config = optimizer.getConfig();
    const iterations = runSteps(tf, name, optimizer, outDir);
    optimizer.dispose();
    cases.push({ name, source: 'tf.train', className, config, optimizerConfig: { class_name: className, config }, iterations });
  }
  for (const stringName of STRING_NAMES) {
    const model = tinyModel(tf);
    model.compile({ optimizer: stringName, loss: 'meanSquaredError' });
    const optimizer = model.optimizer;
    const name = `string_${stringName}`;
    const className = optimizer.getClassName();
    const config = optimizer.getConfig();
    const optimizerConfig = model.getTrainingConfig().optimizer_config;
    const iterations = runSteps(tf, name, optimizer, outDir);
    model.dispose();
    cases.push({ name, source: 'getOptimizer', stringName, className, config, optimizerConfig, iterations });
  }
  const rejectedNames = REJECTED_NAMES.map((name) => {
    const model = tinyModel(tf);
    try {
      model.compile({ optimizer: name, loss: 'meanSquaredError' });
      throw new Error(`tfjs-layers accepted optimizer name '${name}'; move it to STRING_NAMES`);
    } catch (e) {
      if (e.message.startsWith('tfjs-layers accepted')) throw e;
      return { name, error: e.message };
    } finally {
      model.dispose();
    }
  });
  const deserialized = DESERIALIZE.map((json) => {
    const model = tinyModel(tf);
    model.loadTrainingConfig({ loss: 'mean_squared_error', optimizer_config: json });
    const r = { json, className: model.optimizer.getClassName(), config: model.optimizer.getConfig() };
    model.optimizer.dispose();  // not owned by the model, so model.dispose() keeps it
    model.dispose();
    return r;
  });
  const index = {
    epsilon: tf.backend().epsilon(), shapes: SHAPES, steps: STEPS, missing: MISSING, cases, rejectedNames, deserialized,
  };
  fs.writeFileSync(path.join(outDir, 'index.json'), JSON.stringify(index, null, 1));
}
