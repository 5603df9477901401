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
[ -f "$model" ] || { echo "demo.sh: $model is missing: run tools/make_demo.py (see resources/demo/README.md)" >&2; exit 1; }

if [ -n "${DISPLAY:-}" ] && [ "${CI:-}" != "true" ] && [ -x "$build/app/quantscope" ]; then
  exec "$build/app/quantscope" --model "$model" --audio "$audio" --analyze
fi

out=${QUANTSCOPE_DEMO_OUT:-$build/demo-results}
mkdir -p "$out"
cli=$build/app/quantscope-cli
# Half of each voice's clips are held out: analysis and calibration see the other half, and quality is
# measured on the held-out half only.
"$cli" analyze --model "$model" --audio "$audio" --test-fraction 0.5 --distance-clips 2 --out "$out/analysis.json"
size=$(/usr/bin/python3 -c "import json,sys; print(round(json.load(open(sys.argv[1]))['model']['size_mb'], 3))" "$out/analysis.json")
fraction=${QUANTSCOPE_DEMO_FRACTION:-0.16}  # about 5 bits per weight on average
target=$(/usr/bin/python3 -c "print(round($size * $fraction, 3))")
"$cli" allocate --analysis "$out/analysis.json" --target-mb "$target" --out "$out/allocation.json"
"$cli" export --model "$model" --analysis "$out/analysis.json" --allocation "$out/allocation.json" --out "$out/quantized"
"$cli" evaluate --model "$model" --quantized "$out/quantized" --audio "$audio" --test-fraction 0.5 --out "$out/evaluation.json"
echo
echo "demo results in $out:"
echo "  analysis.json    per-layer activation statistics per speaker, distance scores"
echo "  allocation.json  bits per layer for a ${target} MB budget (float model: ${size} MB)"
echo "  quantized/       model.pt, weights.safetensors, encodings.json, report.csv"
echo "  evaluation.json  float vs quantized per speaker on the held-out test clips: SQNR, KL, WER/CER"
/usr/bin/python3 - "$out/evaluation.json" <<'PY'
import json, sys
a = json.load(open(sys.argv[1]))["all"]
pct = lambda v: "-" if v is None else f"{100 * v:.1f}%"
print(f"  all voices, {a['clips']} test clips: WER float {pct(a['wer_float'])}, quantized {pct(a['wer_quantized'])}; "
      f"quantized vs float transcripts {pct(a['wer_vs_float'])}; output SQNR {a['sqnr_db']:.1f} dB")
PY
