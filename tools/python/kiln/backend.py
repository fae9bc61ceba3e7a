"""onnx's backend API (onnx.backend.base) over kiln, as onnxruntime.backend is over onnxruntime:

    import kiln.backend
    rep = kiln.backend.prepare(model, "CPU")
    outputs = rep.run([x])

and onnx's own conformance tests run over it: `onnx.backend.test.BackendTest(kiln.backend, ...)`
(tests/python/test_backend.py). Needs the onnx package, which kiln itself does not.
"""
import numpy as np
import onnx
from onnx.backend.base import Backend, BackendRep, Device, DeviceType

from ._providers import CPU, CUDA, available_providers
from ._session import InferenceSession, SessionOptions


class KilnBackendRep(BackendRep):
    """A prepared model: run(inputs) takes a list in the graph's input order, a dict by name, or
    one array, and returns the outputs in graph order."""

    def __init__(self, session):
        self._session = session
        self._input_names = [a.name for a in session.get_inputs()]

    def run(self, inputs, **kwargs):
        if isinstance(inputs, dict):
            feeds = inputs
        elif isinstance(inputs, (list, tuple)):
            if len(inputs) > len(self._input_names):
                raise RuntimeError(f"{len(inputs)} inputs for a model of "
                                   f"{len(self._input_names)}")
            feeds = dict(zip(self._input_names, inputs))
        else:
            feeds = {self._input_names[0]: inputs}
        return self._session.run(None, feeds)


def _providers(device):
    kind = Device(device).type
    if kind == DeviceType.CUDA:
        return [CUDA, CPU]
    return [CPU]


class KilnBackend(Backend):
    @classmethod
    def is_compatible(cls, model, device="CPU", **kwargs):
        return cls.supports_device(device)

    @classmethod
    def supports_device(cls, device):
        kind = Device(device).type
        if kind == DeviceType.CPU:
            return True
        return kind == DeviceType.CUDA and CUDA in available_providers()

    @classmethod
    def prepare(cls, model, device="CPU", **kwargs):
        if isinstance(model, KilnBackendRep):
            return model
        if isinstance(model, InferenceSession):
            return KilnBackendRep(model)
        data = model if isinstance(model, (bytes, str)) else model.SerializeToString()
        so = SessionOptions()
        for k, v in kwargs.items():
            if hasattr(so, k):
                setattr(so, k, v)
        return KilnBackendRep(InferenceSession(data, so, providers=_providers(device)))

    @classmethod
    def run_model(cls, model, inputs, device="CPU", **kwargs):
        return cls.prepare(model, device, **kwargs).run(inputs)

    @classmethod
    def run_node(cls, node, inputs, device="CPU", outputs_info=None, **kwargs):
        """Runs one node: a model with the node alone, inputs typed from the arrays given."""
        opset = kwargs.get("opset_version", onnx.defs.onnx_opset_version())
        ins = [onnx.helper.make_tensor_value_info(
            name, onnx.helper.np_dtype_to_tensor_dtype(np.asarray(x).dtype), np.asarray(x).shape)
            for name, x in zip(node.input, inputs)]
        outs = [onnx.helper.make_empty_tensor_value_info(name) for name in node.output]
        graph = onnx.helper.make_graph([node], "run_node", ins, outs)
        domains = {node.domain or ""}
        model = onnx.helper.make_model(
            graph, opset_imports=[onnx.helper.make_opsetid(d, opset if d == "" else 1)
                                  for d in domains])
        return cls.run_model(model, list(inputs), device, **kwargs)


prepare = KilnBackend.prepare
run = KilnBackend.run_model
run_model = KilnBackend.run_model
run_node = KilnBackend.run_node
supports_device = KilnBackend.supports_device
is_compatible = KilnBackend.is_compatible
