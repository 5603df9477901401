#!/usr/bin/env bash
# The personalization matrix's speed target (issue 13): 8 profiles at one budget on the demo in under
# 2 minutes on 2 cores. Runs `quantscope-cli compare` REPEATS times and prints the wall time of each
# run, its phases, and the machine's load before and after (a shared machine slows it down: re-run it
# when the machine is quiet).
#   bash bench/personalization_bench.sh [BUILD_DIR] [WORK_DIR] [REPEATS] [BITS]
# With resources/demo/users (the condition users, each a profile, split by users/split.csv) it uses
# those; otherwise 8 voices of resources/demo/audio, half of each voice's files held out for test.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/build}
work=${2:-/tmp/quantscope-personalization-bench}
repeats=${3:-2}
bits=${4:-3.5}
cli=$build/app/quantscope-cli
model=$here/resources/demo/model.pt
mkdir -p "$work"
if [ -f "$here/resources/demo/users/split.csv" ]; then
  audio=$here/resources/demo/users
  set -- --split "$audio/split.csv"
  what="the demo's condition users (split.csv)"
else
  audio=$here/resources/demo/audio
  set -- --test-fraction 0.5
  for v in en-us_m2 en-gb-x-rp_f2 en-gb-scotland_klatt2 en-gb-x-gbcwmd_m8 en-us-nyc_f3 en-029_m1 en_m1 en_f2; do
    set -- "$@" --speaker "$v"
  done
  what="8 demo voices (6 held out of training, 2 trained on), half of each voice's files for test"
fi
echo "== compare: $what, $bits bits per weight, 2 threads, $repeats runs"
for r in $(seq 1 "$repeats"); do
  echo "-- run $r; load before: $(uptime | sed 's/.*load average: //')"
  start=$(date +%s%N)
  # CPU seconds (user + system) are what the run costs whatever else the machine does: on 2 idle
  # cores the wall time is about half of them, at best.
  timer=()
  [ -x /usr/bin/time ] && timer=(/usr/bin/time -f "cpu %U s user + %S s system" -o "$work/run$r.time")
  "${timer[@]}" "$cli" compare --model "$model" --audio "$audio" "$@" --target-bits "$bits" --threads 2 \
    --out "$work/run$r" 2>"$work/run$r.log"
  end=$(date +%s%N)
  grep -E "^compare: wrote" "$work/run$r.log" | sed 's/^/   /'
  ms=$(( (end - start) / 1000000 ))
  printf '   wall %d.%01d s; load after: %s\n' $((ms / 1000)) $((ms % 1000 / 100)) "$(uptime | sed 's/.*load average: //')"
  [ -f "$work/run$r.time" ] && sed 's/^/   /' "$work/run$r.time"
done
