// Op cases for gather, unsortedSegmentSum, gatherND, scatterND, oneHot and topk.
// TF.js 4.22 registers no gradient for GatherNd, ScatterNd or TopK. So that their gradients are
// still checked against TF.js (and by finite differences), the TF.js side computes the same
// values through differentiable ops (gather, unsortedSegmentSum) and asserts that they equal
// what tf.gatherND / tf.scatterND / tf.topk return.
const prod = (s) => s.reduce((a, b) => a * b, 1);

function same(tf, a, b, what) {
  const x = a.dataSync(), y = b.dataSync();
  const bad = x.length !== y.length || x.some((v, i) => Math.abs(v - y[i]) > 1e-6 * (1 + Math.abs(y[i])));
  if (bad || a.dtype !== b.dtype || a.shape.join() !== b.shape.join())
    throw new Error(`${what}: the differentiable composite differs from TF.js's own op`);
}

// Flat row (below the first k axes of `shape`) of each k-coordinate index.
function flatRows(indices, k, shape) {
  const data = indices.dataSync();
  const strides = shape.slice(0, k).map((_, j) => prod(shape.slice(j + 1, k)));
  const rows = [];
  for (let i = 0; i < data.length / Math.max(k, 1); i++) {
    let r = 0;
    for (let j = 0; j < k; j++) r += data[i * k + j] * strides[j];
    rows.push(r);
  }
  return rows;
}

export const ops = {
  gather: (tf, [x, i], a) => tf.gather(x, i, a.axis ?? 0, a.batchDims ?? 0),
  unsortedSegmentSum: (tf, [x, ids], a) => tf.unsortedSegmentSum(x, ids, a.numSegments),
  gatherND: (tf, [x, indices]) => {
    const k = indices.shape[indices.rank - 1];
    const sliceShape = x.shape.slice(k);
    const rows = tf.tensor1d(flatRows(indices, k, x.shape), 'int32');
    const y = tf.reshape(tf.gather(tf.reshape(x, [prod(x.shape.slice(0, k)), prod(sliceShape)]), rows),
                         [...indices.shape.slice(0, -1), ...sliceShape]);
    same(tf, y, tf.gatherND(x, indices), 'gatherND');
    return y;
  },
  scatterND: (tf, [indices, updates], a) => {
    const ref = tf.scatterND(indices, updates, a.shape);
    if (updates.dtype !== 'float32') return ref;
    const k = indices.rank > 1 ? indices.shape[indices.rank - 1] : 1;
    const rows = flatRows(indices, k, a.shape);
    const y = tf.reshape(tf.unsortedSegmentSum(tf.reshape(updates, [rows.length, prod(a.shape.slice(k))]),
                                               tf.tensor1d(rows, 'int32'), prod(a.shape.slice(0, k))), a.shape);
    same(tf, y, ref, 'scatterND');
    return y;
  },
  oneHot: (tf, [i], a) => tf.oneHot(i, a.depth, a.onValue ?? 1, a.offValue ?? 0, a.dtype ?? 'int32'),
  // Unsorted results are compared in index order (TF.js leaves them in quickselect order).
  topk: (tf, [x], a) => {
    const sorted = a.sorted ?? true;
    const r = tf.topk(x, a.k, sorted);
    const n = x.shape[x.rank - 1], k = a.k, rows = x.size / n;
    // A fresh tensor: TF.js must not try to differentiate through the indices.
    const d = Array.from(r.indices.dataSync());
    if (!sorted)
      for (let b = 0; b < rows; b++) d.splice(b * k, k, ...d.slice(b * k, b * k + k).sort((p, q) => p - q));
    const indices = tf.tensor(d, r.indices.shape, 'int32');
    const values = tf.reshape(tf.gather(tf.reshape(x, [rows, n]), tf.reshape(indices, [rows, k]), 1, 1), indices.shape);
    if (sorted) same(tf, values, r.values, 'topk');
    return [values, indices];
  },
};

const f = (shape, min, max) => ({ shape, min, max });
const ints = (values, shape) => ({ values, shape, dtype: 'int32' });
const randInts = (shape, min, max) => ({ shape, dtype: 'int32', min, max });

