#!/usr/bin/env python3
"""How far profiles' own allocations drift apart as the spread S grows (issue 13, lever 4(c)).

Analyses the tune clips once, then allocates for every profile and for all profiles together with each
metric and spread, and prints per metric and S: the all-profiles widths, per profile how many layers its
own allocation gives other bits than the all-profiles one, and the mean (max) over pairs of profiles.

  python3 bench/spread_profiles.py CLI MODEL AUDIO WORK TARGET_MB [--split split.csv] [--metrics median,max,std]
      [--spreads 1,2,4]
TARGET_MB as `compare` prints it for a budget in bits (e.g. 0.8809 MB for 3 bits on the demo).
"""
import argparse, itertools, json, os, subprocess, sys


def run(cli, *args):
    r = subprocess.run([cli, *args], capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"spread_profiles.py: {' '.join(args[:1])} failed: {r.stderr.strip()}")


def bits(path):
    return [l["bits"] for l in json.load(open(path))["layers"]]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for a in ("cli", "model", "audio", "work"):
        ap.add_argument(a)
    ap.add_argument("target_mb", type=float)
    ap.add_argument("--split")
    ap.add_argument("--metrics", default="median,max,std")
    ap.add_argument("--spreads", default="1,2,4")
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    analysis = os.path.join(a.work, "analysis.json")
    split = ["--split", a.split] if a.split else ["--test-fraction", "0.5"]
    if not os.path.exists(analysis):
        run(a.cli, "analyze", "--model", a.model, "--audio", a.audio, *split, "--out", analysis)
    an = json.load(open(analysis))
    speakers = [s["name"] for s in an["speakers"]]
    target = a.target_mb
    print(f"{len(speakers)} profiles, target {target} MB, {len(an['layers'])} layers")
    print("| metric | S | all-profiles widths | own vs all, per profile | pairs of profiles |\n|---|---:|---|---|---|")
    for metric in a.metrics.split(","):
        for s in (int(x) for x in a.spreads.split(",")):
            out = os.path.join(a.work, f"{metric}_s{s}")
            os.makedirs(out, exist_ok=True)
            common = ["--analysis", analysis, "--target-mb", f"{target:.9g}", "--metric", metric, "--spread", str(s)]
            run(a.cli, "allocate", *common, "--out", f"{out}/all.json")
            every = bits(f"{out}/all.json")
            own = {}
            for sp in speakers:
                run(a.cli, "allocate", *common, "--speaker", sp, "--out", f"{out}/{sp}.json")
                own[sp] = bits(f"{out}/{sp}.json")
            diff = lambda x, y: sum(p != q for p, q in zip(x, y))
            q = [w for w in every if w < 32]
            pairs = [diff(own[x], own[y]) for x, y in itertools.combinations(speakers, 2)]
            print(f"| {metric} | {s} | {min(q)}–{max(q)} | {' '.join(str(diff(own[sp], every)) for sp in speakers)} | "
                  f"{sum(pairs) / len(pairs):.1f} ({max(pairs)}) |")


if __name__ == "__main__":
    main()
