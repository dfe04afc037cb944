"""Humanoid bone maps -> {bone name: node index}.

Read from VRM 0.x `VRM`, VRM 1.0 `VRMC_vrm`, or Moviola's own files, which
keep the map (VRM 1.0 names) in the root `extras.humanoidBones`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from engine.assets.gltf_document import GltfDocument
from engine.assets.model import ModelAsset, Node


def read_humanoid_bones(doc: GltfDocument) -> dict[str, int]:
    extensions = doc.json.get("extensions", {})
    if "VRMC_vrm" in extensions:
        bones = extensions["VRMC_vrm"].get("humanoid", {}).get("humanBones", {})
        if not isinstance(bones, dict):
            doc.fail("VRMC_vrm humanoid.humanBones must be an object")
        pairs = [(name, spec.get("node") if isinstance(spec, dict) else None) for name, spec in bones.items()]
    elif "VRM" in extensions:
        bones = extensions["VRM"].get("humanoid", {}).get("humanBones", [])
        if not isinstance(bones, list):
            doc.fail("VRM humanoid.humanBones must be an array")
        pairs = [(spec.get("bone"), spec.get("node")) for spec in bones if isinstance(spec, dict)]
    elif isinstance(doc.json.get("extras"), dict) and isinstance(doc.json["extras"].get("humanoidBones"), dict):
        pairs = list(doc.json["extras"]["humanoidBones"].items())
    else:
        return {}
    return {
        str(name): doc.index("nodes", node, f"humanoid bone '{name}'") for name, node in pairs if _assigned(name, node)
    }


def is_vrm0(doc: GltfDocument) -> bool:
    extensions = doc.json.get("extensions", {})
    return "VRM" in extensions and "VRMC_vrm" not in extensions


def turn_to_face_positive_z(asset: ModelAsset) -> None:
    """VRM 0.x avatars face -Z, against glTF's +Z (VRM 1.0 fixed this): put the scene under a half turn about +Y,
    so every avatar walks, retargets and frames the same way. Node order is fixed up by the caller."""
    turn = len(asset.nodes)
    asset.nodes.append(Node("vrm0_turn_to_face_+z", children=list(asset.roots),
                            rotation=np.array([0.0, 1.0, 0.0, 0.0], np.float32)))
    for root in asset.roots:
        asset.nodes[root].parent = turn
    asset.roots = [turn]


def _assigned(name: Any, node: Any) -> bool:
    # VRM 0.x exporters write node -1 for bones the avatar does not have.
    return bool(name) and not (isinstance(node, int) and node < 0)
