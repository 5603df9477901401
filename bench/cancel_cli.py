#!/usr/bin/python3
"""Ctrl-C latency of quantscope-cli: the time from SIGINT to the process's exit (issue 12).

    bench/cancel_cli.py CLI MODEL AUDIO WORK [--runs N] [--seed S]

Runs analyze (with distance passes), export, evaluate and personalize (one user's whole pipeline)
once to completion (their duration D from the process's start, model loading included), then
--runs times each with SIGINT at a uniformly random moment in [0.05 D, 0.95 D]. Checks exit code 130
and that nothing was written (personalize: that its finished steps' files are all it left, and its
result.json says cancelled), and prints p50, p99 and the largest latency per command as a Markdown
table row.
"""
import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time


def percentile(values, q):
    v = sorted(values)
    return v[min(len(v) - 1, int(q * (len(v) - 1) + 0.5))] if v else 0.0


def leftovers(name, folder):
    """What a cancelled command left that it should not have: anything at all, except that personalize
    keeps the steps it finished (it resumes from them) and says in result.json that it was cancelled."""
    if name != "CLI personalize":
        return ", ".join(os.listdir(folder))
    user = os.path.join(folder, "out", "u")
    stray = [os.path.join(d, f) for d, dirs, files in os.walk(folder) for f in files + dirs if ".tmp." in f]
    try:
        with open(os.path.join(user, "result.json")) as f:
            if json.load(f).get("failure") != "cancelled":
                stray.append("result.json not cancelled")
    except (OSError, ValueError):
        stray.append("no readable result.json")
    return ", ".join(stray)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("cli")
    ap.add_argument("model")
    ap.add_argument("audio")
    ap.add_argument("work")
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--seed", type=int, default=12)
    ap.add_argument("--held-out", metavar="DIR",
                    help="audio for evaluate (it refuses the clips the export calibrated on; default: AUDIO)")
    ap.add_argument("--user-audio", metavar="DIR",
                    help="audio for personalize, several files per speaker to split into tune and test (default: AUDIO)")
    ap.add_argument("--only", metavar="NAMES", help="comma-separated commands to time (e.g. 'CLI evaluate'); default all")
    ap.add_argument("--distance-clips", type=int, default=1,
                    help="analyze's --distance-clips (0: no distance passes; bench_cancel times those in-process)")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    work = args.work
    os.makedirs(work, exist_ok=True)
    analysis, allocation = os.path.join(work, "analysis.json"), os.path.join(work, "allocation.json")
    exported = os.path.join(work, "exported")
    cancelled_dir = os.path.join(work, "cancelled")

    analyze = "CLI analyze" + (" (with distances)" if args.distance_clips > 0 else "")
    commands = {
        analyze: lambda out: [args.cli, "analyze", "--model", args.model, "--audio", args.audio, "--out", out + ".json"]
        + (["--distance-clips", str(args.distance_clips)] if args.distance_clips > 0 else []),
        "CLI export": lambda out: [args.cli, "export", "--model", args.model, "--analysis", analysis,
                                   "--allocation", allocation, "--calibration-clips", "4", "--out", out],
        "CLI evaluate": lambda out: [args.cli, "evaluate", "--model", args.model, "--quantized", exported,
                                     "--audio", args.held_out or args.audio, "--out", out + ".json"],
        "CLI personalize": lambda out: [args.cli, "personalize", "--model", args.model, "--audio", args.user_audio or args.audio,
                                        "--user", "u", "--target-mb", "60", "--test-fraction", "0.5",
                                        "--calibration-clips", "4", "--out", out],
    }
    # What export and evaluate start from.
    subprocess.run(commands[analyze](analysis[:-5]), check=True, stderr=subprocess.DEVNULL)
    subprocess.run([args.cli, "allocate", "--analysis", analysis, "--target-mb", "60", "--out", allocation], check=True,
                   stderr=subprocess.DEVNULL)
    shutil.rmtree(exported, ignore_errors=True)
    subprocess.run(commands["CLI export"](exported), check=True, stderr=subprocess.DEVNULL)

    for name, command in commands.items():
        if args.only and name not in args.only.split(","):
            continue
        os.makedirs(cancelled_dir, exist_ok=True)
        out = os.path.join(cancelled_dir, "out")
        start = time.monotonic()
        subprocess.run(command(out), check=True, stderr=subprocess.DEVNULL)
        full = time.monotonic() - start
        shutil.rmtree(cancelled_dir)
        latencies, problems, finished = [], [], 0
        for _ in range(args.runs):
            os.makedirs(cancelled_dir)
            p = subprocess.Popen(command(out), stderr=subprocess.PIPE, text=True)
            time.sleep(rng.uniform(0.05, 0.95) * full)
            sent = time.monotonic()
            p.send_signal(signal.SIGINT)
            _, err = p.communicate()
            latency = time.monotonic() - sent
            if p.returncode == 0:
                finished += 1
            elif p.returncode != 130:
                problems.append(f"exit {p.returncode}: {err.strip().splitlines()[-1:]}")
            else:
                latencies.append(latency)
                left = leftovers(name, cancelled_dir)
                if left:
                    problems.append("left " + left)
            shutil.rmtree(cancelled_dir)
        print(f"| {name} | {full:.1f} | {len(latencies)} | {1000 * percentile(latencies, 0.5):.0f} | "
              f"{1000 * percentile(latencies, 0.99):.0f} | {1000 * max(latencies, default=0):.0f} |"
              + (f" {finished} finished first" if finished else "") + ("; PROBLEMS: " + "; ".join(problems) if problems else ""))
        sys.stdout.flush()


if __name__ == "__main__":
    main()
