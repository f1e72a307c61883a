# Sourced by bench/optimize/prune_*.sh and distill_*.sh: builds strata_optimize_bench in $BUILD
# (default build-optimize-bench; any build directory of this checkout works) unless $BENCH names
# an already built one, and prints the header line every measured table in docs/pruning.md and
# docs/distillation.md carries. $CACHE: where the trained CNN is kept (shared by the scripts).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export STRATA_BACKEND="${STRATA_BACKEND:-cpu}"
if [ -n "${BENCH:-}" ]; then
  bench="$BENCH"
  cache="${CACHE:-optimize-bench-cache}"
else
  build="${BUILD:-$root/build-optimize-bench}"
  cmake -S "$root" -B "$build" -G Ninja -DSTRATA_BUILD_BENCH=ON >/dev/null
  ninja -C "$build" strata_optimize_bench >/dev/null
  bench="$build/bench/strata_optimize_bench"
  cache="${CACHE:-$build/optimize-bench-cache}"
fi
cpu="$(lscpu | sed -n 's/^Model name: *//p' | head -1)"
echo "date: $(date -u +%Y-%m-%d), machine: ${cpu:-unknown CPU} ($(nproc --all) cores), backend: $STRATA_BACKEND, OpenMP threads: ${OMP_NUM_THREADS:-all cores}"
echo
