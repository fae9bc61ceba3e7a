#!/usr/bin/env python3
"""Writes the pinned onnx package's backend test cases to disk in the standard layout.

    gen_data.py OUTDIR

OUTDIR/node/<case>/           built in memory by onnx (load_model_tests(kind="node"))
OUTDIR/pytorch-converted/...  copied from the onnx package
OUTDIR/pytorch-operator/...
OUTDIR/simple/...
OUTDIR/light/<case>/          the `light` real models, with inputs made the way onnx's runner makes
                              them and expected outputs from the shipped *_output_0.pb

Each case folder holds model.onnx and test_data_set_N/{input,output}_i.pb, plus data.json when the
case's tolerances differ from the defaults (rtol 1e-3, atol 1e-7).
"""
import json
import os
import shutil
import sys

import numpy as np
import onnx
from onnx import numpy_helper
from onnx.backend.test.loader import load_model_tests
from onnx.backend.test.runner import Runner

DEFAULT_RTOL = 1e-3
DEFAULT_ATOL = 1e-7


def serialize_value(value, value_info):
    t = value_info.type
    if t.HasField("map_type"):
        return numpy_helper.from_dict(value, value_info.name).SerializeToString()
    if t.HasField("sequence_type"):
        return numpy_helper.from_list(value, value_info.name).SerializeToString()
    if t.HasField("optional_type"):
        return numpy_helper.from_optional(value, value_info.name).SerializeToString()
    if isinstance(value, onnx.TensorProto):
        return value.SerializeToString()
    return numpy_helper.from_array(value, value_info.name).SerializeToString()


def data_versions():
    """The packages the generated data depends on: onnx builds the cases, numpy and ml_dtypes
    compute expected outputs (ml_dtypes 0.7 changed out-of-range float -> int4/int2 casts, which
    the spec leaves undefined, from wrapping to 0)."""
    import ml_dtypes

    return f"onnx {onnx.__version__} numpy {np.__version__} ml_dtypes {ml_dtypes.__version__}"


def write_tolerances(case_dir, rtol, atol):
    if rtol != DEFAULT_RTOL or atol != DEFAULT_ATOL:
        with open(os.path.join(case_dir, "data.json"), "w") as f:
            json.dump({"rtol": rtol, "atol": atol}, f, sort_keys=True)


def write_node_cases(out):
    count = 0
    for case in load_model_tests(kind="node"):
        case_dir = os.path.join(out, "node", case.name)
        os.makedirs(case_dir, exist_ok=True)
        model = case.model
        with open(os.path.join(case_dir, "model.onnx"), "wb") as f:
            f.write(model.SerializeToString())
        for i, (inputs, outputs) in enumerate(case.data_sets):
            ds = os.path.join(case_dir, f"test_data_set_{i}")
            os.makedirs(ds, exist_ok=True)
            for j, value in enumerate(inputs):
                with open(os.path.join(ds, f"input_{j}.pb"), "wb") as f:
                    f.write(serialize_value(value, model.graph.input[j]))
            for j, value in enumerate(outputs):
                with open(os.path.join(ds, f"output_{j}.pb"), "wb") as f:
                    f.write(serialize_value(value, model.graph.output[j]))
        write_tolerances(case_dir, case.rtol, case.atol)
        count += 1
    return count


def copy_kind(out, kind):
    src = os.path.join(os.path.dirname(onnx.__file__), "backend", "test", "data", kind)
    dst = os.path.join(out, kind)
    shutil.copytree(src, dst, dirs_exist_ok=True)
    return sum(1 for d in os.listdir(dst) if os.path.isdir(os.path.join(dst, d)))


def write_light_cases(out):
    data = os.path.join(os.path.dirname(onnx.__file__), "backend", "test", "data")
    count = 0
    for case in sorted(os.listdir(os.path.join(data, "real"))):
        with open(os.path.join(data, "real", case, "data.json")) as f:
            meta = json.load(f)
        url = meta["url"]
        if not url.startswith("onnx/backend/test/data/light/"):
            continue
        model_path = os.path.join(data, "light", os.path.basename(url))
        model = onnx.load(model_path)
        case_dir = os.path.join(out, "light", case)
        ds = os.path.join(case_dir, "test_data_set_0")
        os.makedirs(ds, exist_ok=True)
        shutil.copy(model_path, os.path.join(case_dir, "model.onnx"))
        inits = {i.name for i in model.graph.initializer}
        n = 0
        for x in model.graph.input:
            if x.name in inits:
                continue
            value = Runner.generate_dummy_data(x, seed=0, name=meta["model_name"], random=False)
            with open(os.path.join(ds, f"input_{n}.pb"), "wb") as f:
                f.write(numpy_helper.from_array(value).SerializeToString())
            n += 1
        prefix = os.path.splitext(model_path)[0]
        for i in range(len(model.graph.output)):
            shutil.copy(f"{prefix}_output_{i}.pb", os.path.join(ds, f"output_{i}.pb"))
        write_tolerances(case_dir, meta.get("rtol", DEFAULT_RTOL), meta.get("atol", DEFAULT_ATOL))
        count += 1
    return count


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        sys.exit(2)
    out = sys.argv[1]
    if os.path.exists(out):
        shutil.rmtree(out)
    os.makedirs(out)
    np.random.seed(0)
    counts = {"node": write_node_cases(out)}
    for kind in ("pytorch-converted", "pytorch-operator", "simple"):
        counts[kind] = copy_kind(out, kind)
    counts["light"] = write_light_cases(out)
    with open(os.path.join(out, "onnx_version.txt"), "w") as f:
        f.write(data_versions() + "\n")
    print("gen_data: onnx", onnx.__version__, ", ".join(f"{k}: {v}" for k, v in counts.items()))


if __name__ == "__main__":
    if sys.argv[1:] == ["--versions"]:
        print(data_versions())
    else:
        main()
