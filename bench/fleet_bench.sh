#!/usr/bin/env bash
# The fleet on paper: CPU seconds per minute of a user's audio for each personalize step, and the
# storage a user's folder takes, on the demo model (one demo voice) and on the wav2vec2-base-sized
# benchmark model (tools/make_bench_model.py; bench/make_bench_audio.sh for its audio); then what
# 10,000 users with 5 minutes of audio each cost in node-hours and storage.
#
#   bash bench/fleet_bench.sh [BUILD_DIR] [WORK_DIR] [BENCH_MODEL.pt]
#
# Without BENCH_MODEL.pt only the demo is measured. Budget 4 bits per weight, half of each user's
# files for test, default calibration; --threads 2.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
work=${2:-/tmp/quantscope-fleet-bench}
bench_model=${3:-}
cli=$build/app/quantscope-cli
rm -rf "$work"
mkdir -p "$work/users/demo"
echo "machine: $(nproc) cores, load: $(cut -d' ' -f1-3 /proc/loadavg)"

ln -s "$root/resources/demo/audio/en-029_f3" "$work/users/demo/en-029_f3"
run() {  # name model audio
  "$cli" personalize --model "$2" --audio "$3" --user "$1" --target-bits 4 --threads 2 --out "$work/fleet" 2>"$work/$1.log" ||
    { cat "$work/$1.log"; exit 1; }
}
run demo "$root/resources/demo/model.pt" "$work/users/demo"
if [ -n "$bench_model" ]; then
  bash "$root/bench/make_bench_audio.sh" "$work/users/bench" 6 10 >/dev/null
  run bench "$bench_model" "$work/users/bench"
fi

/usr/bin/python3 - "$work/fleet" <<'EOF'
import json, os, sys
root = sys.argv[1]
users, minutes = 10000, 5.0
for user in sorted(os.listdir(root)):
    d = os.path.join(root, user)
    steps = json.load(open(os.path.join(d, "steps.json")))["steps"]
    result = json.load(open(os.path.join(d, "result.json")))
    audio_min = result["audio_seconds"] / 60
    size = sum(os.path.getsize(os.path.join(p, f)) for p, _, fs in os.walk(d) for f in fs) / 2**20
    print(f"== {user}: {result['tune_clips']} tune + {result['test_clips']} test clips, {audio_min:.2f} audio minutes, "
          f"folder {size:.1f} MiB")
    per_minute = fixed = 0  # analyze and evaluate grow with the audio; allocate and export do not
    for name in ("analyze", "allocate", "export", "evaluate"):
        s = steps[name]
        per = s["cpu_seconds"] / audio_min
        if name in ("analyze", "evaluate"):
            per_minute += per
        else:
            fixed += s["cpu_seconds"]
        print(f"   {name:9s} wall {s['seconds']:7.1f} s  CPU {s['cpu_seconds']:7.1f} s  = {per:7.1f} CPU s per audio minute")
    cpu_hours = users * (per_minute * minutes + fixed) / 3600
    print(f"   {users} users x {minutes:.0f} min: {cpu_hours:.0f} CPU hours ({per_minute:.1f} CPU s per audio minute for "
          f"analyze + evaluate, {fixed:.1f} CPU s per user for allocate + export), ~{cpu_hours / 2:.0f} hours of "
          f"2-core tasks; storage {users * size / 1024:.1f} GiB ({size:.1f} MiB per user, the quantized model included)")
EOF
