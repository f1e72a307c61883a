// TF.js 4.22 peer of bench/peers (see README.md): MobileNetV2 inference (batch 1 and 8) and the
// MNIST CNN's training, on the `wasm` and `cpu` backends in Node, timed with the same protocol
// as strata_peer.cpp and libtorch_peer.cpp. Prints one JSON object on stdout.
//
// Usage: node bench/peers/tfjs_peer.mjs --model DIR/models/mobilenet_v2/model.json [--threads N]
//          [--warmup W] [--runs R] [--batches 1,8] [--train-steps S] [--train-warmup K]
//          [--backends wasm,cpu] [--cpu-runs R] [--cpu-warmup W] [--cpu-train-steps S]
// (npm install in bench/peers first). TF.js's pure-JS `cpu` backend is slow, so it gets fewer
// runs and training steps (the --cpu-* options); its samples/s is then extrapolated from those
// steps and the JSON says so.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// TF.js prints advice (use tfjs-node) on stdout; stdout must hold only the JSON.
console.log = (...args) => console.error(...args);
const tf = await import('@tensorflow/tfjs');
const wasm = await import('@tensorflow/tfjs-backend-wasm');

function parseArgs(argv) {
  const o = { model: '', threads: 1, warmup: 3, runs: 10, batches: [1, 8], trainSteps: 125, trainWarmup: 3,
              batchSize: 64, backends: ['wasm', 'cpu'], cpuRuns: 3, cpuWarmup: 1, cpuTrainSteps: 10 };
  const ints = { '--threads': 'threads', '--warmup': 'warmup', '--runs': 'runs', '--train-steps': 'trainSteps',
                 '--train-warmup': 'trainWarmup', '--cpu-runs': 'cpuRuns', '--cpu-warmup': 'cpuWarmup',
                 '--cpu-train-steps': 'cpuTrainSteps' };
  for (let i = 2; i < argv.length; i++) {
    const a = argv[i], v = argv[++i];
    if (v === undefined) throw new Error(`${a} needs a value`);
    if (a in ints) o[ints[a]] = Number.parseInt(v, 10);
    else if (a === '--model') o.model = v;
    else if (a === '--batches') o.batches = v.split(',').map(Number);
    else if (a === '--backends') o.backends = v.split(',');
    else throw new Error(`unknown option ${a}`);
  }
  if (!o.model) throw new Error('--model MODEL_JSON is required');
  for (const k of Object.values(ints)) if (!(o[k] >= (k.endsWith('armup') ? 0 : 1))) throw new Error(`bad --${k}`);
  return o;
}

// An IOHandler reading model.json and its shards from disk (tf.io's file:// handler needs tfjs-node).
function fileHandler(modelJson) {
  return {
    load: async () => {
      const json = JSON.parse(fs.readFileSync(modelJson, 'utf8'));
      const dir = path.dirname(modelJson);
      const shards = json.weightsManifest.flatMap((g) => g.paths.map((p) => fs.readFileSync(path.join(dir, p))));
      const data = Buffer.concat(shards);
      return {
        modelTopology: json.modelTopology,
        weightSpecs: json.weightsManifest.flatMap((g) => g.weights),
        weightData: data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength),
      };
    },
  };
}

const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

function timeRuns(fn, warmup, runs, batch) {
  for (let i = 0; i < warmup; i++) fn();
  const ms = [];
  for (let i = 0; i < runs; i++) {
    const t0 = nowMs();
    fn();
    ms.push(nowMs() - t0);
  }
  ms.sort((a, b) => a - b);
  const h = ms.length >> 1;
  const median = ms.length % 2 ? ms[h] : (ms[h - 1] + ms[h]) / 2;
  return { median_ms: median, min_ms: ms[0], runs, warmup, images_per_s: (1000 * batch) / median };
}

async function benchMobileNet(o, warmup, runs) {
  const model = await tf.loadLayersModel(fileHandler(o.model));
  const r = { weights: 'model.json' };
  for (const b of o.batches) {
    const x = tf.randomUniform([b, 224, 224, 3], 0, 1, 'float32', 1);
    r[`batch_${b}`] = timeRuns(() => {
      const y = model.predict(x);
      y.dataSync();
      y.dispose();
    }, warmup, runs, b);
    x.dispose();
  }
  model.dispose();
  return r;
}

