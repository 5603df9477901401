"""The rewrite behind export_onnx.py: quantized weights into integer initializers, encodings keyed by
the ONNX tensor names, the opset raised to 21 where INT4, INT16 or blocked scales need it.

Chosen over C++ with libonnx-dev because python3-onnx is the same ONNX 1.12 through a protobuf API
that needs no code generation or build-time dependency, runs beside torch.onnx.export (which is Python
only anyway), and keeps the whole ONNX step one child process of core/export.
"""
import numpy as np
import onnx
from onnx import numpy_helper

INT4, UINT8, INT8, INT16 = 22, 2, 3, 5  # TensorProto data types; python3-onnx 1.12's enum has no INT4 (ONNX 1.16)
STORAGE = {INT4: ("INT4", 4), UINT8: ("UINT8", 8), INT8: ("INT8", 8), INT16: ("INT16", 16)}
NUMPY = {UINT8: np.uint8, INT8: np.int8, INT16: np.int16}
# Operators between a layer's dequantized weight and the layer operator (torch 1.13's linear is
# MatMul(x, Transpose(W)) for inputs of rank 3).
PASS_THROUGH = {"Transpose", "Reshape", "Slice", "Squeeze", "Unsqueeze", "Identity", "Split", "Gather"}
LAYER_OPS = {"Conv", "MatMul", "Gemm"}
# Reduce operators whose axes moved from an attribute to an input in opset 18.
REDUCE_18 = {"ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp", "ReduceMax", "ReduceMean", "ReduceMin",
             "ReduceProd", "ReduceSumSquare"}
# Operators whose meaning changed between opsets 13 and 21 in a way upgrade_opset does not translate.
NOT_UPGRADED = {"RoiAlign", "GridSample", "DFT", "GroupNormalization", "STFT"}


class RewriteError(Exception):
    pass


def storage_type(bits):
    """INT4 for 2-4 bits, INT8 for 5-7, UINT8 with zero point 128 for 8, INT16 for 9-16.

    8-bit codes go unsigned because ONNX Runtime's integer kernels on x86 CPUs without VNNI multiply
    uint8 activations by int8 weights with vpmaddubsw, whose int16 sums of two products saturate once
    255 x |w| x 2 > 32767: wrong results for |w| > 64, which only 8-bit codes reach (seen here:
    MatMulIntegerToFloat off by 40% of the output). uint8 x uint8 takes a path that cannot saturate."""
    return INT4 if bits <= 4 else INT8 if bits <= 7 else UINT8 if bits == 8 else INT16


def tensor_bytes(t):
    if t.raw_data:
        return len(t.raw_data)
    return numpy_helper.to_array(t).nbytes


def int_tensor(name, values, dtype):
    """A TensorProto of integer codes; INT4 packed two to a byte, the first in the low nibble."""
    values = np.asarray(values)
    if dtype != INT4:
        return numpy_helper.from_array(values.astype(NUMPY[dtype]), name)
    flat = values.astype(np.int64).ravel() & 0xF
    if flat.size % 2:
        flat = np.append(flat, 0)
    t = onnx.TensorProto()
    t.name = name
    t.data_type = INT4
    t.dims.extend(values.shape)
    t.raw_data = (flat[0::2] | (flat[1::2] << 4)).astype(np.uint8).tobytes()
    return t


def strip_prefix(model, prefix):
    """Renames every tensor that starts with prefix (the scripted wrapper's "m.")."""
    if not prefix:
        return

    def fix(name):
        return name[len(prefix):] if name.startswith(prefix) else name

    for g in all_graphs(model.graph):
        for t in g.initializer:
            t.name = fix(t.name)
        for v in list(g.input) + list(g.output) + list(g.value_info):
            v.name = fix(v.name)
        for n in g.node:
            n.input[:] = [fix(i) for i in n.input]
            n.output[:] = [fix(o) for o in n.output]


def all_graphs(graph):
    yield graph
    for n in graph.node:
        for a in n.attribute:
            if a.type == onnx.AttributeProto.GRAPH:
                yield from all_graphs(a.g)
            for sub in a.graphs:
                yield from all_graphs(sub)


def float_summary(model):
    tensor = sum(tensor_bytes(t) for t in model.graph.initializer)
    return {"summary": {"opset": opset_of(model), "tensor_bytes": tensor, "float_bytes": tensor, "layers": []}}


def opset_of(model):
    return next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 0)


