#!/usr/bin/env bash
# Learned rounding's speed and memory on the wav2vec2-base-sized benchmark model (94M parameters,
# 82 layers, random weights) with 8 clips x 4 s of audio, as bench/run_analysis_bench.sh makes them:
# GPTQ for the whole model, then AdaRound at the default iterations (every layer, or with --distinct
# one layer per distinct shape, its total extrapolated), each in its own process so that each peak
# memory is its own.
#   bash bench/run_rounding_bench.sh [BUILD_DIR] [WORK_DIR] [--distinct]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/build}
work=${2:-/tmp/quantscope-bench}
distinct=${3:-}
mkdir -p "$work"
[ -f "$work/w2v2_base.pt" ] || /usr/bin/python3 "$here/tools/make_bench_model.py" "$work/w2v2_base.pt"
[ -d "$work/audio_1x" ] || bash "$here/bench/make_bench_audio.sh" "$work/audio_1x" 8 4
bench=$build/bench/bench_rounding
echo "== $(date -Is) on $(nproc) cores, load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== GPTQ, whole model, W3 per channel"
/usr/bin/time -f "wall %e s, max RSS %M kB" "$bench" --model "$work/w2v2_base.pt" --audio "$work/audio_1x" --method gptq
echo "== AdaRound, default iterations, W3 per channel ${distinct:+(one layer per distinct shape)}"
# shellcheck disable=SC2086
/usr/bin/time -f "wall %e s, max RSS %M kB" "$bench" --model "$work/w2v2_base.pt" --audio "$work/audio_1x" --method adaround $distinct
echo "== load after: $(cut -d' ' -f1-3 /proc/loadavg)"
