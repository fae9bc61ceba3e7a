#!/usr/bin/env python3
"""Models through the `kiln` CLI.

Bad models get clear errors, never a crash: each case_* writes a broken model and checks that
`kiln run` exits with status 1 (an error, not a signal) and prints the expected message parts.
Each run_* case writes a valid model that needs import-time work (model-local functions,
function-defined ops without a kernel) and checks kiln's outputs against onnx's reference
evaluator.

    test_cli_models.py PATH/TO/kiln
"""
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from onnx.reference import ReferenceEvaluator


def model(nodes, inputs, outputs, inits=(), opset=17, extra_opsets=()):
    g = helper.make_graph(nodes, "g", inputs, outputs, initializer=list(inits))
    ops = [helper.make_opsetid("", opset)] + [helper.make_opsetid(d, v) for d, v in extra_opsets]
    return helper.make_model(g, opset_imports=ops, ir_version=8)


def vi(name, shape=(2,), t=TensorProto.FLOAT):
    return helper.make_tensor_value_info(name, t, shape)


def good():
    return model([helper.make_node("Relu", ["x"], ["y"], name="relu")], [vi("x")], [vi("y")])


def case_truncated(d):
    data = good().SerializeToString()
    return data[: len(data) // 2], ["InvalidModel"]


def case_not_onnx(d):
    return b"\x00\x01\x02 this is not an onnx file \xff\xfe", ["InvalidModel"]


def case_empty(d):
    return b"", ["InvalidModel", "empty"]


def case_unsupported_ops(d):
    nodes = [helper.make_node("Foo", ["x"], ["a"], name="f1", domain="com.acme"),
             helper.make_node("Foo", ["a"], ["b"], name="f2", domain="com.acme"),
             helper.make_node("Bar", ["b"], ["y"], name="bar")]
    m = model(nodes, [vi("x")], [vi("y")], extra_opsets=[("com.acme", 1)])
    return m.SerializeToString(), ["2 unsupported ops", "Foo (domain com.acme)", "(x2)", "Bar@opset 17"]


def case_unsupported_opset(d):
    m = good()
    m.opset_import[0].version = 99
    return m.SerializeToString(), ["Unsupported", "opset 99"]


def case_dangling(d):
    m = model([helper.make_node("Add", ["x", "nope"], ["y"], name="add")], [vi("x")], [vi("y")])
    return m.SerializeToString(), ["InvalidModel", "'add' (Add, opset 17)", "'nope'", "not defined"]


def case_cycle(d):
    nodes = [helper.make_node("Add", ["x", "b"], ["a"], name="n1"),
             helper.make_node("Relu", ["a"], ["b"], name="n2"),
             helper.make_node("Relu", ["a"], ["y"], name="n3")]
    m = model(nodes, [vi("x")], [vi("y")])
    return m.SerializeToString(), ["InvalidModel", "cycle"]


def case_duplicate_output(d):
    nodes = [helper.make_node("Relu", ["x"], ["y"], name="r1"),
             helper.make_node("Abs", ["x"], ["y"], name="r2")]
    m = model(nodes, [vi("x")], [vi("y")])
    return m.SerializeToString(), ["InvalidModel", "'y'", "already defined"]


def external_model(d, location):
    w = numpy_helper.from_array(np.ones(2, np.float32), "w")
    w.data_location = TensorProto.EXTERNAL
    w.ClearField("raw_data")
    for k, v in (("location", location), ("offset", "0"), ("length", "8")):
        e = w.external_data.add()
        e.key, e.value = k, v
    return model([helper.make_node("Add", ["x", "w"], ["y"], name="add")], [vi("x")], [vi("y")],
                 inits=[w])


def case_external_missing(d):
    return external_model(d, "weights.bin").SerializeToString(), ["InvalidModel", "weights.bin", "not found"]


def case_external_escape(d):
    return external_model(d, "../secret.bin").SerializeToString(), ["InvalidModel", "escapes"]


def case_external_absolute(d):
    return external_model(d, "/etc/passwd").SerializeToString(), ["InvalidModel", "absolute"]


def case_byte_overflow(d):
    w = TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[1 << 40, 1 << 40])
    m = model([helper.make_node("Add", ["x", "w"], ["y"], name="add")], [vi("x")], [vi("y")], inits=[w])
    return m.SerializeToString(), ["InvalidModel", "'w'", "overflows"]


def case_data_size_mismatch(d):
    w = TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[4],
                    raw_data=np.ones(2, np.float32).tobytes())
    m = model([helper.make_node("Add", ["x", "w"], ["y"], name="add")], [vi("x")], [vi("y")], inits=[w])
    return m.SerializeToString(), ["InvalidModel", "'w'", "16 bytes", "found 8"]