class Graph:
    """Producers, consumers, initializers and constant values of the main graph."""

    def __init__(self, graph):
        self.g = graph
        self.init = {t.name: t for t in graph.initializer}
        self.producer, self.consumers = {}, {}
        for n in graph.node:
            for o in n.output:
                self.producer[o] = n
            for i in n.input:
                self.consumers.setdefault(i, []).append(n)

    def value(self, name):
        """A constant's value (initializer or Constant node), else None."""
        if name in self.init:
            return numpy_helper.to_array(self.init[name])
        n = self.producer.get(name)
        if n is not None and n.op_type == "Constant":
            for a in n.attribute:
                if a.name == "value":
                    return numpy_helper.to_array(a.t)
        return None


def weight_codes(layer, w):
    """The integer codes of a weight baked onto its grid, checked to dequantize to it bit for bit."""
    name, bits, gran = layer["name"], layer["bits"], layer["granularity"]
    scales = np.asarray(layer["scales"], dtype=np.float32)
    shape = list(w.shape)
    if shape != list(layer["shape"]):
        raise RewriteError(f"layer {name}: the exported weight has shape {shape}, quantscope's {layer['shape']}")
    out = shape[0]
    rows = w.reshape(out, -1)
    if gran == "per_tensor":
        s = np.broadcast_to(scales.reshape(1, 1), rows.shape)
    elif gran == "per_channel":
        s = np.broadcast_to(scales.reshape(out, 1), rows.shape)
    else:
        g = int(layer["group_size"])
        s = np.repeat(scales.reshape(out, -1), g, axis=1)[:, : rows.shape[1]]
    q = np.rint(rows.astype(np.float64) / s.astype(np.float64))
    lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    if q.min() < lo or q.max() > hi:
        raise RewriteError(f"layer {name}: codes outside the {bits}-bit range [{lo}, {hi}]")
    if not np.array_equal((q.astype(np.float32) * s).astype(np.float32), rows):
        bad = int(np.argmax((q.astype(np.float32) * s) != rows))
        raise RewriteError(f"layer {name}: the weight is not on its {bits}-bit grid at element {bad} "
                           f"(the model given is not the one the scales were calibrated for)")
    return q.astype(np.int64) if gran == "per_group" else q.astype(np.int64).reshape(shape)


def weight_encodings(layer):
    bits = layer["bits"]
    return [{"bitwidth": bits, "dtype": "int", "is_symmetric": "True", "min": -s * 2 ** (bits - 1),
             "max": s * (2 ** (bits - 1) - 1), "offset": -(2 ** (bits - 1)), "scale": s} for s in layer["scales"]]


def activation_encodings(inp):
    def one(lo, hi, scale, zp):
        return {"bitwidth": inp["bits"], "dtype": "int", "is_symmetric": "False", "min": lo, "max": hi,
                "offset": -zp, "scale": scale, "zero_point": zp}

    if "channel_scales" not in inp:
        return [one(inp["min"], inp["max"], inp["scale"], inp["zero_point"])]
    return [one(lo, hi, s, z) for lo, hi, s, z in zip(inp["channel_min"], inp["channel_max"], inp["channel_scales"],
                                                       inp["channel_zero_points"])]


def replace_weight(gr, layer, quantizers, new_nodes, new_inits):
    """Swaps the float weight and its QuantizeLinear/DequantizeLinear pairs for an integer initializer
    and one DequantizeLinear whose output carries the parameter's own name."""
    p, bits, gran = layer["param"], layer["bits"], layer["granularity"]
    w = numpy_helper.to_array(gr.init[p]).astype(np.float32)
    codes = weight_codes(layer, w)
    dtype = storage_type(bits)
    scales = np.asarray(layer["scales"], dtype=np.float32)
    out = w.shape[0]
    attrs = {}
    if gran == "per_tensor":
        scales = scales.reshape(())
    elif gran == "per_channel":
        attrs = {"axis": 0}
    else:
        scales = scales.reshape(out, -1)
        attrs = {"axis": 1, "block_size": int(layer["group_size"])}
    offset = 128 if dtype == UINT8 else 0
    zero = np.full(scales.shape, offset, dtype=np.int64)
    q_t, s_t, z_t = int_tensor(p + "_quantized", codes + offset, dtype), \
        numpy_helper.from_array(scales, p + "_scale"), int_tensor(p + "_zero_point", zero, dtype)
    new_inits += [q_t, s_t, z_t]
    dq_out = p if gran != "per_group" or w.ndim == 2 else p + "_rows"
    new_nodes.append(onnx.helper.make_node("DequantizeLinear", [q_t.name, s_t.name, z_t.name], [dq_out],
                                           name=p + "_DequantizeLinear", **attrs))
    if dq_out != p:
        shape = numpy_helper.from_array(np.asarray(w.shape, dtype=np.int64), p + "_shape")
        new_inits.append(shape)
        new_nodes.append(onnx.helper.make_node("Reshape", [dq_out, shape.name], [p], name=p + "_Reshape"))
    # Every consumer of the old pairs now reads the parameter's name.
    for q in quantizers:
        for dq in gr.consumers.get(q.output[0], []):
            if dq.op_type != "DequantizeLinear":
                raise RewriteError(f"layer {layer['name']}: its weight quantizer feeds {dq.op_type}, "
                                   f"not DequantizeLinear")
            for c in gr.consumers.get(dq.output[0], []):
                c.input[:] = [p if i == dq.output[0] else i for i in c.input]
            gr.g.node.remove(dq)
        gr.g.node.remove(q)
    gr.g.initializer.remove(gr.init.pop(p))
    name, bits_stored = STORAGE[dtype]
    return {"name": layer["name"], "param": p, "bits": bits, "storage": name, "granularity": gran,
            "code_bytes": tensor_bytes(q_t), "scale_bytes": tensor_bytes(s_t), "zero_point_bytes": tensor_bytes(z_t),
            "padding_bits": bits_stored - bits, "elements": int(w.size)}


