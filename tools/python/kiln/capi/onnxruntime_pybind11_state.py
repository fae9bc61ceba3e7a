"""onnxruntime.capi.onnxruntime_pybind11_state's exception classes, as kiln raises them."""
from .._errors import *  # noqa: F401,F403
from .._errors import __all__  # noqa: F401
