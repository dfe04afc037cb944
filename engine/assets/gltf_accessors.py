"""glTF accessors decoded to numpy arrays: strided, sparse, normalized, matrices.

`read_accessor` returns shape (count,) for SCALAR, (count, n) for VECn and
(count, cols, rows) for MATn (so MAT4 comes out in GL layout directly).
Normalized integers become float32; other integers keep their dtype so the
caller decides (indices stay integers, quantized positions get cast).
Results are cached per document and must be treated as read-only.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from engine.assets.gltf_document import GltfDocument

COMPONENT_DTYPES = {
    5120: np.dtype("<i1"),
    5121: np.dtype("<u1"),
    5122: np.dtype("<i2"),
    5123: np.dtype("<u2"),
    5125: np.dtype("<u4"),
    5126: np.dtype("<f4"),
}
INDEX_COMPONENT_TYPES = (5121, 5123, 5125)
ELEMENT_SHAPES = {
    "SCALAR": (),
    "VEC2": (2,),
    "VEC3": (3,),
    "VEC4": (4,),
    "MAT2": (2, 2),
    "MAT3": (3, 3),
    "MAT4": (4, 4),
}


def read_accessor(doc: GltfDocument, index: Any, referrer: str) -> np.ndarray:
    spec = doc.item("accessors", index, referrer)
    if index not in doc.accessor_cache:
        doc.accessor_cache[index] = _decode(doc, index, spec)
    return doc.accessor_cache[index]


def _decode(doc: GltfDocument, index: int, spec: dict[str, Any]) -> np.ndarray:
    label = f"accessors[{index}]"
    dtype = COMPONENT_DTYPES.get(spec.get("componentType"))
    shape = ELEMENT_SHAPES.get(spec.get("type"))
    count = spec.get("count")
    if dtype is None:
        doc.fail(f"{label} has unknown componentType {spec.get('componentType')!r}")
    if shape is None:
        doc.fail(f"{label} has unknown type {spec.get('type')!r}")
    if not isinstance(count, int) or count < 0:
        doc.fail(f"{label} has an invalid count {count!r}")

    if "bufferView" in spec:
        values = _strided(doc, spec["bufferView"], spec.get("byteOffset", 0), count, dtype, shape, label)
    else:
        values = np.zeros((count, *shape), dtype)
    if "sparse" in spec:
        _apply_sparse(doc, spec["sparse"], values, dtype, shape, label)
    if spec.get("normalized", False):
        values = _normalized_to_float(values, label, doc)
    return values


def _strided(
    doc: GltfDocument, view_index: Any, byte_offset: Any, count: int, dtype: np.dtype, shape: tuple, label: str
) -> np.ndarray:
    """Copy `count` elements out of a buffer view, honouring byteStride and matrix column padding."""
    view = doc.buffer_view(view_index, label)
    view_stride = doc.items("bufferViews")[view_index].get("byteStride")
    if len(shape) == 2:
        columns, rows = shape
        # Matrix columns start on 4-byte boundaries (matters for byte/short MAT2/MAT3).
        column_stride = -(-rows * dtype.itemsize // 4) * 4
        inner_shape, inner_strides = (columns, rows), (column_stride, dtype.itemsize)
        element_size = column_stride * columns
    else:
        inner_shape, inner_strides = shape, (dtype.itemsize,) * len(shape)
        element_size = dtype.itemsize * int(np.prod(shape, dtype=int))
    stride = view_stride or element_size
    if not isinstance(byte_offset, int) or byte_offset < 0:
        doc.fail(f"{label} has an invalid byteOffset {byte_offset!r}")
    if stride < element_size:
        doc.fail(f"{label} elements are {element_size} bytes but bufferViews[{view_index}] byteStride is {stride}")
    end = byte_offset + (count - 1) * stride + element_size if count else byte_offset
    if end > len(view):
        doc.fail(f"{label} reads bytes up to {end} but bufferViews[{view_index}] has only {len(view)}")
    if count == 0:
        return np.zeros((0, *shape), dtype.newbyteorder("="))
    strided = np.ndarray(
        (count, *inner_shape), dtype, buffer=view, offset=byte_offset, strides=(stride, *inner_strides)
    )
    return strided.astype(dtype.newbyteorder("="))  # contiguous native-order copy


def _apply_sparse(
    doc: GltfDocument, sparse: dict[str, Any], values: np.ndarray, dtype: np.dtype, shape: tuple, label: str
) -> None:
    count = sparse.get("count")
    indices_spec, values_spec = sparse.get("indices", {}), sparse.get("values", {})
    if not isinstance(count, int) or count < 0:
        doc.fail(f"{label} sparse.count is invalid")
    index_type = indices_spec.get("componentType")
    if index_type not in INDEX_COMPONENT_TYPES:
        doc.fail(f"{label} sparse indices have invalid componentType {index_type!r}")
    where = _strided(
        doc, indices_spec.get("bufferView"), indices_spec.get("byteOffset", 0),
        count, COMPONENT_DTYPES[index_type], (), f"{label} sparse indices",
    )
    replacements = _strided(
        doc, values_spec.get("bufferView"), values_spec.get("byteOffset", 0),
        count, dtype, shape, f"{label} sparse values",
    )
    if count and int(where.max()) >= len(values):
        doc.fail(f"{label} sparse index {int(where.max())} is past its count {len(values)}")
    values[where] = replacements


def _normalized_to_float(values: np.ndarray, label: str, doc: GltfDocument) -> np.ndarray:
    if values.dtype.kind == "f":
        doc.fail(f"{label} is float but marked normalized")
    if values.dtype.itemsize > 2:
        doc.fail(f"{label} is a normalized 32-bit integer, which glTF does not allow")
    largest = float(np.iinfo(values.dtype).max)
    scaled = values.astype(np.float32) / np.float32(largest)
    # Signed formats have one extra negative code; glTF clamps it to -1.
    return np.maximum(scaled, np.float32(-1.0)) if values.dtype.kind == "i" else scaled
