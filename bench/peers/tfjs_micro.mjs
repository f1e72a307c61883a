// TF.js 4.22 (Node, `cpu` backend) peer numbers for the README's table, measured the same way
// as bench/micro_ops.cpp and bench/model_bench.cpp: 1-element add dispatch, MobileNetV2 load from
// the generated fixture, and MobileNetV2 batch-1 predict.
// Usage: node bench/peers/tfjs_micro.mjs FIXTURES_DIR   (run from tests/conformance's node_modules)
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(path.resolve('tests/conformance/package.json'));
const tf = require('@tensorflow/tfjs');
await tf.setBackend('cpu');
const fixtures = process.argv[2];

const a = tf.scalar(1), b = tf.scalar(2);
for (let i = 0; i < 10000; i++) tf.add(a, b).dispose();
const n = 200000;
let t0 = process.hrtime.bigint();
for (let i = 0; i < n; i++) tf.add(a, b).dispose();
console.log(`tfjs-cpu add dispatch: ${Number(process.hrtime.bigint() - t0) / n} ns`);

const dir = path.join(fixtures, 'models', 'mobilenet_v2');
async function load() {
  const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
  const data = Buffer.concat(json.weightsManifest.flatMap((g) => g.paths.map((p) => fs.readFileSync(path.join(dir, p)))));
  return tf.loadLayersModel(tf.io.fromMemory({
    modelTopology: json.modelTopology, weightSpecs: json.weightsManifest.flatMap((g) => g.weights),
    weightData: data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength),
  }));
}
await load();
t0 = process.hrtime.bigint();
const reps = 5;
let model;
for (let i = 0; i < reps; i++) model = await load();
console.log(`tfjs-cpu MobileNetV2 load: ${Number(process.hrtime.bigint() - t0) / reps / 1e6} ms`);
const x = tf.randomUniform([1, 224, 224, 3]);
model.predict(x).dataSync();
t0 = process.hrtime.bigint();
for (let i = 0; i < 3; i++) model.predict(x).dataSync();
console.log(`tfjs-cpu MobileNetV2 predict b=1: ${Number(process.hrtime.bigint() - t0) / 3 / 1e6} ms`);
