"""kiln's Python package against onnxruntime: the same calls on the same small models give the same
NodeArgs, metadata, providers and outputs, and bad input raises onnxruntime's exception classes.

Run by ctest (`python_api`) with the build folder's package first on PYTHONPATH.
"""
import json
import os
import subprocess
import sys
import threading
import warnings

import numpy as np
import onnx
import onnxruntime
import pytest
from onnx import TensorProto, helper, numpy_helper

import kiln

RNG = np.random.default_rng(0)


def vi(name, elem, shape):
    return helper.make_tensor_value_info(name, elem, shape)


def make_model(nodes, inputs, outputs, inits=(), opset=17, ml=False, domains=(), **meta):
    g = helper.make_graph(nodes, meta.pop("graph_name", "g"), inputs, outputs,
                          initializer=list(inits), doc_string=meta.pop("graph_doc", ""))
    ops = [helper.make_opsetid("", opset)]
    if ml:
        ops.append(helper.make_opsetid("ai.onnx.ml", 3))
    ops += [helper.make_opsetid(d, 1) for d in domains]
    m = helper.make_model(g, opset_imports=ops, ir_version=10, **meta)
    onnx.checker.check_model(m)
    return m


def conv_model():
    """Conv over a symbolic batch, W an initializer listed as an input (overridable), metadata."""
    w = RNG.standard_normal((4, 3, 3, 3)).astype(np.float32)
    b = RNG.standard_normal(4).astype(np.float32)
    m = make_model(
        [helper.make_node("Conv", ["x", "w", "b"], ["c"], pads=[1, 1, 1, 1]),
         helper.make_node("Relu", ["c"], ["y"])],
        [vi("x", TensorProto.FLOAT, ["batch", 3, 8, 8]), vi("w", TensorProto.FLOAT, [4, 3, 3, 3])],
        [vi("y", TensorProto.FLOAT, ["batch", 4, 8, 8])],
        inits=[numpy_helper.from_array(w, "w"), numpy_helper.from_array(b, "b")],
        producer_name="kiln-tests", producer_version="1.0", domain="ai.kiln.test",
        model_version=7, doc_string="a conv", graph_name="convnet", graph_doc="the graph")
    helper.set_model_props(m, {"author": "kiln", "license": "MIT"})
    return m


def sessions(model, **kwargs):
    data = model.SerializeToString()
    return (kiln.InferenceSession(data, providers=["CPUExecutionProvider"], **kwargs),
            onnxruntime.InferenceSession(data, providers=["CPUExecutionProvider"], **kwargs))


def args(node_args):
    return [(a.name, a.shape, a.type) for a in node_args]


def assert_same_outputs(got, want):
    assert len(got) == len(want)
    for g, w in zip(got, want):
        if isinstance(w, list):
            assert isinstance(g, list) and len(g) == len(w)
            for gi, wi in zip(g, w):
                if isinstance(wi, dict):
                    assert gi.keys() == wi.keys()
                    np.testing.assert_allclose([gi[k] for k in wi], [wi[k] for k in wi],
                                               rtol=1e-5, atol=1e-6)
                else:
                    assert_same_outputs([gi], [wi])
            continue
        assert type(g) is np.ndarray, type(g)
        assert g.dtype == w.dtype and g.shape == w.shape
        if w.dtype == np.object_:
            assert g.tolist() == w.tolist()
        else:
            np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-5)


def test_node_args_metadata_and_outputs_match_onnxruntime():
    k, o = sessions(conv_model())
    assert args(k.get_inputs()) == args(o.get_inputs())
    assert args(k.get_outputs()) == args(o.get_outputs())
    assert args(k.get_overridable_initializers()) == args(o.get_overridable_initializers())
    assert str(k.get_inputs()[0]) == str(o.get_inputs()[0])
    km, om = k.get_modelmeta(), o.get_modelmeta()
    for field in ("producer_name", "graph_name", "domain", "description", "graph_description",
                  "version", "custom_metadata_map"):
        assert getattr(km, field) == getattr(om, field), field
    x = RNG.standard_normal((2, 3, 8, 8)).astype(np.float32)
    assert_same_outputs(k.run(None, {"x": x}), o.run(None, {"x": x}))
    w2 = RNG.standard_normal((4, 3, 3, 3)).astype(np.float32)
    assert_same_outputs(k.run(None, {"x": x, "w": w2}), o.run(None, {"x": x, "w": w2}))
    assert_same_outputs(k.run(["y"], {"x": x}), o.run(["y"], {"x": x}))


