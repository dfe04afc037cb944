"""glTF/GLB/VRM loader: real third-party files plus synthetic files built here byte by byte."""

from __future__ import annotations

import base64
import io
import json
import struct
import time
from pathlib import Path

import meshoptimizer
import numpy as np
import pytest
from PIL import Image

from engine.assets import load_model
from engine.assets.gltf_geometry import triangle_list
from engine.assets.gltf_loader import load_gltf
from engine.assets.model import GL_CLAMP_TO_EDGE, GL_MIRRORED_REPEAT, GL_NEAREST
from engine.errors import AssetError

SHARED_ASSETS = Path(__file__).resolve().parents[1].parent / "shared" / "assets"

COMPONENT_TYPES = {
    np.dtype(np.int8): 5120,
    np.dtype(np.uint8): 5121,
    np.dtype(np.int16): 5122,
    np.dtype(np.uint16): 5123,
    np.dtype(np.uint32): 5125,
    np.dtype(np.float32): 5126,
}


class GltfBuilder:
    """Assembles glTF JSON and one binary buffer; writes GLB or .gltf + .bin. Test-only."""

    def __init__(self):
        self.json: dict = {"asset": {"version": "2.0"}}
        self.blob = bytearray()
        self.fallback_length = 0  # bytes of the uri-less meshopt fallback buffer, when used

    def add(self, kind: str, item: dict) -> int:
        self.json.setdefault(kind, []).append(item)
        return len(self.json[kind]) - 1

    def raw_bytes(self, data: bytes) -> int:
        """Append to the blob (4-byte aligned); the offset."""
        self.blob += b"\0" * (-len(self.blob) % 4)
        offset = len(self.blob)
        self.blob += data
        return offset

    def view(self, data: bytes, stride: int | None = None) -> int:
        spec = {"buffer": 0, "byteOffset": self.raw_bytes(data), "byteLength": len(data)}
        if stride:
            spec["byteStride"] = stride
        return self.add("bufferViews", spec)

    def accessor(self, array, *, normalized=False, stride=None, type_name=None, **extra) -> int:
        """An accessor over `array`; with `stride`, rows are zero-padded to that many bytes."""
        array = np.ascontiguousarray(array)
        rows = array.reshape(len(array), -1)
        data = rows.tobytes()
        if stride:
            padded = np.zeros((len(rows), stride), np.uint8)
            padded[:, : rows.itemsize * rows.shape[1]] = rows.view(np.uint8).reshape(len(rows), -1)
            data = padded.tobytes()
        return self.accessor_on(self.view(data, stride), array, normalized=normalized, type_name=type_name, **extra)

    def accessor_on(self, view: int | None, array, *, normalized=False, type_name=None, **extra) -> int:
        array = np.asarray(array)
        if type_name is None:
            type_name = {1: "SCALAR", 2: f"VEC{array.shape[-1]}"}[array.ndim] if array.ndim < 3 else "MAT4"
        spec = {"componentType": COMPONENT_TYPES[array.dtype], "count": len(array), "type": type_name, **extra}
        if view is not None:
            spec["bufferView"] = view
        if normalized:
            spec["normalized"] = True
        return self.add("accessors", spec)

    def meshopt_view(self, encoded: bytes, count: int, stride: int, mode: str, filter_name="NONE",
                     vertex_stride: bool = True) -> int:
        """A bufferView whose data lives meshopt-compressed in buffer 0, falling back to uri-less buffer 1."""
        extension = {"buffer": 0, "byteOffset": self.raw_bytes(encoded), "byteLength": len(encoded),
                     "byteStride": stride, "count": count, "mode": mode, "filter": filter_name}
        spec = {"buffer": 1, "byteOffset": self.fallback_length, "byteLength": count * stride,
                "extensions": {"EXT_meshopt_compression": extension}}
        if vertex_stride and mode == "ATTRIBUTES":
            spec["byteStride"] = stride
        self.fallback_length += -(-count * stride // 4) * 4
        return self.add("bufferViews", spec)

    def triangle_mesh(self, positions, indices=None, mode=None, **attributes) -> int:
        primitive = {"attributes": {"POSITION": self.accessor(np.asarray(positions, np.float32)), **attributes}}
        if indices is not None:
            primitive["indices"] = self.accessor(np.asarray(indices, np.uint16))
        if mode is not None:
            primitive["mode"] = mode
        return self.add("meshes", {"primitives": [primitive]})

    def _buffers(self, uri: str | None) -> list[dict]:
        buffers = [{"byteLength": len(self.blob)} | ({"uri": uri} if uri else {})]
        if self.fallback_length:
            buffers.append({"byteLength": self.fallback_length,
                            "extensions": {"EXT_meshopt_compression": {"fallback": True}}})
        return buffers

    def glb(self) -> bytes:
        document = dict(self.json, buffers=self._buffers(None))
        json_chunk = json.dumps(document).encode()
        json_chunk += b" " * (-len(json_chunk) % 4)
        bin_chunk = bytes(self.blob) + b"\0" * (-len(self.blob) % 4)
        body = struct.pack("<II", len(json_chunk), 0x4E4F534A) + json_chunk
        body += struct.pack("<II", len(bin_chunk), 0x004E4942) + bin_chunk
        return struct.pack("<4sII", b"glTF", 2, 12 + len(body)) + body

    def write_glb(self, path: Path) -> Path:
        path.write_bytes(self.glb())
        return path

    def write_gltf(self, path: Path, bin_name: str | None = None) -> Path:
        """JSON .gltf; the buffer as a data: URI, or as the file `bin_name` beside it."""
        if bin_name is None:
            uri = "data:application/octet-stream;base64," + base64.b64encode(bytes(self.blob)).decode()
        else:
            (path.parent / bin_name).write_bytes(bytes(self.blob))
            uri = bin_name.replace(" ", "%20")
        path.write_text(json.dumps(dict(self.json, buffers=self._buffers(uri))))
        return path


def one_node_scene(builder: GltfBuilder, **node) -> None:
    builder.add("nodes", {"mesh": 0, **node})
    builder.json["scenes"] = [{"nodes": [0]}]
    builder.json["scene"] = 0


TRIANGLE = [[0, 0, 0], [1, 0, 0], [0, 1, 0]]


def png_bytes(rgba: tuple[int, int, int, int], size=(2, 2)) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", size, rgba).save(out, format="PNG")
    return out.getvalue()


def canonical_triangles(indices: np.ndarray) -> np.ndarray:
    """Each triangle rotated to start at its smallest index (same winding), for order-free comparison."""
    triangles = np.asarray(indices).reshape(-1, 3)
    start = np.argmin(triangles, axis=1)[:, None]
    return np.take_along_axis(triangles, (start + np.arange(3)) % 3, axis=1)


def shared_file(relative: str) -> Path:
    path = SHARED_ASSETS / relative
    if not path.exists():
        pytest.skip(f"third-party test asset {relative} not present under {SHARED_ASSETS}")
    return path


def assert_parent_first(asset) -> None:
    for index, node in enumerate(asset.nodes):
        assert node.parent < index
        assert all(child > index and asset.nodes[child].parent == index for child in node.children)


# -- real files -------------------------------------------------------------------


@pytest.mark.parametrize(
    "relative",
    ["gltf/CesiumMan.glb", "gltf/RiggedSimple.glb", "gltf/AnimatedMorphCube/AnimatedMorphCube.gltf",
     "humanoid/Godette_vrm_v4.vrm", "humanoid/debug_robot.vrm"],
)
def test_every_shared_file_loads_sanely(relative):
    asset = load_model(shared_file(relative))
    assert_parent_first(asset)
    assert asset.roots and asset.meshes
    for primitive in (p for mesh in asset.meshes for p in mesh.primitives):
        assert primitive.positions.dtype == np.float32 and primitive.positions.shape[1] == 3
        assert primitive.indices.dtype == np.uint32 and len(primitive.indices) % 3 == 0
        assert int(primitive.indices.max()) < primitive.vertex_count
        assert primitive.normals.shape == primitive.positions.shape
        assert np.isfinite(primitive.positions).all()
        if primitive.weights is not None:
            np.testing.assert_allclose(primitive.weights.sum(axis=1), 1.0, atol=1e-5)


def test_cesium_man():
    path = shared_file("gltf/CesiumMan.glb")
    started = time.perf_counter()
    asset = load_model(path)
    assert time.perf_counter() - started < 1.0
    assert len(asset.skins) == 1 and len(asset.skins[0].joints) == 19
    assert asset.skins[0].inverse_bind_matrices.shape == (19, 4, 4)
    assert len(asset.animations) == 1 and len(asset.animations[0].channels) == 57
    primitive = asset.meshes[0].primitives[0]
    assert primitive.joints.dtype == np.uint16 and primitive.joints.shape == (primitive.vertex_count, 4)
    assert primitive.uv0.shape == (primitive.vertex_count, 2)
    material = asset.materials[primitive.material]
    texture = asset.textures[material.base_color_texture]
    assert texture.srgb and texture.pixels.dtype == np.uint8 and texture.pixels.shape[2] == 4
    skinned = [node for node in asset.nodes if node.skin is not None]
    assert skinned and skinned[0].mesh == 0
    for channel in asset.animations[0].channels:
        if channel.path == "rotation":
            np.testing.assert_allclose(np.linalg.norm(channel.values, axis=1), 1.0, atol=1e-5)
    assert asset.warnings == []


def test_rigged_simple_has_two_joints():
    asset = load_model(shared_file("gltf/RiggedSimple.glb"))
    assert len(asset.skins[0].joints) == 2
    assert asset.animations[0].duration > 0


def test_animated_morph_cube():
    asset = load_model(shared_file("gltf/AnimatedMorphCube/AnimatedMorphCube.gltf"))
    primitive = asset.meshes[0].primitives[0]
    assert primitive.morph_target_count == 2
    assert primitive.morph_positions.shape == (2, primitive.vertex_count, 3)
    assert len(asset.meshes[0].default_weights) == 2
    clip = asset.animations[asset.animation_index("Square")]
    (channel,) = clip.channels
    assert channel.path == "weights" and channel.values.shape == (len(channel.times), 2)


def test_godette_vrm0():
    asset = load_model(shared_file("humanoid/Godette_vrm_v4.vrm"))
    for bone in ("hips", "head", "leftUpperLeg", "rightHand", "spine"):
        assert bone in asset.humanoid_bones
    assert asset.humanoid_bones["hips"] in asset.skins[0].joints
    assert len(asset.skins) == 1 and len(asset.skins[0].joints) == 68
    face = next(mesh for mesh in asset.meshes if mesh.primitives[0].morph_target_count)
    assert len(face.target_names) == face.primitives[0].morph_target_count == 15
    assert "blink_left" in face.target_names
    assert asset.textures and sum(len(p.indices) // 3 for m in asset.meshes for p in m.primitives) == 3439
    assert asset.warnings == []  # VRM, unlit, texture transform and MToon are all known


def test_debug_robot_vrm1_is_reordered_and_bones_follow():
    path = shared_file("humanoid/debug_robot.vrm")
    asset = load_model(path)
    assert asset.skins == []
    assert len(asset.humanoid_bones) == 53
    # The file lists children before parents; bones must still name the same nodes after renumbering.
    data = path.read_bytes()
    (json_length,) = struct.unpack_from("<I", data, 12)
    original = json.loads(data[20 : 20 + json_length])
    original_names = [node.get("name") for node in original["nodes"]]
    for bone, spec in original["extensions"]["VRMC_vrm"]["humanoid"]["humanBones"].items():
        assert asset.nodes[asset.humanoid_bones[bone]].name == original_names[spec["node"]]
    assert_parent_first(asset)


# -- synthetic files --------------------------------------------------------------


def test_minimal_glb_gets_area_weighted_smooth_normals(tmp_path):
    builder = GltfBuilder()
    # Two triangles folding along the x axis: a big one facing +Z, a small one facing +Y.
    positions = [[0, 0, 0], [1, 0, 0], [0, 2, 0], [0, 0, -0.1]]
    builder.triangle_mesh(positions, indices=[0, 1, 2, 0, 1, 3])
    one_node_scene(builder)
    asset = load_gltf(builder.write_glb(tmp_path / "fold.glb"))
    normals = asset.meshes[0].primitives[0].normals
    np.testing.assert_allclose(normals[2], [0, 0, 1], atol=1e-6)
    np.testing.assert_allclose(normals[3], [0, 1, 0], atol=1e-6)
    shared = normals[0]
    assert shared[2] > 10 * shared[1] > 0  # the larger face dominates the shared edge
    np.testing.assert_allclose(np.linalg.norm(normals, axis=1), 1.0, atol=1e-6)
    assert asset.meshes[0].primitives[0].material is None and asset.roots == [0]


def test_gltf_with_external_bin_interleaved_views_and_data_uri(tmp_path):
    builder = GltfBuilder()
    interleaved = np.zeros(3, dtype=[("position", "<f4", 3), ("uv", "<f4", 2)])
    interleaved["position"] = TRIANGLE
    interleaved["uv"] = [[0, 0], [1, 0], [0, 1]]
    view = builder.view(interleaved.tobytes(), stride=20)
    position = builder.accessor_on(view, np.zeros((3, 3), np.float32))
    uv = builder.accessor_on(view, np.zeros((3, 2), np.float32), byteOffset=12)
    builder.add("meshes", {"primitives": [{"attributes": {"POSITION": position, "TEXCOORD_0": uv}}]})
    one_node_scene(builder)
    external = load_gltf(builder.write_gltf(tmp_path / "tri.gltf", bin_name="tri data.bin"))
    embedded = load_gltf(builder.write_gltf(tmp_path / "tri_embedded.gltf"))
    for asset in (external, embedded):
        primitive = asset.meshes[0].primitives[0]
        np.testing.assert_array_equal(primitive.positions, TRIANGLE)
        np.testing.assert_array_equal(primitive.uv0, interleaved["uv"])
        np.testing.assert_array_equal(primitive.indices, [0, 1, 2])


def test_quantized_attributes(tmp_path):
    builder = GltfBuilder()
    builder.json["extensionsUsed"] = builder.json["extensionsRequired"] = ["KHR_mesh_quantization"]
    positions = np.array([[0, 0, 0], [1000, 0, 0], [0, -1000, 0]], np.int16)
    normals = np.array([[0, 0, 127], [0, 0, -128], [127, 0, 0]], np.int8)
    uvs = np.array([[0, 0], [65535, 0], [0, 32768]], np.uint16)
    tangents = np.array([[127, 0, 0, 127], [0, 127, 0, -127], [0, 0, 127, 127]], np.int8)
    builder.add("meshes", {"primitives": [{"attributes": {
        "POSITION": builder.accessor(positions, stride=8),
        "NORMAL": builder.accessor(normals, normalized=True, stride=4),
        "TEXCOORD_0": builder.accessor(uvs, normalized=True),
        "TANGENT": builder.accessor(tangents, normalized=True),
    }}]})
    one_node_scene(builder, scale=[0.001, 0.001, 0.001])
    primitive = load_gltf(builder.write_glb(tmp_path / "quantized.glb")).meshes[0].primitives[0]
    assert primitive.positions.dtype == np.float32
    np.testing.assert_array_equal(primitive.positions, positions.astype(np.float32))
    np.testing.assert_allclose(primitive.normals, [[0, 0, 1], [0, 0, -1], [1, 0, 0]], atol=1e-6)
    np.testing.assert_allclose(primitive.uv0, [[0, 0], [1, 0], [0, 32768 / 65535]], atol=1e-6)
    np.testing.assert_allclose(primitive.tangents[1], [0, 1, 0, -1], atol=1e-6)


def meshopt_builder() -> GltfBuilder:
    builder = GltfBuilder()
    builder.json["extensionsUsed"] = builder.json["extensionsRequired"] = [
        "EXT_meshopt_compression", "KHR_mesh_quantization"]
    return builder


def test_meshopt_compressed_buffers_decode_to_the_original(tmp_path):
    rng = np.random.default_rng(7)
    builder = meshopt_builder()
    positions = rng.random((40, 3)).astype(np.float32)
    triangles = np.concatenate([rng.permutation(40)[:3] for _ in range(30)]).astype(np.uint32)
    strip = np.array([0, 1, 2, 3, 4, 5], np.uint16)
    position_view = builder.meshopt_view(meshoptimizer.encode_vertex_buffer(positions), 40, 12, "ATTRIBUTES")
    triangle_view = builder.meshopt_view(
        meshoptimizer.encode_index_buffer(triangles, vertex_count=40), len(triangles), 4, "TRIANGLES")
    strip_view = builder.meshopt_view(meshoptimizer.encode_index_sequence(strip), len(strip), 2, "INDICES")
    position = builder.accessor_on(position_view, positions)
    builder.add("meshes", {"primitives": [
        {"attributes": {"POSITION": position}, "indices": builder.accessor_on(triangle_view, triangles)},
        {"attributes": {"POSITION": position}, "indices": builder.accessor_on(strip_view, strip), "mode": 5},
    ]})
    one_node_scene(builder)
    asset = load_gltf(builder.write_glb(tmp_path / "meshopt.glb"))
    assert asset.warnings == []
    listed, stripped = asset.meshes[0].primitives
    np.testing.assert_array_equal(listed.positions, positions)
    # The index codec may rotate a triangle's corners (same winding); nothing else changes.
    np.testing.assert_array_equal(canonical_triangles(listed.indices), canonical_triangles(triangles))
    np.testing.assert_array_equal(stripped.indices, triangle_list(strip, 5))


def test_meshopt_filters(tmp_path):
    meshopt = pytest.importorskip("meshopt", reason="the filter encoders come from the meshopt package")
    rng = np.random.default_rng(11)
    builder = meshopt_builder()
    positions = rng.random((40, 3)).astype(np.float32)
    unit_normals = rng.normal(size=(40, 3)).astype(np.float32)
    unit_normals /= np.linalg.norm(unit_normals, axis=1, keepdims=True)
    octahedral = meshopt.encode_filter_oct(np.c_[unit_normals, np.ones(40, np.float32)], 4, 8)
    normal_view = builder.meshopt_view(meshoptimizer.encode_vertex_buffer(octahedral), 40, 4, "ATTRIBUTES",
                                       "OCTAHEDRAL")
    builder.add("meshes", {"primitives": [{"attributes": {
        "POSITION": builder.accessor(positions),
        "NORMAL": builder.accessor_on(normal_view, np.zeros((40, 3), np.int8), normalized=True)}}]})
    one_node_scene(builder)
    times = builder.accessor(np.array([0, 1, 2], np.float32))
    rotations = rng.normal(size=(3, 4)).astype(np.float32)
    rotations /= np.linalg.norm(rotations, axis=1, keepdims=True)
    translations = (rng.normal(size=(3, 3)) * 50).astype(np.float32)
    rotation_view = builder.meshopt_view(
        meshoptimizer.encode_vertex_buffer(meshopt.encode_filter_quat(rotations, 8, 16)), 3, 8, "ATTRIBUTES",
        "QUATERNION", vertex_stride=False)
    translation_view = builder.meshopt_view(
        meshoptimizer.encode_vertex_buffer(meshopt.encode_filter_exp(translations, 20, "Separate")), 3, 12,
        "ATTRIBUTES", "EXPONENTIAL", vertex_stride=False)
    builder.add("animations", {"channels": [
        {"sampler": 0, "target": {"node": 0, "path": "rotation"}},
        {"sampler": 1, "target": {"node": 0, "path": "translation"}},
    ], "samplers": [
        {"input": times, "output": builder.accessor_on(rotation_view, np.zeros((3, 4), np.int16), normalized=True)},
        {"input": times, "output": builder.accessor_on(translation_view, translations)},
    ]})
    asset = load_gltf(builder.write_glb(tmp_path / "filters.glb"))
    np.testing.assert_allclose(asset.meshes[0].primitives[0].normals, unit_normals, atol=0.02)
    rotation, translation = asset.animations[0].channels
    same_rotation = np.minimum(np.abs(rotation.values - rotations).max(1), np.abs(rotation.values + rotations).max(1))
    assert same_rotation.max() < 1e-3
    np.testing.assert_allclose(translation.values, translations, rtol=1e-4, atol=1e-4)


def test_khr_meshopt_v1_codec_and_color_filter(tmp_path):
    # gltfpack -cz writes KHR_meshopt_compression: the v1 vertex codec, and COLOR-filtered vertex colours.
    meshopt = pytest.importorskip("meshopt", reason="the v1 and COLOR encoders come from the meshopt package")
    rng = np.random.default_rng(5)
    builder = GltfBuilder()
    builder.json["extensionsUsed"] = builder.json["extensionsRequired"] = ["KHR_meshopt_compression"]
    positions = rng.random((30, 3)).astype(np.float32)
    colors = rng.random((30, 4)).astype(np.float32)
    position_view = builder.meshopt_view(meshopt.encode_gltf_buffer(positions, "ATTRIBUTES", version=1),
                                         30, 12, "ATTRIBUTES")
    colors_8, colors_16 = (
        builder.meshopt_view(meshopt.encode_gltf_buffer(meshopt.encode_filter_color(colors, stride, bits),
                                                        "ATTRIBUTES", version=1), 30, stride, "ATTRIBUTES", "COLOR")
        for stride, bits in ((4, 8), (8, 12))
    )
    for view in builder.json["bufferViews"]:
        view["extensions"] = {"KHR_meshopt_compression": view["extensions"].pop("EXT_meshopt_compression")}
    position = builder.accessor_on(position_view, positions)
    builder.add("meshes", {"primitives": [
        {"attributes": {"POSITION": position,
                        "COLOR_0": builder.accessor_on(view, np.zeros((30, 4), dtype), normalized=True)}}
        for view, dtype in ((colors_8, np.uint8), (colors_16, np.uint16))
    ]})
    one_node_scene(builder)
    asset = load_gltf(builder.write_glb(tmp_path / "khr_meshopt.glb"))
    assert asset.warnings == []
    coarse, fine = asset.meshes[0].primitives
    np.testing.assert_array_equal(coarse.positions, positions)
    np.testing.assert_allclose(coarse.colors, colors, atol=2 / 255)
    np.testing.assert_allclose(fine.colors, colors, atol=2 / 4095)


def test_sparse_accessors(tmp_path):
    builder = GltfBuilder()
    base = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [1, 1, 0]], np.float32)
    position = builder.accessor(base)
    builder.json["accessors"][position]["sparse"] = {
        "count": 2,
        "indices": {"bufferView": builder.view(np.array([1, 3], np.uint8).tobytes()), "componentType": 5121},
        "values": {"bufferView": builder.view(np.array([[5, 0, 0], [5, 5, 0]], np.float32).tobytes())},
    }
    delta = builder.accessor_on(None, np.zeros((4, 3), np.float32))
    builder.json["accessors"][delta]["sparse"] = {
        "count": 1,
        "indices": {"bufferView": builder.view(np.array([2], np.uint32).tobytes()), "componentType": 5125},
        "values": {"bufferView": builder.view(np.array([[0, 0, 9]], np.float32).tobytes())},
    }
    builder.add("meshes", {"primitives": [{
        "attributes": {"POSITION": position}, "indices": builder.accessor(np.array([0, 1, 2, 2, 1, 3], np.uint8)),
        "targets": [{"POSITION": delta}]}]})
    one_node_scene(builder)
    primitive = load_gltf(builder.write_glb(tmp_path / "sparse.glb")).meshes[0].primitives[0]
    np.testing.assert_array_equal(primitive.positions, [[0, 0, 0], [5, 0, 0], [0, 1, 0], [5, 5, 0]])
    np.testing.assert_array_equal(primitive.morph_positions[0], [[0, 0, 0], [0, 0, 0], [0, 0, 9], [0, 0, 0]])


