// Generates the TF.js oracle fixtures: for every op case in ops/*.mjs, seeded random inputs,
// TF.js's outputs, and TF.js's gradients of sum(output * w) for a random w.
// Usage: node generate.mjs OUT_DIR
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const outDir = process.argv[2] ?? path.join(here, '..', '..', 'build', 'fixtures');
fs.mkdirSync(outDir, { recursive: true });
await tf.setBackend('cpu');

// mulberry32: a small seeded generator, so fixtures are identical on every run.
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
function hash(s) {
  let h = 2166136261;
  for (const c of s) h = Math.imul(h ^ c.charCodeAt(0), 16777619);
  return h >>> 0;
}

// An input spec: {shape, dtype='float32', min=-2, max=2} or {values, shape, dtype}.
function makeInput(spec, rand) {
  const dtype = spec.dtype ?? 'float32';
  if (spec.values !== undefined) return tf.tensor(spec.values, spec.shape, dtype);
  const n = spec.shape.reduce((a, b) => a * b, 1);
  const lo = spec.min ?? (dtype === 'bool' ? 0 : -2);
  const hi = spec.max ?? (dtype === 'bool' ? 1 : 2);
  const vals = new Array(n);
  for (let i = 0; i < n; i++) {
    const u = lo + (hi - lo) * rand();
    vals[i] = dtype === 'float32' ? u : dtype === 'bool' ? (rand() < 0.5 ? 1 : 0) : Math.floor(lo + (hi - lo + 1) * rand());
  }
  return tf.tensor(vals, spec.shape, dtype);
}

// JSON has no NaN or Infinity: those travel as strings.
function dump(t) {
  const enc = (v) => (Number.isFinite(v) ? v : String(v));
  return { shape: t.shape, dtype: t.dtype, data: Array.from(t.dataSync(), (v) => enc(Number(v))) };
}

const opsDir = path.join(here, 'ops');
const files = fs.readdirSync(opsDir).filter((f) => f.endsWith('.mjs')).sort();
const fixtures = [];
for (const file of files) {
  const mod = await import(path.join(opsDir, file));
  for (const c of mod.cases) {
    try {
      fixtures.push(generateCase(mod, c, file));
    } catch (e) {
      throw new Error(`${file}: case '${c.name}': ${e.message}`);
    }
  }
}

function generateCase(mod, c, file) {
  {
    const fn = mod.ops[c.op];
    if (!fn) throw new Error(`${file}: case ${c.name} uses op '${c.op}' missing from ops`);
    const rand = rng(hash(c.name));
    const inputs = c.inputs.map((s) => makeInput(s, rand));
    const attrs = c.attrs ?? {};
    const run = (xs) => {
      const y = fn(tf, xs, attrs);
      return Array.isArray(y) ? y : [y];
    };
    const outputs = run(inputs);
    const entry = {
      name: c.name, op: c.op, file, attrs,
      inputs: inputs.map(dump), outputs: outputs.map(dump),
      atol: c.atol ?? 1e-4, rtol: c.rtol ?? 1e-4,
      fd: c.fd ?? true,
    };
    // Gradients of L = sum_i sum(out_i * w_i) with respect to the float inputs.
    const gradInputs = c.grad === false ? [] : (c.gradInputs ?? inputs.map((x, i) => (x.dtype === 'float32' ? i : -1)).filter((i) => i >= 0));
    if (gradInputs.length > 0) {
      const ws = outputs.map((o) => (o.dtype === 'float32' ? makeInput({ shape: o.shape, min: -1, max: 1 }, rand) : null));
      const loss = (...gx) => {
        const xs = inputs.slice();
        gradInputs.forEach((k, j) => { xs[k] = gx[j]; });
        const ys = run(xs);
        let total = tf.scalar(0);
        ys.forEach((y, i) => { if (ws[i]) total = tf.add(total, tf.sum(tf.mul(y, ws[i]))); });
        return total;
      };
      const grads = tf.grads(loss)(gradInputs.map((k) => inputs[k]));
      entry.gradInputs = gradInputs;
      entry.weights = ws.map((w) => (w ? dump(w) : null));
      entry.grads = grads.map(dump);
    }
    return entry;
  }
}
fs.writeFileSync(path.join(outDir, 'ops.json'), JSON.stringify({ tfjs: tf.version.tfjs, cases: fixtures }));
console.log(`wrote ${fixtures.length} op cases to ${path.join(outDir, 'ops.json')}`);