def case_bad_attribute_type(d):
    n = helper.make_node("Softmax", ["x"], ["y"], name="sm")
    n.attribute.append(helper.make_attribute("axis", 1.5))
    m = model([n], [vi("x")], [vi("y")], opset=13)
    return m.SerializeToString(), ["InvalidModel", "onnx checker", "'sm : axis'", "Expected: 'INT'",
                                   "OpType: Softmax"]


def run_model_local_function():
    # A model-local function "Scale(x) = Mul(x, Constant(alpha))" with an attribute reference.
    alpha = helper.make_attribute_ref("alpha", onnx.AttributeProto.FLOAT)
    const = helper.make_node("Constant", [], ["a"], value_float=1.0)
    const.attribute[0].CopyFrom(alpha)
    const.attribute[0].name = "value_float"
    body = [const, helper.make_node("Mul", ["x", "a"], ["y"])]
    fn = helper.make_function("local", "Scale", ["x"], ["y"], body,
                              [helper.make_opsetid("", 17)], attributes=["alpha"])
    nodes = [helper.make_node("Scale", ["x"], ["t"], domain="local", alpha=2.5),
             helper.make_node("Relu", ["t"], ["y"])]
    m = model(nodes, [vi("x", (3,))], [vi("y", (3,))], extra_opsets=[("local", 1)])
    m.functions.append(fn)
    return m, {"x": np.array([-1.0, 0.5, 2.0], np.float32)}


def run_function_op_without_kernel():
    # HannWindow has no kiln kernel; its schema's function body is inlined.
    m = model([helper.make_node("HannWindow", ["n"], ["y"], name="hann", periodic=1)],
              [vi("n", (), TensorProto.INT64)], [vi("y", (10,))], opset=17)
    return m, {"n": np.array(10, np.int64)}


def overridable_weight_model():
    # W is an initializer the graph also lists as an input (symbolic shape): a default that a
    # caller may override, as ONNX Runtime allows.
    w = np.linspace(-1, 1, 4 * 3 * 3 * 3, dtype=np.float32).reshape(4, 3, 3, 3)
    nodes = [helper.make_node("Conv", ["x", "w"], ["y"], name="conv", pads=[1, 1, 1, 1])]
    return model(nodes, [vi("x", (1, 3, 5, 4)), vi("w", ("m", "c", "kh", "kw"))],
                 [vi("y", ("n", "m", "h", "v"))], inits=[numpy_helper.from_array(w, "w")])


def run_overridable_initializer_default():
    return overridable_weight_model(), {"x": np.ones((1, 3, 5, 4), np.float32)}


def run_overridable_initializer_fed():
    w = np.cos(np.arange(4 * 2 * 3 * 3, dtype=np.float32)).reshape(4, 2, 3, 3)
    x = np.sin(np.arange(1 * 2 * 5 * 4, dtype=np.float32)).reshape(1, 2, 5, 4)
    m = overridable_weight_model()
    m.graph.input[0].CopyFrom(vi("x", (1, "c", 5, 4)))  # fed W of another shape: 2 channels
    return m, {"x": x, "w": w}


CASES = [v for k, v in sorted(globals().items()) if k.startswith("case_")]
RUNS = [v for k, v in sorted(globals().items()) if k.startswith("run_")]


