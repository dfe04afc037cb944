"""A glTF file opened for reading: its JSON, its buffers and buffer views.

Handles the container (GLB chunks or a JSON `.gltf`), resolves `data:` and
relative URIs, and hands out buffer views as uint8 arrays (decompressing
EXT_/KHR_meshopt_compression views on first use). Every problem with the file is an
`AssetError` naming it; every index into a top-level array is checked here so
callers can trust what they get.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import os
import struct
import urllib.parse
from pathlib import Path
from typing import Any, NoReturn

import numpy as np

from engine.assets.meshopt_decode import decode_meshopt_view, meshopt_extension
from engine.errors import AssetError

log = logging.getLogger(__name__)

GLB_MAGIC = b"glTF"
GLB_HEADER = struct.Struct("<4sII")  # magic, version, total length
GLB_CHUNK_HEADER = struct.Struct("<II")  # length, type
GLB_CHUNK_JSON = 0x4E4F534A
GLB_CHUNK_BIN = 0x004E4942
GLB_SUFFIXES = (".glb", ".vrm")


def read_file_bytes(path: Path) -> bytes:
    """The whole file, or an AssetError saying why it cannot be read."""
    if not path.exists():
        raise AssetError(path, "file not found")
    if path.is_dir():
        raise AssetError(path, "is a directory, not a model file")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise AssetError(path, f"cannot read file: {exc.strerror or exc}") from None
    if not data:
        raise AssetError(path, "file is empty")
    return data


class GltfDocument:
    """Parsed JSON plus lazily loaded buffers. `fail` raises a one-line AssetError."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self.warnings: list[str] = []
        data = read_file_bytes(self.path)
        if data[:4] == GLB_MAGIC:
            json_bytes, self.glb_bin = self._split_glb(data)
        elif self.path.suffix.lower() in GLB_SUFFIXES:
            self.fail(f"not a GLB file (bad magic {data[:4]!r}, expected b'glTF')")
        else:
            json_bytes, self.glb_bin = data, None
        self.json = self._parse_json(json_bytes)
        self._check_asset_version()
        self._buffers: dict[int, np.ndarray] = {}
        self._views: dict[int, np.ndarray] = {}
        self.accessor_cache: dict[int, np.ndarray] = {}

    # -- errors and warnings -------------------------------------------------

    def fail(self, message: str) -> NoReturn:
        raise AssetError(self.path, " ".join(message.split()))

    def warn(self, message: str) -> None:
        """Record a problem that does not stop the load (logged once per message)."""
        if message not in self.warnings:
            self.warnings.append(message)
            log.warning("%s: %s", self.path, message)

    # -- JSON access with checked indices ------------------------------------

    def items(self, kind: str) -> list[dict[str, Any]]:
        """A top-level array such as "nodes"; [] when absent."""
        value = self.json.get(kind, [])
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            self.fail(f"'{kind}' must be an array of objects")
        return value

    def index(self, kind: str, value: Any, referrer: str) -> int:
        """`value` checked as an index into the top-level array `kind`."""
        count = len(self.items(kind))
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < count:
            self.fail(f"{referrer} refers to {kind}[{value!r}] but the file has {count} {kind}")
        return value

    def item(self, kind: str, value: Any, referrer: str) -> dict[str, Any]:
        return self.items(kind)[self.index(kind, value, referrer)]

    # -- buffers -------------------------------------------------------------

    def buffer(self, index: int, referrer: str) -> np.ndarray:
        """Bytes of buffers[index] as a read-only uint8 array."""
        index = self.index("buffers", index, referrer)
        if index not in self._buffers:
            spec = self.items("buffers")[index]
            if "uri" in spec:
                data = self.uri_bytes(spec["uri"], f"buffers[{index}]")
            elif index == 0 and self.glb_bin is not None:
                data = self.glb_bin
            else:
                self.fail(f"buffers[{index}] has no uri and no GLB binary chunk to stand for it")
            length = spec.get("byteLength", len(data))
            if len(data) < length:
                self.fail(f"buffers[{index}] holds {len(data)} bytes but its byteLength is {length}")
            self._buffers[index] = np.frombuffer(data, np.uint8, count=length)
        return self._buffers[index]

    def buffer_view(self, index: int, referrer: str) -> np.ndarray:
        """Bytes of bufferViews[index] (decompressed if meshopt-compressed)."""
        spec = self.item("bufferViews", index, referrer)
        if index not in self._views:
            label = f"bufferViews[{index}]"
            compressed = meshopt_extension(spec)
            if compressed is not None:
                source = self._slice(compressed, label)
                view = decode_meshopt_view(source, compressed, label, self.fail)
                if len(view) < spec.get("byteLength", 0):
                    self.fail(f"{label} decompresses to {len(view)} bytes, less than its byteLength")
            else:
                view = self._slice(spec, label)
            self._views[index] = view
        return self._views[index]

    def _slice(self, spec: dict[str, Any], label: str) -> np.ndarray:
        buffer = self.buffer(spec.get("buffer"), label)
        start = spec.get("byteOffset", 0)
        length = spec.get("byteLength")
        if not isinstance(length, int) or not isinstance(start, int) or start < 0 or length < 0:
            self.fail(f"{label} needs integer byteOffset/byteLength")
        if start + length > len(buffer):
            self.fail(f"{label} spans bytes {start}..{start + length} but its buffer has {len(buffer)}")
        return buffer[start : start + length]

    def uri_bytes(self, uri: Any, what: str) -> bytes:
        """Contents of a `data:` URI or of a file relative to the glTF."""
        if not isinstance(uri, str):
            self.fail(f"{what} has a uri that is not a string")
        if uri.startswith("data:"):
            header, _, payload = uri.partition(",")
            try:
                if header.endswith(";base64"):
                    return base64.b64decode(payload, validate=False)
                return urllib.parse.unquote_to_bytes(payload)
            except (binascii.Error, ValueError):
                self.fail(f"{what} has a malformed base64 data: URI")
        if "://" in uri:
            self.fail(f"{what} points at a remote URI ({uri[:60]}); only local files are supported")
        target = self.path.parent / urllib.parse.unquote(uri)
        if not target.is_file():
            self.fail(f"{what} file '{uri}' not found next to the model")
        try:
            return target.read_bytes()
        except OSError as exc:
            self.fail(f"{what} file '{uri}' cannot be read: {exc.strerror or exc}")

    # -- container -----------------------------------------------------------

    def _split_glb(self, data: bytes) -> tuple[bytes, bytes | None]:
        if len(data) < GLB_HEADER.size:
            self.fail(f"GLB is truncated: {len(data)} bytes, shorter than its 12-byte header")
        _, version, declared_length = GLB_HEADER.unpack_from(data)
        if version != 2:
            self.fail(f"unsupported GLB container version {version} (need 2)")
        if declared_length != len(data):
            self.fail(f"GLB length mismatch: header says {declared_length} bytes, file has {len(data)} (truncated?)")
        chunks: list[tuple[int, bytes]] = []
        offset = GLB_HEADER.size
        while offset < len(data):
            if offset + GLB_CHUNK_HEADER.size > len(data):
                self.fail(f"GLB chunk header at byte {offset} runs past the end of the file")
            length, kind = GLB_CHUNK_HEADER.unpack_from(data, offset)
            start = offset + GLB_CHUNK_HEADER.size
            if start + length > len(data):
                self.fail(f"GLB chunk at byte {offset} claims {length} bytes, past the end of the file")
            chunks.append((kind, data[start : start + length]))
            offset = start + length
        if not chunks or chunks[0][0] != GLB_CHUNK_JSON:
            self.fail("GLB has no JSON chunk first")
        binary = next((chunk for kind, chunk in chunks[1:] if kind == GLB_CHUNK_BIN), None)
        return chunks[0][1], binary

    def _parse_json(self, raw: bytes) -> dict[str, Any]:
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            self.fail("JSON is not valid UTF-8 (not a glTF file?)")
        try:
            document = json.loads(text)
        except json.JSONDecodeError as exc:
            self.fail(f"invalid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}")
        if not isinstance(document, dict):
            self.fail("JSON top level is not an object")
        return document

    def _check_asset_version(self) -> None:
        asset = self.json.get("asset")
        if not isinstance(asset, dict):
            self.fail("missing required 'asset' object (not a glTF 2.0 file?)")
        for key in ("version", "minVersion"):
            version = asset.get(key)
            if key == "minVersion" and version is None:
                continue
            if not isinstance(version, str) or version.split(".")[0] != "2":
                self.fail(f"unsupported glTF asset.{key} {version!r} (need 2.x)")
