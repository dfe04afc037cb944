"""glTF textures -> `TextureImage`s, built only for textures a material uses.

A glTF texture is (image, sampler); colour-space is decided by the material
slot that uses it, so one texture used both as colour and as data yields two
`TextureImage`s sharing the same pixel array.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any

import numpy as np

from engine.assets.gltf_document import GltfDocument
from engine.assets.model import (
    GL_LINEAR,
    GL_LINEAR_MIPMAP_LINEAR,
    GL_REPEAT,
    TextureImage,
)
from engine.assets.textures import decode_image_bytes, missing_texture_pixels

MIN_FILTERS = {9728, 9729, 9984, 9985, 9986, 9987}
MAG_FILTERS = {9728, 9729}
WRAP_MODES = {10497, 33071, 33648}


class GltfTextureTable:
    """Collects the `TextureImage`s for `ModelAsset.textures` as materials ask for them."""

    def __init__(self, doc: GltfDocument):
        self.doc = doc
        self.textures: list[TextureImage] = []
        self._slot_of: dict[tuple[int, bool], int] = {}
        self._image_pixels: dict[int, np.ndarray] = {}

    def slot(self, texture_index: Any, srgb: bool, referrer: str) -> int:
        """Index into `self.textures` for glTF texture `texture_index` sampled as sRGB or linear."""
        texture_index = self.doc.index("textures", texture_index, referrer)
        key = (texture_index, srgb)
        if key not in self._slot_of:
            self._slot_of[key] = len(self.textures)
            self.textures.append(self._build(texture_index, srgb))
        return self._slot_of[key]

    def _build(self, texture_index: int, srgb: bool) -> TextureImage:
        label = f"textures[{texture_index}]"
        spec = self.doc.items("textures")[texture_index]
        sampler = self.doc.item("samplers", spec["sampler"], label) if "sampler" in spec else {}
        source = self._source_image(spec)
        if source is None:
            self.doc.warn(f"{label} has no image this loader can use; showing magenta")
            pixels, name = missing_texture_pixels(), spec.get("name", label)
        else:
            pixels = self._pixels(source)
            image = self.doc.items("images")[source]
            file_uri = "" if image.get("uri", "data:").startswith("data:") else image["uri"]
            name = spec.get("name") or image.get("name") or PurePosixPath(file_uri).stem or label
        return TextureImage(
            name=name,
            pixels=pixels,
            srgb=srgb,
            wrap_s=_enum(sampler.get("wrapS"), WRAP_MODES, GL_REPEAT),
            wrap_t=_enum(sampler.get("wrapT"), WRAP_MODES, GL_REPEAT),
            min_filter=_enum(sampler.get("minFilter"), MIN_FILTERS, GL_LINEAR_MIPMAP_LINEAR),
            mag_filter=_enum(sampler.get("magFilter"), MAG_FILTERS, GL_LINEAR),
        )

    def _source_image(self, spec: dict[str, Any]) -> int | None:
        """The core `source`, else one named by an image-format extension (e.g. EXT_texture_webp)."""
        candidates = [spec.get("source")] + [ext.get("source") for ext in spec.get("extensions", {}).values()]
        for candidate in candidates:
            if candidate is not None:
                return self.doc.index("images", candidate, "texture source")
        return None

    def _pixels(self, image_index: int) -> np.ndarray:
        if image_index not in self._image_pixels:
            label = f"images[{image_index}]"
            image = self.doc.items("images")[image_index]
            if "uri" in image:
                data = self.doc.uri_bytes(image["uri"], label)
            elif "bufferView" in image:
                data = self.doc.buffer_view(image["bufferView"], label).tobytes()
            else:
                self.doc.fail(f"{label} has neither uri nor bufferView")
            pixels, problem = decode_image_bytes(data)
            if pixels is None:
                self.doc.warn(f"{label} cannot be decoded ({problem}); showing magenta")
                pixels = missing_texture_pixels()
            self._image_pixels[image_index] = pixels
        return self._image_pixels[image_index]


def _enum(value: Any, allowed: set[int], default: int) -> int:
    return value if value in allowed else default
