#!/usr/bin/env bash
# Cold-build and run times of the two stages scripts/test.sh adds after the suite (the sanitizer
# build of the unit tests and the fuzz harnesses), with ccache off, in fresh folders:
#   bash bench/ci_added_stages.sh [WORK_DIR]      (default /tmp/qs-ci-stages; removed first)
# Prints seconds per step and the machine's load, so a figure from a busy machine reads as one.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=${1:-/tmp/qs-ci-stages}
rm -rf "$work" && mkdir -p "$work"
export CCACHE_DISABLE=1 QT_QPA_PLATFORM=offscreen
jobs=$(nproc)
step() {  # step NAME COMMAND...: runs it, prints its wall time
  local name=$1 start=$SECONDS
  shift
  "$@" >"$work/$name.log" 2>&1 || { echo "$name: FAILED, see $work/$name.log"; exit 1; }
  printf '%-22s %6d s   (load %s)\n' "$name" $((SECONDS - start)) "$(cut -d' ' -f1-3 /proc/loadavg)"
}
echo "cores: $jobs"
step fuzz-configure cmake -S "$root" -B "$work/build-fuzz" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_COMPILER=clang++ -DQUANTSCOPE_FUZZ=ON
step fuzz-build cmake --build "$work/build-fuzz" -j"$jobs"
step fuzz-run ctest --test-dir "$work/build-fuzz" -j"$jobs" -L fuzz
step sanitize-configure cmake -S "$root" -B "$work/build-sanitize" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DQUANTSCOPE_SANITIZE=ON -DQUANTSCOPE_BUILD_GUI=OFF -DQUANTSCOPE_BUILD_BENCH=OFF
step sanitize-build cmake --build "$work/build-sanitize" -j"$jobs"
step sanitize-run ctest --test-dir "$work/build-sanitize" -j"$jobs" -L sanitize
echo "total: ${SECONDS} s"
