// Proves that models Strata saved with quantized weights (strata::saveQuantized: uint8/uint16
// affine, float16) load in TF.js: for every OUT/strata_quantized/<name>_<dtype>/ written by
// tests/optimize/quantize_storage_test.cpp, TF.js loads it, every weight's manifest entry is
// float32 with a `quantization` of that dtype, and TF.js's prediction on the source fixture's
// inputs matches Strata's prediction of the same quantized model (output_*.npy there) within
// the fixture's tolerance. Int8-compute models are Strata-only and not checked here.
// Usage: node check_quantized.mjs OUT_DIR
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { readNpy } from './npy.mjs';

const root = process.argv[2];
const dir = path.join(root, 'strata_quantized');
await tf.setBackend('cpu');

const names = fs.existsSync(dir) ? fs.readdirSync(dir).sort() : [];
if (names.length === 0) throw new Error(`no Strata-quantized models under ${dir}`);
let failures = 0;
for (const name of names) {
  const qdir = path.join(dir, name);
  const meta = JSON.parse(fs.readFileSync(path.join(qdir, 'case.json'), 'utf8'));
  const src = path.join(root, 'models', meta.source);
  const tol = JSON.parse(fs.readFileSync(path.join(src, 'case.json'), 'utf8'));
  let problem = '';
  try {
    const json = JSON.parse(fs.readFileSync(path.join(qdir, 'model.json'), 'utf8'));
    const specs = json.weightsManifest.flatMap((g) => g.weights);
    for (const s of specs)
      if (s.dtype === 'float32' && (s.quantization == null || s.quantization.dtype !== meta.dtype))
        problem ||= `weight ${s.name} is not stored as ${meta.dtype}`;
    const data = Buffer.concat(json.weightsManifest.flatMap((g) => g.paths.map((p) => fs.readFileSync(path.join(qdir, p)))));
    const model = await tf.loadLayersModel(tf.io.fromMemory({
      modelTopology: json.modelTopology, weightSpecs: specs,
      weightData: data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength),
    }));
    const inputs = [];
    for (let i = 0; fs.existsSync(path.join(src, `input_${i}.npy`)); i++) {
      const n = readNpy(path.join(src, `input_${i}.npy`));
      inputs.push(tf.tensor(n.data, n.shape, n.dtype));
    }
    let outs = model.predict(inputs.length === 1 ? inputs[0] : inputs);
    if (!Array.isArray(outs)) outs = [outs];
    outs.forEach((o, i) => {
      const want = readNpy(path.join(qdir, `output_${i}.npy`)).data;
      const got = o.dataSync();
      for (let k = 0; !problem && k < got.length; k++)
        if (!(Math.abs(got[k] - want[k]) <= tol.atol + tol.rtol * Math.abs(want[k])))
          problem = `output ${i}[${k}] is ${got[k]} in TF.js, ${want[k]} in Strata`;
    });
  } catch (e) {
    problem = `TF.js cannot load it: ${e.message.split('\n')[0]}`;
  }
  if (problem) {
    failures++;
    console.log(`FAIL ${name}: ${problem}`);
  } else {
    console.log(`ok   ${name}`);
  }
}
console.log(`${names.length - failures}/${names.length} Strata-quantized models load in TF.js and predict as in Strata`);
process.exit(failures ? 1 : 0);
