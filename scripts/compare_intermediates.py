#!/usr/bin/env python3
"""Debugging aid: runs a model with kiln and with onnx's reference evaluator, exposing every
intermediate value as an output, and prints the first values that differ.

    compare_intermediates.py MODEL.onnx INPUT_DIR_OR_NPY... [--kiln build/bin/kiln]

Inputs: .npy files in graph-input order, or a test_data_set_N folder with input_i.pb files.
"""
import glob
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import numpy_helper
from onnx.reference import ReferenceEvaluator


def main():
    args = sys.argv[1:]
    kiln = "build/bin/kiln"
    if "--kiln" in args:
        i = args.index("--kiln")
        kiln = args[i + 1]
        del args[i:i + 2]
    model = onnx.load(args[0])
    inits = {i.name for i in model.graph.initializer}
    inputs = [i for i in model.graph.input if i.name not in inits]
    if len(args) == 2 and os.path.isdir(args[1]):
        files = sorted(glob.glob(os.path.join(args[1], "input_*.pb")))
        arrays = [numpy_helper.to_array(onnx.load_tensor(f)) for f in files]
    else:
        arrays = [np.load(f) for f in args[1:]]
    feeds = {i.name: a for i, a in zip(inputs, arrays)}
    existing = {o.name for o in model.graph.output}
    for node in model.graph.node:
        for o in node.output:
            if o and o not in existing:
                model.graph.output.append(onnx.ValueInfoProto(name=o))
                existing.add(o)
    ref = dict(zip([o.name for o in model.graph.output],
                   ReferenceEvaluator(model).run(None, feeds)))
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "model.onnx")
        onnx.save(model, path)
        cmd = [kiln, "run", path, "--runs", "1", "--output-dir", tmp]
        for name, a in feeds.items():
            np.save(os.path.join(tmp, "in_" + str(len(cmd)) + ".npy"), a)
            cmd += ["--input", f"{name}={os.path.join(tmp, 'in_' + str(len(cmd)) + '.npy')}"]
        subprocess.run(cmd, check=True, capture_output=True)
        for node in model.graph.node:
            for o in node.output:
                if not o:
                    continue
                f = os.path.join(tmp, o.replace("/", "_") + ".npy")
                if not os.path.exists(f):
                    print(f"{node.op_type} '{node.name}' output {o}: not written by kiln")
                    continue
                got, want = np.load(f), np.asarray(ref[o])
                if got.shape != want.shape or not np.allclose(got, want, rtol=1e-3, atol=1e-5):
                    diff = np.max(np.abs(got.astype(np.float64) - want)) if got.shape == want.shape else None
                    print(f"FIRST DIFF at {node.op_type} '{node.name}' output {o}: kiln "
                          f"{got.dtype}{list(got.shape)}, reference {want.dtype}{list(want.shape)}, "
                          f"max abs diff {diff}")
                    print("  inputs:", list(node.input), "attrs:", [(a.name, onnx.helper.get_attribute_value(a)) for a in node.attribute])
                    return
    print("all intermediates match")


if __name__ == "__main__":
    main()
