// Random ops draw from a different generator than TF.js, so their values cannot be compared;
// tests/ops/random_test.cpp checks their statistics. The cases here are the degenerate ones
// whose values every generator agrees on (a zero-width range, a zero standard deviation, a
// zero dropout rate): they pin shapes, dtypes, the affine parameters, and run every kernel.
export const ops = {
  randomUniform: (tf, _, a) => tf.randomUniform(a.shape, a.minval, a.maxval, a.dtype ?? 'float32', 7),
  randomNormal: (tf, _, a) => tf.randomNormal(a.shape, a.mean, a.stdDev, 'float32', 7),
  truncatedNormal: (tf, _, a) => tf.truncatedNormal(a.shape, a.mean, a.stdDev, 'float32', 7),
  dropout: (tf, [x], a) => tf.dropout(x, a.rate),
};

export const cases = [
  { name: 'randomUniform_zero_width', op: 'randomUniform', inputs: [], attrs: { shape: [3, 4], minval: 2.5, maxval: 2.5 } },
  { name: 'randomNormal_zero_stddev', op: 'randomNormal', inputs: [], attrs: { shape: [2, 3], mean: -1.5, stdDev: 0 } },
  { name: 'truncatedNormal_zero_stddev', op: 'truncatedNormal', inputs: [], attrs: { shape: [5], mean: 0.75, stdDev: 0 } },
  { name: 'dropout_rate0', op: 'dropout', inputs: [{ shape: [2, 3] }], attrs: { rate: 0 } },
];
