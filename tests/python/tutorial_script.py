#!/usr/bin/env python3
"""An onnxruntime script written the way the tutorials write them, run unchanged over kiln:

    tutorial_script.py onnxruntime MODEL OUT.npz     # import onnxruntime as ort
    tutorial_script.py kiln MODEL OUT.npz            # import kiln as ort

It asks for the GPU providers first (TensorRT and CUDA tuples, falling back to the CPU), sets the
usual SessionOptions, discovers the inputs through get_inputs() (a symbolic batch dim as 1, other
symbolic dims as 8, seeded random values of each input's type; int64 inputs as token ids), runs a
warm-up and a timing loop with run(None, ...), and saves the NodeArgs, the metadata, the providers, the latency and the outputs
in OUT.npz. tests/python/compare_tutorial.py runs it both ways and compares.
"""
import importlib
import json
import sys
import time

import numpy as np

engine, model_path, out_path = sys.argv[1:4]
ort = importlib.import_module(engine)

providers = [
    ("TensorrtExecutionProvider", {"trt_fp16_enable": False}),
    ("CUDAExecutionProvider", {"device_id": 0}),
    "CPUExecutionProvider",
]
so = ort.SessionOptions()
so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
so.intra_op_num_threads = 2
so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
so.enable_mem_pattern = True
so.log_severity_level = 3
so.add_session_config_entry("session.intra_op.allow_spinning", "1")
available = [p for p in providers
             if (p[0] if isinstance(p, tuple) else p) in ort.get_available_providers()]
sess = ort.InferenceSession(model_path, sess_options=so, providers=available)

rng = np.random.default_rng(0)
DTYPES = {"tensor(float)": np.float32, "tensor(float16)": np.float16,
          "tensor(double)": np.float64, "tensor(int64)": np.int64, "tensor(int32)": np.int32,
          "tensor(bool)": np.bool_}
feeds = {}
for inp in sess.get_inputs():
    # a batch of 1 (the first dim), 8 for other symbolic dims (a sequence of 8 tokens)
    shape = [d if isinstance(d, int) else 1 if i == 0 else 8 for i, d in enumerate(inp.shape)]
    if inp.name in ("input_ids", "token_type_ids", "attention_mask") or "int" in inp.type:
        high = 2 if inp.name != "input_ids" else 1000
        value = rng.integers(0, high, size=shape)
        if inp.name == "attention_mask":
            value = np.ones(shape)
    else:
        value = rng.standard_normal(shape)
    feeds[inp.name] = value.astype(DTYPES[inp.type])

outputs = sess.run(None, feeds)  # warm-up
times = []
for _ in range(5):
    t0 = time.perf_counter()
    outputs = sess.run(None, feeds)
    times.append(time.perf_counter() - t0)

meta = sess.get_modelmeta()
info = {
    "inputs": [(a.name, a.shape, a.type) for a in sess.get_inputs()],
    "outputs": [(a.name, a.shape, a.type) for a in sess.get_outputs()],
    "meta": [meta.producer_name, meta.graph_name, meta.domain, meta.description, meta.version,
             meta.custom_metadata_map],
    "providers": sess.get_providers(),
    "median_ms": sorted(times)[len(times) // 2] * 1e3,
}
arrays = {}
for i, o in enumerate(outputs):
    if isinstance(o, list):  # a sequence of maps (ZipMap): one row of probabilities per sample
        keys = sorted(o[0])
        o = np.array([[row[k] for k in keys] for row in o], dtype=np.float32)
    arrays[f"out{i}"] = o
np.savez(out_path, info=json.dumps(info), **arrays)
print(f"{engine}: {info['providers']} median {info['median_ms']:.2f} ms")
