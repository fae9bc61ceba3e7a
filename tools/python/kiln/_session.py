"""onnxruntime's InferenceSession, SessionOptions and RunOptions over kiln's C++ Session.

Names, signatures, defaults and return types are onnxruntime's (1.30). Where kiln has no use for an
option it is accepted and does nothing; docs/python.md lists each such option and why.
"""
import enum
import os
import time

from . import _kiln
from ._errors import InvalidArgument, NoSuchFile
from ._errors import NotImplemented as _NotImplemented
from ._providers import CPU, CUDA, default_seed, normalize_providers
from ._ortvalue import OrtValue, SessionIOBinding
from ._values import value_in, value_out


class GraphOptimizationLevel(enum.IntEnum):
    """onnxruntime's levels; kiln's optimizer levels (docs/optimizer.md) in brackets."""
    ORT_DISABLE_ALL = 0     # kiln level 0: no passes
    ORT_ENABLE_BASIC = 1    # kiln level 1: clean-ups (folding, identity and dead-code elimination)
    ORT_ENABLE_EXTENDED = 2  # kiln level 2: standard-ONNX fusions
    ORT_ENABLE_LAYOUT = 3   # kiln level 3
    ORT_ENABLE_ALL = 99     # kiln level 3: also fusions into kiln's own ops

    def __str__(self):
        return f"GraphOptimizationLevel.{self.name}"


_KILN_LEVEL = {0: 0, 1: 1, 2: 2, 3: 3, 99: 3}


class ExecutionMode(enum.IntEnum):
    ORT_SEQUENTIAL = 0
    ORT_PARALLEL = 1  # accepted; kiln runs a graph's nodes in order

    def __str__(self):
        return f"ExecutionMode.{self.name}"


class ExecutionOrder(enum.IntEnum):
    DEFAULT = 0
    PRIORITY_BASED = 1
    MEMORY_EFFICIENT = 2


class SessionOptions:
    """onnxruntime.SessionOptions: every attribute with onnxruntime's default."""

    def __init__(self):
        self.intra_op_num_threads = 0
        self.inter_op_num_threads = 0
        self.graph_optimization_level = GraphOptimizationLevel.ORT_ENABLE_ALL
        self.optimized_model_filepath = ""
        self.enable_profiling = False
        self.profile_file_prefix = "onnxruntime_profile_"
        self.log_severity_level = -1
        self.log_verbosity_level = 0
        self.logid = ""
        self.execution_mode = ExecutionMode.ORT_SEQUENTIAL
        self.execution_order = ExecutionOrder.DEFAULT
        self.enable_mem_pattern = True
        self.enable_mem_reuse = True
        self.enable_cpu_mem_arena = True
        self.use_deterministic_compute = False
        self.use_per_session_threads = True
        self._config = {}
        self._free_dims = {}

    def add_session_config_entry(self, key, value):
        self._config[str(key)] = str(value)

    def get_session_config_entry(self, key):
        if key not in self._config:
            raise _NotImplemented(f"SessionOptions has no config entry '{key}'")
        return self._config[key]

    def add_free_dimension_override_by_name(self, dim_name, dim_value):
        """Fixes symbolic dim `dim_name` to `dim_value`: get_inputs() and get_outputs() report
        it, and a fed input must have it."""
        self._free_dims[str(dim_name)] = int(dim_value)

    def add_free_dimension_override_by_denotation(self, dim_denotation, dim_value):
        raise _NotImplemented("add_free_dimension_override_by_denotation: kiln does not read "
                              "dimension denotations; use add_free_dimension_override_by_name")

    def add_initializer(self, name, ort_value):
        raise _NotImplemented("SessionOptions.add_initializer is not supported by kiln yet")

    def register_custom_ops_library(self, library_path):
        raise _NotImplemented("kiln does not load onnxruntime custom-op libraries")