def test_model_version_unset_reads_as_onnxruntime_says():
    m = make_model([helper.make_node("Relu", ["x"], ["y"])], [vi("x", TensorProto.FLOAT, [2])],
                   [vi("y", TensorProto.FLOAT, [2])])
    k, o = sessions(m)
    assert k.get_modelmeta().version == o.get_modelmeta().version


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16, np.int8, np.int16,
                                   np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64,
                                   np.bool_])
def test_element_types_round_trip(dtype):
    elem = helper.np_dtype_to_tensor_dtype(np.dtype(dtype))
    m = make_model([helper.make_node("Identity", ["x"], ["y"]),
                    helper.make_node("Shape", ["x"], ["s"])],
                   [vi("x", elem, [2, "n"])], [vi("y", elem, [2, "n"]),
                                               vi("s", TensorProto.INT64, [2])])
    x = (RNG.standard_normal((2, 5)) * 50).astype(dtype)
    k, o = sessions(m)
    assert_same_outputs(k.run(None, {"x": x}), o.run(None, {"x": x}))
    assert args(k.get_inputs()) == args(o.get_inputs())


def test_strings_sequences_and_maps():
    strings = make_model([helper.make_node("Identity", ["x"], ["y"])],
                         [vi("x", TensorProto.STRING, [3])], [vi("y", TensorProto.STRING, [3])])
    k, o = sessions(strings)
    x = np.array(["a", "héllo", ""], dtype=object)
    assert_same_outputs(k.run(None, {"x": x}), o.run(None, {"x": x}))

    seq = make_model([helper.make_node("SequenceConstruct", ["a", "b"], ["s"])],
                     [vi("a", TensorProto.FLOAT, [2]), vi("b", TensorProto.FLOAT, [3])],
                     [helper.make_tensor_sequence_value_info("s", TensorProto.FLOAT, None)])
    k, o = sessions(seq)
    feeds = {"a": np.ones(2, np.float32), "b": np.arange(3, dtype=np.float32)}
    assert args(k.get_outputs()) == args(o.get_outputs())
    assert_same_outputs(k.run(None, feeds), o.run(None, feeds))

    zipmap = make_model(
        [helper.make_node("ZipMap", ["p"], ["z"], domain="ai.onnx.ml", classlabels_int64s=[3, 5])],
        [vi("p", TensorProto.FLOAT, ["n", 2])],
        [helper.make_value_info("z", helper.make_sequence_type_proto(
            helper.make_map_type_proto(TensorProto.INT64,
                                       helper.make_tensor_type_proto(TensorProto.FLOAT, []))))],
        ml=True)
    k, o = sessions(zipmap)
    p = RNG.random((3, 2)).astype(np.float32)
    assert args(k.get_outputs()) == args(o.get_outputs())
    assert_same_outputs(k.run(None, {"p": p}), o.run(None, {"p": p}))


def test_providers_fall_back_as_onnxruntime_does():
    data = conv_model().SerializeToString()
    providers = ["TensorrtExecutionProvider", ("CUDAExecutionProvider", {"device_id": 0}),
                 "CPUExecutionProvider"]
    with warnings.catch_warnings(record=True) as kw:
        warnings.simplefilter("always")
        k = kiln.InferenceSession(data, providers=providers)
    with warnings.catch_warnings(record=True) as ow:
        warnings.simplefilter("always")
        o = onnxruntime.InferenceSession(data, providers=providers)
    if "CUDAExecutionProvider" not in kiln.get_available_providers():
        assert k.get_providers() == ["CPUExecutionProvider"]
        assert k.get_provider_options() == {"CPUExecutionProvider": {}}
        assert len(kw) == 2 and all("is not in available provider names" in str(w.message)
                                    for w in kw)
    assert o.get_providers() == ["CPUExecutionProvider"]
    assert "CPUExecutionProvider" in kiln.get_available_providers()
    assert set(kiln.get_available_providers()) <= set(kiln.get_all_providers())
    assert kiln.get_device() in ("CPU", "GPU")
    assert kiln.__version__


