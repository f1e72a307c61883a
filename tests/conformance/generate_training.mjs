// Generates the TF.js training fixtures: every module in training/*.mjs exports
// `generate(outDir, tf)` and writes what TF.js computed (optimizer steps, fit histories, final
// weights) under OUT_DIR/training/<module>/.
// Usage: node generate_training.mjs OUT_DIR
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const outRoot = path.join(process.argv[2] ?? path.join(here, '..', '..', 'build', 'fixtures'), 'training');
await tf.setBackend('cpu');

const modules = fs.readdirSync(path.join(here, 'training')).filter((f) => f.endsWith('.mjs')).sort();
for (const file of modules) {
  const mod = await import(pathToFileURL(path.join(here, 'training', file)).href);
  if (typeof mod.generate !== 'function') continue;
  const outDir = path.join(outRoot, path.basename(file, '.mjs'));
  fs.mkdirSync(outDir, { recursive: true });
  await mod.generate(outDir, tf);
  console.log(`training fixtures: ${file} -> ${outDir}`);
}
