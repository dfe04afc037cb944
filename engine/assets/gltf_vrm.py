"""VRM humanoid bone maps (VRM 0.x `VRM` and VRM 1.0 `VRMC_vrm`) -> {bone name: node index}."""

from __future__ import annotations

from typing import Any

from engine.assets.gltf_document import GltfDocument


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
    else:
        return {}
    return {
        str(name): doc.index("nodes", node, f"humanoid bone '{name}'") for name, node in pairs if _assigned(name, node)
    }


def _assigned(name: Any, node: Any) -> bool:
    # VRM 0.x exporters write node -1 for bones the avatar does not have.
    return bool(name) and not (isinstance(node, int) and node < 0)
