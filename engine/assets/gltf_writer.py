"""Write a `ModelAsset` as glTF 2.0: `.glb` (one BIN chunk) or `.gltf` (JSON + buffer).

Everything the model holds goes out: node TRS hierarchy, multi-primitive meshes
with morph targets, metallic-roughness materials with PNG textures,
KHR_materials_unlit, skins, animations and cameras. The humanoid bone map, which
glTF has no core slot for, goes to the root `extras.humanoidBones`
(`{bone_name: node_index}`); each clip's `extras` dict is written as its `extras`.

Output is deterministic (same asset -> same bytes) and written atomically: the
file appears complete under its final name or not at all.
"""

from __future__ import annotations

import base64
import io
import json
import os
import struct
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

from engine.assets.model import Material, ModelAsset, Primitive, TextureImage

_FLOAT, _UNSIGNED_SHORT, _UNSIGNED_INT = 5126, 5123, 5125
_ARRAY_BUFFER, _ELEMENT_ARRAY_BUFFER = 34962, 34963
_TYPE_BY_WIDTH = {1: "SCALAR", 2: "VEC2", 3: "VEC3", 4: "VEC4", 16: "MAT4"}
_GLB_MAGIC, _GLB_JSON, _GLB_BIN = 0x46546C67, 0x4E4F534A, 0x004E4942


class _BinaryBuilder:
    """Accumulates the single binary buffer and the accessors/bufferViews into it."""

    def __init__(self) -> None:
        self._chunks: list[bytes] = []
        self._size = 0
        self.buffer_views: list[dict] = []
        self.accessors: list[dict] = []
        # Identical data (e.g. the shared keyframe times of every channel) is stored once.
        self._accessor_by_content: dict[tuple, int] = {}

    def view(self, data: bytes, target: int | None = None) -> int:
        view = {"buffer": 0, "byteOffset": self._size, "byteLength": len(data)}
        if target is not None:
            view["target"] = target
        padded = data + b"\0" * (-len(data) % 4)  # keeps every view 4-byte aligned
        self._chunks.append(padded)
        self._size += len(padded)
        self.buffer_views.append(view)
        return len(self.buffer_views) - 1

    def accessor(self, array: np.ndarray, component_type: int = _FLOAT, target: int | None = None,
                 with_bounds: bool = False) -> int:
        dtype = {_FLOAT: "<f4", _UNSIGNED_SHORT: "<u2", _UNSIGNED_INT: "<u4"}[component_type]
        data = np.ascontiguousarray(array, dtype=dtype)
        width = 16 if data.ndim == 3 else (1 if data.ndim == 1 else data.shape[1])
        raw = data.tobytes()
        key = (raw, component_type, width, target, with_bounds)
        if key in self._accessor_by_content:
            return self._accessor_by_content[key]
        accessor = {
            "bufferView": self.view(raw, target),
            "componentType": component_type,
            "count": int(data.shape[0]),
            "type": _TYPE_BY_WIDTH[width],
        }
        if with_bounds and data.shape[0]:
            flat = data.reshape(data.shape[0], -1)
            accessor["min"] = [_json_number(v) for v in flat.min(axis=0)]
            accessor["max"] = [_json_number(v) for v in flat.max(axis=0)]
        self.accessors.append(accessor)
        self._accessor_by_content[key] = len(self.accessors) - 1
        return self._accessor_by_content[key]

    def blob(self) -> bytes:
        return b"".join(self._chunks)


def _json_number(value) -> float | int:
    return int(value) if np.issubdtype(type(value), np.integer) else float(value)


def _floats(values) -> list[float]:
    return [float(v) for v in np.asarray(values, np.float32).ravel()]


def _encode_png(image: TextureImage) -> bytes:
    out = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(image.pixels, np.uint8), "RGBA").save(out, "PNG", optimize=False)
    return out.getvalue()


