#!/usr/bin/env bash
# make_bench_audio.sh DIR CLIPS SECONDS: CLIPS speech-like clips of SECONDS each in DIR/spk1, DIR/spk2
# (sox-synthesised tones with noise and tremolo; the content does not matter for timing).
set -euo pipefail
dir=$1 clips=$2 secs=$3
mkdir -p "$dir/spk1" "$dir/spk2"
for i in $(seq 1 "$clips"); do
  spk=spk$(( i % 2 + 1 ))
  f=$(( 120 + (i * 37) % 200 ))
  sox -n -r 16000 -c 1 -b 16 "$dir/$spk/clip$i.wav" synth "$secs" sine "$f" sine $((f * 3)) pinknoise \
      remix - tremolo 5 60 gain -6 2>/dev/null
done