class RunOptions:
    """onnxruntime.RunOptions. kiln reads none of these: a run has no log of its own, and
    `terminate` cannot stop a run that has started."""

    def __init__(self):
        self.log_severity_level = -1
        self.log_verbosity_level = 0
        self.logid = ""
        self.terminate = False
        self.only_execute_path_to_fetches = False
        self._config = {}

    def add_run_config_entry(self, key, value):
        self._config[str(key)] = str(value)

    def get_run_config_entry(self, key):
        return self._config[key]


class NodeArg:
    """A graph input or output: name, shape (ints, str for symbolic dims, None for unknown) and
    type ('tensor(float)', 'seq(tensor(int64))', 'map(int64,tensor(float))', ...)."""

    __slots__ = ("name", "type", "shape")

    def __init__(self, name, type, shape):  # noqa: A002 (onnxruntime's name)
        self.name = name
        self.type = type
        self.shape = shape

    def __repr__(self):
        return f"NodeArg(name='{self.name}', type='{self.type}', shape={self.shape})"

    __str__ = __repr__


class ModelMetadata:
    """What onnxruntime's get_modelmeta() gives. `version` is the model's model_version, or
    2**63 - 1 when the file does not set one (as onnxruntime reports it)."""

    def __init__(self, d):
        self.producer_name = d["producer_name"]
        self.graph_name = d["graph_name"]
        self.domain = d["domain"]
        self.description = d["description"]
        self.graph_description = d["graph_description"]
        self.version = d["version"]
        self.custom_metadata_map = d["custom_metadata_map"]


class Session:
    """Base of InferenceSession, as in onnxruntime."""


