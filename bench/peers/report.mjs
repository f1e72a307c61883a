// Combines the peers' JSON (strata.json, libtorch.json, tfjs.json in --dir) into the Markdown
// table that run.sh prints, with the ratios, and optionally one combined JSON file.
// Usage: node report.mjs --dir DIR --threads N [--quick 0|1] [--commit C] [--load-before L] [--json FILE]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const args = {};
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
const read = (name) => {
  try {
    return JSON.parse(fs.readFileSync(path.join(args.dir, `${name}.json`), 'utf8'));
  } catch {
    return null;  // peer not run (--only)
  }
};
const peers = { strata: read('strata'), libtorch: read('libtorch'), tfjs: read('tfjs') };

const cpuModel = (() => {
  try {
    const m = fs.readFileSync('/proc/cpuinfo', 'utf8').match(/^model name\s*:\s*(.*)$/m);
    return m ? m[1].trim() : os.cpus()[0]?.model ?? 'unknown';
  } catch {
    return os.cpus()[0]?.model ?? 'unknown';
  }
})();
const meta = {
  date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
  cpu: cpuModel,
  cores: os.availableParallelism?.() ?? os.cpus().length,
  threads: Number(args.threads),
  quick: args.quick === '1',
  strata_commit: args.commit ?? 'unknown',
  load_average_before: args['load-before'] ?? '',
  load_average_after: os.loadavg().map((x) => x.toFixed(2)).join(' '),
};

// The table's columns: [label, object holding mobilenet_v2 / mnist_cnn_train, mobilenet variant key].
const lt = peers.libtorch, tj = peers.tfjs?.backends ?? {};
const columns = [
  ['Strata cpu', peers.strata, null],
  ['LibTorch 1.13', lt, 'eager'],
  ['LibTorch 1.13, BN folded', lt, 'bn_folded'],
  ['TF.js wasm', tj.wasm, null],
  ['TF.js cpu', tj.cpu, null],
];
const errorOf = (p) => p?.error ?? (p ? null : 'not run');
const mobilenet = (p, variant, b) => {
  if (errorOf(p)) return { error: errorOf(p) };
  const m = p.mobilenet_v2;
  if (m?.error) return { error: m.error };
  return (variant ? m?.[variant] : m)?.[`batch_${b}`] ?? { error: 'missing' };
};
const training = (p, variant) => {
  if (errorOf(p)) return { error: errorOf(p) };
  if (variant === 'bn_folded') return { error: 'same as eager' };
  return p.mnist_cnn_train ?? { error: 'missing' };
};

const fmt = (x, digits) => (x >= 100 ? x.toFixed(0) : x.toPrecision(digits));
const shortError = (e) => (e === 'same as eager' ? '(as eager)' : e === 'not run' ? 'not run' :
  /Conv2DBackpropFilter/.test(e) ? 'n/a: no conv gradient kernel' : `error: ${String(e).slice(0, 40)}`);
const cell = (r, show) => (r.error ? shortError(r.error) : show(r));

const rows = [
  ['MobileNetV2 224, b=1: latency ms (median / min)',
   (p, v) => cell(mobilenet(p, v, 1), (r) => `${fmt(r.median_ms, 3)} / ${fmt(r.min_ms, 3)}`)],
  ['MobileNetV2 224, b=8: latency ms (median / min)',
   (p, v) => cell(mobilenet(p, v, 8), (r) => `${fmt(r.median_ms, 3)} / ${fmt(r.min_ms, 3)}`)],
  ['MobileNetV2 224, b=8: images/s', (p, v) => cell(mobilenet(p, v, 8), (r) => fmt(r.images_per_s, 3))],
  ['MNIST CNN training, batch 64, Adam: samples/s',
   (p, v) => cell(training(p, v), (r) => `${r.extrapolated ? '~' : ''}${fmt(r.samples_per_s, 3)}`)],
];

const lines = [];
lines.push(`Date: ${meta.date}; CPU: ${meta.cpu}; cores: ${meta.cores}; threads: ${meta.threads}; ` +
           `Strata ${meta.strata_commit}; load average before/after: ${meta.load_average_before} / ` +
           `${meta.load_average_after}${meta.quick ? '; --quick (fewer runs: smoke check only)' : ''}`);
