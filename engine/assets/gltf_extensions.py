"""Which glTF extensions this loader understands, and what to do about the rest.

A required extension we cannot honour makes the file unloadable (its data
would be misread); an optional one only loses some fidelity, so it is a warning.
Extensions whose absence only changes how the model looks cannot make data
misread, so they are a warning even when a file marks them required.
"""

from __future__ import annotations

from engine.assets.gltf_document import GltfDocument

# Read and applied by the loader.
APPLIED = {
    "KHR_mesh_quantization",
    "EXT_meshopt_compression",
    "KHR_meshopt_compression",
    "EXT_mesh_gpu_instancing",  # instances become child nodes
    "KHR_materials_unlit",
    "KHR_materials_emissive_strength",
    "KHR_materials_pbrSpecularGlossiness",  # approximated as a dielectric metallic-roughness material
    "KHR_texture_transform",
    "EXT_texture_webp",  # Pillow decodes WebP and AVIF; the texture table reads the extension's source
    "EXT_texture_avif",
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
# Not applied, and only looks suffer: surfaces shade as their core metallic-roughness material,
# and KTX2 (Basis Universal) images, which Pillow cannot decode, show the missing-texture magenta.
LOOKS_ONLY = {
    "KHR_materials_anisotropy",
    "KHR_materials_clearcoat",
    "KHR_materials_diffuse_transmission",
    "KHR_materials_dispersion",
    "KHR_materials_ior",
    "KHR_materials_iridescence",
    "KHR_materials_sheen",
    "KHR_materials_specular",
    "KHR_materials_transmission",
    "KHR_materials_volume",
    "KHR_texture_basisu",
}


def check_extensions(doc: GltfDocument) -> None:
    required = doc.json.get("extensionsRequired", [])
    used = doc.json.get("extensionsUsed", [])
    for name in required:
        if name not in SUPPORTED and name not in LOOKS_ONLY:
            doc.fail(f"requires glTF extension {name}, which this loader does not support")
    for name in dict.fromkeys([*used, *required]):
        if name not in SUPPORTED:
            doc.warn(f"ignoring unsupported glTF extension {name}")
