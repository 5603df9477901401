#!/usr/bin/env bash
# The README's main command: installs what is missing, builds, and runs quantscope on the bundled
# demo model and audio. With a display it opens the studio and starts the analysis; without one
# (or with CI=true) it runs the headless pipeline and says where the results are.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${QUANTSCOPE_BUILD_DIR:-$root/build}
bash "$root/scripts/install-deps.sh"
bash "$root/scripts/build.sh"

model=$root/resources/demo/model.pt
audio=$root/resources/demo/audio
if [ ! -f "$model" ]; then  # demo assets not generated yet: the small fixture model
  model=$root/tests/fixtures/w2v2_traced.pt
  audio=${audio_fallback:-/tmp/quantscope-demo-audio}
  mkdir -p "$audio/speaker_a" "$audio/speaker_b"
  espeak-ng -v en-us+f3 -w "$audio/speaker_a/a.wav" "set a timer for five minutes"
  espeak-ng -v en-gb+m3 -w "$audio/speaker_b/b.wav" "call three one four one five"
fi

if [ -n "${DISPLAY:-}" ] && [ "${CI:-}" != "true" ] && [ -x "$build/app/quantscope" ]; then
  exec "$build/app/quantscope" --model "$model" --audio "$audio" --analyze
fi

out=${QUANTSCOPE_DEMO_OUT:-$build/demo-results}
mkdir -p "$out"
cli=$build/app/quantscope-cli
"$cli" analyze --model "$model" --audio "$audio" --distance-clips 2 --out "$out/analysis.json"
size=$(/usr/bin/python3 -c "import json,sys; print(round(json.load(open(sys.argv[1]))['model']['size_mb'], 3))" "$out/analysis.json")
target=$(/usr/bin/python3 -c "print(round($size * 0.25, 3))")  # a quarter of the float size: ~8 bits
"$cli" allocate --analysis "$out/analysis.json" --target-mb "$target" --out "$out/allocation.json"
"$cli" export --model "$model" --analysis "$out/analysis.json" --allocation "$out/allocation.json" --out "$out/quantized"
"$cli" evaluate --model "$model" --quantized "$out/quantized" --audio "$audio" --out "$out/evaluation.json"
echo
echo "demo results in $out:"
echo "  analysis.json    per-layer activation statistics per speaker, distance scores"
echo "  allocation.json  bits per layer for a ${target} MB budget (float model: ${size} MB)"
echo "  quantized/       model.pt, weights.safetensors, encodings.json, report.csv"
echo "  evaluation.json  float vs quantized per speaker: SQNR, KL, WER/CER"
