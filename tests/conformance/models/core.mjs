// Conformance models for the core layers (Dense, Activation, Dropout, Flatten, Reshape,
// Permute, RepeatVector, Masking), the noise layers, the advanced activation layers and
// Embedding. Every activation TF.js 4.22 knows is exercised through Dense and Activation
// ('exponential' is not in TF.js 4.22; it is unit-tested in tests/layers/core_test.cpp).

// A functional model: one input, `branch(tf, x)` returns one output or a list of them.
function fan(tf, inputShape, branch) {
  const input = tf.input({ shape: inputShape });
  const out = branch(tf, input);
  return tf.model({ inputs: input, outputs: out });
}

// One Dense layer per activation, all fed by the same input.
function denseEach(tf, activations, inputShape, units) {
  return fan(tf, inputShape, (tf, x) => activations.map((a) => tf.layers.dense({ units, activation: a, name: `dense_${a}` }).apply(x)));
}

// A Dense pre-activation then one Activation layer per activation.
function activationEach(tf, activations, inputShape, units) {
  return fan(tf, inputShape, (tf, x) => {
    const h = tf.layers.dense({ units, name: 'pre' }).apply(x);
    return activations.map((a) => tf.layers.activation({ activation: a, name: `act_${a}` }).apply(h));
  });
}

// TF.js 4.22 has no SpatialDropout2D (Keras does). This stand-in writes Keras's config
// (rate, noise_shape, seed, data_format) and, like every dropout, is the identity at inference,
// which is all the fixtures need from it; training drops whole channels as Keras does.
let spatialDropout2dClass = null;
function spatialDropout2d(tf, args) {
  if (spatialDropout2dClass == null) {
    class SpatialDropout2D extends tf.layers.Layer {
      constructor(a) {
        super(a);
        this.rate = a.rate;
        this.seed = a.seed ?? null;
        this.dataFormat = a.dataFormat ?? 'channelsLast';
        this.supportsMasking = true;
      }
      computeOutputShape(s) { return s; }
      call(inputs, kwargs) {
        const x = Array.isArray(inputs) ? inputs[0] : inputs;
        if (!kwargs.training) return x.clone();
        return tf.dropout(x, this.rate, [x.shape[0], 1, 1, x.shape[3]], this.seed ?? undefined);
      }
      getConfig() {
        return { ...super.getConfig(), rate: this.rate, noiseShape: null, seed: this.seed, dataFormat: this.dataFormat };
      }
    }
    SpatialDropout2D.className = 'SpatialDropout2D';
    tf.serialization.registerClass(SpatialDropout2D);
    spatialDropout2dClass = SpatialDropout2D;
  }
  return new spatialDropout2dClass(args);
}

