#!/usr/bin/env bash
# The analysis benchmark of issue 2: overhead of the instrumented analysis over plain forward passes,
# and peak memory with 10x more audio, on a wav2vec2-base-sized model with random weights.
#   bash bench/run_analysis_bench.sh [BUILD_DIR] [WORK_DIR]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/build}
work=${2:-/tmp/quantscope-bench}
mkdir -p "$work"
[ -f "$work/w2v2_base.pt" ] || /usr/bin/python3 "$here/tools/make_bench_model.py" "$work/w2v2_base.pt"
[ -d "$work/audio_1x" ] || bash "$here/bench/make_bench_audio.sh" "$work/audio_1x" 8 4
[ -d "$work/audio_10x" ] || bash "$here/bench/make_bench_audio.sh" "$work/audio_10x" 80 4
bench=$build/bench/bench_analyze
echo "== overhead: analysis vs plain forward on the same clips (8 clips x 4 s)"
"$bench" --model "$work/w2v2_base.pt" --audio "$work/audio_1x" --mode both
echo "== peak memory, analysis only: 1x audio (8 x 4 s) vs 10x audio (80 x 4 s), separate processes"
"$bench" --model "$work/w2v2_base.pt" --audio "$work/audio_1x" --mode analyze | grep -E "audio|analysis:|peak"
"$bench" --model "$work/w2v2_base.pt" --audio "$work/audio_10x" --mode analyze | grep -E "audio|analysis:|peak"
