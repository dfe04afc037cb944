"""EXT_meshopt_compression / KHR_meshopt_compression: turn a compressed buffer view back into plain bytes.

The `meshoptimizer` package does the decoding (it reads both the v0 vertex
codec of the EXT extension and the v1 codec KHR adds). Its filter functions
declare no ctypes argument types, so counts and strides are passed as explicit
`size_t` values rather than trusting ctypes' default int conversion. The
package has no COLOR filter (new in KHR), so that one is done here in numpy.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable
from typing import Any, NoReturn

import meshoptimizer
import numpy as np

MESHOPT_EXTENSIONS = ("EXT_meshopt_compression", "KHR_meshopt_compression")

_LIBRARY_FILTERS = {
    "OCTAHEDRAL": meshoptimizer.decode_filter_oct,
    "QUATERNION": meshoptimizer.decode_filter_quat,
    "EXPONENTIAL": meshoptimizer.decode_filter_exp,
}
# Byte strides each filter allows (None: any, ATTRIBUTES already needs a multiple of 4).
_FILTER_STRIDES = {"OCTAHEDRAL": (4, 8), "QUATERNION": (8,), "EXPONENTIAL": None, "COLOR": (4, 8)}


def meshopt_extension(spec: dict[str, Any]) -> dict[str, Any] | None:
    """The bufferView's meshopt extension object, whichever of the two names it uses."""
    extensions = spec.get("extensions", {})
    return next((extensions[name] for name in MESHOPT_EXTENSIONS if name in extensions), None)


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
    if filter_name not in _FILTER_STRIDES:
        fail(f"{label} uses unsupported meshopt filter {filter_name!r}")
    allowed_strides = _FILTER_STRIDES[filter_name]
    if allowed_strides is not None and stride not in allowed_strides:
        fail(f"{label} meshopt {filter_name} filter cannot have byteStride {stride}")
    if filter_name == "COLOR":
        return _unfilter_color(decoded, count, stride)
    return _LIBRARY_FILTERS[filter_name](decoded, ctypes.c_size_t(count), ctypes.c_size_t(stride))


def _unfilter_color(decoded: np.ndarray, count: int, stride: int) -> np.ndarray:
    """KHR COLOR filter: K-bit YCoCg plus alpha -> RGBA as 8- or 16-bit unsigned normalized integers.

    The alpha component carries a marker bit at position K-1 that gives the precision K
    of the whole element; below it sit the top K-1 bits of alpha.
    """
    unsigned_type, signed_type = (np.uint8, np.int8) if stride == 4 else (np.uint16, np.int16)
    unsigned = decoded.view(unsigned_type).reshape(count, 4).astype(np.int64)
    signed = decoded.view(signed_type).reshape(count, 4).astype(np.int64)
    luma, orange, green = unsigned[:, 0], signed[:, 1], signed[:, 2]
    marker = np.frexp(np.maximum(unsigned[:, 3], 1))[1] - 1  # index of alpha's highest set bit
    full_scale = (np.int64(2) << marker) - 1  # 2^K - 1
    alpha = unsigned[:, 3] & (full_scale >> 1)
    alpha = (alpha << 1) | (alpha & 1)  # widen to K bits, repeating the last bit
    rgba = np.stack([luma + orange - green, luma + green, luma - orange - green, alpha], axis=1)
    output_max = np.iinfo(unsigned_type).max
    scaled = rgba * (output_max / full_scale[:, None].astype(np.float64))
    return np.floor(np.clip(scaled, 0, output_max) + 0.5).astype(unsigned_type).reshape(-1).view(np.uint8)
