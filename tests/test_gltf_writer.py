"""glTF writer: every ModelAsset feature survives a write/read round trip (pygltflib and our loader)."""

from __future__ import annotations

import json
import os
import struct

import numpy as np
import pygltflib
import pytest

from engine.assets import gltf_writer
from engine.assets.gltf_loader import load_gltf
from engine.assets.gltf_writer import write_gltf
from engine.assets.model import (
    GL_CLAMP_TO_EDGE,
    GL_NEAREST,
    AnimationChannel,
    AnimationClip,
    CameraDef,
    Material,
    Mesh,
    ModelAsset,
    Node,
    Primitive,
    Skin,
    TextureImage,
)


def _quad_primitive(rng: np.random.Generator) -> Primitive:
    positions = np.array([[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0]], np.float32)
    return Primitive(
        positions=positions,
        indices=np.array([0, 1, 2, 0, 2, 3], np.uint32),
        normals=np.tile(np.array([0, 0, 1], np.float32), (4, 1)),
        uv0=positions[:, :2].copy(),
        tangents=np.tile(np.array([1, 0, 0, 1], np.float32), (4, 1)),
        colors=rng.random((4, 4)).astype(np.float32),
        joints=np.array([[0, 1, 0, 0]] * 4, np.uint16),
        weights=np.array([[0.75, 0.25, 0, 0]] * 4, np.float32),
        material=0,
        morph_positions=rng.normal(size=(2, 4, 3)).astype(np.float32),
        morph_normals=rng.normal(size=(2, 4, 3)).astype(np.float32),
    )


def _big_primitive() -> Primitive:
    """More than 65535 vertices, so its indices must be written as uint32."""
    count = 70_002
    positions = np.zeros((count, 3), np.float32)
    positions[:, 0] = np.arange(count, dtype=np.float32) * 1e-3
    positions[1::3, 1] = 1.0
    return Primitive(
        positions=positions,
        indices=np.arange(count, dtype=np.uint32),
        joints=np.zeros((count, 4), np.uint16),
        weights=np.tile(np.array([1, 0, 0, 0], np.float32), (count, 1)),
        material=1,
        morph_positions=np.zeros((2, count, 3), np.float32),
    )


def make_full_asset() -> ModelAsset:
    rng = np.random.default_rng(7)
    checker = np.zeros((4, 4, 4), np.uint8)
    checker[::2, ::2] = 255
    checker[..., 3] = 255
    textures = [
        TextureImage("checker", checker),
        TextureImage("noise", rng.integers(0, 256, (2, 3, 4), dtype=np.uint8), srgb=False,
                     wrap_s=GL_CLAMP_TO_EDGE, wrap_t=GL_CLAMP_TO_EDGE, min_filter=GL_NEAREST, mag_filter=GL_NEAREST),
    ]
    materials = [
        Material("textured", base_color=np.array([1, 0.5, 0.25, 1], np.float32), base_color_texture=0,
                 metallic=0.2, roughness=0.7, metallic_roughness_texture=1, normal_texture=1, normal_scale=0.5,
                 occlusion_texture=1, occlusion_strength=0.8, emissive=np.array([0.1, 0.2, 0.3], np.float32),
                 emissive_texture=0),
        Material("unlit", alpha_mode="MASK", alpha_cutoff=0.3, double_sided=True, unlit=True),
        Material("glass", alpha_mode="BLEND"),
    ]
    nodes = [
        Node("root", children=[1, 5], translation=np.array([1, 2, 3], np.float32),
             rotation=np.array([0, 0.70710677, 0, 0.70710677], np.float32), scale=np.array([2, 2, 2], np.float32)),
        Node("hips", parent=0, children=[2], translation=np.array([0, 1, 0], np.float32)),
        Node("spine", parent=1, children=[3], translation=np.array([0, 0.5, 0], np.float32)),
        Node("head", parent=2, translation=np.array([0, 0.5, 0], np.float32)),
        Node("body", mesh=0, skin=0, weights=np.array([0.25, 0.5], np.float32)),  # skinned: a scene root
        Node("cam", parent=0, camera=1, translation=np.array([0, 1, 5], np.float32)),
    ]
    inverse_binds = np.tile(np.eye(4, dtype=np.float32), (2, 1, 1))
    inverse_binds[:, 3, 1] = [-1.0, -1.5]
    times = np.array([0, 0.5, 1.0], np.float32)
    rotations = np.array([[0, 0, 0, 1], [0, 0.38268343, 0, 0.9238795], [0, 0.70710677, 0, 0.70710677]], np.float32)
    clip = AnimationClip("wiggle", [
        AnimationChannel(1, "translation", "LINEAR", times, rng.normal(size=(3, 3)).astype(np.float32)),
        AnimationChannel(2, "rotation", "STEP", times, rotations),
        AnimationChannel(3, "scale", "CUBICSPLINE", times, rng.normal(size=(3, 3, 3)).astype(np.float32)),
        AnimationChannel(4, "weights", "LINEAR", times, rng.random((3, 2)).astype(np.float32)),
    ])
    blink = AnimationClip("blink", [
        AnimationChannel(4, "weights", "CUBICSPLINE", times, rng.random((3, 3, 2)).astype(np.float32)),
    ])
    return ModelAsset(
        path="in-memory",
        nodes=nodes,
        roots=[0, 4],
        meshes=[Mesh("body", [_quad_primitive(rng), _big_primitive()],
                     default_weights=np.array([0.1, 0.9], np.float32), target_names=["smile", "blink"])],
        materials=materials,
        textures=textures,
        skins=[Skin("skin", np.array([1, 2], np.int32), inverse_binds, skeleton=1)],
        animations=[clip, blink],
        cameras=[CameraDef("persp", yfov=0.9, aspect=1.5, znear=0.1, zfar=200.0),
                 CameraDef("ortho", type="orthographic", xmag=2.0, ymag=1.0, znear=0.01, zfar=50.0)],
        humanoid_bones={"hips": 1, "spine": 2, "head": 3},
    )


