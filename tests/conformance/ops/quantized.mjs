// Op cases for Strata's quantized compute ops (include/strata/ops/quantized.h). TF.js has no
// integer compute, so the oracle is the ops' defining formula written with TF.js float ops:
// integers travel as int32 tensors and the products are float32 convolutions of exact integer
// values (every partial sum stays below 2^24, so they are exact); the requantization is
//   y = activation(acc * (inputScale * filterScales) + bias),  out = clip(round(y / outputScale) + zp, 0, 255)
// with TF.js's round (half to even), the rounding the kernels use. The C++ table
// (tests/ops/quantized_ops.cpp) turns the int32 inputs into uint8/int8 tensors and returns
// integer outputs as float32. A uint8 output may differ by one unit (atol 1): backends apply
// the scales in another order. No gradients (the ops are inference only).
function requantize(tf, acc, at, xs) {
  const [, , scales, bias] = xs;
  let y = tf.mul(acc, tf.mul(tf.scalar(at.inputScale), scales));
  if (at.hasBias) y = tf.add(y, bias);
  if (at.activation === 'relu') y = tf.relu(y);
  if (at.activation === 'relu6') y = tf.clipByValue(y, 0, 6);
  if (at.outputScale === undefined) return y;
  return tf.clipByValue(tf.add(tf.round(tf.div(y, tf.scalar(at.outputScale))), tf.scalar(at.outputZeroPoint)), 0, 255);
}
const centered = (tf, x, zp) => tf.sub(tf.cast(x, 'float32'), tf.scalar(zp));
// A float32 x (attrs.floatInput) is quantized by the kernel first, as quantize() does.
const input = (tf, x, at) => (at.floatInput
  ? tf.sub(tf.clipByValue(tf.add(tf.round(tf.div(x, tf.scalar(at.inputScale))), tf.scalar(at.inputZeroPoint)), 0, 255), tf.scalar(at.inputZeroPoint))
  : centered(tf, x, at.inputZeroPoint));
const strides = (at) => at.strides ?? [1, 1];

export const ops = {
  quantize: (tf, [x], at) => {
    const [lo, hi] = at.dtype === 'int8' ? [-128, 127] : [0, 255];
    return tf.clipByValue(tf.add(tf.round(tf.div(x, tf.scalar(at.scale))), tf.scalar(at.zeroPoint)), lo, hi);
  },
  dequantize: (tf, [q], at) => tf.mul(centered(tf, q, at.zeroPoint), tf.scalar(at.scale)),
  // Inputs: x (uint8 values), filter (int8 values), filterScales, [bias].
  quantizedConv2d: (tf, xs, at) => requantize(tf,
    tf.conv2d(input(tf, xs[0], at), tf.cast(xs[1], 'float32'), strides(at), at.pad, 'NHWC', at.dilations ?? [1, 1]), at, xs),
  quantizedDepthwiseConv2d: (tf, xs, at) => requantize(tf,
    tf.depthwiseConv2d(input(tf, xs[0], at), tf.cast(xs[1], 'float32'), strides(at), at.pad), at, xs),
  quantizedMatMul: (tf, xs, at) => requantize(tf, tf.matMul(input(tf, xs[0], at), tf.cast(xs[1], 'float32')), at, xs),
};

const f = (shape, min, max) => ({ shape, min, max });
const u8 = (shape) => ({ shape, dtype: 'int32', min: 0, max: 255 });
const s8 = (shape, w = 127) => ({ shape, dtype: 'int32', min: -w, max: w });
const q = (name, op, x, w, outC, attrs, { bias = true, wmax = 127 } = {}) => ({
  name, op, attrs: { hasBias: bias, ...attrs }, grad: false, atol: attrs.outputScale === undefined ? 1e-5 : 1, rtol: 1e-5,
  inputs: [attrs.floatInput ? f(x, -1, 2) : u8(x), s8(w, wmax), f([outC], 0.002, 0.02), ...(bias ? [f([outC], -1, 1)] : [])],
});

