// Conformance models for the convolution, pooling, spatial reshaping and normalization layers.
// Every model exercises non-default settings: strides, dilations, same/valid padding, depth
// multipliers, pooling strides/padding, asymmetric padding/cropping, both upsampling modes, and
// BatchNormalization with seeded (non-trivial) moving statistics and center/scale off.

const seq = (tf, layers) => {
  const m = tf.sequential();
  for (const l of layers) m.add(l);
  return m;
};

export const models = [
  {
    // strides 2 + same + fused relu; dilation 2 + valid + non-fusable activation; 1x1 + elu.
    name: 'conv2d_stack',
    build: (tf) => seq(tf, [
      tf.layers.conv2d({ filters: 6, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', inputShape: [11, 11, 3] }),
      tf.layers.conv2d({ filters: 5, kernelSize: [3, 2], dilationRate: 2, padding: 'valid', activation: 'tanh' }),
      tf.layers.conv2d({ filters: 4, kernelSize: 1, activation: 'elu', useBias: false }),
      tf.layers.conv2d({ filters: 3, kernelSize: [2, 3], strides: [1, 2], padding: 'same', activation: 'relu6' }),
    ]),
    inputs: [{ shape: [2, 11, 11, 3] }],
  },
  {
    // Conv2D with 'same' padding and odd input over even stride, dilation with 'same'.
    name: 'conv2d_same_dilated',
    build: (tf) => seq(tf, [
      tf.layers.conv2d({ filters: 4, kernelSize: 3, dilationRate: [2, 1], padding: 'same', activation: 'sigmoid', inputShape: [7, 9, 2] }),
      tf.layers.conv2d({ filters: 3, kernelSize: 4, strides: 3, padding: 'same' }),
    ]),
    inputs: [{ shape: [3, 7, 9, 2] }],
  },
  {
    name: 'conv1d_stack',
    build: (tf) => seq(tf, [
      tf.layers.conv1d({ filters: 6, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', inputShape: [16, 4] }),
      tf.layers.conv1d({ filters: 5, kernelSize: 2, dilationRate: 2, padding: 'valid', activation: 'sigmoid', useBias: false }),
      tf.layers.conv1d({ filters: 3, kernelSize: 3, padding: 'same', dilationRate: 2, activation: 'softsign' }),
    ]),
    inputs: [{ shape: [2, 16, 4] }],
  },
  {
    name: 'conv2d_transpose',
    build: (tf) => seq(tf, [
      tf.layers.conv2dTranspose({ filters: 4, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', inputShape: [5, 4, 3] }),
      tf.layers.conv2dTranspose({ filters: 3, kernelSize: [3, 2], strides: [2, 1], padding: 'valid' }),
      tf.layers.conv2dTranspose({ filters: 2, kernelSize: 2, strides: 3, padding: 'valid', useBias: false, activation: 'tanh' }),
    ]),
    inputs: [{ shape: [2, 5, 4, 3] }],
  },
  {
    name: 'depthwise_conv2d',
    build: (tf) => seq(tf, [
      tf.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, strides: 2, padding: 'same', activation: 'relu6', inputShape: [9, 9, 3] }),
      tf.layers.depthwiseConv2d({ kernelSize: [2, 3], padding: 'valid', useBias: false }),
      tf.layers.depthwiseConv2d({ kernelSize: 2, depthMultiplier: 3, activation: 'relu' }),
    ]),
    inputs: [{ shape: [2, 9, 9, 3] }],
  },
  {
    name: 'separable_conv2d',
    build: (tf) => seq(tf, [
      // (no depthMultiplier: TF.js does not save it in the config, so its own saved model with a
      // multiplier would not load back; the multiplier is covered by depthwise_conv2d and the unit tests)
      tf.layers.separableConv2d({ filters: 5, kernelSize: 3, padding: 'same', activation: 'relu', inputShape: [12, 12, 3] }),
      tf.layers.separableConv2d({ filters: 4, kernelSize: 3, dilationRate: 2, padding: 'valid', activation: 'sigmoid' }),
      tf.layers.separableConv2d({ filters: 3, kernelSize: [2, 3], strides: 2, padding: 'same', useBias: false }),
    ]),
    inputs: [{ shape: [2, 12, 12, 3] }],
  },
  {
    name: 'pooling2d_max_avg',
    build: (tf) => seq(tf, [
      tf.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same', inputShape: [13, 13, 3] }),
      tf.layers.averagePooling2d({ poolSize: [2, 3], strides: [1, 2], padding: 'valid' }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
    ]),
    inputs: [{ shape: [2, 13, 13, 3] }],
  },
  {
    // 'same' average pooling averages only the in-bounds cells at the edges.
    name: 'pooling2d_avg_same',
    build: (tf) => seq(tf, [
      tf.layers.averagePooling2d({ poolSize: 3, strides: 2, padding: 'same', inputShape: [10, 7, 4] }),
      tf.layers.averagePooling2d({ poolSize: [2, 2], strides: 1, padding: 'same' }),
      tf.layers.maxPooling2d({ poolSize: [3, 2], strides: [2, 1], padding: 'valid' }),
    ]),
    inputs: [{ shape: [2, 10, 7, 4] }],
  },
  {
    name: 'pooling1d_all',
    build: (tf) => {
      const x = tf.input({ shape: [11, 4] });
      const a = tf.layers.maxPooling1d({ poolSize: 3, strides: 2, padding: 'same' }).apply(x);
      const b = tf.layers.averagePooling1d({ poolSize: 2, padding: 'valid' }).apply(a);
      const c = tf.layers.averagePooling1d({ poolSize: 3, strides: 2, padding: 'same' }).apply(x);
      const d = tf.layers.maxPooling1d({ poolSize: 2, strides: 1 }).apply(c);
      const out1 = tf.layers.globalAveragePooling1d({}).apply(b);
      const out2 = tf.layers.globalMaxPooling1d({}).apply(d);
      return tf.model({ inputs: x, outputs: [b, out1, d, out2] });
    },
    inputs: [{ shape: [3, 11, 4] }],
  },
  {
    name: 'global_pooling2d',
    build: (tf) => {
      const x = tf.input({ shape: [6, 5, 3] });
      const h = tf.layers.conv2d({ filters: 4, kernelSize: 2, activation: 'relu' }).apply(x);
      const a = tf.layers.globalAveragePooling2d({}).apply(h);
      const m = tf.layers.globalMaxPooling2d({}).apply(h);
      return tf.model({ inputs: x, outputs: [a, m] });
    },
    inputs: [{ shape: [2, 6, 5, 3] }],
  },
  {
    name: 'pad_crop_upsample',
    build: (tf) => seq(tf, [
      tf.layers.zeroPadding2d({ padding: [[1, 2], [0, 3]], inputShape: [4, 5, 3] }),
      tf.layers.cropping2D({ cropping: [[2, 1], [1, 0]] }),
      tf.layers.upSampling2d({ size: [2, 3] }),
      tf.layers.zeroPadding2d({}),
      tf.layers.cropping2D({ cropping: [1, 2] }),
      tf.layers.upSampling2d({ size: [3, 2], interpolation: 'bilinear' }),
      tf.layers.zeroPadding2d({ padding: [2, 1] }),
      tf.layers.cropping2D({ cropping: 1 }),
    ]),
    inputs: [{ shape: [2, 4, 5, 3] }],
  },
  {
    name: 'upsample_bilinear',
    build: (tf) => seq(tf, [
      tf.layers.upSampling2d({ interpolation: 'bilinear', inputShape: [3, 4, 2] }),
      tf.layers.conv2d({ filters: 2, kernelSize: 3, padding: 'same' }),
      tf.layers.upSampling2d({ size: [1, 3], interpolation: 'nearest' }),
    ]),
    inputs: [{ shape: [2, 3, 4, 2] }],
  },
  {
    // Inference BatchNormalization: seeded moving statistics, center/scale off variants.
    name: 'batchnorm_after_conv',
    build: (tf) => seq(tf, [
      tf.layers.conv2d({ filters: 6, kernelSize: 3, strides: 2, padding: 'same', useBias: false, inputShape: [8, 8, 3] }),
      tf.layers.batchNormalization({}),
      tf.layers.activation({ activation: 'relu' }),
      tf.layers.conv2d({ filters: 5, kernelSize: 2 }),
      tf.layers.batchNormalization({ center: false, epsilon: 0.01 }),
      tf.layers.batchNormalization({ scale: false, momentum: 0.9 }),
      tf.layers.batchNormalization({ center: false, scale: false, epsilon: 1e-5 }),
    ]),
    inputs: [{ shape: [2, 8, 8, 3] }],
  },
  {
    // BatchNormalization over a non-last axis (the broadcast path) and on rank 2. The last axis
    // is 1 here: TF.js's CPU batchNorm kernel walks non-last-axis parameters in flat order
    // instead of broadcasting them ([1,5,1] params on [b,5,4] come out wrong), so only this
    // shape gives a trustworthy oracle; Strata broadcasts (as Keras and TF.js WebGL do).
    name: 'batchnorm_axes',
    build: (tf) => {
      const x = tf.input({ shape: [5, 1] });
      const a = tf.layers.batchNormalization({ axis: 1 }).apply(x);
      const f = tf.layers.flatten({}).apply(a);
      const b = tf.layers.batchNormalization({ axis: -1, center: false }).apply(f);
      const c = tf.layers.batchNormalization({ epsilon: 0.1, scale: false }).apply(b);
      return tf.model({ inputs: x, outputs: [a, c] });
    },
    inputs: [{ shape: [3, 5, 1] }],
  },
  {
    name: 'layer_normalization',
    build: (tf) => {
      const x = tf.input({ shape: [6, 8] });
      const a = tf.layers.layerNormalization({}).apply(x);
      const b = tf.layers.layerNormalization({ axis: [1, 2], center: false }).apply(x);
      const c = tf.layers.layerNormalization({ axis: -2, scale: false, epsilon: 1e-5 }).apply(x);
      const d = tf.layers.layerNormalization({ axis: [-1], center: false, scale: false }).apply(c);
      return tf.model({ inputs: x, outputs: [a, b, d] });
    },
    inputs: [{ shape: [2, 6, 8], min: -3, max: 3 }],
  },
  {
    name: 'layer_normalization_4d',
    build: (tf) => seq(tf, [
      tf.layers.conv2d({ filters: 4, kernelSize: 3, inputShape: [6, 6, 2] }),
      tf.layers.layerNormalization({ axis: [1, 2, 3], epsilon: 1e-4 }),
      tf.layers.layerNormalization({ axis: 3 }),
    ]),
    inputs: [{ shape: [2, 6, 6, 2] }],
  },
  {
    // A MobileNetV2-like inverted residual block with the layers the real MobileNetV2 uses.
    name: 'mobilenetv2_block',
    build: (tf) => {
      const x = tf.input({ shape: [16, 16, 3] });
      let h = tf.layers.zeroPadding2d({ padding: [[0, 1], [0, 1]] }).apply(x);
      h = tf.layers.conv2d({ filters: 8, kernelSize: 3, strides: 2, padding: 'valid', useBias: false }).apply(h);
      h = tf.layers.batchNormalization({ epsilon: 1e-3, momentum: 0.999 }).apply(h);
      const r = tf.layers.reLU({ maxValue: 6 }).apply(h);
      let y = tf.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same', useBias: false }).apply(r);
      y = tf.layers.batchNormalization({ epsilon: 1e-3, momentum: 0.999 }).apply(y);
      y = tf.layers.reLU({}).apply(y);
      y = tf.layers.conv2d({ filters: 8, kernelSize: 1, padding: 'same', useBias: false }).apply(y);
      y = tf.layers.batchNormalization({ epsilon: 1e-3, momentum: 0.999 }).apply(y);
      const s = tf.layers.add({}).apply([r, y]);
      const g = tf.layers.globalAveragePooling2d({}).apply(s);
      const out = tf.layers.dense({ units: 5, activation: 'softmax' }).apply(g);
      return tf.model({ inputs: x, outputs: out });
    },
    inputs: [{ shape: [2, 16, 16, 3] }],
  },
];
