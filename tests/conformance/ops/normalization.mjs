// Op cases for batchNorm, localResponseNormalization, softmax and logSoftmax. TF.js's softmax
// only takes the last axis; for other axes the TF.js side swaps that axis with the last one
// around the call (Strata's kernels handle any axis directly).
function lastAxis(tf, x, axis, f) {
  const ax = axis < 0 ? axis + x.rank : axis;
  if (ax === x.rank - 1) return f(x);
  const perm = [...Array(x.rank).keys()];
  perm[ax] = x.rank - 1;
  perm[x.rank - 1] = ax;
  return tf.transpose(f(tf.transpose(x, perm)), perm);
}

export const ops = {
  // Inputs: x, mean, variance, then offset if attrs.offset, then scale if attrs.scale.
  batchNorm: (tf, xs, a) => {
    const [x, mean, variance] = xs;
    let i = 3;
    // TF.js 4.22 cannot differentiate batchNorm without both offset and scale (its gradient
    // reads the missing inputs), so the TF.js side passes zeros and ones in their place: the
    // same values and the same gradients for the inputs that exist.
    const offset = a.offset ? xs[i++] : tf.zerosLike(mean);
    const scale = a.scale ? xs[i++] : tf.onesLike(mean);
    return tf.batchNorm(x, mean, variance, offset, scale, a.epsilon);
  },
  localResponseNormalization: (tf, [x], a) => tf.localResponseNormalization(x, a.depthRadius, a.bias, a.alpha, a.beta),
  softmax: (tf, [x], a) => lastAxis(tf, x, a.axis ?? -1, (t) => tf.softmax(t)),
  logSoftmax: (tf, [x], a) => lastAxis(tf, x, a.axis ?? -1, (t) => tf.logSoftmax(t)),
};

const f = (shape, min, max) => ({ shape, min, max });
const positive = (shape) => f(shape, 0.3, 2);

export const cases = [
  { name: 'batchNorm_4d_offset_scale', op: 'batchNorm', inputs: [f([2, 3, 3, 4]), f([4]), positive([4]), f([4]), f([4])], attrs: { offset: true, scale: true } },
  { name: 'batchNorm_2d_plain', op: 'batchNorm', inputs: [f([3, 5]), f([5]), positive([5])] },
  { name: 'batchNorm_3d_offset', op: 'batchNorm', inputs: [f([2, 2, 3]), f([3]), positive([3]), f([3])], attrs: { offset: true } },
  { name: 'batchNorm_4d_scale_eps', op: 'batchNorm', inputs: [f([1, 2, 2, 3]), f([3]), positive([3]), f([3])], attrs: { scale: true, epsilon: 0.1 } },
  { name: 'batchNorm_full_shape', op: 'batchNorm', inputs: [f([2, 3]), f([2, 3]), positive([2, 3]), f([2, 3]), f([2, 3])], attrs: { offset: true, scale: true } },
  { name: 'batchNorm_1d', op: 'batchNorm', inputs: [f([6]), f([6]), positive([6]), f([6]), f([6])], attrs: { offset: true, scale: true } },

  { name: 'lrn_4d', op: 'localResponseNormalization', inputs: [f([1, 2, 2, 7])], attrs: { depthRadius: 2, bias: 1, alpha: 0.5, beta: 0.75 } },
  { name: 'lrn_defaults', op: 'localResponseNormalization', inputs: [f([2, 2, 2, 4])], attrs: { depthRadius: 5, bias: 1, alpha: 1, beta: 0.5 } },
  { name: 'lrn_3d', op: 'localResponseNormalization', inputs: [f([3, 2, 6])], attrs: { depthRadius: 1, bias: 2, alpha: 0.3, beta: 0.5 } },
  { name: 'lrn_radius0', op: 'localResponseNormalization', inputs: [f([1, 3, 1, 5])], attrs: { depthRadius: 0, bias: 0.5, alpha: 2, beta: 1 } },

  { name: 'softmax_2d', op: 'softmax', inputs: [f([3, 5])] },
  { name: 'softmax_1d', op: 'softmax', inputs: [f([6], -5, 5)] },
  { name: 'softmax_large', op: 'softmax', inputs: [f([2, 4], -40, 40)], attrs: { axis: 1 } },
  { name: 'softmax_axis0', op: 'softmax', inputs: [f([4, 3])], attrs: { axis: 0 } },
  { name: 'softmax_3d_axis1', op: 'softmax', inputs: [f([2, 4, 3])], attrs: { axis: 1 } },
  { name: 'softmax_3d_neg_axis', op: 'softmax', inputs: [f([2, 3, 4])], attrs: { axis: -3 } },
  { name: 'logSoftmax_2d', op: 'logSoftmax', inputs: [f([3, 5])] },
  { name: 'logSoftmax_large', op: 'logSoftmax', inputs: [f([2, 4], -40, 40)] },
  { name: 'logSoftmax_3d_axis1', op: 'logSoftmax', inputs: [f([2, 4, 3])], attrs: { axis: 1 } },
];
