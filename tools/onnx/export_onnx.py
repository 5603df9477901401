#!/usr/bin/python3
"""Writes model.onnx for a quantscope export: torch.onnx.export at opset 13, then the weights
rewritten into integer initializers (python3-onnx).

    /usr/bin/python3 tools/onnx/export_onnx.py --model SRC.pt --out model.onnx
        [--spec spec.json --encodings model.encodings] [--summary summary.json] [--samples N]

SRC.pt is a TorchScript model. Without --spec it is exported as it is (the float ONNX model). With
--spec it is the "ONNX-ready" model core/export writes: every quantized layer's weight already on its
integer grid and passed through aten::fake_quantize_per_channel_affine (-128, 127) or
..._per_tensor_affine, activations through 8-bit fake-quantizers (a clamp before them below 8 bits).
The spec lists, per quantized layer, its weight parameter, bits, granularity and scales (and the
input quantizer), and the rewrite (onnx_rewrite.py) turns each weight into an INT4 / INT8 / INT16
initializer feeding DequantizeLinear. Errors end the program with exit code 2 and one line on stderr
that starts with "quantscope-onnx: ".
"""
import argparse
import json
import os
import sys
import warnings


def fail(message):
    sys.stderr.write("quantscope-onnx: " + " ".join(str(message).split()) + "\n")
    sys.exit(2)


try:
    import onnx
    import torch
except ImportError as e:  # one clear line rather than a traceback
    fail(f"{e.name} is not installed for {sys.executable} (Debian: apt-get install python3-onnx python3-torch)")

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import onnx_rewrite  # noqa: E402  (needs onnx, imported above)

WRAPPER_PREFIX = "m."


class FirstOutput(torch.nn.Module):
    """forward(x) -> m(x)[0]: torch 1.13 cannot export a loaded torchaudio wav2vec2 ScriptModule whose
    forward takes an Optional lengths argument and returns a tuple; a scripted wrapper can."""

    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.m(x)[0]


class Plain(torch.nn.Module):
    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.m(x)


def exportable(m):
    """The module torch.onnx.export gets: the model itself when forward is (Tensor) -> Tensor, else a
    scripted wrapper (its parameters then carry the prefix "m.", removed after the export)."""
    schema = m.forward.schema
    args = [a for a in schema.arguments if a.name != "self"]
    returns_tensor = len(schema.returns) == 1 and str(schema.returns[0].type) == "Tensor"
    if len(args) == 1 and returns_tensor:
        return m, ""
    if len(args) > 2 or (len(args) == 2 and "Optional" not in str(args[1].type) and not
                          str(args[1].type).endswith("?")):
        fail(f"forward takes {len(args)} arguments ({schema}); the ONNX export takes forward(x) or "
             f"forward(x, lengths: Optional[Tensor])")
    wrapper = Plain(m) if returns_tensor else FirstOutput(m)
    return torch.jit.script(wrapper), WRAPPER_PREFIX


class FailingNode:
    """Remembers the innermost TorchScript node whose conversion to ONNX raised, and a layer near it."""

    def __init__(self, layer_of_param):
        self.layer_of_param = layer_of_param
        self.kind = None
        self.layer = None

    def layer_near(self, node):
        def params_of(n):
            for v in n.inputs():
                name = v.debugName()
                if name.startswith(WRAPPER_PREFIX):
                    name = name[len(WRAPPER_PREFIX):]
                if v.node().kind() == "prim::Param" and name in self.layer_of_param:
                    yield self.layer_of_param[name]

        def walk(n):
            yield from params_of(n)
            for b in n.blocks():
                for inner in b.nodes():
                    yield from walk(inner)

        for layer in walk(node):
            return layer
        n = node.next()  # the next layer in graph order
        while n is not None and n.kind() != "prim::Return":
            for layer in walk(n):
                return layer
            n = n.next()
        return None

    def install(self):
        import torch.onnx.utils as utils

        original = utils._run_symbolic_function

        def recording(graph, block, node, *args, **kwargs):
            try:
                return original(graph, block, node, *args, **kwargs)
            except Exception:
                if self.kind is None:
                    self.kind = node.kind()
                    try:
                        self.layer = self.layer_near(node)
                    except Exception:  # naming the layer must never hide the real error
                        self.layer = None
                raise

        # The C++ exporter calls torch.onnx._run_symbolic_function (re-exported from utils).
        utils._run_symbolic_function = recording
        torch.onnx._run_symbolic_function = recording


