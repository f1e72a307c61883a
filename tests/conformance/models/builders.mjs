// Models for the C++ builder API (tests/models/builders_test.cpp builds each of these again with
// st::sequential / st::layers::* / st::input / st::model, with the same arguments and names, and
// must produce the same Keras config and, with these weights, the same predictions). Arguments
// are mostly non-default so that every field's spelling is checked; every layer is named because
// TF.js's default names ("dense_Dense1") differ from Keras's ("dense"). Constraints here are ones
// that are exact when applied twice: TF.js applies them in setWeights and again on reload.

export const models = [
  {
    name: 'builders_cnn',
    build: (tf) => {
      const L = tf.layers;
      const m = tf.sequential({ name: 'b_cnn' });
      m.add(L.conv2d({ filters: 4, kernelSize: [3, 3], activation: 'relu', inputShape: [10, 10, 2], name: 'c1',
                       kernelInitializer: 'heNormal', kernelRegularizer: tf.regularizers.l2({ l2: 0.001 }) }));
      m.add(L.batchNormalization({ momentum: 0.9, name: 'bn' }));
      m.add(L.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, padding: 'same', useBias: false, name: 'dw' }));
      m.add(L.separableConv2d({ filters: 3, kernelSize: [2, 2], activation: 'tanh', name: 'sep' }));
      m.add(L.zeroPadding2d({ padding: [[1, 0], [0, 1]], name: 'zp' }));
      m.add(L.maxPooling2d({ poolSize: [2, 2], name: 'mp' }));
      m.add(L.upSampling2d({ size: [2, 2], name: 'up' }));
      m.add(L.cropping2D({ cropping: [[1, 1], [0, 2]], name: 'crop' }));
      m.add(L.conv2dTranspose({ filters: 2, kernelSize: 3, strides: 2, padding: 'same', name: 'ct',
                                kernelConstraint: tf.constraints.maxNorm({ maxValue: 3 }) }));
      m.add(L.averagePooling2d({ poolSize: 2, strides: 1, name: 'ap' }));
      m.add(L.reLU({ maxValue: 6, name: 'relu6' }));
      m.add(L.globalAveragePooling2d({ name: 'gap' }));
      m.add(L.dense({ units: 3, activation: 'softmax', name: 'out' }));
      return m;
    },
    inputs: [{ shape: [2, 10, 10, 2] }],
  },
  {
    name: 'builders_cnn_activations',
    build: (tf) => {
      const L = tf.layers;
      const m = tf.sequential({ name: 'b_acts' });
      m.add(L.conv2d({ filters: 3, kernelSize: 3, dilationRate: 2, inputShape: [9, 9, 1], name: 'dil' }));
      m.add(L.prelu({ sharedAxes: [1, 2], name: 'prelu' }));
      m.add(L.globalMaxPooling2d({ name: 'gmp' }));
      m.add(L.elu({ name: 'elu' }));
      m.add(L.thresholdedReLU({ theta: 0.1, name: 'thr' }));
      m.add(L.leakyReLU({ alpha: 0.2, name: 'leaky' }));
      m.add(L.dense({ units: 4, name: 'd' }));
      m.add(L.softmax({ name: 'sm' }));
      return m;
    },
    inputs: [{ shape: [3, 9, 9, 1] }],
  },
  {
    name: 'builders_conv1d',
    build: (tf) => {
      const L = tf.layers;
      const x = tf.input({ shape: [12, 3], name: 'seq' });
      let h = L.conv1d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', name: 'c1' }).apply(x);
      h = L.maxPooling1d({ poolSize: 2, name: 'mp' }).apply(h);
      h = L.averagePooling1d({ poolSize: 3, strides: 1, padding: 'same', name: 'ap' }).apply(h);
      h = L.spatialDropout1d({ rate: 0.3, seed: 5, name: 'sd' }).apply(h);
      h = L.conv1d({ filters: 2, kernelSize: 2, dilationRate: 2, name: 'c2' }).apply(h);
      const a = L.globalAveragePooling1d({ name: 'gap' }).apply(h);
      const b = L.globalMaxPooling1d({ name: 'gmp' }).apply(h);
      return tf.model({ inputs: x, outputs: [a, b], name: 'b_conv1d' });
    },
    inputs: [{ shape: [2, 12, 3] }],
  },
  {
    name: 'builders_core',
    build: (tf) => {
      const L = tf.layers;
      const m = tf.sequential({ name: 'b_core' });
      m.add(L.dense({ units: 8, inputShape: [6], activation: 'elu', name: 'd1', kernelInitializer: 'leCunUniform',
                      biasInitializer: 'ones', kernelRegularizer: 'l1l2', biasConstraint: 'nonNeg',
                      biasRegularizer: tf.regularizers.l1({ l1: 0.02 }) }));
      m.add(L.dropout({ rate: 0.25, seed: 3, name: 'drop' }));
      m.add(L.gaussianNoise({ stddev: 0.1, name: 'gn' }));
      m.add(L.gaussianDropout({ rate: 0.2, name: 'gd' }));
      m.add(L.alphaDropout({ rate: 0.1, name: 'ad' }));
      m.add(L.activation({ activation: 'hardSigmoid', name: 'hs' }));
      m.add(L.reshape({ targetShape: [2, 4], name: 'rs' }));
      m.add(L.permute({ dims: [2, 1], name: 'perm' }));
      m.add(L.layerNormalization({ epsilon: 0.01, name: 'ln' }));
      m.add(L.flatten({ name: 'flat' }));
      m.add(L.dense({ units: 2, useBias: false, name: 'd2',
                      kernelInitializer: tf.initializers.randomNormal({ mean: 0.1, stddev: 0.2, seed: 9 }),
                      kernelConstraint: tf.constraints.nonNeg() }));
      m.add(L.repeatVector({ n: 3, name: 'rep' }));
      m.add(L.masking({ maskValue: 0.5, name: 'mask' }));
      m.add(L.batchNormalization({ center: false, trainable: false, name: 'bn' }));
      m.add(L.flatten({ name: 'flat2' }));
      return m;
    },
    inputs: [{ shape: [4, 6] }],
  },
  {
    name: 'builders_rnn',
    build: (tf) => {
      const L = tf.layers;
      const m = tf.sequential({ name: 'b_rnn' });
      m.add(L.embedding({ inputDim: 10, outputDim: 4, inputLength: 5, maskZero: true, name: 'emb' }));
      m.add(L.lstm({ units: 3, returnSequences: true, recurrentActivation: 'sigmoid', unitForgetBias: true, name: 'lstm' }));
      m.add(L.bidirectional({ layer: L.gru({ units: 2, returnSequences: true, name: 'gru_inner' }), mergeMode: 'ave',
                              name: 'bidi' }));
      m.add(L.timeDistributed({ layer: L.dense({ units: 2, name: 'td_inner' }), name: 'td' }));
      m.add(L.simpleRNN({ units: 3, goBackwards: true, activation: 'relu', name: 'srnn' }));
      return m;
    },
    inputs: [{ shape: [2, 5], int: true, min: 0, max: 10 }],
  },
  {
    name: 'builders_masking_gru',
    build: (tf) => {
      const L = tf.layers;
      const m = tf.sequential({ name: 'b_mask' });
      m.add(L.masking({ inputShape: [4, 3], name: 'mask' }));
      m.add(L.gru({ units: 2, name: 'gru' }));
      return m;
    },
    inputs: [{ shape: [2, 4, 3] }],
  },
  {
    name: 'builders_functional_shared',
    build: (tf) => {
      const L = tf.layers;
      const a = tf.input({ shape: [4], name: 'a' });
      const b = tf.input({ shape: [4], name: 'b' });
      const shared = L.dense({ units: 3, activation: 'tanh', name: 'shared' });
      const ha = shared.apply(a);
      const hb = shared.apply(b);
      const s = L.add({ name: 'sum' }).apply([ha, hb]);
      const p = L.multiply({ name: 'prod' }).apply([ha, hb]);
      const v = L.average({ name: 'avg' }).apply([ha, hb]);
      const x = L.maximum({ name: 'max' }).apply([ha, hb]);
      const c = L.concatenate({ axis: -1, name: 'cat' }).apply([s, p, v, x]);
      const out = L.dense({ units: 2, name: 'head' }).apply(c);
      return tf.model({ inputs: [a, b], outputs: [out, s], name: 'b_shared' });
    },
    inputs: [{ shape: [3, 4] }, { shape: [3, 4] }],
  },
];