class _Document:
    """Builds the glTF JSON dict for one asset."""

    def __init__(self, asset: ModelAsset):
        self.asset = asset
        self.bin = _BinaryBuilder()
        self.extensions_used: set[str] = set()

    def build(self) -> dict:
        asset = self.asset
        images, samplers, textures = self._textures()
        gltf: dict = {"asset": {"version": "2.0", "generator": "Moviola gltf_writer"}}
        gltf["scene"] = 0
        roots = asset.roots or [i for i, node in enumerate(asset.nodes) if node.parent < 0]
        gltf["scenes"] = [{"nodes": [int(i) for i in roots]}]
        sections = {
            "nodes": [self._node(node) for node in asset.nodes],
            "meshes": [self._mesh(mesh) for mesh in asset.meshes],
            "materials": [self._material(material) for material in asset.materials],
            "textures": textures,
            "images": images,
            "samplers": samplers,
            "skins": [self._skin(skin) for skin in asset.skins],
            "animations": [self._animation(clip) for clip in asset.animations],
            "cameras": [self._camera(camera) for camera in asset.cameras],
        }
        gltf.update({key: value for key, value in sections.items() if value})
        if asset.humanoid_bones:
            gltf["extras"] = {"humanoidBones": {name: int(i) for name, i in sorted(asset.humanoid_bones.items())}}
        if self.extensions_used:
            gltf["extensionsUsed"] = sorted(self.extensions_used)
        if self.bin.accessors:
            gltf["accessors"] = self.bin.accessors
        if self.bin.buffer_views:
            gltf["bufferViews"] = self.bin.buffer_views
        return gltf

    def _textures(self) -> tuple[list[dict], list[dict], list[dict]]:
        images, samplers, textures = [], [], []
        sampler_index: dict[tuple, int] = {}
        for image in self.asset.textures:
            state = (image.mag_filter, image.min_filter, image.wrap_s, image.wrap_t)
            if state not in sampler_index:
                sampler_index[state] = len(samplers)
                samplers.append(dict(zip(("magFilter", "minFilter", "wrapS", "wrapT"), map(int, state))))
            view = self.bin.view(_encode_png(image))
            images.append({"name": image.name, "bufferView": view, "mimeType": "image/png"})
            textures.append({"sampler": sampler_index[state], "source": len(images) - 1})
        return images, samplers, textures

    def _node(self, node) -> dict:
        out: dict = {"name": node.name}
        if node.children:
            out["children"] = [int(c) for c in node.children]
        if np.any(node.translation != 0):
            out["translation"] = _floats(node.translation)
        if np.any(node.rotation != np.array([0, 0, 0, 1], np.float32)):
            out["rotation"] = _floats(node.rotation)
        if np.any(node.scale != 1):
            out["scale"] = _floats(node.scale)
        for key, value in (("mesh", node.mesh), ("skin", node.skin), ("camera", node.camera)):
            if value is not None:
                out[key] = int(value)
        if node.weights is not None:
            out["weights"] = _floats(node.weights)
        return out

    def _mesh(self, mesh) -> dict:
        target_counts = {p.morph_target_count for p in mesh.primitives}
        if len(target_counts) > 1:
            raise ValueError(f"mesh {mesh.name!r}: glTF needs the same morph target count on every primitive")
        out: dict = {"name": mesh.name, "primitives": [self._primitive(p) for p in mesh.primitives]}
        if len(mesh.default_weights):
            out["weights"] = _floats(mesh.default_weights)
        if mesh.target_names:
            out["extras"] = {"targetNames": list(mesh.target_names)}
        return out

    def _primitive(self, prim: Primitive) -> dict:
        acc = self.bin.accessor
        attributes = {"POSITION": acc(prim.positions, target=_ARRAY_BUFFER, with_bounds=True)}
        optional = (("NORMAL", prim.normals), ("TANGENT", prim.tangents), ("TEXCOORD_0", prim.uv0),
                    ("COLOR_0", prim.colors), ("WEIGHTS_0", prim.weights))
        for semantic, array in optional:
            if array is not None:
                attributes[semantic] = acc(array, target=_ARRAY_BUFFER)
        if prim.joints is not None:
            attributes["JOINTS_0"] = acc(prim.joints, _UNSIGNED_SHORT, _ARRAY_BUFFER)
        index_type = _UNSIGNED_SHORT if prim.vertex_count <= 0xFFFF else _UNSIGNED_INT
        out: dict = {"attributes": attributes, "indices": acc(prim.indices, index_type, _ELEMENT_ARRAY_BUFFER)}
        if prim.material is not None:
            out["material"] = int(prim.material)
        if prim.morph_target_count:
            targets = []
            for t in range(prim.morph_target_count):
                target = {"POSITION": acc(prim.morph_positions[t], target=_ARRAY_BUFFER, with_bounds=True)}
                if prim.morph_normals is not None:
                    target["NORMAL"] = acc(prim.morph_normals[t], target=_ARRAY_BUFFER)
                targets.append(target)
            out["targets"] = targets
        return out

    def _material(self, material: Material) -> dict:
        pbr: dict = {"baseColorFactor": _floats(material.base_color),
                     "metallicFactor": float(material.metallic), "roughnessFactor": float(material.roughness)}
        if material.base_color_texture is not None:
            pbr["baseColorTexture"] = {"index": int(material.base_color_texture)}
        if material.metallic_roughness_texture is not None:
            pbr["metallicRoughnessTexture"] = {"index": int(material.metallic_roughness_texture)}
        out: dict = {"name": material.name, "pbrMetallicRoughness": pbr}
        if material.normal_texture is not None:
            out["normalTexture"] = {"index": int(material.normal_texture), "scale": float(material.normal_scale)}
        if material.occlusion_texture is not None:
            out["occlusionTexture"] = {"index": int(material.occlusion_texture),
                                       "strength": float(material.occlusion_strength)}
        if material.emissive_texture is not None:
            out["emissiveTexture"] = {"index": int(material.emissive_texture)}
        if np.any(material.emissive != 0):
            out["emissiveFactor"] = _floats(material.emissive)
        out["alphaMode"] = material.alpha_mode
        if material.alpha_mode == "MASK":
            out["alphaCutoff"] = float(material.alpha_cutoff)
        out["doubleSided"] = bool(material.double_sided)
        if material.unlit:
            out["extensions"] = {"KHR_materials_unlit": {}}
            self.extensions_used.add("KHR_materials_unlit")
        return out

    def _skin(self, skin) -> dict:
        out: dict = {"name": skin.name, "joints": [int(j) for j in skin.joints],
                     "inverseBindMatrices": self.bin.accessor(skin.inverse_bind_matrices)}
        if skin.skeleton is not None:
            out["skeleton"] = int(skin.skeleton)
        return out

    def _animation(self, clip) -> dict:
        samplers, channels = [], []
        for channel in clip.channels:
            values = np.asarray(channel.values, np.float32)
            # glTF wants CUBICSPLINE keys as in-tangent, value, out-tangent in sequence,
            # and morph weights as one scalar per target per key.
            width = values.shape[-1]
            flat = values.reshape(-1) if channel.path == "weights" else values.reshape(-1, width)
            samplers.append({
                "input": self.bin.accessor(np.asarray(channel.times, np.float32), with_bounds=True),
                "interpolation": channel.interpolation,
                "output": self.bin.accessor(flat),
            })
            channels.append({"sampler": len(samplers) - 1,
                             "target": {"node": int(channel.node), "path": channel.path}})
        out: dict = {"name": clip.name, "channels": channels, "samplers": samplers}
        if clip.extras:
            out["extras"] = dict(clip.extras)
        return out

    @staticmethod
    def _camera(camera) -> dict:
        if camera.type == "orthographic":
            zfar = camera.zfar if camera.zfar is not None else 1000.0  # required for orthographic
            params = {"xmag": float(camera.xmag), "ymag": float(camera.ymag),
                      "znear": float(camera.znear), "zfar": float(zfar)}
        else:
            params = {"yfov": float(camera.yfov), "znear": float(camera.znear)}
            if camera.zfar is not None:
                params["zfar"] = float(camera.zfar)
            if camera.aspect is not None:
                params["aspectRatio"] = float(camera.aspect)
        return {"name": camera.name, "type": camera.type, camera.type: params}


