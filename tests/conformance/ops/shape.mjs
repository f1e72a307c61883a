// Op cases for shape and data-movement ops: the op table maps each op name to its TF.js call;
// tests/ops/shape_ops.cpp maps it to Strata's.
//
// Where TF.js 4.22 has no correct gradient, the op below differentiates an equivalent composite
// of ops TF.js does differentiate, after checking its forward values against TF.js's own op:
//   - StridedSlice (no gradient in TF.js): a gather of the indices that tf.stridedSlice picks
//     from a tensor of element positions.
//   - MirrorPad (TF.js only slices the centre out of dy, dropping the mirrored parts):
//     concatenated reversed slices.
//   - DepthToSpace (no gradient in TF.js): reshape, transpose, reshape.
//   - spaceToDepth (not in TF.js): reshape, transpose, reshape, checked by undoing it with
//     tf.depthToSpace.
// TF.js's depthToSpace accepts float32 only, so int32 cases check the composite alone.

// Returns `comp` after checking that it matches `real` (TF.js's own op) in shape and values.
function checked(real, comp, what) {
  if (real.shape.join() !== comp.shape.join())
    throw new Error(`${what}: composite has shape [${comp.shape}], TF.js [${real.shape}]`);
  const a = real.dataSync(), b = comp.dataSync();
  for (let i = 0; i < a.length; i++)
    if (a[i] !== b[i]) throw new Error(`${what}: composite element ${i} is ${b[i]}, TF.js gives ${a[i]}`);
  return comp;
}

function sliceAxis(tf, t, d, start, len) {
  const begin = t.shape.map(() => 0), size = t.shape.map(() => -1);
  begin[d] = start;
  size[d] = len;
  return tf.slice(t, begin, size);
}

function mirrorPad(tf, [x], a) {
  const off = a.mode === 'reflect' ? 1 : 0;
  let y = x;
  a.paddings.forEach(([before, after], d) => {
    const n = x.shape[d];
    const parts = [y];
    if (before > 0) parts.unshift(tf.reverse(sliceAxis(tf, y, d, off, before), d));
    if (after > 0) parts.push(tf.reverse(sliceAxis(tf, y, d, n - off - after, after), d));
    if (parts.length > 1) y = tf.concat(parts, d);
  });
  return checked(tf.mirrorPad(x, a.paddings, a.mode), y, 'mirrorPad');
}

function stridedSlice(tf, [x], a) {
  const args = [a.begin, a.end, a.strides, a.beginMask ?? 0, a.endMask ?? 0, a.ellipsisMask ?? 0,
    a.newAxisMask ?? 0, a.shrinkAxisMask ?? 0];
  const positions = tf.reshape(tf.range(0, x.size, 1, 'int32'), x.shape);
  const picked = tf.stridedSlice(positions, ...args);
  const comp = tf.reshape(tf.gather(tf.reshape(x, [-1]), tf.reshape(picked, [-1])), picked.shape);
  return checked(tf.stridedSlice(x, ...args), comp, 'stridedSlice');
}

function depthToSpace(tf, [x], a) {
  const [n, h, w, c] = x.shape, bs = a.blockSize, d = c / (bs * bs);
  const comp = tf.reshape(tf.transpose(tf.reshape(x, [n, h, w, bs, bs, d]), [0, 1, 3, 2, 4, 5]), [n, h * bs, w * bs, d]);
  return x.dtype === 'float32' ? checked(tf.depthToSpace(x, bs), comp, 'depthToSpace') : comp;
}

function spaceToDepth(tf, [x], a) {
  const [n, h, w, c] = x.shape, bs = a.blockSize;
  const y = tf.reshape(tf.transpose(tf.reshape(x, [n, h / bs, bs, w / bs, bs, c]), [0, 1, 3, 2, 4, 5]),
    [n, h / bs, w / bs, bs * bs * c]);
  if (x.dtype === 'float32') checked(x, tf.depthToSpace(y, bs), 'spaceToDepth (undone by depthToSpace)');
  return y;
}