export const cases = [
  { name: 'gather_axis0', op: 'gather', inputs: [f([5, 3]), ints([4, 0, 2, 2], [4])] },
  { name: 'gather_axis1_2d_indices', op: 'gather', inputs: [f([3, 4, 2]), randInts([2, 3], 0, 3)], attrs: { axis: 1 } },
  { name: 'gather_negative_axis', op: 'gather', inputs: [f([2, 3, 4]), ints([3, 1, 1], [3])], attrs: { axis: -1 } },
  { name: 'gather_scalar_index', op: 'gather', inputs: [f([4, 3]), ints([2], [])], attrs: { axis: 0 } },
  { name: 'gather_batchDims1', op: 'gather', inputs: [f([2, 4, 3]), randInts([2, 3], 0, 3)], attrs: { axis: 1, batchDims: 1 } },
  { name: 'gather_batchDims1_axis2', op: 'gather', inputs: [f([2, 3, 4, 2]), randInts([2, 2], 0, 3)], attrs: { axis: 2, batchDims: 1 } },
  // TF.js 4.22's GatherV2 gradient handles only batchDims 0 and 1 (literally), so these two
  // are checked forward only; their gradients are checked in tests/ops/indexing_ops.cpp.
  { name: 'gather_batchDims_negative', op: 'gather', inputs: [f([2, 4, 3]), randInts([2, 3], 0, 3)], attrs: { axis: 1, batchDims: -1 }, grad: false },
  { name: 'gather_batchDims2', op: 'gather', inputs: [f([2, 2, 3, 2]), randInts([2, 2, 2], 0, 2)], attrs: { axis: 2, batchDims: 2 }, grad: false },
  { name: 'gather_int32_params', op: 'gather', inputs: [randInts([4, 3], -9, 9), ints([3, 0, 3], [3])], attrs: { axis: 0 } },

  { name: 'unsortedSegmentSum', op: 'unsortedSegmentSum', inputs: [f([5, 3]), ints([0, 2, 0, -1, 1], [5])], attrs: { numSegments: 3 } },
  { name: 'unsortedSegmentSum_1d_empty_segment', op: 'unsortedSegmentSum', inputs: [f([6]), ints([1, 1, 0, 3, 3, 3], [6])], attrs: { numSegments: 4 } },

  { name: 'gatherND_points', op: 'gatherND', inputs: [f([3, 4]), ints([0, 1, 2, 3, 1, 0, 2, 3], [4, 2])] },
  { name: 'gatherND_slices', op: 'gatherND', inputs: [f([3, 4, 2]), ints([2, 0], [2, 1])] },
  { name: 'gatherND_rank1_indices', op: 'gatherND', inputs: [f([3, 4]), ints([1, 2], [2])] },
  { name: 'gatherND_batched', op: 'gatherND', inputs: [f([3, 3, 2]), ints([0, 1, 2, 2, 1, 1, 0, 1], [2, 2, 2])] },
  { name: 'gatherND_int32', op: 'gatherND', inputs: [randInts([3, 2], -5, 5), ints([2, 0, 2], [3, 1])] },

  { name: 'scatterND_duplicate_rows', op: 'scatterND', inputs: [ints([1, 3, 1], [3, 1]), f([3, 4])], attrs: { shape: [5, 4] } },
  { name: 'scatterND_duplicate_points', op: 'scatterND', inputs: [ints([0, 0, 2, 1, 0, 0, 1, 2], [4, 2]), f([4])], attrs: { shape: [3, 3] } },
  { name: 'scatterND_rank1_indices', op: 'scatterND', inputs: [ints([0, 2, 0], [3]), f([3, 2])], attrs: { shape: [4, 2] } },
  { name: 'scatterND_int32', op: 'scatterND', inputs: [ints([1, 1, 0], [3, 1]), randInts([3, 2], -5, 5)], attrs: { shape: [2, 2] } },

  { name: 'oneHot', op: 'oneHot', inputs: [ints([0, 2, 1, 4, -1], [5])], attrs: { depth: 4 } },
  { name: 'oneHot_float_2d', op: 'oneHot', inputs: [ints([0, 2, 1, 1, 0, 2], [2, 3])], attrs: { depth: 3, onValue: 5, offValue: -1, dtype: 'float32' } },

  { name: 'topk_sorted', op: 'topk', inputs: [f([3, 6])], attrs: { k: 3 } },
  { name: 'topk_1d_all', op: 'topk', inputs: [f([5])], attrs: { k: 5 } },
  { name: 'topk_3d', op: 'topk', inputs: [f([2, 2, 5])], attrs: { k: 2 } },
  // Ties: the lower index comes first. The loss has kinks at ties, so no finite differences.
  { name: 'topk_ties', op: 'topk', inputs: [{ values: [1, 3, 3, 2, 3, 0, 5, 5, 5, 5, 1, 1], shape: [2, 6] }], attrs: { k: 4 }, fd: false },
  { name: 'topk_int32', op: 'topk', inputs: [ints([4, -2, 7, 7, 0, 1], [6])], attrs: { k: 3 } },
  { name: 'topk_unsorted', op: 'topk', inputs: [f([3, 7])], attrs: { k: 3, sorted: false } },
  { name: 'topk_unsorted_all', op: 'topk', inputs: [f([2, 4])], attrs: { k: 4, sorted: false } },
];