def weight_param(gr, name):
    """The parameter a layer operator's weight input comes from, through reshapes and transposes."""
    seen = 0
    while name not in gr.init and seen < 16:
        n = gr.producer.get(name)
        if n is None:
            return name
        if n.op_type not in PASS_THROUGH | {"QuantizeLinear", "DequantizeLinear"} or not n.input:
            return None
        name, seen = n.input[0], seen + 1
    return name


def quantized_tensor(gr, q):
    """The activation a QuantizeLinear quantizes: its input, before the clamp quantscope puts in front
    of quantizers below 8 bits."""
    name = q.input[0]
    n = gr.producer.get(name)
    while n is not None and n.op_type in ("Clip", "Max", "Min") and len(gr.consumers.get(name, [])) == 1:
        name = n.input[0]
        n = gr.producer.get(name)
    return name


def quantize_weights(model, spec):
    gr = Graph(model.graph)
    layers = {l["param"]: l for l in spec["layers"]}
    quantizers = {}
    for n in model.graph.node:
        if n.op_type == "QuantizeLinear" and n.input[0] in layers and n.input[0] in gr.init:
            quantizers.setdefault(n.input[0], []).append(n)
    missing = [l["name"] for p, l in layers.items() if p not in quantizers]
    if missing:
        raise RewriteError(f"layer {missing[0]}: its weight reaches no quantizer in the exported graph "
                           f"(torch.onnx.export folded it into another tensor)")

    # Each quantized layer's operators (found before the weights change) and what feeds them.
    ops = {}
    for n in model.graph.node:
        if n.op_type in LAYER_OPS and len(n.input) > 1:
            p = weight_param(gr, n.input[1])
            if p in layers:
                ops.setdefault(layers[p]["name"], []).append(n)

    new_nodes, new_inits, storage = [], [], []
    for p, layer in layers.items():
        storage.append(replace_weight(gr, layer, quantizers[p], new_nodes, new_inits))
    model.graph.initializer.extend(new_inits)
    for n in reversed(new_nodes):  # their inputs are initializers: first in topological order
        model.graph.node.insert(0, n)

    param_enc, act_enc, per_layer = {}, {}, {}
    for layer in spec["layers"]:
        param_enc[layer["param"]] = weight_encodings(layer)
        entry = {"weight": layer["param"], "bits": layer["bits"], "granularity": layer["granularity"],
                 "storage": STORAGE[storage_type(layer["bits"])][0]}
        if layer["granularity"] == "per_group":
            entry["group_size"] = layer["group_size"]
        inp = layer.get("input")
        if inp:
            tensor, how = input_quantizer(gr, layer, ops.get(layer["name"], []))
            act_enc[tensor] = activation_encodings(inp)
            entry["input"] = tensor
            entry["input_quantizer"] = how
        per_layer[layer["name"]] = entry

    prune(model.graph)
    upgrade = any(l["bits"] <= 4 or l["bits"] > 8 or l["granularity"] == "per_group" for l in spec["layers"])
    if upgrade:
        upgrade_opset(model, 21)
    tensor = sum(tensor_bytes(t) for t in model.graph.initializer)
    float_bytes = sum(tensor_bytes(t) for t in model.graph.initializer if t.data_type == onnx.TensorProto.FLOAT)
    summary = {"opset": opset_of(model), "tensor_bytes": tensor, "float_bytes": float_bytes, "layers": storage,
               "activation_quantizers": len(act_enc)}
    encodings = {"version": "0.6.1", "activation_encodings": act_enc, "param_encodings": param_enc,
                 "excluded_layers": [], "quantizer_args": spec.get("quantizer_args", {}), "layers": per_layer}
    return {"summary": summary, "encodings": encodings}


