// Op cases for reductions and scans: the op table maps each op name to its TF.js call;
// tests/ops/reduce_ops.cpp maps it to Strata's.
//
// Where TF.js 4.22's own gradient is missing or wrong, the op below differentiates an
// equivalent composite instead, after checking that its forward values equal TF.js's op:
//   - Cumsum: TF.js transposes the gradient when the axis is not the last one (a shape error,
//     or a wrong answer for square inputs); the composite scans the transposed input.
//   - Cumprod: TF.js registers no gradient; the composite multiplies unstacked slices.
// TF.js's Cumsum/Cumprod kernels also reject negative axes, so those are resolved here
// first (Strata accepts them).

// Returns `comp` after checking that it matches `real` (TF.js's own op) in shape and values.
function checked(real, comp, what) {
  if (real.shape.join() !== comp.shape.join())
    throw new Error(`${what}: composite has shape [${comp.shape}], TF.js [${real.shape}]`);
  const a = real.dataSync(), b = comp.dataSync();
  for (let i = 0; i < a.length; i++)
    if (!(Math.abs(a[i] - b[i]) <= 1e-6 * Math.max(1, Math.abs(a[i]))))
      throw new Error(`${what}: composite element ${i} is ${b[i]}, TF.js gives ${a[i]}`);
  return comp;
}

const normAxis = (x, axis) => (axis < 0 ? axis + x.rank : axis);

function cumsum(tf, [x], a) {
  const axis = normAxis(x, a.axis ?? 0), last = x.rank - 1;
  const real = tf.cumsum(x, axis, a.exclusive ?? false, a.reverse ?? false);
  if (axis === last) return real;
  const perm = [...Array(x.rank).keys()];
  [perm[axis], perm[last]] = [perm[last], perm[axis]];
  const comp = tf.transpose(tf.cumsum(tf.transpose(x, perm), last, a.exclusive ?? false, a.reverse ?? false), perm);
  return checked(real, comp, 'cumsum');
}

function cumprod(tf, [x], a) {
  const axis = normAxis(x, a.axis ?? 0);
  const exclusive = a.exclusive ?? false, reverse = a.reverse ?? false;
  let parts = tf.unstack(x, axis);
  // A copy: TF.js's tape keeps the very array unstack returned, so reversing it in place
  // would reorder the recorded outputs.
  if (reverse) parts = [...parts].reverse();
  const out = [];
  let acc = null;
  for (const p of parts) {
    if (exclusive) out.push(acc ?? tf.onesLike(p));
    acc = acc ? tf.mul(p, acc) : p;
    if (!exclusive) out.push(acc);
  }
  if (reverse) out.reverse();
  return checked(tf.cumprod(x, axis, exclusive, reverse), tf.stack(out, axis), 'cumprod');
}

const red = (name) => (tf, [x], a) => tf[name](x, a.axis ?? null, a.keepDims ?? false);

export const ops = {
  sum: red('sum'), mean: red('mean'), max: red('max'), min: red('min'), prod: red('prod'),
  logSumExp: red('logSumExp'), all: red('all'), any: red('any'), euclideanNorm: red('euclideanNorm'),
  argMax: (tf, [x], a) => tf.argMax(x, a.axis ?? 0),
  argMin: (tf, [x], a) => tf.argMin(x, a.axis ?? 0),
  cumsum, cumprod,
  moments: (tf, [x], a) => {
    const m = tf.moments(x, a.axis ?? null, a.keepDims ?? false);
    return [m.mean, m.variance];
  },
};

const f = (shape, min = -2, max = 2) => ({ shape, min, max });
const i32 = (shape, min = -5, max = 5) => ({ shape, dtype: 'int32', min, max });
const bool = (shape) => ({ shape, dtype: 'bool' });
const c = (name, op, input, attrs = {}, extra = {}) => ({ name, op, inputs: [input], attrs, ...extra });
// Ties make max/min not differentiable there (TF.js gives dy to every tied position).
const ties = { values: [1, 3, 3, 2, 2, 0, -1, 5, -1], shape: [3, 3] };

