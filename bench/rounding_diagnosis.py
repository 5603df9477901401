#!/usr/bin/python3
"""Why learned rounding does not lower WER on the demo (issue 14): per-layer and end-to-end measures of
exports made by bench/compare_rounding.sh, on its held-out clips, in the eager torchaudio model.

    bench/rounding_diagnosis.py layers WORK RUN[,RUN...] [--per-voice N]
    bench/rounding_diagnosis.py e2e WORK VARIANT... [--per-voice N] [--calibration-per-voice N]

WORK is compare_rounding.sh's folder (cal/ and eval/ hold symlinks to the demo's clips; each RUN is
an export folder in it, e.g. q_2.5_mse, q_2.5_gptq). Only weights change: activations stay float.

layers: for each layer and run, on held-out clips,
  - the relative output error on the float model's inputs, ||x_f (Wq - W)||² / ||x_f W||²,
  - the same on the inputs the layer sees in that run's own quantized model (x_q),
  - the gain <x_f Wq, x_f W> / ||x_f W||² (1: no shrinkage; the mse range search clips, so < 1),
  - the input noise ||x_q - x_f||² / ||x_f||² (mean over clips).
e2e: logits SQNR, greedy-decoding WER against the float model and against the reference, per variant.
  A VARIANT is NAME=RUN[:PREFIX=RUN2...]: RUN's weights, with the layers whose state-dict names start
  with PREFIX taken from RUN2 ("float" is the float model), e.g. gptq_noaux=q_2.5_gptq:model.aux=q_2.5_mse.
  A NAME ending in +bc gets empirical bias correction (bias -= mean of x_f (Wq - W) over the
  calibration clips' frames, Nagel et al. 2019) on layers that have a bias.
"""
import argparse
import glob
import math
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchaudio

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tools"))
import make_demo as md  # noqa: E402  (the demo's model definition, labels, decoding)

torch.set_num_threads(1)
FLOAT = os.path.join(HERE, "..", "resources", "demo", "model.pt")


def build(state):
    m = md.fold_weight_norm(md.build_model(len(md.LABELS))).eval()
    m.load_state_dict({k[len("model."):]: v for k, v in state.items()})
    return m


def quantized_layers(m):
    return {n: mod for n, mod in m.named_modules() if isinstance(mod, (nn.Linear, nn.Conv1d))}


def apply(mod, x, w):
    if isinstance(mod, nn.Linear):
        return F.linear(x, w)
    return F.conv1d(x, w, None, mod.stride, mod.padding, mod.dilation, mod.groups)


def capture(m):
    inputs = {}
    for n, mod in quantized_layers(m).items():
        mod.register_forward_hook(lambda mod, i, o, n=n: inputs.__setitem__(n, i[0].detach()))
    return inputs


def clips(work, part, per_voice):
    out = []
    for voice in sorted(os.listdir(os.path.join(work, part))):
        out += sorted(glob.glob(os.path.join(work, part, voice, "*.flac")))[:per_voice]
    return out


def wave(path):
    x, rate = torchaudio.load(os.path.realpath(path))
    assert rate == 16000, path
    return md.normalize_wave(x[0]).unsqueeze(0)


def references(paths):
    refs = {}
    for p in paths:
        for t in glob.glob(os.path.join(os.path.dirname(p), "*.txt")):
            for line in open(os.path.realpath(t)):
                key, _, text = line.strip().partition(" ")
                refs[key] = md.normalize_text(text)
    return refs


def layers(args, floats):
    fm = build(floats)
    fin = capture(fm)
    runs = {}
    for r in args.runs.split(","):
        state = torch.jit.load(os.path.join(args.work, r, "model.pt")).state_dict()
        m = build(state)
        runs[r] = (state, m, capture(m))
    mods = quantized_layers(fm)
    acc = {}
    held = clips(args.work, "eval", args.per_voice)
    for c in held:
        x = wave(c)
        with torch.no_grad():
            fm(x)
            for r, (state, m, qin) in runs.items():
                m(x)
                for n, mod in mods.items():
                    w = mod.weight
                    d = state["model." + n + ".weight"] - w
                    xf, xq = fin[n], qin[n]
                    yf = apply(mod, xf, w).double()
                    ef = apply(mod, xf, d).double()
                    a = acc.setdefault((r, n), [0.0] * 6)
                    a[0] += float((ef ** 2).sum())
                    a[1] += float((yf ** 2).sum())
                    a[2] += float((apply(mod, xq, d).double() ** 2).sum())
                    a[3] += float((apply(mod, xq, w).double() ** 2).sum())
                    a[4] += float((ef * yf).sum())
                    a[5] += float(((xq - xf).double() ** 2).sum() / (xf.double() ** 2).sum())
    print(f"{len(held)} held-out clips; per run: error on float inputs, on its own quantized model's inputs, "
          "gain, input noise")
    print("%-44s" % "layer" + "".join("%34s" % r for r in runs))
    for n in mods:
        row = "%-44s" % n[-44:]
        for r in runs:
            a = acc[(r, n)]
            row += "   %7.4f %7.4f %7.4f %7.4f" % (a[0] / a[1], a[2] / a[3], 1 + a[4] / a[1], a[5] / len(held))
        print(row)


