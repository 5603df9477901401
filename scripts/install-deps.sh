#!/usr/bin/env bash
# Installs every Debian 12 package quantscope needs to build, test, run and regenerate its assets.
# Idempotent: packages already present are left alone, and apt is not touched when nothing is missing;
# then onnxruntime-node from npm into tools/onnx (skipped when already installed at the pinned version).
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git ccache
  qt6-base-dev qt6-base-dev-tools libgl-dev
  libqcustomplot-dev libqcustomplot2.1-qt6
  libtorch-dev libopenblas0-openmp liblapack-dev libblas-dev
  libsndfile1-dev libsoxr-dev nlohmann-json3-dev libxxhash-dev
  xvfb xauth espeak-ng sox flac
  python3-torch python3-torchaudio
  clang libclang-rt-14-dev llvm
  python3-onnx
  help2man sctk
  slurm-wlm munge
)
# ONNX Runtime comes from npm (tools/onnx): Node.js and npm from Debian unless the machine has them.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  packages+=(nodejs npm)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
else
  echo "install-deps: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# onnxruntime-node at the version pinned in tools/onnx/package-lock.json. Its package ships the Linux
# x64 library; ONNXRUNTIME_NODE_INSTALL=skip keeps its install script from fetching a CUDA add-on.
# Skipped (offline-safe) when node_modules already matches the lock file.
onnx_tools="$(cd "$(dirname "$0")/.." && pwd)/tools/onnx"
stamp="$onnx_tools/node_modules/.quantscope-lock.sha256"
lock_sum=$(sha256sum "$onnx_tools/package-lock.json" | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$lock_sum" ] && [ -d "$onnx_tools/node_modules/onnxruntime-node" ]; then
  echo "install-deps: onnxruntime-node present"
else
  echo "install-deps: npm ci in tools/onnx"
  (cd "$onnx_tools" && ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund --loglevel=error)
  echo "$lock_sum" > "$stamp"
fi
