// Op cases for the convolutions. attrs.pad is 'same', 'valid', a number, or TF.js explicit
// padding [[0,0],[top,bottom],[left,right],[0,0]].
//
// TF.js 4.22 has no gradient for dilated conv2d/depthwiseConv2d (it throws). Cases with
// `dilatedFilter: true` compute the same convolution as a dilation-1 convolution by a filter
// with zeros inserted between its taps (built from pad/reshape/slice, all differentiable), so
// TF.js still serves as the gradient oracle.
function dilateFilter(tf, filter, [dh, dw]) {
  let t = filter;
  let [fh, fw, i, o] = t.shape;
  if (dh > 1) {
    t = tf.pad(tf.reshape(t, [fh, 1, fw, i, o]), [[0, 0], [0, dh - 1], [0, 0], [0, 0], [0, 0]]);
    t = tf.slice(tf.reshape(t, [fh * dh, fw, i, o]), [0, 0, 0, 0], [(fh - 1) * dh + 1, fw, i, o]);
    fh = (fh - 1) * dh + 1;
  }
  if (dw > 1) {
    t = tf.pad(tf.reshape(t, [fh, fw, 1, i, o]), [[0, 0], [0, 0], [0, dw - 1], [0, 0], [0, 0]]);
    t = tf.slice(tf.reshape(t, [fh, fw * dw, i, o]), [0, 0, 0, 0], [fh, (fw - 1) * dw + 1, i, o]);
  }
  return t;
}
const dil = (at) => at.dilations ?? [1, 1];
const strides = (at) => at.strides ?? [1, 1];
function conv(tf, name, x, filter, at) {
  if (at.dilatedFilter) return tf[name](x, dilateFilter(tf, filter, dil(at)), strides(at), at.pad);
  return tf[name](x, filter, strides(at), at.pad, 'NHWC', dil(at));
}
// Fused inputs: x, filter, then bias (attrs.hasBias), then PReLU weights (activation 'prelu').
function fusedConv(tf, name, xs, at) {
  let k = 2;
  const bias = at.hasBias ? xs[k++] : undefined;
  const preluActivationWeights = at.activation === 'prelu' ? xs[k++] : undefined;
  return tf.fused[name]({
    x: xs[0], filter: xs[1], strides: strides(at), pad: at.pad, dilations: dil(at), bias,
    activation: at.activation ?? 'linear', preluActivationWeights, leakyreluAlpha: at.leakyreluAlpha,
  });
}

export const ops = {
  conv2d: (tf, [x, w], at) => conv(tf, 'conv2d', x, w, at),
  depthwiseConv2d: (tf, [x, w], at) => conv(tf, 'depthwiseConv2d', x, w, at),
  conv1d: (tf, [x, w], at) => tf.conv1d(x, w, at.stride ?? 1, at.pad, 'NWC', at.dilation ?? 1),
  separableConv2d: (tf, [x, dw, pw], at) => tf.separableConv2d(x, dw, pw, strides(at), at.pad, dil(at)),
  conv2dTranspose: (tf, [x, w], at) => tf.conv2dTranspose(x, w, at.outputShape, strides(at), at.pad),
  conv2dBackpropInput: (tf, [dy, w], at) => tf.conv2dTranspose(dy, w, at.xShape, strides(at), at.pad),
  // Not differentiable in TF.js (no gradient for Conv2DBackpropFilter): forward only.
  conv2dBackpropFilter: (tf, [x, dy], at) => {
    const [, y] = tf.grads((xx, w) => tf.sum(tf.mul(tf.conv2d(xx, w, strides(at), at.pad), dy)))([x, tf.zeros(at.filterShape)]);
    return y;
  },
  fusedConv2d: (tf, xs, at) => fusedConv(tf, 'conv2d', xs, at),
  fusedDepthwiseConv2d: (tf, xs, at) => fusedConv(tf, 'depthwiseConv2d', xs, at),
};

const f = (shape, min, max) => ({ shape, min, max });
const c2 = (name, x, w, attrs, extra = {}) => ({ name, op: 'conv2d', inputs: [f(x), f(w)], attrs, ...extra });
const dw = (name, x, w, attrs, extra = {}) => ({ name, op: 'depthwiseConv2d', inputs: [f(x), f(w)], attrs, ...extra });
const fc = (name, op, x, w, attrs, extras = [], extra = {}) => ({ name, op, inputs: [f(x), f(w), ...extras], attrs, ...extra });

