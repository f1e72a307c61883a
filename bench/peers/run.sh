#!/usr/bin/env bash
# Strata's cpu backend vs LibTorch 1.13 and TF.js 4.22 (wasm, cpu) on one machine, in one go:
# MobileNetV2 224 inference at batch 1 and 8, and one epoch of MNIST CNN training (batch 64,
# Adam). Builds what is missing, runs every peer with the same threads and protocol, prints a
# Markdown table with the issue's ratios. See bench/peers/README.md.
#
# Usage: bench/peers/run.sh [--threads N] [--quick] [--json FILE] [--build-dir DIR]
#                           [--only strata,libtorch,tfjs,tfjs-wasm,tfjs-cpu] [--no-build]
#                           [--libtorch-blas auto|system|DIR]
#   STRATA_BUILD_DIR  build directory of Strata (default: build/; --build-dir overrides)
#   STRATA_FIXTURES   generated fixtures (default: BUILD/fixtures; MobileNetV2 is made if absent)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PEERS=$ROOT/bench/peers
BUILD=${STRATA_BUILD_DIR:-$ROOT/build}
THREADS=$(nproc)
QUICK=0
JSON_OUT=
ONLY=strata,libtorch,tfjs
BUILD_PEERS=1
BLAS=auto

die() { echo "run.sh: $*" >&2; exit 1; }
note() { echo "run.sh: $*" >&2; }

while [[ $# -gt 0 ]]; do
  case $1 in
    --threads) THREADS=${2:?--threads needs a value}; shift 2 ;;
    --quick) QUICK=1; shift ;;
    --json) JSON_OUT=${2:?--json needs a file}; shift 2 ;;
    --build-dir) BUILD=${2:?--build-dir needs a directory}; shift 2 ;;
    --only) ONLY=${2:?--only needs a list}; shift 2 ;;
    --no-build) BUILD_PEERS=0; shift ;;
    --libtorch-blas) BLAS=${2:?--libtorch-blas needs auto, system or a directory}; shift 2 ;;
    -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
done
[[ $THREADS =~ ^[1-9][0-9]*$ ]] || die "--threads must be a positive integer, got '$THREADS'"
BUILD=$(mkdir -p "$BUILD" && cd "$BUILD" && pwd)
FIXTURES=${STRATA_FIXTURES:-$BUILD/fixtures}
MODEL_DIR=$FIXTURES/models/mobilenet_v2
MODEL=$MODEL_DIR/model.json
OUT=$BUILD/peers
mkdir -p "$OUT"
has() { [[ ",$ONLY," == *",$1,"* ]]; }
wants() {  # `tfjs` in --only means both TF.js backends
  case $1 in
    tfjs-*) has "$1" || has tfjs ;;
    tfjs) has tfjs || has tfjs-wasm || has tfjs-cpu ;;
    *) has "$1" ;;
  esac
}
TFJS_BACKENDS=$(for b in wasm cpu; do if wants "tfjs-$b"; then echo "$b"; fi; done | paste -sd,)

# The same protocol for every peer. TF.js's cpu backend (pure JavaScript, ~100x slower) gets
# fewer runs and training steps (one step takes minutes); its samples/s is extrapolated from them.
if [[ $QUICK == 1 ]]; then
  WARMUP=1 RUNS=3 TRAIN_STEPS=20 TRAIN_WARMUP=1 CPU_WARMUP=1 CPU_RUNS=1 CPU_TRAIN_STEPS=1
else
  WARMUP=3 RUNS=10 TRAIN_STEPS=125 TRAIN_WARMUP=3 CPU_WARMUP=1 CPU_RUNS=3 CPU_TRAIN_STEPS=3
fi
COMMON=(--threads "$THREADS" --warmup "$WARMUP" --runs "$RUNS" --batches 1,8
        --train-steps "$TRAIN_STEPS" --train-warmup "$TRAIN_WARMUP")
CHECK=(--check-input "$MODEL_DIR/input_0.npy" --check-output "$MODEL_DIR/output_0.npy")
export OMP_NUM_THREADS=$THREADS STRATA_NUM_THREADS=$THREADS

# ---- fixture, npm packages, builds ---------------------------------------------------------
if [[ ! -f $MODEL ]]; then
  note "making the MobileNetV2 fixture in $FIXTURES"
  [[ -d $ROOT/tests/conformance/node_modules ]] || (cd "$ROOT/tests/conformance" && npm install --no-audit --no-fund >&2)
  (cd "$ROOT/tests/conformance" && node generate_models.mjs "$FIXTURES" >&2)
  [[ -f $MODEL ]] || die "generate_models.mjs did not write $MODEL"
fi

if wants tfjs && [[ ! -d $PEERS/node_modules/@tensorflow/tfjs-backend-wasm ]]; then
  note "installing TF.js into bench/peers/node_modules"
  (cd "$PEERS" && { [[ -f package-lock.json ]] && npm ci --no-audit --no-fund || npm install --no-audit --no-fund; } >&2)
fi

