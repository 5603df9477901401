#!/usr/bin/env bash
# What the calibration methods do to recognition: analyze once, then for each budget (a fraction of
# the float size) export with every weight x activation range method, evaluate, and print one line
# each (WER against references, WER against the float transcripts, CER, output SQNR, export seconds).
#   bash bench/compare_calibration.sh MODEL AUDIO WORK_DIR FRACTION...
# Environment: WS (weight methods, default "minmax mse cosine"), ACTS (activation methods, default
# "minmax mse"), ABITS (activation bits, 8), THREADS (0 = every core), BUILD (build folder).
set -euo pipefail
[ $# -ge 4 ] || { echo "usage: $0 MODEL AUDIO WORK_DIR FRACTION..." >&2; exit 2; }
here=$(cd "$(dirname "$0")/.." && pwd)
cli=${BUILD:-$here/build}/app/quantscope-cli
model=$1; audio=$2; out=$3; shift 3
threads=${THREADS:-0}
mkdir -p "$out"
[ -f "$out/analysis.json" ] || "$cli" analyze --model "$model" --audio "$audio" --out "$out/analysis.json" --threads "$threads" 2>/dev/null
size=$(/usr/bin/python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['model']['size_mb'])" "$out/analysis.json")
for frac in "$@"; do
  target=$(/usr/bin/python3 -c "print(round($size * $frac, 4))")
  "$cli" allocate --analysis "$out/analysis.json" --target-mb "$target" --out "$out/alloc_$frac.json" 2>/dev/null
  avg=$(/usr/bin/python3 -c "import json,sys; print(round(json.load(open(sys.argv[1]))['average_bits'], 2))" "$out/alloc_$frac.json")
  for w in ${WS:-minmax mse cosine}; do
    for a in ${ACTS:-minmax mse}; do
      d="$out/q_${frac}_${w}_${a}"
      start=$(date +%s.%N)
      "$cli" export --model "$model" --analysis "$out/analysis.json" --allocation "$out/alloc_$frac.json" --out "$d" \
        --weight-calibration "$w" --activation-calibration "$a" --activation-bits "${ABITS:-8}" --threads "$threads" 2>/dev/null
      end=$(date +%s.%N)
      "$cli" evaluate --model "$model" --quantized "$d" --audio "$audio" --out "$d.evaluation.json" --threads "$threads" 2>/dev/null
      /usr/bin/python3 - "$d.evaluation.json" "$avg" "$w" "$a" "${ABITS:-8}" "$start" "$end" <<'PY'
import json, sys
a = json.load(open(sys.argv[1]))["all"]
pct = lambda v: "    -" if v is None else f"{100 * v:5.2f}"
print(f"{sys.argv[2]:>5} bits  W {sys.argv[3]:6}  A{sys.argv[5]} {sys.argv[4]:10} | WER {pct(a['wer_quantized'])} "
      f"(float {pct(a['wer_float'])})  vs float {pct(a['wer_vs_float'])}  CER {pct(a['cer_quantized'])} | "
      f"SQNR {a['sqnr_db']:6.2f} dB | export {float(sys.argv[7]) - float(sys.argv[6]):5.1f} s")
PY
    done
  done
done