def test_strips_and_fans_become_lists(tmp_path):
    np.testing.assert_array_equal(triangle_list(np.array([0, 1, 2, 3, 4]), 5), [0, 1, 2, 1, 3, 2, 2, 3, 4])
    np.testing.assert_array_equal(triangle_list(np.array([0, 1, 2, 3]), 6), [0, 1, 2, 0, 2, 3])
    # A repeated index joins two strips; the zero-area joins disappear.
    np.testing.assert_array_equal(triangle_list(np.array([0, 1, 2, 2, 3, 3, 4, 5]), 5), [0, 1, 2, 3, 5, 4])
    builder = GltfBuilder()
    builder.triangle_mesh([[0, 0, 0], [1, 0, 0], [0, 1, 0], [1, 1, 0]], mode=5)
    one_node_scene(builder)
    primitive = load_gltf(builder.write_glb(tmp_path / "strip.glb")).meshes[0].primitives[0]
    np.testing.assert_array_equal(primitive.indices, [0, 1, 2, 1, 3, 2])
    np.testing.assert_allclose(primitive.normals, np.tile([0, 0, 1], (4, 1)), atol=1e-6)


def test_non_finite_positions_drop_their_triangles(tmp_path):
    builder = GltfBuilder()
    positions = [[0, 0, 0], [1, 0, 0], [0, 1, 0], [np.inf, 0, 0], [1, 1, 0], [0, np.nan, 1]]
    builder.triangle_mesh(positions, indices=[0, 1, 2, 1, 3, 2, 2, 1, 4, 0, 5, 1])
    one_node_scene(builder)
    asset = load_gltf(builder.write_glb(tmp_path / "infinite.glb"))
    primitive = asset.meshes[0].primitives[0]
    np.testing.assert_array_equal(primitive.indices, [0, 1, 2, 2, 1, 4])
    assert np.isfinite(primitive.positions).all() and np.isfinite(primitive.normals).all()
    np.testing.assert_array_equal(primitive.bounds(), [[0, 0, 0], [1, 1, 0]])  # unused vertices stay inside
    (warning,) = asset.warnings
    assert "2 vertices with non-finite POSITION values; dropped the 2 triangles" in warning