def test_session_options_are_accepted_and_mapped():
    model = conv_model()
    x = RNG.standard_normal((1, 3, 8, 8)).astype(np.float32)
    want = onnxruntime.InferenceSession(model.SerializeToString()).run(None, {"x": x})
    for level in (kiln.GraphOptimizationLevel.ORT_DISABLE_ALL,
                  kiln.GraphOptimizationLevel.ORT_ENABLE_BASIC,
                  kiln.GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
                  kiln.GraphOptimizationLevel.ORT_ENABLE_ALL):
        so = kiln.SessionOptions()
        so.graph_optimization_level = level
        so.intra_op_num_threads = 1
        so.inter_op_num_threads = 1
        so.execution_mode = kiln.ExecutionMode.ORT_PARALLEL
        so.enable_mem_pattern = level != kiln.GraphOptimizationLevel.ORT_ENABLE_BASIC
        so.enable_cpu_mem_arena = False
        so.log_severity_level = 3
        so.add_session_config_entry("session.intra_op.allow_spinning", "0")
        s = kiln.InferenceSession(model.SerializeToString(), so, providers=["CPUExecutionProvider"])
        assert s.get_session_options() is so
        for _ in range(2):  # planned memory on the second run
            assert_same_outputs(s.run(None, {"x": x}), want)
    defaults, ort_defaults = kiln.SessionOptions(), onnxruntime.SessionOptions()
    for field in ("intra_op_num_threads", "inter_op_num_threads", "enable_mem_pattern",
                  "enable_cpu_mem_arena", "optimized_model_filepath", "enable_profiling",
                  "log_severity_level", "profile_file_prefix"):
        assert getattr(defaults, field) == getattr(ort_defaults, field), field
    assert int(defaults.graph_optimization_level) == int(ort_defaults.graph_optimization_level)
    assert int(defaults.execution_mode) == int(ort_defaults.execution_mode)


def test_optimized_model_filepath_writes_a_model_that_runs(tmp_path):
    so = kiln.SessionOptions()
    so.optimized_model_filepath = str(tmp_path / "opt.onnx")
    so.graph_optimization_level = kiln.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
    model = conv_model()
    kiln.InferenceSession(model.SerializeToString(), so)
    onnx.checker.check_model(str(tmp_path / "opt.onnx"))
    x = RNG.standard_normal((1, 3, 8, 8)).astype(np.float32)
    got = onnxruntime.InferenceSession(str(tmp_path / "opt.onnx")).run(None, {"x": x})
    want = onnxruntime.InferenceSession(model.SerializeToString()).run(None, {"x": x})
    assert_same_outputs(got, want)


def test_paths_and_bytes(tmp_path):
    path = tmp_path / "m.onnx"
    onnx.save(conv_model(), str(path))
    x = RNG.standard_normal((1, 3, 8, 8)).astype(np.float32)
    a = kiln.InferenceSession(str(path)).run(None, {"x": x})
    b = kiln.InferenceSession(path).run(None, {"x": x})  # os.PathLike
    c = kiln.InferenceSession(path.read_bytes()).run(None, {"x": x})
    assert_same_outputs(a, b)
    assert_same_outputs(a, c)


def test_errors_are_onnxruntimes_classes(tmp_path):
    k = kiln.InferenceSession(conv_model().SerializeToString())
    x = np.zeros((1, 3, 8, 8), np.float32)
    cases = [
        (lambda: k.run(None, {"nope": x}), kiln.InvalidArgument, "nope"),
        (lambda: k.run(None, {"x": x.astype(np.float64)}), kiln.InvalidArgument, "double"),
        (lambda: k.run(None, {"x": x[0]}), kiln.InvalidArgument, "'x'"),
        (lambda: k.run(None, {}), kiln.InvalidArgument, "'x'"),
        (lambda: k.run(["nope"], {"x": x}), kiln.InvalidArgument, "nope"),
        (lambda: kiln.InferenceSession(str(tmp_path / "missing.onnx")), kiln.NoSuchFile,
         "missing.onnx"),
        (lambda: kiln.InferenceSession(b"\x00\x01 not a model"), kiln.InvalidGraph, "model"),
    ]
    unsupported = make_model([helper.make_node("Foo", ["x"], ["y"], domain="com.acme")],
                             [vi("x", TensorProto.FLOAT, [2])], [vi("y", TensorProto.FLOAT, [2])],
                             domains=["com.acme"])
    cases.append((lambda: kiln.InferenceSession(unsupported.SerializeToString()),
                  kiln.NotImplemented, "Foo"))
    for call, cls, text in cases:
        with pytest.raises(cls) as e:
            call()
        assert isinstance(e.value, RuntimeError)
        assert text in str(e.value), str(e.value)
    from kiln.capi.onnxruntime_pybind11_state import InvalidArgument
    assert InvalidArgument is kiln.InvalidArgument


