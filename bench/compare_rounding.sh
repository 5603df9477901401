#!/usr/bin/env bash
# What learned rounding does to recognition on held-out clips: the demo's voices are split into
# calibration clips (CAL per voice, spread over each voice's clips) and evaluation clips (the others),
# as folders of symlinks; the analysis, allocation and every export see only the calibration clips.
# For each average bit width, exports with nearest rounding (mse range search), AdaRound and GPTQ
# (A8 activations), evaluates on the evaluation clips and prints WER, WER against the float
# transcripts, output SQNR and export seconds, then each learned method's WER change against nearest
# with a 95% paired bootstrap interval over evaluation clips.
#   bash bench/compare_rounding.sh [WORK_DIR] [AVG_BITS...]       (default: 2.5 3 3.6)
# Environment: BUILD (build folder), MODEL, AUDIO (default: the demo), CAL (calibration clips per voice,
# 4), METHODS ("mse adaround gptq"), EXTRA (more export options, e.g. "--rounding-iterations 2000")
# with TAG (a suffix naming those runs, e.g. "_it2000"; nearest rounding's runs are untagged),
# THREADS (0 = every core). Finished runs in WORK_DIR are reused; use a new WORK_DIR to time afresh.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cli=${BUILD:-$here/build}/app/quantscope-cli
work=${1:-/tmp/quantscope-rounding}
shift || true
bits=${*:-2.5 3 3.6}
model=${MODEL:-$here/resources/demo/model.pt}
audio=${AUDIO:-$here/resources/demo/audio}
threads=${THREADS:-0}
mkdir -p "$work"
echo "== $(date -Is) on $(nproc) cores, load: $(cut -d' ' -f1-3 /proc/loadavg)"

# The split: clip floor(k*n/CAL) of each voice's n clips (sorted by name) calibrates, the rest evaluate.
/usr/bin/python3 - "$audio" "$work" "${CAL:-4}" <<'PY'
import os, sys
audio, work, cal = sys.argv[1], sys.argv[2], int(sys.argv[3])
exts = (".flac", ".wav", ".ogg", ".raw", ".aiff")
for part in ("cal", "eval"):
    os.makedirs(os.path.join(work, part), exist_ok=True)