def variant(spec, floats, work, cache):
    name, rest = spec.split("=", 1)
    parts = rest.split(":")

    def load(r):
        if r == "float":
            return floats
        if r not in cache:
            cache[r] = torch.jit.load(os.path.join(work, r, "model.pt")).state_dict()
        return cache[r]

    state = dict(load(parts[0]))
    for p in parts[1:]:
        prefix, r = p.split("=")
        source = load(r)
        for k in state:
            if k.startswith(prefix) and k.endswith(".weight"):
                state[k] = source[k]
    return name, build(state)


def bias_correct(m, floats, calibration):
    fm = build(floats)
    qmods = quantized_layers(m)
    sums, counts = {}, {}

    def hook(n):
        def f(mod, i, o):
            q = qmods[n]
            if q.bias is None:
                return
            e = apply(mod, i[0], q.weight - mod.weight)
            e = e.reshape(-1, e.shape[-1]) if isinstance(mod, nn.Linear) else e.transpose(1, 2).reshape(-1, e.shape[1])
            sums[n] = sums.get(n, 0) + e.double().sum(0)
            counts[n] = counts.get(n, 0) + e.shape[0]
        return f

    for n, mod in quantized_layers(fm).items():
        mod.register_forward_hook(hook(n))
    with torch.no_grad():
        for c in calibration:
            fm(wave(c))
        for n in sums:
            qmods[n].bias -= (sums[n] / counts[n]).float()
    return m


def e2e(args, floats):
    cache = {}
    calibration = clips(args.work, "cal", args.calibration_per_voice)
    models = []
    for spec in args.variants:
        name, m = variant(spec, floats, args.work, cache)
        models.append((name, bias_correct(m, floats, calibration) if name.endswith("+bc") else m))
    fm = build(floats)
    held = clips(args.work, "eval", args.per_voice)
    refs = references(held)
    stats = {n: [0.0, 0.0, 0, 0] for n, _ in models}
    words_float = words_ref = errors_float = 0
    for c in held:
        x = wave(c)
        ref = refs.get(os.path.basename(c)[:-len(".flac")])
        with torch.no_grad():
            lf, _ = fm(x)
            hf = md.greedy_decode(lf[0]).split()
            words_float += len(hf)
            if ref:
                words_ref += len(ref.split())
                errors_float += md.edit_distance(ref.split(), hf)
            for n, m in models:
                lq, _ = m(x)
                s = stats[n]
                s[0] += float((lf.double() ** 2).sum())
                s[1] += float(((lf - lq).double() ** 2).sum())
                hq = md.greedy_decode(lq[0]).split()
                s[2] += md.edit_distance(hf, hq)
                if ref:
                    s[3] += md.edit_distance(ref.split(), hq)
    print(f"{len(held)} held-out clips, {words_ref} reference words; float WER {100 * errors_float / max(1, words_ref):.2f}%"
          + (f"; bias correction on {len(calibration)} calibration clips" if any(n.endswith("+bc") for n, _ in models) else ""))
    print("%-28s %8s %12s %8s" % ("variant", "SQNR dB", "WER vs float", "WER %"))
    for n, s in stats.items():
        sqnr = 10 * math.log10(s[0] / s[1]) if s[1] > 0 else float("inf")
        print("%-28s %8.2f %12.2f %8.2f" % (n, sqnr, 100 * s[2] / max(1, words_float), 100 * s[3] / max(1, words_ref)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="mode", required=True)
    a = sub.add_parser("layers")
    a.add_argument("work")
    a.add_argument("runs")
    a.add_argument("--per-voice", type=int, default=1)
    b = sub.add_parser("e2e")
    b.add_argument("work")
    b.add_argument("variants", nargs="+")
    b.add_argument("--per-voice", type=int, default=2)
    b.add_argument("--calibration-per-voice", type=int, default=2)
    args = ap.parse_args()
    floats = torch.jit.load(FLOAT).state_dict()
    (layers if args.mode == "layers" else e2e)(args, floats)


if __name__ == "__main__":
    main()
