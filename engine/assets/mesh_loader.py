"""`load_model`: any supported model file -> `ModelAsset`.

glTF/GLB/VRM go to the glTF loader; everything else (OBJ, PLY, STL, OFF, ...)
is read by trimesh and converted: one node per geometry instance, one mesh
per geometry, vertex colours, uvs and base-colour textures where trimesh has
them, and a plain dielectric material otherwise (these formats have no notion
of metalness).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import numpy as np

from engine.assets.gltf_document import read_file_bytes
from engine.assets.gltf_loader import load_gltf
from engine.assets.gltf_scene import decompose_matrix
from engine.assets.model import Material, Mesh, ModelAsset, Node, Primitive, TextureImage
from engine.assets.textures import pixels_from_image
from engine.errors import AssetError

log = logging.getLogger(__name__)

GLTF_SUFFIXES = {".gltf", ".glb", ".vrm"}
DEFAULT_ROUGHNESS = 0.8


def load_model(path: str | os.PathLike) -> ModelAsset:
    if Path(path).suffix.lower() in GLTF_SUFFIXES:
        return load_gltf(path)
    return load_with_trimesh(path)


def load_with_trimesh(path: str | os.PathLike) -> ModelAsset:
    import trimesh  # deferred: it takes about a second to import and most scenes only use glTF

    path = Path(path)
    file_type = path.suffix.lower().lstrip(".")
    if file_type not in trimesh.available_formats() or file_type in ("gltf", "glb"):
        raise AssetError(path, f"unsupported model file type '{path.suffix}' (use glTF/GLB/VRM, OBJ, PLY or STL)")
    read_file_bytes(path)  # missing, unreadable and empty files get the same messages as glTF ones
    try:
        scene = trimesh.load_scene(str(path), file_type=file_type, process=False)
    except Exception as exc:  # trimesh's parsers raise anything on bad bytes; all of it means "bad file"
        detail = " ".join(str(exc).split()) or type(exc).__name__
        raise AssetError(path, f"cannot read {file_type.upper()} file ({detail})") from None
    return _TrimeshConverter(path, scene).asset()


class _TrimeshConverter:
    def __init__(self, path: Path, scene: Any):
        self.scene = scene
        self.asset_out = ModelAsset(path=os.fspath(path))
        self.mesh_of_geometry: dict[str, int] = {}
        self.default_material: int | None = None

    def asset(self) -> ModelAsset:
        import trimesh

        asset = self.asset_out
        for node_name in self.scene.graph.nodes_geometry:
            transform, geometry_name = self.scene.graph[node_name]
            geometry = self.scene.geometry[geometry_name]
            if not isinstance(geometry, trimesh.Trimesh) or len(geometry.faces) == 0:
                self._warn(f"'{geometry_name}' is a {type(geometry).__name__} without triangles; skipped")
                continue
            if geometry_name not in self.mesh_of_geometry:
                self.mesh_of_geometry[geometry_name] = len(asset.meshes)
                asset.meshes.append(Mesh(name=str(geometry_name), primitives=[self._primitive(geometry)]))
            # trimesh transforms are column-vector matrices; the transpose is GL layout.
            translation, rotation, scale, _ = decompose_matrix(np.asarray(transform, np.float64).T)
            asset.roots.append(len(asset.nodes))
            asset.nodes.append(
                Node(name=str(node_name), translation=translation, rotation=rotation, scale=scale,
                     mesh=self.mesh_of_geometry[geometry_name])
            )
        if not asset.nodes:
            raise AssetError(asset.path, "contains no triangle meshes")
        return asset

    def _primitive(self, mesh: Any) -> Primitive:
        visual = mesh.visual
        if getattr(visual, "kind", None) == "face":
            return self._face_coloured_primitive(mesh)
        primitive = Primitive(
            positions=np.asarray(mesh.vertices, np.float32),
            indices=np.asarray(mesh.faces, np.uint32).reshape(-1),
            normals=np.asarray(mesh.vertex_normals, np.float32),
        )
        if visual.kind == "vertex":
            primitive.colors = _linear_rgba(visual.vertex_colors)
        elif visual.kind == "texture":
            uv = getattr(visual, "uv", None)
            if uv is not None and len(uv) == len(mesh.vertices):
                # trimesh keeps OBJ's v-up texture coordinates; glTF (and Primitive.uv0) has v down.
                primitive.uv0 = np.column_stack([uv[:, 0], 1.0 - uv[:, 1]]).astype(np.float32)
            primitive.material = self._material(visual.material)
        if primitive.material is None:
            primitive.material = self._default_material()
        return primitive

    def _face_coloured_primitive(self, mesh: Any) -> Primitive:
        """Per-face colours need unshared corners: each triangle gets its own three vertices."""
        corners = np.asarray(mesh.faces, np.int64).reshape(-1)
        return Primitive(
            positions=np.asarray(mesh.vertices, np.float32)[corners],
            indices=np.arange(len(corners), dtype=np.uint32),
            normals=np.repeat(np.asarray(mesh.face_normals, np.float32), 3, axis=0),
            colors=np.repeat(_linear_rgba(mesh.visual.face_colors), 3, axis=0),
            material=self._default_material(),
        )

    def _default_material(self) -> int:
        """One shared plain white dielectric for geometry whose file gives no material."""
        if self.default_material is None:
            self.default_material = len(self.asset_out.materials)
            self.asset_out.materials.append(Material(name="default", metallic=0.0, roughness=DEFAULT_ROUGHNESS))
        return self.default_material

    def _material(self, source: Any) -> int | None:
        if source is None:
            return None
        pbr = source.to_pbr() if hasattr(source, "to_pbr") else source
        factor = getattr(pbr, "baseColorFactor", None)
        roughness = getattr(pbr, "roughnessFactor", None)
        metallic = getattr(pbr, "metallicFactor", None)
        material = Material(
            name=str(getattr(source, "name", None) or f"material{len(self.asset_out.materials)}"),
            base_color=np.ones(4, np.float32) if factor is None else np.asarray(factor, np.float32) / 255.0,
            metallic=0.0 if metallic is None else float(metallic),
            roughness=DEFAULT_ROUGHNESS if roughness is None else float(roughness),
        )
        image = getattr(pbr, "baseColorTexture", None)
        if image is not None:
            material.base_color_texture = len(self.asset_out.textures)
            self.asset_out.textures.append(TextureImage(name=material.name, pixels=pixels_from_image(image)))
        self.asset_out.materials.append(material)
        return len(self.asset_out.materials) - 1

    def _warn(self, message: str) -> None:
        self.asset_out.warnings.append(message)
        log.warning("%s: %s", self.asset_out.path, message)


def _linear_rgba(colors: np.ndarray) -> np.ndarray:
    """uint8 sRGB-encoded RGBA (how OBJ/PLY store colours) -> float32 linear RGBA; alpha stays linear."""
    rgba = np.asarray(colors, np.float32) / 255.0
    rgb = rgba[:, :3]
    rgba[:, :3] = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    return rgba
