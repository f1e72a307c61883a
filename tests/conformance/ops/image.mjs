// Op cases for tf.image.resizeBilinear and tf.image.resizeNearestNeighbor.
// TF.js 4.22's CPU gradients of these resizes ignore halfPixelCenters, label the gradient of a
// non-square image with its height and width swapped, and (nearest neighbour) mix up batch
// offsets when the sizes differ. Cases that hit those use the *Adjoint ops: the forward value
// is still tf.image's, and the gradient is the exact adjoint of that forward map, built here
// from per-axis interpolation matrices (asserted to reproduce tf.image's forward values).
function axisMatrix(kind, inSize, outSize, alignCorners, halfPixelCenters) {
  const scale = alignCorners && outSize > 1 ? (inSize - 1) / (outSize - 1) : inSize / outSize;
  const m = Array.from({ length: outSize }, () => new Array(inSize).fill(0));
  for (let i = 0; i < outSize; i++) {
    if (kind === 'bilinear') {
      const src = halfPixelCenters ? scale * (i + 0.5) - 0.5 : scale * i;
      const lo = Math.max(0, Math.floor(src));
      const hi = Math.min(inSize - 1, Math.ceil(src));
      const frac = src - lo;
      m[i][lo] += 1 - frac;
      m[i][hi] += frac;
    } else {
      const src = halfPixelCenters ? scale * (i + 0.5) : scale * i;
      let k = Math.min(inSize - 1, alignCorners ? Math.round(src) : Math.floor(src));
      if (halfPixelCenters) k = Math.max(0, k);
      m[i][k] = 1;
    }
  }
  return m;
}

// Applies A_h on the height axis and A_w on the width axis of [b, h, w, c] (transposed when
// `adjoint`, mapping an output-sized tensor back to the input size).
function separable(tf, t, ah, aw, adjoint) {
  const [b, , , c] = t.shape;
  const onAxis1 = (u, a) => {  // u [b, n, m, c], a [p, n] (or [n, p] when adjoint) -> [b, p, m, c]
    const [, n, m] = u.shape;
    const mat = tf.tensor2d(a);
    const flat = tf.reshape(tf.transpose(u, [1, 0, 2, 3]), [n, b * m * c]);
    const r = tf.matMul(mat, flat, adjoint, false);
    return tf.transpose(tf.reshape(r, [r.shape[0], b, m, c]), [1, 0, 2, 3]);
  };
  const rows = onAxis1(t, ah);
  const cols = onAxis1(tf.transpose(rows, [0, 2, 1, 3]), aw);
  return tf.transpose(cols, [0, 2, 1, 3]);
}

function resizeWithAdjoint(kind) {
  return (tf, [x], a) => {
    const f = kind === 'bilinear' ? tf.image.resizeBilinear : tf.image.resizeNearestNeighbor;
    const x4 = x.rank === 3 ? tf.expandDims(x, 0) : x;
    const ah = axisMatrix(kind, x4.shape[1], a.size[0], a.alignCorners, a.halfPixelCenters);
    const aw = axisMatrix(kind, x4.shape[2], a.size[1], a.alignCorners, a.halfPixelCenters);
    const op = tf.customGrad((t, save) => {
      const value = f(t, a.size, a.alignCorners, a.halfPixelCenters);
      const check = separable(tf, x4, ah, aw, false);
      const v = check.dataSync(), w = (x.rank === 3 ? tf.expandDims(value, 0) : value).dataSync();
      if (v.some((e, i) => Math.abs(e - w[i]) > 1e-5 * (1 + Math.abs(w[i]))))
        throw new Error(`${kind}: interpolation matrices do not reproduce tf.image's values`);
      const gradFunc = (dy) => {
        const dy4 = dy.rank === 3 ? tf.expandDims(dy, 0) : dy;
        return tf.reshape(separable(tf, dy4, ah, aw, true), t.shape);
      };
      return { value, gradFunc };
    });
    return op(x);
  };
}

export const ops = {
  resizeBilinear: (tf, [x], a) => tf.image.resizeBilinear(x, a.size, a.alignCorners, a.halfPixelCenters),
  resizeNearestNeighbor: (tf, [x], a) => tf.image.resizeNearestNeighbor(x, a.size, a.alignCorners, a.halfPixelCenters),
  resizeBilinearAdjoint: resizeWithAdjoint('bilinear'),
  resizeNearestNeighborAdjoint: resizeWithAdjoint('nearest'),
};

const f = (shape) => ({ shape });
const flags = (size, alignCorners = false, halfPixelCenters = false) => ({ size, alignCorners, halfPixelCenters });
const rb = (name, shape, attrs, op = 'resizeBilinear') => ({ name, op, inputs: [f(shape)], attrs });
const rn = (name, shape, attrs, op = 'resizeNearestNeighbor') => ({ name, op, inputs: [f(shape)], attrs });

export const cases = [
  // Square images without half-pixel centres: TF.js's own gradient is right.
  rb('resizeBilinear_up', [1, 3, 3, 2], flags([5, 6])),
  rb('resizeBilinear_down_batch', [2, 5, 5, 1], flags([3, 2])),
  rb('resizeBilinear_align_up', [1, 4, 4, 2], flags([7, 5], true)),
  rb('resizeBilinear_align_down', [1, 5, 5, 1], flags([2, 3], true)),
  rb('resizeBilinear_align_one_row', [1, 3, 3, 1], flags([1, 4], true)),
  rb('resizeBilinear_same_size', [1, 3, 3, 1], flags([3, 3])),
  rb('resizeBilinear_half_up', [1, 3, 4, 2], flags([5, 7], false, true), 'resizeBilinearAdjoint'),
  rb('resizeBilinear_half_down', [2, 6, 5, 1], flags([4, 3], false, true), 'resizeBilinearAdjoint'),
  rb('resizeBilinear_odd_nonsquare', [1, 5, 3, 1], flags([2, 7]), 'resizeBilinearAdjoint'),
  rb('resizeBilinear_3d_align', [3, 4, 2], flags([6, 3], true), 'resizeBilinearAdjoint'),
  rb('resizeBilinear_3d_half', [4, 3, 1], flags([2, 5], false, true), 'resizeBilinearAdjoint'),

  rn('resizeNearest_up', [1, 3, 3, 2], flags([5, 7])),
  rn('resizeNearest_down', [1, 6, 6, 1], flags([3, 4])),
  rn('resizeNearest_align', [1, 4, 4, 1], flags([7, 6], true)),
  rn('resizeNearest_align_down', [1, 5, 5, 1], flags([3, 2], true)),
  rn('resizeNearest_half_up', [1, 3, 5, 2], flags([5, 4], false, true), 'resizeNearestNeighborAdjoint'),
  rn('resizeNearest_half_down', [1, 7, 5, 1], flags([3, 2], false, true), 'resizeNearestNeighborAdjoint'),
  rn('resizeNearest_batch', [2, 3, 3, 1], flags([4, 5]), 'resizeNearestNeighborAdjoint'),
  rn('resizeNearest_3d_odd', [5, 3, 2], flags([2, 4]), 'resizeNearestNeighborAdjoint'),
  { name: 'resizeNearest_int32', op: 'resizeNearestNeighbor', inputs: [{ shape: [1, 2, 3, 1], dtype: 'int32', min: -9, max: 9 }], attrs: flags([3, 5]) },
];
