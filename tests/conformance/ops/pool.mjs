// Op cases for pooling. attrs: filterSize, strides, pad ('same', 'valid', a number, or TF.js
// explicit padding [[0,0],[top,bottom],[left,right],[0,0]]).
//
// TF.js 4.22's AvgPoolGrad divides by filterH*filterW even where the window overlaps the
// padding, while its forward divides by the cells inside the input; so its gradient is not the
// derivative of its forward there. Strata's is. Cases with `composite: true` compute the same
// average as (window sum of the zero-padded input) / (count of real cells), from ops whose
// TF.js gradients are right, so TF.js still serves as the gradient oracle.
const pair = (v) => (Array.isArray(v) ? v : [v, v]);

// TF.js's padding amounts [[top, bottom], [left, right]] for one spatial shape.
function padAmounts(inH, inW, [fh, fw], [sh, sw], pad) {
  if (Array.isArray(pad)) return [pad[1], pad[2]];
  if (typeof pad === 'number') return [[pad, pad], [pad, pad]];
  if (pad === 'valid') return [[0, 0], [0, 0]];
  const axis = (n, k, s) => {
    const out = Math.ceil(n / s);
    const total = Math.max(0, (out - 1) * s + k - n);
    return [Math.floor(total / 2), total - Math.floor(total / 2)];
  };
  return [axis(inH, fh, sh), axis(inW, fw, sw)];
}

function compositeAvgPool(tf, x, at) {
  const k = pair(at.filterSize), s = pair(at.strides);
  const x4 = x.rank === 3 ? tf.expandDims(x, 0) : x;
  const [ph, pw] = padAmounts(x4.shape[1], x4.shape[2], k, s, at.pad);
  const paddings = [[0, 0], ph, pw, [0, 0]];
  const area = k[0] * k[1];
  const sums = tf.mul(tf.avgPool(tf.pad(x4, paddings), k, s, 'valid'), area);
  const counts = tf.mul(tf.avgPool(tf.pad(tf.onesLike(x4), paddings), k, s, 'valid'), area);
  const y = tf.div(sums, counts);
  return x.rank === 3 ? tf.squeeze(y, [0]) : y;
}

export const ops = {
  maxPool: (tf, [x], at) => tf.maxPool(x, at.filterSize, at.strides, at.pad),
  avgPool: (tf, [x], at) => (at.composite ? compositeAvgPool(tf, x, at) : tf.avgPool(x, at.filterSize, at.strides, at.pad)),
};

const f = (shape, min, max) => ({ shape, min, max });
const pool = (name, op, x, attrs, extra = {}) => ({ name, op, inputs: [f(x)], attrs, ...extra });

export const cases = [
  pool('maxPool_valid', 'maxPool', [1, 4, 4, 2], { filterSize: 2, strides: 2, pad: 'valid' }),
  pool('maxPool_same_odd', 'maxPool', [2, 5, 5, 1], { filterSize: 3, strides: 2, pad: 'same' }),
  pool('maxPool_same_stride1', 'maxPool', [1, 4, 5, 2], { filterSize: [2, 3], strides: 1, pad: 'same' }),
  pool('maxPool_valid_overlap', 'maxPool', [1, 5, 6, 2], { filterSize: 3, strides: [1, 2], pad: 'valid' }),
  pool('maxPool_explicit', 'maxPool', [1, 4, 4, 1], { filterSize: 2, strides: 1, pad: [[0, 0], [1, 0], [0, 1], [0, 0]] }),
  pool('maxPool_unbatched', 'maxPool', [5, 4, 2], { filterSize: 2, strides: 2, pad: 'same' }),
  { name: 'maxPool_int', op: 'maxPool', inputs: [{ shape: [1, 4, 4, 1], dtype: 'int32', min: -9, max: 9 }], attrs: { filterSize: 2, strides: 2, pad: 'valid' } },

  pool('avgPool_valid', 'avgPool', [1, 4, 4, 2], { filterSize: 2, strides: 2, pad: 'valid' }),
  pool('avgPool_valid_overlap', 'avgPool', [2, 5, 5, 1], { filterSize: 3, strides: 1, pad: 'valid' }),
  // Forward against TF.js's own kernel; its gradient is checked by the composite cases below.
  pool('avgPool_same_odd', 'avgPool', [2, 5, 5, 1], { filterSize: 3, strides: 2, pad: 'same' }, { grad: false }),
  pool('avgPool_same_stride1', 'avgPool', [1, 4, 5, 2], { filterSize: [2, 3], strides: 1, pad: 'same' }, { grad: false }),
  pool('avgPool_same_odd_grad', 'avgPool', [2, 5, 5, 1], { filterSize: 3, strides: 2, pad: 'same', composite: true }),
  pool('avgPool_same_stride1_grad', 'avgPool', [1, 4, 5, 2], { filterSize: [2, 3], strides: 1, pad: 'same', composite: true }),
  pool('avgPool_explicit_grad', 'avgPool', [1, 4, 4, 1], { filterSize: 2, strides: 1, pad: [[0, 0], [1, 0], [0, 1], [0, 0]], composite: true }),
  pool('avgPool_unbatched_grad', 'avgPool', [5, 4, 2], { filterSize: 2, strides: 2, pad: 'same', composite: true }),
];
