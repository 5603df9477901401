#!/usr/bin/python3
"""Generates the small TorchScript models the tests load (tests/fixtures/), with expected values.

Run with Debian's interpreter, which has torch and torchaudio:
    /usr/bin/python3 tools/make_fixtures.py [--out tests/fixtures]

Every model is tiny (well under 1 MB) and seeded, so re-running the script reproduces the files.
Beside each model goes <name>.expected.json: the quantizable layers in execution order, the total
parameter count, and per-layer output statistics on a fixed probe waveform, recorded with eager
forward hooks. The C++ instrumentation must reproduce them from the TorchScript graph alone.
"""
import argparse
import json
import math
import os

import torch
import torch.nn as nn
import torchaudio

PROBE_SAMPLES = 8000
PROBE_RATE = 16000


def probe_waveform():
    """A deterministic waveform built from torch ops only, so C++ (LibTorch) can rebuild it exactly."""
    t = torch.arange(PROBE_SAMPLES, dtype=torch.float32) / PROBE_RATE
    x = 0.5 * torch.sin(2 * math.pi * 220.0 * t) + 0.25 * torch.sin(2 * math.pi * 1375.0 * t)
    return x.unsqueeze(0)


def tiny_wav2vec2(num_labels=6):
    """torchaudio's wav2vec2 architecture at toy size: conv extractor + transformer encoder."""
    model = torchaudio.models.wav2vec2_model(
        extractor_mode="layer_norm",
        extractor_conv_layer_config=[(16, 10, 5), (16, 3, 2), (16, 2, 2)],
        extractor_conv_bias=True,
        encoder_embed_dim=32,
        encoder_projection_dropout=0.0,
        encoder_pos_conv_kernel=8,
        encoder_pos_conv_groups=4,
        encoder_num_layers=2,
        encoder_num_heads=2,
        encoder_attention_dropout=0.0,
        encoder_ff_interm_features=64,
        encoder_ff_interm_dropout=0.0,
        encoder_dropout=0.0,
        encoder_layer_norm_first=True,
        encoder_layer_drop=0.0,
        aux_num_out=num_labels,
    )
    return fold_weight_norm(model)


def memory_hungry_wav2vec2(num_labels=6):
    """A wav2vec2 whose memory grows fast with clip length, for the memory-budget tests: its front end
    downsamples only 20x (800 frames per second at 16 kHz) and its attention has 8 heads, so one
    pass keeps 8 x frames^2 floats per score matrix: ~20 MB at 1 s, ~18 GB at 30 s."""
    model = torchaudio.models.wav2vec2_model(
        extractor_mode="layer_norm",
        extractor_conv_layer_config=[(8, 10, 5), (8, 3, 2), (8, 2, 2)],
        extractor_conv_bias=True,
        encoder_embed_dim=32,
        encoder_projection_dropout=0.0,
        encoder_pos_conv_kernel=8,
        encoder_pos_conv_groups=4,
        encoder_num_layers=1,
        encoder_num_heads=8,
        encoder_attention_dropout=0.0,
        encoder_ff_interm_features=32,
        encoder_ff_interm_dropout=0.0,
        encoder_dropout=0.0,
        encoder_layer_norm_first=True,
        encoder_layer_drop=0.0,
        aux_num_out=num_labels,
    )
    return fold_weight_norm(model)


def fold_weight_norm(model):
    """torchaudio's positional conv uses weight_norm, whose pre-hook neither traces nor scripts in
    torch 1.13; folding it leaves an ordinary Conv1d weight parameter with the same values."""
    conv = model.encoder.transformer.pos_conv_embed.conv
    torch.nn.utils.remove_weight_norm(conv)
    return model


class LogitsOnly(nn.Module):
    """Wraps torchaudio's (logits, lengths) output so forward(x) returns the logits tensor."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        logits, _ = self.model(x)
        return logits


class ControlFlowNet(nn.Module):
    """A scripted model whose layers sit inside prim::If and prim::Loop blocks, with one Linear applied
    twice and a Conv2d over a spectrogram-like view."""

    def __init__(self):
        super().__init__()
        self.front = nn.Conv1d(1, 8, kernel_size=16, stride=8)
        self.image = nn.Conv2d(1, 2, kernel_size=3, padding=1)
        self.blocks = nn.ModuleList([nn.Linear(16, 16) for _ in range(3)])
        self.shared = nn.Linear(16, 16)
        self.head = nn.Linear(16, 5)
        self.use_shared: bool = True

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = torch.relu(self.front(x.unsqueeze(1)))          # [1, 8, T]
        h = self.image(h.unsqueeze(1)).flatten(1, 2)         # [1, 16, T]
        h = h.transpose(1, 2)                                # [1, T, 16]
        for block in self.blocks:
            h = torch.nn.functional.gelu(block(h))
        if self.use_shared:
            h = self.shared(h)
            h = self.shared(torch.tanh(h))
        else:
            h = -h
        return self.head(h)


class AttentionNet(nn.Module):
    """nn.MultiheadAttention applies in_proj_weight and out_proj.weight through aten::linear inside its
    own code: both must be found as layers."""

    def __init__(self):
        super().__init__()
        self.front = nn.Conv1d(1, 24, kernel_size=20, stride=10)
        # batch_first=False: the batch-first eval path may dispatch to a fused kernel without aten::linear.
        self.self_attn = nn.MultiheadAttention(24, num_heads=2)
        self.head = nn.Linear(24, 4)

    def forward(self, x: torch.Tensor):
        h = self.front(x.unsqueeze(1)).permute(2, 0, 1)     # [T, 1, 24]
        a, _ = self.self_attn(h, h, h, need_weights=False)
        return self.head(a + h), h.shape[0]


class FragileNet(nn.Module):
    """One obviously fragile layer for the distance-score tests. `prep` zeroes its output channel 0, and
    every row of `fragile` carries a 1000x outlier on that channel: the float output never sees it, but
    an 8-bit per-channel scale sized for it rounds every real weight of the layer to zero."""

    def __init__(self):
        super().__init__()
        self.front = nn.Conv1d(1, 16, kernel_size=20, stride=10)
        self.prep = nn.Linear(16, 16)
        self.fragile = nn.Linear(16, 16)
        self.sturdy = nn.Linear(16, 16)
        self.head = nn.Linear(16, 6)
        with torch.no_grad():
            self.prep.weight[0].zero_()
            self.prep.bias[0] = 0.0
            self.fragile.weight[:, 0] = 1000.0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = torch.tanh(self.front(x.unsqueeze(1))).transpose(1, 2)
        h = torch.relu(self.prep(h))
        h = torch.tanh(self.fragile(h))
        h = torch.tanh(self.sturdy(h))
        return self.head(h)


class NoLayers(nn.Module):
    def __init__(self):
        super().__init__()
        self.gain = nn.Parameter(torch.ones(1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.gain


class WantsImages(nn.Module):
    """Rejects a [1, samples] waveform: its conv wants 4-D input."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x)