counts = [0, 0]
for voice in sorted(os.listdir(audio)):
    src = os.path.join(audio, voice)
    if not os.path.isdir(src):
        continue
    clips = sorted(f for f in os.listdir(src) if f.lower().endswith(exts))
    chosen = {k * len(clips) // cal for k in range(min(cal, len(clips)))}
    for part in ("cal", "eval"):
        d = os.path.join(work, part, voice)
        os.makedirs(d, exist_ok=True)
        for f in os.listdir(src):
            if f.endswith(".txt") and not os.path.exists(os.path.join(d, f)):
                os.symlink(os.path.join(src, f), os.path.join(d, f))
    for i, f in enumerate(clips):
        part = "cal" if i in chosen else "eval"
        counts[part == "eval"] += 1
        link = os.path.join(work, part, voice, f)
        if not os.path.exists(link):
            os.symlink(os.path.join(src, f), link)
print(f"split: {counts[0]} calibration clips, {counts[1]} evaluation clips")
PY

[ -f "$work/analysis.json" ] || "$cli" analyze --model "$model" --audio "$work/cal" --out "$work/analysis.json" --threads "$threads" 2>/dev/null
for b in $bits; do
  # The target size that gives about b bits per quantized weight (every other parameter at 32 bits).
  target=$(/usr/bin/python3 - "$work/analysis.json" "$b" <<'PY'
import json, sys
a = json.load(open(sys.argv[1])); b = float(sys.argv[2])
q = sum(l["params"] for l in a["layers"]); t = a["model"]["total_params"]
print(round(((t - q) * 32 + q * b) / 8 / 2**20 + 1e-6, 6))
PY
)
  "$cli" allocate --analysis "$work/analysis.json" --target-mb "$target" --out "$work/alloc_$b.json" 2>/dev/null
  avg=$(/usr/bin/python3 -c "import json,sys; print(round(json.load(open(sys.argv[1]))['average_bits'], 2))" "$work/alloc_$b.json")
  for m in ${METHODS:-mse adaround gptq}; do
    tag=${TAG:-}
    [ "$m" = mse ] && tag=""
    d="$work/q_${b}_$m$tag"
    if [ ! -f "$d.seconds" ]; then  # a finished run in WORK_DIR is reused (its export time too)
      start=$(date +%s.%N)
      # shellcheck disable=SC2086
      "$cli" export --model "$model" --analysis "$work/analysis.json" --allocation "$work/alloc_$b.json" --out "$d" \
        --audio "$work/cal" --calibration-clips 0 --weight-calibration "$m" --activation-bits 8 --threads "$threads" \
        ${EXTRA:-} 2>/dev/null
      end=$(date +%s.%N)
      "$cli" evaluate --model "$model" --quantized "$d" --audio "$work/eval" --out "$d.evaluation.json" --threads "$threads" 2>/dev/null
      echo "$end - $start" | bc > "$d.seconds"
    fi
    /usr/bin/python3 - "$d.evaluation.json" "$avg" "$m$tag" "$(cat "$d.seconds")" <<'PY'
import json, sys
a = json.load(open(sys.argv[1]))["all"]
pct = lambda v: "    -" if v is None else f"{100 * v:5.2f}"
print(f"{sys.argv[2]:>5} bits A8  {sys.argv[3]:12} | WER {pct(a['wer_quantized'])} (float {pct(a['wer_float'])})  "
      f"vs float {pct(a['wer_vs_float'])} | SQNR {a['sqnr_db']:6.2f} dB | export {float(sys.argv[4]):6.1f} s")
PY
  done
  # Paired bootstrap over evaluation clips: WER(method) - WER(nearest), in points.
  /usr/bin/python3 - "$work" "$b" "${TAG:-}" ${METHODS:-mse adaround gptq} <<'PY'
import json, random, sys
work, b, tag, methods = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]

def edits(ref, hyp):
    r, h = ref.split(), hyp.split()
    d = list(range(len(h) + 1))
    for i in range(1, len(r) + 1):
        prev, d[0] = d[0], i
        for j in range(1, len(h) + 1):
            prev, d[j] = d[j], min(d[j] + 1, d[j - 1] + 1, prev + (r[i - 1] != h[j - 1]))
    return d[len(h)], len(r)

def per_clip(m):
    clips = json.load(open(f"{work}/q_{b}_{m}.evaluation.json"))["clips"]
    return {c["path"]: (edits(c["reference"], c["quantized_transcript"]), edits(c["reference"], c["float_transcript"]))
            for c in clips if c.get("reference")}

base = per_clip("mse")
paths = sorted(base)
words = sum(base[p][0][1] for p in paths)
fl = sum(base[p][1][0] for p in paths) / words
for m in methods:
    if m == "mse":
        continue
    other = per_clip(m + tag)
    diff = [other[p][0][0] - base[p][0][0] for p in paths]
    n = [base[p][0][1] for p in paths]
    rng = random.Random(0)
    samples = []
    for _ in range(2000):
        idx = [rng.randrange(len(paths)) for _ in paths]
        samples.append(100.0 * sum(diff[i] for i in idx) / sum(n[i] for i in idx))
    samples.sort()
    point = 100.0 * sum(diff) / words
    gap = 100.0 * (sum(base[p][0][0] for p in paths) / words - fl)
    rec = f", recovers {-point / gap * 100:.0f}% of the {gap:.2f}-point gap to float" if gap > 0 else ""
    print(f"      {m:8} vs nearest: {point:+.2f} WER points, 95% CI [{samples[50]:+.2f}, {samples[1949]:+.2f}]"
          f" over {len(paths)} clips{rec}")
PY
done
