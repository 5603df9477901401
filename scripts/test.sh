#!/usr/bin/env bash
# The README's test command: installs what is missing, builds, and runs the whole test suite.
#   bash scripts/test.sh [ctest arguments, e.g. -L unit or -LE slow]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/scripts/install-deps.sh"
bash "$root/scripts/build.sh"
cd "${QUANTSCOPE_BUILD_DIR:-$root/build}"
export QT_QPA_PLATFORM=offscreen
ctest --output-on-failure -j"$(nproc)" "$@"
