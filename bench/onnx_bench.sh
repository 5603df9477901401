#!/usr/bin/env bash
# File sizes and ONNX Runtime CPU latency of the float and the quantized ONNX model, on the demo model
# and on the wav2vec2-base-sized benchmark model (tools/make_bench_model.py), and the kernels ONNX
# Runtime runs for them (its profile) after its graph optimizations.
#
#   bash bench/onnx_bench.sh [BUILD_DIR] [WORK_DIR] [REPEAT]      (ONNX_BENCH_DEMO_ONLY=1: the demo only;
#                                                                 ONNX_BENCH_CLIPS=N: N clips per voice, default 2;
#                                                                 ONNX_BENCH_FRACTION=F: the budget, default 0.16)
#
# Per model: analyze (2 clips per demo voice), allocate at 16% of the float size (the demo's budget,
# about 5 bits per weight; the same fraction for the benchmark model), export --format onnx; the float
# model through the same exporter without quantization; then run_onnx.js on one 4 s demo clip, one
# intra-op thread, a warm-up run and REPEAT timed runs (median). Prints one block per model.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
work=${2:-/tmp/quantscope-onnx-bench}
repeat=${3:-20}
cli=$build/app/quantscope-cli
demo=$root/resources/demo
mkdir -p "$work"
echo "machine: $(nproc) cores, load: $(cut -d' ' -f1-3 /proc/loadavg)"

# One 4 s clip of the demo audio, normalized as the models expect, as raw float32.
clip=$work/clip.f32
/usr/bin/python3 - "$demo/audio" "$clip" <<'EOF'
import sys, glob, numpy as np, torchaudio, torch
files = sorted(glob.glob(sys.argv[1] + "/*/*.flac"))
wave = torch.cat([torchaudio.load(f)[0][0] for f in files[:3]])[:64000]
wave = (wave - wave.mean()) / torch.sqrt(wave.var(unbiased=False) + 1e-7)
wave.numpy().astype(np.float32).tofile(sys.argv[2])
EOF

mib() { awk -v b="$(stat -c %s "$1")" 'BEGIN { printf "%.3f MiB", b / 1048576 }'; }

bench_model() {
  local name=$1 model=$2 dir=$work/$1
  mkdir -p "$dir"
  "$cli" analyze --model "$model" --audio "$demo/audio" --max-clips "${ONNX_BENCH_CLIPS:-2}" --out "$dir/analysis.json" 2>/dev/null
  local float_mb target
  float_mb=$(/usr/bin/python3 -c "import json; print(json.load(open('$dir/analysis.json'))['model']['size_mb'])")
  target=$(/usr/bin/python3 -c "print($float_mb * ${ONNX_BENCH_FRACTION:-0.16})")
  "$cli" allocate --analysis "$dir/analysis.json" --target-mb "$target" --out "$dir/allocation.json" 2>/dev/null
  "$cli" export --model "$model" --analysis "$dir/analysis.json" --allocation "$dir/allocation.json" \
    --calibration-clips "${ONNX_BENCH_CLIPS:-2}" --format onnx --out "$dir/export" 2>"$dir/export.log"
  /usr/bin/python3 "$root/tools/onnx/export_onnx.py" --model "$model" --out "$dir/float.onnx" --summary "$dir/float.json"
  echo "== $name: target $(printf %.3f "$target") MB of $(printf %.3f "$float_mb") MB float"
  grep -E "^(exported|model.onnx)" "$dir/export.log" | sed 's/^/   /'
  echo "   sizes: float.onnx $(mib "$dir/float.onnx"), model.onnx $(mib "$dir/export/model.onnx"), weights.safetensors $(mib "$dir/export/weights.safetensors"), model.pt $(mib "$dir/export/model.pt")"
  for kind in float quantized; do
    local onnx=$dir/float.onnx
    [ "$kind" = quantized ] && onnx=$dir/export/model.onnx
    node "$root/tools/onnx/run_onnx.js" --model "$onnx" --threads 1 --repeat "$repeat" "$clip" >"$dir/$kind.time.json" 2>/dev/null
    node "$root/tools/onnx/run_onnx.js" --model "$onnx" --threads 1 --profile "$dir/$kind.profile" \
      --optimized "$dir/$kind.optimized.onnx" "$clip" >"$dir/$kind.kernels.json" 2>/dev/null
    /usr/bin/python3 - "$kind" "$dir/$kind.time.json" "$dir/$kind.kernels.json" <<'EOF'
import json, sys
t = json.load(open(sys.argv[2])); k = json.load(open(sys.argv[3]))["kernels"]
print(f"   {sys.argv[1]:9s} ORT CPU 1 thread: median {t['median_ms']:.1f} ms over {t['runs']} runs of a 4 s clip")
print("             kernels run: " + ", ".join(f"{op} {n}" for op, n in sorted(k.items(), key=lambda x: -x[1])))
EOF
  done
}

bench_model demo "$demo/model.pt"
[ -n "${ONNX_BENCH_DEMO_ONLY:-}" ] && exit 0  # the wav2vec2-base-sized model: about 3 min on 2 quiet cores (1 clip per voice)
if [ ! -f "$work/bench_model.pt" ]; then
  /usr/bin/python3 "$root/tools/make_bench_model.py" "$work/bench_model.pt" >/dev/null
fi
bench_model wav2vec2-base "$work/bench_model.pt"