def test_outputs_never_alias_inputs_or_constants():
    m = make_model([helper.make_node("Identity", ["x"], ["y"]),
                    helper.make_node("Identity", ["c"], ["z"])],
                   [vi("x", TensorProto.FLOAT, [3])],
                   [vi("y", TensorProto.FLOAT, [3]), vi("z", TensorProto.FLOAT, [2])],
                   inits=[numpy_helper.from_array(np.array([1, 2], np.float32), "c")])
    s = kiln.InferenceSession(m.SerializeToString())
    x = np.array([1, 2, 3], np.float32)
    y, z = s.run(None, {"x": x})
    y[:] = 0
    z[:] = 0
    assert x.tolist() == [1, 2, 3]
    assert s.run(None, {"x": x})[1].tolist() == [1, 2]
    # Non-contiguous input: read as its values, not its buffer.
    xs = np.arange(6, dtype=np.float32)[::2]
    assert s.run(["y"], {"x": xs})[0].tolist() == [0, 2, 4]


def test_concurrent_runs_from_threads():
    model = conv_model()
    k = kiln.InferenceSession(model.SerializeToString())
    o = onnxruntime.InferenceSession(model.SerializeToString())
    xs = [RNG.standard_normal((b, 3, 8, 8)).astype(np.float32) for b in (1, 2, 3)]
    want = [o.run(None, {"x": x})[0] for x in xs]
    errors = []

    def worker(t):
        try:
            for i in range(20):
                j = (t + i) % 3
                np.testing.assert_allclose(k.run(None, {"x": xs[j]})[0], want[j], rtol=1e-5,
                                           atol=1e-5)
        except Exception as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[0]


def test_set_seed_makes_random_ops_reproducible():
    m = make_model([helper.make_node("RandomNormal", [], ["y"], shape=[16])], [],
                   [vi("y", TensorProto.FLOAT, [16])], opset=22)
    kiln.set_seed(5)
    a = kiln.InferenceSession(m.SerializeToString()).run(None, {})[0]
    kiln.set_seed(5)
    b = kiln.InferenceSession(m.SerializeToString()).run(None, {})[0]
    np.testing.assert_array_equal(a, b)


def test_python_m_kiln_runs_the_cli():
    r = subprocess.run([sys.executable, "-m", "kiln", "--help"], capture_output=True, text=True,
                       env=dict(os.environ), timeout=60)
    assert r.returncode == 0, r.stderr
    assert "kiln run" in r.stdout + r.stderr


def test_free_dimension_override_by_name():
    m = make_model([helper.make_node("Relu", ["x"], ["y"])], [vi("x", TensorProto.FLOAT,
                                                                  ["batch", 3])],
                   [vi("y", TensorProto.FLOAT, ["batch", 3])])
    got = []
    for lib in (kiln, onnxruntime):
        so = lib.SessionOptions()
        so.add_free_dimension_override_by_name("batch", 2)
        s = lib.InferenceSession(m.SerializeToString(), so, providers=["CPUExecutionProvider"])
        got.append((args(s.get_inputs()), args(s.get_outputs())))
        assert s.run(None, {"x": np.ones((2, 3), np.float32)})[0].shape == (2, 3)
        with pytest.raises(Exception) as e:
            s.run(None, {"x": np.ones((5, 3), np.float32)})
        assert type(e.value).__name__ == "InvalidArgument"
    assert got[0] == got[1]


def test_ort_values_and_io_binding_on_the_cpu():
    model = conv_model()
    k, o = sessions(model)
    x = RNG.standard_normal((2, 3, 8, 8)).astype(np.float32)
    want = o.run(None, {"x": x})[0]
    for lib, s in ((kiln, k), (onnxruntime, o)):
        xv = lib.OrtValue.ortvalue_from_numpy(x, "cpu", 0)
        assert xv.shape() == [2, 3, 8, 8] and xv.data_type() == "tensor(float)"
        assert xv.device_name().lower() == "cpu"
        assert xv.element_type() == TensorProto.FLOAT
        (yv,) = s.run_with_ort_values(["y"], {"x": xv})
        np.testing.assert_allclose(yv.numpy(), want, rtol=1e-5, atol=1e-5)

        binding = s.io_binding()
        binding.bind_cpu_input("x", x)
        binding.bind_output("y")
        s.run_with_iobinding(binding)
        np.testing.assert_allclose(binding.copy_outputs_to_cpu()[0], want, rtol=1e-5, atol=1e-5)
        # A preallocated output, bound by pointer, is written in place.
        out = np.zeros_like(want)
        binding = s.io_binding()
        binding.bind_input("x", "cpu", 0, np.float32, list(x.shape), x.ctypes.data)
        binding.bind_output("y", "cpu", 0, np.float32, list(out.shape), out.ctypes.data)
        s.run_with_iobinding(binding)
        np.testing.assert_allclose(out, want, rtol=1e-5, atol=1e-5)
        assert binding.get_outputs()[0].shape() == list(want.shape)