def _pygltf_array(gltf: pygltflib.GLTF2, blob: bytes, index: int) -> np.ndarray:
    accessor = gltf.accessors[index]
    view = gltf.bufferViews[accessor.bufferView]
    dtype = {5126: "<f4", 5123: "<u2", 5125: "<u4"}[accessor.componentType]
    width = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4, "MAT4": 16}[accessor.type]
    data = np.frombuffer(blob, dtype, accessor.count * width, view.byteOffset + (accessor.byteOffset or 0))
    return data.reshape(accessor.count, width) if width > 1 else data


@pytest.fixture(params=["model.glb", "model.gltf", "sidecar.gltf"])
def written(request, tmp_path):
    asset = make_full_asset()
    path = tmp_path / request.param
    asset.animations[0].extras = {"speed": 1.5}
    write_gltf(asset, path, embed_buffer=request.param != "sidecar.gltf")
    return asset, path


def test_pygltflib_reads_every_feature(written):
    asset, path = written
    gltf = pygltflib.GLTF2().load(str(path))
    blob = gltf.binary_blob() if path.suffix == ".glb" else gltf.get_data_from_buffer_uri(gltf.buffers[0].uri)
    assert gltf.asset.version == "2.0"
    assert [n.name for n in gltf.nodes] == [n.name for n in asset.nodes]
    assert gltf.nodes[0].children == [1, 5] and gltf.nodes[0].scale == [2, 2, 2]
    assert gltf.scenes[0].nodes == [0, 4]

    mesh = gltf.meshes[0]
    assert mesh.extras == {"targetNames": ["smile", "blink"]}
    first, second = mesh.primitives
    source = asset.meshes[0].primitives[0]
    for semantic, expected in [("POSITION", source.positions), ("NORMAL", source.normals),
                               ("TEXCOORD_0", source.uv0), ("TANGENT", source.tangents),
                               ("COLOR_0", source.colors), ("JOINTS_0", source.joints), ("WEIGHTS_0", source.weights)]:
        np.testing.assert_array_equal(_pygltf_array(gltf, blob, getattr(first.attributes, semantic)), expected)
    assert gltf.accessors[first.attributes.JOINTS_0].componentType == 5123
    position_accessor = gltf.accessors[first.attributes.POSITION]
    assert position_accessor.min == [0, 0, 0] and position_accessor.max == [1, 1, 0]
    assert gltf.accessors[first.indices].componentType == 5123
    assert gltf.accessors[second.indices].componentType == 5125
    np.testing.assert_array_equal(_pygltf_array(gltf, blob, second.indices), asset.meshes[0].primitives[1].indices)
    np.testing.assert_array_equal(_pygltf_array(gltf, blob, first.targets[1]["POSITION"]), source.morph_positions[1])
    assert gltf.accessors[first.targets[0]["POSITION"]].min is not None

    assert gltf.extensionsUsed == ["KHR_materials_unlit"]
    assert gltf.materials[1].extensions == {"KHR_materials_unlit": {}}
    assert gltf.materials[1].alphaCutoff == pytest.approx(0.3) and gltf.materials[1].doubleSided
    assert gltf.materials[0].normalTexture.scale == 0.5 and gltf.materials[0].occlusionTexture.strength == 0.8
    assert [img.mimeType for img in gltf.images] == ["image/png", "image/png"]
    assert gltf.samplers[1].minFilter == GL_NEAREST and len(gltf.samplers) == 2

    np.testing.assert_array_equal(_pygltf_array(gltf, blob, gltf.skins[0].inverseBindMatrices).reshape(-1, 4, 4),
                                  asset.skins[0].inverse_bind_matrices)
    animation = gltf.animations[0]
    assert animation.extras == {"speed": 1.5}
    cubic_weights = _pygltf_array(gltf, blob, gltf.animations[1].samplers[0].output)
    assert cubic_weights.shape == (3 * 3 * 2,)  # keys x (in, value, out) x targets
    assert gltf.cameras[1].orthographic.zfar == 50.0 and gltf.cameras[0].perspective.aspectRatio == 1.5
    assert gltf.extras == {"humanoidBones": {"head": 3, "hips": 1, "spine": 2}}


