// Conformance models for the merge layers: every elementwise merge with two and three inputs,
// shared layers, the rank-broadcast rule, Concatenate on a non-last axis and Dot with and
// without normalize (ranks 2 and 3, mixed ranks).

// TF.js 4.22 has no Subtract layer; Keras's (exactly two inputs of one shape, inputs[0] -
// inputs[1]) is defined here so that a model using it can be saved and predicted. For this
// class the oracle is this definition, not TF.js.
let subtractClass = null;
function subtractLayer(tf, config) {
  if (!subtractClass) {
    subtractClass = class Subtract extends tf.layers.Layer {
      static className = 'Subtract';
      computeOutputShape(inputShape) { return inputShape[0]; }
      call(inputs) { return tf.tidy(() => tf.sub(inputs[0], inputs[1])); }
    };
    tf.serialization.registerClass(subtractClass);
  }
  return new subtractClass(config);
}

export const models = [
  {
    // One Dense layer shared by both inputs; every elementwise merge of its two outputs.
    name: 'merge_elementwise_shared',
    build: (tf) => {
      const a = tf.input({ shape: [4] });
      const b = tf.input({ shape: [4] });
      const shared = tf.layers.dense({ units: 5, activation: 'tanh' });
      const ha = shared.apply(a);
      const hb = shared.apply(b);
      const add = tf.layers.add({}).apply([ha, hb]);
      const mul = tf.layers.multiply({}).apply([ha, hb]);
      const avg = tf.layers.average({}).apply([ha, hb]);
      const max = tf.layers.maximum({}).apply([ha, hb]);
      const min = tf.layers.minimum({}).apply([ha, hb]);
      return tf.model({ inputs: [a, b], outputs: [add, mul, avg, max, min] });
    },
    inputs: [{ shape: [3, 4] }, { shape: [3, 4] }],
  },
  {
    // Keras's Subtract (see subtractLayer above), in its own model so that the others still
    // round-trip through TF.js (which cannot load this class).
    name: 'merge_subtract_keras',
    build: (tf) => {
      const a = tf.input({ shape: [2, 3] });
      const b = tf.input({ shape: [2, 3] });
      const h = tf.layers.dense({ units: 3 }).apply(b);
      const diff = subtractLayer(tf, {}).apply([a, h]);
      const back = subtractLayer(tf, {}).apply([h, diff]);
      return tf.model({ inputs: [a, b], outputs: [diff, back] });
    },
    inputs: [{ shape: [2, 2, 3] }, { shape: [2, 2, 3] }],
  },
  {
    name: 'merge_three_inputs',
    build: (tf) => {
      const a = tf.input({ shape: [2, 3] });
      const b = tf.input({ shape: [2, 3] });
      const c = tf.input({ shape: [2, 3] });
      const outs = [tf.layers.add({}), tf.layers.multiply({}), tf.layers.average({}), tf.layers.maximum({}),
        tf.layers.minimum({})].map((l) => l.apply([a, b, c]));
      return tf.model({ inputs: [a, b, c], outputs: outs });
    },
    inputs: [{ shape: [2, 2, 3] }, { shape: [2, 2, 3] }, { shape: [2, 2, 3], min: -2, max: 2 }],
  },
  {
    // Lower-rank inputs get unit axes after the batch axis; unit extents broadcast.
    name: 'merge_broadcast',
    build: (tf) => {
      const a = tf.input({ shape: [3, 4] });
      const b = tf.input({ shape: [4] });
      const c = tf.input({ shape: [3, 1] });
      const add = tf.layers.add({}).apply([a, b]);
      const mul = tf.layers.multiply({}).apply([b, a]);
      const max = tf.layers.maximum({}).apply([a, c]);
      const avg = tf.layers.average({}).apply([c, a, b]);
      return tf.model({ inputs: [a, b, c], outputs: [add, mul, max, avg] });
    },
    inputs: [{ shape: [2, 3, 4] }, { shape: [2, 4] }, { shape: [2, 3, 1] }],
  },
  {
    name: 'concatenate_axes',
    build: (tf) => {
      const a = tf.input({ shape: [3, 4] });
      const b = tf.input({ shape: [5, 4] });
      const c = tf.input({ shape: [3, 2] });
      const onTime = tf.layers.concatenate({ axis: 1 }).apply([a, b]);
      const onLast = tf.layers.concatenate({}).apply([a, c, a]);
      const d = tf.layers.dense({ units: 4 }).apply(c);
      const three = tf.layers.concatenate({ axis: 1 }).apply([d, onTime, a]);
      return tf.model({ inputs: [a, b, c], outputs: [onTime, onLast, three] });
    },
    inputs: [{ shape: [2, 3, 4] }, { shape: [2, 5, 4] }, { shape: [2, 3, 2] }],
  },
  {
    name: 'dot_layers',
    build: (tf) => {
      const v1 = tf.input({ shape: [5] });
      const v2 = tf.input({ shape: [5] });
      const s1 = tf.input({ shape: [3, 4] });
      const s2 = tf.input({ shape: [6, 4] });
      const s3 = tf.input({ shape: [3, 6] });
      const cos = tf.layers.dot({ axes: 1, normalize: true }).apply([v1, v2]);
      const plain = tf.layers.dot({ axes: -1 }).apply([v1, v2]);
      const att = tf.layers.dot({ axes: [2, 2] }).apply([s1, s2]);
      const attN = tf.layers.dot({ axes: 2, normalize: true }).apply([s1, s2]);
      const over1 = tf.layers.dot({ axes: 1 }).apply([s1, s3]);
      const mixed = tf.layers.dot({ axes: [2, 1] }).apply([s1, tf.layers.dense({ units: 4 }).apply(v1)]);
      const mixed2 = tf.layers.dot({ axes: [1, 2], normalize: true }).apply([v2, tf.layers.dense({ units: 5 }).apply(s2)]);
      return tf.model({ inputs: [v1, v2, s1, s2, s3], outputs: [cos, plain, att, attN, over1, mixed, mixed2] });
    },
    inputs: [{ shape: [2, 5] }, { shape: [2, 5] }, { shape: [2, 3, 4] }, { shape: [2, 6, 4] }, { shape: [2, 3, 6] }],
  },
  {
    // Siamese convolution towers (shared Conv2D + BatchNormalization) merged several ways.
    name: 'siamese_conv_merge',
    build: (tf) => {
      const a = tf.input({ shape: [8, 8, 2] });
      const b = tf.input({ shape: [8, 8, 2] });
      const conv = tf.layers.conv2d({ filters: 4, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' });
      const bn = tf.layers.batchNormalization({});
      const ta = bn.apply(conv.apply(a));
      const tb = bn.apply(conv.apply(b));
      const avg = tf.layers.average({}).apply([ta, tb]);
      const cat = tf.layers.concatenate({ axis: 3 }).apply([ta, tb, avg]);
      const catH = tf.layers.concatenate({ axis: 1 }).apply([ta, tb]);
      const g = tf.layers.globalAveragePooling2d({}).apply(cat);
      return tf.model({ inputs: [a, b], outputs: [g, catH] });
    },
    inputs: [{ shape: [2, 8, 8, 2] }, { shape: [2, 8, 8, 2] }],
  },
];
