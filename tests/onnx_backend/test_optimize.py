#!/usr/bin/env python3
"""`kiln optimize` keeps models valid and their outputs unchanged.

Each case is a model: small ones built here with onnx.helper, and two light backend models
(BUILD/onnx_backend/light, found next to the kiln binary's folder). For each, `kiln optimize IN OUT
--level 3` must succeed; OUT must pass onnx.checker.check_model(full_check=True); onnxruntime (its
own graph optimizations off) must give the same outputs for IN and OUT on the same seeded inputs
(symbolic dims = 3, so that nothing is folded for batch 1); and OUT must have no
BatchNormalization, Identity or Dropout node where IN had them.

    test_optimize.py PATH/TO/kiln [LIGHT_MODELS_DIR]
"""
import collections
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

REMOVED = ("BatchNormalization", "Identity", "Dropout")
LIGHT = ("test_resnet50", "test_squeezenet")  # BatchNormalization after Conv; Dropout
RTOL, ATOL = 1e-4, 1e-5  # ATOL + RTOL * max |output|
rng = np.random.default_rng(0)


def model(nodes, inputs, outputs, inits=(), opset=17):
    g = helper.make_graph(nodes, "g", inputs, outputs, initializer=list(inits))
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)], ir_version=8)


def vi(name, shape, t=TensorProto.FLOAT):
    return helper.make_tensor_value_info(name, t, shape)


def init(name, shape, low=None):
    a = rng.uniform(low, 1.5, shape) if low is not None else rng.standard_normal(shape)
    return numpy_helper.from_array(a.astype(np.float32), name)


def bn_params(prefix, c):
    return [init(prefix + "_scale", [c], 0.5), init(prefix + "_bias", [c]),
            init(prefix + "_mean", [c]), init(prefix + "_var", [c], 0.5)]


def case_conv_bn_relu():
    # Conv (with bias) -> BN -> Relu -> Conv (no bias) -> BN, symbolic batch.
    bn = lambda p, x, y: helper.make_node(
        "BatchNormalization", [x, p + "_scale", p + "_bias", p + "_mean", p + "_var"], [y],
        name=p, epsilon=1e-3)
    nodes = [helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], name="conv1", pads=[1, 1, 1, 1]),
             bn("bn1", "c1", "n1"),
             helper.make_node("Relu", ["n1"], ["r1"], name="relu"),
             helper.make_node("Conv", ["r1", "w2"], ["c2"], name="conv2"),
             bn("bn2", "c2", "y")]
    inits = [init("w1", [4, 3, 3, 3]), init("b1", [4]), init("w2", [2, 4, 1, 1])]
    inits += bn_params("bn1", 4) + bn_params("bn2", 2)
    return model(nodes, [vi("x", ["N", 3, 8, 8])], [vi("y", ["N", 2, 8, 8])], inits)


def case_matmul_add():
    # 2-D MatMul + Add (a Gemm candidate), bias first; 3-D MatMul + Add (no plain Gemm).
    nodes = [helper.make_node("MatMul", ["x", "w"], ["m"], name="mm"),
             helper.make_node("Add", ["b", "m"], ["y"], name="add"),
             helper.make_node("MatMul", ["x3", "w"], ["m3"], name="mm3"),
             helper.make_node("Add", ["m3", "b"], ["y3"], name="add3")]
    return model(nodes, [vi("x", ["N", 8]), vi("x3", ["N", 5, 8])],
                 [vi("y", ["N", 4]), vi("y3", ["N", 5, 4])], [init("w", [8, 4]), init("b", [4])])