def layer_kind(module):
    if isinstance(module, nn.Linear):
        return "linear"
    if isinstance(module, nn.Conv1d):
        return "conv1d"
    if isinstance(module, nn.Conv2d):
        return "conv2d"
    return None


def record_expectations(model, wave):
    """Runs the eager model with forward hooks on every Linear/Conv module and summarises outputs."""
    order, outputs, kinds = [], {}, {}
    hooks = []
    for name, module in model.named_modules():
        kind = layer_kind(module)
        if kind is None:
            continue

        def hook(mod, inp, out, name=name):
            if name not in outputs:
                order.append(name)
                outputs[name] = []
            outputs[name].append(out.detach().reshape(-1))

        kinds[name] = (kind, module.weight.numel())
        hooks.append(module.register_forward_hook(hook))
    with torch.no_grad():
        out = model(wave)
    for h in hooks:
        h.remove()
    layers = []
    for name in order:
        y = torch.cat(outputs[name]).double()
        a = y.abs()
        layers.append({
            "name": name,
            "kind": kinds[name][0],
            "params": kinds[name][1],
            "count": y.numel(),
            "mean_abs": a.mean().item(),
            "max": y.max().item(),
            "min": y.min().item(),
            "abs_max": a.max().item(),
            "std_abs": a.std(unbiased=False).item(),
        })
    logits = out[0] if isinstance(out, tuple) else out
    return layers, list(logits.shape)


def save(model, path, scripted, metadata, wave):
    model.eval()
    layers, out_shape = record_expectations(model, wave)
    ts = torch.jit.script(model) if scripted else torch.jit.trace(model, wave, check_trace=False)
    extra = {"model.json": json.dumps(metadata)} if metadata is not None else {}
    torch.jit.save(ts, path, _extra_files=extra)
    expected = {
        "probe_samples": PROBE_SAMPLES,
        "total_params": sum(p.numel() for p in model.parameters()),
        "output_shape": out_shape,
        "layers": layers,
    }
    with open(path.replace(".pt", ".expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
    print(f"{os.path.basename(path)}: {len(layers)} layers, {expected['total_params']} parameters")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures"))
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.manual_seed(1234)
    wave = probe_waveform()
    labels = ["<blank>", " ", "a", "b", "c", "d"]
    meta = {"sample_rate": 16000, "labels": labels, "normalize": False, "name": "fixture"}

    w2v = tiny_wav2vec2(len(labels)).eval()
    save(LogitsOnly(w2v), os.path.join(args.out, "w2v2_traced.pt"), False, meta, wave)
    save(LogitsOnly(w2v), os.path.join(args.out, "w2v2_scripted.pt"), True, meta, wave)
    # torchaudio's model itself, scripted: forward(waveforms, lengths: Optional[Tensor] = None) returns a tuple.
    save(w2v, os.path.join(args.out, "w2v2_tuple_scripted.pt"), True, dict(meta, sample_rate=8000), wave)
    torch.manual_seed(20)
    save(LogitsOnly(memory_hungry_wav2vec2(len(labels)).eval()), os.path.join(args.out, "memory_hungry_scripted.pt"),
         True, meta, wave)
    torch.manual_seed(99)
    save(ControlFlowNet(), os.path.join(args.out, "control_flow_scripted.pt"), True, None, wave)
    save(AttentionNet(), os.path.join(args.out, "attention_scripted.pt"), True, None, wave)
    torch.manual_seed(7)
    save(FragileNet(), os.path.join(args.out, "fragile_traced.pt"), False, None, wave)
    torch.jit.save(torch.jit.script(NoLayers()), os.path.join(args.out, "no_layers.pt"))
    torch.jit.save(torch.jit.script(WantsImages()), os.path.join(args.out, "wants_images.pt"))
    with open(os.path.join(args.out, "not_a_model.pt"), "w") as f:
        f.write("this is a text file, not a TorchScript archive\n")


if __name__ == "__main__":
    main()