def main():
    kiln = sys.argv[1]
    passed = failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        for fn in CASES:
            d = os.path.join(tmp, fn.__name__)
            os.makedirs(d)
            data, expect = fn(d)
            path = os.path.join(d, "model.onnx")
            with open(path, "wb") as f:
                f.write(data)
            r = subprocess.run([kiln, "run", path, "--runs", "1"], capture_output=True, text=True,
                               timeout=60)
            out = r.stdout + r.stderr
            problems = []
            if r.returncode != 1:
                problems.append(f"exit status {r.returncode}, expected 1")
            problems += [f"missing {e!r}" for e in expect if e not in out]
            if problems:
                failed += 1
                print(f"FAIL {fn.__name__}: {'; '.join(problems)}\n  output: {out.strip()}")
            else:
                passed += 1
                print(f"ok   {fn.__name__}: {out.strip().splitlines()[-1]}")
        for fn in RUNS:
            d = os.path.join(tmp, fn.__name__)
            os.makedirs(d)
            m, feeds = fn()
            path = os.path.join(d, "model.onnx")
            onnx.save(m, path)
            cmd = [kiln, "run", path, "--runs", "1", "--output-dir", d]
            for name, value in feeds.items():
                np.save(os.path.join(d, name + ".npy"), value)
                cmd += ["--input", f"{name}={os.path.join(d, name + '.npy')}"]
            r = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
            problems = []
            if r.returncode != 0:
                problems.append(f"exit status {r.returncode}: {(r.stdout + r.stderr).strip()}")
            else:
                expected = ReferenceEvaluator(m).run(None, feeds)
                for o, want in zip(m.graph.output, expected):
                    got = np.load(os.path.join(d, o.name + ".npy"))
                    if got.shape != want.shape or not np.allclose(got, want, rtol=1e-5, atol=1e-6):
                        problems.append(f"output {o.name}: got {got}, expected {want}")
            if problems:
                failed += 1
                print(f"FAIL {fn.__name__}: {'; '.join(problems)}")
            else:
                passed += 1
                print(f"ok   {fn.__name__}")
        # --seed: an unseeded RandomNormal gives the same values for the same session seed, and
        # fresh values without one.
        d = os.path.join(tmp, "random_seed")
        os.makedirs(d)
        node = helper.make_node("RandomNormal", [], ["y"], shape=[64])
        path = os.path.join(d, "model.onnx")
        onnx.save(model([node], [], [vi("y", (64,))], opset=22), path)

        def draw(tag, *extra):
            out = os.path.join(d, tag)
            os.makedirs(out)
            r = subprocess.run([kiln, "run", path, "--runs", "1", "--output-dir", out, *extra],
                               capture_output=True, text=True, timeout=60)
            return np.load(os.path.join(out, "y.npy")) if r.returncode == 0 else None

        a, b, c, e = draw("a", "--seed", "5"), draw("b", "--seed", "5"), draw("c"), draw("e")
        if any(v is None for v in (a, b, c, e)) or not np.array_equal(a, b) or np.array_equal(c, e):
            failed += 1
            print("FAIL random_seed: --seed 5 twice must agree and two unseeded runs differ")
        else:
            passed += 1
            print("ok   random_seed")
        ok, why = check_profile(kiln, tmp)
        passed += ok
        failed += not ok
        print(("ok   profile" if ok else "FAIL profile: ") + why)
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


def check_profile(kiln, tmp):
    """`kiln run --profile`: a trace in onnxruntime's format holding each run's nodes, the Loop's
    body nodes under the body's graph name, and the per-op summary over the timed runs."""
    d = os.path.join(tmp, "profile")
    os.makedirs(d)
    body = helper.make_graph(
        [helper.make_node("Add", ["acc_in", "one"], ["acc_out"], name="body_add"),
         helper.make_node("Identity", ["cond_in"], ["cond_out"], name="body_cond")],
        "loop_body",
        [vi("i", (), TensorProto.INT64), vi("cond_in", (), TensorProto.BOOL), vi("acc_in", (2,))],
        [vi("cond_out", (), TensorProto.BOOL), vi("acc_out", (2,))],
        initializer=[numpy_helper.from_array(np.ones(2, np.float32), "one")])
    m = model([helper.make_node("Relu", ["x"], ["r"], name="relu"),
               helper.make_node("Loop", ["n", "", "r"], ["y"], name="loop", body=body)],
              [vi("x"), vi("n", (), TensorProto.INT64)], [vi("y")])
    path, trace = os.path.join(d, "model.onnx"), os.path.join(d, "trace.json")
    onnx.save(m, path)
    np.save(os.path.join(d, "n.npy"), np.array(3, np.int64))
    r = subprocess.run([kiln, "run", path, "--runs", "4", "--input",
                        f"n={os.path.join(d, 'n.npy')}", "--profile", trace],
                       capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        return False, f"exit status {r.returncode}: {r.stderr.strip()}"
    import json
    with open(trace) as f:
        events = json.load(f)
    nodes = [e for e in events if e["cat"] == "Node"]
    runs = [e for e in events if e["cat"] == "Session" and e["name"] == "model_run"]
    names = sorted({(e["name"], e["args"]["graph"]) for e in nodes})
    want = [("body_add_kernel_time", "loop_body"), ("body_cond_kernel_time", "loop_body"),
            ("loop_kernel_time", "g"), ("relu_kernel_time", "g")]
    if len(runs) != 5 or names != want:  # the warm-up run and 4 timed ones
        return False, f"{len(runs)} model_run events, node events {names}"
    per_op = {}
    for e in nodes:
        per_op[e["args"]["op_name"]] = per_op.get(e["args"]["op_name"], 0) + 1
    if per_op != {"Relu": 5, "Loop": 5, "Add": 15, "Identity": 15}:
        return False, f"node events per op: {per_op}"
    summary = r.stdout
    for part in ("node time by op type over 4 runs", "Loop ", "Relu ", "Add ", trace):
        if part not in summary:
            return False, f"summary lacks {part!r}:\n{summary}"
    if " 12 " not in next(line for line in summary.splitlines() if line.strip().startswith("Add")):
        return False, f"the summary's Add row should count 12 calls:\n{summary}"
    return True, f": {len(events)} events"


if __name__ == "__main__":
    main()
