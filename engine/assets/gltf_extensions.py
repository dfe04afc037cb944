"""Which glTF extensions this loader understands, and what to do about the rest.

A required extension we cannot honour makes the file unloadable (its data
would be misread); an optional one only loses some fidelity, so it is a warning.
"""

from __future__ import annotations

from engine.assets.gltf_document import GltfDocument

# Read and applied by the loader.
APPLIED = {
    "KHR_mesh_quantization",
    "EXT_meshopt_compression",
    "KHR_materials_unlit",
    "KHR_materials_emissive_strength",
    "KHR_texture_transform",
    "EXT_texture_webp",  # Pillow decodes WebP; the texture table reads the extension's source
    "VRM",
    "VRMC_vrm",
}
# Not applied, but ignoring them leaves the model looking and moving as intended
# for previs (secondary motion, toon shading, lights are scene decisions).
IGNORED_QUIETLY = {
    "VRMC_springBone",
    "VRMC_materials_mtoon",
    "VRMC_node_constraint",
    "KHR_lights_punctual",
    "KHR_materials_variants",
}
SUPPORTED = APPLIED | IGNORED_QUIETLY


def check_extensions(doc: GltfDocument) -> None:
    required = doc.json.get("extensionsRequired", [])
    used = doc.json.get("extensionsUsed", [])
    for name in required:
        if name not in SUPPORTED:
            doc.fail(f"requires glTF extension {name}, which this loader does not support")
    for name in used:
        if name not in SUPPORTED and name not in required:
            doc.warn(f"ignoring unsupported glTF extension {name}")
