"""Values between numpy and kiln's C++ runtime (tools/python/_kiln.cc), as onnxruntime gives them.

Tensors are numpy arrays (float16 natively; bfloat16 and the float8 types as ml_dtypes arrays;
strings as object arrays of str; bool), sequences lists, maps dicts, an absent optional None.
"""
import numpy as np

try:  # bfloat16 and float8 arrays; only needed when a model uses those types
    import ml_dtypes
except ImportError:  # pragma: no cover - ml_dtypes comes with onnx and jax, not with kiln
    ml_dtypes = None

STRING = 8

# numpy dtype -> ONNX element type (kiln's DataType numbers).
_CODES = {
    np.dtype(np.float32): 1, np.dtype(np.uint8): 2, np.dtype(np.int8): 3,
    np.dtype(np.uint16): 4, np.dtype(np.int16): 5, np.dtype(np.int32): 6,
    np.dtype(np.int64): 7, np.dtype(np.bool_): 9, np.dtype(np.float16): 10,
    np.dtype(np.float64): 11, np.dtype(np.uint32): 12, np.dtype(np.uint64): 13,
    np.dtype(np.complex64): 14, np.dtype(np.complex128): 15,
}

# ONNX types numpy has no dtype for: the ml_dtypes name and the unsigned view of the same width.
_ML = {16: ("bfloat16", np.uint16), 17: ("float8_e4m3fn", np.uint8),
       18: ("float8_e4m3fnuz", np.uint8), 19: ("float8_e5m2", np.uint8),
       20: ("float8_e5m2fnuz", np.uint8), 24: ("float8_e8m0fnu", np.uint8)}
# Packed types (ONNX stores 2 or 4 per byte, low bits first): ml_dtypes name, bits, signed.
_PACKED = {21: ("uint4", 4, False), 22: ("int4", 4, True), 23: ("float4_e2m1fn", 4, False),
           25: ("uint2", 2, False), 26: ("int2", 2, True)}
if ml_dtypes is not None:
    for _code, (_name, _view) in _ML.items():
        if hasattr(ml_dtypes, _name):
            _CODES[np.dtype(getattr(ml_dtypes, _name))] = _code
    for _code, (_name, _bits, _signed) in _PACKED.items():
        if hasattr(ml_dtypes, _name):
            _CODES[np.dtype(getattr(ml_dtypes, _name))] = _code


