"""Execution providers as onnxruntime names them, mapped onto kiln's devices, and the process-wide
helpers (get_available_providers, get_device, set_seed)."""
import warnings

from . import _kiln

CPU = "CPUExecutionProvider"
CUDA = "CUDAExecutionProvider"

# onnxruntime's list (onnxruntime.get_all_providers()), in its order.
ALL_PROVIDERS = [
    "NvTensorRTRTXExecutionProvider", "TensorrtExecutionProvider", CUDA,
    "MIGraphXExecutionProvider", "OpenVINOExecutionProvider", "DnnlExecutionProvider",
    "VitisAIExecutionProvider", "QNNExecutionProvider", "NnapiExecutionProvider",
    "VSINPUExecutionProvider", "JsExecutionProvider", "CoreMLExecutionProvider",
    "ArmNNExecutionProvider", "ACLExecutionProvider", "DmlExecutionProvider",
    "RknpuExecutionProvider", "WebNNExecutionProvider", "WebGpuExecutionProvider",
    "XnnpackExecutionProvider", "CANNExecutionProvider", "AzureExecutionProvider", CPU,
]

_cuda = None  # (available, description), asked once


def _cuda_status():
    global _cuda
    if _cuda is None:
        _cuda = tuple(_kiln.device_status("cuda"))
    return _cuda


def available_providers():
    return [CUDA, CPU] if _cuda_status()[0] else [CPU]


def normalize_providers(providers, provider_options):
    """[(name, options)] of the requested providers that are available, in order; the others
    are dropped with onnxruntime's warning. None: the CPU."""
    if providers is None:
        return [(CPU, {})]
    if provider_options is not None and len(provider_options) != len(providers):
        raise ValueError("'providers' and 'provider_options' should be the same length if both "
                         "are given.")
    out = []
    available = available_providers()
    for i, p in enumerate(providers):
        if isinstance(p, tuple):
            if len(p) != 2 or not isinstance(p[1], dict):
                raise ValueError("Only string or (string, dict) tuples are supported for "
                                 "providers.")
            name, opts = p
        else:
            name = p
            opts = provider_options[i] if provider_options is not None else {}
        if not isinstance(name, str):
            raise ValueError("Only string or (string, dict) tuples are supported for providers.")
        if name not in available:
            warnings.warn(f"Specified provider '{name}' is not in available provider names."
                          f"Available providers: '{', '.join(available)}'")
            continue
        out.append((name, dict(opts)))
    return out or [(CPU, {})]


def get_available_providers():
    return available_providers()


def get_all_providers():
    return list(ALL_PROVIDERS)


def get_device():
    """'GPU' when kiln can run on a GPU here (as onnxruntime-gpu says), else 'CPU'."""
    return "GPU" if _cuda_status()[0] else "CPU"


_seed = None


def set_seed(seed):
    """The seed of random ops without a `seed` attribute in sessions made after this call, so
    their runs are reproducible (as onnxruntime.set_seed)."""
    global _seed
    _seed = int(seed) & (2**64 - 1)


def default_seed():
    return _seed
