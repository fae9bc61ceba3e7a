"""Mirrors onnxruntime.capi: scripts that import exceptions from
onnxruntime.capi.onnxruntime_pybind11_state find kiln's under the same path."""