export const models = [
  // ---- Dense ------------------------------------------------------------------------------
  {
    name: 'core_dense_bias_nobias',
    build: (tf) => {
      const m = tf.sequential();
      m.add(tf.layers.dense({ units: 5, activation: 'relu', inputShape: [7] }));
      m.add(tf.layers.dense({ units: 3, useBias: false }));
      m.add(tf.layers.dense({ units: 2, activation: 'sigmoid', useBias: true }));
      return m;
    },
    inputs: [{ shape: [4, 7] }],
  },
  {
    name: 'core_dense_input_dim',
    build: (tf) => {
      const m = tf.sequential();
      m.add(tf.layers.dense({ units: 6, inputDim: 3, activation: 'elu' }));
      m.add(tf.layers.dense({ units: 1, activation: 'tanh' }));
      return m;
    },
    inputs: [{ shape: [5, 3], min: -3, max: 3 }],
  },
  {
    name: 'core_dense_3d_4d',
    build: (tf) => {
      const m = tf.sequential();
      m.add(tf.layers.dense({ units: 4, activation: 'relu', inputShape: [3, 5, 6] }));
      m.add(tf.layers.dense({ units: 3, activation: 'softmax', useBias: false }));
      m.add(tf.layers.reshape({ targetShape: [15, 3] }));
      m.add(tf.layers.dense({ units: 2, activation: 'selu' }));
      return m;
    },
    inputs: [{ shape: [2, 3, 5, 6] }],
  },
  // Every TF.js activation through Dense (large pre-activations reach relu6's and hard_sigmoid's clips).
  {
    name: 'core_dense_act_piecewise',
    build: (tf) => denseEach(tf, ['linear', 'relu', 'relu6', 'elu', 'selu', 'hardSigmoid'], [6], 5),
    inputs: [{ shape: [3, 6], min: -4, max: 4 }],
    weightScale: 1.5,
  },
  {
    name: 'core_dense_act_smooth',
    build: (tf) => denseEach(tf, ['sigmoid', 'tanh', 'softplus', 'softsign', 'swish', 'mish', 'gelu', 'gelu_new'], [6], 5),
    inputs: [{ shape: [3, 6], min: -3, max: 3 }],
    weightScale: 1.0,
  },
  {
    name: 'core_dense_act_softmax_3d',
    build: (tf) => denseEach(tf, ['softmax', 'logSoftmax'], [4, 6], 5),
    inputs: [{ shape: [2, 4, 6], min: -2, max: 2 }],
    weightScale: 1.0,
  },
  // ---- Activation layer ---------------------------------------------------------------------
  {
    name: 'core_activation_piecewise',
    build: (tf) => activationEach(tf, ['linear', 'relu', 'relu6', 'elu', 'selu', 'hardSigmoid'], [5], 6),
    inputs: [{ shape: [3, 5], min: -4, max: 4 }],
    weightScale: 1.5,
  },
  {
    name: 'core_activation_smooth',
    build: (tf) => activationEach(tf, ['sigmoid', 'tanh', 'softplus', 'softsign', 'swish', 'mish', 'gelu', 'gelu_new'], [5], 6),
    inputs: [{ shape: [3, 5], min: -3, max: 3 }],
    weightScale: 1.0,
  },
  {
    name: 'core_activation_softmax_3d',
    build: (tf) => activationEach(tf, ['softmax', 'logSoftmax'], [3, 4], 5),
    inputs: [{ shape: [2, 3, 4], min: -2, max: 2 }],
    weightScale: 1.0,
  },
  // ---- Dropout and noise layers at inference ------------------------------------------------
  {
    name: 'core_dropout_noise_inference',
    build: (tf) => {
      const m = tf.sequential();
      m.add(tf.layers.dense({ units: 6, activation: 'selu', inputShape: [4, 5] }));
      m.add(tf.layers.dropout({ rate: 0.5, noiseShape: [null, 1, 6], seed: 7 }));
      m.add(tf.layers.spatialDropout1d({ rate: 0.3 }));
      m.add(tf.layers.gaussianNoise({ stddev: 0.4 }));
      m.add(tf.layers.gaussianDropout({ rate: 0.25 }));
      m.add(tf.layers.alphaDropout({ rate: 0.2 }));
      m.add(tf.layers.dropout({ rate: 0.9 }));
      m.add(tf.layers.dense({ units: 3 }));
      return m;
    },
    inputs: [{ shape: [3, 4, 5] }],
  },
  {
    name: 'core_spatial_dropout2d_inference',
    build: (tf) => {
      const m = tf.sequential();
      m.add(tf.layers.dense({ units: 3, activation: 'relu', inputShape: [4, 5, 2] }));
      m.add(spatialDropout2d(tf, { rate: 0.4 }));
      m.add(tf.layers.flatten());
      m.add(tf.layers.dense({ units: 2 }));
      return m;
    },
    inputs: [{ shape: [2, 4, 5, 2] }],
  },
  // ---- Reshape / Permute / RepeatVector / Flatten -------------------------------------------
  {
    name: 'core_reshape_permute_chain',
    build: (tf) => {
      const m = tf.sequential();
      m.add(tf.layers.reshape({ targetShape: [2, 4, 3], inputShape: [4, 6] }));   // [b, 2, 4, 3]
      m.add(tf.layers.permute({ dims: [3, 1, 2] }));                            // [b, 3, 2, 4]
      m.add(tf.layers.flatten());                                               // [b, 24]
      m.add(tf.layers.repeatVector({ n: 2 }));                                  // [b, 2, 24]
      m.add(tf.layers.reshape({ targetShape: [6, 8] }));                        // [b, 6, 8]
      m.add(tf.layers.permute({ dims: [2, 1] }));                               // [b, 8, 6]
      m.add(tf.layers.dense({ units: 3, activation: 'tanh' }));                 // [b, 8, 3]
      return m;
    },
    inputs: [{ shape: [3, 4, 6] }],
  },
  {
    name: 'core_repeat_vector_dense',
    build: (tf) => {
      const m = tf.sequential();
      m.add(tf.layers.dense({ units: 4, inputShape: [5] }));
      m.add(tf.layers.repeatVector({ n: 3 }));
      m.add(tf.layers.permute({ dims: [2, 1] }));
      m.add(tf.layers.flatten());
      m.add(tf.layers.dense({ units: 2 }));
      return m;
    },
    inputs: [{ shape: [2, 5] }],
  },
  {
    name: 'core_flatten_channels_first',
    build: (tf) => fan(tf, [2, 3, 4], (tf, x) => [
      tf.layers.flatten({ dataFormat: 'channelsFirst' }).apply(x),
      tf.layers.flatten({ dataFormat: 'channelsLast' }).apply(x),
    ]),
    inputs: [{ shape: [2, 2, 3, 4] }],
  },
  {
    name: 'core_reshape_infer_first',
    build: (tf) => {
      const m = tf.sequential();
      m.add(tf.layers.reshape({ targetShape: [-1, 2], inputShape: [3, 4] }));  // [b, 6, 2]
      m.add(tf.layers.dense({ units: 3 }));
      m.add(tf.layers.reshape({ targetShape: [3, 2, 3] }));
      return m;
    },
    inputs: [{ shape: [2, 3, 4] }],
  },
  // ---- Masking ------------------------------------------------------------------------------
  {
    // Values are 0 or 1: about a quarter of the time steps are all ones and get masked (zeroed).
    name: 'core_masking_dense',
    build: (tf) => {
      const m = tf.sequential();
      m.add(tf.layers.masking({ maskValue: 1, inputShape: [6, 2] }));
      m.add(tf.layers.dense({ units: 3, activation: 'relu' }));
      m.add(tf.layers.activation({ activation: 'tanh' }));
      return m;
    },
    inputs: [{ shape: [3, 6, 2], min: 0, max: 2, int: true }],
  },
  // ---- Advanced activation layers -----------------------------------------------------------
  {
    name: 'core_advanced_activations',
    build: (tf) => fan(tf, [5], (tf, x) => {
      const h = tf.layers.dense({ units: 6, name: 'pre' }).apply(x);
      return [
        tf.layers.reLU({ maxValue: 0.7 }).apply(h),
        tf.layers.reLU().apply(h),
        tf.layers.leakyReLU({ alpha: 0.15 }).apply(h),
        tf.layers.leakyReLU().apply(h),
        tf.layers.elu().apply(h),
        tf.layers.thresholdedReLU({ theta: 0.3 }).apply(h),
        tf.layers.thresholdedReLU().apply(h),
        tf.layers.softmax().apply(h),
      ];
    }),
    inputs: [{ shape: [4, 5], min: -3, max: 3 }],
    weightScale: 1.0,
  },
  {
    name: 'core_prelu_shared_axes',
    build: (tf) => fan(tf, [4, 5, 3], (tf, x) => [
      tf.layers.prelu({ sharedAxes: [1, 2] }).apply(x),
      tf.layers.prelu({ sharedAxes: 3 }).apply(x),
      tf.layers.prelu().apply(x),
    ]),
    inputs: [{ shape: [2, 4, 5, 3] }],
  },
  {
    name: 'core_prelu_dense_3d',
    build: (tf) => {
      const m = tf.sequential();
      m.add(tf.layers.dense({ units: 4, inputShape: [6, 3] }));
      m.add(tf.layers.prelu({ sharedAxes: [1] }));
      m.add(tf.layers.dense({ units: 2 }));
      m.add(tf.layers.prelu());
      return m;
    },
    inputs: [{ shape: [3, 6, 3] }],
  },
  {
    name: 'core_softmax_axes',
    build: (tf) => fan(tf, [3, 4], (tf, x) => [
      tf.layers.softmax({ axis: -1 }).apply(x),
      tf.layers.softmax({ axis: 2 }).apply(x),
      tf.layers.softmax({ axis: [1, 2] }).apply(x),
      tf.layers.softmax({ axis: [2] }).apply(x),
    ]),
    inputs: [{ shape: [2, 3, 4], min: -3, max: 3 }],
  },
  // ---- Embedding ----------------------------------------------------------------------------
  {
    name: 'core_embedding_flatten',
    build: (tf) => {
      const m = tf.sequential();
      m.add(tf.layers.embedding({ inputDim: 10, outputDim: 4, inputLength: 5 }));
      m.add(tf.layers.flatten());
      m.add(tf.layers.dense({ units: 3, activation: 'relu' }));
      return m;
    },
    inputs: [{ shape: [3, 5], min: 0, max: 10, int: true }],
  },
  {
    name: 'core_embedding_mask_zero_3d',
    build: (tf) => fan(tf, [3, 4], (tf, x) => {
      const e = tf.layers.embedding({ inputDim: 6, outputDim: 3, maskZero: true }).apply(x);  // [b, 3, 4, 3]
      return tf.layers.dense({ units: 2, activation: 'sigmoid' }).apply(e);
    }),
    inputs: [{ shape: [2, 3, 4], min: 0, max: 6, int: true }],
  },
  {
    name: 'core_embedding_variable_length',
    build: (tf) => {
      const m = tf.sequential();
      m.add(tf.layers.embedding({ inputDim: 7, outputDim: 5, inputShape: [null] }));
      m.add(tf.layers.dense({ units: 3 }));
      return m;
    },
    inputs: [{ shape: [2, 6], min: 0, max: 7, int: true }],
  },
];
