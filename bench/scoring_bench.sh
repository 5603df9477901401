#!/usr/bin/env bash
# The scoring comparison's total time (issue 17): every metric x order and N random draws at the
# given budgets on a model and audio folder (default: the demo, all 300 clips, half of each voice's
# files held out for test). Prints the machine's load before and after, the wall and CPU time, the
# run's phases and its table (a shared machine slows it down: re-run it when the machine is quiet).
#   bash bench/scoring_bench.sh [BUILD_DIR] [WORK_DIR] [BITS] [MODEL] [AUDIO] [extra scoring options...]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/build}
work=${2:-/tmp/quantscope-scoring-bench}
bits=${3:-3.0,3.6}
model=${4:-$here/resources/demo/model.pt}
audio=${5:-$here/resources/demo/audio}
shift $(( $# < 5 ? $# : 5 ))
cli=$build/app/quantscope-cli
mkdir -p "$work"
echo "== scoring: $model on $audio, $bits bits per weight, 2 threads"
echo "-- load before: $(uptime | sed 's/.*load average: //')"
start=$(date +%s%N)
timer=()
[ -x /usr/bin/time ] && timer=(/usr/bin/time -f "cpu %U s user + %S s system" -o "$work/run.time")
"${timer[@]}" "$cli" scoring --model "$model" --audio "$audio" --test-fraction 0.5 --target-bits "$bits" --random 3 \
  --threads 2 --out "$work/out" "$@" 2>"$work/run.log"
end=$(date +%s%N)
echo "-- wall $(( (end - start) / 1000000 )) ms; $(cat "$work/run.time" 2>/dev/null || echo 'cpu: /usr/bin/time missing')"
echo "-- load after: $(uptime | sed 's/.*load average: //')"
grep -v ' steps, \| elapsed' "$work/run.log" | sed -n '/^scoring: /p;/budget/,/recommendation/p'