export const cases = [
  c('sum_all', 'sum', f([3, 4])),
  c('sum_axis0', 'sum', f([3, 4]), { axis: 0 }),
  c('sum_neg_keepDims', 'sum', f([2, 3, 4]), { axis: -1, keepDims: true }),
  c('sum_two_axes', 'sum', f([2, 3, 4]), { axis: [0, 2] }),
  c('sum_size1_axis', 'sum', f([3, 1, 2]), { axis: 1 }),
  c('sum_scalar', 'sum', { values: [2.5], shape: [] }),
  c('sum_int', 'sum', i32([3, 4]), { axis: 1 }),
  c('sum_bool', 'sum', bool([3, 4]), { axis: 0 }),

  c('mean_all', 'mean', f([3, 4])),
  c('mean_axis1_keepDims', 'mean', f([3, 4]), { axis: 1, keepDims: true }),
  c('mean_neg_axes', 'mean', f([2, 3, 4]), { axis: [-1, 0] }),
  c('mean_int', 'mean', i32([4, 3]), { axis: 0 }),
  c('mean_bool', 'mean', bool([2, 5]), { axis: 1 }),

  c('max_all', 'max', f([3, 4])),
  c('max_axis1', 'max', f([3, 4]), { axis: 1 }),
  c('max_axes_keepDims', 'max', f([2, 3, 4]), { axis: [0, 2], keepDims: true }),
  c('max_size1_axis', 'max', f([2, 1, 3]), { axis: -2 }),
  c('max_ties', 'max', ties, { axis: 1 }, { fd: false }),
  c('max_int', 'max', i32([3, 4]), { axis: 0 }),
  // NaN wins in TF.js's max/min; argMax/argMin never pick it (unless it comes first).
  c('max_nan', 'max', { values: [1, NaN, 3, 4, 2, 0], shape: [2, 3] }, { axis: 1 }, { grad: false }),
  c('min_nan', 'min', { values: [1, NaN, 3, 4, 2, 0], shape: [3, 2] }, { axis: 0 }, { grad: false }),
  c('argMax_nan', 'argMax', { values: [NaN, 1, 3, 4, NaN, 0], shape: [2, 3] }, { axis: 1 }, { grad: false }),
  c('max_bool', 'max', bool([2, 4]), { axis: 1 }),
  c('min_all', 'min', f([4, 3])),
  c('min_neg_axis', 'min', f([2, 3, 4]), { axis: -2 }),
  c('min_keepDims', 'min', f([3, 4]), { axis: 0, keepDims: true }),
  c('min_ties', 'min', ties, { axis: 0 }, { fd: false }),
  c('min_int', 'min', i32([3, 4]), { axis: 1 }),

  c('prod_all', 'prod', f([2, 3], 0.5, 1.5)),
  c('prod_axis1', 'prod', f([3, 4], -1.5, 1.5), { axis: 1 }),
  c('prod_axes_keepDims', 'prod', f([2, 3, 2], 0.5, 1.5), { axis: [0, 2], keepDims: true }),
  c('prod_with_zero', 'prod', { values: [2, 0, 3, -1, 4, 0.5], shape: [2, 3] }, { axis: 1 }),
  c('prod_int', 'prod', i32([3, 3], -3, 3), { axis: 0 }),
  c('prod_bool', 'prod', bool([2, 3]), { axis: 1 }),

  c('logSumExp_all', 'logSumExp', f([3, 4])),
  c('logSumExp_axis1', 'logSumExp', f([3, 4]), { axis: 1 }),
  c('logSumExp_neg_keepDims', 'logSumExp', f([2, 3, 4]), { axis: -1, keepDims: true }),
  c('logSumExp_large', 'logSumExp', f([2, 5], 80, 100), { axis: 1 }),

  c('all_all', 'all', bool([3, 4])),
  c('all_axis1_keepDims', 'all', bool([3, 4]), { axis: 1, keepDims: true }),
  c('all_true_rows', 'all', { values: [1, 1, 1, 0, 1, 1], shape: [2, 3], dtype: 'bool' }, { axis: -1 }),
  c('any_all', 'any', bool([3, 4])),
  c('any_axis0', 'any', bool([3, 4]), { axis: 0 }),
  c('any_false_rows', 'any', { values: [0, 0, 0, 0, 1, 0], shape: [2, 3], dtype: 'bool' }, { axis: 1, keepDims: true }),

  c('argMax_axis0', 'argMax', f([3, 4]), { axis: 0 }, { grad: false }),
  c('argMax_neg_axis', 'argMax', f([2, 3, 4]), { axis: -1 }, { grad: false }),
  c('argMax_middle_axis', 'argMax', f([2, 3, 4]), { axis: 1 }, { grad: false }),
  c('argMax_ties', 'argMax', ties, { axis: 1 }, { grad: false }),
  c('argMax_int', 'argMax', i32([2, 5]), { axis: 1 }),
  c('argMin_axis0', 'argMin', f([3, 4]), { axis: 0 }, { grad: false }),
  c('argMin_neg_axis', 'argMin', f([2, 3, 4]), { axis: -2 }, { grad: false }),
  c('argMin_ties', 'argMin', ties, { axis: 0 }, { grad: false }),
  c('argMin_int', 'argMin', i32([4, 3]), { axis: 1 }),

  c('euclideanNorm_all', 'euclideanNorm', f([3, 4])),
  c('euclideanNorm_axis1', 'euclideanNorm', f([3, 4]), { axis: 1 }),
  c('euclideanNorm_axes_keepDims', 'euclideanNorm', f([2, 3, 2]), { axis: [0, 1], keepDims: true }),
  c('euclideanNorm_vector', 'euclideanNorm', f([5]), { axis: 0, keepDims: true }),

  c('cumsum_last', 'cumsum', f([3, 4]), { axis: 1 }),
  c('cumsum_exclusive', 'cumsum', f([3, 4]), { axis: 1, exclusive: true }),
  c('cumsum_reverse', 'cumsum', f([3, 4]), { axis: -1, reverse: true }),
  c('cumsum_axis0', 'cumsum', f([3, 4]), { axis: 0 }),
  c('cumsum_middle_excl_rev', 'cumsum', f([2, 3, 4]), { axis: 1, exclusive: true, reverse: true }),
  c('cumsum_size1_axis', 'cumsum', f([2, 1, 3]), { axis: 1 }),
  c('cumsum_int', 'cumsum', i32([2, 4]), { axis: 1 }),
  c('cumsum_bool', 'cumsum', bool([2, 4]), { axis: 1, reverse: true }),
  c('cumprod_last', 'cumprod', f([3, 4], 0.5, 1.5), { axis: 1 }),
  c('cumprod_exclusive', 'cumprod', f([3, 4], 0.5, 1.5), { axis: 1, exclusive: true }),
  c('cumprod_reverse', 'cumprod', f([3, 4], -1.5, -0.5), { axis: -1, reverse: true }),
  c('cumprod_axis0', 'cumprod', f([4, 3], 0.5, 1.5), { axis: 0 }),
  c('cumprod_middle_excl_rev', 'cumprod', f([2, 3, 3], 0.5, 1.5), { axis: 1, exclusive: true, reverse: true }),
  c('cumprod_int', 'cumprod', i32([2, 4], -3, 3), { axis: 1 }),

  c('moments_all', 'moments', f([3, 4])),
  c('moments_axes', 'moments', f([2, 3, 4]), { axis: [0, 1] }),
  c('moments_keepDims', 'moments', f([3, 4]), { axis: -1, keepDims: true }),
  c('moments_int', 'moments', i32([4, 3]), { axis: 0 }),
];