def test_profiling_writes_onnxruntimes_trace_format(tmp_path, monkeypatch):
    """enable_profiling / end_profiling: both write a Chrome trace; kiln's has onnxruntime's
    event fields, session event names and node args, with the same input and output shapes."""
    monkeypatch.chdir(tmp_path)
    # w is an initializer listed as an input (an activation to both), b a constant (a parameter).
    w = RNG.standard_normal((4, 3, 3, 3)).astype(np.float32)
    b = RNG.standard_normal(4).astype(np.float32)
    model = make_model(
        [helper.make_node("Conv", ["x", "w", "b"], ["c"], name="conv", pads=[1, 1, 1, 1]),
         helper.make_node("Relu", ["c"], ["y"], name="relu")],
        [vi("x", TensorProto.FLOAT, [1, 3, 8, 8]), vi("w", TensorProto.FLOAT, [4, 3, 3, 3])],
        [vi("y", TensorProto.FLOAT, [1, 4, 8, 8])],
        inits=[numpy_helper.from_array(w, "w"), numpy_helper.from_array(b, "b")])
    x = RNG.standard_normal((1, 3, 8, 8)).astype(np.float32)
    traces = {}
    for lib in (kiln, onnxruntime):
        so = lib.SessionOptions()
        so.enable_profiling = True
        so.profile_file_prefix = f"{lib.__name__}_prof"
        so.graph_optimization_level = lib.GraphOptimizationLevel.ORT_DISABLE_ALL
        before = __import__("time").time_ns()
        s = lib.InferenceSession(model.SerializeToString(), so, providers=["CPUExecutionProvider"])
        start = s.get_profiling_start_time_ns()
        assert before - 10**9 < start < before + 10**10, (lib.__name__, start, before)
        for _ in range(3):
            s.run(None, {"x": x})
        path = s.end_profiling()
        assert os.path.basename(path).startswith(f"{lib.__name__}_prof_") and path.endswith(".json")
        with open(path) as f:
            traces[lib.__name__] = json.load(f)
        assert s.end_profiling() == ""  # ended
        plain = lib.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
        assert plain.end_profiling() == ""

    fields = {"cat", "pid", "tid", "dur", "ts", "ph", "name", "args"}
    node_args = {"op_name", "provider", "node_index", "activation_size", "parameter_size",
                 "output_size", "input_type_shape", "output_type_shape"}
    nodes = {}
    for name, trace in traces.items():
        assert isinstance(trace, list) and trace
        for e in trace:
            assert fields <= set(e), (name, e)
            assert e["ph"] == "X" and isinstance(e["dur"], int) and isinstance(e["ts"], int)
        nodes[name] = {e["name"]: e["args"] for e in trace if e["cat"] == "Node"
                       and e["name"].endswith("_kernel_time")}
        assert set(nodes[name]) == {"conv_kernel_time", "relu_kernel_time"}, name
        for args in nodes[name].values():
            assert node_args <= set(args), (name, args)
    ort_session = {e["name"] for e in traces["onnxruntime"] if e["cat"] == "Session"}
    kiln_session = [e["name"] for e in traces["kiln"] if e["cat"] == "Session"]
    assert set(kiln_session) <= ort_session, (kiln_session, ort_session)
    assert kiln_session.count("model_run") == 3
    assert sum(e["cat"] == "Node" for e in traces["kiln"]) == 6
    for node in ("conv_kernel_time", "relu_kernel_time"):
        k, o = nodes["kiln"][node], nodes["onnxruntime"][node]
        for key in ("op_name", "provider", "input_type_shape", "output_type_shape",
                    "activation_size", "parameter_size", "output_size"):
            assert k[key] == o[key], (node, key, k[key], o[key])
