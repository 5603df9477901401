#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz harnesses (fuzz/corpus/<harness>/): small valid files of
each kind the readers take, plus a few near misses. Audio comes from sox (a short tone in each
container and encoding libsndfile reads). Run from anywhere: python3 fuzz/make_corpus.py"""
import json
import math
import os
import struct
import subprocess
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")


def put(harness, name, data):
    d = os.path.join(CORPUS, harness)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def stats(scale, channels):
    return {"count": 1000, "nonfinite": 0, "mean_abs": 0.5 * scale, "std_abs": 0.3 * scale,
            "var_abs": 0.09 * scale * scale, "min": -2.0 * scale, "max": 2.5 * scale, "abs_max": 2.5 * scale,
            "median_abs": 0.4 * scale, "p99_abs": 1.9 * scale, "p99_9_abs": 2.2 * scale, "p99_99_abs": 2.4 * scale,
            "p0_1": -1.9 * scale, "p99_9": 2.3 * scale, "kurtosis": 3.2,
            "histogram": {"lo": -2.0 * scale, "hi": 2.5 * scale, "counts": [100, 400, 400, 100]},
            "channel_abs_max": [round(2.5 * scale * (c + 1) / channels, 3) for c in range(channels)]}


def analysis(with_distances=False):
    layers = []
    for i, (kind, shape) in enumerate([("conv1d", [4, 1, 3]), ("linear", [3, 4]), ("linear", [2, 3])]):
        layer = {"name": f"m.layer{i}", "kind": kind, "params": math.prod(shape), "shape": shape,
                 "stats": {"all": stats(1 + i, shape[0]), "alice": stats(1.1 + i, shape[0])}}
        if with_distances:
            d = {"kl": 0.01 * (i + 1), "l1": 0.1, "l2": 0.02, "cosine": 0.001, "sqnr_db": 30.0 - i, "clips": 2, "bits": 8}
            layer["distances"] = {"all": d, "alice": d}
        layers.append(layer)
    return {"format": "quantscope-analysis", "version": 1,
            "model": {"path": "/models/m.pt", "total_params": 60, "size_mb": 60 * 4 / 2**20, "sample_rate": 16000,
                      "normalize": True, "labels": ["<blank>", " ", "a", "b"]},
            "audio": {"root": "/audio"}, "run": {"elapsed_seconds": 1.5, "threads": 2},
            "speakers": [{"name": "alice", "clips": 3, "files": 2, "seconds": 4.5}],
            "layers": layers, "skipped": [{"path": "/audio/alice/x.wav", "reason": "empty (0 frames)"}]}


def allocation():
    return {"target_mb": 0.0001, "size_mb": 0.00009, "float_size_mb": 0.000229, "metric": "median",
            "order": "descending", "speaker": "all", "min_bits": 2, "average_bits": 5.5, "compression_ratio": 2.5,
            "layers": [{"name": "m.layer0", "bits": 6, "params": 12, "score": 0.4, "included": True},
                       {"name": "m.layer1", "bits": 5, "params": 12, "score": 1.4, "included": True},
                       {"name": "m.layer2", "bits": 32, "params": 6, "score": 2.4, "included": False}]}


def session(with_analysis):
    return {"quantscope_session": 1,
            "model": {"path": "/models/m.pt", "relative": "../models/m.pt"},
            "audio": {"folders": [{"path": "/audio", "relative": "../audio"}], "active": {"path": "/audio", "relative": "../audio"},
                      "checked_speakers": ["alice"]},
            "analysis": analysis() if with_analysis else None,
            "budget": {"target_mb": 0.0001, "metric": "median", "order": "descending", "min_bits": 2,
                       "speaker": "alice" if with_analysis else "all",
                       "excluded_layers": ["m.layer2"] if with_analysis else []},
            "selected_layer": "m.layer1" if with_analysis else "",
            "view": {"top_tab": 1, "bottom_tab": 0, "shown_speakers": ["all"], "sensitivity_log": True, "clip_mode": 2,
                     "grid_activation_bits": False, "outliers_normalized": True, "channels_sorted": False,
                     "compare_a": "alice", "compare_b": "all", "layer_filter": "layer"}}


def safetensors():
    """A quantized 4-bit per-channel layer, a per-group 3-bit layer and a float bias, laid out as
    core/export/packed_weights.h writes them (4-byte dtypes first, header padded to 8)."""
    tensors, meta, blobs = [], {}, []

    def add(name, dtype, shape, data):
        tensors.append((name, dtype, shape, data))

    codes = [(i * 5) % 16 for i in range(12)]  # [3, 4] at 4 bits, qmin -8
    packed = bytes((codes[2 * k] | (codes[2 * k + 1] << 4)) for k in range(6))
    add("l0.weight.scale", "F32", [3], struct.pack("<3f", 0.1, 0.2, 0.05))
    add("l0.weight.zero_point", "I32", [3], struct.pack("<3i", 0, 0, 0))
    meta["l0"] = json.dumps({"bits": 4, "qmin": -8, "qmax": 7, "shape": [3, 4], "granularity": "per_channel"})
    add("l1.weight.scale", "F32", [2, 2], struct.pack("<4f", 0.1, 0.2, 0.3, 0.4))
    add("l1.weight.zero_point", "I32", [2, 2], struct.pack("<4i", 0, 0, 0, 0))
    meta["l1"] = json.dumps({"bits": 3, "qmin": -4, "qmax": 3, "shape": [2, 5], "granularity": "per_group",
                             "group_size": 3})
    add("l0.bias", "F32", [3], struct.pack("<3f", 0.5, -0.5, 1.0))
    bits3 = 0
    for i, c in enumerate([(i * 3) % 8 for i in range(10)]):
        bits3 |= c << (3 * i)
    add("l0.weight.packed", "U8", [6], packed)
    add("l1.weight.packed", "U8", [4], bits3.to_bytes(4, "little"))
    header, offset = {}, 0
    for name, dtype, shape, data in tensors:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
    meta["format"] = "quantscope"
    header["__metadata__"] = meta
    text = json.dumps(header, separators=(",", ":"))
    text += " " * ((8 - len(text) % 8) % 8)
    return struct.pack("<Q", len(text)) + text.encode() + b"".join(t[3] for t in tensors)


def audio():
    with tempfile.TemporaryDirectory() as tmp:
        specs = [("pcm16.wav", ["-r", "16000", "-c", "1", "-b", "16", "-e", "signed-integer"]),
                 ("stereo44k.wav", ["-r", "44100", "-c", "2", "-b", "16", "-e", "signed-integer"]),
                 ("float.wav", ["-r", "8000", "-c", "1", "-b", "32", "-e", "floating-point"]),
                 ("u8.wav", ["-r", "11025", "-c", "1", "-b", "8", "-e", "unsigned-integer"]),
                 ("ulaw.wav", ["-r", "8000", "-c", "1", "-e", "u-law"]),
                 ("adpcm.wav", ["-r", "16000", "-c", "1", "-e", "ima-adpcm"]),
                 ("tone.flac", ["-r", "16000", "-c", "1", "-b", "16"]),
                 ("tone.ogg", ["-r", "16000", "-c", "1"]),
                 ("tone.aiff", ["-r", "22050", "-c", "1", "-b", "16"]),
                 ("tone.au", ["-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer"]),
                 ("tone.caf", ["-r", "16000", "-c", "1", "-b", "24", "-e", "signed-integer"]),
                 ("tone.w64", ["-r", "48000", "-c", "3", "-b", "16", "-e", "signed-integer"]),
                 ("tone.voc", ["-r", "8000", "-c", "1", "-b", "8", "-e", "unsigned-integer"])]
        for name, fmt in specs:
            path = os.path.join(tmp, name)
            subprocess.run(["sox", "-n"] + fmt + [path, "synth", "0.02", "sine", "440"], check=True,
                           stderr=subprocess.DEVNULL)
            with open(path, "rb") as f:
                put("fuzz_audio", name, f.read())


def main():
    audio()
    pcm = b"".join(struct.pack("<h", int(8000 * math.sin(i / 5))) for i in range(320))
    put("fuzz_raw_pcm", "mono16k", b"\x00\x00" + pcm)
    put("fuzz_raw_pcm", "stereo44k", b"\x01\x04" + pcm)
    put("fuzz_raw_pcm", "odd_bytes", b"\x02\x07" + pcm[:101])

    put("fuzz_transcripts", "librispeech.trans.txt",
        "1089-134686-0000 HE HOPED THERE WOULD BE STEW FOR DINNER\n1089-134686-0001 STUFF IT INTO YOU\n\n  lone-id\n")
    put("fuzz_transcripts", "transcription.txt",
        "<s> hello world </s> (utt1)\n<s> turn on the lights </s> (speaker-utt2 -1234.5)\nno id here\n( )\n")
    put("fuzz_transcripts", "sidecar.txt", "  Turn the\tvolume\n up, please.  \r\n")

    put("fuzz_analysis_json", "analysis.json", json.dumps(analysis(), indent=1))
    put("fuzz_analysis_json", "distances.json", json.dumps(analysis(True)))
    damaged = analysis()
    damaged["layers"][1]["params"] = -5
    put("fuzz_analysis_json", "negative_params.json", json.dumps(damaged))
    put("fuzz_analysis_json", "truncated.json", json.dumps(analysis())[:700])

    put("fuzz_allocation_json", "allocation.json", json.dumps(allocation(), indent=1))
    damaged = allocation()
    damaged["layers"][0]["bits"] = 2.5
    put("fuzz_allocation_json", "fractional_bits.json", json.dumps(damaged))

    put("fuzz_session", "session.qss", json.dumps(session(True)))
    put("fuzz_session", "no_analysis.qss", json.dumps(session(False)))

    put("fuzz_model_json", "demo.json", json.dumps({"sample_rate": 16000, "labels": ["<blank>", " ", "'", "a", "b", "c"],
                                                      "normalize": True, "name": "demo"}))
    put("fuzz_model_json", "rate_only.json", '{"sample_rate": 8000}')
    put("fuzz_model_json", "bad_rate.json", '{"sample_rate": 16000.5, "normalize": "yes"}')

    put("fuzz_safetensors", "weights.safetensors", safetensors())
    put("fuzz_safetensors", "truncated.safetensors", safetensors()[:-5])


if __name__ == "__main__":
    main()