class InferenceSession(Session):
    """onnxruntime.InferenceSession over kiln.

    `path_or_bytes` is a file path (str or os.PathLike) or the serialized model. `providers`
    picks the device: 'CUDAExecutionProvider' runs on the GPU (the CPU taking what the GPU has no
    kernel for) when this machine has one and kiln's CUDA plugin loads; any provider that is not
    available is skipped with onnxruntime's warning, and the session ends on the CPU.
    """

    def __init__(self, path_or_bytes, sess_options=None, providers=None, provider_options=None,
                 **kwargs):
        self._model = path_or_bytes
        self._sess_options = sess_options if sess_options is not None else SessionOptions()
        self._load(providers, provider_options)

    # ---- creation ----------------------------------------------------------------------------

    def _load(self, providers, provider_options):
        so = self._sess_options
        chosen = normalize_providers(providers, provider_options)
        device, self._providers, self._provider_options = "cpu", [CPU], {CPU: {}}
        options = {
            "level": _KILN_LEVEL.get(int(so.graph_optimization_level), 3),
            "memory_planning": bool(so.enable_mem_pattern),
            "seed": default_seed(),
            "profiling": bool(so.enable_profiling),
            "threads": max(0, int(so.intra_op_num_threads)),
        }
        for name, opts in chosen:
            if name == CUDA:
                device_id = int(opts.get("device_id", 0))
                if device_id != 0:
                    raise _NotImplemented(f"{CUDA}: kiln runs on CUDA device 0 only, "
                                          f"got device_id={device_id}")
                options["graph_capture"] = _truthy(opts.get("enable_cuda_graph", "0"))
                if "use_tf32" in opts:
                    options["allow_tf32"] = _truthy(opts["use_tf32"])
                device = "cuda"
                self._providers = [CUDA, CPU]
                self._provider_options = {CUDA: {k: str(v) for k, v in opts.items()}, CPU: {}}
                self._provider_options[CUDA].setdefault("device_id", "0")
                break
            if name == CPU:
                break
        options["device"] = device
        model = self._model
        base_dir = ""
        if isinstance(model, (bytes, bytearray, memoryview)):
            model = bytes(model)
        else:
            model = os.fspath(model)
            if not os.path.exists(model):
                raise NoSuchFile(f"Load model from {model} failed: file does not exist")
        self._sess = _kiln.Session(model, base_dir, options)
        self._inputs = self._node_args(self._sess.inputs())
        self._outputs = self._node_args(self._sess.outputs())
        self._overridable = self._node_args(self._sess.overridable_initializers())
        self._input_types = {a.name: a.type for a in self._inputs + self._overridable}
        self._output_index = {a.name: i for i, a in enumerate(self._outputs)}
        self._meta = None
        if so.optimized_model_filepath:
            self._sess.save_optimized(os.fspath(so.optimized_model_filepath))

    def _node_args(self, items):
        free = self._sess_options._free_dims
        args = []
        for name, type_, shape in items:
            if free:
                shape = [free.get(d, d) if isinstance(d, str) else d for d in shape]
            args.append(NodeArg(name, type_, shape))
        return args

    # ---- what onnxruntime scripts ask --------------------------------------------------------

    def get_inputs(self):
        return list(self._inputs)

    def get_outputs(self):
        return list(self._outputs)

    def get_overridable_initializers(self):
        return list(self._overridable)

    def get_modelmeta(self):
        if self._meta is None:
            self._meta = ModelMetadata(self._sess.metadata())
        return self._meta

    def get_providers(self):
        return list(self._providers)

    def get_provider_options(self):
        return {k: dict(v) for k, v in self._provider_options.items()}

    def get_session_options(self):
        return self._sess_options

    def set_providers(self, providers=None, provider_options=None):
        self._load(providers, provider_options)

    def disable_fallback(self):
        pass

    def enable_fallback(self):
        pass

    def end_profiling(self):
        """Ends profiling (SessionOptions.enable_profiling) and writes the trace, a Chrome trace
        in onnxruntime's profile format, to '<profile_file_prefix>_<date>_<time>.json' in the
        working directory; returns that file's name, or '' when the session was not profiling."""
        prefix = self._sess_options.profile_file_prefix
        path = f"{prefix}_{time.strftime('%Y-%m-%d_%H-%M-%S')}.json"
        return path if self._sess.end_profiling(path) else ""

    def get_profiling_start_time_ns(self):
        return self._sess.profiling_start_ns()

    def run(self, output_names, input_feed, run_options=None):
        """Runs the model on `input_feed` ({name: value}); returns the outputs named by
        `output_names` (None or empty: every output, in graph order) as a list."""
        types = self._input_types
        feeds = []
        for name, value in input_feed.items():
            type_ = types.get(name)
            if type_ is None:
                raise InvalidArgument(
                    f"Invalid input name: {name}; the model's inputs are: "
                    + ", ".join(a.name for a in self._inputs + self._overridable))
            feeds.append((name, value_in(value, name, type_)))
        if self._sess_options._free_dims:
            self._check_free_dims(input_feed)
        outs = self._sess.run(feeds)
        if output_names:
            index = self._output_index
            picked = []
            for n in output_names:
                if n not in index:
                    raise InvalidArgument(f"Invalid output name: {n}; the model's outputs are: "
                                          + ", ".join(a.name for a in self._outputs))
                picked.append(outs[index[n]])
            outs = picked
        return [value_out(v) for v in outs]

    def run_with_ort_values(self, output_names, input_dict_ort_values, run_options=None):
        """run() over OrtValues: returns the outputs as OrtValues."""
        feeds = {k: v.numpy() for k, v in input_dict_ort_values.items()}
        return [OrtValue(v) for v in self.run(output_names, feeds, run_options)]

    def io_binding(self):
        return SessionIOBinding(self)

    def run_with_iobinding(self, iobinding, run_options=None):
        iobinding._run(run_options)

    def _check_free_dims(self, input_feed):
        for arg in self._inputs:
            value = input_feed.get(arg.name)
            shape = getattr(value, "shape", None)
            if shape is None or len(shape) != len(arg.shape):
                continue
            for i, (want, got) in enumerate(zip(arg.shape, shape)):
                if isinstance(want, int) and want != got:
                    raise InvalidArgument(f"input '{arg.name}': dim {i} is {got}, expected "
                                          f"{want} (add_free_dimension_override_by_name)")


def _truthy(v):
    return str(v).strip().lower() in ("1", "true", "yes", "on")