def _json_bytes(gltf: dict) -> bytes:
    return json.dumps(gltf, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _glb(gltf: dict, blob: bytes) -> bytes:
    json_chunk = _json_bytes(gltf)
    json_chunk += b" " * (-len(json_chunk) % 4)  # the spec pads JSON with spaces, BIN with zeros
    blob += b"\0" * (-len(blob) % 4)
    chunks = struct.pack("<II", len(json_chunk), _GLB_JSON) + json_chunk
    if blob:
        chunks += struct.pack("<II", len(blob), _GLB_BIN) + blob
    return struct.pack("<III", _GLB_MAGIC, 2, 12 + len(chunks)) + chunks


def _write_atomically(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        # mkstemp makes the file private (0600); give it the mode a plain open() would have.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def write_gltf(asset: ModelAsset, path: str | os.PathLike, *, embed_buffer: bool = True) -> None:
    """Write `asset` to `path`; the suffix picks the container.

    `.glb`: binary glTF with one BIN chunk. `.gltf`: JSON with the buffer as a
    base64 data URI (`embed_buffer=True`) or as a sidecar `<stem>.bin`.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".glb", ".gltf"):
        raise ValueError(f"{path}: glTF output needs a .glb or .gltf suffix")
    document = _Document(asset)
    gltf = document.build()
    blob = document.bin.blob()
    if suffix == ".glb":
        if blob:
            gltf["buffers"] = [{"byteLength": len(blob)}]
        _write_atomically(path, _glb(gltf, blob))
        return
    if blob:
        if embed_buffer:
            uri = "data:application/octet-stream;base64," + base64.b64encode(blob).decode("ascii")
        else:
            uri = path.with_suffix(".bin").name
            _write_atomically(path.with_suffix(".bin"), blob)
        gltf["buffers"] = [{"byteLength": len(blob), "uri": uri}]
    _write_atomically(path, _json_bytes(gltf))
