#!/usr/bin/env python3
"""Generates the demo model: LeNet-5 (conv-relu-pool x2, three dense layers, softmax) over a
1x1x32x32 image, with seeded random weights, and a deterministic input image.

    make_demo_model.py OUTDIR   ->  OUTDIR/lenet5.onnx, OUTDIR/input.npy
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(2026)

    def w(name, shape, fan_in):
        return numpy_helper.from_array(
            (rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)).astype(np.float32), name)

    inits = [
        w("c1_w", (6, 1, 5, 5), 25), w("c1_b", (6,), 25),
        w("c2_w", (16, 6, 5, 5), 150), w("c2_b", (16,), 150),
        w("f1_w", (120, 400), 400), w("f1_b", (120,), 400),
        w("f2_w", (84, 120), 120), w("f2_b", (84,), 120),
        w("f3_w", (10, 84), 84), w("f3_b", (10,), 84),
    ]
    nodes = [
        helper.make_node("Conv", ["image", "c1_w", "c1_b"], ["c1"], name="conv1"),
        helper.make_node("Relu", ["c1"], ["r1"], name="relu1"),
        helper.make_node("MaxPool", ["r1"], ["p1"], name="pool1", kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Conv", ["p1", "c2_w", "c2_b"], ["c2"], name="conv2"),
        helper.make_node("Relu", ["c2"], ["r2"], name="relu2"),
        helper.make_node("MaxPool", ["r2"], ["p2"], name="pool2", kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Flatten", ["p2"], ["flat"], name="flatten"),
        helper.make_node("Gemm", ["flat", "f1_w", "f1_b"], ["f1"], name="fc1", transB=1),
        helper.make_node("Relu", ["f1"], ["r3"], name="relu3"),
        helper.make_node("Gemm", ["r3", "f2_w", "f2_b"], ["f2"], name="fc2", transB=1),
        helper.make_node("Relu", ["f2"], ["r4"], name="relu4"),
        helper.make_node("Gemm", ["r4", "f3_w", "f3_b"], ["logits"], name="fc3", transB=1),
        helper.make_node("Softmax", ["logits"], ["probs"], name="softmax", axis=-1),
    ]
    graph = helper.make_graph(
        nodes, "lenet5",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["batch", 1, 32, 32])],
        [helper.make_tensor_value_info("probs", TensorProto.FLOAT, ["batch", 10])],
        initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)],
                              producer_name="kiln-demo", ir_version=8)
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(out, "lenet5.onnx"))
    yy, xx = np.mgrid[0:32, 0:32]
    image = (np.sin(xx / 3.0) * np.cos(yy / 5.0)).astype(np.float32).reshape(1, 1, 32, 32)
    np.save(os.path.join(out, "input.npy"), image)


if __name__ == "__main__":
    main()
