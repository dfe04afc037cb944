"""glTF meshes -> `Mesh`/`Primitive`: triangle lists, float attributes, skin weights, morph targets.

Strips and fans become lists; point and line primitives are skipped with a
warning. Missing normals are computed (smooth, area weighted); nothing else
is invented.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from engine.assets.gltf_accessors import read_accessor
from engine.assets.gltf_document import GltfDocument
from engine.assets.gltf_materials import UvMapping, apply_uv_transform
from engine.assets.model import Mesh, Primitive

TRIANGLES, TRIANGLE_STRIP, TRIANGLE_FAN = 4, 5, 6
NON_TRIANGLE_MODES = {0: "POINTS", 1: "LINES", 2: "LINE_LOOP", 3: "LINE_STRIP"}
INFLUENCES_PER_VERTEX = 4
DRACO_EXTENSION = "KHR_draco_mesh_compression"


def read_mesh(doc: GltfDocument, mesh_index: int, uv_mappings: list[UvMapping]) -> Mesh:
    """Mesh `mesh_index`; each primitive's uv0 follows its material's entry in `uv_mappings`."""
    spec = doc.items("meshes")[mesh_index]
    label = f"meshes[{mesh_index}]"
    primitive_specs = spec.get("primitives")
    if not isinstance(primitive_specs, list):
        doc.fail(f"{label} has no primitives array")
    read = (
        _read_primitive(doc, p, f"{label}.primitives[{i}]", uv_mappings) for i, p in enumerate(primitive_specs)
    )
    primitives = [primitive for primitive in read if primitive is not None]

    target_count = max((p.morph_target_count for p in primitives), default=0)
    for primitive in primitives:
        if primitive.morph_target_count != target_count:
            doc.warn(f"{label} primitives disagree on morph target count; padding with empty targets")
            _pad_targets(primitive, target_count)
    weights = np.asarray(spec.get("weights", np.zeros(target_count)), np.float32).reshape(-1)
    if len(weights) != target_count:
        doc.warn(f"{label} has {len(weights)} default weights for {target_count} morph targets; using zeros")
        weights = np.zeros(target_count, np.float32)
    return Mesh(
        name=spec.get("name") or f"mesh{mesh_index}",
        primitives=primitives,
        default_weights=weights,
        target_names=_target_names(spec, target_count),
    )


def triangle_list(indices: np.ndarray, mode: int) -> np.ndarray:
    """Triangle-list indices (uint32) from TRIANGLES, TRIANGLE_STRIP or TRIANGLE_FAN indices."""
    indices = indices.astype(np.uint32)
    if mode == TRIANGLES:
        return indices[: len(indices) - len(indices) % 3]
    first = np.arange(max(len(indices) - 2, 0))
    if mode == TRIANGLE_STRIP:
        # Odd triangles swap their last two corners to keep the winding consistent.
        odd = first % 2 == 1
        corners = np.stack(
            [indices[first], np.where(odd, indices[first + 2], indices[first + 1]),
             np.where(odd, indices[first + 1], indices[first + 2])], axis=1
        )
    else:
        corners = np.stack([np.full(len(first), indices[0] if len(indices) else 0, np.uint32),
                            indices[first + 1], indices[first + 2]], axis=1)
    # Strips join pieces with repeated indices; those zero-area joins are dropped.
    degenerate = (corners[:, 0] == corners[:, 1]) | (corners[:, 1] == corners[:, 2]) | (corners[:, 0] == corners[:, 2])
    return corners[~degenerate].reshape(-1).astype(np.uint32)


def smooth_normals(positions: np.ndarray, indices: np.ndarray) -> np.ndarray:
    """Per-vertex normals: the sum of adjacent face normals weighted by face area."""
    triangles = indices.reshape(-1, 3)
    corners = positions[triangles].astype(np.float64)
    # The cross product's length is twice the face area, which is exactly the weight wanted.
    face_normals = np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0])
    vertex_of_corner = triangles.reshape(-1)
    sums = np.stack(
        [np.bincount(vertex_of_corner, np.repeat(face_normals[:, axis], 3), len(positions)) for axis in range(3)],
        axis=1,
    )
    lengths = np.linalg.norm(sums, axis=1, keepdims=True)
    # Vertices no triangle touches get +Y rather than NaN.
    return np.where(lengths > 0, sums / np.maximum(lengths, 1e-300), [0.0, 1.0, 0.0]).astype(np.float32)


def _read_primitive(
    doc: GltfDocument, spec: dict[str, Any], label: str, uv_mappings: list[UvMapping]
) -> Primitive | None:
    mode = spec.get("mode", TRIANGLES)
    if mode in NON_TRIANGLE_MODES:
        doc.warn(f"{label} is {NON_TRIANGLE_MODES[mode]}; only triangles are drawn, skipped")
        return None
    if mode not in (TRIANGLES, TRIANGLE_STRIP, TRIANGLE_FAN):
        doc.fail(f"{label} has unknown mode {mode!r}")
    attributes = spec.get("attributes", {})
    if "POSITION" not in attributes:
        doc.warn(f"{label} has no POSITION attribute, skipped")
        return None
    if DRACO_EXTENSION in spec.get("extensions", {}) and "bufferView" not in doc.item(
        "accessors", attributes["POSITION"], label
    ):
        doc.warn(f"{label} is stored only Draco-compressed ({DRACO_EXTENSION}), which this loader cannot decode; "
                 "skipped")
        return None
    positions = _vertex_attribute(doc, attributes, "POSITION", (3,), None, label)
    vertex_count = len(positions)

    if "indices" in spec:
        indices = read_accessor(doc, spec["indices"], f"{label} indices")
        if indices.ndim != 1 or indices.dtype.kind != "u":
            doc.fail(f"{label} indices must be an unsigned integer SCALAR accessor")
    else:
        indices = np.arange(vertex_count, dtype=np.uint32)
    if len(indices) and int(indices.max()) >= vertex_count:
        doc.fail(f"{label} indices reach vertex {int(indices.max())} but there are only {vertex_count}")
    indices = triangle_list(indices, mode)
    positions, indices = _drop_non_finite_vertices(doc, positions, indices, label)
    if len(indices) == 0:
        doc.warn(f"{label} has no triangles, skipped")
        return None

    def attribute(name: str, widths: tuple[int, ...]) -> np.ndarray | None:
        return _vertex_attribute(doc, attributes, name, widths, vertex_count, label) if name in attributes else None

    normals = attribute("NORMAL", (3,))
    colors = attribute("COLOR_0", (3, 4))
    if colors is not None and colors.shape[1] == 3:
        colors = np.concatenate([colors, np.ones((vertex_count, 1), np.float32)], axis=1)
    joints, weights = _skin_influences(doc, attributes, vertex_count, label)
    morph_positions, morph_normals = _morph_targets(doc, spec.get("targets", []), vertex_count, label)
    material = None if spec.get("material") is None else doc.index("materials", spec["material"], label)
    mapping = UvMapping() if material is None else uv_mappings[material]
    uv0 = attribute(f"TEXCOORD_{mapping.tex_coord}", (2,))
    if uv0 is not None and mapping.transform is not None:
        uv0 = apply_uv_transform(uv0, mapping.transform)
    return Primitive(
        positions=positions,
        indices=indices,
        normals=smooth_normals(positions, indices) if normals is None else normals,
        uv0=uv0,
        tangents=attribute("TANGENT", (4,)),
        colors=colors,
        joints=joints,
        weights=weights,
        material=material,
        morph_positions=morph_positions,
        morph_normals=morph_normals,
    )


def _drop_non_finite_vertices(
    doc: GltfDocument, positions: np.ndarray, indices: np.ndarray, label: str
) -> tuple[np.ndarray, np.ndarray]:
    """Positions with inf/NaN cannot be drawn or framed: drop their triangles and park them on a finite vertex."""
    finite = np.isfinite(positions).all(axis=1)
    if finite.all():
        return positions, indices
    triangles = indices.reshape(-1, 3)
    kept = triangles[finite[triangles].all(axis=1)]
    doc.warn(f"{label} has {int((~finite).sum())} vertices with non-finite POSITION values; "
             f"dropped the {len(triangles) - len(kept)} triangles using them")
    # Unused vertices still count towards bounds, so they must not stay infinite.
    positions[~finite] = positions[finite][0] if finite.any() else 0.0
    return positions, kept.reshape(-1)


def _vertex_attribute(
    doc: GltfDocument, attributes: dict, name: str, widths: tuple[int, ...], vertex_count: int | None, label: str
) -> np.ndarray:
    """A float32 (N, width) copy; quantized (non-normalized integer) data is cast as KHR_mesh_quantization allows."""
    values = read_accessor(doc, attributes[name], f"{label} {name}")
    if values.ndim != 2 or values.shape[1] not in widths:
        doc.fail(f"{label} {name} must be VEC{'/VEC'.join(map(str, widths))}")
    if vertex_count is not None and len(values) != vertex_count:
        doc.fail(f"{label} {name} has {len(values)} entries but POSITION has {vertex_count}")
    return values.astype(np.float32)


def _skin_influences(
    doc: GltfDocument, attributes: dict, vertex_count: int, label: str
) -> tuple[np.ndarray | None, np.ndarray | None]:
    """JOINTS_n/WEIGHTS_n merged into the 4 strongest influences per vertex, weights summing to 1."""
    set_count = 0
    while f"JOINTS_{set_count}" in attributes and f"WEIGHTS_{set_count}" in attributes:
        set_count += 1
    if set_count == 0:
        return None, None
    joint_sets, weight_sets = [], []
    for n in range(set_count):
        joints = read_accessor(doc, attributes[f"JOINTS_{n}"], f"{label} JOINTS_{n}")
        if joints.shape != (vertex_count, 4) or joints.dtype.kind != "u":
            doc.fail(f"{label} JOINTS_{n} must be {vertex_count} unsigned VEC4 entries")
        joint_sets.append(joints.astype(np.uint16))
        weight_sets.append(_vertex_attribute(doc, attributes, f"WEIGHTS_{n}", (4,), vertex_count, label))
    joints, weights = np.concatenate(joint_sets, axis=1), np.concatenate(weight_sets, axis=1)
    if set_count > 1:
        doc.warn(f"{label} has {4 * set_count} influences per vertex; keeping the strongest 4")
        strongest = np.argsort(-weights, axis=1, kind="stable")[:, :INFLUENCES_PER_VERTEX]
        joints = np.take_along_axis(joints, strongest, axis=1)
        weights = np.take_along_axis(weights, strongest, axis=1)
    totals = weights.sum(axis=1, keepdims=True)
    # A vertex with no weight at all follows its first joint rather than collapsing to the origin.
    weights = np.where(totals > 0, weights / np.where(totals > 0, totals, 1), [1.0, 0.0, 0.0, 0.0])
    return np.ascontiguousarray(joints), weights.astype(np.float32)


def _morph_targets(
    doc: GltfDocument, targets: list, vertex_count: int, label: str
) -> tuple[np.ndarray | None, np.ndarray | None]:
    if not targets:
        return None, None
    positions = np.zeros((len(targets), vertex_count, 3), np.float32)
    normals = np.zeros_like(positions)
    has_normals = False
    for t, target in enumerate(targets):
        where = f"{label} target {t}"
        if "POSITION" in target:
            positions[t] = _vertex_attribute(doc, target, "POSITION", (3,), vertex_count, where)
        if "NORMAL" in target:
            normals[t] = _vertex_attribute(doc, target, "NORMAL", (3,), vertex_count, where)
            has_normals = True
    return positions, normals if has_normals else None


def _pad_targets(primitive: Primitive, target_count: int) -> None:
    missing = target_count - primitive.morph_target_count
    pad = np.zeros((missing, primitive.vertex_count, 3), np.float32)
    primitive.morph_positions = pad if primitive.morph_positions is None else np.concatenate(
        [primitive.morph_positions, pad]
    )
    if primitive.morph_normals is not None:
        primitive.morph_normals = np.concatenate([primitive.morph_normals, pad])


def _target_names(spec: dict[str, Any], target_count: int) -> list[str]:
    """`extras.targetNames` from the mesh, or (as some exporters write it) from its first primitive."""
    sources = [spec.get("extras")] + [p.get("extras") for p in spec.get("primitives", [])[:1]]
    for extras in sources:
        names = extras.get("targetNames") if isinstance(extras, dict) else None
        if isinstance(names, list) and len(names) == target_count:
            return [str(name) for name in names]
    return []
