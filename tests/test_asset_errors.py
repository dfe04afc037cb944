"""Bad model files: each must fail with a one-line AssetError that names the file."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np
import pytest

from engine.assets import load_model
from engine.errors import AssetError
from tests.test_gltf_loader import TRIANGLE, GltfBuilder, one_node_scene


def assert_one_line_error(path: Path, *expected_words: str) -> str:
    with pytest.raises(AssetError) as caught:
        load_model(path)
    message = str(caught.value)
    assert path.name in message
    assert "\n" not in message
    detail = message.replace(str(path), "")  # pytest's tmp_path names would otherwise match anything
    for word in expected_words:
        assert word.lower() in detail.lower(), message
    return message


def triangle_builder() -> GltfBuilder:
    builder = GltfBuilder()
    builder.triangle_mesh(TRIANGLE, indices=[0, 1, 2])
    one_node_scene(builder)
    return builder


def write_json(path: Path, document) -> Path:
    path.write_text(json.dumps(document))
    return path


# -- the file itself ------------------------------------------------------------------


@pytest.mark.parametrize("name", ["absent.glb", "absent.gltf", "absent.vrm", "absent.obj"])
def test_missing_file(tmp_path, name):
    assert_one_line_error(tmp_path / name, "not found")


@pytest.mark.parametrize("name", ["empty.glb", "empty.gltf", "empty.stl", "empty.ply"])
def test_empty_file(tmp_path, name):
    (tmp_path / name).write_bytes(b"")
    assert_one_line_error(tmp_path / name, "empty")


def test_unknown_extension(tmp_path):
    (tmp_path / "scene.blend").write_bytes(b"BLENDER-v300")
    assert_one_line_error(tmp_path / "scene.blend", "unsupported", ".blend")


def test_garbage_ply(tmp_path):
    (tmp_path / "noise.ply").write_bytes(b"ply\nformat nonsense 9.9\nend_header\n\x00\x01")
    assert_one_line_error(tmp_path / "noise.ply")


# -- GLB container --------------------------------------------------------------------


def test_glb_bad_magic(tmp_path):
    (tmp_path / "fake.glb").write_bytes(b"PK\x03\x04 this is a zip, not a glb")
    assert_one_line_error(tmp_path / "fake.glb", "magic")


def test_glb_shorter_than_its_header(tmp_path):
    (tmp_path / "stub.glb").write_bytes(b"glTF\x02\x00")
    assert_one_line_error(tmp_path / "stub.glb", "truncated")


def test_glb_truncated(tmp_path):
    data = triangle_builder().glb()
    (tmp_path / "cut.glb").write_bytes(data[: len(data) - 10])
    assert_one_line_error(tmp_path / "cut.glb", "length")


def test_glb_chunk_past_end(tmp_path):
    data = bytearray(triangle_builder().glb())
    (json_length,) = struct.unpack_from("<I", data, 12)
    bin_header = 20 + json_length
    struct.pack_into("<I", data, bin_header, len(data))  # BIN chunk claims more than the file holds
    (tmp_path / "overrun.glb").write_bytes(bytes(data))
    assert_one_line_error(tmp_path / "overrun.glb", "chunk")


def test_glb_with_garbage_json_chunk(tmp_path):
    body = b"{not json"
    body += b" " * (-len(body) % 4)
    chunk = struct.pack("<II", len(body), 0x4E4F534A) + body
    (tmp_path / "badjson.glb").write_bytes(struct.pack("<4sII", b"glTF", 2, 12 + len(chunk)) + chunk)
    assert_one_line_error(tmp_path / "badjson.glb", "invalid JSON")


# -- JSON ------------------------------------------------------------------------------


def test_gltf_json_garbage(tmp_path):
    (tmp_path / "garbage.gltf").write_text('{"asset": {"version": "2.0"}, "nodes": [ }')
    assert_one_line_error(tmp_path / "garbage.gltf", "invalid JSON", "line 1")


def test_gltf_binary_garbage(tmp_path):
    (tmp_path / "binary.gltf").write_bytes(bytes(range(256)))
    assert_one_line_error(tmp_path / "binary.gltf")


def test_gltf_top_level_not_an_object(tmp_path):
    assert_one_line_error(write_json(tmp_path / "list.gltf", [1, 2, 3]), "object")


def test_missing_asset(tmp_path):
    assert_one_line_error(write_json(tmp_path / "noasset.gltf", {"nodes": []}), "asset")


@pytest.mark.parametrize("version", ["1.0", 2, None])
def test_bad_version(tmp_path, version):
    document = {"asset": {"version": version}}
    assert_one_line_error(write_json(tmp_path / "oldversion.gltf", document), "version")


# -- external resources ----------------------------------------------------------------


def test_missing_external_buffer(tmp_path):
    builder = triangle_builder()
    path = builder.write_gltf(tmp_path / "lonely.gltf", bin_name="lonely.bin")
    (tmp_path / "lonely.bin").unlink()
    assert_one_line_error(path, "lonely.bin", "not found")


def test_buffer_shorter_than_declared(tmp_path):
    builder = triangle_builder()
    path = builder.write_gltf(tmp_path / "short.gltf", bin_name="short.bin")
    (tmp_path / "short.bin").write_bytes(b"\0" * 8)
    assert_one_line_error(path, "byteLength")


def test_missing_image_file(tmp_path):
    builder = triangle_builder()
    builder.json["images"] = [{"uri": "textures/albedo.png"}]
    builder.json["textures"] = [{"source": 0}]
    builder.json["materials"] = [{"pbrMetallicRoughness": {"baseColorTexture": {"index": 0}}}]
    builder.json["meshes"][0]["primitives"][0]["material"] = 0
    assert_one_line_error(builder.write_glb(tmp_path / "noimage.glb"), "albedo.png", "not found")


def test_remote_uri(tmp_path):
    builder = triangle_builder()
    path = builder.write_gltf(tmp_path / "remote.gltf", bin_name="remote.bin")
    document = json.loads(path.read_text())
    document["buffers"][0]["uri"] = "https://example.com/remote.bin"
    assert_one_line_error(write_json(path, document), "remote")


def test_uri_less_buffer_outside_glb(tmp_path):
    builder = triangle_builder()
    path = builder.write_gltf(tmp_path / "nouri.gltf", bin_name="nouri.bin")
    document = json.loads(path.read_text())
    del document["buffers"][0]["uri"]
    assert_one_line_error(write_json(path, document), "buffers[0]")


# -- indices and ranges ------------------------------------------------------------------


def broken(tmp_path: Path, name: str, edit) -> Path:
    builder = triangle_builder()
    edit(builder.json)
    return builder.write_glb(tmp_path / name)


def test_accessor_index_out_of_range(tmp_path):
    def edit(document):
        document["meshes"][0]["primitives"][0]["attributes"]["NORMAL"] = 99

    assert_one_line_error(broken(tmp_path, "accessor.glb", edit), "accessors[99]")


def test_accessor_reads_past_its_buffer_view(tmp_path):
    def edit(document):
        document["accessors"][0]["count"] = 1000

    assert_one_line_error(broken(tmp_path, "longaccessor.glb", edit), "accessors[0]", "bufferViews[0]")


def test_buffer_view_past_buffer_end(tmp_path):
    def edit(document):
        document["bufferViews"][0]["byteLength"] = 10_000

    assert_one_line_error(broken(tmp_path, "longview.glb", edit), "bufferViews[0]")


def test_buffer_view_index_out_of_range(tmp_path):
    def edit(document):
        document["accessors"][0]["bufferView"] = 7

    assert_one_line_error(broken(tmp_path, "viewindex.glb", edit), "bufferViews[7]")


@pytest.mark.parametrize(
    "name, edit, expected",
    [
        ("mesh.glb", lambda d: d["nodes"][0].update(mesh=3), "meshes[3]"),
        ("material.glb", lambda d: d["meshes"][0]["primitives"][0].update(material=2), "materials[2]"),
        ("skin.glb", lambda d: d["nodes"][0].update(skin=0), "skins[0]"),
        ("child.glb", lambda d: d["nodes"][0].update(children=[5]), "nodes[5]"),
        ("scene.glb", lambda d: d.update(scene=4), "scenes[4]"),
        ("camera.glb", lambda d: d["nodes"][0].update(camera=1), "cameras[1]"),
        ("texture.glb", lambda d: d.update(materials=[{"normalTexture": {"index": 2}}]), "textures[2]"),
        ("componenttype.glb", lambda d: d["accessors"][0].update(componentType=1234), "componentType"),
        ("mode.glb", lambda d: d["meshes"][0]["primitives"][0].update(mode=9), "mode"),
    ],
)
def test_bad_references(tmp_path, name, edit, expected):
    assert_one_line_error(broken(tmp_path, name, edit), expected)


def test_indices_past_vertex_count(tmp_path):
    builder = GltfBuilder()
    builder.triangle_mesh(TRIANGLE, indices=[0, 1, 7])
    one_node_scene(builder)
    assert_one_line_error(builder.write_glb(tmp_path / "farindex.glb"), "vertex 7")


def test_node_with_two_parents(tmp_path):
    def edit(document):
        document["nodes"] += [{"children": [0]}, {"children": [0]}]

    assert_one_line_error(broken(tmp_path, "twoparents.glb", edit), "child of both")


def test_node_cycle(tmp_path):
    def edit(document):
        document["nodes"] = [{"children": [1]}, {"children": [0]}]
        document["scenes"] = [{"nodes": []}]

    assert_one_line_error(broken(tmp_path, "cycle.glb", edit), "cycle")


def test_animation_with_bad_sampler(tmp_path):
    def edit(document):
        document["animations"] = [{"channels": [{"sampler": 3, "target": {"node": 0, "path": "rotation"}}],
                                   "samplers": []}]

    assert_one_line_error(broken(tmp_path, "sampler.glb", edit), "sampler")


def test_skin_joint_past_skin(tmp_path):
    builder = GltfBuilder()
    builder.triangle_mesh(
        TRIANGLE,
        JOINTS_0=builder.accessor(np.array([[3, 0, 0, 0]] * 3, np.uint8)),
        WEIGHTS_0=builder.accessor(np.array([[1, 0, 0, 0]] * 3, np.float32)),
    )
    one_node_scene(builder, skin=0)
    builder.add("skins", {"joints": [0]})
    assert_one_line_error(builder.write_glb(tmp_path / "joints.glb"), "joint 3")


def test_unexpected_json_shapes_are_still_one_line(tmp_path):
    def edit(document):
        document["meshes"][0]["primitives"][0]["attributes"] = {"POSITION": 0, "TEXCOORD_0": "zero"}

    assert_one_line_error(broken(tmp_path, "shapes.glb", edit))
    def edit_nodes(document):
        document["nodes"][0]["translation"] = "up"

    assert_one_line_error(broken(tmp_path, "translation.glb", edit_nodes))
