#!/usr/bin/env bash
# Packs what bench/cuda/run.sh needs from a build directory into .devpack/ (ignored by git):
#   bench/cuda/pack.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build}
stage=$(mktemp -d)
cp "$build"/libstrata.so "$build"/strata "$build"/tests/strata_tests "$build"/bench/strata_peer "$stage"/
strip --strip-unneeded "$stage"/* 2>/dev/null || true
# The host libraries the GPU machine's image may lack (oneDNN and OpenMP for the cpu backend).
for lib in $(ldd "$build"/libstrata.so | grep -E "libdnnl|libgomp|libomp" | awk '{print $3}'); do cp -L "$lib" "$stage"/; done
cp -r "$build"/fixtures "$stage"/fixtures
# The int8 models and their float32 MNIST source, when bench/optimize/quantize_{mnist,mobilenet}.sh
# have made them (run.sh's int8 step).
q="$build/quantize-bench"
if [[ -f $q/mnist/int8/model.json && -f $q/mobilenet/int8/model.json ]]; then
  mkdir -p "$stage"/int8/mnist "$stage"/int8/mobilenet
  cp -r "$q"/mnist/float32 "$q"/mnist/int8 "$stage"/int8/mnist/
  cp -r "$q"/mobilenet/int8 "$stage"/int8/mobilenet/
fi
# One archive: the carried tree is limited to 64 MiB and libdnnl alone is 40 MB.
rm -rf .devpack && mkdir -p .devpack
tar -C "$stage" -cf - . | xz -T2 -6 > .devpack/pack.tar.xz
rm -rf "$stage"
grep -qx '/.devpack/' .git/info/exclude 2>/dev/null || echo '/.devpack/' >> .git/info/exclude
du -sh .devpack