lines.push('');
lines.push(`| | ${columns.map((c) => c[0]).join(' | ')} |`);
lines.push(`|---|${columns.map(() => '---:').join('|')}|`);
for (const [label, f] of rows) lines.push(`| ${label} | ${columns.map(([, p, v]) => f(p, v)).join(' | ')} |`);

// The goals: Strata vs LibTorch (the eager model, and the stronger BN-folded one), from
// the medians; the same ratio from the minima, which a busy machine disturbs less, in brackets.
const ratio = (a, b) => (a > 0 && b > 0 ? a / b : null);
const both = (a, b, key, minKey) => [ratio(a[key], b[key]), ratio(a[minKey], b[minKey])];
const withMinRate = (r, b) => ({ ...r, min_images_per_s: r.min_ms > 0 ? (1000 * b) / r.min_ms : null });
const s1 = mobilenet(peers.strata, null, 1), s8 = mobilenet(peers.strata, null, 8), st = training(peers.strata);
const lt_ = (v, b) => mobilenet(lt, v, b);
const goals = [
  ['Strata / LibTorch latency, MobileNetV2 b=1', '<= 0.7', (x) => x <= 0.7,
   both(s1, lt_('eager', 1), 'median_ms', 'min_ms'), both(s1, lt_('bn_folded', 1), 'median_ms', 'min_ms')],
  ['Strata / LibTorch throughput, MobileNetV2 b=8', '>= 1.3', (x) => x >= 1.3,
   both(withMinRate(s8, 8), withMinRate(lt_('eager', 8), 8), 'images_per_s', 'min_images_per_s'),
   both(withMinRate(s8, 8), withMinRate(lt_('bn_folded', 8), 8), 'images_per_s', 'min_images_per_s')],
  ['Strata / LibTorch training samples/s, MNIST CNN', '>= 1.5', (x) => x >= 1.5,
   [ratio(st.samples_per_s, training(lt).samples_per_s), null], [null, null]],
];
const rfmt = ([x, m], ok) => (x == null ? '-' : `${x.toFixed(2)} ${ok(x) ? '(met)' : '(missed)'}` +
                                                (m == null ? '' : ` [min: ${m.toFixed(2)}]`));
lines.push('');
lines.push('| ratio | vs LibTorch | vs LibTorch, BN folded | goal |');
lines.push('|---|---:|---:|---:|');
for (const [label, goal, ok, a, b] of goals) lines.push(`| ${label} | ${rfmt(a, ok)} | ${rfmt(b, ok)} | ${goal} |`);

// Notes a reader needs to trust the numbers.
const notes = [];
const diff = (x) => (typeof x === 'number' ? x.toExponential(1) : '-');
if (peers.strata && !peers.strata.error) notes.push(`Strata output vs TF.js fixture: max |diff| ${diff(peers.strata.mobilenet_v2?.check_max_abs_diff)}`);
if (lt && !lt.error) {
  notes.push(`LibTorch output vs TF.js fixture: max |diff| ${diff(lt.mobilenet_v2?.eager?.check_max_abs_diff)} (eager), ` +
             `${diff(lt.mobilenet_v2?.bn_folded?.check_max_abs_diff)} (BN folded)`);
  notes.push(`LibTorch BLAS: ${lt.blas || 'unknown'}; training layout ${lt.mnist_cnn_train?.layout ?? '?'}`);
}
if (tj.wasm && !tj.wasm.error) notes.push(`TF.js wasm: SIMD ${tj.wasm.simd}, multithreaded ${tj.wasm.multithread}, threads ${tj.wasm.threads} (TF.js disables wasm threads in Node)`);
const tc = tj.cpu?.mnist_cnn_train;
if (tc && !tc.error) notes.push(`TF.js cpu: single-threaded JavaScript; training ~ = extrapolated from ${tc.steps} steps; MobileNetV2 from ${tj.cpu.mobilenet_v2?.batch_1?.runs ?? '?'} runs`);
for (const [name, p] of Object.entries(peers)) if (p?.error) notes.push(`${name} failed: ${p.error}`);
lines.push('');
for (const n of notes) lines.push(`- ${n}`);
console.log(lines.join('\n'));

if (args.json) {
  const combined = { meta, peers, table_markdown: lines.join('\n') };
  const tmp = `${args.json}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, JSON.stringify(combined, null, 2) + '\n');
  fs.renameSync(tmp, args.json);
}