def case_identity_dropout():
    # Identity and Dropout (attribute-free, with a ratio input, with an unused mask output) chains,
    # an Identity on an initializer and one that produces a graph output.
    nodes = [helper.make_node("Identity", ["x"], ["i1"], name="id1"),
             helper.make_node("Dropout", ["i1"], ["d1"], name="drop1"),
             helper.make_node("Identity", ["d1"], ["i2"], name="id2"),
             helper.make_node("Relu", ["i2"], ["r"], name="relu"),
             helper.make_node("Dropout", ["r", "ratio"], ["d2", "mask"], name="drop2"),
             helper.make_node("Identity", ["w"], ["wi"], name="idw"),
             helper.make_node("Add", ["d2", "wi"], ["a"], name="add"),
             helper.make_node("Identity", ["a"], ["y"], name="id_out"),
             helper.make_node("Dropout", ["i2"], ["z"], name="drop_out")]
    inits = [init("w", [6]), numpy_helper.from_array(np.array(0.5, np.float32), "ratio")]
    return model(nodes, [vi("x", ["N", 6])], [vi("y", ["N", 6]), vi("z", ["N", 6])], inits)


def case_shape_reshape():
    # Reshape to [batch, 12] with batch read at run time: Shape -> Gather -> Unsqueeze -> Concat.
    nodes = [helper.make_node("Shape", ["x"], ["s"], name="shape"),
             helper.make_node("Gather", ["s", "zero"], ["n"], name="gather", axis=0),
             helper.make_node("Unsqueeze", ["n", "axes"], ["n1"], name="unsqueeze"),
             helper.make_node("Concat", ["n1", "twelve"], ["shp"], name="concat", axis=0),
             helper.make_node("Reshape", ["x", "shp"], ["r"], name="reshape"),
             helper.make_node("Relu", ["r"], ["y"], name="relu")]
    i64 = lambda name, v: numpy_helper.from_array(np.array(v, np.int64), name)
    inits = [i64("zero", 0), i64("axes", [0]), i64("twelve", [12])]
    return model(nodes, [vi("x", ["N", 3, 4])], [vi("y", ["N", 12])], inits)


def seeded_feeds(m):
    inits = {i.name for i in m.graph.initializer}
    feeds = {}
    for i in m.graph.input:
        if i.name in inits:
            continue
        t = i.type.tensor_type
        shape = [d.dim_value if d.HasField("dim_value") else 3 for d in t.shape.dim]
        feeds[i.name] = rng.standard_normal(shape).astype(helper.tensor_dtype_to_np_dtype(t.elem_type))
    return feeds


def light_feeds(case_dir, m):
    data = os.path.join(case_dir, "test_data_set_0")
    inits = {i.name for i in m.graph.initializer}
    names = [i.name for i in m.graph.input if i.name not in inits]
    feeds = {}
    for k, name in enumerate(names):
        t = onnx.TensorProto()
        with open(os.path.join(data, f"input_{k}.pb"), "rb") as f:
            t.ParseFromString(f.read())
        feeds[name] = numpy_helper.to_array(t)
    return feeds


def run_ort(path, feeds):
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    so.log_severity_level = 3  # errors only: old models warn about initializers in inputs
    sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
    names = [o.name for o in sess.get_outputs()]
    return dict(zip(names, sess.run(names, feeds)))


