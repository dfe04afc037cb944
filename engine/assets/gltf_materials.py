"""glTF materials -> `Material`s, plus the KHR_texture_transform each one implies for uv0.

`Material` has no per-texture UV transform, so a KHR_texture_transform is
baked into the primitives' uv0 instead. That is only exact when every texture
of the material uses the same transform; otherwise it is ignored with a warning.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from engine.assets.gltf_document import GltfDocument
from engine.assets.gltf_textures import GltfTextureTable
from engine.assets.model import Material

ALPHA_MODES = ("OPAQUE", "MASK", "BLEND")
IDENTITY_UV_TRANSFORM = np.array([[1, 0], [0, 1], [0, 0]], np.float32)


def read_materials(doc: GltfDocument, table: GltfTextureTable) -> tuple[list[Material], list[np.ndarray | None]]:
    """Materials in file order, and per material a (3, 2) uv transform (`[u, v, 1] @ M`) or None."""
    materials, uv_transforms = [], []
    for index, spec in enumerate(doc.items("materials")):
        reader = _MaterialReader(doc, table, index, spec)
        materials.append(reader.material())
        uv_transforms.append(reader.shared_uv_transform())
    return materials, uv_transforms


def apply_uv_transform(uv: np.ndarray, transform: np.ndarray) -> np.ndarray:
    return (uv @ transform[:2] + transform[2]).astype(np.float32)


class _MaterialReader:
    def __init__(self, doc: GltfDocument, table: GltfTextureTable, index: int, spec: dict[str, Any]):
        self.doc, self.table, self.spec = doc, table, spec
        self.label = f"materials[{index}]" + (f" '{spec['name']}'" if spec.get("name") else "")
        self.name = spec.get("name") or f"material{index}"
        self.uv_transforms: list[np.ndarray] = []

    def material(self) -> Material:
        spec = self.spec
        pbr = spec.get("pbrMetallicRoughness", {})
        extensions = spec.get("extensions", {})
        normal_info = spec.get("normalTexture") or {}
        occlusion_info = spec.get("occlusionTexture") or {}
        emissive_strength = extensions.get("KHR_materials_emissive_strength", {}).get("emissiveStrength", 1.0)
        alpha_mode = spec.get("alphaMode", "OPAQUE")
        if alpha_mode not in ALPHA_MODES:
            self.doc.warn(f"{self.label} has unknown alphaMode {alpha_mode!r}; using OPAQUE")
            alpha_mode = "OPAQUE"
        return Material(
            name=self.name,
            base_color=_floats(pbr.get("baseColorFactor", (1, 1, 1, 1)), 4, self),
            base_color_texture=self._texture(pbr.get("baseColorTexture"), "baseColorTexture", srgb=True),
            metallic=float(pbr.get("metallicFactor", 1.0)),
            roughness=float(pbr.get("roughnessFactor", 1.0)),
            metallic_roughness_texture=self._texture(
                pbr.get("metallicRoughnessTexture"), "metallicRoughnessTexture", srgb=False
            ),
            normal_texture=self._texture(spec.get("normalTexture"), "normalTexture", srgb=False),
            normal_scale=float(normal_info.get("scale", 1.0)),
            occlusion_texture=self._texture(spec.get("occlusionTexture"), "occlusionTexture", srgb=False),
            occlusion_strength=float(occlusion_info.get("strength", 1.0)),
            emissive=_floats(spec.get("emissiveFactor", (0, 0, 0)), 3, self) * np.float32(emissive_strength),
            emissive_texture=self._texture(spec.get("emissiveTexture"), "emissiveTexture", srgb=True),
            alpha_mode=alpha_mode,
            alpha_cutoff=float(spec.get("alphaCutoff", 0.5)),
            double_sided=bool(spec.get("doubleSided", False)),
            unlit="KHR_materials_unlit" in extensions,
        )

    def shared_uv_transform(self) -> np.ndarray | None:
        """The one transform all this material's textures agree on; None for identity or disagreement."""
        if not self.uv_transforms:
            return None
        first = self.uv_transforms[0]
        if any(not np.allclose(first, other, atol=1e-7) for other in self.uv_transforms[1:]):
            self.doc.warn(f"{self.label} textures use different KHR_texture_transforms; transforms ignored")
            return None
        return None if np.allclose(first, IDENTITY_UV_TRANSFORM, atol=1e-7) else first

    def _texture(self, info: Any, slot: str, srgb: bool) -> int | None:
        if info is None:
            return None
        if not isinstance(info, dict) or "index" not in info:
            self.doc.fail(f"{self.label} {slot} has no texture index")
        transform = info.get("extensions", {}).get("KHR_texture_transform")
        tex_coord = info.get("texCoord", 0)
        if transform is not None:
            tex_coord = transform.get("texCoord", tex_coord)
        if tex_coord != 0:
            self.doc.warn(f"{self.label} {slot} uses TEXCOORD_{tex_coord}; only TEXCOORD_0 is loaded, so it uses that")
        self.uv_transforms.append(IDENTITY_UV_TRANSFORM if transform is None else _uv_transform_matrix(transform))
        return self.table.slot(info["index"], srgb, f"{self.label} {slot}")


def _uv_transform_matrix(transform: dict[str, Any]) -> np.ndarray:
    """KHR_texture_transform's translation * rotation * scale as a row-vector (3, 2) matrix.

    Rotation is counter-clockwise in v-down UV space (u' = cos*u + sin*v), as the sample
    model and major viewers do; the spec's GLSL listing has the sign flipped (glTF issue #1563).
    """
    offset_u, offset_v = transform.get("offset", (0.0, 0.0))
    scale_u, scale_v = transform.get("scale", (1.0, 1.0))
    angle = float(transform.get("rotation", 0.0))
    cos, sin = np.cos(angle), np.sin(angle)
    return np.array(
        [[cos * scale_u, -sin * scale_u], [sin * scale_v, cos * scale_v], [offset_u, offset_v]], np.float32
    )


def _floats(values: Any, count: int, reader: _MaterialReader) -> np.ndarray:
    array = np.asarray(values, np.float32)
    if array.shape != (count,):
        reader.doc.fail(f"{reader.label} has a factor with {array.size} values, expected {count}")
    return array
