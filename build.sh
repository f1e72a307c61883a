#!/usr/bin/env bash
# Set up a fresh Debian 12 machine, build Strata, and run the demo or every test.
#   ./build.sh demo    installs what is missing, builds, runs `strata demo`
#   ./build.sh test    installs what is missing, builds, runs every test (ctest + GoogleTest),
#                      then the same suite built with clang under AddressSanitizer +
#                      UndefinedBehaviorSanitizer, plus a one-minute libFuzzer run of the loader
set -euo pipefail
cd "$(dirname "$0")"
mode="${1:-demo}"

packages=(build-essential cmake ninja-build pkg-config git nodejs npm clang libclang-rt-14-dev
          libgtest-dev libgmock-dev libbenchmark-dev nlohmann-json3-dev libcli11-dev libfmt-dev libdnnl-dev libomp-dev)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
# Node may come from elsewhere (nodesource, nvm): only ask apt for it when there is no node.
if command -v node >/dev/null && command -v npm >/dev/null; then
  missing=("${missing[@]/nodejs}"); missing=("${missing[@]/npm}")
fi
missing=($(printf '%s\n' "${missing[@]}" | grep -v '^$' || true))
if ((${#missing[@]})); then
  echo "== installing: ${missing[*]}"
  sudo_cmd=""; [[ $(id -u) -ne 0 ]] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

jobs=$(nproc)
build() {  # build DIR [cmake options...]
  local dir=$1; shift
  local start=$SECONDS
  cmake -S . -B "$dir" -G Ninja "$@" >/dev/null
  cmake --build "$dir" -j "$jobs"
  echo "== built $dir in $((SECONDS - start)) s"
}

case "$mode" in
  demo)
    build build -DSTRATA_BUILD_TESTS=OFF -DSTRATA_BUILD_BENCH=OFF
    ./build/strata demo
    ;;
  test)
    echo "== npm: @tensorflow/tfjs for the conformance fixtures"
    (cd tests/conformance && npm install --no-audit --no-fund --loglevel=error)
    build build
    # Two at a time: the demo (or, under ASan, the fuzzer) runs beside the GoogleTest suite.
    start=$SECONDS
    (cd build && ctest --output-on-failure -j2)
    echo "== tests in $((SECONDS - start)) s"
    echo "== the same suite under ASan + UBSan (clang), and the loader fuzzer"
    build build-asan -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DSTRATA_SANITIZE=ON -DSTRATA_FUZZ=ON -DSTRATA_CUDA=OFF \
      -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG" -DSTRATA_BUILD_BENCH=OFF
    start=$SECONDS
    (cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --output-on-failure -j2)
    echo "== ASan tests in $((SECONDS - start)) s; build.sh test took $SECONDS s"
    ;;
  *)
    echo "usage: $0 demo|test" >&2
    exit 2
    ;;
esac
