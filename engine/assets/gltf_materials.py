"""glTF materials -> `Material`s, plus the UV mapping each one implies for uv0.

`Primitive` has one UV set and `Material` no per-texture UV transform, so a
material gets one `UvMapping`: the TEXCOORD_n set and KHR_texture_transform of
its base colour texture (or of its first texture), loaded as uv0 with the
transform baked in. A texture mapped any other way would be sampled at the
wrong place, so it is dropped with a warning rather than shown wrong.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from engine.assets.gltf_document import GltfDocument
from engine.assets.gltf_textures import GltfTextureTable
from engine.assets.model import Material

ALPHA_MODES = ("OPAQUE", "MASK", "BLEND")
IDENTITY_UV_TRANSFORM = np.array([[1, 0], [0, 1], [0, 0]], np.float32)


@dataclass(frozen=True, eq=False)
class UvMapping:
    """Where a material's uv0 comes from: TEXCOORD_`tex_coord`, then `transform` ((3, 2), None for identity)."""

    tex_coord: int = 0
    transform: np.ndarray | None = None

    def same_as(self, other: UvMapping) -> bool:
        if self.tex_coord != other.tex_coord or (self.transform is None) != (other.transform is None):
            return False
        return self.transform is None or bool(np.allclose(self.transform, other.transform, atol=1e-7))


def read_materials(doc: GltfDocument, table: GltfTextureTable) -> tuple[list[Material], list[UvMapping]]:
    """Materials in file order, and the UV mapping of each."""
    materials, uv_mappings = [], []
    for index, spec in enumerate(doc.items("materials")):
        reader = _MaterialReader(doc, table, index, spec)
        materials.append(reader.material())
        uv_mappings.append(reader.uv_mapping or UvMapping())
    return materials, uv_mappings


def apply_uv_transform(uv: np.ndarray, transform: np.ndarray) -> np.ndarray:
    """`[u, v, 1] @ transform` for every row."""
    return (uv @ transform[:2] + transform[2]).astype(np.float32)


class _MaterialReader:
    def __init__(self, doc: GltfDocument, table: GltfTextureTable, index: int, spec: dict[str, Any]):
        self.doc, self.table, self.spec = doc, table, spec
        self.label = f"materials[{index}]" + (f" '{spec['name']}'" if spec.get("name") else "")
        self.name = spec.get("name") or f"material{index}"
        self.uv_mapping: UvMapping | None = None  # set by the first texture read
        self._mapping_slot = ""

    def material(self) -> Material:
        spec = self.spec
        extensions = spec.get("extensions", {})
        pbr = spec.get("pbrMetallicRoughness")
        spec_gloss = extensions.get("KHR_materials_pbrSpecularGlossiness")
        if pbr is None and spec_gloss is not None:
            # A file with both gives pbrMetallicRoughness as the authored fallback, which beats our approximation.
            pbr = self._metal_rough_from_spec_gloss(spec_gloss)
        pbr = pbr or {}
        normal_info = spec.get("normalTexture") or {}
        occlusion_info = spec.get("occlusionTexture") or {}
        emissive_strength = extensions.get("KHR_materials_emissive_strength", {}).get("emissiveStrength", 1.0)
        alpha_mode = spec.get("alphaMode", "OPAQUE")
        if alpha_mode not in ALPHA_MODES:
            self.doc.warn(f"{self.label} has unknown alphaMode {alpha_mode!r}; using OPAQUE")
            alpha_mode = "OPAQUE"
        # Base colour first: its UV mapping is the one the material keeps.
        base_color_texture = self._texture(pbr.get("baseColorTexture"), "baseColorTexture", srgb=True)
        return Material(
            name=self.name,
            base_color=_floats(pbr.get("baseColorFactor", (1, 1, 1, 1)), 4, self),
            base_color_texture=base_color_texture,
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

    def _metal_rough_from_spec_gloss(self, spec_gloss: dict[str, Any]) -> dict[str, Any]:
        """KHR_materials_pbrSpecularGlossiness as pbrMetallicRoughness JSON: the diffuse colour on a
        dielectric with roughness 1 - glossiness. Specular colour has no metallic-roughness counterpart."""
        if "specularGlossinessTexture" in spec_gloss:
            self.doc.warn(f"{self.label} specularGlossinessTexture has no metallic-roughness counterpart; ignored")
        approximated = {
            "baseColorFactor": spec_gloss.get("diffuseFactor", (1, 1, 1, 1)),
            "metallicFactor": 0.0,
            "roughnessFactor": 1.0 - float(spec_gloss.get("glossinessFactor", 1.0)),
        }
        if "diffuseTexture" in spec_gloss:
            approximated["baseColorTexture"] = spec_gloss["diffuseTexture"]
        return approximated

    def _texture(self, info: Any, slot: str, srgb: bool) -> int | None:
        if info is None:
            return None
        if not isinstance(info, dict) or "index" not in info:
            self.doc.fail(f"{self.label} {slot} has no texture index")
        mapping = _texture_mapping(info)
        if self.uv_mapping is None:
            self.uv_mapping, self._mapping_slot = mapping, slot
        elif not mapping.same_as(self.uv_mapping):
            self.doc.warn(
                f"{self.label} {slot} uses another UV set or KHR_texture_transform than its {self._mapping_slot}; "
                f"a material keeps one UV mapping, so the {slot} is dropped"
            )
            return None
        return self.table.slot(info["index"], srgb, f"{self.label} {slot}")


def _texture_mapping(info: dict[str, Any]) -> UvMapping:
    transform = info.get("extensions", {}).get("KHR_texture_transform")
    tex_coord = info.get("texCoord", 0)
    if transform is None:
        return UvMapping(tex_coord)
    matrix = _uv_transform_matrix(transform)
    identity = np.allclose(matrix, IDENTITY_UV_TRANSFORM, atol=1e-7)
    return UvMapping(transform.get("texCoord", tex_coord), None if identity else matrix)


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
