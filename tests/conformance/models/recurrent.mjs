// Conformance models for the recurrent layers (SimpleRNN, LSTM, GRU, RNN with stacked cells) and
// the wrappers (Bidirectional, TimeDistributed): return_sequences/return_state, go_backwards,
// non-default activations, use_bias false, stacking, every Bidirectional merge mode, initial
// states from another layer, and masks from Masking and Embedding(mask_zero).
// TF.js 4.22's GRU rejects reset_after true, so that variant is unit-tested in
// tests/layers/recurrent_test.cpp against the Keras equations.

const seq = (tf, layers) => {
  const m = tf.sequential();
  for (const l of layers) m.add(l);
  return m;
};

// Functional model: one input of `shape`, `body(tf, x)` returns one output or a list.
const fn = (tf, shape, body) => {
  const x = tf.input({ shape });
  return tf.model({ inputs: x, outputs: body(tf, x) });
};

export const models = [
  // ---- SimpleRNN / LSTM / GRU -------------------------------------------------------------
  {
    name: 'rnn_simple_sequences',
    build: (tf) => seq(tf, [
      tf.layers.simpleRNN({ units: 5, returnSequences: true, inputShape: [6, 3] }),
      tf.layers.simpleRNN({ units: 4, activation: 'relu', useBias: false, returnSequences: true }),
    ]),
    inputs: [{ shape: [2, 6, 3] }],
  },
  {
    name: 'rnn_simple_backwards_last',
    build: (tf) => seq(tf, [
      tf.layers.simpleRNN({ units: 4, goBackwards: true, activation: 'sigmoid', inputShape: [7, 2] }),
    ]),
    inputs: [{ shape: [3, 7, 2] }],
  },
  {
    // Default recurrent activation (hard_sigmoid) and the last output only.
    name: 'rnn_lstm_last',
    build: (tf) => seq(tf, [tf.layers.lstm({ units: 4, inputShape: [5, 3] })]),
    inputs: [{ shape: [2, 5, 3], min: -2, max: 2 }],
  },
  {
    name: 'rnn_lstm_sequences_backwards',
    build: (tf) => seq(tf, [
      tf.layers.lstm({ units: 3, returnSequences: true, goBackwards: true, recurrentActivation: 'sigmoid', activation: 'softsign', inputShape: [6, 4] }),
      tf.layers.lstm({ units: 2, returnSequences: true, useBias: false, unitForgetBias: true, unroll: true }),
    ]),
    inputs: [{ shape: [2, 6, 4] }],
  },
  {
    name: 'rnn_gru_sequences',
    build: (tf) => seq(tf, [
      tf.layers.gru({ units: 4, returnSequences: true, resetAfter: false, inputShape: [6, 3] }),
    ]),
    inputs: [{ shape: [3, 6, 3], min: -2, max: 2 }],
  },
  {
    name: 'rnn_gru_backwards_last',
    build: (tf) => seq(tf, [
      tf.layers.gru({ units: 5, goBackwards: true, recurrentActivation: 'sigmoid', activation: 'relu', inputShape: [5, 2] }),
      tf.layers.dense({ units: 2 }),
    ]),
    inputs: [{ shape: [2, 5, 2] }],
  },
  {
    // Stacked layers of all three kinds, with dropout (inactive at inference).
    name: 'rnn_stacked_layers',
    build: (tf) => seq(tf, [
      tf.layers.lstm({ units: 6, returnSequences: true, dropout: 0.3, recurrentDropout: 0.2, inputShape: [8, 3] }),
      tf.layers.simpleRNN({ units: 5, returnSequences: true, goBackwards: true }),
      tf.layers.gru({ units: 4 }),
      tf.layers.dense({ units: 3, activation: 'softmax' }),
    ]),
    inputs: [{ shape: [2, 8, 3] }],
  },
  {
    // tf.layers.rnn with a list of cells (StackedRNNCells), sequences and states out.
    name: 'rnn_stacked_cells_state',
    build: (tf) => fn(tf, [5, 3], (tf, x) => tf.layers.rnn({
      cell: [tf.layers.lstmCell({ units: 4 }), tf.layers.gruCell({ units: 3, recurrentActivation: 'sigmoid' }), tf.layers.simpleRNNCell({ units: 2 })],
      returnSequences: true, returnState: true,
    }).apply(x)),
    inputs: [{ shape: [2, 5, 3] }],
  },
  {
    name: 'rnn_single_cell',
    build: (tf) => seq(tf, [tf.layers.rnn({ cell: tf.layers.lstmCell({ units: 3 }), goBackwards: true, inputShape: [4, 2] })]),
    inputs: [{ shape: [3, 4, 2] }],
  },
  {
    // LSTM with return_state in a functional model: sequence, h and c as outputs, plus a head on h.
    name: 'rnn_lstm_return_state',
    build: (tf) => fn(tf, [6, 3], (tf, x) => {
      const [s, h, c] = tf.layers.lstm({ units: 4, returnSequences: true, returnState: true }).apply(x);
      return [s, h, c, tf.layers.dense({ units: 2, activation: 'tanh' }).apply(h)];
    }),
    inputs: [{ shape: [2, 6, 3] }],
  },
  {
    // Encoder/decoder: the decoder starts from the encoder's states (extra layer inputs).
    name: 'rnn_seq2seq_initial_state',
    build: (tf) => {
      const enc = tf.input({ shape: [5, 3] });
      const dec = tf.input({ shape: [4, 2] });
      const [, h, c] = tf.layers.lstm({ units: 4, returnState: true }).apply(enc);
      const y = tf.layers.lstm({ units: 4, returnSequences: true }).apply(dec, { initialState: [h, c] });
      const g = tf.layers.gru({ units: 3, goBackwards: true }).apply(y);
      return tf.model({ inputs: [enc, dec], outputs: [y, g] });
    },
    inputs: [{ shape: [2, 5, 3] }, { shape: [2, 4, 2] }],
  },

  // ---- Bidirectional ----------------------------------------------------------------------
  {
    name: 'bidi_lstm_concat',
    build: (tf) => seq(tf, [
      tf.layers.bidirectional({ layer: tf.layers.lstm({ units: 3, returnSequences: true }), inputShape: [5, 4] }),
      tf.layers.bidirectional({ layer: tf.layers.lstm({ units: 2 }), mergeMode: 'concat' }),
    ]),
    inputs: [{ shape: [2, 5, 4] }],
  },
  {
    name: 'bidi_gru_sum',
    build: (tf) => seq(tf, [
      tf.layers.bidirectional({ layer: tf.layers.gru({ units: 4, returnSequences: true }), mergeMode: 'sum', inputShape: [6, 3] }),
    ]),
    inputs: [{ shape: [2, 6, 3] }],
  },
  {
    name: 'bidi_simple_rnn_mul',
    build: (tf) => seq(tf, [
      tf.layers.bidirectional({ layer: tf.layers.simpleRNN({ units: 4, returnSequences: true, activation: 'relu' }), mergeMode: 'mul', inputShape: [5, 2] }),
    ]),
    inputs: [{ shape: [3, 5, 2] }],
  },
  {
    name: 'bidi_lstm_ave_last',
    build: (tf) => seq(tf, [
      tf.layers.bidirectional({ layer: tf.layers.lstm({ units: 3, goBackwards: true }), mergeMode: 'ave', inputShape: [4, 3] }),
    ]),
    inputs: [{ shape: [2, 4, 3] }],
  },
  {
    // merge_mode null: forward and (re-reversed) backward sequences as two outputs.
    name: 'bidi_gru_none',
    build: (tf) => fn(tf, [5, 3], (tf, x) => tf.layers.bidirectional({
      layer: tf.layers.gru({ units: 2, returnSequences: true }), mergeMode: null,
    }).apply(x)),
    inputs: [{ shape: [2, 5, 3] }],
  },
  {
    name: 'bidi_lstm_return_state',
    build: (tf) => fn(tf, [4, 2], (tf, x) => tf.layers.bidirectional({
      layer: tf.layers.lstm({ units: 3, returnState: true }), mergeMode: 'sum',
    }).apply(x)),
    inputs: [{ shape: [2, 4, 2] }],
  },

  // ---- TimeDistributed --------------------------------------------------------------------
  {
    name: 'td_dense',
    build: (tf) => seq(tf, [
      tf.layers.timeDistributed({ layer: tf.layers.dense({ units: 4, activation: 'relu' }), inputShape: [5, 3] }),
      tf.layers.lstm({ units: 3, returnSequences: true }),
      tf.layers.timeDistributed({ layer: tf.layers.dense({ units: 2, activation: 'softmax' }) }),
    ]),
    inputs: [{ shape: [2, 5, 3] }],
  },
  {
    // Conv2D per frame (strides, same padding), then flatten per frame, then an LSTM over frames.
    name: 'td_conv2d_lstm',
    build: (tf) => seq(tf, [
      tf.layers.timeDistributed({ layer: tf.layers.conv2d({ filters: 3, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' }), inputShape: [4, 7, 6, 2] }),
      tf.layers.timeDistributed({ layer: tf.layers.conv2d({ filters: 2, kernelSize: [2, 3], padding: 'valid' }) }),
      tf.layers.timeDistributed({ layer: tf.layers.flatten() }),
      tf.layers.lstm({ units: 3 }),
    ]),
    inputs: [{ shape: [2, 4, 7, 6, 2] }],
  },

  // ---- masks ------------------------------------------------------------------------------
  {
    // Integer features in {0, 1, 2}: steps whose features are all 0 are masked.
    name: 'mask_masking_lstm',
    build: (tf) => seq(tf, [
      tf.layers.masking({ maskValue: 0, inputShape: [8, 2] }),
      tf.layers.lstm({ units: 4, returnSequences: true }),
      tf.layers.simpleRNN({ units: 3, goBackwards: true }),
    ]),
    inputs: [{ shape: [4, 8, 2], min: 0, max: 2.2, int: true }],
  },
  {
    name: 'mask_masking_bidi_gru',
    build: (tf) => seq(tf, [
      tf.layers.masking({ maskValue: 1, inputShape: [7, 1] }),
      tf.layers.bidirectional({ layer: tf.layers.gru({ units: 3, returnSequences: true }), mergeMode: 'concat' }),
      tf.layers.timeDistributed({ layer: tf.layers.dense({ units: 2 }) }),
      tf.layers.lstm({ units: 2 }),
    ]),
    inputs: [{ shape: [3, 7, 1], min: 0, max: 2.5, int: true }],
  },
  {
    // Token ids with zeros (padding) scattered and trailing; mask_zero masks them.
    name: 'mask_embedding_gru',
    build: (tf) => seq(tf, [
      tf.layers.embedding({ inputDim: 6, outputDim: 4, maskZero: true, inputLength: 7 }),
      tf.layers.gru({ units: 3 }),
    ]),
    inputs: [{ shape: [4, 7], min: 0, max: 6, int: true }],
  },
  {
    name: 'mask_embedding_lstm_stack',
    build: (tf) => seq(tf, [
      tf.layers.embedding({ inputDim: 5, outputDim: 3, maskZero: true, inputLength: 6 }),
      tf.layers.lstm({ units: 4, returnSequences: true, goBackwards: true }),
      tf.layers.bidirectional({ layer: tf.layers.simpleRNN({ units: 2, returnSequences: true }), mergeMode: 'ave' }),
      tf.layers.gru({ units: 2, returnSequences: true }),
    ]),
    inputs: [{ shape: [3, 6], min: 0, max: 3, int: true }],
  },
];
