// Generates the TF.js model fixtures: for every model in models/*.mjs, builds it with
// @tensorflow/tfjs, gives every weight seeded non-trivial values, saves it in the TF.js Layers
// format, and writes seeded inputs and TF.js's predictions as .npy files.
// Usage: node generate_models.mjs OUT_DIR
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs';
import { rng, hash, writeNpy } from './npy.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const outDir = path.join(process.argv[2] ?? path.join(here, '..', '..', 'build', 'fixtures'), 'models');
fs.mkdirSync(outDir, { recursive: true });
await tf.setBackend('cpu');

// Seeded values for every weight; variances (and anything the spec marks positive) stay positive.
function seedWeights(model, rand, spec) {
  const values = model.weights.map((w) => {
    const n = w.shape.reduce((a, b) => a * b, 1);
    const positive = /moving_variance|variance/.test(w.originalName ?? w.name);
    const scale = spec.weightScale ?? 0.5;
    const v = new Float32Array(n);
    for (let i = 0; i < n; i++) v[i] = positive ? 0.5 + rand() : (rand() * 2 - 1) * scale;
    return tf.tensor(v, w.shape, w.dtype === 'int32' ? 'int32' : 'float32');
  });
  model.setWeights(values);
}

function makeInput(spec, rand) {
  const n = spec.shape.reduce((a, b) => a * b, 1);
  const v = new Float32Array(n);
  const lo = spec.min ?? -1, hi = spec.max ?? 1;
  for (let i = 0; i < n; i++) v[i] = spec.int ? Math.floor(lo + (hi - lo) * rand()) : lo + (hi - lo) * rand();
  return tf.tensor(v, spec.shape, 'float32');
}

async function saveModel(model, dir) {
  fs.mkdirSync(dir, { recursive: true });
  await model.save(tf.io.withSaveHandler(async (artifacts) => {
    const weightsManifest = [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }];
    const json = {
      modelTopology: artifacts.modelTopology, format: artifacts.format, generatedBy: artifacts.generatedBy,
      convertedBy: artifacts.convertedBy, weightsManifest,
    };
    fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify(json));
    fs.writeFileSync(path.join(dir, 'weights.bin'), Buffer.from(artifacts.weightData));
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
}

const files = fs.readdirSync(path.join(here, 'models')).filter((f) => f.endsWith('.mjs')).sort();
const index = [];
for (const file of files) {
  const mod = await import(path.join(here, 'models', file));
  for (const spec of mod.models) {
    try {
      const rand = rng(hash(spec.name));
      const model = spec.build(tf);
      seedWeights(model, rand, spec);
      const dir = path.join(outDir, spec.name);
      await saveModel(model, dir);
      const inputs = spec.inputs.map((s) => makeInput(s, rand));
      let outputs = model.predict(inputs.length === 1 ? inputs[0] : inputs);
      if (!Array.isArray(outputs)) outputs = [outputs];
      inputs.forEach((t, i) => writeNpy(path.join(dir, `input_${i}.npy`), t));
      outputs.forEach((t, i) => writeNpy(path.join(dir, `output_${i}.npy`), t));
      const entry = {
        name: spec.name, file, classes: [...new Set(model.layers.map((l) => l.getClassName()))],
        numInputs: inputs.length, numOutputs: outputs.length, atol: spec.atol ?? 1e-4, rtol: spec.rtol ?? 1e-4,
      };
      fs.writeFileSync(path.join(dir, 'case.json'), JSON.stringify(entry));
      index.push(entry);
    } catch (e) {
      throw new Error(`${file}: model '${spec.name}': ${e.stack}`);
    }
  }
}
// The real Keras-converted MobileNetV2 that nsfwjs@4.4.0 ships, unwrapped from its JS modules:
// model.min.js exports the model.json object, each shard module exports its bytes in base64.
// Its weights are uint8-quantized, so loading it exercises dequantization.
{
  const require = createRequire(import.meta.url);
  const pkgDir = path.join(here, 'node_modules', 'nsfwjs');  // its package.json 'exports' hides dist/
  const srcDir = path.join(pkgDir, 'dist', 'models', 'mobilenet_v2');
  const loadModule = (f) => require(path.join(srcDir, f));
  const modelJson = loadModule('model.min.js');
  const dir = path.join(outDir, 'mobilenet_v2');
  fs.mkdirSync(dir, { recursive: true });
  const weightBuffers = [];
  for (const group of modelJson.weightsManifest) {
    for (const p of group.paths) {
      const bytes = Buffer.from(loadModule(`${p}.min.js`), 'base64');
      fs.writeFileSync(path.join(dir, p), bytes);
      weightBuffers.push(bytes);
    }
  }
  fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify(modelJson));
  const weightData = Buffer.concat(weightBuffers);
  const model = await tf.loadLayersModel(tf.io.fromMemory({
    modelTopology: modelJson.modelTopology,
    weightSpecs: modelJson.weightsManifest.flatMap((g) => g.weights),
    weightData: weightData.buffer.slice(weightData.byteOffset, weightData.byteOffset + weightData.byteLength),
  }));
  const rand = rng(hash('mobilenet_v2'));
  const input = makeInput({ shape: [2, 224, 224, 3], min: 0, max: 1 }, rand);
  const output = model.predict(input);
  writeNpy(path.join(dir, 'input_0.npy'), input);
  writeNpy(path.join(dir, 'output_0.npy'), output);
  const entry = { name: 'mobilenet_v2', file: 'nsfwjs', classes: [...new Set(model.layers.map((l) => l.getClassName()))],
    numInputs: 1, numOutputs: 1, atol: 1e-4, rtol: 1e-4 };
  fs.writeFileSync(path.join(dir, 'case.json'), JSON.stringify(entry));
  index.push(entry);
}

fs.writeFileSync(path.join(outDir, 'index.json'), JSON.stringify({ tfjs: tf.version.tfjs, models: index }, null, 1));
console.log(`wrote ${index.length} models to ${outDir}`);
