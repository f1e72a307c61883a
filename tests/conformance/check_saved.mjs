// Proves that models saved by Strata load in TF.js and predict identically: for every model
// Strata re-saved under OUT/strata_saved/<name>/, TF.js loads it and must reproduce, exactly,
// what TF.js predicted for the original model (OUT/models/<name>/output_*.npy), and its weights
// must equal the original's bit for bit.
// Usage: node check_saved.mjs OUT_DIR
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { readNpy } from './npy.mjs';

const root = process.argv[2];
const savedDir = path.join(root, 'strata_saved');
await tf.setBackend('cpu');

async function load(dir) {
  const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
  const buffers = json.weightsManifest.flatMap((g) => g.paths.map((p) => fs.readFileSync(path.join(dir, p))));
  const data = Buffer.concat(buffers);
  return tf.loadLayersModel(tf.io.fromMemory({
    modelTopology: json.modelTopology,
    weightSpecs: json.weightsManifest.flatMap((g) => g.weights),
    weightData: data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength),
  }));
}

const names = fs.existsSync(savedDir) ? fs.readdirSync(savedDir).sort() : [];
if (names.length === 0) throw new Error(`no Strata-saved models under ${savedDir}`);
let failures = 0, skipped = 0;
for (const name of names) {
  const orig = path.join(root, 'models', name);
  let original;
  try {
    original = await load(orig);
  } catch (e) {
    // Some models TF.js builds in memory it cannot read back from its own JSON (e.g. an
    // activation it serializes under a name its deserializer lacks): nothing to compare with.
    skipped++;
    console.log(`skip ${name}: TF.js 4.22 cannot load its own saved model (${e.message.split('\n')[0]})`);
    continue;
  }
  let saved;
  try {
    saved = await load(path.join(savedDir, name));
  } catch (e) {
    failures++;
    console.log(`FAIL ${name}: TF.js cannot load the model Strata saved: ${e.message.split('\n')[0]}`);
    continue;
  }
  const a = original.getWeights(), b = saved.getWeights();
  let problem = a.length !== b.length ? `weight count ${b.length} != ${a.length}` : '';
  for (let i = 0; !problem && i < a.length; i++) {
    const x = a[i].dataSync(), y = b[i].dataSync();
    if (x.length !== y.length || x.some((v, k) => v !== y[k])) problem = `weight ${i} (${original.weights[i].name}) differs`;
  }
  const inputs = [];
  for (let i = 0; fs.existsSync(path.join(orig, `input_${i}.npy`)); i++) {
    const n = readNpy(path.join(orig, `input_${i}.npy`));
    inputs.push(tf.tensor(n.data, n.shape, n.dtype));
  }
  let outs = saved.predict(inputs.length === 1 ? inputs[0] : inputs);
  if (!Array.isArray(outs)) outs = [outs];
  outs.forEach((o, i) => {
    const want = readNpy(path.join(orig, `output_${i}.npy`)).data;
    const got = o.dataSync();
    if (!problem && got.some((v, k) => !(v === want[k] || (Number.isNaN(v) && Number.isNaN(want[k])))))
      problem = `output ${i} differs from TF.js's prediction for the original model`;
  });
  if (problem) {
    failures++;
    console.log(`FAIL ${name}: ${problem}`);
  } else {
    console.log(`ok   ${name}`);
  }
}
console.log(`${names.length - failures - skipped}/${names.length - skipped} Strata-saved models load in TF.js and predict identically (${skipped} skipped)`);

// Models Strata trained and saved (OUT/strata_trained/<name>/, written by tests/train/fit_test.cpp)
// keep their trainingConfig: TF.js must compile them from it (same optimizer class and config)
// and evaluate them to the loss Strata computed (strata_eval.json).
const trainedDir = path.join(root, 'strata_trained');
const trained = fs.existsSync(trainedDir) ? fs.readdirSync(trainedDir).sort() : [];
if (trained.length === 0) throw new Error(`no Strata-trained models under ${trainedDir}`);
for (const name of trained) {
  const dir = path.join(trainedDir, name);
  const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
  const buffers = json.weightsManifest.flatMap((g) => g.paths.map((p) => fs.readFileSync(path.join(dir, p))));
  const data = Buffer.concat(buffers);
  const model = await tf.loadLayersModel(tf.io.fromMemory({
    modelTopology: json.modelTopology, trainingConfig: json.trainingConfig,
    weightSpecs: json.weightsManifest.flatMap((g) => g.weights),
    weightData: data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength),
  }));
  const want = JSON.parse(fs.readFileSync(path.join(dir, 'strata_eval.json'), 'utf8'));
  let problem = '';
  if (model.optimizer == null) problem = 'TF.js did not compile the model from its trainingConfig';
  else if (model.optimizer.getClassName() !== json.trainingConfig.optimizer_config.class_name)
    problem = `optimizer ${model.optimizer.getClassName()} != ${json.trainingConfig.optimizer_config.class_name}`;
  if (!problem) {
    const x = readNpy(path.join(dir, 'x.npy')), y = readNpy(path.join(dir, 'y.npy'));
    const r = model.evaluate(tf.tensor(x.data, x.shape), tf.tensor(y.data, y.shape));
    const loss = (Array.isArray(r) ? r[0] : r).dataSync()[0];
    if (Math.abs(loss - want.loss) > 1e-5 * Math.max(1, Math.abs(want.loss)))
      problem = `TF.js evaluates the loss to ${loss}, Strata to ${want.loss}`;
  }
  if (problem) {
    failures++;
    console.log(`FAIL trained ${name}: ${problem}`);
  } else {
    console.log(`ok   trained ${name}: TF.js compiled it from trainingConfig and evaluates the same loss`);
  }
}
process.exit(failures ? 1 : 0);
