#!/usr/bin/env bash
# Runs on a machine with an NVIDIA GPU (the lent H100), from the repository root, on binaries
# built elsewhere and packed by bench/cuda/pack.sh into .devpack/ (libstrata.so, strata,
# strata_tests, strata_peer, fixtures). Steps, any subset, in order:
#   info      nvidia-smi, strata info
#   test      the whole GoogleTest suite (parity + conformance on every backend, cuda included)
#   sanitize  compute-sanitizer memcheck on the parity suite restricted to cuda
#   bench     PyTorch (torch_peer.py) and Strata (strata_peer, strata bench) in the same call
#   int8      int8 vs float32 models on cuda (bench/optimize/quantize_speed.sh) + an int8 profile
# Results go to $OUT (or ./out): logs, JSON, and a table printed last.
set -uo pipefail
cd "$(dirname "$0")/../.."
PACK=${PACK:-.devpack}
OUT=${OUT:-out}
mkdir -p "$OUT"
if [[ -f "$PACK/pack.tar.xz" ]]; then tar -C "$PACK" -xJf "$PACK/pack.tar.xz" && rm "$PACK/pack.tar.xz"; fi
export LD_LIBRARY_PATH="$PWD/$PACK:${LD_LIBRARY_PATH:-}"
# cuDNN and cuBLAS: wherever the image keeps them (the toolkit or PyTorch's wheels).
for lib in libcudnn.so.9 libcublas.so.13 libcublasLt.so.13; do
  if ! ldconfig -p | grep -q "$lib"; then
    d=$(find / -name "$lib" -not -path "/proc/*" 2>/dev/null | head -1)
    [[ -n "$d" ]] && export LD_LIBRARY_PATH="$(dirname "$d"):$LD_LIBRARY_PATH"
  fi
done
export STRATA_FIXTURES="$PWD/$PACK/fixtures" STRATA_CLI="$PWD/$PACK/strata"
steps=("$@")
[[ ${#steps[@]} -eq 0 ]] && steps=(info test bench)
for step in "${steps[@]}"; do
  case "$step" in
    info)
      nvidia-smi -L
      ldd "$PACK/libstrata.so" | grep -E "cudnn|cublas|not found"
      "$PACK/strata" info
      ;;
    test)
      "$PACK/strata_tests" --gtest_brief=1 --gtest_output=json:"$OUT/tests.json" > "$OUT/tests.log" 2>&1
      echo "strata_tests exit $?"
      grep -E "^\[  FAILED  \]|^\[  PASSED  \]|^\[  SKIPPED \]|tests from .* ran" "$OUT/tests.log" | sort | uniq -c | sort -rn | head -60
      ;;
    sanitize)
      timeout 300 compute-sanitizer --tool memcheck --print-limit 20 "$PACK/strata_tests" --gtest_brief=1 \
        --gtest_filter="${SANITIZE_FILTER:-*Parity*cuda*:Cuda.*:-Cuda.OutOfMemory*}" > "$OUT/memcheck.log" 2>&1
      echo "compute-sanitizer exit $?"
      grep -E "ERROR SUMMARY|Invalid|FAILED" "$OUT/memcheck.log" | head -20
      ;;
    bench)
      model="$STRATA_FIXTURES/models/mobilenet_v2/model.json"
      python3 bench/cuda/torch_peer.py > "$OUT/torch.json" 2> "$OUT/torch.err" || tail -5 "$OUT/torch.err"
      "$PACK/strata_peer" --backend cuda --model "$model" --batches 1,256 --warmup 10 --runs 100 \
        --train-batch 256 --train-steps 125 --mobilenet-train-batch 64 > "$OUT/strata_cuda.json" || true
      "$PACK/strata_peer" --backend cuda --graphs 0 --model "$model" --batches 1,256 --warmup 10 --runs 100 \
        --train-steps 3 --train-warmup 1 --mobilenet-train-batch 64 --profile 1 > "$OUT/strata_cuda_eager.json" || true
      "$PACK/strata" bench --backend cpu,cuda --batch 1,32 --train --json "$OUT/bench.json" --report "$OUT/bench.html" \
        > "$OUT/bench.txt" 2>&1 || tail -5 "$OUT/bench.txt"
      python3 bench/cuda/report.py "$OUT"
      ;;
    int8)
      STRATA="$PACK/strata" WORK="$PACK/int8" STRATA_BACKEND=cuda BATCHES="1 32 256" RUNS=100 \
        bench/optimize/quantize_speed.sh 2> "$OUT/int8.err" | tee "$OUT/int8.md" || tail -5 "$OUT/int8.err"
      for m in "$STRATA_FIXTURES/models/mobilenet_v2" "$PACK/int8/mobilenet/int8"; do
        "$PACK/strata" bench "$m" --backend cuda --batch 256 --warmup 5 --runs 20 --profile 2>&1 | tail -14
      done
      ;;
    *) echo "unknown step $step" >&2; exit 2 ;;
  esac
done
