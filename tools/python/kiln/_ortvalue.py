"""onnxruntime's OrtValue and SessionIOBinding, for values on the CPU.

kiln's OrtValue wraps the numpy array it was made from (sharing its memory, as onnxruntime's does
for the CPU); IOBinding binds inputs and outputs by name for InferenceSession.run_with_iobinding.
Values on a GPU (device_type 'cuda') are not there yet: asking for one raises NotImplemented.
"""
import ctypes

import numpy as np

from ._errors import InvalidArgument
from ._errors import NotImplemented as _NotImplemented
from ._values import NUMPY_OF_TYPE, type_of_array


def _cpu_only(device_type, device_id=0):
    kind = str(device_type).lower()
    if kind != "cpu":
        raise _NotImplemented(f"kiln's OrtValues live on the CPU for now; got device "
                              f"'{device_type}' (device_id {device_id})")


def _array_at(buffer_ptr, element_type, shape):
    """The numpy array of `shape` and `element_type` over CPU memory at address `buffer_ptr`."""
    dtype = np.dtype(element_type)
    count = int(np.prod(shape, dtype=np.int64))
    raw = (ctypes.c_char * (count * dtype.itemsize)).from_address(buffer_ptr)
    return np.frombuffer(raw, dtype=dtype, count=count).reshape(shape)


class OrtValue:
    """A value for run_with_ort_values and IOBinding: a tensor (a numpy array), a list or a dict."""

    def __init__(self, value):
        self._value = value

    @staticmethod
    def ortvalue_from_numpy(numpy_obj, device_type="cpu", device_id=0, vendor_id=-1):
        _cpu_only(device_type, device_id)
        if not isinstance(numpy_obj, np.ndarray):
            raise InvalidArgument("ortvalue_from_numpy needs a numpy array")
        return OrtValue(numpy_obj)

    @staticmethod
    def ortvalue_from_shape_and_type(shape, element_type, device_type="cpu", device_id=0,
                                     vendor_id=-1):
        _cpu_only(device_type, device_id)
        if isinstance(element_type, int):  # an onnx.TensorProto element type
            from ._values import _TYPE_NAMES
            element_type = NUMPY_OF_TYPE[f"tensor({_TYPE_NAMES[element_type]})"]
        return OrtValue(np.zeros(tuple(shape), dtype=element_type))

    @staticmethod
    def ort_value_from_sparse_tensor(sparse_tensor):
        raise _NotImplemented("kiln does not take sparse tensors as inputs")

    def numpy(self):
        return self._value

    def shape(self):
        return list(self._value.shape)

    def data_type(self):
        return type_of_array(self._value)[0]

    def element_type(self):
        """The ONNX element type (onnx.TensorProto's number: 1 for float), as onnxruntime's."""
        return type_of_array(self._value)[1]

    def device_name(self):
        return "cpu"

    def data_ptr(self):
        return self._value.ctypes.data

    def is_tensor(self):
        return isinstance(self._value, np.ndarray)

    def is_tensor_sequence(self):
        return isinstance(self._value, list)

    def has_value(self):
        return self._value is not None

    def update_inplace(self, np_arr):
        np.copyto(self._value, np_arr)

    def as_sparse_tensor(self):
        raise _NotImplemented("kiln's OrtValues are not sparse tensors")


class SessionIOBinding:
    """onnxruntime's IOBinding on the CPU: bind inputs and outputs by name, run, read outputs."""

    def __init__(self, session):
        self._session = session
        self._inputs = {}
        self._outputs = []  # [(name, OrtValue or None: a new value each run)]
        self._results = []

    def bind_cpu_input(self, name, arr_on_cpu):
        self._inputs[name] = np.asarray(arr_on_cpu)

    def bind_input(self, name, device_type, device_id, element_type, shape, buffer_ptr):
        _cpu_only(device_type, device_id)
        self._inputs[name] = _array_at(buffer_ptr, element_type, shape)

    def bind_ortvalue_input(self, name, ortvalue):
        self._inputs[name] = ortvalue.numpy()

    def bind_output(self, name, device_type="cpu", device_id=0, element_type=None, shape=None,
                    buffer_ptr=None):
        _cpu_only(device_type, device_id)
        target = None
        if buffer_ptr is not None:
            target = OrtValue(_array_at(buffer_ptr, element_type, shape))
        self._bind_out(name, target)

    def bind_ortvalue_output(self, name, ortvalue):
        self._bind_out(name, ortvalue)

    def _bind_out(self, name, target):
        self._outputs = [(n, t) for n, t in self._outputs if n != name] + [(name, target)]

    def clear_binding_inputs(self):
        self._inputs = {}

    def clear_binding_outputs(self):
        self._outputs = []

    def synchronize_inputs(self):
        pass

    def synchronize_outputs(self):
        pass

    def get_outputs(self):
        return list(self._results)

    def copy_outputs_to_cpu(self):
        return [v.numpy() for v in self._results]

    def _run(self, run_options):
        names = [n for n, _ in self._outputs] or None
        values = self._session.run(names, self._inputs, run_options)
        results = []
        for i, v in enumerate(values):
            target = self._outputs[i][1] if self._outputs else None
            if target is None:
                results.append(OrtValue(v))
                continue
            out = target.numpy()
            if out.shape != v.shape or out.dtype != v.dtype:
                raise InvalidArgument(
                    f"output '{self._outputs[i][0]}': bound {out.dtype}{list(out.shape)}, the "
                    f"model gives {v.dtype}{list(v.shape)}")
            np.copyto(out, v)
            results.append(target)
        self._results = results
