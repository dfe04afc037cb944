"""OBJ/PLY/STL through trimesh, and the `load_model` dispatcher."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from engine.assets import load_model
from engine.assets.model import ModelAsset

trimesh = pytest.importorskip("trimesh")

BOX_EXTENTS = (1.0, 2.0, 3.0)


def exported_box(path: Path, **visual) -> Path:
    box = trimesh.creation.box(BOX_EXTENTS)
    for name, value in visual.items():
        setattr(box.visual, name, value)
    box.export(path)
    return path


def only_primitive(asset: ModelAsset):
    assert len(asset.nodes) == len(asset.meshes) == 1 and asset.roots == [0]
    (primitive,) = asset.meshes[0].primitives
    return primitive


@pytest.mark.parametrize("suffix", [".obj", ".ply", ".stl"])
def test_box_round_trips(tmp_path, suffix):
    asset = load_model(exported_box(tmp_path / f"box{suffix}"))
    primitive = only_primitive(asset)
    assert len(primitive.indices) == 36 and primitive.indices.dtype == np.uint32
    assert primitive.positions.dtype == np.float32
    low, high = primitive.bounds()
    np.testing.assert_allclose(high - low, BOX_EXTENTS, atol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(primitive.normals, axis=1), 1.0, atol=1e-5)
    material = asset.materials[primitive.material]
    assert (material.name, material.metallic) == ("default", 0.0)
    assert asset.warnings == []


def test_stl_triangle_soup_keeps_flat_normals(tmp_path):
    primitive = only_primitive(load_model(exported_box(tmp_path / "box.stl")))
    assert primitive.vertex_count == 36
    corners = primitive.positions[primitive.indices.reshape(-1, 3)]
    face_normals = np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0])
    face_normals /= np.linalg.norm(face_normals, axis=1, keepdims=True)
    np.testing.assert_allclose(primitive.normals[primitive.indices.reshape(-1, 3)[:, 0]], face_normals, atol=1e-5)


def test_ply_vertex_colours_become_linear(tmp_path):
    grey = np.tile(np.array([128, 128, 128, 255], np.uint8), (8, 1))
    primitive = only_primitive(load_model(exported_box(tmp_path / "grey.ply", vertex_colors=grey)))
    assert primitive.colors.dtype == np.float32 and primitive.colors.shape == (8, 4)
    np.testing.assert_allclose(primitive.colors[0], [0.2158605, 0.2158605, 0.2158605, 1.0], atol=1e-5)


def test_ply_face_colours_get_unshared_corners(tmp_path):
    colours = np.zeros((12, 4), np.uint8)
    colours[:, 3] = 255
    colours[:6, 0] = 255  # first half red, second half blue
    colours[6:, 2] = 255
    primitive = only_primitive(load_model(exported_box(tmp_path / "faces.ply", face_colors=colours)))
    assert primitive.vertex_count == 36
    np.testing.assert_array_equal(primitive.colors[:18], np.tile([1, 0, 0, 1], (18, 1)))
    np.testing.assert_array_equal(primitive.colors[18:], np.tile([0, 0, 1, 1], (18, 1)))


def test_textured_obj_flips_v_and_loads_the_texture(tmp_path):
    box = trimesh.creation.box(BOX_EXTENTS)
    uv = np.column_stack([np.linspace(0, 1, 8), np.linspace(0, 0.5, 8)])
    box.visual = trimesh.visual.TextureVisuals(uv=uv, image=Image.new("RGB", (4, 2), (0, 255, 0)))
    box.export(tmp_path / "textured.obj")
    asset = load_model(tmp_path / "textured.obj")
    primitive = only_primitive(asset)
    # OBJ stores v up; the model keeps glTF's v down.
    by_position = {tuple(p): tuple(t) for p, t in zip(box.vertices.round(4), uv, strict=True)}
    for position, loaded in zip(primitive.positions.round(4), primitive.uv0, strict=True):
        u, v = by_position[tuple(position)]
        np.testing.assert_allclose(loaded, [u, 1 - v], atol=1e-6)
    texture = asset.textures[asset.materials[primitive.material].base_color_texture]
    assert texture.srgb and texture.pixels.shape == (2, 4, 4)
    np.testing.assert_array_equal(texture.pixels[0, 0], [0, 255, 0, 255])


def test_obj_with_two_materials_gives_a_node_per_geometry(tmp_path):
    scene = trimesh.Scene()
    for name, colour, offset in (("red", (255, 0, 0, 255), 0.0), ("blue", (0, 0, 255, 255), 3.0)):
        box = trimesh.creation.box((1, 1, 1))
        box.apply_translation([offset, 0, 0])
        material = trimesh.visual.material.SimpleMaterial(diffuse=colour, name=name)
        box.visual = trimesh.visual.TextureVisuals(uv=np.zeros((8, 2)), material=material)
        scene.add_geometry(box, geom_name=name, node_name=name)
    scene.export(tmp_path / "pair.obj")
    asset = load_model(tmp_path / "pair.obj")
    assert len(asset.nodes) == len(asset.meshes) == 2 and asset.roots == [0, 1]
    colours = {}
    for node in asset.nodes:
        primitive = asset.meshes[node.mesh].primitives[0]
        colours[asset.materials[primitive.material].name] = asset.materials[primitive.material].base_color
    np.testing.assert_allclose(colours["red"], [1, 0, 0, 1])
    np.testing.assert_allclose(colours["blue"], [0, 0, 1, 1])


def test_dispatcher_sends_gltf_suffixes_to_the_gltf_loader(tmp_path):
    from engine.errors import AssetError

    # A .vrm that is really an OBJ must be rejected as a GLB, not read by trimesh.
    (tmp_path / "avatar.vrm").write_text("v 0 0 0\n")
    with pytest.raises(AssetError, match="not a GLB"):
        load_model(tmp_path / "avatar.vrm")
