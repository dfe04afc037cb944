"""EXT_mesh_gpu_instancing -> one child node per instance.

`ModelAsset` has no instancing, so each instance becomes a child of the
instanced node carrying its mesh with the instance's TRS; the node itself
keeps its transform, children and animation but no longer draws. That gives
exactly the spec's world = node world * instance transform.
"""

from __future__ import annotations

import numpy as np

from engine.assets.gltf_accessors import read_accessor
from engine.assets.gltf_document import GltfDocument
from engine.assets.model import Node

INSTANCING_EXTENSION = "EXT_mesh_gpu_instancing"
INSTANCE_ATTRIBUTES = {"TRANSLATION": 3, "ROTATION": 4, "SCALE": 3}


def expand_gpu_instances(doc: GltfDocument, nodes: list[Node]) -> None:
    """Append the instance nodes (file node indices stay valid); `nodes` must be in file order."""
    for index, spec in enumerate(doc.items("nodes")):
        instancing = spec.get("extensions", {}).get(INSTANCING_EXTENSION)
        if instancing is None:
            continue
        node = nodes[index]
        label = f"nodes[{index}] {INSTANCING_EXTENSION}"
        if node.mesh is None:
            doc.warn(f"{label} is on a node without a mesh; ignored")
            continue
        translations, rotations, scales = _instance_transforms(doc, instancing.get("attributes", {}), label)
        for number in range(len(translations)):
            nodes.append(
                Node(name=f"{node.name}.instance{number}", parent=index, translation=translations[number],
                     rotation=rotations[number], scale=scales[number], mesh=node.mesh, skin=node.skin,
                     weights=node.weights)
            )
            node.children.append(len(nodes) - 1)
        node.mesh = node.skin = None


def _instance_transforms(doc: GltfDocument, attributes: dict, label: str) -> tuple[np.ndarray, ...]:
    """(N, 3) translations, (N, 4) unit rotations, (N, 3) scales; absent attributes are identity."""
    if not isinstance(attributes, dict) or not attributes.keys() & INSTANCE_ATTRIBUTES.keys():
        doc.fail(f"{label} has none of the TRANSLATION, ROTATION and SCALE attributes")
    values = {}
    for name, width in INSTANCE_ATTRIBUTES.items():
        if name in attributes:
            array = read_accessor(doc, attributes[name], f"{label} {name}")
            if array.ndim != 2 or array.shape[1] != width:
                doc.fail(f"{label} {name} must be a VEC{width} accessor")
            # Quantized (KHR_mesh_quantization) integers are plain numbers here, normalized ones are already floats.
            values[name] = array.astype(np.float32)
    counts = {len(array) for array in values.values()}
    if len(counts) != 1:
        doc.fail(f"{label} attributes disagree on the instance count ({sorted(counts)})")
    (count,) = counts
    translations = values.get("TRANSLATION", np.zeros((count, 3), np.float32))
    rotations = values.get("ROTATION", np.tile(np.array([0, 0, 0, 1], np.float32), (count, 1)))
    lengths = np.linalg.norm(rotations, axis=1, keepdims=True)
    rotations = np.where(lengths > 0, rotations / np.where(lengths > 0, lengths, 1), [0, 0, 0, 1]).astype(np.float32)
    scales = values.get("SCALE", np.ones((count, 3), np.float32))
    return translations, rotations, scales