STRATA_PEER=$BUILD/bench/strata_peer
if wants strata && [[ $BUILD_PEERS == 1 ]]; then
  cache=$BUILD/CMakeCache.txt
  if [[ ! -f $cache ]] || ! grep -q '^STRATA_BUILD_BENCH:BOOL=ON' "$cache"; then
    note "configuring $BUILD with STRATA_BUILD_BENCH=ON"
    cmake -S "$ROOT" -B "$BUILD" -G Ninja -DSTRATA_BUILD_BENCH=ON >&2
  fi
  grep -q '^CMAKE_BUILD_TYPE:STRING=\(Release\|\)$' "$cache" || note "warning: $BUILD is not a Release build"
  note "building strata_peer in $BUILD (incremental)"
  cmake --build "$BUILD" --target strata_peer >&2 || die "building strata_peer failed (is Google Benchmark installed? bench/ needs it)"
fi

LIBTORCH_PEER=$OUT/libtorch_peer
if wants libtorch && [[ $BUILD_PEERS == 1 ]] && [[ ! -x $LIBTORCH_PEER || $PEERS/libtorch_peer.cpp -nt $LIBTORCH_PEER ]]; then
  TORCH_API=/usr/include/torch/csrc/api/include
  [[ -d $TORCH_API ]] || die "LibTorch headers not found ($TORCH_API): apt-get install libtorch-dev"
  note "building libtorch_peer (about a minute)"
  g++ -O2 -std=c++17 -D_GLIBCXX_USE_CXX11_ABI=1 -I"$TORCH_API" "$PEERS/libtorch_peer.cpp" \
      -ltorch -ltorch_cpu -lc10 -o "$LIBTORCH_PEER.tmp" >&2 && mv "$LIBTORCH_PEER.tmp" "$LIBTORCH_PEER"
fi

# LibTorch's Linear/matmul call the system libblas.so.3; Debian's default is the unoptimized
# reference BLAS, which would handicap LibTorch's dense layers. Give it OpenBLAS (OpenMP build,
# so it shares LibTorch's threads): the system's if installed, else a copy unpacked in BUILD/peers
# by `apt-get download` (no system change). --libtorch-blas system keeps the default.
TORCH_LD_PATH=
if wants libtorch; then
  case $BLAS in
    system) ;;
    auto)
      sys=/usr/lib/x86_64-linux-gnu/openblas-openmp loc=$OUT/openblas/usr/lib/x86_64-linux-gnu/openblas-openmp
      if [[ -f $sys/libblas.so.3 ]]; then TORCH_LD_PATH=$sys
      elif [[ -f $loc/libblas.so.3 ]]; then TORCH_LD_PATH=$loc
      elif command -v apt-get >/dev/null; then
        note "fetching OpenBLAS (libopenblas0-openmp) for LibTorch into $OUT/openblas"
        if (cd "$OUT" && apt-get download libopenblas0-openmp >/dev/null 2>&1) &&
           dpkg -x "$(ls -t "$OUT"/libopenblas0-openmp_*.deb | head -1)" "$OUT/openblas"; then TORCH_LD_PATH=$loc
        else note "warning: no OpenBLAS; LibTorch uses the system libblas.so.3"; fi
      fi ;;
    *) [[ -f $BLAS/libblas.so.3 ]] || die "--libtorch-blas $BLAS: no libblas.so.3 there"; TORCH_LD_PATH=$BLAS ;;
  esac
fi

# ---- run the peers one after another ---------------------------------------------------------
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
run_peer() {  # name, command...: stdout JSON to OUT/name.json; a failure becomes {"error": ...}
  local name=$1; shift
  note "running $name ..."
  local t0=$SECONDS
  if "$@" >"$OUT/$name.json" 2>"$OUT/$name.err"; then
    note "$name done in $((SECONDS - t0)) s"
  else
    note "$name FAILED (see $OUT/$name.err): $(tail -1 "$OUT/$name.err")"
    node -e 'process.stdout.write(JSON.stringify({error: process.argv[1]}))' "$(tail -3 "$OUT/$name.err")" >"$OUT/$name.json"
  fi
}
rm -f "$OUT"/{strata,libtorch,tfjs}.json
if wants strata; then
  [[ -x $STRATA_PEER ]] || die "$STRATA_PEER is missing (run without --no-build)"
  run_peer strata "$STRATA_PEER" --model "$MODEL" "${COMMON[@]}" "${CHECK[@]}" --backend cpu
fi
if wants libtorch; then
  [[ -x $LIBTORCH_PEER ]] || die "$LIBTORCH_PEER is missing (run without --no-build)"
  run_peer libtorch env LD_LIBRARY_PATH="$TORCH_LD_PATH${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
    "$LIBTORCH_PEER" --model "$MODEL" "${COMMON[@]}" "${CHECK[@]}"
fi
if wants tfjs; then
  run_peer tfjs node "$PEERS/tfjs_peer.mjs" --model "$MODEL" "${COMMON[@]}" --backends "$TFJS_BACKENDS" \
    --cpu-warmup "$CPU_WARMUP" --cpu-runs "$CPU_RUNS" --cpu-train-steps "$CPU_TRAIN_STEPS"
fi

COMMIT=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
git -C "$ROOT" diff --quiet HEAD 2>/dev/null || COMMIT="$COMMIT+dirty"
node "$PEERS/report.mjs" --dir "$OUT" --threads "$THREADS" --quick "$QUICK" --commit "$COMMIT" \
  --load-before "$LOAD_BEFORE" ${JSON_OUT:+--json "$JSON_OUT"}
