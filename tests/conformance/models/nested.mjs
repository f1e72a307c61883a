// Nested models: models used as layers inside other models, including one applied twice.
export const models = [
  {
    name: 'nested_sequential_in_functional',
    build: (tf) => {
      const inner = tf.sequential({ name: 'inner_seq' });
      inner.add(tf.layers.dense({ units: 5, activation: 'tanh', inputShape: [4], name: 'inner_dense1' }));
      inner.add(tf.layers.dense({ units: 3, name: 'inner_dense2' }));
      const x = tf.input({ shape: [4], name: 'outer_in' });
      const y = tf.layers.dense({ units: 2, activation: 'sigmoid', name: 'outer_head' }).apply(inner.apply(x));
      return tf.model({ inputs: x, outputs: y, name: 'outer_model' });
    },
    inputs: [{ shape: [3, 4] }],
  },
  {
    name: 'nested_functional_in_sequential',
    build: (tf) => {
      const a = tf.input({ shape: [6], name: 'fin' });
      const b = tf.layers.dense({ units: 4, activation: 'relu', name: 'f_dense' }).apply(a);
      const inner = tf.model({ inputs: a, outputs: b, name: 'inner_functional' });
      const m = tf.sequential({ name: 'outer_seq' });
      m.add(tf.layers.dense({ units: 6, inputShape: [5], name: 'pre_dense' }));
      m.add(inner);
      m.add(tf.layers.dense({ units: 2, name: 'post_dense' }));
      return m;
    },
    inputs: [{ shape: [2, 5] }],
  },
  {
    name: 'nested_shared_submodel',
    build: (tf) => {
      const si = tf.input({ shape: [3], name: 'tower_in' });
      const so = tf.layers.dense({ units: 4, activation: 'elu', name: 'tower_dense' }).apply(si);
      const tower = tf.model({ inputs: si, outputs: so, name: 'tower' });
      const a = tf.input({ shape: [3], name: 'left' });
      const b = tf.input({ shape: [3], name: 'right' });
      const merged = tf.layers.concatenate({ name: 'join' }).apply([tower.apply(a), tower.apply(b)]);
      const out = tf.layers.dense({ units: 1, name: 'score' }).apply(merged);
      return tf.model({ inputs: [a, b], outputs: out, name: 'siamese' });
    },
    inputs: [{ shape: [2, 3] }, { shape: [2, 3] }],
  },
];