// tools/strata/mnist_cnn.cpp, in tf.layers.
function mnistCnn() {
  const m = tf.sequential();
  m.add(tf.layers.conv2d({ filters: 32, kernelSize: 3, activation: 'relu', kernelInitializer: 'heNormal',
                           inputShape: [28, 28, 1] }));
  m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  m.add(tf.layers.conv2d({ filters: 64, kernelSize: 3, activation: 'relu', kernelInitializer: 'heNormal' }));
  m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  m.add(tf.layers.flatten());
  m.add(tf.layers.dense({ units: 128, activation: 'relu', kernelInitializer: 'heNormal' }));
  m.add(tf.layers.dense({ units: 10, activation: 'softmax' }));
  m.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy' });
  return m;
}

async function benchTraining(o, steps, fullSteps) {
  const model = mnistCnn();
  const n = steps * o.batchSize;
  const x = tf.randomUniform([n, 28, 28, 1], 0, 1, 'float32', 2);
  const y = tf.tidy(() => tf.oneHot(tf.randomUniform([n], 0, 10, 'int32', 3), 10).toFloat());
  const xb = x.slice(0, o.batchSize), yb = y.slice(0, o.batchSize);
  let h, s;
  try {
    for (let i = 0; i < o.trainWarmup; i++) await model.trainOnBatch(xb, yb);
    const t0 = nowMs();
    h = await model.fit(x, y, { batchSize: o.batchSize, epochs: 1, shuffle: false, verbose: 0 });
    s = (nowMs() - t0) / 1000;
  } finally {
    tf.dispose([x, y, xb, yb]);
    model.dispose();
  }
  return { batch_size: o.batchSize, steps, samples: n, seconds: s, samples_per_s: n / s,
           extrapolated: steps < fullSteps, final_loss: h.history.loss.at(-1), warmup_steps: o.trainWarmup };
}

async function runBackend(name, o) {
  const r = {};
  if (name === 'wasm') {
    const dist = path.join(path.dirname(fileURLToPath(import.meta.url)), 'node_modules', '@tensorflow',
                           'tfjs-backend-wasm', 'dist');
    wasm.setWasmPaths(dist + path.sep);
    wasm.setThreadsCount(o.threads);  // honoured only where the threaded binary loads (not in Node)
  }
  if (!(await tf.setBackend(name))) throw new Error(`backend ${name} failed to initialize`);
  await tf.ready();
  if (name === 'wasm') {
    r.simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
    r.multithread = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
    r.threads = wasm.getThreadsCount();
  } else {
    r.threads = 1;  // TF.js's cpu backend is single-threaded JavaScript
  }
  const cpu = name === 'cpu';
  // Each part may fail on its own: TF.js's wasm backend has no Conv2DBackpropFilter kernel, so
  // it cannot train a CNN; its inference numbers still count.
  const part = async (key, fn) => {
    try {
      r[key] = await fn();
    } catch (e) {
      r[key] = { error: String(e?.message ?? e) };
      console.error(`tfjs_peer: ${name} ${key}: ${e?.message ?? e}`);
    }
  };
  await part('mobilenet_v2', () => benchMobileNet(o, cpu ? Math.min(o.cpuWarmup, o.warmup) : o.warmup,
                                                  cpu ? Math.min(o.cpuRuns, o.runs) : o.runs));
  await part('mnist_cnn_train', () => benchTraining(o, cpu ? Math.min(o.cpuTrainSteps, o.trainSteps) : o.trainSteps,
                                                    o.trainSteps));
  r.tensors_left = tf.memory().numTensors;
  return r;
}

try {
  const o = parseArgs(process.argv);
  const out = { peer: 'tfjs', version: tf.version.tfjs, node: process.version, threads_requested: o.threads,
                backends: {} };
  for (const b of o.backends) {
    try {
      out.backends[b] = await runBackend(b, o);
    } catch (e) {
      out.backends[b] = { error: String(e?.message ?? e) };
      console.error(`tfjs_peer: backend ${b}: ${e?.stack ?? e}`);
    }
  }
  process.stdout.write(JSON.stringify(out) + '\n');
  process.exit(0);  // the wasm backend may keep handles open
} catch (e) {
  console.error(`tfjs_peer: ${e?.message ?? e}`);
  process.exit(1);
}