def prune(graph):
    """Drops Constant nodes and initializers nothing reads any more (the replaced quantizers')."""
    while True:
        used = {i for n in graph.node for i in n.input} | {o.name for o in graph.output}
        dead = [n for n in graph.node if n.op_type == "Constant" and n.output[0] not in used]
        for n in dead:
            graph.node.remove(n)
        unused = [t for t in graph.initializer if t.name not in used]
        for t in unused:
            graph.initializer.remove(t)
        if not dead and not unused:
            return


def attr(node, name, default):
    for a in node.attribute:
        if a.name == name:
            return onnx.helper.get_attribute_value(a)
    return default


def input_quantizer(gr, layer, layer_ops):
    """The tensor a layer's input quantizer quantizes, checked to carry quantscope's parameters, and
    how it is expressed: a QuantizeLinear/DequantizeLinear pair per tensor (after a Clip below 8 bits),
    or per channel (per-embedding-group ranges) the arithmetic x * (1/s), clamp, Round, * s."""
    name = layer["name"]
    inp = layer["input"]
    for op in layer_ops:
        n = gr.producer.get(op.input[0])
        if n is not None and n.op_type == "DequantizeLinear":
            q = gr.producer.get(n.input[0])
            if q is None or q.op_type != "QuantizeLinear":
                continue
            scale, zp = gr.value(q.input[1]), gr.value(q.input[2])
            if scale is None or zp is None or "channel_scales" in inp or \
                    np.float32(scale.ravel()[0]) != np.float32(inp["scale"]) or int(zp.ravel()[0]) != inp["zero_point"]:
                raise RewriteError(f"layer {name}: the exported input quantizer differs from the calibrated one")
            return quantized_tensor(gr, q), "QuantizeLinear/DequantizeLinear per tensor" + \
                (f" after Clip to the {inp['bits']}-bit range" if inp["bits"] < 8 else "")
        if n is not None and n.op_type == "Mul" and "channel_scales" in inp:
            r = gr.producer.get(n.input[0])
            if r is None or r.op_type != "Round":
                continue
            cur = gr.producer.get(r.input[0])
            while cur is not None and cur.op_type in ("Max", "Min", "Clip"):
                cur = gr.producer.get(cur.input[0])
            if cur is None or cur.op_type != "Mul":
                continue
            chain = [n, cur]
            scale = gr.value(chain[0].input[1])
            want = np.asarray(inp["channel_scales"], dtype=np.float32)
            if scale is None or scale.size != want.size or not np.array_equal(scale.astype(np.float32).ravel(), want):
                raise RewriteError(f"layer {name}: the exported per-channel input quantizer differs from the "
                                   f"calibrated one")
            axis = "last axis" if scale.ndim == 1 else "axis 1"
            return chain[-1].input[0], f"per channel ({axis}): Mul by 1/scale, clamp, Round, Mul by scale"
    raise RewriteError(f"layer {name}: its input quantizer is missing from the exported graph")


def upgrade_opset(model, target):
    """Opset 13 -> 21 for the operators torch 1.13 emits: Reduce* take their axes as an input from
    opset 18, Split without sizes needs num_outputs; every other operator it emits means the same."""
    for g in all_graphs(model.graph):
        extra = []
        for n in g.node:
            if n.domain not in ("", "ai.onnx"):
                continue
            if n.op_type in NOT_UPGRADED:
                raise RewriteError(f"the operator {n.op_type} ({n.name}) cannot be moved to opset {target}, "
                                   f"which INT4, INT16 and blocked weights need")
            if n.op_type in REDUCE_18:
                axes = [a for a in n.attribute if a.name == "axes"]
                if axes:
                    name = (n.name or n.output[0]) + "_axes"
                    extra.append(numpy_helper.from_array(np.asarray(list(axes[0].ints), dtype=np.int64), name))
                    n.attribute.remove(axes[0])
                    n.input.append(name)
            elif n.op_type == "Split" and (len(n.input) < 2 or not n.input[1]):
                if not any(a.name == "num_outputs" for a in n.attribute):
                    n.attribute.append(onnx.helper.make_attribute("num_outputs", len(n.output)))
        g.initializer.extend(extra)
    for o in model.opset_import:
        if o.domain in ("", "ai.onnx"):
            o.version = target
    model.ir_version = 10  # INT4 and opset 21 need IR version 10 (ONNX 1.16)
