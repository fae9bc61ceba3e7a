"""kiln: an ONNX inference engine with onnxruntime's Python API.

    import kiln as ort
    sess = ort.InferenceSession("model.onnx", providers=["CPUExecutionProvider"])
    outputs = sess.run(None, {sess.get_inputs()[0].name: x})

See docs/python.md for what is supported and how each onnxruntime option maps onto kiln.
"""
import os as _os

# The CPU kernels' threads (OpenMP's, libgomp) spin this long waiting for the next parallel
# region before they sleep: long enough to stay hot between the nodes of a run, short enough that
# an idle process burns about 1 ms of CPU after a run instead of 11 (docs/design.md). libgomp reads
# it when it loads, with _kiln below unless something loaded it before; a value the user set stands.
if "OMP_WAIT_POLICY" not in _os.environ:
    _os.environ.setdefault("GOMP_SPINCOUNT", "20000")

from . import _kiln  # noqa: E402
from ._errors import *  # noqa: F401,F403
from ._errors import BY_STATUS as _BY_STATUS
from ._ortvalue import OrtValue, SessionIOBinding
from ._ortvalue import SessionIOBinding as IOBinding
from ._providers import get_all_providers, get_available_providers, get_device, set_seed
from ._session import (ExecutionMode, ExecutionOrder, GraphOptimizationLevel, InferenceSession,
                       ModelMetadata, NodeArg, RunOptions, Session, SessionOptions)

__version__ = "0.1.0"

_kiln._set_error_classes({code: _BY_STATUS[name]
                          for name, code in _kiln.status_codes().items() if name in _BY_STATUS})