def check(kiln, tmp, name, in_path, feeds):
    """Returns (problems, summary line)."""
    out_path = os.path.join(tmp, name + ".opt.onnx")
    r = subprocess.run([kiln, "optimize", in_path, out_path, "--level", "3"],
                       capture_output=True, text=True, timeout=300)
    if r.returncode != 0:
        out = (r.stdout + r.stderr).strip().splitlines()
        return [f"kiln optimize exited with status {r.returncode}: {out[0] if out else ''}"], ""
    try:
        onnx.checker.check_model(out_path, full_check=True)
    except Exception as e:  # noqa: BLE001 - any checker failure is a test failure
        return [f"onnx checker: {e}"], ""
    problems = []
    before = collections.Counter(n.op_type for n in onnx.load(in_path).graph.node)
    opt = onnx.load(out_path, load_external_data=False)
    # An Identity from a graph input straight to a graph output is the only way ONNX can spell
    # "this output is that input"; every other one must go.
    inputs = {i.name for i in opt.graph.input}
    outputs = {o.name for o in opt.graph.output}
    after = collections.Counter(
        n.op_type for n in opt.graph.node
        if not (n.op_type == "Identity" and n.input[0] in inputs and n.output[0] in outputs))
    problems += [f"{after[op]} {op} left (had {before[op]})" for op in REMOVED
                 if before[op] and after[op]]
    want = run_ort(in_path, feeds)
    try:
        got = run_ort(out_path, feeds)
    except Exception as e:  # noqa: BLE001 - onnxruntime rejecting OUT is a test failure
        return problems + [f"onnxruntime on the optimized model: {str(e)[:300]}"], ""
    if sorted(want) != sorted(got):
        problems.append(f"outputs {sorted(got)}, expected {sorted(want)}")
    for o in want:
        if o not in got:
            continue
        w, g = want[o], got[o]
        if w.shape != g.shape or w.dtype != g.dtype:
            problems.append(f"output {o}: {g.dtype}{list(g.shape)}, expected {w.dtype}{list(w.shape)}")
            continue
        diff = float(np.abs(w - g).max()) if w.size else 0.0
        tol = ATOL + RTOL * (float(np.abs(w).max()) if w.size else 0.0)
        if not diff <= tol:
            problems.append(f"output {o}: max abs diff {diff:.3g} > {tol:.3g}")
    summary = f"{sum(before.values())} -> {sum(after.values())} nodes"
    last = r.stdout.strip().splitlines()
    return problems, summary + (f"; {last[-1]}" if last else "")


def main():
    kiln = sys.argv[1]
    light = sys.argv[2] if len(sys.argv) > 2 else os.path.join(
        os.path.dirname(os.path.dirname(os.path.abspath(kiln))), "onnx_backend", "light")
    cases = [(k, v) for k, v in sorted(globals().items()) if k.startswith("case_")]
    passed = failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        todo = []
        for name, fn in cases:
            m = fn()
            onnx.checker.check_model(m, full_check=True)
            path = os.path.join(tmp, name + ".onnx")
            onnx.save(m, path)
            todo.append((name, path, seeded_feeds(m)))
        for name in LIGHT:
            case_dir = os.path.join(light, name)
            path = os.path.join(case_dir, "model.onnx")
            if not os.path.exists(path):
                failed += 1
                print(f"FAIL {name}: {path} not found (build the backend test data first)")
                continue
            todo.append((name, path, light_feeds(case_dir, onnx.load(path))))
        # Bad invocations: a clear message and a non-zero exit, never a crash.
        good = todo[0][1]
        for args, status, expect in [
                (["--disable", "no-such-pass"], 1, "unknown pass 'no-such-pass'"),
                (["--level", "7"], 2, "--level expects 0 to 3"),
                (["--bogus"], 2, "unknown option '--bogus'")]:
            r = subprocess.run([kiln, "optimize", good, os.path.join(tmp, "bad.onnx")] + args,
                               capture_output=True, text=True, timeout=60)
            out = r.stdout + r.stderr
            if r.returncode != status or expect not in out:
                failed += 1
                print(f"FAIL optimize {' '.join(args)}: exit {r.returncode}, output: {out.strip()[:200]}")
            else:
                passed += 1
                print(f"ok   optimize {' '.join(args)}: {expect}")
        r = subprocess.run([kiln, "optimize", os.path.join(tmp, "missing.onnx"),
                            os.path.join(tmp, "bad.onnx")], capture_output=True, text=True, timeout=60)
        if r.returncode != 1 or "cannot open" not in r.stderr:
            failed += 1
            print(f"FAIL optimize of a missing file: exit {r.returncode}, {r.stderr.strip()[:200]}")
        else:
            passed += 1
            print("ok   optimize of a missing file: " + r.stderr.strip())
        for name, path, feeds in todo:
            problems, summary = check(kiln, tmp, name, path, feeds)
            if problems:
                failed += 1
                print(f"FAIL {name}: {'; '.join(problems)}")
            else:
                passed += 1
                print(f"ok   {name}: {summary}")
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
