#!/usr/bin/env python3
"""Per-call overhead of `session.run` from Python: kiln's package against onnxruntime's, on tiny
models where the kernels cost next to nothing, timed in the same process and run. A benchmark,
not a test: it reports the ratio, it never fails on a figure.

    PYTHONPATH=build/python .venv/bin/python bench/python_overhead.py [--calls 20000] [--repeats 5]

Cases: one Relu over 8 floats (one input, one output), and Add + Mul + Relu over three [1, 16]
inputs with two outputs. Each engine runs its warm-up calls, then `repeats` rounds of `calls`
calls alternating between the engines; the figure is the best round's microseconds per call.
"""
import argparse
import os
import platform
import time

import numpy as np
import onnx
from onnx import TensorProto, helper

import kiln
import onnxruntime


def tiny_models():
    relu = helper.make_model(
        helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "relu",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, [8])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [8])]),
        opset_imports=[helper.make_opsetid("", 17)], ir_version=10)
    three = helper.make_model(
        helper.make_graph(
            [helper.make_node("Add", ["a", "b"], ["s"]), helper.make_node("Mul", ["s", "c"], ["p"]),
             helper.make_node("Relu", ["p"], ["y"])], "three",
            [helper.make_tensor_value_info(n, TensorProto.FLOAT, [1, 16]) for n in "abc"],
            [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 16]),
             helper.make_tensor_value_info("s", TensorProto.FLOAT, [1, 16])]),
        opset_imports=[helper.make_opsetid("", 17)], ir_version=10)
    rng = np.random.default_rng(0)
    return [("relu[8]", relu, {"x": rng.standard_normal(8).astype(np.float32)}),
            ("add-mul-relu[1,16], 2 outputs", three,
             {n: rng.standard_normal((1, 16)).astype(np.float32) for n in "abc"})]


def rounds(sessions, feeds, calls, repeats):
    best = {name: float("inf") for name in sessions}
    for name, s in sessions.items():
        for _ in range(min(calls, 1000)):
            s.run(None, feeds)
    for _ in range(repeats):
        for name, s in sessions.items():
            t0 = time.perf_counter()
            for _ in range(calls):
                s.run(None, feeds)
            best[name] = min(best[name], (time.perf_counter() - t0) / calls * 1e6)
    return best


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=20000)
    ap.add_argument("--repeats", type=int, default=5)
    a = ap.parse_args()
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs; "
          f"kiln {kiln.__version__}, onnxruntime {onnxruntime.__version__}")
    print(f"{'model':34} {'kiln us/call':>13} {'ORT us/call':>12} {'kiln/ORT':>9}")
    for label, model, feeds in tiny_models():
        data = model.SerializeToString()
        sessions = {"kiln": kiln.InferenceSession(data, providers=["CPUExecutionProvider"]),
                    "ort": onnxruntime.InferenceSession(data, providers=["CPUExecutionProvider"])}
        for k, o in zip(sessions["kiln"].run(None, feeds), sessions["ort"].run(None, feeds)):
            np.testing.assert_allclose(k, o, rtol=1e-6)
        best = rounds(sessions, feeds, a.calls, a.repeats)
        print(f"{label:34} {best['kiln']:13.2f} {best['ort']:12.2f} "
              f"{best['kiln'] / best['ort']:9.2f}")


if __name__ == "__main__":
    main()
