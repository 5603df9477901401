#!/usr/bin/python3
"""Writes a wav2vec2-base-sized TorchScript model with random weights, for bench/ only.

    /usr/bin/python3 tools/make_bench_model.py OUT.pt [--traced]

torchaudio's wav2vec2_base architecture (94.4M parameters) with a 32-way CTC head. Generated when a
benchmark runs and never committed.
"""
import argparse
import json

import torch
import torchaudio


class LogitsOnly(torch.nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        logits, _ = self.model(x)
        return logits


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--traced", action="store_true", help="trace instead of script")
    args = parser.parse_args()
    torch.manual_seed(0)
    model = torchaudio.models.wav2vec2_base(aux_num_out=32)
    # weight_norm's pre-hook neither traces nor scripts in torch 1.13: fold it into a plain weight.
    torch.nn.utils.remove_weight_norm(model.encoder.transformer.pos_conv_embed.conv)
    wrapped = LogitsOnly(model).eval()
    wave = torch.randn(1, 16000)
    ts = torch.jit.trace(wrapped, wave, check_trace=False) if args.traced else torch.jit.script(wrapped)
    meta = {"sample_rate": 16000, "normalize": True, "name": "wav2vec2-base (random weights, benchmark)"}
    torch.jit.save(ts, args.out, _extra_files={"model.json": json.dumps(meta)})
    print(f"{args.out}: {sum(p.numel() for p in model.parameters())} parameters")


if __name__ == "__main__":
    main()
