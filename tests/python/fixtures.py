#!/usr/bin/env python3
"""Real exporters' graphs without their weights, kept in tests/python/models/ so that tests run
the graphs PyTorch's exporters write (torch.onnx.export with dynamo=True, and the TorchScript
exporter) without torch on the test machine.

    fixtures.py strip IN.onnx OUT.onnx    # drop the large float weights' values (keep the rest)
    fixtures.py fill IN.onnx OUT.onnx     # a runnable model: seeded random values for them

The models in tests/python/models/ were made with scripts/export_models.py (random weights, torch
2.15, torchvision 0.29, transformers 5.25; `--dynamo --opset 18` for *_dynamo, `--opset 17` for
*_torchscript) and then stripped. Stripping keeps every node, input, output, opset and every small
or non-float initializer (shape constants, LayerNorm epsilons, masks) as exported; a float
initializer of more than 64 elements keeps its name, type and dims and loses its values, and the
model is marked (metadata "kiln.weights" = "stripped"). Filling draws those values from a seeded
normal distribution scaled by 1/sqrt(fan-in), so activations stay in range through deep networks
and every fill of a model gives the same weights.
"""
import sys

import numpy as np
import onnx
from onnx import numpy_helper

MARK = "kiln.weights"
MAX_KEPT = 64  # float initializers with more elements lose their values


def _float(init):
    return init.data_type in (onnx.TensorProto.FLOAT, onnx.TensorProto.FLOAT16,
                              onnx.TensorProto.DOUBLE, onnx.TensorProto.BFLOAT16)


def strip(model):
    for init in model.graph.initializer:
        if not _float(init) or int(np.prod(init.dims)) <= MAX_KEPT:
            continue
        dims, dtype, name = list(init.dims), init.data_type, init.name
        init.Clear()
        init.name, init.data_type = name, dtype
        init.dims.extend(dims)
    del model.metadata_props[:]
    onnx.helper.set_model_props(model, {MARK: "stripped"})
    return model


def fill(model, seed=0):
    if not any(p.key == MARK and p.value == "stripped" for p in model.metadata_props):
        raise ValueError("not a stripped model (no kiln.weights metadata)")
    rng = np.random.default_rng(seed)
    inits = model.graph.initializer
    for i, init in enumerate(inits):
        if not _float(init) or int(np.prod(init.dims)) <= MAX_KEPT:
            continue
        dims = list(init.dims)
        fan_in = int(np.prod(dims[1:])) if len(dims) > 1 else 1
        # 2-D weights of torch's Linear are [out, in]; MatMul weights are [in, out]: the smaller
        # scale of the two keeps both in range.
        if len(dims) == 2:
            fan_in = max(dims)
        values = rng.standard_normal(dims, dtype=np.float32) / np.sqrt(max(fan_in, 1))
        dtype = onnx.helper.tensor_dtype_to_np_dtype(init.data_type)
        inits[i].CopyFrom(numpy_helper.from_array(values.astype(dtype), init.name))
    del model.metadata_props[:]
    return model


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in ("strip", "fill"):
        sys.exit(__doc__)
    op, src, dst = sys.argv[1:]
    model = onnx.load(src)
    onnx.save(strip(model) if op == "strip" else fill(model), dst)


if __name__ == "__main__":
    main()