export const cases = [
  c2('conv2d_valid', [1, 5, 5, 2], [3, 3, 2, 3], { pad: 'valid' }),
  c2('conv2d_same', [1, 4, 5, 2], [3, 3, 2, 2], { pad: 'same' }),
  c2('conv2d_same_stride2_odd', [2, 5, 7, 2], [3, 3, 2, 2], { pad: 'same', strides: [2, 2] }),
  c2('conv2d_same_stride2_even', [1, 6, 6, 1], [2, 2, 1, 2], { pad: 'same', strides: [2, 2] }),
  c2('conv2d_valid_stride2', [2, 7, 6, 1], [3, 2, 1, 2], { pad: 'valid', strides: [2, 2] }),
  c2('conv2d_valid_stride_2x1', [1, 6, 5, 2], [2, 3, 2, 2], { pad: 'valid', strides: [2, 1] }),
  c2('conv2d_explicit', [1, 4, 5, 2], [3, 2, 2, 2], { pad: [[0, 0], [1, 2], [0, 1], [0, 0]], strides: [1, 2] }),
  c2('conv2d_numeric_pad', [1, 4, 4, 2], [3, 3, 2, 2], { pad: 1 }),
  c2('conv2d_1x1', [2, 3, 3, 3], [1, 1, 3, 2], { pad: 'valid' }),
  c2('conv2d_unbatched', [5, 5, 2], [3, 3, 2, 2], { pad: 'same', strides: [2, 2] }),
  c2('conv2d_dilation2', [1, 7, 7, 2], [3, 3, 2, 2], { pad: 'same', dilations: [2, 2] }, { grad: false }),
  c2('conv2d_dilation2_valid', [1, 7, 6, 1], [2, 2, 1, 2], { pad: 'valid', dilations: [2, 2] }, { grad: false }),
  c2('conv2d_dilation2_grad', [1, 7, 7, 2], [3, 3, 2, 2], { pad: 'same', dilations: [2, 2], dilatedFilter: true }),
  c2('conv2d_dilation_2x1_grad', [2, 6, 5, 1], [2, 2, 1, 2], { pad: 'valid', dilations: [2, 1], dilatedFilter: true }),

  { name: 'conv1d_same_stride2', op: 'conv1d', inputs: [f([2, 7, 2]), f([3, 2, 3])], attrs: { stride: 2, pad: 'same' } },
  { name: 'conv1d_valid', op: 'conv1d', inputs: [f([1, 6, 1]), f([2, 1, 2])], attrs: { stride: 1, pad: 'valid' } },
  { name: 'conv1d_dilation2', op: 'conv1d', inputs: [f([1, 8, 2]), f([3, 2, 2])], attrs: { dilation: 2, pad: 'valid' }, grad: false },
  { name: 'conv1d_explicit', op: 'conv1d', inputs: [f([1, 5, 2]), f([3, 2, 2])], attrs: { pad: [[0, 0], [0, 0], [2, 1], [0, 0]] } },
  { name: 'conv1d_unbatched', op: 'conv1d', inputs: [f([6, 2]), f([3, 2, 2])], attrs: { pad: 'same' } },

  dw('depthwiseConv2d_same', [1, 5, 5, 2], [3, 3, 2, 1], { pad: 'same' }),
  dw('depthwiseConv2d_multiplier2', [2, 5, 4, 2], [3, 3, 2, 2], { pad: 'same' }),
  dw('depthwiseConv2d_valid_stride2', [1, 7, 7, 3], [3, 3, 3, 2], { pad: 'valid', strides: [2, 2] }),
  dw('depthwiseConv2d_explicit', [1, 4, 4, 2], [2, 3, 2, 2], { pad: [[0, 0], [1, 0], [1, 1], [0, 0]] }),
  dw('depthwiseConv2d_unbatched', [4, 5, 2], [2, 2, 2, 2], { pad: 'same', strides: [2, 2] }),
  dw('depthwiseConv2d_dilation2', [1, 7, 7, 2], [3, 3, 2, 2], { pad: 'same', dilations: [2, 2] }, { grad: false }),
  dw('depthwiseConv2d_dilation2_grad', [1, 7, 6, 2], [3, 2, 2, 2], { pad: 'valid', dilations: [2, 2], dilatedFilter: true }),

  { name: 'separableConv2d_same', op: 'separableConv2d', inputs: [f([1, 5, 5, 2]), f([3, 3, 2, 2]), f([1, 1, 4, 3])], attrs: { pad: 'same' } },
  { name: 'separableConv2d_valid_stride2', op: 'separableConv2d', inputs: [f([2, 6, 5, 2]), f([2, 2, 2, 1]), f([1, 1, 2, 3])], attrs: { pad: 'valid', strides: [2, 2] } },

  { name: 'conv2dTranspose_same_stride2', op: 'conv2dTranspose', inputs: [f([1, 3, 3, 2]), f([3, 3, 4, 2])], attrs: { outputShape: [1, 5, 5, 4], strides: [2, 2], pad: 'same' } },
  { name: 'conv2dTranspose_valid', op: 'conv2dTranspose', inputs: [f([2, 3, 3, 2]), f([3, 3, 3, 2])], attrs: { outputShape: [2, 5, 5, 3], pad: 'valid' } },
  { name: 'conv2dTranspose_valid_stride2', op: 'conv2dTranspose', inputs: [f([1, 3, 2, 2]), f([3, 2, 1, 2])], attrs: { outputShape: [1, 7, 5, 1], strides: [2, 2], pad: 'valid' } },
  { name: 'conv2dTranspose_numeric_pad', op: 'conv2dTranspose', inputs: [f([1, 4, 4, 3]), f([3, 3, 2, 3])], attrs: { outputShape: [1, 4, 4, 2], pad: 1 } },
  { name: 'conv2dTranspose_unbatched', op: 'conv2dTranspose', inputs: [f([3, 3, 2]), f([2, 2, 1, 2])], attrs: { outputShape: [6, 6, 1], strides: [2, 2], pad: 'same' } },
  { name: 'conv2dBackpropInput', op: 'conv2dBackpropInput', inputs: [f([2, 3, 2, 3]), f([3, 3, 2, 3])], attrs: { xShape: [2, 6, 4, 2], strides: [2, 2], pad: 'same' } },
  { name: 'conv2dBackpropFilter', op: 'conv2dBackpropFilter', inputs: [f([2, 5, 5, 2]), f([2, 3, 3, 3])], attrs: { filterShape: [3, 3, 2, 3], strides: [2, 2], pad: 'same' }, grad: false },
  { name: 'conv2dBackpropFilter_explicit', op: 'conv2dBackpropFilter', inputs: [f([1, 4, 5, 2]), f([1, 5, 2, 2])], attrs: { filterShape: [2, 3, 2, 2], strides: [1, 2], pad: [[0, 0], [1, 1], [1, 0], [0, 0]] }, grad: false },

  fc('fusedConv2d_linear', 'fusedConv2d', [1, 4, 4, 2], [3, 3, 2, 3], { pad: 'same' }),
  fc('fusedConv2d_linear_bias', 'fusedConv2d', [2, 5, 5, 2], [3, 3, 2, 2], { pad: 'same', strides: [2, 2], hasBias: true }, [f([2])]),
  fc('fusedConv2d_relu_bias', 'fusedConv2d', [1, 5, 5, 2], [3, 3, 2, 3], { pad: 'valid', hasBias: true, activation: 'relu' }, [f([3])]),
  fc('fusedConv2d_relu', 'fusedConv2d', [1, 4, 5, 2], [2, 2, 2, 2], { pad: 'same', activation: 'relu' }),
  fc('fusedConv2d_relu6_bias', 'fusedConv2d', [1, 4, 4, 2], [3, 3, 2, 2], { pad: 'same', hasBias: true, activation: 'relu6' }, [f([2], 1, 4)]),
  fc('fusedConv2d_elu_bias', 'fusedConv2d', [1, 4, 4, 2], [3, 3, 2, 2], { pad: 'same', hasBias: true, activation: 'elu' }, [f([2])]),
  fc('fusedConv2d_leakyrelu_bias', 'fusedConv2d', [1, 4, 4, 2], [3, 3, 2, 2], { pad: 'valid', hasBias: true, activation: 'leakyrelu', leakyreluAlpha: 0.3 }, [f([2])]),
  fc('fusedConv2d_prelu_bias', 'fusedConv2d', [1, 4, 4, 2], [3, 3, 2, 3], { pad: 'same', hasBias: true, activation: 'prelu' }, [f([3]), f([3], 0.05, 0.5)]),
  fc('fusedConv2d_sigmoid_bias', 'fusedConv2d', [1, 4, 4, 2], [2, 2, 2, 2], { pad: [[0, 0], [1, 0], [0, 1], [0, 0]], hasBias: true, activation: 'sigmoid' }, [f([2])]),
  fc('fusedConv2d_unbatched_bias', 'fusedConv2d', [4, 4, 2], [3, 3, 2, 2], { pad: 'same', hasBias: true, activation: 'relu' }, [f([2])]),
  fc('fusedConv2d_dilation2_bias', 'fusedConv2d', [1, 6, 6, 1], [2, 2, 1, 2], { pad: 'same', dilations: [2, 2], hasBias: true, activation: 'relu' }, [f([2])], { grad: false }),
  fc('fusedDepthwiseConv2d_linear', 'fusedDepthwiseConv2d', [1, 4, 4, 2], [3, 3, 2, 2], { pad: 'same' }),
  fc('fusedDepthwiseConv2d_relu_bias', 'fusedDepthwiseConv2d', [1, 5, 5, 2], [3, 3, 2, 2], { pad: 'same', strides: [2, 2], hasBias: true, activation: 'relu' }, [f([4])]),
  fc('fusedDepthwiseConv2d_linear_bias', 'fusedDepthwiseConv2d', [2, 4, 4, 2], [2, 2, 2, 1], { pad: 'valid', hasBias: true }, [f([2])]),
  fc('fusedDepthwiseConv2d_prelu_bias', 'fusedDepthwiseConv2d', [1, 4, 4, 2], [3, 3, 2, 2], { pad: 'same', hasBias: true, activation: 'prelu' }, [f([4]), f([4], 0.05, 0.5)]),
  fc('fusedDepthwiseConv2d_elu', 'fusedDepthwiseConv2d', [1, 4, 4, 2], [3, 3, 2, 1], { pad: 'valid', activation: 'elu' }),
  fc('fusedDepthwiseConv2d_sigmoid_bias', 'fusedDepthwiseConv2d', [1, 3, 4, 2], [2, 2, 2, 2], { pad: 'same', hasBias: true, activation: 'sigmoid' }, [f([4])]),
];