def _pack(a, code):
    """ml_dtypes array (one element a byte) -> (code, packed uint8 bytes, dims)."""
    _, bits, _ = _PACKED[code]
    per = 8 // bits
    v = np.ascontiguousarray(a).view(np.uint8).reshape(-1) & ((1 << bits) - 1)
    n = v.size
    padded = np.zeros(-(-n // per) * per, np.uint8)
    padded[:n] = v
    packed = np.zeros(padded.size // per, np.uint8)
    for k in range(per):
        packed |= padded[k::per] << (k * bits)
    return (code, packed, list(a.shape))


def _unpack(code, raw, dims):
    """Packed bytes of element type `code` -> the ml_dtypes array of `dims`."""
    name, bits, signed = _PACKED[code]
    per = 8 // bits
    n = int(np.prod(dims, dtype=np.int64))
    i = np.arange(n)
    v = (raw[i // per] >> ((i % per) * bits).astype(np.uint8)) & ((1 << bits) - 1)
    v = v.astype(np.uint8)
    if signed:  # sign-extend into the byte ml_dtypes keeps the value in
        v = np.where(v >= 1 << (bits - 1), v.astype(np.int16) - (1 << bits), v).astype(np.int8)
    return v.view(getattr(ml_dtypes, name)).reshape(dims)


def _tensor_in(value, name):
    """(code, C-contiguous array) or (8, [str], shape) for one tensor input."""
    a = value if type(value) is np.ndarray else np.asarray(value)
    code = _CODES.get(a.dtype)
    if code is not None:
        if code in _PACKED:
            return _pack(a, code)
        if code in _ML:
            a = a.view(_ML[code][1])
        if not a.flags.c_contiguous:
            a = np.ascontiguousarray(a)
        return (code, a)
    if a.dtype == np.object_ or a.dtype.kind in "US":
        return (STRING, [s if isinstance(s, str) else str(s) for s in a.reshape(-1).tolist()],
                list(a.shape))
    from ._errors import InvalidArgument
    raise InvalidArgument(f"input '{name}': numpy dtype {a.dtype} has no ONNX element type")


_TYPE_NAMES = {1: "float", 2: "uint8", 3: "int8", 4: "uint16", 5: "int16", 6: "int32",
               7: "int64", 9: "bool", 10: "float16", 11: "double", 12: "uint32", 13: "uint64",
               14: "complex64", 15: "complex128", 16: "bfloat16", 17: "float8e4m3fn",
               18: "float8e4m3fnuz", 19: "float8e5m2", 20: "float8e5m2fnuz", 21: "uint4",
               22: "int4", 23: "float4e2m1", 24: "float8e8m0", 25: "uint2", 26: "int2"}
_CODE_OF_NAME = {name: code for code, name in _TYPE_NAMES.items()}
_CODE_OF_NAME["string"] = STRING

# ONNX type ("tensor(float)") -> numpy dtype, for maps and onnxruntime's helpers.
NUMPY_OF_TYPE = {f"tensor({_TYPE_NAMES[code]})": dt.type for dt, code in _CODES.items()}
NUMPY_OF_TYPE["tensor(string)"] = np.object_


def type_of_array(a):
    """The ONNX type of a numpy array ("tensor(float)") and its element type (1), as
    onnxruntime's OrtValue.data_type() and element_type() give them."""
    if a.dtype == np.object_ or a.dtype.kind in "US":
        return "tensor(string)", STRING
    code = _CODES.get(a.dtype)
    if code is None:
        return f"tensor({a.dtype.name})", 0
    return f"tensor({_TYPE_NAMES[code]})", code


def _elem_code(onnx_type):
    """The element type of 'tensor(T)' as kiln's code; 0 for other types."""
    if onnx_type.startswith("tensor("):
        return _CODE_OF_NAME.get(onnx_type[len("tensor("):-1], 0)
    return 0


def value_in(value, name, onnx_type):
    """The form _kiln.Session.run reads for a feed of declared type `onnx_type`."""
    if type(value) is np.ndarray:  # the common case, first
        return _tensor_in(value, name)
    if value is None:
        return None
    if onnx_type.startswith("optional("):
        onnx_type = onnx_type[len("optional("):-1]
    if onnx_type.startswith("seq("):
        if not isinstance(value, (list, tuple)):
            from ._errors import InvalidArgument
            raise InvalidArgument(f"input '{name}': expected a list for {onnx_type}, "
                                  f"got {type(value).__name__}")
        inner = onnx_type[len("seq("):-1]
        return ("seq", _elem_code(inner), [value_in(v, name, inner) for v in value])
    if onnx_type.startswith("map("):
        if not isinstance(value, dict):
            from ._errors import InvalidArgument
            raise InvalidArgument(f"input '{name}': expected a dict for {onnx_type}, "
                                  f"got {type(value).__name__}")
        key = onnx_type[len("map("):onnx_type.find(",")]
        key_dtype = np.int64 if key == "int64" else np.object_ if key == "string" else key
        keys = np.array(list(value.keys()), dtype=key_dtype)
        vals = np.array(list(value.values()),
                        dtype=NUMPY_OF_TYPE.get(onnx_type[onnx_type.find(",") + 1:-1]))
        return ("map", _tensor_in(keys, name), _tensor_in(vals, name))
    return _tensor_in(value, name)


def value_out(v):
    """An output of _kiln.Session.run as onnxruntime returns it."""
    if type(v) is np.ndarray:
        return v
    if v is None:
        return None
    if type(v) is list:
        return [value_out(x) for x in v]
    if v[0] == "map":
        keys, vals = value_out(v[1]), value_out(v[2])
        return dict(zip(keys.tolist(), vals.tolist()))
    if v[0] == STRING:
        strs = [b.decode("utf-8", "surrogateescape") for b in v[1]]
        out = np.empty(len(strs), dtype=np.object_)
        out[:] = strs
        return out.reshape(v[2])
    if len(v) == 3:
        code, raw, dims = v
    else:
        (code, raw), dims = v, None
    if ml_dtypes is None:
        from ._errors import NotImplemented as _NotImplemented
        raise _NotImplemented(f"an output of type {_TYPE_NAMES.get(code, code)} needs the "
                              "ml_dtypes package (pip install ml_dtypes)")
    if code in _PACKED:
        return _unpack(code, raw, dims)
    return raw.view(getattr(ml_dtypes, _ML[code][0]))
