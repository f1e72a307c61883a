// Op cases for tensor creation.
export const ops = {
  zeros: (tf, _, a) => tf.zeros(a.shape, a.dtype),
  ones: (tf, _, a) => tf.ones(a.shape, a.dtype),
  fill: (tf, _, a) => tf.fill(a.shape, a.value, a.dtype),
  zerosLike: (tf, [x]) => tf.zerosLike(x),
  onesLike: (tf, [x]) => tf.onesLike(x),
  range: (tf, _, a) => tf.range(a.start, a.stop, a.step, a.dtype),
  linspace: (tf, _, a) => tf.linspace(a.start, a.stop, a.num),
  eye: (tf, _, a) => tf.eye(a.numRows, a.numColumns, a.batchShape, a.dtype),
  tensor: (tf, _, a) => tf.tensor(a.values, a.shape, a.dtype),
  scalar: (tf, _, a) => tf.scalar(a.value, a.dtype),
};

export const cases = [
  { name: 'zeros', op: 'zeros', inputs: [], attrs: { shape: [2, 3], dtype: 'float32' } },
  { name: 'zeros_int', op: 'zeros', inputs: [], attrs: { shape: [4], dtype: 'int32' } },
  { name: 'ones', op: 'ones', inputs: [], attrs: { shape: [3, 1, 2], dtype: 'float32' } },
  { name: 'ones_bool', op: 'ones', inputs: [], attrs: { shape: [3], dtype: 'bool' } },
  { name: 'fill', op: 'fill', inputs: [], attrs: { shape: [2, 2], value: 2.5, dtype: 'float32' } },
  { name: 'fill_int', op: 'fill', inputs: [], attrs: { shape: [3], value: 7, dtype: 'int32' } },
  { name: 'zerosLike', op: 'zerosLike', inputs: [{ shape: [2, 3] }] },
  { name: 'zerosLike_int', op: 'zerosLike', inputs: [{ shape: [4], dtype: 'int32' }] },
  { name: 'onesLike', op: 'onesLike', inputs: [{ shape: [3, 2] }] },
  { name: 'range', op: 'range', inputs: [], attrs: { start: 0, stop: 10, step: 3, dtype: 'float32' } },
  { name: 'range_negative', op: 'range', inputs: [], attrs: { start: 5, stop: -1.5, step: -1.5, dtype: 'float32' } },
  { name: 'range_int', op: 'range', inputs: [], attrs: { start: 2, stop: 9, step: 2, dtype: 'int32' } },
  // TF.js 4.22 returns [3, 4] for range(3, 1, 1) (it only treats step > 1 as "wrong direction");
  // Strata returns an empty tensor there, like NumPy and TensorFlow. step 2 is empty in both.
  { name: 'range_empty', op: 'range', inputs: [], attrs: { start: 3, stop: 1, step: 2, dtype: 'float32' } },
  { name: 'linspace', op: 'linspace', inputs: [], attrs: { start: -1, stop: 2, num: 7 } },
  { name: 'linspace_one', op: 'linspace', inputs: [], attrs: { start: 4, stop: 9, num: 1 } },
  { name: 'eye', op: 'eye', inputs: [], attrs: { numRows: 3, dtype: 'float32' } },
  { name: 'eye_rect_batch', op: 'eye', inputs: [], attrs: { numRows: 2, numColumns: 4, batchShape: [2], dtype: 'float32' } },
  { name: 'eye_int', op: 'eye', inputs: [], attrs: { numRows: 3, numColumns: 2, dtype: 'int32' } },
  { name: 'tensor', op: 'tensor', inputs: [], attrs: { values: [1, 2.5, -3, 4, 5, 6], shape: [2, 3], dtype: 'float32' } },
  { name: 'tensor_int', op: 'tensor', inputs: [], attrs: { values: [1, -2, 3], shape: [3], dtype: 'int32' } },
  { name: 'tensor_bool', op: 'tensor', inputs: [], attrs: { values: [1, 0, 1, 1], shape: [2, 2], dtype: 'bool' } },
  { name: 'scalar', op: 'scalar', inputs: [], attrs: { value: 3.25, dtype: 'float32' } },
  { name: 'scalar_int', op: 'scalar', inputs: [], attrs: { value: -4, dtype: 'int32' } },
];
