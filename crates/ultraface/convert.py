#!/usr/bin/env python3
"""Turns UltraFace's ONNX export into the small weight file the audit reads.

UltraFace (Ultra-Light-Fast-Generic-Face-Detector-1MB, MIT licence, see
model/LICENSE) publishes its trained network as ONNX. The audit does not link an
ONNX runtime: `crates/ultraface` runs the network's four kinds of layer
itself, from this file. The conversion folds every batch normalisation into
the convolution before it, fuses each ReLU into the layer it follows, and
stops at the eight head convolutions (the box decoding is done in Rust, from
the authors' prior boxes).

    pip install onnx numpy
    git clone https://github.com/Linzaer/Ultra-Light-Fast-Generic-Face-Detector-1MB
    # commit dffdddda9794a50607cba8f318507a28c1c27cab
    python3 crates/ultraface/convert.py \
        Ultra-Light-Fast-Generic-Face-Detector-1MB/models/onnx/version-RFB-640.onnx \
        crates/ultraface/model/rfb640.bin

File layout, all little-endian: b"UFACE1\\0\\0", u32 tensor count, u32 op
count, then per op a u32 kind and its fields:
  1 conv:   in, out, cin, cout, k, stride, pad, dilation, groups, relu,
            then cout*cin/groups*k*k f32 weights (cout, cin/groups, ky, kx)
            and cout f32 biases
  2 add:    a, b, out, relu
  3 concat: n, n tensor ids, out (along channels)
  4 head:   tensor, what (0 scores, 1 boxes), level (0..3)
Tensor 0 is the input (3 x H x W, RGB scaled (v - 127) / 128).
"""
import struct
import sys

import numpy as np
import onnx
from onnx import numpy_helper


def main(src, dst):
    g = onnx.load(src).graph
    inits = {t.name: numpy_helper.to_array(t).astype(np.float32) for t in g.initializer}
    nodes = list(g.node)
    consumers = {}
    for n in nodes:
        for i in n.input:
            consumers.setdefault(i, []).append(n)
    ids = {g.input[0].name: 0}

    def tid(name):
        if name not in ids:
            ids[name] = len(ids)
        return ids[name]

    def only_next(name, op):
        c = consumers.get(name, [])
        return c[0] if len(c) == 1 and c[0].op_type == op else None

    ops = []
    heads = []
    done = set()
    for n in nodes:
        if id(n) in done:
            continue
        a = {x.name: onnx.helper.get_attribute_value(x) for x in n.attribute}
        if n.op_type == "Conv":
            w = inits[n.input[1]]
            b = inits[n.input[2]] if len(n.input) > 2 else np.zeros(w.shape[0], np.float32)
            out = n.output[0]
            bn = only_next(out, "BatchNormalization")
            if bn is not None:
                gamma, beta, mean, var = (inits[x] for x in bn.input[1:5])
                eps = next((x.f for x in bn.attribute if x.name == "epsilon"), 1e-5)
                s = gamma / np.sqrt(var + eps)
                w = w * s[:, None, None, None]
                b = (b - mean) * s + beta
                done.add(id(bn))
                out = bn.output[0]
            relu = only_next(out, "Relu")
            if relu is not None:
                done.add(id(relu))
                out = relu.output[0]
            k = a["kernel_shape"]
            assert k[0] == k[1] and len(set(a["pads"])) == 1 and len(set(a["strides"])) == 1
            assert len(set(a["dilations"])) == 1
            ops.append(("conv", tid(n.input[0]), tid(out), w.shape[1] * a["group"], w.shape[0], k[0],
                        a["strides"][0], a["pads"][0], a["dilations"][0], a["group"], int(relu is not None),
                        w.astype("<f4").tobytes(), b.astype("<f4").tobytes()))
        elif n.op_type == "Add" and all(i in ids for i in n.input):
            relu = only_next(n.output[0], "Relu")
            out = n.output[0]
            if relu is not None:
                done.add(id(relu))
                out = relu.output[0]
            ops.append(("add", tid(n.input[0]), tid(n.input[1]), tid(out), int(relu is not None)))
        elif n.op_type == "Concat" and a.get("axis") == 1 and all(i in ids for i in n.input):
            ops.append(("concat", [tid(i) for i in n.input], tid(n.output[0])))
        elif n.op_type == "Transpose":
            # a head: the conv output, transposed to (H, W, anchors*k) and reshaped
            src_name = n.input[0]
            producer = [m for m in nodes if src_name in m.output][0]
            weight = producer.input[1]
            what = 0 if weight.startswith("classification") else 1
            level = int(weight.split(".")[1])
            heads.append(("head", tid(src_name), what, level))
    ops.extend(heads)
    with open(dst, "wb") as f:
        f.write(b"UFACE1\0\0")
        f.write(struct.pack("<II", len(ids), len(ops)))
        for op in ops:
            if op[0] == "conv":
                f.write(struct.pack("<11I", 1, *op[1:11]))
                f.write(op[11])
                f.write(op[12])
            elif op[0] == "add":
                f.write(struct.pack("<5I", 2, *op[1:5]))
            elif op[0] == "concat":
                f.write(struct.pack("<2I", 3, len(op[1])))
                f.write(struct.pack(f"<{len(op[1])}I", *op[1]))
                f.write(struct.pack("<I", op[2]))
            else:
                f.write(struct.pack("<4I", 4, *op[1:4]))
    print(f"{dst}: {len(ops)} ops ({len(heads)} heads), {len(ids)} tensors")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
