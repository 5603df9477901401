#!/usr/bin/env bash
# The README's test command: installs what is missing, builds, and runs the whole test suite.
#   bash scripts/test.sh [ctest arguments, e.g. -L unit or -LE slow]
# Without arguments (as CI runs it) two more stages follow the suite:
#   - sanitize: the unit tests once more, built with AddressSanitizer and UndefinedBehaviorSanitizer
#     (build-sanitize/, QUANTSCOPE_SANITIZE=ON, label sanitize);
#   - fuzz: every libFuzzer harness of fuzz/ for QUANTSCOPE_FUZZ_SECONDS (30) seconds each, built
#     with clang (build-fuzz/, QUANTSCOPE_FUZZ=ON, label fuzz).
# Any crash or sanitizer report fails its stage. QUANTSCOPE_TEST_STAGES (default "suite sanitize
# fuzz") picks stages.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/scripts/install-deps.sh"
export QT_QPA_PLATFORM=offscreen
jobs=$(nproc)

stages=${QUANTSCOPE_TEST_STAGES:-suite sanitize fuzz}
[ $# -eq 0 ] || stages=suite
stamp() { echo "test.sh: $1 ($(date +%T), ${SECONDS}s since start)"; }

if [[ " $stages " == *" suite "* ]]; then
  stamp "suite: build"
  bash "$root/scripts/build.sh"
  stamp "suite: ctest"
  (cd "${QUANTSCOPE_BUILD_DIR:-$root/build}" && ctest --output-on-failure -j"$jobs" "$@")
fi

if [[ " $stages " == *" sanitize "* ]]; then
  # Only what the unit tests need: no studio, no benchmarks, no e2e tests. Reports abort the test.
  build=${QUANTSCOPE_SANITIZE_BUILD_DIR:-$root/build-sanitize}
  stamp "sanitize: build"
  # -O1, as the sanitizers' authors advise: -O3 doubles the build (nlohmann-json under ASan) for no
  # more findings.
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE=-O1 \
    -DQUANTSCOPE_SANITIZE=ON -DQUANTSCOPE_BUILD_GUI=OFF -DQUANTSCOPE_BUILD_BENCH=OFF >/dev/null
  cmake --build "$build" -j"$jobs" --target qs_sanitize_tests
  stamp "sanitize: ctest -L sanitize"
  (cd "$build" && ctest --output-on-failure -j"$jobs" -L sanitize)
fi

if [[ " $stages " == *" fuzz "* ]]; then
  build=${QUANTSCOPE_FUZZ_BUILD_DIR:-$root/build-fuzz}
  stamp "fuzz: build"
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
    -DQUANTSCOPE_FUZZ=ON -DQUANTSCOPE_FUZZ_SECONDS="${QUANTSCOPE_FUZZ_SECONDS:-30}" >/dev/null
  cmake --build "$build" -j"$jobs"
  stamp "fuzz: ctest -L fuzz"
  (cd "$build" && ctest --output-on-failure -j"$jobs" -L fuzz)
  awk '/ Testing: /{name=$3} /stat::number_of_executed_units/{print "test.sh: fuzz: " name ": " $2 " inputs run"}' \
    "$build/Testing/Temporary/LastTest.log"
fi
stamp "done"
