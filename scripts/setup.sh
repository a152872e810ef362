#!/usr/bin/env bash
# Installs the Debian 12 packages Outpost needs (only those missing), then configures and builds it in build/.
# Run as root on a fresh machine. Environment: BUILD_DIR (default build), OUTPOST_BENCH=ON to build the benchmarks,
# OUTPOST_SANITIZE=ON for an AddressSanitizer + UBSan build, OUTPOST_TSAN=ON for a ThreadSanitizer one, BUILD_TARGETS="a b" to build only those targets,
# OUTPOST_UNITY_BUILD=OFF for one translation unit per source (a unity build, the default here, is made once faster;
# see docs/building.md).
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential cmake ninja-build clang libclang-rt-14-dev
  libboost1.81-dev libboost-test1.81-dev libboost-url1.81-dev
  nlohmann-json3-dev libssl-dev libsqlite3-dev libbenchmark-dev libcli11-dev libjemalloc-dev
  pybind11-dev python3-dev python3-pytest python3-pytest-xdist python3-requests
  skopeo chromium
)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ((${#missing[@]})); then
  echo "==> installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

build_dir=${BUILD_DIR:-build}
cmake -S . -B "$build_dir" -G Ninja \
  -DCMAKE_BUILD_TYPE="${CMAKE_BUILD_TYPE:-RelWithDebInfo}" \
  -DOUTPOST_WERROR=ON \
  -DOUTPOST_BENCH="${OUTPOST_BENCH:-OFF}" \
  -DOUTPOST_SANITIZE="${OUTPOST_SANITIZE:-OFF}" \
  -DOUTPOST_TSAN="${OUTPOST_TSAN:-OFF}" \
  -DOUTPOST_UNITY_BUILD="${OUTPOST_UNITY_BUILD:-ON}"
targets=()
for target in ${BUILD_TARGETS:-}; do targets+=(--target "$target"); done
cmake --build "$build_dir" -j "$(nproc)" "${targets[@]}"
