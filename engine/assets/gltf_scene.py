"""glTF scene graph -> `Node`s (TRS, `matrix` decomposed), root list, `Skin`s and `CameraDef`s.

Everything here keeps the file's node indices; `gltf_node_order` renumbers
them afterwards so parents come before children.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from engine.assets.gltf_accessors import read_accessor
from engine.assets.gltf_document import GltfDocument
from engine.assets.model import CameraDef, Node, Skin
from engine.math_kernels import quat_from_rotation_matrix

SHEAR_TOLERANCE = 1e-4


def read_nodes(doc: GltfDocument) -> list[Node]:
    """Nodes in file order with parents filled in from the children lists."""
    nodes = [_read_node(doc, index, spec) for index, spec in enumerate(doc.items("nodes"))]
    for index, node in enumerate(nodes):
        for child in node.children:
            if nodes[child].parent != -1:
                doc.fail(f"nodes[{child}] is a child of both nodes[{nodes[child].parent}] and nodes[{index}]")
            nodes[child].parent = index
    return nodes


def read_roots(doc: GltfDocument, nodes: list[Node]) -> list[int]:
    """Root nodes of the default scene, else of scene 0, else every parentless node."""
    if "scene" in doc.json:
        scene = doc.item("scenes", doc.json["scene"], "'scene'")
    elif doc.items("scenes"):
        scene = doc.items("scenes")[0]
    else:
        return [index for index, node in enumerate(nodes) if node.parent == -1]
    return [doc.index("nodes", node, "a scene's nodes") for node in scene.get("nodes", [])]


def read_skins(doc: GltfDocument) -> list[Skin]:
    skins = []
    for index, spec in enumerate(doc.items("skins")):
        label = f"skins[{index}]"
        joints = np.array([doc.index("nodes", joint, label) for joint in spec.get("joints", [])], np.int32)
        if len(joints) == 0:
            doc.fail(f"{label} has no joints")
        if "inverseBindMatrices" in spec:
            matrices = read_accessor(doc, spec["inverseBindMatrices"], f"{label} inverseBindMatrices")
            if matrices.shape[1:] != (4, 4) or len(matrices) < len(joints):
                doc.fail(f"{label} inverseBindMatrices must be at least {len(joints)} MAT4 entries")
            matrices = matrices[: len(joints)].astype(np.float32)
        else:
            matrices = np.tile(np.eye(4, dtype=np.float32), (len(joints), 1, 1))
        skeleton = spec.get("skeleton")
        skins.append(
            Skin(
                name=spec.get("name") or f"skin{index}",
                joints=joints,
                inverse_bind_matrices=matrices,
                skeleton=None if skeleton is None else doc.index("nodes", skeleton, label),
            )
        )
    return skins


def read_cameras(doc: GltfDocument) -> list[CameraDef]:
    cameras = []
    for index, spec in enumerate(doc.items("cameras")):
        name = spec.get("name") or f"camera{index}"
        kind = spec.get("type")
        if kind == "perspective":
            lens = spec.get("perspective", {})
            cameras.append(
                CameraDef(
                    name=name, type=kind, yfov=float(lens.get("yfov", 0.8)),
                    aspect=_optional_float(lens.get("aspectRatio")),
                    znear=float(lens.get("znear", 0.05)), zfar=_optional_float(lens.get("zfar")),
                )
            )
        elif kind == "orthographic":
            lens = spec.get("orthographic", {})
            cameras.append(
                CameraDef(
                    name=name, type=kind, xmag=float(lens.get("xmag", 1.0)), ymag=float(lens.get("ymag", 1.0)),
                    znear=float(lens.get("znear", 0.05)), zfar=_optional_float(lens.get("zfar", 1000.0)),
                )
            )
        else:
            doc.fail(f"cameras[{index}] has unknown type {kind!r}")
    return cameras


def decompose_matrix(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool]:
    """GL-layout (4, 4) -> translation, rotation (x, y, z, w), scale, and whether it had shear."""
    matrix = np.asarray(matrix, np.float64)
    translation = matrix[3, :3]
    basis = matrix[:3, :3]  # row i is where local axis i ends up
    scale = np.linalg.norm(basis, axis=1)
    if np.linalg.det(basis) < 0:
        scale[0] = -scale[0]  # a mirror is expressed as a negative x scale
    safe_scale = np.where(scale == 0, 1.0, scale)
    rotation_rows = basis / safe_scale[:, None]
    rotation = quat_from_rotation_matrix(rotation_rows.T)
    sheared = not np.allclose(rotation_rows @ rotation_rows.T, np.eye(3), atol=SHEAR_TOLERANCE) and bool(
        np.all(scale != 0)
    )
    return translation.astype(np.float32), rotation, scale.astype(np.float32), sheared


def _read_node(doc: GltfDocument, index: int, spec: dict[str, Any]) -> Node:
    label = f"nodes[{index}]" + (f" '{spec['name']}'" if spec.get("name") else "")
    node = Node(name=spec.get("name") or f"node{index}")
    if "matrix" in spec:
        matrix = np.asarray(spec["matrix"], np.float64)
        if matrix.shape != (16,):
            doc.fail(f"{label} matrix must have 16 numbers")
        node.translation, node.rotation, node.scale, sheared = decompose_matrix(matrix.reshape(4, 4))
        if sheared:
            doc.warn(f"{label} matrix has shear, which TRS cannot hold; approximated")
    else:
        node.translation = _vector(doc, spec.get("translation", (0, 0, 0)), 3, f"{label} translation")
        node.rotation = _vector(doc, spec.get("rotation", (0, 0, 0, 1)), 4, f"{label} rotation")
        node.scale = _vector(doc, spec.get("scale", (1, 1, 1)), 3, f"{label} scale")
        length = float(np.linalg.norm(node.rotation))
        node.rotation = node.rotation / length if length > 0 else np.array([0, 0, 0, 1], np.float32)
    node.children = [doc.index("nodes", child, label) for child in spec.get("children", [])]
    if index in node.children:
        doc.fail(f"{label} lists itself as a child")
    for key, kind in (("mesh", "meshes"), ("skin", "skins"), ("camera", "cameras")):
        if key in spec:
            setattr(node, key, doc.index(kind, spec[key], label))
    if "weights" in spec:
        node.weights = np.asarray(spec["weights"], np.float32).reshape(-1)
    return node


def _vector(doc: GltfDocument, values: Any, size: int, label: str) -> np.ndarray:
    vector = np.asarray(values, np.float32)
    if vector.shape != (size,):
        doc.fail(f"{label} must have {size} numbers")
    return vector


def _optional_float(value: Any) -> float | None:
    return None if value is None else float(value)
