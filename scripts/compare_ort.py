#!/usr/bin/env python3
"""Runs a model with onnxruntime and with kiln on the same seeded random inputs and prints each
output's max abs diff; exits 1 when one exceeds atol + rtol * max|onnxruntime output|.

    compare_ort.py MODEL.onnx [--kiln build/bin/kiln] [--shape NAME=d0,d1,...]... [--level N]
                   [--rtol 1e-4] [--atol 1e-4] [--seed 0]

Inputs: symbolic dims from --shape NAME=... (the full shape of that input) or 1. Floats are
standard normal; integers are token ids in [0, 100), except inputs named like *mask* (ones) and
*type* (token type ids: zeros); bools are true. --level N is handed to `kiln run`.
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnx
import onnxruntime as ort


def make_input(info, shapes, rng):
    name, t = info.name, info.type.tensor_type
    if name in shapes:
        shape = shapes[name]
    else:
        shape = [d.dim_value if d.HasField("dim_value") else 1 for d in t.shape.dim]
    dtype = onnx.helper.tensor_dtype_to_np_dtype(t.elem_type)
    if dtype == np.bool_:
        return np.ones(shape, dtype)
    if np.issubdtype(dtype, np.integer):
        low = name.lower()
        if "mask" in low:
            return np.ones(shape, dtype)
        if "type" in low:
            return np.zeros(shape, dtype)
        return rng.integers(0, 100, shape).astype(dtype)
    return rng.standard_normal(shape).astype(dtype)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("model")
    p.add_argument("--kiln", default="build/bin/kiln")
    p.add_argument("--shape", action="append", default=[], metavar="NAME=d0,d1,...")
    p.add_argument("--level", type=int)
    p.add_argument("--rtol", type=float, default=1e-4, help="relative to the output's max |value|")
    p.add_argument("--atol", type=float, default=1e-4)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()
    shapes = {}
    for s in a.shape:
        name, dims = s.split("=", 1)
        shapes[name] = [int(d) for d in dims.split(",") if d]

    model = onnx.load(a.model, load_external_data=False)
    inits = {i.name for i in model.graph.initializer}
    rng = np.random.default_rng(a.seed)
    feeds = {i.name: make_input(i, shapes, rng) for i in model.graph.input if i.name not in inits}
    outputs = [o.name for o in model.graph.output]

    t = time.time()
    sess = ort.InferenceSession(a.model, providers=["CPUExecutionProvider"])
    want = dict(zip(outputs, sess.run(outputs, feeds)))
    print(f"onnxruntime {ort.__version__}: {time.time() - t:.2f} s")

    with tempfile.TemporaryDirectory() as tmp:
        cmd = [a.kiln, "run", a.model, "--runs", "1", "--output-dir", tmp]
        for i, (name, value) in enumerate(feeds.items()):
            path = os.path.join(tmp, f"input_{i}.npy")
            np.save(path, value)
            cmd += ["--input", f"{name}={path}"]
        if a.level is not None:
            cmd += ["--level", str(a.level)]
        t = time.time()
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            print(f"FAIL kiln exited with status {r.returncode}:\n{(r.stdout + r.stderr).strip()}")
            sys.exit(1)
        print(f"kiln: {time.time() - t:.2f} s")
        got = {o: np.load(os.path.join(tmp, o + ".npy")) for o in outputs}

    failed = 0
    for o in outputs:
        w, g = want[o], got[o]
        if w.shape != g.shape:
            print(f"FAIL {o}: kiln shape {g.shape}, onnxruntime {w.shape}")
            failed += 1
            continue
        if w.dtype.kind in "fc":
            diff = float(np.nanmax(np.abs(w.astype(np.float64) - g))) if w.size else 0.0
            scale = float(np.abs(w).max()) if w.size else 0.0
            bad = not diff <= a.atol + a.rtol * scale or np.isnan(g).sum() != np.isnan(w).sum()
        else:
            diff = float(np.abs(w.astype(np.int64) - g.astype(np.int64)).max()) if w.size else 0
            scale, bad = float(np.abs(w).max()) if w.size else 0, diff != 0
        failed += bad
        print(f"{'FAIL' if bad else 'ok  '} {o} {list(w.shape)} {w.dtype}: max abs diff {diff:.3g}"
              f" (max |onnxruntime| {scale:.3g})")
    print(f"{len(outputs) - failed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
