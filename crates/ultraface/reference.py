#!/usr/bin/env python3
"""Prints the REFERENCE table of `ultraface::tests`: the eight head
convolutions' outputs for a synthetic input, as ONNX Runtime computes them
from the authors' export, for the test to compare the Rust network with.

    pip install onnx onnxruntime numpy
    python3 crates/ultraface/reference.py \
        Ultra-Light-Fast-Generic-Face-Detector-1MB/models/onnx/version-RFB-640.onnx

The input is sin(0.05 x + 0.07 y + 1.3 c) * 0.9 at 640x480. Each row is
(level, boxes, the tensor's sum, values at four flat CHW indices).
"""
import sys

import numpy as np
import onnx
import onnxruntime as ort


def main(path):
    model = onnx.load(path)
    graph = model.graph
    heads = {}
    for node in graph.node:
        if node.op_type == "Transpose":
            heads[node.input[0]] = None
    for node in graph.node:
        if node.op_type == "Conv" and node.output[0] in heads:
            weight = node.input[1]
            heads[node.output[0]] = (int(weight.split(".")[1]), not weight.startswith("classification"))
    for name in heads:
        graph.output.append(onnx.helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, None))
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    h, w = 480, 640
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    data = np.stack([np.sin(0.05 * x + 0.07 * y + 1.3 * c) * 0.9 for c in range(3)]).astype(np.float32)[None]
    outputs = session.run(list(heads), {"input": data})
    for name, out in sorted(zip(heads, outputs), key=lambda t: heads[t[0]]):
        level, boxes = heads[name]
        flat = out[0].ravel()
        n = flat.size
        samples = ", ".join(f"({i}, {flat[i]:.5})" for i in [0, n // 3, n // 2, n - 1])
        print(f"({level}, {str(boxes).lower()}, {float(flat.astype(np.float64).sum()):.4}, [{samples}]),")


if __name__ == "__main__":
    main(sys.argv[1])
