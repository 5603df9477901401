#!/usr/bin/env bash
# The cancel benchmark of issue 12: p50 / p99 cancel latency of every kind of long job on a
# wav2vec2-base-sized model (94.4M parameters, random weights), in-process (core, as the CLI and the
# studio call it), through quantscope-cli (SIGINT to exit) and in the studio (Esc to cancelled()).
#   bash bench/run_cancel_bench.sh [BUILD_DIR] [WORK_DIR] [RUNS]
# The audio is 2 recordings of 30 s in 2 speakers (the default window, so every forward pass is as
# long as it gets); the distance passes, one forward pass per layer per clip, run on 2 recordings of
# 10 s (a full run there takes 252 s, on 30 s ones ~13 minutes; each pass is checked at the same
# layer boundaries).
# The CLI's analyze and the studio's analysis run without distance passes (timed in-process above).
# Prints Markdown table rows: job | full run (s) | cancelled runs | p50 | p99 | max (ms).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/build}
work=${2:-/tmp/quantscope-bench}
runs=${3:-10}
mkdir -p "$work"
[ -f "$work/w2v2_base.pt" ] || /usr/bin/python3 "$here/tools/make_bench_model.py" "$work/w2v2_base.pt"
[ -d "$work/audio_2x30" ] || bash "$here/bench/make_bench_audio.sh" "$work/audio_2x30" 2 30
[ -d "$work/audio_2x10" ] || bash "$here/bench/make_bench_audio.sh" "$work/audio_2x10" 2 10
[ -d "$work/audio_1x" ] || bash "$here/bench/make_bench_audio.sh" "$work/audio_1x" 8 4
echo "machine: $(nproc) cores; $(uptime)"
echo "== in-process (core), a CancelScope flag and the progress callback, as the CLI and the studio set them"
jobs="analysis,activation calibration,weight calibration (mse),weight calibration (cosine)"
jobs+=",learned rounding (AdaRound 20 it.),learned rounding (GPTQ),evaluation,export,export of weights only (writing),model load"
"$build/bench/bench_cancel" --model "$work/w2v2_base.pt" --audio "$work/audio_2x30" --runs "$runs" --out "$work/cancel" \
    --jobs "$jobs"
"$build/bench/bench_cancel" --model "$work/w2v2_base.pt" --audio "$work/audio_2x10" --runs "$runs" --out "$work/cancel" \
    --jobs distances
echo "== quantscope-cli: SIGINT to exit"
echo "| job | full run (s) | cancelled runs | p50 (ms) | p99 (ms) | max (ms) |"
echo "|---|---:|---:|---:|---:|---:|"
/usr/bin/python3 "$here/bench/cancel_cli.py" "$build/app/quantscope-cli" "$work/w2v2_base.pt" "$work/audio_2x30" \
    "$work/cancel-cli" --runs "$runs" --distance-clips 0 --held-out "$work/audio_2x10" --user-audio "$work/audio_1x"
if [ -x "$build/bench/bench_gui_cancel" ]; then
  echo "== studio: Esc to the job's cancelled()"
  QT_QPA_PLATFORM=offscreen "$build/bench/bench_gui_cancel" --model "$work/w2v2_base.pt" --audio "$work/audio_2x30" \
      --runs "$runs" --distances 0
fi
echo "machine after: $(uptime)"
