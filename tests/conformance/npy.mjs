// Shared helpers for the fixture generators: a seeded generator and a .npy writer/reader.
import fs from 'node:fs';

// mulberry32: a small seeded generator, so fixtures are identical on every run.
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function hash(s) {
  let h = 2166136261;
  for (const c of s) h = Math.imul(h ^ c.charCodeAt(0), 16777619);
  return h >>> 0;
}

// Writes a tf.Tensor (float32 or int32) as a little-endian C-order .npy (format 1.0).
export function writeNpy(file, t) {
  const descr = t.dtype === 'int32' ? '<i4' : t.dtype === 'bool' ? '|b1' : '<f4';
  const data = t.dtype === 'int32' ? new Int32Array(t.dataSync()) : t.dtype === 'bool' ? new Uint8Array(t.dataSync()) : new Float32Array(t.dataSync());
  const shape = t.shape.length === 1 ? `(${t.shape[0]},)` : `(${t.shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const buf = Buffer.alloc(10 + header.length + data.byteLength);
  buf.write('\x93NUMPY', 0, 'latin1');
  buf[6] = 1; buf[7] = 0;
  buf.writeUInt16LE(header.length, 8);
  buf.write(header, 10, 'latin1');
  Buffer.from(data.buffer, data.byteOffset, data.byteLength).copy(buf, 10 + header.length);
  fs.writeFileSync(file, buf);
}

// Reads a float32/int32 .npy into {shape, dtype, data}.
export function readNpy(file) {
  const buf = fs.readFileSync(file);
  const len = buf.readUInt16LE(8);
  const header = buf.toString('latin1', 10, 10 + len);
  const descr = /'descr': '([^']+)'/.exec(header)[1];
  const shape = /'shape': \(([^)]*)\)/.exec(header)[1].split(',').map((s) => s.trim()).filter((s) => s).map(Number);
  const off = 10 + len;
  const bytes = buf.buffer.slice(buf.byteOffset + off, buf.byteOffset + buf.length);
  const data = descr === '<i4' ? new Int32Array(bytes) : new Float32Array(bytes);
  return { shape, dtype: descr === '<i4' ? 'int32' : 'float32', data };
}
