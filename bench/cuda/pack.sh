#!/usr/bin/env bash
# Packs what bench/cuda/run.sh needs from a build directory into .devpack/ (ignored by git):
#   bench/cuda/pack.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build}
rm -rf .devpack && mkdir -p .devpack
cp "$build"/libstrata.so "$build"/strata "$build"/tests/strata_tests "$build"/bench/strata_peer .devpack/
strip --strip-unneeded .devpack/* 2>/dev/null || true
cp -r "$build"/fixtures .devpack/fixtures
grep -qx '/.devpack/' .git/info/exclude 2>/dev/null || echo '/.devpack/' >> .git/info/exclude
du -sh .devpack