export const cases = [
  { name: 'quantize_uint8', op: 'quantize', inputs: [f([3, 7], -3, 5)], attrs: { scale: 0.03, zeroPoint: 100, dtype: 'uint8' }, grad: false },
  { name: 'quantize_int8', op: 'quantize', inputs: [f([2, 9], -2, 2)], attrs: { scale: 0.02, zeroPoint: -3, dtype: 'int8' }, grad: false },
  // Ties round to even; values beyond the range saturate.
  { name: 'quantize_ties_and_saturation', op: 'quantize', attrs: { scale: 0.5, zeroPoint: 10, dtype: 'uint8' }, grad: false,
    inputs: [{ values: [0.25, 0.75, 1.25, -0.25, -0.75, 200, -200, 3.1], shape: [8] }] },
  { name: 'dequantize_uint8', op: 'dequantize', inputs: [u8([4, 5])], attrs: { scale: 0.05, zeroPoint: 128 }, grad: false },
  q('quantizedConv2d_same_float', 'quantizedConv2d', [1, 5, 5, 3], [3, 3, 3, 4], 4,
    { pad: 'same', inputScale: 0.02, inputZeroPoint: 0, activation: 'linear' }),
  q('quantizedConv2d_valid_zp_relu_u8', 'quantizedConv2d', [2, 6, 5, 3], [3, 3, 3, 5], 5,
    { pad: 'valid', inputScale: 0.01, inputZeroPoint: 120, activation: 'relu', outputScale: 0.05, outputZeroPoint: 0 }),
  q('quantizedConv2d_stride2_relu6_u8', 'quantizedConv2d', [1, 7, 7, 2], [3, 3, 2, 3], 3,
    { pad: 'same', strides: [2, 2], inputScale: 0.03, inputZeroPoint: 7, activation: 'relu6', outputScale: 0.03, outputZeroPoint: 3 },
    { wmax: 63 }),
  q('quantizedConv2d_explicit_dilated_nobias', 'quantizedConv2d', [1, 6, 6, 2], [2, 2, 2, 3], 3,
    { pad: [[0, 0], [1, 0], [0, 1], [0, 0]], dilations: [2, 2], inputScale: 0.02, inputZeroPoint: 30, activation: 'linear' },
    { bias: false }),
  q('quantizedDepthwiseConv2d_same_relu6', 'quantizedDepthwiseConv2d', [1, 5, 5, 3], [3, 3, 3, 1], 3,
    { pad: 'same', inputScale: 0.02, inputZeroPoint: 0, activation: 'relu6' }),
  q('quantizedDepthwiseConv2d_mult2_stride2_u8', 'quantizedDepthwiseConv2d', [2, 6, 6, 2], [3, 3, 2, 2], 4,
    { pad: 'valid', strides: [2, 2], inputScale: 0.01, inputZeroPoint: 90, activation: 'linear', outputScale: 0.1, outputZeroPoint: 128 }),
  q('quantizedDepthwiseConv2d_words_stride2_zp_u8', 'quantizedDepthwiseConv2d', [2, 7, 7, 8], [3, 3, 8, 1], 8,
    { pad: 'same', strides: [2, 2], inputScale: 0.02, inputZeroPoint: 11, activation: 'relu', outputScale: 0.05, outputZeroPoint: 0 }),
  q('quantizedDepthwiseConv2d_c32_zp_relu6_u8', 'quantizedDepthwiseConv2d', [2, 6, 5, 32], [3, 3, 32, 1], 32,
    { pad: 'same', inputScale: 0.02, inputZeroPoint: 5, activation: 'relu6', outputScale: 0.04, outputZeroPoint: 2 }),
  q('quantizedDepthwiseConv2d_c16_5x5_float', 'quantizedDepthwiseConv2d', [1, 7, 7, 16], [5, 5, 16, 1], 16,
    { pad: 'valid', inputScale: 0.01, inputZeroPoint: 0, activation: 'linear' }),
  q('quantizedConv2d_float_input_u8', 'quantizedConv2d', [1, 5, 5, 3], [3, 3, 3, 4], 4,
    { pad: 'same', floatInput: true, inputScale: 0.015, inputZeroPoint: 70, activation: 'relu', outputScale: 0.05, outputZeroPoint: 0 }),
  // Larger than one 64 x 64 x 32 tile of the cuda kernel, with partial tiles on every axis:
  // whole-word loads (input channels % 4 == 0), byte loads, 1x1, a long inner dimension.
  q('quantizedConv2d_tiles_same_zp_relu', 'quantizedConv2d', [2, 9, 9, 12], [3, 3, 12, 70], 70,
    { pad: 'same', inputScale: 0.01, inputZeroPoint: 17, activation: 'relu' }),
  q('quantizedConv2d_tiles_bytes_stride2_u8', 'quantizedConv2d', [2, 11, 10, 5], [3, 3, 5, 66], 66,
    { pad: 'valid', strides: [2, 2], inputScale: 0.02, inputZeroPoint: 200, activation: 'linear', outputScale: 0.5, outputZeroPoint: 128 }),
  q('quantizedConv2d_tiles_pointwise_relu6_u8', 'quantizedConv2d', [1, 10, 10, 40], [1, 1, 40, 72], 72,
    { pad: 'valid', inputScale: 0.01, inputZeroPoint: 0, activation: 'relu6', outputScale: 0.03, outputZeroPoint: 0 }),
  q('quantizedMatMul_tiles', 'quantizedMatMul', [70, 100], [100, 66], 66, { inputScale: 0.01, inputZeroPoint: 3, activation: 'linear' }),
  q('quantizedMatMul_long_k_relu6_u8', 'quantizedMatMul', [3, 300], [300, 40], 40,
    { inputScale: 0.002, inputZeroPoint: 200, activation: 'relu6', outputScale: 0.03, outputZeroPoint: 0 }),
  q('quantizedMatMul_float_input', 'quantizedMatMul', [2, 9], [9, 3], 3,
    { floatInput: true, inputScale: 0.02, inputZeroPoint: 40, activation: 'linear' }),
  q('quantizedMatMul_float', 'quantizedMatMul', [3, 10], [10, 4], 4, { inputScale: 0.02, inputZeroPoint: 128, activation: 'linear' }),
  q('quantizedMatMul_relu_u8', 'quantizedMatMul', [2, 12], [12, 6], 6,
    { inputScale: 0.02, inputZeroPoint: 0, activation: 'relu', outputScale: 0.05, outputZeroPoint: 0 }, { wmax: 63 }),
];
