// Op cases for the matrix products: matMul, dot, outerProduct, fusedMatMul.
// TF.js 4.22's cpu BatchMatMul mishandles some batch broadcasts (it indexes batches modulo
// each operand's batch size, e.g. [2,1,3,4] x [3,4,5] fills only half the output) and its
// gradient does not sum over broadcast batch axes (it throws). Strata broadcasts batches as
// NumPy does, so the oracle broadcasts both operands explicitly first, which TF.js gets right
// forward and backward.
function broadcastShapes(a, b) {
  const n = Math.max(a.length, b.length);
  const out = [];
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1, db = b[b.length - n + i] ?? 1;
    out.push(da === 1 ? db : da);
  }
  return out;
}
function batchMatMul(tf, a, b, tA, tB) {
  const ba = a.shape.slice(0, -2), bb = b.shape.slice(0, -2);
  if (ba.length === bb.length && ba.every((d, i) => d === bb[i])) return tf.matMul(a, b, tA, tB);
  const batch = broadcastShapes(ba, bb);
  return tf.matMul(tf.broadcastTo(a, [...batch, ...a.shape.slice(-2)]), tf.broadcastTo(b, [...batch, ...b.shape.slice(-2)]), tA, tB);
}

export const ops = {
  matMul: (tf, [a, b], at) => batchMatMul(tf, a, b, at.transposeA ?? false, at.transposeB ?? false),
  dot: (tf, [a, b]) => tf.dot(a, b),
  outerProduct: (tf, [a, b]) => tf.outerProduct(a, b),
  // Inputs: a, b, then bias (when attrs.hasBias), then PReLU weights (activation 'prelu').
  fusedMatMul: (tf, xs, at) => {
    let k = 2;
    const bias = at.hasBias ? xs[k++] : undefined;
    const preluActivationWeights = at.activation === 'prelu' ? xs[k++] : undefined;
    return tf.fused.matMul({
      a: xs[0], b: xs[1], transposeA: at.transposeA ?? false, transposeB: at.transposeB ?? false,
      bias, activation: at.activation ?? 'linear', preluActivationWeights, leakyreluAlpha: at.leakyreluAlpha,
    });
  },
};

const f = (shape, min, max) => ({ shape, min, max });
const mm = (name, a, b, attrs = {}, extra = {}) => ({ name, op: 'matMul', inputs: [f(a), f(b)], attrs, ...extra });
const fused = (name, a, b, attrs, extras = [], extra = {}) =>
  ({ name, op: 'fusedMatMul', inputs: [f(a), f(b), ...extras], attrs, ...extra });

export const cases = [
  mm('matMul', [3, 4], [4, 5]),
  mm('matMul_transposeA', [4, 3], [4, 5], { transposeA: true }),
  mm('matMul_transposeB', [3, 4], [5, 4], { transposeB: true }),
  mm('matMul_transposeAB', [4, 3], [5, 4], { transposeA: true, transposeB: true }),
  mm('matMul_batch', [2, 3, 4], [2, 4, 5]),
  mm('matMul_batch_broadcast', [2, 1, 3, 4], [3, 4, 5]),
  mm('matMul_batch_broadcast_one', [2, 3, 4], [1, 4, 5]),
  mm('matMul_batch_broadcast_transposed', [1, 4, 3], [2, 5, 4], { transposeA: true, transposeB: true }),
  mm('matMul_rank2_by_batch', [3, 4], [2, 4, 5]),
  mm('matMul_odd', [1, 7], [7, 1]),
  { name: 'matMul_int', op: 'matMul', inputs: [{ shape: [2, 3], dtype: 'int32', min: -5, max: 5 }, { shape: [3, 2], dtype: 'int32', min: -5, max: 5 }] },
  { name: 'dot_vector_vector', op: 'dot', inputs: [f([4]), f([4])] },
  { name: 'dot_matrix_vector', op: 'dot', inputs: [f([3, 4]), f([4])] },
  { name: 'dot_vector_matrix', op: 'dot', inputs: [f([3]), f([3, 4])] },
  { name: 'dot_matrix_matrix', op: 'dot', inputs: [f([2, 3]), f([3, 4])] },
  { name: 'outerProduct', op: 'outerProduct', inputs: [f([3]), f([4])] },

  fused('fusedMatMul_linear', [3, 4], [4, 5], {}),
  fused('fusedMatMul_linear_bias', [3, 4], [4, 5], { hasBias: true }, [f([5])]),
  fused('fusedMatMul_relu_bias', [3, 4], [4, 5], { hasBias: true, activation: 'relu' }, [f([5])]),
  fused('fusedMatMul_relu', [4, 3], [4, 5], { activation: 'relu', transposeA: true }),
  // Wide inputs so that some pre-activations pass 6.
  { name: 'fusedMatMul_relu6_bias', op: 'fusedMatMul', inputs: [f([3, 4], -3, 3), f([4, 5], -3, 3), f([5], 2, 5)], attrs: { hasBias: true, activation: 'relu6' } },
  fused('fusedMatMul_elu_bias', [3, 4], [5, 4], { hasBias: true, activation: 'elu', transposeB: true }, [f([5])]),
  fused('fusedMatMul_leakyrelu', [3, 4], [4, 5], { activation: 'leakyrelu', leakyreluAlpha: 0.1 }),
  fused('fusedMatMul_leakyrelu_bias', [3, 4], [4, 5], { hasBias: true, activation: 'leakyrelu' }, [f([5])]),
  fused('fusedMatMul_prelu_bias', [3, 4], [4, 5], { hasBias: true, activation: 'prelu' }, [f([5]), f([5], 0.05, 0.5)]),
  fused('fusedMatMul_prelu', [3, 4], [4, 5], { activation: 'prelu' }, [f([3, 1], 0.05, 0.5)]),
  fused('fusedMatMul_sigmoid_bias', [3, 4], [4, 5], { hasBias: true, activation: 'sigmoid' }, [f([5])]),
  fused('fusedMatMul_sigmoid', [2, 3, 4], [2, 4, 5], { activation: 'sigmoid' }),
  fused('fusedMatMul_batch_bias', [2, 3, 4], [2, 4, 5], { hasBias: true }, [f([5])]),
  // TF.js's fused gradient does not reduce over broadcast batch axes either: forward only.
  fused('fusedMatMul_batch_broadcast_bias', [2, 3, 4], [4, 5], { hasBias: true, activation: 'relu' }, [f([5])], { grad: false }),
  fused('fusedMatMul_bias_matrix', [3, 4], [4, 5], { hasBias: true, activation: 'relu' }, [f([3, 5])]),
];