def export_torch(src, out, samples, layer_of_param):
    torch._C._jit_set_profiling_mode(False)  # DESIGN.md: the profiling executor breaks scripted wav2vec2
    try:
        loaded = torch.jit.load(src, map_location="cpu")
    except Exception as e:
        fail(f"cannot read {src} as TorchScript ({str(e).splitlines()[0]})")
    loaded.eval()
    model, prefix = exportable(loaded)
    failing = FailingNode(layer_of_param)
    failing.install()
    wave = torch.zeros(1, samples)
    torch.manual_seed(0)
    wave.normal_()
    try:
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")
            torch.onnx.export(model, (wave,), out, opset_version=13, input_names=["waveform"],
                              output_names=["logits"], do_constant_folding=True,
                              dynamic_axes={"waveform": {1: "samples"}, "logits": {1: "frames"}})
    except Exception as e:
        reason = (str(e).strip().splitlines() or [type(e).__name__])[-1]
        if failing.kind:
            where = f" at layer {failing.layer}" if failing.layer else ""
            fail(f"torch.onnx.export (opset 13) cannot export the operator {failing.kind}{where}: {reason}")
        fail(f"torch.onnx.export (opset 13) failed: {reason}")
    return prefix


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", required=True, help="TorchScript file to export")
    p.add_argument("--out", required=True, help="model.onnx to write")
    p.add_argument("--spec", help="the quantized layers (JSON written by core/export/onnx_export.cpp)")
    p.add_argument("--encodings", help="AIMET-style encodings keyed by the ONNX tensor names (needs --spec)")
    p.add_argument("--summary", help="JSON with the file's byte counts, opset and per-layer storage")
    p.add_argument("--samples", type=int, default=16000, help="length of the example waveform")
    a = p.parse_args()

    spec = None
    if a.spec:
        try:
            with open(a.spec) as f:
                spec = json.load(f)
        except (OSError, ValueError) as e:
            fail(f"cannot read {a.spec}: {e}")
    layer_of_param = {}
    for layer in (spec or {}).get("layers", []):
        layer_of_param[layer["param"]] = layer["name"]
    if spec is None:  # name layers after their weights for error messages
        layer_of_param = _WeightNames()

    tmp = a.out + ".torch.onnx"
    try:
        prefix = export_torch(a.model, tmp, a.samples, layer_of_param)
        model = onnx.load(tmp)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    onnx_rewrite.strip_prefix(model, prefix)
    try:
        result = onnx_rewrite.quantize_weights(model, spec) if spec else onnx_rewrite.float_summary(model)
    except onnx_rewrite.RewriteError as e:
        fail(str(e))
    data = model.SerializeToString()
    if len(data) >= 2 ** 31:
        fail("the ONNX model is larger than 2 GB, protobuf's limit for one file")
    with open(a.out, "wb") as f:
        f.write(data)
    result["summary"]["file_bytes"] = len(data)
    result["summary"]["structure_bytes"] = len(data) - result["summary"]["tensor_bytes"]
    if a.encodings and spec:
        with open(a.encodings, "w") as f:
            json.dump(result["encodings"], f, indent=1)
    if a.summary:
        with open(a.summary, "w") as f:
            json.dump(result["summary"], f, indent=1)


class _WeightNames(dict):
    """Maps any parameter name ending in "weight" to its layer name, for a float export's errors."""

    def __contains__(self, name):
        return name.endswith("weight")

    def __getitem__(self, name):
        return name[: -len(".weight")] if name.endswith(".weight") else name


if __name__ == "__main__":
    try:
        main()
    except SystemExit:
        raise
    except Exception as e:  # anything unforeseen: one line, not a traceback
        lines = [l.strip() for l in str(e).splitlines() if l.strip()]
        fail(f"{type(e).__name__}: {' '.join(lines[:2]) if lines else 'no message'}")
