"""EXT_meshopt_compression: turn a compressed buffer view back into plain bytes.

The `meshoptimizer` package does the decoding. Its filter functions declare no
ctypes argument types, so counts and strides are passed as explicit `size_t`
values rather than trusting ctypes' default int conversion.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable
from typing import Any, NoReturn

import meshoptimizer
import numpy as np

MESHOPT_EXTENSION = "EXT_meshopt_compression"

_FILTERS = {
    "OCTAHEDRAL": meshoptimizer.decode_filter_oct,
    "QUATERNION": meshoptimizer.decode_filter_quat,
    "EXPONENTIAL": meshoptimizer.decode_filter_exp,
}


def decode_meshopt_view(
    source: np.ndarray, spec: dict[str, Any], label: str, fail: Callable[[str], NoReturn]
) -> np.ndarray:
    """Decompress `source` (the extension's byte range) into count * byteStride bytes."""
    count, stride = spec.get("count"), spec.get("byteStride")
    mode, filter_name = spec.get("mode"), spec.get("filter", "NONE")
    if not isinstance(count, int) or not isinstance(stride, int) or count < 0 or stride <= 0:
        fail(f"{label} meshopt data needs a non-negative count and a positive byteStride")
    encoded = np.ascontiguousarray(source)
    try:
        if mode == "ATTRIBUTES":
            if stride % 4 or stride > 256:
                fail(f"{label} meshopt ATTRIBUTES byteStride {stride} is not a multiple of 4 up to 256")
            decoded = meshoptimizer.decode_vertex_buffer(count, stride, encoded).reshape(-1).view(np.uint8)
            if filter_name != "NONE":
                decoded = _unfilter(decoded, count, stride, filter_name, label, fail)
            return decoded
        if mode in ("TRIANGLES", "INDICES"):
            if stride not in (2, 4):
                fail(f"{label} meshopt {mode} byteStride must be 2 or 4, not {stride}")
            decode = meshoptimizer.decode_index_buffer if mode == "TRIANGLES" else meshoptimizer.decode_index_sequence
            # Decode to 32-bit (the binding's only safe output size), then narrow to the view's width.
            indices = decode(count, 4, encoded)
            return indices.astype(np.uint16 if stride == 2 else np.uint32).view(np.uint8)
    except (RuntimeError, ValueError) as exc:
        fail(f"{label} meshopt {mode} data does not decode: {exc}")
    fail(f"{label} has unknown meshopt mode {mode!r}")


def _unfilter(
    decoded: np.ndarray, count: int, stride: int, filter_name: str, label: str, fail: Callable[[str], NoReturn]
) -> np.ndarray:
    unfilter = _FILTERS.get(filter_name)
    if unfilter is None:
        fail(f"{label} uses unsupported meshopt filter {filter_name!r}")
    valid_stride = {"OCTAHEDRAL": stride in (4, 8), "QUATERNION": stride == 8, "EXPONENTIAL": True}[filter_name]
    if not valid_stride:
        fail(f"{label} meshopt {filter_name} filter cannot have byteStride {stride}")
    return unfilter(decoded, ctypes.c_size_t(count), ctypes.c_size_t(stride))
