"""The exceptions kiln raises, named as onnxruntime's (onnxruntime.capi.onnxruntime_pybind11_state).

Each is a RuntimeError, so code that catches onnxruntime's classes by name, Exception or
RuntimeError catches kiln's. The message is kiln's own: it names the input, or the node, its op
and opset, and what was expected against what was found.
"""


class Fail(RuntimeError):
    """A failure without a more specific class."""


class InvalidArgument(Fail):
    """A caller error: an unknown input or output name, a wrong element type, rank or shape."""


class NoSuchFile(Fail):
    """The model file (or its external data) does not exist or cannot be read."""


class NoModel(Fail):
    pass


class EngineError(Fail):
    pass


class RuntimeException(Fail):
    """An error while running that is not the caller's (out of memory, an internal error)."""


class InvalidProtobuf(Fail):
    """The model bytes are not an ONNX ModelProto."""


class ModelLoaded(Fail):
    pass


class NotImplemented(Fail):  # noqa: A001 (onnxruntime's name)
    """Valid ONNX that kiln cannot run: an op, opset, element type or option it has no code for."""


class InvalidGraph(Fail):
    """A malformed model or graph."""


class EPFail(Fail):
    """A device (execution provider) failed."""


class NotFound(Fail):
    pass


class ModelLoadCanceled(Fail):
    pass


class ModelRequiresCompilation(Fail):
    pass


class DeviceReset(Fail):
    pass


# kiln's status codes (ir/status.h, by name) -> the class raised.
BY_STATUS = {
    "InvalidModel": InvalidGraph,
    "Unsupported": NotImplemented,
    "InvalidArgument": InvalidArgument,
    "OutOfMemory": RuntimeException,
    "DeviceError": EPFail,
    "NotFound": NotFound,
    "IoError": NoSuchFile,
    "Internal": RuntimeException,
}

__all__ = [
    "Fail", "InvalidArgument", "NoSuchFile", "NoModel", "EngineError", "RuntimeException",
    "InvalidProtobuf", "ModelLoaded", "NotImplemented", "InvalidGraph", "EPFail", "NotFound",
    "ModelLoadCanceled", "ModelRequiresCompilation", "DeviceReset",
]