export const ops = {
  reshape: (tf, [x], a) => tf.reshape(x, a.shape),
  flatten: (tf, [x]) => x.flatten(),
  transpose: (tf, [x], a) => tf.transpose(x, a.perm),
  expandDims: (tf, [x], a) => tf.expandDims(x, a.axis ?? 0),
  squeeze: (tf, [x], a) => tf.squeeze(x, a.axis),
  concat: (tf, xs, a) => tf.concat(xs, a.axis ?? 0),
  stack: (tf, xs, a) => tf.stack(xs, a.axis ?? 0),
  unstack: (tf, [x], a) => tf.unstack(x, a.axis ?? 0),
  // TF.js fills a -1 size into the array it is given: pass a copy so the case keeps its -1.
  split: (tf, [x], a) => tf.split(x, Array.isArray(a.numOrSizeSplits) ? [...a.numOrSizeSplits] : a.numOrSizeSplits, a.axis ?? 0),
  slice: (tf, [x], a) => tf.slice(x, a.begin, a.size),
  stridedSlice,
  tile: (tf, [x], a) => tf.tile(x, a.reps),
  pad: (tf, [x], a) => tf.pad(x, a.paddings, a.value ?? 0),
  mirrorPad,
  reverse: (tf, [x], a) => tf.reverse(x, a.axis),
  broadcastTo: (tf, [x], a) => tf.broadcastTo(x, a.shape),
  depthToSpace, spaceToDepth,
};

const f = (shape) => ({ shape });
const i32 = (shape) => ({ shape, dtype: 'int32', min: -9, max: 9 });
const bool = (shape) => ({ shape, dtype: 'bool' });
const c = (name, op, inputs, attrs = {}, extra = {}) => ({ name, op, inputs, attrs, ...extra });
const ss = (name, shape, attrs, dtype) => c(name, 'stridedSlice', [dtype === 'int32' ? i32(shape) : f(shape)], attrs);