def test_draco_only_primitive_is_skipped_with_a_warning(tmp_path):
    builder = GltfBuilder()
    builder.json["extensionsUsed"] = ["KHR_draco_mesh_compression"]
    draco = {"bufferView": builder.view(b"\0" * 8), "attributes": {"POSITION": 0}}
    position = builder.accessor_on(None, np.zeros((3, 3), np.float32))  # the data exists only compressed
    builder.add("meshes", {"primitives": [
        {"attributes": {"POSITION": position}, "extensions": {"KHR_draco_mesh_compression": draco}},
        {"attributes": {"POSITION": builder.accessor(np.array(TRIANGLE, np.float32))}},
    ]})
    one_node_scene(builder)
    asset = load_gltf(builder.write_glb(tmp_path / "draco_optional.glb"))
    (primitive,) = asset.meshes[0].primitives
    np.testing.assert_array_equal(primitive.positions, TRIANGLE)
    assert any("meshes[0].primitives[0] is stored only Draco-compressed" in warning for warning in asset.warnings)


def test_points_primitive_is_skipped_with_a_warning(tmp_path):
    builder = GltfBuilder()
    builder.triangle_mesh(TRIANGLE, mode=0)
    one_node_scene(builder)
    asset = load_gltf(builder.write_glb(tmp_path / "points.glb"))
    assert asset.meshes[0].primitives == []
    assert any("POINTS" in warning for warning in asset.warnings)


