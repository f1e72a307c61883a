#!/usr/bin/env bash
# int8 vs float32 inference time on one backend (default cpu) at batch 1 and 32, with `strata bench`
# (median of RUNS timed runs after warm-up; the models of quantize_mnist.sh and
# quantize_mobilenet.sh, run first if missing). Prints the speed table of docs/quantization.md.
# Environment: BUILD (or STRATA: a strata binary), WORK, STRATA_BACKEND, RUNS (default 100 at batch 1, else 10), BATCHES (default "1 32"), THREADS
# (thread counts, default 1: on a machine shared with other jobs, more OpenMP threads than free
# cores makes every parallel region wait for a descheduled thread).
source "$(dirname "$0")/quantize_common.sh"
here="$(cd "$(dirname "$0")" && pwd)"
[ -f "$work/mnist/int8/model.json" ] || "$here/quantize_mnist.sh" >/dev/null
[ -f "$work/mobilenet/int8/model.json" ] || "$here/quantize_mobilenet.sh" >/dev/null
fixtures="${STRATA_FIXTURES:-$work/fixtures}"
echo "| model | batch | threads | float32 median (min) ms | int8 median (min) ms | speedup by median (by min) |"
echo "| --- | ---: | ---: | ---: | ---: | ---: |"
for threads in ${THREADS:-1}; do
for batch in ${BATCHES:-1 32}; do
  for pair in "MNIST CNN|$work/mnist/float32|$work/mnist/int8" \
              "MobileNetV2 (224x224x3)|$fixtures/models/mobilenet_v2|$work/mobilenet/int8"; do
    IFS='|' read -r name float int8 <<<"$pair"
    STRATA_NUM_THREADS=$threads "$strata" bench "$float" "$int8" --backend "$STRATA_BACKEND" --batch "$batch" \
      --warmup 3 --runs "${RUNS:-$([ "$batch" = 1 ] && echo 100 || echo 10)}" --json "$work/speed.json" >&2
    python3 - "$work/speed.json" "$name" "$threads" "$batch" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
name, threads, batch = sys.argv[2], sys.argv[3], sys.argv[4]
labels = [m['name'] for m in j['models']]  # in command-line order: float32, then int8
p = {r['model']: r['predict'] for r in j['results']}
a, b = p[labels[0]], p[labels[1]]
print(f"| {name} | {batch} | {threads} | {a['medianMs']:.2f} ({a['minMs']:.2f}) | {b['medianMs']:.2f} ({b['minMs']:.2f}) | "
      f"{a['medianMs'] / b['medianMs']:.2f}x ({a['minMs'] / b['minMs']:.2f}x) |")
PY
  done
done
done