def test_loader_round_trip(written):
    asset, path = written
    loaded = load_gltf(path)
    assert [n.name for n in loaded.nodes] == [n.name for n in asset.nodes]
    assert [n.parent for n in loaded.nodes] == [n.parent for n in asset.nodes]
    for got, want in zip(loaded.nodes, asset.nodes):
        np.testing.assert_allclose(got.translation, want.translation)
        np.testing.assert_allclose(got.rotation, want.rotation, atol=1e-7)
        np.testing.assert_allclose(got.scale, want.scale)
        assert (got.mesh, got.skin, got.camera) == (want.mesh, want.skin, want.camera)
    for got, want in zip(loaded.meshes[0].primitives, asset.meshes[0].primitives):
        for field in ("positions", "indices", "joints", "weights", "morph_positions"):
            np.testing.assert_array_equal(getattr(got, field), getattr(want, field), err_msg=field)
    quad = loaded.meshes[0].primitives[0]
    source = asset.meshes[0].primitives[0]
    for field in ("normals", "uv0", "tangents", "colors", "morph_normals"):
        np.testing.assert_array_equal(getattr(quad, field), getattr(source, field), err_msg=field)
    assert loaded.meshes[0].target_names == ["smile", "blink"]
    np.testing.assert_allclose(loaded.meshes[0].default_weights, [0.1, 0.9])

    for got, want in zip(loaded.materials, asset.materials):
        for field in ("base_color_texture", "metallic_roughness_texture", "normal_texture", "occlusion_texture",
                      "emissive_texture", "alpha_mode", "double_sided", "unlit"):
            assert getattr(got, field) == getattr(want, field), field
        np.testing.assert_allclose(got.base_color, want.base_color)
        np.testing.assert_allclose(got.emissive, want.emissive)
    for got, want in zip(loaded.textures, asset.textures):
        np.testing.assert_array_equal(got.pixels, want.pixels)
        assert (got.wrap_s, got.min_filter, got.mag_filter) == (want.wrap_s, want.min_filter, want.mag_filter)

    skin = loaded.skins[0]
    np.testing.assert_array_equal(skin.joints, [1, 2])
    np.testing.assert_array_equal(skin.inverse_bind_matrices, asset.skins[0].inverse_bind_matrices)
    got_channels = [c for clip in loaded.animations for c in clip.channels]
    want_channels = [c for clip in asset.animations for c in clip.channels]
    assert len(got_channels) == len(want_channels)
    for got, want in zip(got_channels, want_channels):
        assert (got.node, got.path, got.interpolation) == (want.node, want.path, want.interpolation)
        np.testing.assert_allclose(got.times, want.times)
        np.testing.assert_allclose(got.values, want.values, atol=1e-6)
    assert [c.type for c in loaded.cameras] == ["perspective", "orthographic"]
    assert loaded.cameras[0].aspect == pytest.approx(1.5)


def test_glb_layout_is_aligned(tmp_path):
    path = tmp_path / "model.glb"
    write_gltf(make_full_asset(), path)
    data = path.read_bytes()
    magic, version, length = struct.unpack_from("<III", data)
    assert (magic, version, length) == (0x46546C67, 2, len(data))
    json_length, json_type = struct.unpack_from("<II", data, 12)
    bin_length, bin_type = struct.unpack_from("<II", data, 20 + json_length)
    assert json_type == 0x4E4F534A and bin_type == 0x004E4942
    assert json_length % 4 == 0 and bin_length % 4 == 0 and 28 + json_length + bin_length == len(data)
    document = json.loads(data[20 : 20 + json_length])
    assert all(view["byteOffset"] % 4 == 0 for view in document["bufferViews"])


@pytest.mark.parametrize("name", ["a.glb", "a.gltf"])
def test_output_is_deterministic(tmp_path, name):
    write_gltf(make_full_asset(), tmp_path / name)
    first = (tmp_path / name).read_bytes()
    write_gltf(make_full_asset(), tmp_path / name)
    assert (tmp_path / name).read_bytes() == first


def test_failed_write_keeps_existing_file(tmp_path, monkeypatch):
    path = tmp_path / "model.glb"
    path.write_bytes(b"previous contents")

    def broken_fsync(fd):
        raise OSError("disk full")

    monkeypatch.setattr(gltf_writer.os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="disk full"):
        write_gltf(make_full_asset(), path)
    assert path.read_bytes() == b"previous contents"
    assert os.listdir(tmp_path) == ["model.glb"]  # no temp file left behind


def test_rejects_unknown_suffix_and_uneven_morph_targets(tmp_path):
    with pytest.raises(ValueError, match="suffix"):
        write_gltf(make_full_asset(), tmp_path / "model.obj")
    asset = make_full_asset()
    asset.meshes[0].primitives[1].morph_positions = None
    with pytest.raises(ValueError, match="morph target count"):
        write_gltf(asset, tmp_path / "model.glb")