def column_rotation(quaternion) -> np.ndarray:
    x, y, z, w = quaternion
    return np.array([
        [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
        [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
        [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
    ])


@pytest.mark.parametrize("scale", [[1.0, 2.0, 3.0], [-2.0, 1.0, 0.5]])
def test_matrix_nodes_decompose_to_trs(tmp_path, scale):
    quaternion = np.array([0.2, -0.4, 0.1, 0.8])
    quaternion /= np.linalg.norm(quaternion)
    translation = [1.0, -2.0, 3.5]
    column_major = np.eye(4)
    column_major[:3, :3] = column_rotation(quaternion) @ np.diag(scale)
    column_major[:3, 3] = translation
    builder = GltfBuilder()
    builder.triangle_mesh(TRIANGLE)
    # glTF's 16 numbers are column-major, i.e. the transpose's rows.
    one_node_scene(builder, matrix=column_major.T.reshape(-1).tolist())
    node = load_gltf(builder.write_glb(tmp_path / "matrix.glb")).nodes[0]
    np.testing.assert_allclose(node.translation, translation, atol=1e-6)
    np.testing.assert_allclose(node.scale, scale, atol=1e-6)
    sign = np.sign(np.dot(node.rotation, quaternion))
    np.testing.assert_allclose(node.rotation * sign, quaternion, atol=1e-6)


def test_out_of_order_nodes_are_renumbered_with_every_reference(tmp_path):
    builder = GltfBuilder()
    builder.json["extensionsUsed"] = ["VRMC_vrm"]
    builder.triangle_mesh(
        TRIANGLE,
        JOINTS_0=builder.accessor(np.array([[0, 1, 2, 0]] * 3, np.uint8)),
        WEIGHTS_0=builder.accessor(np.array([[0.5, 0.25, 0.25, 0]] * 3, np.float32)),
    )
    builder.json["nodes"] = [
        {"name": "hand", "translation": [0, 1, 0]},
        {"name": "arm", "children": [0]},
        {"name": "root", "children": [1]},
        {"name": "body", "mesh": 0, "skin": 0},
    ]
    builder.json["scenes"] = [{"nodes": [2, 3]}]
    builder.add("skins", {"joints": [2, 1, 0], "skeleton": 2})
    builder.add("animations", {"channels": [{"sampler": 0, "target": {"node": 0, "path": "translation"}}],
                               "samplers": [{"input": builder.accessor(np.array([0, 1], np.float32)),
                                             "output": builder.accessor(np.zeros((2, 3), np.float32))}]})
    builder.json["extensions"] = {"VRMC_vrm": {"humanoid": {"humanBones": {
        "hips": {"node": 2}, "spine": {"node": 1}, "rightHand": {"node": 0}}}}}
    asset = load_gltf(builder.write_glb(tmp_path / "unordered.glb"))
    names = [node.name for node in asset.nodes]
    assert names == ["root", "arm", "hand", "body"]
    assert_parent_first(asset)
    assert [names[root] for root in asset.roots] == ["root", "body"]
    skin = asset.skins[0]
    assert [names[joint] for joint in skin.joints] == ["root", "arm", "hand"] and names[skin.skeleton] == "root"
    assert names[asset.animations[0].channels[0].node] == "hand"
    assert {bone: names[node] for bone, node in asset.humanoid_bones.items()} == {
        "hips": "root", "spine": "arm", "rightHand": "hand"}
    np.testing.assert_array_equal(asset.nodes[2].translation, [0, 1, 0])


def test_gpu_instances_become_child_nodes(tmp_path):
    builder = GltfBuilder()
    builder.json["extensionsUsed"] = builder.json["extensionsRequired"] = [
        "EXT_mesh_gpu_instancing", "KHR_mesh_quantization"]
    builder.triangle_mesh(TRIANGLE)
    half_turn_about_y = np.array([0, 1, 0, 0], np.float32)
    rotations = (np.array([[0, 0, 0, 1], half_turn_about_y, [0, 0, 0, 1]]) * 32767).astype(np.int16)
    translations = np.array([[0, 0, 0], [2, 0, 0], [4, 0, 0]], np.float32)
    instancing = {"attributes": {"TRANSLATION": builder.accessor(translations),
                                 "ROTATION": builder.accessor(rotations, normalized=True),
                                 "SCALE": builder.accessor(np.full((3, 3), 0.5, np.float32))}}
    builder.json["nodes"] = [{"name": "grid", "mesh": 0, "translation": [0, 1, 0],
                              "extensions": {"EXT_mesh_gpu_instancing": instancing}}]
    builder.json["scenes"] = [{"nodes": [0]}]
    asset = load_gltf(builder.write_glb(tmp_path / "instanced.glb"))
    assert asset.warnings == []
    grid, *instances = asset.nodes
    assert grid.mesh is None and grid.children == [1, 2, 3] and asset.roots == [0]
    assert [node.mesh for node in instances] == [0, 0, 0] and {node.parent for node in instances} == {0}
    np.testing.assert_array_equal([node.translation for node in instances], translations)
    np.testing.assert_allclose(instances[1].rotation, half_turn_about_y, atol=1e-6)
    np.testing.assert_array_equal(instances[2].scale, [0.5, 0.5, 0.5])
    assert_parent_first(asset)


def test_vrm0_humanoid_bones(tmp_path):
    builder = GltfBuilder()
    builder.triangle_mesh(TRIANGLE)
    builder.json["nodes"] = [{"name": "Hips", "children": [1]}, {"name": "Head", "mesh": 0}]
    builder.json["extensions"] = {"VRM": {"humanoid": {"humanBones": [
        {"bone": "hips", "node": 0}, {"bone": "head", "node": 1}, {"bone": "jaw", "node": -1}]}}}
    builder.json["extensionsUsed"] = ["VRM"]
    asset = load_model(builder.write_glb(tmp_path / "avatar.vrm"))
    # VRM 0.x faces -Z: a half-turn root (node 0) is added above the file's roots
    assert asset.humanoid_bones == {"hips": 1, "head": 2}
    assert asset.roots == [0] and asset.nodes[1].parent == 0
    assert np.allclose(asset.nodes[0].rotation, [0, 1, 0, 0])


def test_animation_value_shapes(tmp_path):
    builder = GltfBuilder()
    builder.triangle_mesh(TRIANGLE)
    builder.json["meshes"][0]["primitives"][0]["targets"] = [
        {"POSITION": builder.accessor(np.zeros((3, 3), np.float32))} for _ in range(2)]
    one_node_scene(builder)
    times = builder.accessor(np.array([0, 0.5, 1], np.float32))
    cubic_rotation = np.zeros((3, 3, 4), np.float32)
    cubic_rotation[:, 0] = cubic_rotation[:, 2] = [0.1, 0, 0, 0]  # tangents: left alone
    cubic_rotation[:, 1] = [0, 0, 0, 2]  # values: normalized
    int_rotation = np.array([[0, 0, 0, 32767], [0, 23170, 0, 23170], [0, 32767, 0, 0]], np.int16)
    cubic_weights = np.arange(3 * 3 * 2, dtype=np.float32) / 18
    builder.add("animations", {"name": "shapes", "channels": [
        {"sampler": 0, "target": {"node": 0, "path": "rotation"}},
        {"sampler": 1, "target": {"node": 0, "path": "rotation"}},
        {"sampler": 2, "target": {"node": 0, "path": "weights"}},
        {"sampler": 3, "target": {"node": 0, "path": "scale"}},
    ], "samplers": [
        {"input": times, "output": builder.accessor(cubic_rotation.reshape(9, 4)), "interpolation": "CUBICSPLINE"},
        {"input": times, "output": builder.accessor(int_rotation, normalized=True)},
        {"input": times, "output": builder.accessor(cubic_weights), "interpolation": "CUBICSPLINE"},
        {"input": times, "output": builder.accessor(np.ones((3, 3), np.float32)), "interpolation": "STEP"},
    ]})
    clip = load_gltf(builder.write_glb(tmp_path / "anim.glb")).animations[0]
    cubic, quantized, weights, step = clip.channels
    assert cubic.values.shape == (3, 3, 4) and cubic.interpolation == "CUBICSPLINE"
    np.testing.assert_allclose(cubic.values[:, 1], np.tile([0, 0, 0, 1], (3, 1)))
    np.testing.assert_allclose(cubic.values[:, 0], np.tile([0.1, 0, 0, 0], (3, 1)))
    assert quantized.values.dtype == np.float32 and quantized.values.shape == (3, 4)
    np.testing.assert_allclose(np.linalg.norm(quantized.values, axis=1), 1.0, atol=1e-6)
    assert weights.values.shape == (3, 3, 2)
    np.testing.assert_allclose(weights.values.reshape(-1), cubic_weights)
    assert step.values.shape == (3, 3) and step.interpolation == "STEP"
    assert clip.duration == pytest.approx(1.0)


def test_materials_textures_and_texture_transform(tmp_path):
    builder = GltfBuilder()
    (tmp_path / "red.png").write_bytes(png_bytes((255, 0, 0, 255)))
    blue_uri = "data:image/png;base64," + base64.b64encode(png_bytes((0, 0, 255, 128), (4, 2))).decode()
    builder.json["images"] = [{"uri": "red.png"}, {"uri": blue_uri},
                              {"bufferView": builder.view(b"not an image at all"), "mimeType": "image/png"}]
    builder.json["samplers"] = [{"wrapS": GL_CLAMP_TO_EDGE, "wrapT": GL_MIRRORED_REPEAT,
                                 "magFilter": GL_NEAREST, "minFilter": GL_NEAREST}]
    builder.json["textures"] = [{"source": 0, "sampler": 0}, {"source": 1}, {"source": 2}]
    builder.json["extensionsUsed"] = ["KHR_materials_emissive_strength", "KHR_materials_unlit",
                                      "KHR_texture_transform"]
    transform = {"offset": [0.5, 0.0], "scale": [2.0, 2.0], "rotation": float(np.pi / 2)}
    builder.json["materials"] = [
        {"name": "skin", "pbrMetallicRoughness": {
            "baseColorFactor": [1, 0.5, 0.25, 1], "metallicFactor": 0.2, "roughnessFactor": 0.7,
            "baseColorTexture": {"index": 0, "extensions": {"KHR_texture_transform": transform}},
            "metallicRoughnessTexture": {"index": 1, "extensions": {"KHR_texture_transform": transform}}},
         "normalTexture": {"index": 0, "scale": 0.5, "extensions": {"KHR_texture_transform": transform}},
         "emissiveFactor": [1, 0.5, 0], "alphaMode": "MASK", "alphaCutoff": 0.3, "doubleSided": True,
         "extensions": {"KHR_materials_emissive_strength": {"emissiveStrength": 4.0}}},
        {"name": "flat", "extensions": {"KHR_materials_unlit": {}},
         "pbrMetallicRoughness": {"baseColorTexture": {"index": 2}}},
    ]
    uv = builder.accessor(np.array([[0, 0], [1, 0], [0, 1]], np.float32))
    position = builder.accessor(np.array(TRIANGLE, np.float32))
    builder.add("meshes", {"primitives": [
        {"attributes": {"POSITION": position, "TEXCOORD_0": uv}, "material": 0},
        {"attributes": {"POSITION": position, "TEXCOORD_0": uv}, "material": 1},
    ]})
    one_node_scene(builder)
    asset = load_gltf(builder.write_gltf(tmp_path / "materials.gltf"))
    skin, flat = asset.materials
    np.testing.assert_allclose(skin.emissive, [4, 2, 0])
    assert (skin.alpha_mode, skin.alpha_cutoff, skin.double_sided, skin.unlit) == ("MASK", 0.3, True, False)
    assert (skin.metallic, skin.roughness, skin.normal_scale) == (pytest.approx(0.2), pytest.approx(0.7), 0.5)
    assert flat.unlit
    base, metal_rough, normal = (asset.textures[i] for i in
                                 (skin.base_color_texture, skin.metallic_roughness_texture, skin.normal_texture))
    assert base.srgb and not metal_rough.srgb and not normal.srgb
    assert base.pixels is normal.pixels  # one decode, two colour spaces
    np.testing.assert_array_equal(base.pixels[0, 0], [255, 0, 0, 255])
    assert metal_rough.pixels.shape == (2, 4, 4) and metal_rough.pixels[1, 3, 3] == 128
    assert (base.wrap_s, base.wrap_t, base.mag_filter, base.min_filter) == (
        GL_CLAMP_TO_EDGE, GL_MIRRORED_REPEAT, GL_NEAREST, GL_NEAREST)
    np.testing.assert_array_equal(asset.textures[flat.base_color_texture].pixels, [[[255, 0, 255, 255]]])
    assert any("images[2]" in warning for warning in asset.warnings)
    # translate(0.5, 0) * rotate(90 deg) * scale(2): (1, 0) -> (0.5, -2), (0, 1) -> (2.5, 0)
    transformed, untouched = (p.uv0 for p in asset.meshes[0].primitives)
    np.testing.assert_allclose(transformed, [[0.5, 0], [0.5, -2], [2.5, 0]], atol=1e-6)
    np.testing.assert_array_equal(untouched, [[0, 0], [1, 0], [0, 1]])


def test_material_uv_mapping_follows_the_base_color_texture(tmp_path):
    builder = GltfBuilder()
    builder.json["images"] = [{"uri": "data:image/png;base64," + base64.b64encode(png_bytes((9, 9, 9, 255))).decode()}]
    builder.json["textures"] = [{"source": 0}]
    tiled = {"KHR_texture_transform": {"scale": [4.0, 4.0]}}
    builder.json["materials"] = [
        # Colour on the second UV set; an ambient-occlusion map on the first would be sampled at the wrong place.
        {"pbrMetallicRoughness": {"baseColorTexture": {"index": 0, "texCoord": 1}},
         "occlusionTexture": {"index": 0}},
        # One UV set, but the normal map tiles differently from the colour.
        {"pbrMetallicRoughness": {"baseColorTexture": {"index": 0, "extensions": tiled}},
         "normalTexture": {"index": 0}, "emissiveTexture": {"index": 0, "extensions": tiled}},
    ]
    first_uv = np.array([[0, 0], [1, 0], [0, 1]], np.float32)
    second_uv = np.array([[0.5, 0.5], [0.75, 0.5], [0.5, 0.75]], np.float32)
    attributes = {"POSITION": builder.accessor(np.array(TRIANGLE, np.float32)),
                  "TEXCOORD_0": builder.accessor(first_uv), "TEXCOORD_1": builder.accessor(second_uv)}
    builder.add("meshes", {"primitives": [{"attributes": attributes, "material": m} for m in (0, 1)]})
    one_node_scene(builder)
    asset = load_gltf(builder.write_glb(tmp_path / "uv_sets.glb"))
    second_set, tiled_material = asset.materials
    assert second_set.base_color_texture is not None and second_set.occlusion_texture is None
    assert tiled_material.emissive_texture is not None and tiled_material.normal_texture is None
    from_second_set, from_tiled = asset.meshes[0].primitives
    np.testing.assert_array_equal(from_second_set.uv0, second_uv)
    np.testing.assert_allclose(from_tiled.uv0, first_uv * 4)
    dropped = [warning for warning in asset.warnings if "keeps one UV mapping" in warning]
    assert len(dropped) == 2 and "occlusionTexture" in dropped[0] and "normalTexture" in dropped[1]


@pytest.mark.parametrize("extension, image_format", [("EXT_texture_webp", "WEBP"), ("EXT_texture_avif", "AVIF"),
                                                     ("KHR_texture_basisu", None)])
def test_texture_sourced_only_through_an_image_format_extension(tmp_path, extension, image_format):
    builder = GltfBuilder()
    builder.json["extensionsUsed"] = builder.json["extensionsRequired"] = [extension]
    if image_format is None:  # KTX2, which Pillow cannot decode: the model loads with the magenta stand-in
        image, expected = b"\xabKTX 20\xbb\r\n\x1a\n" + bytes(64), [255, 0, 255, 255]
    else:
        encoded = io.BytesIO()
        Image.new("RGBA", (4, 4), (0, 0, 255, 255)).save(encoded, format=image_format, lossless=True)
        image, expected = encoded.getvalue(), [0, 0, 255, 255]
    builder.json["images"] = [{"bufferView": builder.view(image), "mimeType": "image/x-test"}]
    builder.json["textures"] = [{"extensions": {extension: {"source": 0}}}]
    builder.json["materials"] = [{"pbrMetallicRoughness": {"baseColorTexture": {"index": 0}}}]
    builder.triangle_mesh(TRIANGLE)
    builder.json["meshes"][0]["primitives"][0]["material"] = 0
    one_node_scene(builder)
    asset = load_gltf(builder.write_glb(tmp_path / "image_extension.glb"))
    pixels = asset.textures[asset.materials[0].base_color_texture].pixels
    np.testing.assert_allclose(pixels[0, 0], expected, atol=2)
    assert (asset.warnings == []) == (image_format is not None)


def test_eight_influences_keep_the_strongest_four(tmp_path):
    builder = GltfBuilder()
    builder.triangle_mesh(TRIANGLE)
    attributes = builder.json["meshes"][0]["primitives"][0]["attributes"]
    joints = np.tile(np.arange(8, dtype=np.uint16), (3, 1))
    weights = np.tile(np.array([0.05, 0.3, 0.0, 0.1, 0.2, 0.05, 0.25, 0.05], np.float32), (3, 1))
    attributes |= {"JOINTS_0": builder.accessor(joints[:, :4]), "JOINTS_1": builder.accessor(joints[:, 4:]),
                   "WEIGHTS_0": builder.accessor(weights[:, :4]), "WEIGHTS_1": builder.accessor(weights[:, 4:])}
    one_node_scene(builder)
    asset = load_gltf(builder.write_glb(tmp_path / "eight.glb"))
    primitive = asset.meshes[0].primitives[0]
    np.testing.assert_array_equal(primitive.joints[0], [1, 6, 4, 3])
    np.testing.assert_allclose(primitive.weights[0], np.array([0.3, 0.25, 0.2, 0.1]) / 0.85, rtol=1e-6)
    assert any("strongest 4" in warning for warning in asset.warnings)


def test_required_unsupported_extension_is_an_error(tmp_path):
    builder = GltfBuilder()
    builder.triangle_mesh(TRIANGLE)
    builder.json["extensionsUsed"] = builder.json["extensionsRequired"] = ["KHR_draco_mesh_compression"]
    path = builder.write_glb(tmp_path / "draco.glb")
    with pytest.raises(AssetError, match="KHR_draco_mesh_compression") as error:
        load_gltf(path)
    assert "draco.glb" in str(error.value)


def test_optional_unsupported_extension_is_a_warning(tmp_path, caplog):
    builder = GltfBuilder()
    builder.triangle_mesh(TRIANGLE)
    one_node_scene(builder)
    builder.json["extensionsUsed"] = ["KHR_materials_sheen", "VRMC_materials_mtoon", "KHR_lights_punctual"]
    asset = load_gltf(builder.write_glb(tmp_path / "sheen.glb"))
    assert asset.warnings == ["ignoring unsupported glTF extension KHR_materials_sheen"]
    assert "KHR_materials_sheen" in caplog.text


def test_required_looks_only_extension_is_a_warning(tmp_path):
    builder = GltfBuilder()
    builder.triangle_mesh(TRIANGLE)
    one_node_scene(builder)
    builder.json["extensionsUsed"] = builder.json["extensionsRequired"] = ["KHR_materials_transmission"]
    asset = load_gltf(builder.write_glb(tmp_path / "glass.glb"))
    assert asset.meshes and asset.warnings == ["ignoring unsupported glTF extension KHR_materials_transmission"]


def test_specular_glossiness_becomes_a_dielectric(tmp_path):
    builder = GltfBuilder()
    builder.json["extensionsUsed"] = builder.json["extensionsRequired"] = ["KHR_materials_pbrSpecularGlossiness"]
    builder.json["images"] = [{"uri": "data:image/png;base64," + base64.b64encode(png_bytes((0, 200, 0, 255))).decode()}]
    builder.json["textures"] = [{"source": 0}]
    spec_gloss = {"diffuseFactor": [1, 0.5, 0.5, 1], "diffuseTexture": {"index": 0}, "glossinessFactor": 0.75,
                  "specularFactor": [1, 1, 1], "specularGlossinessTexture": {"index": 0}}
    builder.json["materials"] = [
        {"extensions": {"KHR_materials_pbrSpecularGlossiness": spec_gloss}},
        {"pbrMetallicRoughness": {"metallicFactor": 0.3}, "extensions": {"KHR_materials_pbrSpecularGlossiness": spec_gloss}},
    ]
    builder.triangle_mesh(TRIANGLE)
    one_node_scene(builder)
    asset = load_gltf(builder.write_glb(tmp_path / "spec_gloss.glb"))
    approximated, authored = asset.materials
    np.testing.assert_array_equal(approximated.base_color, [1, 0.5, 0.5, 1])
    assert approximated.base_color_texture is not None
    assert (approximated.metallic, approximated.roughness) == (0.0, 0.25)
    # The file's own metallic-roughness version wins over the approximation.
    assert (authored.metallic, authored.base_color_texture) == (pytest.approx(0.3), None)
    assert asset.warnings == ["materials[0] specularGlossinessTexture has no metallic-roughness counterpart; ignored"]


def test_cameras(tmp_path):
    builder = GltfBuilder()
    builder.triangle_mesh(TRIANGLE)
    builder.json["cameras"] = [
        {"type": "perspective", "name": "lens", "perspective": {"yfov": 0.6, "znear": 0.1, "aspectRatio": 1.5}},
        {"type": "orthographic", "orthographic": {"xmag": 2, "ymag": 1, "znear": 0.01, "zfar": 50}},
    ]
    builder.json["nodes"] = [{"mesh": 0, "children": [1]}, {"camera": 0}, {"camera": 1}]
    asset = load_gltf(builder.write_glb(tmp_path / "cameras.glb"))
    perspective, orthographic = asset.cameras
    assert (perspective.name, perspective.type) == ("lens", "perspective")
    assert (perspective.aspect, perspective.zfar) == (1.5, None)
    assert perspective.yfov == pytest.approx(0.6) and perspective.znear == pytest.approx(0.1)
    assert (orthographic.type, orthographic.xmag, orthographic.ymag, orthographic.zfar) == ("orthographic", 2, 1, 50)
    assert [node.camera for node in asset.nodes] == [None, 0, 1] and asset.roots == [0, 2]


def test_matrix_accessors_skip_column_padding(tmp_path):
    from engine.assets.gltf_accessors import read_accessor
    from engine.assets.gltf_document import GltfDocument

    builder = GltfBuilder()
    builder.triangle_mesh(TRIANGLE)
    # Two MAT3 of unsigned bytes: each 3-byte column is padded to 4 bytes.
    columns = np.arange(1, 19, dtype=np.uint8).reshape(2, 3, 3)
    padded = np.zeros((2, 3, 4), np.uint8)
    padded[:, :, :3] = columns
    matrices = builder.accessor_on(builder.view(padded.tobytes()), columns, type_name="MAT3", normalized=True)
    document = GltfDocument(builder.write_glb(tmp_path / "mat3.glb"))
    np.testing.assert_allclose(read_accessor(document, matrices, "test"), columns / 255.0, rtol=1e-6)


def test_vrm0_avatars_are_turned_to_face_positive_z():
    path = SHARED_ASSETS / "humanoid" / "Godette_vrm_v4.vrm"
    if not path.exists():
        pytest.skip(f"third-party test asset {path} not present")
    from engine.assets.library import prepare_model
    from engine.math_kernels import pose_matrices

    model = prepare_model(load_gltf(path), "godette")
    matrices = np.zeros((model.node_count, 4, 4), np.float32)
    pose_matrices(model.rest_translation, model.rest_rotation, model.rest_scale, model.parents, matrices, model.node_count)
    bones = model.asset.humanoid_bones
    # facing +Z: the avatar's left hand is on +X and its toes point towards +Z from its feet
    assert matrices[bones["leftHand"], 3, 0] > 0.2
    assert matrices[bones["leftToes"], 3, 2] > matrices[bones["leftFoot"], 3, 2]
