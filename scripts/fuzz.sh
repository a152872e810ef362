#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (build-fuzz/) and runs each for FUZZ_SECONDS (default 30) on a scratch copy
# of its seed corpus in tests/fuzz/corpus/<target>/. Exits non-zero on the first crash, leak or failed check; the
# reproducer is kept in build-fuzz/artifacts/. Needs clang and libclang-rt-14-dev (scripts/setup.sh installs them).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-30}
targets=(fuzz_action_parser fuzz_docker_scope fuzz_jwt fuzz_manifest fuzz_auth_headers fuzz_status_body
  fuzz_names_and_routes)
available=()
for target in "${targets[@]}"; do [[ -f tests/fuzz/$target.cpp ]] && available+=("$target"); done

cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
  -DOUTPOST_FUZZ=ON -DOUTPOST_BENCH=OFF -DOUTPOST_WERROR=ON -DOUTPOST_UNITY_BUILD=ON >/dev/null
build_targets=()
for target in "${available[@]}"; do build_targets+=(--target "$target"); done
cmake --build build-fuzz -j "$(nproc)" "${build_targets[@]}"

mkdir -p build-fuzz/artifacts
for target in "${available[@]}"; do
  scratch=$(mktemp -d)
  cp tests/fuzz/corpus/"$target"/* "$scratch"/ 2>/dev/null || true
  echo "==> $target for ${seconds}s"
  build-fuzz/bin/"$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix=build-fuzz/artifacts/"$target"- "$scratch" 2>&1 | tail -n 12
  rm -rf "$scratch"
done
echo "fuzzing: ${#available[@]} targets, ${seconds}s each, no crash"