export const cases = [
  c('reshape_infer', 'reshape', [f([2, 3, 4])], { shape: [6, -1] }),
  c('reshape_to_scalar', 'reshape', [f([1])], { shape: [] }),
  c('reshape_int', 'reshape', [i32([2, 3])], { shape: [3, 2] }),
  c('reshape_bool', 'reshape', [bool([4])], { shape: [2, 2] }),
  c('flatten', 'flatten', [f([2, 3, 2])]),
  c('flatten_int', 'flatten', [i32([2, 2])]),

  c('transpose_default', 'transpose', [f([2, 3])]),
  c('transpose_3d', 'transpose', [f([2, 3, 4])], { perm: [2, 0, 1] }),
  c('transpose_4d', 'transpose', [f([2, 1, 3, 2])], { perm: [3, 1, 0, 2] }),
  c('transpose_rank1', 'transpose', [f([5])]),
  c('transpose_int', 'transpose', [i32([3, 2])], { perm: [1, 0] }),
  c('transpose_bool', 'transpose', [bool([2, 3, 2])], { perm: [1, 2, 0] }),

  c('expandDims_0', 'expandDims', [f([2, 3])], { axis: 0 }),
  c('expandDims_neg', 'expandDims', [f([2, 3])], { axis: -1 }),
  c('expandDims_middle', 'expandDims', [f([2, 3])], { axis: 1 }),
  c('expandDims_scalar', 'expandDims', [{ values: [4], shape: [] }], { axis: 0 }),
  c('expandDims_int', 'expandDims', [i32([2, 3])], { axis: 2 }),
  c('squeeze_all', 'squeeze', [f([1, 3, 1, 2])]),
  c('squeeze_axis', 'squeeze', [f([1, 3, 1, 2])], { axis: [2] }),
  c('squeeze_neg_axis', 'squeeze', [f([1, 3, 1, 2])], { axis: [-4] }),
  c('squeeze_int', 'squeeze', [i32([2, 1])]),
  c('squeeze_bool', 'squeeze', [bool([1, 1, 3])], { axis: [0, 1] }),

  c('concat_axis0', 'concat', [f([2, 3]), f([1, 3])], { axis: 0 }),
  c('concat_neg_axis', 'concat', [f([2, 3]), f([2, 1])], { axis: -1 }),
  c('concat_three', 'concat', [f([2, 1, 2]), f([2, 3, 2]), f([2, 2, 2])], { axis: 1 }),
  c('concat_1d', 'concat', [f([3]), f([2])]),
  c('concat_one', 'concat', [f([2, 2])], { axis: 1 }),
  c('concat_int', 'concat', [i32([2, 2]), i32([1, 2])], { axis: 0 }),
  c('concat_bool', 'concat', [bool([2, 1]), bool([2, 2])], { axis: 1 }),
  c('stack_axis0', 'stack', [f([2, 3]), f([2, 3])]),
  c('stack_axis1', 'stack', [f([2]), f([2]), f([2])], { axis: 1 }),
  c('stack_neg_axis', 'stack', [f([2, 3]), f([2, 3])], { axis: -1 }),
  c('stack_one', 'stack', [f([3])], { axis: 0 }),
  c('stack_int', 'stack', [i32([3]), i32([3])], { axis: 1 }),
  c('stack_bool', 'stack', [bool([2]), bool([2])]),
  c('unstack_axis0', 'unstack', [f([3, 2])]),
  c('unstack_axis1', 'unstack', [f([2, 3, 2])], { axis: 1 }),
  c('unstack_neg_axis', 'unstack', [f([2, 2, 3])], { axis: -1 }),
  c('unstack_int', 'unstack', [i32([2, 3])], { axis: 0 }),
  c('split_num', 'split', [f([6, 2])], { numOrSizeSplits: 3, axis: 0 }),
  c('split_sizes_infer', 'split', [f([2, 7])], { numOrSizeSplits: [2, -1, 4], axis: 1 }),
  c('split_sizes_neg_axis', 'split', [f([2, 7])], { numOrSizeSplits: [3, 1, 3], axis: -1 }),
  // TF.js's SplitV gradient fails for a single output (it passes concat one tensor, not a list).
  c('split_one', 'split', [f([3, 2])], { numOrSizeSplits: 1, axis: 1 }, { grad: false }),
  c('split_int', 'split', [i32([4, 2])], { numOrSizeSplits: 2, axis: 0 }),
  c('split_bool', 'split', [bool([2, 4])], { numOrSizeSplits: [1, 3], axis: 1 }),

  c('slice_2d', 'slice', [f([4, 5])], { begin: [1, 2], size: [2, -1] }),
  c('slice_3d', 'slice', [f([3, 4, 2])], { begin: [0, 1, 1], size: [3, 2, 1] }),
  c('slice_short_begin', 'slice', [f([4, 3])], { begin: [1] }),
  c('slice_int', 'slice', [i32([4, 3])], { begin: [2, 0], size: [2, 2] }),
  c('slice_bool', 'slice', [bool([5])], { begin: [1], size: [3] }),
  ss('stridedSlice_strides', [5, 6], { begin: [1, 0], end: [4, 6], strides: [1, 2] }),
  ss('stridedSlice_negative_stride', [7], { begin: [6], end: [0], strides: [-2] }),
  ss('stridedSlice_negative_indices', [4, 5], { begin: [-3, 1], end: [-1, -1] }),
  ss('stridedSlice_masks', [4, 5], { begin: [2, 3], end: [3, 4], strides: [1, 1], beginMask: 1, endMask: 2 }),
  ss('stridedSlice_shrink', [3, 4], { begin: [1, 0], end: [2, 4], strides: [1, 1], shrinkAxisMask: 1 }),
  ss('stridedSlice_shrink_last', [3, 4], { begin: [0, -1], end: [3, 0], strides: [1, 1], shrinkAxisMask: 2 }),
  ss('stridedSlice_newAxis', [3, 4], { begin: [0, 0, 1], end: [0, 3, 3], strides: [1, 1, 1], newAxisMask: 1 }),
  ss('stridedSlice_ellipsis', [2, 3, 4], { begin: [0, 1], end: [0, 3], strides: [1, 1], ellipsisMask: 1 }),
  ss('stridedSlice_ellipsis_newAxis_shrink', [2, 3, 4],
    { begin: [0, 0, 1], end: [0, 0, 2], strides: [1, 1, 1], ellipsisMask: 1, newAxisMask: 2, shrinkAxisMask: 4 }),
  ss('stridedSlice_ellipsis_middle', [2, 3, 4, 2], { begin: [1, 0, 0], end: [2, 0, 2], strides: [1, 1, 2], ellipsisMask: 2 }),
  ss('stridedSlice_clamped', [4], { begin: [-10], end: [10], strides: [1] }),
  ss('stridedSlice_reverse_all', [3, 4], { begin: [0, 0], end: [0, 0], strides: [-1, -1], beginMask: 3, endMask: 3 }),
  ss('stridedSlice_short_spec', [3, 4, 2], { begin: [1], end: [3], strides: [1] }),
  ss('stridedSlice_default_strides', [4, 3], { begin: [1, 1], end: [3, 3] }),
  ss('stridedSlice_int', [4, 4], { begin: [3, 0], end: [0, 4], strides: [-1, 3] }, 'int32'),
  c('stridedSlice_bool', 'stridedSlice', [bool([6])], { begin: [1], end: [6], strides: [2] }),

  c('tile_2d', 'tile', [f([2, 3])], { reps: [2, 1] }),
  c('tile_1d', 'tile', [f([3])], { reps: [3] }),
  c('tile_3d', 'tile', [f([2, 1, 2])], { reps: [1, 3, 2] }),
  c('tile_ones', 'tile', [f([2, 2])], { reps: [1, 1] }),
  c('tile_int', 'tile', [i32([2])], { reps: [2] }),
  c('tile_bool', 'tile', [bool([1, 2])], { reps: [2, 2] }),
  c('pad_2d', 'pad', [f([2, 3])], { paddings: [[1, 0], [2, 1]] }),
  c('pad_value', 'pad', [f([2, 2])], { paddings: [[0, 1], [1, 1]], value: 1.5 }),
  c('pad_3d', 'pad', [f([2, 2, 2])], { paddings: [[0, 1], [1, 1], [2, 0]] }),
  c('pad_int', 'pad', [i32([3])], { paddings: [[2, 1]], value: 7 }),
  c('pad_bool', 'pad', [bool([2, 2])], { paddings: [[1, 0], [0, 1]] }),
  c('mirrorPad_reflect', 'mirrorPad', [f([3, 4])], { paddings: [[1, 2], [2, 3]], mode: 'reflect' }),
  c('mirrorPad_symmetric', 'mirrorPad', [f([3, 4])], { paddings: [[2, 1], [3, 4]], mode: 'symmetric' }),
  c('mirrorPad_3d', 'mirrorPad', [f([2, 3, 3])], { paddings: [[1, 1], [0, 0], [2, 1]], mode: 'reflect' }),
  c('mirrorPad_1d', 'mirrorPad', [f([4])], { paddings: [[3, 3]], mode: 'reflect' }),
  c('mirrorPad_int', 'mirrorPad', [i32([2, 3])], { paddings: [[1, 1], [1, 2]], mode: 'symmetric' }),
  c('reverse_axis0', 'reverse', [f([3, 4])], { axis: [0] }),
  c('reverse_neg_axes', 'reverse', [f([2, 3, 4])], { axis: [-1, 0] }),
  c('reverse_all', 'reverse', [f([2, 3])]),
  c('reverse_1d', 'reverse', [f([5])], { axis: 0 }),
  c('reverse_int', 'reverse', [i32([2, 3])], { axis: [1] }),
  c('reverse_bool', 'reverse', [bool([4])]),
  c('broadcastTo_rank_up', 'broadcastTo', [f([3])], { shape: [2, 3] }),
  c('broadcastTo_size1', 'broadcastTo', [f([2, 1])], { shape: [2, 4] }),
  c('broadcastTo_3d', 'broadcastTo', [f([1, 3, 1])], { shape: [2, 3, 4] }),
  c('broadcastTo_scalar', 'broadcastTo', [{ values: [1.5], shape: [] }], { shape: [2, 2] }),
  c('broadcastTo_int', 'broadcastTo', [i32([1, 2])], { shape: [3, 2] }),
  c('broadcastTo_bool', 'broadcastTo', [bool([2])], { shape: [2, 2] }),
  c('depthToSpace_2', 'depthToSpace', [f([1, 2, 2, 8])], { blockSize: 2 }),
  c('depthToSpace_3', 'depthToSpace', [f([2, 1, 3, 9])], { blockSize: 3 }),
  c('depthToSpace_int', 'depthToSpace', [i32([1, 1, 2, 4])], { blockSize: 2 }),
  c('spaceToDepth_2', 'spaceToDepth', [f([1, 4, 4, 2])], { blockSize: 2 }),
  c('spaceToDepth_3', 'spaceToDepth', [f([2, 3, 6, 1])], { blockSize: 3 }),
  c('spaceToDepth_int', 'spaceToDepth', [i32([1, 2, 2, 3])], { blockSize: 2 }),
];
